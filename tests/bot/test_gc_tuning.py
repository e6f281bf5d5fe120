"""bot/gc_tuning.py: the collector settled once a server has loaded.

That both servers settle once started is checked on the real servers
(tests/e2e/test_rest_conversation.py)."""

from __future__ import annotations

import gc
from typing import Iterator

import pytest
from bot import gc_tuning


@pytest.fixture
def collector() -> Iterator[None]:
    """Put the collector back as it was: these tests change process-wide state."""
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_settle_freezes_what_is_loaded_and_makes_young_passes_rarer(collector):
    long_lived = [{"model": index} for index in range(1_000)]
    gc.unfreeze()
    gc_tuning.settle()
    assert gc.get_freeze_count() >= len(long_lived)
    assert gc.get_threshold() == gc_tuning.THRESHOLDS
    assert gc.get_threshold()[0] > 700  # Python's default


def test_garbage_made_after_settling_is_still_collected(collector):
    gc_tuning.settle()

    class Node:
        partner: "Node"

    first, second = Node(), Node()
    first.partner, second.partner = second, first  # a cycle: only the collector frees it
    del first, second
    assert gc.collect() >= 2


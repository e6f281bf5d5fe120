"""Python's cyclic garbage collector, tuned for a long-running server once it has loaded.

A server that has loaded its model keeps hundreds of thousands of long-lived
objects (Rasa's graph, the domain, scikit-learn's estimators, the encoder's
vocabulary). With Python's defaults the collector runs a young-generation
pass every 700 net container allocations, a few times a turn, and now and
then a full pass over every one of those objects: about 9% of the Rasa
server's CPU per turn (measured with ``gc.callbacks``, docs/benchmarks.md).

:func:`settle`, called once everything long-lived is loaded, collects once,
moves what survives out of the collector's sight (``gc.freeze``: those
objects are still freed by reference counting, only no longer scanned for
cycles) and makes young passes rarer. A turn's own garbage is still
collected; each young pass then takes a few milliseconds every few dozen
turns instead of a fraction of a millisecond several times a turn.

Objects frozen here are never freed if they later form unreachable cycles,
so a process that replaces its model at run time (Rasa's ``PUT /model``)
keeps the old model's cyclic garbage until it restarts.
"""

from __future__ import annotations

import gc
import logging
from typing import Any, Tuple

logger = logging.getLogger(__name__)

# Young passes every 10,000 net allocations (Python's default: 700); the
# older generations keep their default ratios to it.
THRESHOLDS: Tuple[int, int, int] = (10_000, 10, 10)


def settle(thresholds: Tuple[int, int, int] = THRESHOLDS) -> None:
    """Collect once, freeze what is left and make the collector's passes rarer."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*thresholds)
    logger.info("gc settled: %d objects frozen, thresholds %s", gc.get_freeze_count(), thresholds)


def settle_after_start(app: Any) -> Any:
    """Register :func:`settle` on a Sanic app, after the listeners that load its model."""

    async def settle_listener(*_: Any) -> None:
        settle()

    app.register_listener(settle_listener, "after_server_start")
    return app

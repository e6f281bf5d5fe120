"""Numbering web chat messages and keeping them for replay (bot/channels/web_replay.py)."""

from __future__ import annotations

from typing import Any, List

import pytest

from bot.channels.web_replay import MAX_SEQ, ReplayBuffer, parse_last_seq

A, B = "a" * 32, "b" * 32


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def texts(payloads: List[dict]) -> List[Any]:
    return [p["text"] for p in payloads]


async def test_messages_are_numbered_in_order_and_replayed_after_the_last_one_shown() -> None:
    buffer = ReplayBuffer(clock=Clock())
    original = {"text": "one"}
    first = await buffer.record(A, original)
    assert original == {"text": "one"}, "the caller's payload is not changed"
    seqs = [first["seq"]] + [(await buffer.record(A, {"text": t}))["seq"] for t in ("two", "three")]
    assert seqs == sorted(set(seqs))
    assert texts(await buffer.since(A, 0)) == ["one", "two", "three"]
    assert texts(await buffer.since(A, seqs[0])) == ["two", "three"]
    assert await buffer.since(A, seqs[-1]) == []


async def test_replay_is_only_for_the_asking_conversation() -> None:
    buffer = ReplayBuffer(clock=Clock())
    await buffer.record(A, {"text": "for a"})
    await buffer.record(B, {"text": "for b"})
    assert texts(await buffer.since(A, 0)) == ["for a"]
    assert texts(await buffer.since(B, 0)) == ["for b"]
    assert await buffer.since("c" * 32, 0) == []


async def test_only_the_latest_messages_of_a_conversation_are_kept() -> None:
    buffer = ReplayBuffer(clock=Clock(), max_messages=3)
    for n in range(5):
        await buffer.record(A, {"text": n})
    assert texts(await buffer.since(A, 0)) == [2, 3, 4]


async def test_the_least_recently_active_conversations_are_dropped_first() -> None:
    buffer = ReplayBuffer(clock=Clock(), max_conversations=2)
    await buffer.record(A, {"text": "a1"})
    await buffer.record(B, {"text": "b1"})
    await buffer.record(A, {"text": "a2"})  # A is now the more recent
    await buffer.record("c" * 32, {"text": "c1"})
    assert len(buffer) == 2
    assert await buffer.since(B, 0) == []
    assert texts(await buffer.since(A, 0)) == ["a1", "a2"]


async def test_messages_expire() -> None:
    clock = Clock()
    buffer = ReplayBuffer(clock=clock, max_age=3600)
    await buffer.record(A, {"text": "old"})
    clock.now += 1800
    await buffer.record(A, {"text": "newer"})
    clock.now += 1801
    assert texts(await buffer.since(A, 0)) == ["newer"]
    clock.now += 1800
    assert await buffer.since(A, 0) == []
    await buffer.record(B, {"text": "b"})
    assert len(buffer) == 1, "an expired conversation is dropped"


async def test_seq_keeps_increasing_for_a_browser_after_a_restart_a_drop_or_a_clock_step_back() -> None:
    clock = Clock()
    buffer = ReplayBuffer(clock=clock, max_conversations=1)
    shown = (await buffer.record(A, {"text": "x"}))["seq"]
    await buffer.record(B, {"text": "y"})  # A is dropped
    assert (await buffer.record(A, {"text": "z"}))["seq"] > shown
    clock.now -= 60  # the system clock was corrected backwards
    assert (await buffer.record(A, {"text": "w"}))["seq"] > shown + 1
    restarted = ReplayBuffer(clock=Clock(clock.now + 65))  # a new Rasa process a few seconds later
    assert (await restarted.record(A, {"text": "v"}))["seq"] > (await buffer.since(A, 0))[-1]["seq"]
    assert (await restarted.record(A, {"text": "u"}))["seq"] <= MAX_SEQ


@pytest.mark.parametrize("good", [0, 17, 1_700_000_000_000, MAX_SEQ])
def test_a_plausible_last_seq_is_accepted(good: int) -> None:
    assert parse_last_seq(good) == good


@pytest.mark.parametrize(
    "bad", [None, -1, MAX_SEQ + 1, 10**40, "17", 17.0, 17.5, float("nan"), True, False, [17], {"seq": 17}]
)
def test_a_bad_last_seq_means_no_replay(bad: Any) -> None:
    assert parse_last_seq(bad) is None


async def test_a_conversation_has_one_holder_at_a_time() -> None:
    import asyncio

    buffer = ReplayBuffer()
    order: List[str] = []

    async def hold(name: str, key: str) -> None:
        async with buffer.lock(key):
            order.append(f"{name} in")
            await asyncio.sleep(0.02)
            order.append(f"{name} out")

    await asyncio.gather(hold("first", A), hold("second", A))
    assert order == ["first in", "first out", "second in", "second out"]
    order.clear()
    await asyncio.gather(hold("a", A), hold("b", B))
    assert order[:2] == ["a in", "b in"], "another conversation does not wait"

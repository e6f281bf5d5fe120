"""Shared state (bot/shared_state.py): in memory without REDIS_URL, in a real Redis with it.

Two ``SharedState`` objects on one Redis stand for two replicas.
"""

from __future__ import annotations

import asyncio
import time
from typing import Iterator, List

import pytest
import redis

from bot.rate_limit import SlidingWindowLimiter
from bot.settings import load_settings
from bot.shared_state import (
    MemoryKeyedLocks, MemoryKeyValues, MemoryNumberedLog, RedisKeyedLocks, RedisKeyValues, RedisNumberedLog,
    RedisRateLimiter, SharedState,
    shared_state,
)
from tests.support.redis_server import ThrowawayRedis, module_redis


@pytest.fixture(scope="module")
def redis_server() -> Iterator[ThrowawayRedis]:
    yield from module_redis()


@pytest.fixture
def url(redis_server: ThrowawayRedis) -> str:
    redis_server.flush()
    return redis_server.url


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_without_redis_everything_stays_in_memory() -> None:
    state = shared_state(load_settings({}))
    assert not state.shared
    assert isinstance(state.rate_limiter("uploads", 3, 60), SlidingWindowLimiter)
    assert isinstance(state.locks("sms"), MemoryKeyedLocks)
    assert isinstance(state.numbered_log("replay", 5, 5, 60), MemoryNumberedLog)
    assert isinstance(state.key_values("language", 5, 60), MemoryKeyValues)
    assert state.socketio_manager() is None


def test_with_redis_url_every_primitive_is_in_redis(url: str) -> None:
    state = shared_state(load_settings({"REDIS_URL": url}))
    assert isinstance(state.rate_limiter("uploads", 3, 60), RedisRateLimiter)
    assert isinstance(state.locks("sms"), RedisKeyedLocks)
    assert isinstance(state.numbered_log("replay", 5, 5, 60), RedisNumberedLog)
    assert isinstance(state.key_values("language", 5, 60), RedisKeyValues)
    assert type(state.socketio_manager()).__name__ == "AsyncRedisManager"


def test_a_rate_limit_counts_what_a_client_did_on_every_replica(url: str) -> None:
    clock = Clock()
    a, b = (RedisRateLimiter(redis.Redis.from_url(url), "uploads", 3, 60, clock=clock) for _ in range(2))
    assert [a.allow("203.0.113.7"), b.allow("203.0.113.7"), a.allow("203.0.113.7")] == [True] * 3
    assert not b.allow("203.0.113.7") and not a.allow("203.0.113.7")
    assert b.allow("198.51.100.1"), "another client has its own count"
    assert 1 <= a.retry_after("203.0.113.7") <= 61 and b.retry_after("198.51.100.1") == 0
    clock.now += 61
    assert b.allow("203.0.113.7") and a.retry_after("203.0.113.7") == 0
    keys = [k.decode() for k in redis.Redis.from_url(url).keys("*")]
    assert keys and not any("203.0.113.7" in k for k in keys), "clients are hashed, not stored as typed"


async def test_a_keyed_lock_has_one_holder_across_replicas(url: str) -> None:
    a, b = SharedState(url).locks("sms"), SharedState(url).locks("sms")
    order: List[str] = []

    async def hold(locks, name: str, key: str) -> None:
        async with locks.hold(key):
            order.append(f"{name} in")
            await asyncio.sleep(0.05)
            order.append(f"{name} out")

    await asyncio.gather(hold(a, "a", "+447700900123"), hold(b, "b", "+447700900123"))
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
    order.clear()
    await asyncio.gather(hold(a, "a", "+447700900123"), hold(b, "b", "+447700900999"))
    # Both in before either is out, whichever got in first.
    assert sorted(order[:2]) == ["a in", "b in"], "another key does not wait"


async def test_a_held_lock_is_renewed_and_a_dead_holders_lock_expires(url: str) -> None:
    client = SharedState(url)._async_client()
    a, b = RedisKeyedLocks(client, "sms", lease_seconds=0.3), RedisKeyedLocks(client, "sms", lease_seconds=0.3)
    got_in = asyncio.Event()

    async def b_waits() -> None:
        async with b.hold("k"):
            got_in.set()

    async with a.hold("k"):
        waiting = asyncio.create_task(b_waits())
        await asyncio.sleep(1.0)  # over three leases: renewed, so B is still out
        assert not got_in.is_set()
    await asyncio.wait_for(waiting, 2)
    # A replica that died holding a key (nobody renews it) frees it when the lease runs out.
    await client.set(RedisKeyedLocks.redis_key("sms", "dead"), "someone-else", px=300)
    started = time.monotonic()
    async with b.hold("dead"):
        assert 0.2 < time.monotonic() - started < 2


async def test_a_numbered_log_is_shared_and_numbered_by_one_counter(url: str) -> None:
    clock = Clock()
    a = RedisNumberedLog(SharedState(url)._async_client(), "replay", 3, 3600, clock=clock)
    b = RedisNumberedLog(SharedState(url)._async_client(), "replay", 3, 3600, clock=clock)
    payload = {"text": "one", "buttons": [], "custom": {"a": [1, {}]}}
    first = await a.append("c1", payload)
    assert payload == {"text": "one", "buttons": [], "custom": {"a": [1, {}]}}, "the caller's payload is unchanged"
    second = await b.append("c1", {"text": "two"})
    assert second["seq"] > first["seq"]
    assert await b.since("c1", 0) == [first, second], "payloads come back exactly, with their seq"
    assert await a.since("c1", first["seq"]) == [second]
    assert await a.since("c2", 0) == []
    for n in range(3):
        await b.append("c1", {"text": n})
    assert [m["text"] for m in await a.since("c1", 0)] == [0, 1, 2], "only the latest are kept"
    clock.now -= 60  # one replica's clock behind another's: numbers still only go up
    assert (await a.append("c1", {"text": "late"}))["seq"] > (await b.since("c1", 0))[-2]["seq"]
    clock.now += 60 + 3601
    assert await a.since("c1", 0) == [], "old messages are not replayed"
    ttl = await SharedState(url)._async_client().pttl("council:log:replay:c1")
    assert 0 < ttl <= 3600 * 1000, "a conversation's list expires by itself"


def test_key_values_in_memory_are_bounded() -> None:
    values = SharedState(None).key_values("language", 2, 60)
    for key, value in (("a", "cy"), ("b", "en"), ("c", "cy")):
        values.set(key, value)
    assert [values.get(k) for k in "abc"] == [None, "en", "cy"]


def test_a_conversations_language_set_on_one_replica_is_read_on_another(url: str, monkeypatch) -> None:
    from bot.language import current

    monkeypatch.setenv("REDIS_URL", url)
    monkeypatch.setattr(current, "_values", None)
    current.remember("sms-0123456789abcdef", "cy")  # the language step on replica A
    monkeypatch.setattr(current, "_values", None)  # replica B: another process, its own memory
    assert current.latest("sms-0123456789abcdef") == "cy"
    assert current.latest("sms-never-seen") is None
    ttl = redis.Redis.from_url(url).pttl("council:kv:language:sms-0123456789abcdef")
    assert 364 * 86400 * 1000 < ttl <= 365 * 86400 * 1000, "kept for the conversation retention period"

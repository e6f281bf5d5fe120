"""Rasa's tracker and lock stores, configured from our settings, against real SQLite and Redis."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import redis
from rasa.core.lock_store import InMemoryLockStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import PROJECT_ROOT
from bot.storage.conversation_locks import RedisLeaseLockStore
from bot.storage.rasa_stores import CouncilLockStore, CouncilTrackerStore
from tests.support.redis_server import ThrowawayRedis


def test_tracker_store_keeps_conversations_in_the_configured_database(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'trackers.db'}")
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    store = CouncilTrackerStore(domain=domain)
    tracker = DialogueStateTracker.from_events("resident-7", [ActionExecuted("action_listen"), UserUttered("hello")])
    asyncio.run(store.save(tracker))
    assert (tmp_path / "trackers.db").exists()

    again = asyncio.run(CouncilTrackerStore(domain=domain).retrieve("resident-7"))
    assert again is not None and again.latest_message.text == "hello"


@pytest.fixture
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture
def tracker_db(tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "trackers.db"
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{path}")
    return path


def stored_rows(store: CouncilTrackerStore, sender_id: str) -> int:
    with store.session_scope() as session:
        return session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender_id).count()


def a_turn(text: str) -> list:
    return [UserUttered(text, {"name": "greet", "confidence": 0.9}), ActionExecuted("utter_greet"), ActionExecuted("action_listen")]


def test_each_turn_stores_only_its_new_events(tracker_db, domain):
    store = CouncilTrackerStore(domain=domain)
    tracker = DialogueStateTracker.from_events("resident-1", [ActionExecuted("action_listen")], domain.slots)
    for text in ("hello", "my bin", "thanks"):
        asyncio.run(store.save(tracker))
        tracker = asyncio.run(store.retrieve("resident-1"))
        for event in a_turn(text):
            tracker.update(event)
    asyncio.run(store.save(tracker))

    assert stored_rows(store, "resident-1") == len(tracker.events) == 10
    rebuilt = asyncio.run(CouncilTrackerStore(domain=domain).retrieve("resident-1"))
    assert [e.as_dict()["event"] for e in rebuilt.events] == [e.as_dict()["event"] for e in tracker.events]
    assert rebuilt.latest_message.text == "thanks"


def test_another_servers_turn_is_seen_not_the_remembered_tracker(tracker_db, domain):
    server_a, server_b = CouncilTrackerStore(domain=domain), CouncilTrackerStore(domain=domain)
    tracker = DialogueStateTracker.from_events("resident-2", [ActionExecuted("action_listen"), *a_turn("hello")], domain.slots)
    asyncio.run(server_a.save(tracker))
    assert asyncio.run(server_a.retrieve("resident-2")) is tracker  # unchanged: no rebuild

    # Server B handles the next message of the same conversation.
    on_b = asyncio.run(server_b.retrieve("resident-2"))
    for event in a_turn("my bin wasn't emptied"):
        on_b.update(event)
    asyncio.run(server_b.save(on_b))

    on_a = asyncio.run(server_a.retrieve("resident-2"))
    assert on_a is not tracker
    assert on_a.latest_message.text == "my bin wasn't emptied"
    assert stored_rows(server_a, "resident-2") == len(on_a.events) == 7


def test_within_one_hold_of_the_lock_the_database_is_asked_once(tracker_db, domain, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    server_a, server_b = CouncilTrackerStore(domain=domain), CouncilTrackerStore(domain=domain)
    locks = CouncilLockStore()
    tracker = DialogueStateTracker.from_events("resident-5", [ActionExecuted("action_listen"), *a_turn("hello")],
                                               domain.slots)
    asyncio.run(server_a.save(tracker))
    checks = []
    original = server_a._last_event_id
    monkeypatch.setattr(server_a, "_last_event_id", lambda *args: checks.append(1) or original(*args))

    async def turn(store: CouncilTrackerStore, text: str) -> DialogueStateTracker:
        async with locks.lock("resident-5"):
            await store.retrieve("resident-5")  # bot/rasa_retries.py's look for a repeated message id
            current = await store.retrieve("resident-5")  # Rasa's own
            for event in a_turn(text):
                current.update(event)
            await store.save(current)
            return current

    asyncio.run(turn(server_a, "my bin"))
    # The first retrieve of the hold asks; the second does not. (The save asks for the new highest
    # id on SQLite, which has no INSERT ... RETURNING here.)
    assert len(checks) == 2
    # Another replica's turn in between is still seen: each new hold checks again.
    asyncio.run(turn(server_b, "the blue one"))
    assert [e.text for e in asyncio.run(turn(server_a, "thanks")).events if isinstance(e, UserUttered)] == [
        "hello", "my bin", "the blue one", "thanks"]
    assert len(checks) == 4
    # Outside any hold (the HTTP API's reads), every retrieve checks.
    asyncio.run(server_a.retrieve("resident-5"))
    asyncio.run(server_a.retrieve("resident-5"))
    assert len(checks) == 6


def test_a_turn_that_failed_before_saving_is_not_handed_back(tracker_db, domain):
    store = CouncilTrackerStore(domain=domain)
    tracker = DialogueStateTracker.from_events("resident-3", [ActionExecuted("action_listen"), *a_turn("hello")], domain.slots)
    asyncio.run(store.save(tracker))
    # The turn changed the tracker, then failed: nothing of it was stored.
    tracker.update(SlotSet("location", "Mill Lane"))

    again = asyncio.run(store.retrieve("resident-3"))
    assert again is not tracker
    assert again.get_slot("location") is None
    assert len(again.events) == 4


def test_a_new_session_starts_from_the_database(tracker_db, domain):
    store = CouncilTrackerStore(domain=domain)
    tracker = DialogueStateTracker.from_events("resident-4", [ActionExecuted("action_listen"), *a_turn("hello")], domain.slots)
    asyncio.run(store.save(tracker))
    tracker = asyncio.run(store.retrieve("resident-4"))
    for event in [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"), *a_turn("back again")]:
        tracker.update(event)
    asyncio.run(store.save(tracker))

    latest = asyncio.run(store.retrieve("resident-4"))
    # Like Rasa's SQL store: only the latest session, all of it stored once.
    assert latest is not tracker
    assert [e.as_dict()["event"] for e in latest.events][:2] == ["session_started", "action"]
    assert latest.latest_message.text == "back again"
    assert stored_rows(store, "resident-4") == len(tracker.events)


def test_only_recent_conversations_are_kept_in_memory(tracker_db, domain, monkeypatch):
    store = CouncilTrackerStore(domain=domain)
    monkeypatch.setattr(store, "remembered_conversations", 3)
    for n in range(5):
        asyncio.run(store.save(DialogueStateTracker.from_events(f"resident-{n}", a_turn("hi"), domain.slots)))
    assert list(store._known) == ["resident-2", "resident-3", "resident-4"]
    # A forgotten conversation is rebuilt from the database.
    assert asyncio.run(store.retrieve("resident-0")).latest_message.text == "hi"


def test_lock_store_is_in_memory_without_redis(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert isinstance(CouncilLockStore()._inner, InMemoryLockStore)


@pytest.fixture
def redis_url(redis_server: ThrowawayRedis) -> str:
    """Database 1 of the module's throwaway redis-server, emptied for each test."""
    redis_server.flush()
    return f"redis://127.0.0.1:{redis_server.port}/1"


def test_redis_lock_store_is_shared_by_several_rasa_servers(redis_url, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_url)
    server_a, server_b = CouncilLockStore(), CouncilLockStore()
    assert isinstance(server_a._inner, RedisLeaseLockStore)
    order = []

    async def turn(server: CouncilLockStore, name: str, hold: float) -> None:
        async with server.lock("conversation-1"):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    async def scenario() -> None:
        first = asyncio.create_task(turn(server_a, "A", 0.2))
        await asyncio.sleep(0.05)  # A holds the lock; B, then A again, queue behind it in that order
        second = asyncio.create_task(turn(server_b, "B", 0.05))
        await asyncio.sleep(0.02)
        third = asyncio.create_task(turn(server_a, "A2", 0))
        await asyncio.gather(first, second, third)

    asyncio.run(scenario())
    assert order == ["A in", "A out", "B in", "B out", "A2 in", "A2 out"]
    # Released: nothing is left in Redis.
    assert not redis.Redis.from_url(redis_url).keys("*")


def test_a_dead_replicas_conversation_lock_lapses_within_the_lease(redis_url):
    client = redis.Redis.from_url(redis_url)
    dead = RedisLeaseLockStore(client, lease_seconds=0.5)
    alive = RedisLeaseLockStore(client, lease_seconds=0.5, renew_seconds=0.1)
    # What a replica killed mid-turn leaves: the ticket it was served, never renewed or given back.
    ticket, served = dead._issue(keys=[RedisLeaseLockStore.key("conversation-1")], args=[dead.lease_ms])
    assert served == 1

    async def scenario() -> float:
        started = time.monotonic()
        async with alive.lock("conversation-1"):
            return time.monotonic() - started

    waited = asyncio.run(scenario())
    assert 0.3 < waited < 1.5  # the lease, not Rasa's 60 s ticket lifetime


def test_a_live_turn_longer_than_the_lease_keeps_its_lock(redis_url):
    client = redis.Redis.from_url(redis_url)
    store = RedisLeaseLockStore(client, lease_seconds=0.3, renew_seconds=0.05)
    order = []

    async def turn(name: str, hold: float) -> None:
        async with store.lock("conversation-1"):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    async def scenario() -> None:
        slow = asyncio.create_task(turn("slow", 1.0))  # three leases long, renewed
        await asyncio.sleep(0.05)
        await asyncio.gather(slow, turn("next", 0))

    asyncio.run(scenario())
    assert order == ["slow in", "slow out", "next in", "next out"]

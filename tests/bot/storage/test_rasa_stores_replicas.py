"""Two Rasa replicas' tracker stores (which remember recent trackers in memory) on one PostgreSQL,
with the Redis lock store: a conversation whose turns land on either replica loses and doubles nothing.

Each "replica" is a CouncilTrackerStore and a CouncilLockStore of its own, as in two processes; a turn
is what Rasa's MessageProcessor does under the conversation's lock: retrieve, add events, save.
"""

from __future__ import annotations

import asyncio
import random
from typing import List

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import PROJECT_ROOT
from bot.storage.rasa_stores import CouncilLockStore, CouncilTrackerStore
from tests.support.postgres import new_database


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


def a_turn(text: str) -> list:
    return [UserUttered(text, {"name": "greet", "confidence": 0.9}), ActionExecuted("utter_greet"),
            ActionExecuted("action_listen")]


def said(tracker: DialogueStateTracker) -> List[str]:
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


async def test_turns_of_one_conversation_on_either_replica_are_all_kept_once_in_order(
        request, redis_server, domain, monkeypatch) -> None:
    redis_server.flush()
    monkeypatch.setenv("TRACKER_STORE_URL", new_database(request, "trackers"))
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    replicas = [(CouncilTrackerStore(domain=domain), CouncilLockStore()) for _ in range(2)]
    handled: List[str] = []  # in the order the lock let the turns in
    chooser = random.Random(14)

    async def turn(sender: str, text: str) -> None:
        store, locks = chooser.choice(replicas)  # whichever replica the balancer picked
        async with locks.lock(sender, wait_time_in_seconds=0.005):
            tracker = await store.retrieve(sender) or DialogueStateTracker.from_events(
                sender, [ActionExecuted("action_listen")], domain.slots)
            await asyncio.sleep(0.002)  # the turn's predictions and action calls
            for event in a_turn(text):
                tracker.update(event)
            await store.save(tracker)
            handled.append(text)

    senders = ("web-resident", "sms-resident")
    await asyncio.gather(*(turn(sender, f"{sender} {n}") for n in range(15) for sender in senders))
    for sender in senders:
        expected = [text for text in handled if text.startswith(sender)]
        assert len(expected) == 15
        for store, _locks in replicas:  # each replica, with its remembered trackers
            assert said(await store.retrieve(sender)) == expected
        fresh = CouncilTrackerStore(domain=domain)  # a third replica, starting now
        assert said(await fresh.retrieve(sender)) == expected


async def test_a_turn_in_flight_on_a_stopped_replica_is_not_half_kept(request, redis_server, domain,
                                                                        monkeypatch) -> None:
    redis_server.flush()
    monkeypatch.setenv("TRACKER_STORE_URL", new_database(request, "trackers"))
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    a, b = CouncilTrackerStore(domain=domain), CouncilTrackerStore(domain=domain)
    tracker = DialogueStateTracker.from_events("resident", [ActionExecuted("action_listen"), *a_turn("hello")],
                                               domain.slots)
    await a.save(tracker)
    # Replica A takes the next message and stops before saving: its events exist only in its memory.
    on_a = await a.retrieve("resident")
    for event in a_turn("my bin was missed"):
        on_a.update(event)
    # The message is sent again (a retry, or the resident) and replica B answers it.
    on_b = await b.retrieve("resident")
    assert said(on_b) == ["hello"]
    for event in a_turn("my bin was missed"):
        on_b.update(event)
    await b.save(on_b)
    assert said(await CouncilTrackerStore(domain=domain).retrieve("resident")) == ["hello", "my bin was missed"]


async def test_a_save_waiting_on_postgresql_leaves_the_event_loop_serving_other_conversations(
        request, domain, monkeypatch) -> None:
    # A statement that waits (for the network, a lock, the commit's flush to disk) runs on a
    # worker thread: on the event loop it would hold up every other conversation of the server.
    import threading

    from sqlalchemy import create_engine

    url = new_database(request, "trackers")
    monkeypatch.setenv("TRACKER_STORE_URL", url)
    store = CouncilTrackerStore(domain=domain)
    await store.save(DialogueStateTracker.from_events("resident", [ActionExecuted("action_listen")], domain.slots))
    tracker = await store.retrieve("resident")
    for event in a_turn("my bin was missed"):
        tracker.update(event)
    blocker = create_engine(url).connect()
    blocker.exec_driver_sql("BEGIN")
    blocker.exec_driver_sql("LOCK TABLE events IN EXCLUSIVE MODE")  # the insert waits for this
    release = threading.Timer(3.0, blocker.exec_driver_sql, ("COMMIT",))
    release.start()
    try:
        ticks = 0
        save = asyncio.ensure_future(store.save(tracker))
        while not save.done():
            await asyncio.sleep(0.05)  # another conversation's work, meanwhile
            ticks += 1
        await save
    finally:
        release.join()
        blocker.close()
    assert ticks >= 20  # the loop kept running through the three seconds' wait
    assert said(await CouncilTrackerStore(domain=domain).retrieve("resident")) == ["my bin was missed"]

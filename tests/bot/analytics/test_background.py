"""The background refresh of the analytics rollup (bot/analytics/background.py), on real SQLite databases."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import List

import pytest
from sqlalchemy import func, select, text

from bot import metrics
from bot.analytics.background import RollupRefresher
from bot.analytics.rollup import rebuild
from bot.storage.database import create_schema, make_engine
from bot.storage.schema import analytics_conversations, analytics_hours
from tests.support.analytics import Conversations

pytestmark = pytest.mark.asyncio
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def talk(tracker, residents: int, start: int = 0) -> None:  # type: ignore[no-untyped-def]
    chat = Conversations(tracker)
    for n in range(start, start + residents):
        sender = f"sms-{n:020d}"
        at = T0 + timedelta(minutes=7 * n)
        chat.session(sender, at)
        chat.says(sender, at, "report_pothole" if n % 3 else "bin_day_enquiry", 0.35 + (n % 6) / 10, channel="sms")
        chat.action(sender, at + timedelta(seconds=5), "action_bin_day" if n % 3 == 0 else "utter_ask_location")
        if n % 4 == 0:
            chat.escalate(sender, at + timedelta(seconds=9))


def table(engine, which, order) -> List[tuple]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*[c for c in which.c if c.name != "id"]).order_by(*order))]


def messages(engine) -> int:  # type: ignore[no-untyped-def]
    """Resident messages in the rollup (each test resident writes one)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(analytics_conversations.c.messages), 0))).scalar())


async def test_refreshes_when_due_and_goes_on_at_once_while_a_backlog_remains(tmp_path: Path, case_store) -> None:
    tracker = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    talk(tracker, 12)  # 12 x 5 or 6 events: more than one bounded refresh
    clock = Clock()
    refresher = RollupRefresher(case_store.engine, tracker, every_seconds=300, max_events=20, clock=clock)
    first = await refresher.maybe_refresh()
    assert first == 20 and refresher.due()  # bounded; the rest next round, not in five minutes
    while refresher.due():
        await refresher.maybe_refresh()
    assert messages(case_store.engine) == 12
    talk(tracker, 1, start=12)
    clock.now += 299
    assert await refresher.maybe_refresh() == 0 and messages(case_store.engine) == 12  # not due yet
    clock.now += 1
    assert await refresher.maybe_refresh() > 0 and messages(case_store.engine) == 13


async def test_zero_minutes_never_refreshes(tmp_path: Path, case_store) -> None:
    tracker = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    talk(tracker, 2)
    assert await RollupRefresher(case_store.engine, tracker, 0, 100).maybe_refresh() == 0
    assert messages(case_store.engine) == 0


async def test_a_failing_refresh_is_counted_logged_without_personal_data_and_tried_later(
        tmp_path: Path, case_store, caplog) -> None:
    tracker = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    with tracker.begin() as conn:  # an events table the rollup cannot read
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT)"))
        conn.execute(text("INSERT INTO events (sender_id) VALUES ('sms-07700900123')"))
    clock = Clock()
    refresher = RollupRefresher(case_store.engine, tracker, every_seconds=300, max_events=100, clock=clock)
    before = metrics.ANALYTICS_REFRESH_FAILURES._value.get()
    assert await refresher.maybe_refresh() == 0  # it did not raise
    assert metrics.ANALYTICS_REFRESH_FAILURES._value.get() == before + 1
    assert "Analytics refresh failed (OperationalError)" in caplog.text and "07700900123" not in caplog.text
    assert not refresher.due()  # not hammered every round
    clock.now += 300
    assert refresher.due()


async def test_two_workers_refreshing_at_once_count_every_event_once(tmp_path: Path) -> None:
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    database_url = f"sqlite:///{tmp_path / 'cases.db'}"
    create_schema(make_engine(database_url))
    talk(make_engine(tracker_url), 40)
    # Two worker processes: their own engines on the same databases, refreshing in parallel threads.
    workers = [RollupRefresher(make_engine(database_url), make_engine(tracker_url), 300, 15, clock=Clock())
               for _ in range(2)]
    for _ in range(100):
        if not any(w.due() for w in workers):
            break
        await asyncio.gather(*(w.maybe_refresh() for w in workers))
    assert not any(w.due() for w in workers)
    # The same rows as one refresh of everything into a database of its own.
    alone = make_engine(f"sqlite:///{tmp_path / 'alone.db'}")
    create_schema(alone)
    rebuild(alone, make_engine(tracker_url))
    shared = workers[0].engine
    assert messages(shared) == 40
    order = (analytics_conversations.c.resident, analytics_conversations.c.session_at)
    assert table(shared, analytics_conversations, order) == table(alone, analytics_conversations, order)
    order = (analytics_hours.c.hour, analytics_hours.c.channel)
    assert table(shared, analytics_hours, order) == table(alone, analytics_hours, order)

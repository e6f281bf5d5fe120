"""The delivery worker keeps the analytics rollup fresh (bot/analytics/background.py), and delivers whatever it does."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.analytics.background import RollupRefresher
from bot.storage.database import make_engine
from bot.storage.outbox import DELIVERED
from bot.storage.schema import analytics_conversations, outbox
from tests.support.analytics import Conversations
from tests.support.delivery import new_case

pytestmark = pytest.mark.asyncio
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


def delivered(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(outbox).where(outbox.c.state == DELIVERED)).scalar_one()


async def test_a_round_delivers_and_refreshes_the_rollup(case_store, make_worker, tmp_path: Path) -> None:
    tracker = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    chat = Conversations(tracker)
    chat.session("sms-" + "1" * 20, T0)
    chat.says("sms-" + "1" * 20, T0, "report_pothole", channel="sms")
    case_store.create(new_case(), "conv:1")
    worker = make_worker()
    worker.analytics = RollupRefresher(case_store.engine, tracker, 300, 20_000)
    done = await worker.run_once()
    assert done["claimed"] == 1 and delivered(case_store.engine) == 1
    assert done["analytics_events"] > 0
    with case_store.engine.connect() as conn:
        assert conn.execute(select(func.sum(analytics_conversations.c.messages))).scalar() == 1


async def test_a_failing_refresh_does_not_stop_deliveries(case_store, make_worker, tmp_path: Path) -> None:
    tracker = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    with tracker.begin() as conn:  # a tracker store the rollup cannot read
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT)"))
        conn.execute(text("INSERT INTO events (sender_id) VALUES ('x')"))
    case_store.create(new_case(), "conv:1")
    worker = make_worker()
    worker.analytics = RollupRefresher(case_store.engine, tracker, 300, 20_000)
    done = await worker.run_once()
    assert done["claimed"] == 1 and done["analytics_events"] == 0 and delivered(case_store.engine) == 1


@pytest.mark.parametrize("minutes, serving, refreshes", [("5", True, True), ("0", True, False), ("5", False, False)])
async def test_the_serving_worker_refreshes_every_analytics_refresh_minutes(
        minutes, serving, refreshes, monkeypatch, tmp_path: Path, sandbox) -> None:
    from bot.outbox.__main__ import build_worker
    from bot.settings import load_settings
    from tests.support.delivery import API_KEY, sandbox_routing

    monkeypatch.setenv("OPEN311_SANDBOX_URL", sandbox.url)
    monkeypatch.setenv("OPEN311_SANDBOX_API_KEY", API_KEY)
    settings = load_settings({"VAR_DIR": str(tmp_path), "ANALYTICS_REFRESH_MINUTES": minutes,
                              "ANALYTICS_REFRESH_EVENTS": "5000"})
    worker = build_worker(settings, sandbox_routing(sandbox.url), analytics=serving)
    try:
        assert (worker.analytics is not None) is refreshes
        if refreshes:
            assert (worker.analytics.every_seconds, worker.analytics.max_events) == (300, 5000)
    finally:
        await worker.close()

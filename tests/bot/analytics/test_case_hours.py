"""Cases counted per hour, channel and category in the rollup (rollup.refresh_case_hours), on real SQLite:
the figures are the same whatever the rollup has counted so far."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, List
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from bot.analytics import rollup
from bot.analytics.figures import Period, compute
from bot.cases.model import NewCase
from bot.storage.cases import CaseStore
from bot.storage.database import create_schema, make_engine
from bot.storage.schema import analytics_case_hours, cases

LONDON = ZoneInfo("Europe/London")
T0 = datetime(2026, 3, 28, 22, 0, tzinfo=timezone.utc)  # the clocks go forward in the night of 28-29 March
SPRING = Period(date(2026, 3, 20), date(2026, 4, 5), LONDON)


def make_cases(store: CaseStore, count: int) -> None:
    kinds = ["missed_bin", "pothole", "fly_tipping", "streetlight"]
    for n in range(count):
        made = store.create(NewCase(category=kinds[n % 4 if n % 3 else 0], conversation_id=f"web-{n:020d}",
                                    channel=("web", "sms", "rest")[n % 3]), idempotency_key=f"k{n}")
        with store.engine.begin() as conn:  # received over a few days, across the change to summer time
            conn.execute(update(cases).where(cases.c.id == made.id).values(created_at=T0 + timedelta(minutes=97 * n)))


def case_figures(engine: Any) -> List[Any]:
    return [(f.key, f.summary, f.rows) for f in compute(engine, SPRING) if f.key in ("cases", "categories",
                                                                                     "case_times")]


def counted(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(analytics_case_hours.c.cases), 0))).scalar())


def test_the_figures_are_the_same_before_during_and_after_counting(case_store: CaseStore) -> None:
    make_cases(case_store, 40)
    engine = case_store.engine
    before = case_figures(engine)  # nothing counted yet: every case read from the cases table
    assert sum(row[-1] for row in before[0][2]) == 40 and before[1][2][0][:2] == ["Missed bin collection", 20]
    for upto in (3, 17, 29, 40):
        # Counted up to the cases received a minute before "now": the rest is read from cases.
        now = T0 + timedelta(minutes=97 * (upto - 1), seconds=rollup.CASE_SETTLE_SECONDS)
        rollup.refresh_case_hours(engine, batch_size=7, now=now)
        assert counted(engine) == upto
        assert case_figures(engine) == before
    assert rollup.refresh_case_hours(engine) == 0  # each case is counted once


def test_a_case_is_counted_once_it_is_a_minute_old_and_in_the_figures_at_once(case_store: CaseStore) -> None:
    engine = case_store.engine
    case_store.create(NewCase(category="pothole", conversation_id="web-1", channel="web"), idempotency_key="k")
    assert rollup.refresh_case_hours(engine) == 0 and counted(engine) == 0
    today = datetime.now(LONDON).date()
    period = Period(today - timedelta(days=1), today + timedelta(days=1), LONDON)
    assert sum(row[-1] for row in compute(engine, period)[1].rows) == 1  # cases per day: read from cases
    later = datetime.now(timezone.utc) + timedelta(seconds=rollup.CASE_SETTLE_SECONDS + 1)
    assert rollup.refresh_case_hours(engine, now=later) == 1
    assert sum(row[-1] for row in compute(engine, period)[1].rows) == 1


def test_two_refreshes_at_once_count_every_case_once(tmp_path: Path, case_store: CaseStore) -> None:
    make_cases(case_store, 60)
    url = str(case_store.engine.url)
    engines = [make_engine(url) for _ in range(2)]
    threads = [threading.Thread(target=rollup.refresh_case_hours, args=(e,), kwargs={"batch_size": 5})
               for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rollup.refresh_case_hours(case_store.engine)  # whatever the one overtaken left
    assert counted(case_store.engine) == 60


def test_rebuild_counts_the_cases_again(tmp_path: Path, case_store: CaseStore) -> None:
    make_cases(case_store, 10)
    tracker = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    rollup.update(case_store.engine, tracker)
    rollup.rebuild(case_store.engine, tracker)
    assert counted(case_store.engine) == 10


def test_the_case_after_an_erased_one_is_counted_though_sqlite_gives_it_the_same_id(case_store: CaseStore) -> None:
    make_cases(case_store, 3)
    engine = case_store.engine
    assert rollup.refresh_case_hours(engine) == 3
    with engine.connect() as conn:
        newest = conn.execute(select(func.max(cases.c.id))).scalar()
    case_store.erase([newest])  # the resident asked for their data to be erased
    make_cases_at = T0 + timedelta(days=2)
    made = case_store.create(NewCase(category="pothole", conversation_id="web-9", channel="sms"), idempotency_key="n")
    with engine.begin() as conn:
        conn.execute(update(cases).where(cases.c.id == made.id).values(created_at=make_cases_at))
    assert made.id == newest  # SQLite reuses the highest id
    assert rollup.refresh_case_hours(engine) == 1
    assert counted(engine) == 4  # the erased case stays counted, as its conversation does
    rows = {row[0]: row[1:] for row in case_figures(engine)[0][2]}
    assert rows["2026-03-30"][1] == 1  # the new case, by SMS, on its day

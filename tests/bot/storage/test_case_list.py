"""The console's case queries (bot/storage/case_list.py) on a real SQLite database."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Optional
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import and_, func, select, true, update

from bot.cases.model import NewCase
from bot.storage.case_list import SORTS, CaseFilter, case_record, coordinates, list_cases
from bot.storage.cases import CaseStore
from bot.storage.database import create_schema, make_engine
from bot.storage.schema import cases
from tests.support.postgres import module_cluster, new_database, ThrowawayPostgres


@pytest.fixture(scope="module")
def postgres() -> Iterator[Optional[ThrowawayPostgres]]:
    yield from module_cluster()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> CaseStore:
    """The case store on SQLite and on PostgreSQL (whose collation may order "AN1 4GT" differently)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cases.db'}"
    else:
        url = new_database(request, "cases")
    engine = make_engine(url)
    create_schema(engine)
    return CaseStore(engine)


def _case(store, key: str, created: datetime, **fields):  # type: ignore[no-untyped-def]
    values = dict(category="pothole", conversation_id=f"conv-{key}", channel="web")
    values.update(fields)
    made = store.create(NewCase(**values), idempotency_key=key)
    with store.engine.begin() as conn:
        conn.execute(update(cases).where(cases.c.id == made.id).values(created_at=created, updated_at=created))
    return store.get(made.id)


def refs(page) -> list:  # type: ignore[no-untyped-def]
    return [row.reference for row in page.rows]


def test_a_district_is_its_own_postcodes_not_a_prefix(any_store) -> None:
    case_store = any_store
    moment = datetime(2026, 3, 1, tzinfo=timezone.utc)
    an1 = _case(case_store, "a", moment, postcode="AN1 4GT")
    an12 = _case(case_store, "b", moment, postcode="AN12 3XY")
    assert refs(list_cases(case_store.engine, CaseFilter.parse({"district": "an1"}))) == [an1.reference]
    assert refs(list_cases(case_store.engine, CaseFilter.parse({"district": "AN12"}))) == [an12.reference]


def test_dates_are_the_councils_days(any_store) -> None:
    case_store = any_store
    # 23:30 UTC on 31 May is 00:30 on 1 June in London (BST): a June case there.
    late = _case(case_store, "late", datetime(2026, 5, 31, 23, 30, tzinfo=timezone.utc))
    london = ZoneInfo("Europe/London")
    june = CaseFilter.parse({"from": "2026-06-01", "to": "2026-06-30"})
    may = CaseFilter.parse({"from": "2026-05-01", "to": "2026-05-31"})
    assert refs(list_cases(case_store.engine, june, london)) == [late.reference]
    assert refs(list_cases(case_store.engine, may, london)) == []


def test_filters_combine_sort_and_page(any_store) -> None:
    case_store = any_store
    made = [_case(case_store, f"c{n}", datetime(2026, 1, 1 + n, tzinfo=timezone.utc),
                  channel="sms" if n % 2 else "web") for n in range(7)]
    case_store.flag_for_attention(made[3].id, "refused")
    texted = CaseFilter.parse({"channel": "sms"})
    assert refs(list_cases(case_store.engine, texted)) == [made[5].reference, made[3].reference, made[1].reference]
    oldest = CaseFilter.parse({"channel": "sms", "sort": "oldest"})
    assert refs(list_cases(case_store.engine, oldest))[0] == made[1].reference
    assert refs(list_cases(case_store.engine, CaseFilter.parse({"channel": "sms", "flagged": "1"}))) == [made[3].reference]
    second = list_cases(case_store.engine, CaseFilter.parse({"page": "2"}), page_size=3)
    assert (second.total, second.pages, refs(second)) == (7, 3, [m.reference for m in made[3::-1][:3]])
    beyond = list_cases(case_store.engine, CaseFilter.parse({"page": "99"}), page_size=3)
    assert beyond.page == 3 and refs(beyond) == [made[0].reference]
    assert list_cases(case_store.engine, texted).rows[0].delivery_state == "pending"


@pytest.mark.parametrize("args, problem", [
    ({"from": "yesterday"}, "From must be a date"),
    ({"district": "<script>"}, "postcode district"),
    ({"status": "lost"}, "unknown status"),
])
def test_unusable_filters_are_dropped_and_named(args, problem) -> None:  # type: ignore[no-untyped-def]
    wanted = CaseFilter.parse(args)
    assert any(problem in p for p in wanted.problems)
    assert wanted.conditions() == []
    assert CaseFilter.parse({"sort": "id; drop table cases", "page": "x"}).sort == "newest"


@pytest.mark.parametrize("args", [
    {"status": "open"}, {"category": "pothole", "district": "AN3"}, {"flagged": "1"},
    {"channel": "sms", "from": "2026-03-01"}, {"backoffice": "highways", "status": "closed", "sort": "oldest"},
    {"status": "closed", "category": "missed_bin", "backoffice": "waste", "channel": "web", "district": "AN1"},
])
def test_every_filter_is_answered_from_an_index(case_store, args) -> None:  # type: ignore[no-untyped-def]
    """No filtered list or count reads the whole table (benchmarks/cases.py measures the time)."""
    wanted = CaseFilter.parse(args)
    where = and_(true(), *wanted.conditions())
    for query in (select(func.count()).select_from(cases).where(where),
                  select(cases.c.id).where(where).order_by(*SORTS[wanted.sort]).limit(50)):
        sql = str(query.compile(case_store.engine, compile_kwargs={"literal_binds": True}))
        with case_store.engine.connect() as conn:
            plan = " / ".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        assert "INDEX ix_cases_list_" in plan, plan


def test_a_case_record_has_history_delivery_notes_and_sane_coordinates(case_store) -> None:
    made = _case(case_store, "rec", datetime(2026, 1, 1, tzinfo=timezone.utc), latitude="51.5", longitude="-0.1")
    case_store.add_note(made.id, None, "Rang the resident")
    record = case_record(case_store.engine, made.id)
    assert record is not None and [h["status"] for h in record.history] == ["received"]
    assert record.delivery["state"] == "pending" and record.notes[0]["text"] == "Rang the resident"
    assert coordinates(record.case) == (51.5, -0.1)
    assert coordinates(_case(case_store, "bad", datetime(2026, 1, 1, tzinfo=timezone.utc), latitude="95",
                             longitude="0")) is None
    assert case_record(case_store.engine, 10_000) is None

"""The analytics rollup (bot/analytics/rollup.py): incremental, one row per Rasa session with a resident message."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import delete, select

from bot.analytics.rollup import rebuild, refresh, resident_key
from bot.storage.cases import CaseStore
from bot.storage.database import make_engine
from bot.storage.schema import analytics_conversations as rollup
from tests.support.analytics import EVENTS, Conversations

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
SENDER = "sms-" + "c" * 20


def rows(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(rollup).order_by(rollup.c.session_at)).mappings()]


def hours(engine):  # type: ignore[no-untyped-def]
    from bot.storage.schema import analytics_hours

    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(analytics_hours).order_by(analytics_hours.c.hour)).mappings()]


def test_each_session_is_one_row_and_nothing_personal_is_kept(tmp_path: Path, case_store: CaseStore) -> None:
    tracker = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    talk = Conversations(tracker)
    talk.session(SENDER, T0)
    talk.says(SENDER, T0, "report_pothole", 0.81, text="pothole outside 12 Mill Lane", channel="sms")
    talk.session(SENDER, T0 + timedelta(days=2))
    talk.says(SENDER, T0 + timedelta(days=2), "greet", 0.99, channel="sms")
    read, caught_up = refresh(case_store.engine, tracker)
    assert caught_up and read > 0
    first, second = rows(case_store.engine)
    assert first["channel"] == second["channel"] == "sms"
    assert first["resident"] == second["resident"] == resident_key(SENDER) != SENDER
    assert (first["messages"], first["confidence_8"], first["topic"], first["topics"]) == (1, 1, "pothole", "|pothole|")
    assert second["topic"] is None and second["started_at"] == (T0 + timedelta(days=2)).timestamp()
    stored = " ".join(str(v) for r in rows(case_store.engine) for v in r.values())
    assert "Mill Lane" not in stored and SENDER not in stored


def test_refreshing_in_pieces_gives_the_same_rows_as_at_once(tmp_path: Path, case_store: CaseStore) -> None:
    tracker = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    talk = Conversations(tracker)
    other = CaseStore(make_engine(f"sqlite:///{tmp_path / 'other.db'}"))
    from bot.storage.database import create_schema

    create_schema(other.engine)
    talk.session(SENDER, T0)
    refresh(case_store.engine, tracker)  # a session started, nobody wrote yet
    talk.says(SENDER, T0 + timedelta(seconds=3), "bin_day_enquiry", channel="sms")
    refresh(case_store.engine, tracker)
    talk.action(SENDER, T0 + timedelta(seconds=4), "action_bin_day")
    talk.escalate(SENDER, T0 + timedelta(seconds=5))
    refresh(case_store.engine, tracker, max_events=1)  # part of the new events only
    talk.staff_reply(SENDER, T0 + timedelta(minutes=4), hand_back=True)
    refresh(case_store.engine, tracker)
    refresh(other.engine, tracker)
    pieces, at_once = rows(case_store.engine), rows(other.engine)
    for row in pieces + at_once:
        row.pop("id")
    assert pieces == at_once and len(pieces) == 1
    hourly = [hours(case_store.engine), hours(other.engine)]
    assert hourly[0] == hourly[1] and len(hourly[0]) == 1
    assert hourly[0][0]["conversations"] == 1 and hourly[0][0]["escalated"] == 1 and hourly[0][0]["served"] == 0
    only = pieces[0]
    assert (only["answers"], only["topic"], only["messages"]) == (1, "bin_day", 1)
    assert only["first_staff_reply_at"] - only["escalated_at"] == 235


def test_events_removed_by_retention_do_not_hide_newer_ones(tmp_path: Path, case_store: CaseStore) -> None:
    tracker = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    talk = Conversations(tracker)
    talk.session(SENDER, T0)
    talk.says(SENDER, T0, "greet")
    refresh(case_store.engine, tracker)
    with tracker.begin() as conn:  # erasure: SQLite then reuses the highest ids
        conn.execute(delete(EVENTS))
    other = "d" * 32
    talk.session(other, T0 + timedelta(days=1))
    talk.says(other, T0 + timedelta(days=1), "greet", channel="web")
    refresh(case_store.engine, tracker)
    assert [r["channel"] for r in rows(case_store.engine)] == ["sms", "web"]
    # And a rebuild summarises what the tracker holds now.
    rebuild(case_store.engine, tracker)
    assert [r["channel"] for r in rows(case_store.engine)] == ["web"]


def test_no_tracker_table_yet_is_nothing_to_do(tmp_path: Path, case_store: CaseStore) -> None:
    assert refresh(case_store.engine, make_engine(f"sqlite:///{tmp_path / 'empty.db'}")) == (0, True)


def test_a_refresh_that_was_overtaken_folds_nothing_twice(tmp_path: Path, case_store: CaseStore, monkeypatch) -> None:
    tracker = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    talk = Conversations(tracker)
    talk.session(SENDER, T0)
    talk.says(SENDER, T0, "greet")
    refresh(case_store.engine, tracker)
    # A second refresh that read the watermark before the first one moved it.
    from bot.analytics import rollup as module

    monkeypatch.setattr(module, "_watermark", lambda engine: (0, 0))
    assert refresh(case_store.engine, tracker) == (0, False)
    assert [r["messages"] for r in rows(case_store.engine)] == [1]


def test_erasure_unlinks_the_rows_from_the_resident_and_keeps_the_counts(tmp_path: Path,
                                                                        case_store: CaseStore) -> None:
    from bot.analytics.rollup import forget

    tracker = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    talk = Conversations(tracker)
    for day in (0, 2):
        talk.session(SENDER, T0 + timedelta(days=day))
        talk.says(SENDER, T0 + timedelta(days=day), "greet")
    talk.session("e" * 32, T0)
    talk.says("e" * 32, T0, "greet")
    refresh(case_store.engine, tracker)
    assert forget(case_store.engine, [SENDER], dry_run=True) == 2
    assert forget(case_store.engine, [SENDER]) == 2
    residents = [r["resident"] for r in rows(case_store.engine)]
    assert resident_key(SENDER) not in residents and len(set(residents)) == 3
    assert resident_key("e" * 32) in residents and sum(r["messages"] for r in rows(case_store.engine)) == 3
    assert forget(case_store.engine, [SENDER]) == 0


def test_case_times_are_read_incrementally_and_only_the_first_acceptance_and_closure_count(
        case_store: CaseStore) -> None:
    from bot.analytics.rollup import refresh_cases
    from bot.cases.model import IN_PROGRESS, NewCase, OPEN, CLOSED, SENT
    from bot.storage.schema import analytics_cases, case_updates, cases

    made = case_store.create(NewCase(category="pothole", conversation_id="a" * 32, channel="web"), "k1")
    received = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)

    def status(name: str, after: timedelta) -> None:
        with case_store.engine.begin() as conn:
            conn.execute(case_updates.insert().values(case_id=made.id, status=name, source="bo",
                                                      created_at=received + after))

    with case_store.engine.begin() as conn:
        conn.execute(cases.update().where(cases.c.id == made.id).values(created_at=received))
        conn.execute(case_updates.delete())
    status(SENT, timedelta(seconds=5))
    refresh_cases(case_store.engine)
    status(IN_PROGRESS, timedelta(hours=2))  # accepted straight into progress
    status(OPEN, timedelta(hours=3))
    refresh_cases(case_store.engine)
    status(CLOSED, timedelta(days=2))
    assert refresh_cases(case_store.engine) == 1 and refresh_cases(case_store.engine) == 0
    with case_store.engine.connect() as conn:
        row = conn.execute(select(analytics_cases)).mappings().one()
    assert (row["category"], row["accepted_after"], row["closed_after"]) == ("pothole", 7200, 172800)

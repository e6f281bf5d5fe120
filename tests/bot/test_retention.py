"""Retention: personal data past its period is removed; everything else is untouched."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import select, update

from bot.cases.model import CLOSED, OPEN
from bot.retention import RetentionPolicy, apply_retention, main
from bot.settings import PROJECT_ROOT
from bot.storage.database import make_engine
from bot.storage.rasa_stores import CouncilTrackerStore
from bot.storage.schema import (
    cases,
    escalation_notes,
    escalations,
    notifications,
    sms_conversations,
    sms_messages,
    sms_suppressions,
    staff,
)
from tests.support.delivery import new_case

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
POLICY = RetentionPolicy(conversation_days=365, closed_case_days=730)
LONG_AGO, RECENTLY = NOW - timedelta(days=800), NOW - timedelta(days=10)


def a_conversation(store: CouncilTrackerStore, sender: str, when: datetime) -> None:
    tracker = DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_listen", timestamp=when.timestamp()),
        UserUttered("my bin at 14 Foxglove Way", {"name": "report_missed_bin", "confidence": 0.9},
                    timestamp=when.timestamp()),
    ])
    asyncio.run(store.save(tracker))


@pytest.fixture
def world(case_store, tmp_path: Path, monkeypatch):
    """Old and recent data of every kind retention looks at."""
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    trackers = CouncilTrackerStore(domain=Domain.load(str(PROJECT_ROOT / "domain.yml")))
    a_conversation(trackers, "old-conversation", LONG_AGO)
    a_conversation(trackers, "recent-conversation", RECENTLY)

    uploads = tmp_path / "uploads"
    uploads.mkdir()
    engine = case_store.engine
    old_closed = case_store.create(new_case("old-conversation", media_urls=["https://web/chat/uploads/old-case.jpg"],
                                            usrn="38000001", place_latitude="52.2", place_longitude="-1.4",
                                            place_note="Please check where it is."), "k1")
    recent_closed = case_store.create(new_case("recent-conversation"), "k2")
    old_open = case_store.create(new_case("sms-+447700900003", channel="twilio",
                                          media_urls=["https://web/chat/uploads/open-case.jpg"]), "k3")
    a_conversation(trackers, "sms-+447700900003", LONG_AGO)  # quiet for years, but its case is still open
    with engine.begin() as conn:
        conn.execute(update(cases).where(cases.c.id == old_closed.id).values(status=CLOSED, updated_at=LONG_AGO))
        conn.execute(update(cases).where(cases.c.id == recent_closed.id).values(status=CLOSED, updated_at=RECENTLY))
        conn.execute(update(cases).where(cases.c.id == old_open.id).values(status=OPEN, updated_at=LONG_AGO))
        conn.execute(notifications.insert().values(case_id=old_closed.id, kind="closed", channel="rest", state="sent",
                                                   created_at=LONG_AGO, text=f"Your report {old_closed.reference}"))
        for phone, when in (("+447700900001", LONG_AGO), ("+447700900002", RECENTLY), ("+447700900003", LONG_AGO)):
            conn.execute(sms_conversations.insert().values(phone=phone, conversation_id=f"sms-{phone}", options=[],
                                                           created_at=when, updated_at=when))
            conn.execute(sms_messages.insert().values(direction="inbound", conversation_id=f"sms-{phone}",
                                                      status="processed", status_rank=3, body="I live at 9 Elm Close",
                                                      media=["https://bot/webhooks/sms/media/x.jpg"],
                                                      created_at=when, updated_at=when))
        conn.execute(sms_suppressions.insert().values(phone="+447700900001", keyword="STOP", source="resident",
                                                      created_at=LONG_AGO))
        staff_id = conn.execute(staff.insert().values(
            email="agent@council.gov.uk", display_name="Agent", role="agent", password_hash="argon2-hash",
            active=True, failed_sign_ins=0, created_at=LONG_AGO, updated_at=LONG_AGO)).inserted_primary_key[0]
        for name, ended in (("old", LONG_AGO), ("recent", RECENTLY), ("open", None)):
            escalation = conn.execute(escalations.insert().values(
                conversation_id=f"{name}-escalation", channel="twilio", reason="talk_to_human", priority="normal",
                state="closed" if ended else "waiting", trigger_text="call me on 07700 900123",
                phone="+447700900123", created_at=LONG_AGO, ended_at=ended, updated_at=LONG_AGO,
                draft={"location": "12 Mill Lane", "contact_phone": "07700 900123"},
            )).inserted_primary_key[0]
            conn.execute(escalation_notes.insert().values(escalation_id=escalation, staff_id=staff_id,
                                                          text="Resident is Mrs Smith", created_at=LONG_AGO))
    for name, when in (("old-case.jpg", RECENTLY), ("open-case.jpg", LONG_AGO), ("orphan-old.jpg", LONG_AGO),
                       ("orphan-recent.jpg", RECENTLY)):
        (uploads / name).write_bytes(b"photo")
        os.utime(uploads / name, (when.timestamp(), when.timestamp()))
    return {"engine": engine, "tracker_engine": make_engine(f"sqlite:///{tmp_path / 'tracker.db'}"),
            "uploads": uploads, "cases": (old_closed, recent_closed, old_open), "trackers": trackers}


def run(world, dry_run: bool = False):
    return apply_retention(world["engine"], world["tracker_engine"], [world["uploads"]], POLICY, now=NOW,
                           dry_run=dry_run)


def test_what_is_past_its_period_is_removed_and_nothing_else(world):
    report = run(world)
    assert report.counts == {"conversations": 1, "sms texts": 2, "sms number links": 1, "escalation notes": 1,
                             "escalation texts": 1, "closed cases anonymised": 1, "photos": 2}

    trackers = world["trackers"]
    assert asyncio.run(trackers.retrieve("old-conversation")) is None
    assert asyncio.run(trackers.retrieve("recent-conversation")).latest_message.text == "my bin at 14 Foxglove Way"
    assert asyncio.run(trackers.retrieve("sms-+447700900003")) is not None, "its case is still open"

    engine = world["engine"]
    old_closed, recent_closed, old_open = world["cases"]
    with engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(cases))}
        anonymised = rows[old_closed.id]
        assert (anonymised.reference, anonymised.category, anonymised.status) == (old_closed.reference, "pothole", CLOSED)
        assert anonymised.postcode == "AN1"
        assert all(getattr(anonymised, c) is None for c in ("description", "location_text", "contact_phone",
                                                             "contact_email", "latitude", "longitude", "usrn",
                                                             "place_latitude", "place_longitude", "place_note"))
        assert anonymised.details == {} and anonymised.media_urls == []
        for kept in (recent_closed, old_open):  # recently closed, or still open however old: untouched
            assert rows[kept.id].contact_phone == "07700 900123" and rows[kept.id].description
        assert conn.execute(select(notifications.c.text)).scalar() is None

        texts = dict(conn.execute(select(sms_messages.c.conversation_id, sms_messages.c.body)).all())
        assert texts == {"sms-+447700900001": None, "sms-+447700900002": "I live at 9 Elm Close",
                         "sms-+447700900003": None}
        # The number with an open case stays linked to its conversation, to be told when it closes.
        linked = sorted(p for (p,) in conn.execute(select(sms_conversations.c.phone)))
        assert linked == ["+447700900002", "+447700900003"]
        assert [p for (p,) in conn.execute(select(sms_suppressions.c.phone))] == ["+447700900001"], "STOP kept"

        by_name = {r.conversation_id: r for r in conn.execute(select(escalations))}
        assert by_name["old-escalation"].trigger_text is None and by_name["old-escalation"].phone is None
        assert by_name["old-escalation"].draft is None and by_name["recent-escalation"].draft  # the report it kept
        assert by_name["recent-escalation"].trigger_text and by_name["open-escalation"].phone
        noted = {n.escalation_id for n in conn.execute(select(escalation_notes))}
        assert noted == {by_name["recent-escalation"].id, by_name["open-escalation"].id}

    assert sorted(p.name for p in world["uploads"].iterdir()) == ["open-case.jpg", "orphan-recent.jpg"]


def test_running_again_removes_nothing_more(world):
    run(world)
    assert sum(run(world).counts.values()) == 0


def test_a_dry_run_counts_but_changes_nothing(world):
    counted = run(world, dry_run=True)
    assert counted.counts["conversations"] == 1 and counted.counts["closed cases anonymised"] == 1
    assert counted.counts["photos"] == 2
    assert asyncio.run(world["trackers"].retrieve("old-conversation")) is not None
    assert len(list(world["uploads"].iterdir())) == 4
    with world["engine"].connect() as conn:
        assert conn.execute(select(sms_messages.c.body).where(sms_messages.c.body.is_not(None))).all() != []
    assert run(world).counts == counted.counts


def test_the_command_prints_what_it_removed(world, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", str(world["engine"].url))
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    assert main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Would remove: ") and "conversations: 1" in out and "closed cases anonymised: 1" in out
    assert asyncio.run(world["trackers"].retrieve("old-conversation")) is not None, "a dry run removes nothing"


async def test_the_daily_round_survives_a_failing_run_and_stops_when_asked():
    from bot.retention import RetentionReport, run_daily

    calls = []

    def flaky() -> RetentionReport:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("database is locked")
        return RetentionReport({"conversations": 0})

    stop = asyncio.Event()
    task = asyncio.create_task(run_daily(stop, flaky, every_seconds=0.01))
    while len(calls) < 3:
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=2)
    assert len(calls) >= 3

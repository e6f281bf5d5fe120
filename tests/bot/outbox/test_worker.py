"""The delivery worker against the real sandbox back office and a real SQLite database."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions import services
from actions.cases import describe
from actions.reports import ActionFinishReport
from bot.cases.model import CLOSED, IN_PROGRESS, OPEN, RECEIVED, SENT
from bot.outbox.lock import WorkerLock, lock_path_for
from bot.outbox.notify import RasaNotifier
from bot.storage.outbox import DELIVERED, FAILED, PENDING
from bot.settings import PROJECT_ROOT
from bot.storage.schema import cases, notifications, outbox
from tests.conftest import user_event
from tests.support.delivery import new_case

pytestmark = pytest.mark.asyncio


async def run_for(worker, clock, seconds: float, step: float = 5.0) -> None:
    """Simulate ``seconds`` of the worker's life without sleeping."""
    elapsed = 0.0
    while elapsed < seconds:
        await worker.run_once()
        clock.advance(step)
        elapsed += step


# ----- the action side: one transaction, idempotent ---------------------------------
async def test_finishing_a_report_twice_gives_one_case_and_one_outbox_row(environment, make_tracker):
    slots = {
        "report_confirmed": True, "report_category": "pothole", "location": "Mill Lane",
        "defect_surface": "road", "defect_size": "big", "defect_danger": False, "description": "A deep hole",
        "contact_consent": False,
    }
    tracker = make_tracker(user_event("yes", intent="affirm", message_id="msg-42"), slots=slots)
    action = ActionFinishReport()
    for _ in range(2):  # Rasa retried the action, or the confirmation was replayed
        await action.run(CollectingDispatcher(), tracker, {})
    engine = services.case_store().engine
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cases)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == 1
        row = conn.execute(select(outbox)).mappings().one()
    assert row["state"] == PENDING and row["attempts"] == 0


# ----- delivery ------------------------------------------------------------------------
async def test_a_case_is_delivered_once_with_its_reference_and_the_back_office_id(case_store, make_worker, sandbox):
    case = case_store.create(new_case(), "conv:1")
    worker = make_worker()
    await worker.run_once()
    await worker.run_once()

    stored = sandbox.requests_for(case.reference)
    assert len(stored) == 1
    request = stored[0]
    assert request["service_code"] == "HW_POTHOLE"
    assert request["attributes"] == {
        "surface": "road", "size": "like a dinner plate", "immediate_danger": "True", "council_reference": case.reference,
    }
    assert request["description"].endswith(f"Reference: {case.reference}")
    assert request["contact"] == {"email": "resident@example.com", "phone": "07700 900123"}
    after = case_store.get(case.id)
    assert after.status == SENT
    assert after.backoffice == "highways"
    assert after.backoffice_reference == request["service_request_id"]
    assert [h["status"] for h in case_store.history(case.id)] == [RECEIVED, SENT]
    assert worker.store.row(case.id)["state"] == DELIVERED


async def test_no_contact_details_are_sent_without_consent(case_store, make_worker, sandbox):
    case = case_store.create(new_case(contact_consent=False, contact_phone=None, contact_email=None), "conv:1")
    await make_worker().run_once()
    assert sandbox.requests_for(case.reference)[0]["contact"] == {"email": None, "phone": None}


async def test_back_office_down_for_ten_simulated_minutes_then_delivered_once(case_store, make_worker, sandbox, clock):
    await sandbox.stop()  # really down: connections are refused
    case = case_store.create(new_case(), "conv:1")
    worker = make_worker(OUTBOX_MAX_ATTEMPTS="50")
    await run_for(worker, clock, 600)

    row = worker.store.row(case.id)
    assert row["state"] == PENDING
    assert row["attempts"] >= 5  # it kept trying, backing off
    assert "cannot connect" in row["last_error"]
    assert case_store.get(case.id).status == RECEIVED
    assert not case_store.get(case.id).needs_attention

    await sandbox.start()
    await run_for(worker, clock, 900)  # at most the longest back-off later
    assert len(sandbox.requests_for(case.reference)) == 1
    assert worker.store.row(case.id)["state"] == DELIVERED
    assert case_store.get(case.id).status in (SENT, OPEN)  # OPEN once a status poll has run


async def test_after_recovery_waiting_cases_do_not_sit_out_their_backoff(case_store, make_worker, sandbox, clock):
    await sandbox.stop()
    made = [case_store.create(new_case(), f"conv:{n}") for n in range(20)]
    waste = case_store.create(new_case(category="missed_bin", details={}), "conv:waste")
    worker = make_worker(OUTBOX_MAX_ATTEMPTS="50", OUTBOX_BATCH_SIZE="5")
    await run_for(worker, clock, 600)
    await sandbox.start()
    await run_for(worker, clock, 60, step=1)  # the longest back-off by now is several minutes
    assert all(len(sandbox.requests_for(c.reference)) == 1 for c in made + [waste])


async def test_backoff_grows_with_jitter_and_stops_at_the_cap(case_store, make_worker, sandbox, clock):
    await sandbox.stop()
    case = case_store.create(new_case(), "conv:1")
    worker = make_worker(OUTBOX_MAX_ATTEMPTS="50", OUTBOX_BACKOFF_SECONDS="10", OUTBOX_BACKOFF_MAX_SECONDS="60")
    gaps = []
    for _ in range(7):
        before = clock.now
        await worker.deliver_due()
        due = worker.store.row(case.id)["next_attempt_at"]
        gaps.append((due.replace(tzinfo=before.tzinfo) - before).total_seconds())
        clock.now = due.replace(tzinfo=before.tzinfo)
    assert 5 <= gaps[0] <= 10 and 10 <= gaps[1] <= 20 and 20 <= gaps[2] <= 40
    assert all(30 <= gap <= 60 for gap in gaps[3:])


async def test_repeated_failures_flag_the_case_with_count_and_reason_and_retries_continue(
    case_store, make_worker, sandbox, clock
):
    await sandbox.stop()
    case = case_store.create(new_case(), "conv:1")
    worker = make_worker(OUTBOX_MAX_ATTEMPTS="3")
    await run_for(worker, clock, 120)
    flagged = case_store.get(case.id)
    assert flagged.needs_attention
    assert "failed 3 times" in flagged.attention_reason and "cannot connect to highways" in flagged.attention_reason
    assert worker.store.row(case.id)["state"] == PENDING  # not given up
    log = worker.store.row(case.id)["attempt_log"]  # each attempt and its error, for the case page
    assert [e["attempt"] for e in log][:3] == [1, 2, 3] and all(e["outcome"] == "failed" for e in log)
    assert all("cannot connect to highways" in e["error"] for e in log)

    await sandbox.start()
    await run_for(worker, clock, 900)
    assert len(sandbox.requests_for(case.reference)) == 1
    # Delivered after all: the flag clears by itself, and what it said stays as a note.
    delivered = case_store.get(case.id)
    assert not delivered.needs_attention and delivered.attention_reason is None
    assert any("flag was cleared" in note["text"] and "failed 3 times" in note["text"]
               for note in case_store.export([case.id])[0]["staff_notes"])


async def test_stored_then_timed_out_is_found_by_reference_not_sent_again(case_store, make_worker, sandbox, clock):
    sandbox.sandbox.modes.accept_then_timeout = True
    sandbox.sandbox.modes.hang_seconds = 2.0
    case = case_store.create(new_case(), "conv:1")
    worker = make_worker(timeout=0.5)
    await worker.deliver_due()
    row = worker.store.row(case.id)
    assert row["state"] == PENDING and "did not answer" in row["last_error"]
    assert len(sandbox.requests_for(case.reference)) == 1  # it did arrive

    sandbox.sandbox.modes.accept_then_timeout = False
    clock.advance(60)
    await worker.deliver_due()
    stored = sandbox.requests_for(case.reference)
    assert len(stored) == 1 and sandbox.sandbox.post_count == 1
    assert case_store.get(case.id).backoffice_reference == stored[0]["service_request_id"]
    assert worker.store.row(case.id)["state"] == DELIVERED


@pytest.mark.parametrize("category, mode, says", [
    ("pothole", "malformed_json", "malformed JSON"),  # highways speaks JSON
    ("missed_bin", "malformed_xml", "malformed XML"),  # waste speaks XML
])
async def test_malformed_reply_is_looked_up_never_sent_again_and_flagged(
    case_store, make_worker, sandbox, clock, category, mode, says
):
    sandbox.sandbox.modes.error = mode
    case = case_store.create(new_case(category=category, details={}), "conv:1")
    worker = make_worker(OUTBOX_MAX_ATTEMPTS="2")
    await run_for(worker, clock, 60)
    row = worker.store.row(case.id)
    assert row["state"] == PENDING and says in row["last_error"] and row["uncertain_lookups"] is not None
    assert case_store.get(case.id).needs_attention  # the look-ups failed too, twice

    sandbox.sandbox.modes.error = None  # readable again, but it never stored the case: look-ups find nothing
    await run_for(worker, clock, 600)
    assert sandbox.sandbox.post_count == 0  # the reply could not be read: never sent again by the worker
    row = worker.store.row(case.id)
    assert row["state"] == FAILED and row["uncertain_lookups"] == 2
    reason = case_store.get(case.id).attention_reason
    assert "could not be confirmed" in reason and "3 look-ups" in reason and case.reference in reason

    assert worker.store.requeue(case.id)  # staff checked the back office: not there
    await run_for(worker, clock, 30)
    assert len(sandbox.requests_for(case.reference)) == 1


async def test_refused_api_key_flags_at_once_and_is_not_retried_until_requeued(case_store, make_worker, sandbox, clock):
    case = case_store.create(new_case(), "conv:1")
    worker = make_worker()
    good_key = sandbox.sandbox.api_key
    sandbox.sandbox.api_key = "rotated-by-the-supplier"
    await run_for(worker, clock, 600)
    row = worker.store.row(case.id)
    assert row["state"] == FAILED and row["attempts"] == 1
    flagged = case_store.get(case.id)
    assert flagged.needs_attention and "HTTP 403" in flagged.attention_reason and "API key" in flagged.attention_reason
    assert "Invalid api_key" in flagged.attention_reason  # the back office's own explanation
    assert sandbox.sandbox.requests == {}

    sandbox.sandbox.api_key = good_key  # staff fixed the key, then re-queued the case
    assert worker.store.requeue(case.id)
    await worker.run_once()
    assert len(sandbox.requests_for(case.reference)) == 1
    assert not case_store.get(case.id).needs_attention  # the re-queued case was delivered: no flag left
    log = worker.store.row(case.id)["attempt_log"]
    assert [e["outcome"] for e in log] == ["refused", "delivered"] and "HTTP 403" in log[0]["error"]


async def test_back_office_unavailable_is_retried(case_store, make_worker, sandbox, clock):
    sandbox.sandbox.modes.error = 503
    case = case_store.create(new_case(), "conv:1")
    worker = make_worker()
    await worker.deliver_due()
    row = worker.store.row(case.id)
    assert row["state"] == PENDING and "HTTP 503" in row["last_error"] and "Simulated error 503" in row["last_error"]
    assert row["uncertain_lookups"] is None  # a 503 means nothing was stored: sending again is safe
    assert not case_store.get(case.id).needs_attention
    sandbox.sandbox.modes.error = None
    await run_for(worker, clock, 60)
    assert len(sandbox.requests_for(case.reference)) == 1


async def test_server_error_with_an_error_list_is_a_rejection_when_configured(case_store, make_worker, sandbox, tmp_path: Path):
    data = yaml.safe_load((PROJECT_ROOT / "council" / "routing.yml").read_text())
    data["backoffices"]["highways"]["server_error_is_rejection"] = True
    path = tmp_path / "routing.yml"
    path.write_text(yaml.safe_dump(data))
    sandbox.sandbox.modes.error = 500
    case = case_store.create(new_case(), "conv:1")
    worker = make_worker(routing_path=path)
    await worker.deliver_due()
    assert worker.store.row(case.id)["state"] == FAILED
    assert "treated as a rejection" in case_store.get(case.id).attention_reason


async def test_one_failure_spares_the_back_office_the_rest_of_the_round(case_store, make_worker, sandbox):
    sandbox.sandbox.modes.down = True
    made = [case_store.create(new_case(), f"conv:{n}") for n in range(5)]
    worker = make_worker(OUTBOX_CONCURRENCY="1")  # one delivery at a time, to see the order
    await worker.deliver_due()
    reasons = [worker.store.row(c.id)["last_error"] for c in made]
    assert "HTTP 503" in reasons[0]
    assert all(r.startswith("not tried: highways is failing") for r in reasons[1:])


# ----- status updates ----------------------------------------------------------------------
async def test_status_changes_are_polled_recorded_and_shown_to_the_resident(case_store, make_worker, sandbox, clock):
    case = case_store.create(new_case(contact_consent=False), "conv:1")
    worker = make_worker(OUTBOX_STATUS_POLL_SECONDS="60")
    await worker.run_once()
    request_id = case_store.get(case.id).backoffice_reference

    clock.advance(61)
    await worker.run_once()  # the sandbox holds it as "open": accepted
    assert case_store.get(case.id).status == OPEN
    text = describe(case_store.get(case.id))
    assert "accepted by the team" in text and f"The team's own reference is {request_id}" in text

    sandbox.sandbox.requests[request_id]["status"] = "in_progress"
    clock.advance(61)
    await worker.run_once()
    assert case_store.get(case.id).status == IN_PROGRESS

    sandbox.sandbox.requests[request_id].update(status="closed", status_notes="Filled and made safe")
    clock.advance(61)
    await worker.run_once()
    closed = case_store.get(case.id)
    assert closed.status == CLOSED
    assert case_store.history(case.id)[-1]["note"] == "Filled and made safe"
    assert worker.store.row(case.id)["next_poll_at"] is None  # closed cases are not polled again

    sandbox.sandbox.requests[request_id]["status"] = "open"  # a back office reopening does not move us back
    clock.advance(61)
    await worker.run_once()
    assert case_store.get(case.id).status == CLOSED


async def test_a_token_reply_is_resolved_to_the_request_id(case_store, make_worker, sandbox, clock):
    sandbox.sandbox.modes.token_only = True
    case = case_store.create(new_case(), "conv:1")
    worker = make_worker(OUTBOX_STATUS_POLL_SECONDS="60")
    await worker.run_once()
    row = worker.store.row(case.id)
    assert row["state"] == DELIVERED and row["backoffice_token"]
    assert case_store.get(case.id).backoffice_reference is None

    clock.advance(30)
    await worker.run_once()
    stored = sandbox.requests_for(case.reference)[0]
    assert case_store.get(case.id).backoffice_reference == stored["service_request_id"]
    assert case_store.get(case.id).status == OPEN
    assert worker.store.row(case.id)["backoffice_token"] is None


async def test_notifications_are_recorded_even_when_they_cannot_be_sent(case_store, make_worker, sandbox, clock):
    case = case_store.create(new_case(), "conv:1")  # consented to contact
    worker = make_worker(OUTBOX_STATUS_POLL_SECONDS="60")
    worker.notifier = RasaNotifier(case_store.engine, "http://127.0.0.1:1", None, ["socketio"])
    await worker.run_once()
    clock.advance(61)
    await worker.run_once()
    clock.advance(61)
    await worker.run_once()  # a second poll must not notify twice
    with case_store.engine.connect() as conn:
        rows = conn.execute(select(notifications)).mappings().all()
    assert [(r["kind"], r["state"]) for r in rows] == [("accepted", "failed")]
    assert "RASA_API_TOKEN" in rows[0]["detail"]


async def test_a_case_delivered_to_the_built_in_back_office_is_opened_and_the_resident_told(
        case_store, make_worker, sandbox, clock):
    from bot.backoffice.builtin import BuiltinCaseSystem

    case = case_store.create(new_case(), "conv:builtin")  # consented to contact
    worker = make_worker()
    for category in list(worker.routing.routes):
        worker.routing.routes[category] = replace(worker.routing.routes[category], backoffice="council")
    worker.systems["council"] = BuiltinCaseSystem(case_store, "council")
    worker.notifier = RasaNotifier(case_store.engine, "http://127.0.0.1:1", None, ["socketio"])
    await worker.run_once()
    opened = case_store.get(case.id)
    assert (opened.status, opened.backoffice, opened.backoffice_reference) == ("open", "council", case.reference)
    with case_store.engine.connect() as conn:
        rows = conn.execute(select(notifications)).mappings().all()
    assert [r["kind"] for r in rows] == ["accepted"]  # tried (no Rasa here), not silently skipped


# ----- one worker per SQLite database ----------------------------------------------------------
def test_only_one_worker_is_active_on_a_sqlite_database(tmp_path: Path):
    path = lock_path_for(f"sqlite:///{tmp_path / 'council.db'}")
    first, second = WorkerLock(path), WorkerLock(path)
    assert first.try_acquire()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()
    assert lock_path_for("postgresql://u@h/db") is None

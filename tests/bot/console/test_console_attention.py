"""The needs-attention view (bot/console/attention.py) and the queue's rows (bot/console/queue.py)
against the real console server and a real SQLite database: what each lists, who may see an SMS
resident's number, and that every showing of it is audited."""

from __future__ import annotations

from typing import Iterator

import pytest

from bot.cases.model import NewCase
from bot.launcher import stop_all
from bot.storage.audit import AuditLog
from bot.storage.cases import CaseStore
from bot.storage.schema import notifications, outbox
from bot.storage.sms import SmsStore
from bot.storage.times import utcnow
from tests.bot.console.test_console_security import Console

AGENT = ("agent@anytown.gov.uk", "agent password 123")


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    running = Console(tmp_path_factory.mktemp("console-attention"))
    running.staff.create(AGENT[0], "Alex Agent", "agent", AGENT[1])
    yield running
    stop_all([running.service])


def signed_in(console: Console):  # type: ignore[no-untyped-def]
    client = console.client()
    assert client.sign_in(*AGENT).status_code == 303
    return client


def make_case(console: Console, key: str, **fields):  # type: ignore[no-untyped-def]
    values = dict(category="pothole", conversation_id=f"conv-{key}", channel="web", contact_consent=True)
    values.update(fields)
    return CaseStore(console.escalations.engine).create(NewCase(**values), idempotency_key=key)


def test_every_silent_problem_is_listed_with_why(console: Console) -> None:
    engine = console.escalations.engine
    store = CaseStore(engine)
    refused = make_case(console, "refused")
    with engine.begin() as conn:
        conn.execute(outbox.update().where(outbox.c.case_id == refused.id).values(state="failed", last_error="HTTP 403"))
    store.flag_for_attention(refused.id, "highways refused the case: <b>bad key</b>")
    vanished = make_case(console, "vanished")
    with engine.begin() as conn:
        conn.execute(outbox.update().where(outbox.c.case_id == vanished.id).values(state="delivered"))
    store.flag_for_attention(vanished.id, "highways no longer knows request 1001 (status lookups answer 404)")
    quiet = make_case(console, "quiet")  # nothing wrong: not listed
    told = make_case(console, "told")
    with engine.begin() as conn:
        conn.execute(notifications.insert().values(
            case_id=told.id, kind="closed", channel="web", state="failed", detail="Rasa answered 500", attempts=6,
            created_at=utcnow(), text="closed", next_attempt_at=None))
        conn.execute(notifications.insert().values(  # still being retried: not yet for staff
            case_id=quiet.id, kind="accepted", channel="web", state="failed", detail="retrying", attempts=1,
            created_at=utcnow(), text="accepted", next_attempt_at=utcnow()))
    sms = SmsStore(engine)
    conversation = sms.conversation_for("+447700900999")
    sms.record_outbound(conversation, "Your report was closed", 1, "queued", sid="SM-undelivered-1")
    sms.record_status("SM-undelivered-1", "undelivered", error_code="30005", error_message="Unknown destination handset")

    page = signed_in(console).get("/attention").text
    deliveries, rest = page.split('id="after-h"')
    after, rest = rest.split('id="notifications-h"')
    failed, texts = rest.split('id="texts-h"')
    assert refused.reference in deliveries and "refused, not retried" in deliveries
    assert "&lt;b&gt;bad key&lt;/b&gt;" in deliveries  # escaped
    assert vanished.reference in after and "404" in after and vanished.reference not in deliveries
    assert told.reference in failed and "Rasa answered 500" in failed and quiet.reference not in page
    assert "undelivered" in texts and "Unknown destination handset" in texts
    assert "+447700900999" not in page and "Your report was closed" not in page  # no number, no words


def test_queue_rows_say_what_the_report_is_and_the_number_is_shown_only_on_request(console: Console) -> None:
    case = make_case(console, "queued", conversation_id="sms-queued", channel="sms", location_text="12 Mill Lane",
                     postcode="AN1 4GT", category="missed_bin")
    escalation = console.escalations.open("sms-queued", "sms", "urgent", "urgent", "I smell gas",
                                          phone="+447700900123", urgent_category="gas")
    console.escalations.open("web-draft", "web", "talk_to_human", "normal", "a person please",
                             draft={"report_category": "noise", "location": "3 High Street", "postcode": "AN2 1AA"})
    agent = signed_in(console)
    rows = agent.get("/queue/rows").text
    assert case.reference in rows and "missed bin" in rows and "12 Mill Lane AN1 4GT" in rows
    assert "noise" in rows and "3 High Street AN2 1AA" in rows  # from the report the form had started
    assert "+447700900123" not in rows and "Show number" in rows
    shown = agent.post(f"/escalations/{escalation.id}/phone")
    assert shown.status_code == 200 and 'href="tel:+447700900123"' in shown.text
    row = next(e for e in AuditLog(console.escalations.engine).recent(20, "show_phone"))
    assert row.target == "sms-queued" and row.staff_name == "Alex Agent"


def test_the_number_needs_sign_in_and_the_csrf_token(console: Console) -> None:
    escalation = console.escalations.open("sms-guarded", "sms", "talk_to_human", "normal", "hi", phone="+447700900456")
    assert console.client().post(f"/escalations/{escalation.id}/phone", csrf=False).status_code == 403
    agent = signed_in(console)
    refused = agent.post(f"/escalations/{escalation.id}/phone", csrf=False)
    assert refused.status_code == 403 and "+447700900456" not in refused.text
    assert agent.post("/escalations/999999/phone").status_code == 404
    assert "sms-guarded" not in {e.target for e in AuditLog(console.escalations.engine).recent(50, "show_phone")}
    assert console.client().get("/attention").status_code == 303  # sign in first

"""The console's data-rights page (bot/console/privacy.py) against the real console server:
supervisors only, CSRF-checked, audited without the resident's details."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Iterator

import pytest

from bot.cases.model import CLOSED, NewCase
from bot.launcher import stop_all
from bot.storage.audit import AuditLog
from bot.storage.cases import CaseStore
from bot.storage.sms import SmsStore
from tests.bot.console.test_console_security import Console

PHONE = "+447700900321"


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    running = Console(tmp_path_factory.mktemp("console-privacy"))
    running.staff.create("agent@anytown.gov.uk", "Alex Agent", "agent", "agent password 123")
    running.staff.create("super@anytown.gov.uk", "Sam Supervisor", "supervisor", "super password 123")
    yield running
    stop_all([running.service])


@pytest.fixture
def case(console: Console):  # type: ignore[no-untyped-def]
    cases = CaseStore(console.escalations.engine)
    conversation = SmsStore(cases.engine).conversation_for(PHONE)
    made = cases.create(NewCase(category="graffiti", conversation_id=conversation, channel="sms",
                                description="tag on the <b>bus shelter</b>", contact_phone=PHONE,
                                contact_consent=True), idempotency_key=f"{conversation}:graffiti")
    return made


def signed_in(console: Console, email: str, password: str):  # type: ignore[no-untyped-def]
    client = console.client()
    assert client.sign_in(email, password).status_code == 303
    return client


def test_agents_may_not_use_it(console: Console, case) -> None:  # type: ignore[no-untyped-def]
    agent = signed_in(console, "agent@anytown.gov.uk", "agent password 123")
    assert agent.get("/privacy").status_code == 403
    for path in ("/privacy/export", "/privacy/erase"):
        response = agent.post(path, {"kind": "phone", "value": PHONE, "confirm": "yes", "force": "yes"})
        assert response.status_code == 403 and "PK" not in response.text[:2]
    assert CaseStore(console.escalations.engine).get(case.id) is not None
    assert "/privacy/erase" in {e.target for e in AuditLog(console.escalations.engine).recent(5, "denied")}


def test_signed_out_and_cross_site_posts_are_refused(console: Console, case) -> None:  # type: ignore[no-untyped-def]
    assert console.client().get("/privacy").status_code == 303  # to sign-in
    assert console.client().post("/privacy/export", {"kind": "phone", "value": PHONE}, csrf=False).status_code == 403
    supervisor = signed_in(console, "super@anytown.gov.uk", "super password 123")
    for path in ("/privacy/export", "/privacy/erase"):
        refused = supervisor.post(path, {"kind": "phone", "value": PHONE, "confirm": "yes", "force": "yes"}, csrf=False)
        assert refused.status_code == 403
    assert CaseStore(console.escalations.engine).get(case.id) is not None


def test_supervisor_downloads_everything_held(console: Console, case) -> None:  # type: ignore[no-untyped-def]
    supervisor = signed_in(console, "super@anytown.gov.uk", "super password 123")
    page = supervisor.get("/privacy")
    assert page.status_code == 200 and 'action="/privacy/export"' in page.text
    response = supervisor.post("/privacy/export", {"kind": "phone", "value": "07700 900321"})
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("data.json"))
    assert [c["reference"] for c in data["cases"]] == [case.reference]
    assert "tag on the &lt;b&gt;bus shelter&lt;/b&gt;" in archive.read("summary.html").decode()
    entry = AuditLog(console.escalations.engine).recent(1)[0]
    assert (entry.action, entry.staff_name, entry.detail["selector"]) == ("privacy_export", "Sam Supervisor", "phone")
    assert PHONE not in json.dumps(entry.detail) and "900321" not in json.dumps(entry.detail)


def test_staff_find_and_see_an_sms_residents_number_through_the_sms_link(console: Console, case) -> None:  # type: ignore[no-untyped-def]
    # Rasa's tracker does not hold the number: search and the conversation page look it up.
    agent = signed_in(console, "agent@anytown.gov.uk", "agent password 123")
    SmsStore(console.escalations.engine).conversation_for("+447700900654")  # texted, no case, no escalation
    found = agent.get("/search?q=07700%20900654").text
    conversation = SmsStore(console.escalations.engine).conversation_of("+447700900654")
    assert conversation in found
    assert "texting from +447700900321" in agent.get(f"/conversation?id={case.conversation_id}").text


def test_supervisor_erases_after_seeing_what_would_go(console: Console, case) -> None:  # type: ignore[no-untyped-def]
    cases = CaseStore(console.escalations.engine)
    supervisor = signed_in(console, "super@anytown.gov.uk", "super password 123")
    held = supervisor.post("/privacy/erase", {"kind": "reference", "value": case.reference, "confirm": "yes"})
    assert held.status_code == 200 and "still open" in held.text and cases.get(case.id) is not None

    cases.record_status(case.id, CLOSED, "test")
    preview = supervisor.post("/privacy/erase", {"kind": "reference", "value": case.reference})
    assert "Would remove" in preview.text and "cases: 1" in preview.text
    assert cases.get(case.id) is not None
    done = supervisor.post("/privacy/erase", {"kind": "reference", "value": case.reference, "confirm": "yes"})
    assert "Removed" in done.text and cases.get(case.id) is None
    assert SmsStore(cases.engine).conversation_of(PHONE) is None
    actions = [e.action for e in AuditLog(cases.engine).recent(3)]
    assert actions == ["privacy_erase", "privacy_erase_dry_run", "privacy_erase_held"]


def test_an_unreadable_selector_gets_a_clear_answer(console: Console) -> None:
    supervisor = signed_in(console, "super@anytown.gov.uk", "super password 123")
    response = supervisor.post("/privacy/export", {"kind": "phone", "value": "call me maybe"})
    assert response.status_code == 400 and "not a phone we can read" in response.text

"""A case made by staff from an escalated conversation (bot/console/new_case.py), against the real
console server and a real SQLite database: pre-filled from the report the form had started, checked,
stored with its outbox row in the resident's conversation, once per form, role/CSRF-checked, audited."""

from __future__ import annotations

import re
from typing import Iterator

import pytest

from bot.launcher import stop_all
from bot.storage.outbox import OutboxStore
from bot.storage.audit import AuditLog
from bot.storage.cases import CaseStore
from tests.bot.console.test_console_security import Console

AGENT = ("agent@anytown.gov.uk", "agent password 123")
DRAFT = {"report_category": "missed_bin", "location": "12 Mill Lane", "postcode": "AN1 4GT", "bin_type": "black",
         "contact_consent": True, "contact_phone": "this number", "latitude": "51.5", "longitude": "-0.12",
         "media_urls": ["https://example.org/a.jpg"]}


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    running = Console(tmp_path_factory.mktemp("console-new-case"))
    running.staff.create(AGENT[0], "Alex Agent", "agent", AGENT[1])
    yield running
    stop_all([running.service])


def signed_in(console: Console):  # type: ignore[no-untyped-def]
    client = console.client()
    assert client.sign_in(*AGENT).status_code == 303
    return client


def field(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, name
    return match.group(1)


def test_the_form_starts_from_the_report_the_resident_had_started(console: Console) -> None:
    escalation = console.escalations.open("sms-draft", "sms", "talk_to_human", "normal", "a person",
                                          phone="+447700900123", draft={**DRAFT, "location": "<b>12 Mill Lane</b>"})
    page = signed_in(console).get(f"/escalations/{escalation.id}/case").text
    assert 'value="missed_bin" selected' in page
    assert field(page, "location") == "&lt;b&gt;12 Mill Lane&lt;/b&gt;" and field(page, "postcode") == "AN1 4GT"
    assert field(page, "detail_bin_type") == "black"
    assert field(page, "contact_phone") == "+447700900123"  # "this number": the number they text from
    assert 'name="contact_consent" value="1" checked' in page and "1 photo" in page


def test_staff_make_the_case_once_in_the_residents_conversation_and_it_is_audited(console: Console) -> None:
    escalation = console.escalations.open("sms-make", "sms", "talk_to_human", "normal", "a person",
                                          phone="+447700900124", draft=DRAFT)
    agent = signed_in(console)
    form = agent.get(f"/escalations/{escalation.id}/case").text
    data = {"category": "missed_bin", "location": "12 Mill Lane", "postcode": "an1 4gt", "detail_bin_type": "black",
            "detail_collection_day": "Monday", "detail_noise_type": "not kept: another kind's answer",
            "description": "", "contact_consent": "1", "contact_phone": "+447700900124", "contact_email": "",
            "key": field(form, "key")}
    made = agent.post(f"/escalations/{escalation.id}/case", data)
    assert made.status_code == 303 and made.headers["Location"].startswith("/cases/")
    again = agent.post(f"/escalations/{escalation.id}/case", data)  # a double click
    assert again.headers["Location"] == made.headers["Location"]
    store = CaseStore(console.escalations.engine)
    [case] = store.for_conversation("sms-make")
    assert (case.category, case.channel, case.location_text, case.postcode) == ("missed_bin", "sms", "12 Mill Lane",
                                                                                "AN1 4GT")
    assert case.details == {"bin_type": "black", "collection_day": "Monday"}
    assert case.contact_consent and case.contact_phone == "+447700900124"
    assert (case.latitude, case.longitude, case.media_urls) == ("51.5", "-0.12", ["https://example.org/a.jpg"])
    assert OutboxStore(console.escalations.engine).row(case.id)["state"] == "pending"  # the worker delivers it
    [row] = [e for e in AuditLog(console.escalations.engine).recent(50, "case_create") if e.target == case.reference]
    assert row.staff_name == "Alex Agent" and row.detail["escalation_id"] == escalation.id
    page = agent.get(made.headers["Location"]).text
    assert "Made by Alex Agent from an escalated conversation" in page


def test_a_case_that_cannot_be_used_is_not_made_and_the_form_says_why(console: Console) -> None:
    escalation = console.escalations.open("web-bad", "web", "complaint", "normal", "hmm")
    agent = signed_in(console)
    page = agent.get(f"/escalations/{escalation.id}/case").text
    assert "Filled in from nothing" in page
    refused = agent.post(f"/escalations/{escalation.id}/case", {
        "category": "noise", "location": "?", "postcode": "SW1A 1AA", "contact_consent": "1",
        "contact_phone": "12", "contact_email": "nope", "key": "k1"})
    assert refused.status_code == 400
    for reason in ("Say where", "outside the council", "UK one", "does not look like one"):
        assert reason in refused.text
    assert CaseStore(console.escalations.engine).for_conversation("web-bad") == []


def test_making_a_case_needs_sign_in_and_the_csrf_token(console: Console) -> None:
    escalation = console.escalations.open("web-guard", "web", "talk_to_human", "normal", "hi", draft=DRAFT)
    data = {"category": "graffiti", "location": "Mill Lane", "key": "k2"}
    assert console.client().post(f"/escalations/{escalation.id}/case", data, csrf=False).status_code == 403
    assert console.client().get(f"/escalations/{escalation.id}/case").status_code == 303  # to sign-in
    agent = signed_in(console)
    assert agent.post(f"/escalations/{escalation.id}/case", data, csrf=False).status_code == 403
    assert agent.post("/escalations/999999/case", data).status_code == 404
    assert CaseStore(console.escalations.engine).for_conversation("web-guard") == []

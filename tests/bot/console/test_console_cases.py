"""The console's cases (bot/console/cases.py) against the real console server: the list's filters,
the case page (escaped), and each action's role check, CSRF check and audit row."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from bot.cases.model import CLOSED, IN_PROGRESS, OPEN, NewCase
from bot.launcher import stop_all
from bot.storage.outbox import OutboxStore
from bot.storage.audit import AuditLog
from bot.storage.cases import CaseStore
from tests.bot.console.test_console_security import Console
from tests.support.console import builtin_routing

AGENT = ("agent@anytown.gov.uk", "agent password 123")
SUPERVISOR = ("super@anytown.gov.uk", "super password 123")


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    var = tmp_path_factory.mktemp("console-cases")
    running = Console(var, {"ROUTING_FILE": str(builtin_routing(var / "routing.yml"))})
    running.staff.create(*AGENT[:1], "Alex Agent", "agent", AGENT[1])
    running.staff.create(*SUPERVISOR[:1], "Sam Supervisor", "supervisor", SUPERVISOR[1])
    yield running
    stop_all([running.service])


def make_case(console: Console, key: str, backoffice: str = "council", **fields):  # type: ignore[no-untyped-def]
    store = CaseStore(console.escalations.engine)
    values = dict(category="graffiti", conversation_id=f"conv-{key}", channel="web", contact_consent=True)
    values.update(fields)
    made = store.create(NewCase(**values), idempotency_key=key)
    store.record_status(made.id, OPEN, source=backoffice, backoffice_reference=made.reference)
    with store.engine.begin() as conn:
        from bot.storage.schema import cases
        conn.execute(cases.update().where(cases.c.id == made.id).values(backoffice=backoffice))
    return store.get(made.id)


def signed_in(console: Console, who=AGENT):  # type: ignore[no-untyped-def]
    client = console.client()
    assert client.sign_in(*who).status_code == 303
    return client


def audit(console: Console, action: str):  # type: ignore[no-untyped-def]
    return AuditLog(console.escalations.engine).recent(50, action)


def test_the_list_filters_by_category_district_and_flag(console: Console) -> None:
    pothole = make_case(console, "list-1", category="pothole", postcode="AN1 4GT")
    elsewhere = make_case(console, "list-2", category="pothole", postcode="AN12 3XY")
    flagged = make_case(console, "list-3", category="fly_tipping", postcode="AN1 2AB")
    CaseStore(console.escalations.engine).flag_for_attention(flagged.id, "refused")
    agent = signed_in(console)
    page = agent.get("/cases?category=pothole&district=an1").text
    assert pothole.reference in page and elsewhere.reference not in page and flagged.reference not in page
    page = agent.get("/cases?flagged=1").text
    assert flagged.reference in page and pothole.reference not in page
    assert "Ignored: a postcode district" in agent.get("/cases?district=%3Cb%3E").text


def test_the_case_page_escapes_what_the_resident_typed(console: Console) -> None:
    case = make_case(console, "xss", description="<script>alert(1)</script>", location_text="<b>Mill Lane</b>",
                     latitude="51.5", longitude="-0.12")
    page = signed_in(console).get(f"/cases/{case.reference}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "&lt;b&gt;Mill Lane&lt;/b&gt;" in page
    assert 'href="geo:51.5,-0.12"' in page
    assert f"/conversation?id=conv-xss" in page
    assert case.reference in {e.target for e in audit(console, "view_case")}


def test_the_case_page_shows_the_gazetteer_street_and_the_place_note(console: Console) -> None:
    found = make_case(console, "place-1", location_text="14 Mill Lane, Northfield", usrn="38000001",
                      place_latitude="52.209344", place_longitude="-1.477704")
    unknown = make_case(console, "place-2", location_text="<i>behind the chippy</i>",
                        place_note="Place not found in the council's gazetteer: kept as the resident typed it; "
                                   "please check where it is.")
    agent = signed_in(console)
    page = agent.get(f"/cases/{found.reference}").text
    assert "USRN 38000001" in page and 'href="geo:52.209344,-1.477704"' in page and "Check the place" not in page
    page = agent.get(f"/cases/{unknown.reference}").text
    assert "Check the place" in page and "council&#39;s gazetteer" in page and "USRN" not in page
    assert "&lt;i&gt;behind the chippy&lt;/i&gt;" in page


def test_an_agent_changes_the_status_of_a_built_in_case_and_it_is_audited(console: Console) -> None:
    case = make_case(console, "status")
    agent = signed_in(console)
    assert agent.post(f"/cases/{case.reference}/status", {"status": IN_PROGRESS}).status_code == 303
    assert agent.post(f"/cases/{case.reference}/status", {"status": CLOSED, "note": "Cleaned."}).status_code == 303
    store = CaseStore(console.escalations.engine)
    assert store.get(case.id).status == CLOSED
    assert [h["source"] for h in store.history(case.id)][-1] == "staff: Alex Agent"
    row = next(e for e in audit(console, "case_status") if e.target == case.reference and e.detail["status"] == CLOSED)
    assert row.staff_name == "Alex Agent" and row.detail["previous"] == IN_PROGRESS
    # Rasa is not running here: the resident could not be told, and the case page says so.
    page = agent.get(f"/cases/{case.reference}").text
    assert "could NOT be told" in page and "failed" in page


def test_status_is_not_changed_here_for_a_case_another_system_works(console: Console) -> None:
    case = make_case(console, "open311", backoffice="highways")
    agent = signed_in(console)
    response = agent.post(f"/cases/{case.reference}/status", {"status": CLOSED})
    assert response.status_code == 303
    assert CaseStore(console.escalations.engine).get(case.id).status == OPEN
    assert "its status comes from there" in agent.get(f"/cases/{case.reference}").text


def test_actions_need_the_csrf_token(console: Console) -> None:
    case = make_case(console, "csrf")
    CaseStore(console.escalations.engine).flag_for_attention(case.id, "refused")
    supervisor = signed_in(console, SUPERVISOR)
    for action, data in (("status", {"status": CLOSED}), ("update", {"text": "hi"}), ("note", {"text": "n"}),
                         ("requeue", {}), ("handled", {})):
        assert supervisor.post(f"/cases/{case.reference}/{action}", data, csrf=False).status_code == 403
    assert console.client().post(f"/cases/{case.reference}/status", {"status": CLOSED}, csrf=False).status_code == 403
    store = CaseStore(console.escalations.engine)
    assert store.get(case.id).status == OPEN and store.get(case.id).needs_attention


def test_delivery_actions_are_for_supervisors(console: Console) -> None:
    case = make_case(console, "deliver")
    store = CaseStore(console.escalations.engine)
    outbox = OutboxStore(console.escalations.engine)
    with store.engine.begin() as conn:
        from bot.storage.schema import outbox as table
        conn.execute(table.update().where(table.c.case_id == case.id).values(
            state="failed", last_error="HTTP 403", attempt_log=[
                {"attempt": 1, "at": "2026-07-01T10:00:00+00:00", "outcome": "failed", "error": "HTTP 503 first try"},
                {"attempt": 2, "at": "2026-07-01T10:05:00+00:00", "outcome": "refused", "error": "HTTP 403 <bad key>"}]))
    store.flag_for_attention(case.id, "highways refused the case: bad key")
    agent = signed_in(console)
    assert agent.post(f"/cases/{case.reference}/requeue").status_code == 403
    assert agent.post(f"/cases/{case.reference}/handled").status_code == 403
    assert outbox.row(case.id)["state"] == "failed" and store.get(case.id).needs_attention
    assert {"/cases/%s/requeue" % case.reference, "/cases/%s/handled" % case.reference} <= {
        e.target for e in audit(console, "denied")}

    supervisor = signed_in(console, SUPERVISOR)
    page = supervisor.get(f"/cases/{case.reference}").text
    assert "Last error: HTTP 403" in page
    # Every attempt with its error, newest first, escaped.
    assert page.index("HTTP 403 &lt;bad key&gt;") < page.index("HTTP 503 first try") and "01 Jul 11:05" in page
    assert supervisor.post(f"/cases/{case.reference}/requeue").status_code == 303
    assert outbox.row(case.id)["state"] == "pending"
    assert supervisor.post(f"/cases/{case.reference}/handled", {"note": "key fixed"}).status_code == 303
    assert not store.get(case.id).needs_attention
    page = supervisor.get(f"/cases/{case.reference}").text
    assert "bad key" in page and "key fixed" in page  # the flag's reason stays, as a note
    assert case.reference in {e.target for e in audit(console, "case_requeue")}
    assert case.reference in {e.target for e in audit(console, "case_handled")}


def test_a_public_update_is_recorded_and_audited_without_its_words(console: Console) -> None:
    case = make_case(console, "update")
    agent = signed_in(console)
    assert agent.post(f"/cases/{case.reference}/update", {"text": "We'll be there Tuesday."}).status_code == 303
    row = next(e for e in audit(console, "case_update") if e.target == case.reference)
    assert "Tuesday" not in str(row.detail) and row.detail["characters"] == len("We'll be there Tuesday.")
    page = agent.get(f"/cases/{case.reference}").text
    assert "We&#39;ll be there Tuesday." in page  # the notification row, failed (no Rasa here)
    refused = make_case(console, "no-consent", contact_consent=False)
    agent.post(f"/cases/{refused.reference}/update", {"text": "hello"})
    assert refused.reference not in {e.target for e in audit(console, "case_update")}


def test_unknown_references_are_not_found(console: Console) -> None:
    agent = signed_in(console)
    assert agent.get("/cases/NOPE").status_code == 404
    assert agent.post("/cases/NOPE/status", {"status": CLOSED}).status_code == 404


def test_search_finds_cases_by_postcode_district_or_street_with_what_staff_need(console: Console) -> None:
    """Partial postcodes and street names are searches too (issue 12): each result shows the case's
    reference, kind, status, place and date, escaped."""
    near = make_case(console, "search-1", category="pothole", postcode="AN5 1QQ", location_text="14 Quarry Lane")
    other = make_case(console, "search-2", category="graffiti", postcode="AN55 2ZZ",
                      location_text="Quarry Lane <b>underpass</b>")
    agent = signed_in(console)
    district = agent.get("/search?q=an5").text
    assert near.reference in district and other.reference not in district  # AN5, not AN55
    assert "pothole, open, 14 Quarry Lane, AN5 1QQ" in district
    assert near.reference in agent.get("/search?q=AN5%201").text  # a sector
    street = agent.get("/search?q=quarry%20lane").text
    assert near.reference in street and other.reference in street
    assert "&lt;b&gt;underpass&lt;/b&gt;" in street and "<b>underpass" not in street
    assert "That doesn't look like" in agent.get("/search?q=%25%25").text  # no wildcard searches
    assert [e.detail.get("kind") for e in audit(console, "search")][:4] == [
        "unrecognised", "street or place", "postcode district", "postcode district"]


def test_staff_see_the_language_of_a_case_and_of_a_queued_conversation(console: Console) -> None:
    welsh = make_case(console, "lang-cy", language="cy")
    english = make_case(console, "lang-none")  # made before cases had a language, or an English-only council
    console.escalations.open("web-cymraeg", "web", "talk_to_human", "normal", "siarad efo person", language="cy")
    agent = signed_in(console)
    page = agent.get(f"/cases/{welsh.reference}").text
    assert 'in <span class="language">Welsh</span> (updates are sent in it)' in page
    assert "write it in Welsh" in page
    page = agent.get(f"/cases/{english.reference}").text
    assert 'class="language"' not in page and "write it in" not in page
    rows = agent.get("/queue/rows").text
    assert 'web, <span class="language">Welsh</span>' in rows
    listed = agent.get("/cases?channel=web").text
    assert listed.count('<span class="language">Welsh</span>') >= 1 and welsh.reference in listed

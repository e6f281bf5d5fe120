"""Casework in Chromium: a resident reports a missed bin in the web chat; staff find the case in the
console's case list, open its page, post a public update and close it; both reach the resident's
open chat live, the update labelled with the team's name. An SMS resident who asks for a person in
the middle of a report gets a case made by staff from what the bot had collected, and hears by text
when it is accepted and closed, and when staff close the conversation. A refused delivery shows under "Needs attention"; re-queued, it is
delivered and the flag clears.

Real Rasa server, action server, website, Twilio stand-in, delivery worker and staff console; every
category is routed to the built-in back office, so the case is worked in the console.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.cases.model import NewCase
from bot.launcher import delivery_services, twilio_sandbox_service, web_service
from bot.storage.audit import AuditLog
from bot.storage.cases import CaseStore
from bot.storage.database import make_engine
from bot.storage.schema import outbox
from tests.support.console import ADMIN_EMAIL, ADMIN_PASSWORD, builtin_routing, console_env, console_service
from tests.support.sms import SmsClient
from tests.support.stack import Stack, free_port

pytestmark = pytest.mark.e2e
REFERENCE = re.compile(r"reference is ([A-Z0-9]{4}-[A-Z0-9]{4})")
REFERENCE_ONLY = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}")
REPLY_TIMEOUT = 30_000


class World:
    def __init__(self, var_dir: Path) -> None:
        console_port = free_port()
        self.stack = Stack(var_dir, {
            "WEB_PORT": str(free_port()), "OPEN311_SANDBOX_PORT": str(free_port()),
            "OUTBOX_WORKER_PORT": str(free_port()), "ROUTING_FILE": str(builtin_routing(var_dir / "routing.yml")),
            "TWILIO_SANDBOX_PORT": str(free_port()), **console_env(console_port),
        })
        self.stack.start(extra=[web_service(self.stack.settings), *delivery_services(self.stack.settings),
                                twilio_sandbox_service(self.stack.settings), console_service(console_port)])
        self.sms = SmsClient(self.stack)
        self.site = self.stack.settings.web_public_url
        self.console_url = f"http://127.0.0.1:{console_port}"
        self.engine = make_engine(self.stack.settings.database_url)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    running = World(Path(tmp_path_factory.mktemp("casework-stack")))
    try:
        yield running
    finally:
        running.stack.stop()


def bot_says(page: Page, text: str) -> None:
    expect(page.locator(".cc-from-bot .cc-bubble").last).to_contain_text(text, timeout=REPLY_TIMEOUT)


def say(page: Page, text: str) -> None:
    page.get_by_label("Type your message").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def choose(page: Page, title: str) -> None:
    page.get_by_role("group", name="Suggested replies").get_by_role("button", name=title).click()


def sign_in(staff: Page, world: World) -> None:
    staff.goto(world.console_url + "/sign-in")
    staff.get_by_label("Email").fill(ADMIN_EMAIL)
    staff.get_by_label("Password").fill(ADMIN_PASSWORD)
    staff.get_by_role("button", name="Sign in").click()


def text_reaching(world: World, phone: str, *words: str, after: int = 0) -> str:
    """The first text to ``phone`` (after the first ``after``) with all of ``words``; waits for it."""
    deadline = time.monotonic() + REPLY_TIMEOUT / 1000
    while time.monotonic() < deadline:
        for reply in world.sms.replies(phone)[after:]:
            if all(w in reply["body"] for w in words):
                return reply["body"]
        time.sleep(0.2)
    raise AssertionError(f"no text with {words} reached {phone}: {[r['body'] for r in world.sms.replies(phone)]}")


def report_a_missed_bin(page: Page, site: str) -> str:
    page.goto(site + "/")
    page.locator("#council-chat[data-ready=true]").wait_for(state="attached")
    page.get_by_role("button", name="Chat with us").click()
    bot_says(page, "What can I help with?")
    say(page, "my bin wasn't collected")
    bot_says(page, "address where the bin wasn't collected")
    say(page, "12 Mill Lane")
    bot_says(page, "postcode")
    say(page, "AN1 4GT")
    bot_says(page, "Which bin")
    choose(page, "Black bin (general waste)")
    bot_says(page, "usually collected")
    say(page, "Monday")
    bot_says(page, "contact you")
    choose(page, "Yes")
    bot_says(page, "phone number")
    say(page, "07700 900123")
    bot_says(page, "email")
    say(page, "skip")
    bot_says(page, "Is that right?")
    choose(page, "Yes, send it")
    # Not necessarily the last bubble: the back office may accept the case,
    # and the resident be told, before the test reads it.
    confirmation = page.locator(".cc-from-bot .cc-bubble", has_text="Your reference is")
    expect(confirmation).to_have_count(1, timeout=REPLY_TIMEOUT)
    return REFERENCE.search(confirmation.inner_text()).group(1)  # type: ignore[union-attr]


def test_staff_work_a_case_from_the_list_and_the_resident_hears_on_the_web(world: World, browser: Browser) -> None:
    resident = browser.new_page()
    reference = report_a_missed_bin(resident, world.site)
    log = resident.get_by_role("log")
    # The worker opens it in the built-in back office and tells the resident it was accepted.
    expect(log).to_contain_text("accepted by the team", timeout=REPLY_TIMEOUT)

    staff = browser.new_page()
    staff.goto(world.console_url + "/sign-in")
    staff.get_by_label("Email").fill(ADMIN_EMAIL)
    staff.get_by_label("Password").fill(ADMIN_PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    staff.get_by_role("link", name="Cases").click()
    staff.get_by_label("Category").select_option("missed_bin")
    staff.get_by_label("Postcode district").fill("AN1")
    staff.get_by_role("button", name="Show").click()
    staff.get_by_role("link", name=reference).click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text(f"Case {reference}: missed bin")
    expect(staff.locator("main")).to_contain_text("12 Mill Lane")
    expect(staff.locator("main")).to_contain_text("accepted")  # the notification already sent

    staff.get_by_label(re.compile("Message to the resident")).fill("Our crew will come back for it tomorrow.")
    staff.get_by_role("button", name="Send update").click()
    expect(staff.get_by_role("status")).to_contain_text("Update sent to the resident.")
    update = resident.locator(".cc-from-staff").last
    expect(update).to_contain_text("Our crew will come back for it tomorrow.", timeout=REPLY_TIMEOUT)
    expect(update.locator(".cc-sender")).to_have_text("Anytown Borough Council team")

    staff.get_by_label("New status").select_option("closed")
    staff.get_by_label(re.compile("^Note")).fill("Bin emptied on the return visit.")
    staff.get_by_role("button", name="Change status").click()
    expect(staff.get_by_role("status")).to_contain_text("Status changed to closed. The resident has been told.")
    expect(log).to_contain_text(f"report {reference} has been closed. The team says: Bin emptied on the return visit.",
                                timeout=REPLY_TIMEOUT)
    expect(staff.locator("main")).to_contain_text("staff: Admin")  # the status history says who

    case = CaseStore(world.engine).get_by_reference(reference)
    assert case is not None and case.status == "closed"
    actions = {(e.action, e.target) for e in AuditLog(world.engine).recent(50)}
    assert {("view_case", reference), ("case_update", reference), ("case_status", reference)} <= actions
    staff.close()
    resident.close()


def test_staff_make_the_case_an_sms_resident_had_started_and_the_resident_hears_by_text(
        world: World, browser: Browser) -> None:
    phone = "+447700900611"
    for text, asked in (("my bin wasn't collected", "address"), ("12 Mill Lane", "postcode"), ("AN1 4GT", "bin"),
                        ("I want to talk to a real person please", "member of our team")):
        before = len(world.sms.replies(phone))
        world.sms.send_via_network(phone, text)
        text_reaching(world, phone, asked, after=before)
    conversation = world.sms.conversation(phone)

    staff = browser.new_page()
    sign_in(staff, world)
    row = staff.locator("#queue-rows tr", has_text="talk to human")
    # What the report is, from the form the resident had started; the number only on request.
    expect(row).to_contain_text("missed bin", timeout=REPLY_TIMEOUT)
    expect(row).to_contain_text(re.compile(r"12 Mill Lane.* AN1 4GT"))  # as the gazetteer names the place
    expect(row).not_to_contain_text(phone)
    row.get_by_role("button", name="Show number").click()
    expect(staff.locator("main")).to_contain_text(phone)
    staff.get_by_role("link", name="Back to the queue").click()
    staff.locator("#queue-rows tr", has_text="talk to human").get_by_role("button", name="Claim").click()
    staff.get_by_role("link", name="Create a case for the resident").click()
    expect(staff.get_by_label("Where")).to_have_value(re.compile("^12 Mill Lane"))
    expect(staff.get_by_label("Postcode")).to_have_value("AN1 4GT")
    expect(staff.get_by_label("What it is about")).to_have_value("missed_bin")
    staff.get_by_label("Bin", exact=True).fill("black")
    staff.get_by_label("The resident agrees to be contacted about it").check()
    staff.get_by_role("button", name="Create the case").click()
    expect(staff.get_by_role("status")).to_contain_text("created for the resident")
    reference = REFERENCE_ONLY.search(staff.get_by_role("heading", level=1).inner_text()).group(0)  # type: ignore[union-attr]

    # The worker delivers it like any other case; the resident hears on their own channel.
    assert "accepted" in text_reaching(world, phone, reference, "accepted")
    staff.reload()
    staff.get_by_label("New status").select_option("closed")
    staff.get_by_label(re.compile("^Note")).fill("Emptied this afternoon.")
    staff.get_by_role("button", name="Change status").click()
    expect(staff.get_by_role("status")).to_contain_text("The resident has been told.")
    assert "Emptied this afternoon." in text_reaching(world, phone, reference, "closed")
    # Closing the conversation is announced too, in the team's name.
    staff.get_by_role("link", name="Open the conversation").click()
    staff.get_by_role("button", name="Close (resolved)").click()
    assert text_reaching(world, phone, "conversation with our team has ended").startswith(
        "Anytown Borough Council team: ")

    case = CaseStore(world.engine).get_by_reference(reference)
    assert case is not None and (case.conversation_id, case.channel) == (conversation, "sms")
    assert (case.location_text or "").startswith("12 Mill Lane") and case.details == {"bin_type": "black"}
    actions = {(e.action, e.target) for e in AuditLog(world.engine).recent(100)}
    assert {("show_phone", conversation), ("case_create", reference), ("case_status", reference)} <= actions
    staff.close()


def test_a_refused_delivery_needs_attention_until_it_is_requeued_and_delivered(world: World, browser: Browser) -> None:
    store = CaseStore(world.engine)
    case = store.create(NewCase(category="graffiti", conversation_id="web-requeue", channel="web",
                                location_text="Station Road"), idempotency_key="e2e-requeue")
    with world.engine.begin() as conn:  # as the worker leaves a case a back office refused
        conn.execute(outbox.update().where(outbox.c.case_id == case.id).values(
            state="failed", attempts=1, last_error="HTTP 400: service_code unknown"))
    store.flag_for_attention(case.id, "council refused the case (attempt 1): HTTP 400: service_code unknown")

    staff = browser.new_page()
    sign_in(staff, world)
    staff.get_by_role("link", name="Needs attention").click()
    flagged = staff.get_by_role("region", name=re.compile("Deliveries flagged or refused"))
    expect(flagged).to_contain_text("service_code unknown")
    flagged.get_by_role("link", name=case.reference).click()
    staff.get_by_role("button", name="Re-queue delivery now").click()
    expect(staff.get_by_role("status")).to_contain_text("Re-queued")
    deadline = time.monotonic() + REPLY_TIMEOUT / 1000
    while store.get(case.id).needs_attention and time.monotonic() < deadline:  # type: ignore[union-attr]
        time.sleep(0.2)
    staff.reload()
    expect(staff.locator("main")).to_contain_text("so the flag was cleared")
    expect(staff.locator("main")).not_to_contain_text("Flagged for staff")
    staff.get_by_role("link", name="Needs attention").click()
    expect(staff.locator("main")).not_to_contain_text(case.reference)
    assert (case.reference, "case_requeue") in {(e.target, e.action) for e in AuditLog(world.engine).recent(50)}
    staff.close()

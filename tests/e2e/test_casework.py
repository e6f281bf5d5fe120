"""Casework in Chromium: a resident reports a missed bin in the web chat; staff find the case in the
console's case list, open its page, post a public update and close it; both reach the resident's
open chat live, the update labelled with the team's name.

Real Rasa server, action server, website, delivery worker and staff console; every category is
routed to the built-in back office, so the case is worked in the console.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.launcher import delivery_services, web_service
from bot.storage.audit import AuditLog
from bot.storage.cases import CaseStore
from bot.storage.database import make_engine
from tests.support.console import ADMIN_EMAIL, ADMIN_PASSWORD, builtin_routing, console_env, console_service
from tests.support.stack import Stack, free_port

pytestmark = pytest.mark.e2e
REFERENCE = re.compile(r"reference is ([A-Z0-9]{4}-[A-Z0-9]{4})")
REPLY_TIMEOUT = 30_000


class World:
    def __init__(self, var_dir: Path) -> None:
        console_port = free_port()
        self.stack = Stack(var_dir, {
            "WEB_PORT": str(free_port()), "OPEN311_SANDBOX_PORT": str(free_port()),
            "OUTBOX_WORKER_PORT": str(free_port()), "ROUTING_FILE": str(builtin_routing(var_dir / "routing.yml")),
            **console_env(console_port),
        })
        self.stack.start(extra=[web_service(self.stack.settings), *delivery_services(self.stack.settings),
                                console_service(console_port)])
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
    bot_says(page, "Your reference is")
    return REFERENCE.search(page.locator(".cc-from-bot .cc-bubble").last.inner_text()).group(1)  # type: ignore[union-attr]


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

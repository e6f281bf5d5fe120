"""Escalation over web chat: a resident in Chromium asks for a person, staff reply
from the console, the reply arrives live in the widget, and the bot takes over again."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, expect

from bot.launcher import web_service
from bot.storage.database import make_engine
from bot.storage.escalations import EscalationStore
from tests.support.console import StaffClient, console_env, console_service
from tests.support.stack import Stack, free_port

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"


class WebWorld:
    def __init__(self, var_dir: Path) -> None:
        console_port = free_port()
        self.stack = Stack(var_dir, {
            "WEB_PORT": str(free_port()), "STAFFED_HOURS": "Mon-Sun 00:00-24:00", **console_env(console_port),
        })
        self.stack.start(extra=[web_service(self.stack.settings), console_service(console_port)])
        self.site = self.stack.settings.web_public_url
        self.console_url = f"http://127.0.0.1:{console_port}"
        self.escalations = EscalationStore(make_engine(self.stack.settings.database_url))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    running = WebWorld(Path(tmp_path_factory.mktemp("escalation-web-stack")))
    try:
        yield running
    finally:
        running.stack.stop()


def test_web_resident_gets_a_live_reply_from_staff_then_the_bot_again(world: WebWorld, browser: Browser) -> None:
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(world.site + "/")
    page.locator(".cc-launcher").click()
    log = page.locator(".cc-log")
    expect(log).to_contain_text("assistant", timeout=20000)  # the greeting

    page.get_by_role("button", name="Talk to a person").click()
    expect(log).to_contain_text("pass you to a member of our team", timeout=20000)
    escalation = next(e for e in world.escalations.queue() if e.channel == "web")
    conversation = escalation.conversation_id

    # Paused: whatever the resident types, the bot says nothing.
    bot_messages = page.locator(".cc-log .cc-from-bot")
    answered = bot_messages.count()
    for text in ("<script>alert(1)</script>", "hello", "restart"):
        page.fill("#cc-input", text)
        page.locator(".cc-send").click()
    expect(page.locator(".cc-log .cc-from-me")).to_have_count(4)  # "Talk to a person" + the three above
    # The widget says a person will reply (not "the assistant is taking longer than usual"), and
    # "Talk to a person" is greyed out while the resident waits for one.
    expect(page.locator(".cc-status")).to_have_text("Your message has gone to our team. Someone will reply here.")
    expect(page.get_by_role("button", name="Talk to a person")).to_be_disabled()
    page.wait_for_timeout(2000)
    assert bot_messages.count() == answered

    staff = StaffClient(world.console_url)
    assert staff.sign_in().status_code == 303
    assert staff.post(f"/escalations/{escalation.id}/claim").status_code == 303
    transcript = staff.get(f"/conversation/transcript?id={conversation}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in transcript and "<script>alert(1)" not in transcript
    staff.post(f"/escalations/{escalation.id}/reply", {"text": "Hi, Jo from the council here."})
    expect(log).to_contain_text("Hi, Jo from the council here.", timeout=15000)  # live, no reload
    # Labelled with the team's name (COUNCIL_TEAM_NAME), not "Assistant".
    expect(page.locator(".cc-from-staff .cc-sender").last).to_have_text("Anytown Borough Council team")
    expect(page.locator(".cc-status")).to_have_text("")  # someone replied
    expect(page.get_by_role("button", name="Talk to a person")).to_be_disabled()  # still with staff

    staff.post(f"/escalations/{escalation.id}/hand-back")
    expect(log).to_contain_text("handed you back to the automated assistant", timeout=15000)  # announced
    expect(page.get_by_role("button", name="Talk to a person")).to_be_enabled()
    page.fill("#cc-input", "hello")
    page.locator(".cc-send").click()
    expect(log).to_contain_text("What can I help with?", timeout=20000)
    assert world.escalations.get(escalation.id).state == "handed_back"
    assert dialogs == []
    page.close()

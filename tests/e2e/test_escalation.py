"""Escalation end to end: real Rasa + action server + Twilio stand-in + staff console + Chromium.

A resident asks for a person (over SMS and over REST), the bot steps aside
and stays silent whatever they type, staff sign in with a real browser,
claim, read the escaped transcript, reply on the resident's own channel,
and hand back to the bot, which answers again.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.launcher import twilio_sandbox_service
from bot.storage.audit import AuditLog
from bot.storage.database import make_engine
from bot.storage.escalations import EscalationStore
from tests.support.console import ADMIN_EMAIL, ADMIN_PASSWORD, StaffClient, console_env, console_service
from tests.support.sms import SmsClient
from tests.support.stack import Stack, free_port

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"
PERSON_TEXT = "pass you to a member of our team"


class World:
    """The running system and the ways to poke it."""

    def __init__(self, var_dir: Path) -> None:
        console_port = free_port()
        # Staffed round the clock, so replies don't depend on when the tests run.
        self.stack = Stack(var_dir, {
            "TWILIO_SANDBOX_PORT": str(free_port()), "STAFFED_HOURS": "Mon-Sun 00:00-24:00",
            **console_env(console_port),
        })
        self.stack.start(extra=[twilio_sandbox_service(self.stack.settings), console_service(console_port)])
        self.console_url = f"http://127.0.0.1:{console_port}"
        self.sms = SmsClient(self.stack)
        engine = make_engine(self.stack.settings.database_url)
        self.escalations = EscalationStore(engine)
        self.audit = AuditLog(engine)

    def tracker(self, conversation_id: str) -> Dict[str, Any]:
        url = f"{self.stack.rasa_url}/conversations/{urllib.parse.quote(conversation_id, safe='')}/tracker"
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.stack.env['RASA_API_TOKEN']}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def staff(self) -> StaffClient:
        client = StaffClient(self.console_url)
        assert client.sign_in().status_code == 303
        return client


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    running = World(Path(tmp_path_factory.mktemp("escalation-stack")))
    try:
        yield running
    finally:
        running.stack.stop()


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def sign_in(page: Page, world: World) -> None:
    page.goto(world.console_url + "/queue")
    expect(page).to_have_url(f"{world.console_url}/sign-in?next=/queue")
    page.fill("input[name=email]", ADMIN_EMAIL)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(world.console_url + "/queue")


def test_sms_resident_gets_a_person_and_then_the_bot_back(world: World, browser: Browser) -> None:
    phone = "+447700900601"
    page = browser.new_page()
    dialogs: List[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, world)  # the queue is open before the resident writes: it must update by itself

    world.sms.send_via_network(phone, "hello")
    world.sms.wait_for_replies(phone, 1)
    world.sms.send_via_network(phone, "I want to talk to a real person please")
    [_, handoff] = world.sms.wait_for_replies(phone, 2)
    assert PERSON_TEXT in handoff["body"]

    # While paused, nothing the resident sends gets an answer from the bot.
    for text in ("<script>alert(1)</script>", "restart", "/restart", "hello", "I want to report a pothole"):
        sent = world.sms.send_via_network(phone, text)
        world.sms.wait_until_processed(sent["sid"]) if "sid" in sent else None
    time.sleep(1.0)
    assert len(world.sms.replies(phone)) == 2

    # The queue shows the conversation without a reload (server-sent events).
    row = page.locator("#queue-rows tr", has_text="talk to human")
    expect(row).to_contain_text("sms", timeout=15000)
    row.get_by_role("button", name="Claim").click()
    expect(page.locator(".panel h2").first).to_contain_text("talk to human")

    # The transcript shows everything, resident text as text.
    transcript = page.locator(".transcript")
    expect(transcript).to_contain_text("<script>alert(1)</script>")
    expect(transcript).to_contain_text("I want to report a pothole")
    expect(transcript).to_contain_text("intent talk_to_human")
    assert dialogs == []

    page.fill("textarea[name=text]", "Hello, this is Anytown council. How can I help?")
    page.get_by_role("button", name="Send reply").click()
    replies = world.sms.wait_for_replies(phone, 3)
    # Labelled with the team's name (COUNCIL_TEAM_NAME), so the resident knows a person is talking.
    assert replies[2]["body"] == "Anytown Borough Council team: Hello, this is Anytown council. How can I help?"
    expect(transcript).to_contain_text("Staff: Administrator")

    page.get_by_role("button", name="Hand back to the bot").click()
    expect(page).to_have_url(world.console_url + "/queue")
    replies = world.sms.wait_for_replies(phone, 4)
    assert "handed you back to the automated assistant" in replies[3]["body"]  # announced, unprompted
    world.sms.send_via_network(phone, "hello")
    replies = world.sms.wait_for_replies(phone, 5)
    assert "assistant" in replies[4]["body"]

    conversation = world.sms.conversation(phone)
    [escalation] = world.escalations.for_conversation(conversation)
    assert (escalation.state, escalation.channel, escalation.phone) == ("handed_back", "sms", phone)
    staff_turns = [e for e in world.tracker(conversation)["events"]
                   if e.get("event") == "bot" and (e.get("metadata") or {}).get("from_staff")]
    assert [e["text"] for e in staff_turns] == ["Hello, this is Anytown council. How can I help?"]
    actions = {(e.action, e.target) for e in world.audit.recent(100)}
    assert {("claim", conversation), ("reply", conversation), ("hand_back", conversation)} <= actions
    page.close()


def test_rest_resident_is_not_answered_while_paused_and_staff_reply_is_recorded(world: World) -> None:
    sender = "rest-paused-1"
    said = world.stack.say_text(sender, "can I speak to a human")
    assert PERSON_TEXT in said
    for text in ("hello", "restart", "/restart", "/greet", '/report_pothole{"location":"x"}', "I smell gas",
                 "", "\x00\x01binary", "x" * 5000, "goodbye"):
        assert world.stack.say(sender, text) == [], text
    tracker = world.tracker(sender)
    assert tracker["paused"] is True
    user_texts = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert "I smell gas" in user_texts and "goodbye" in user_texts  # recorded, not answered

    staff = world.staff()
    escalation = world.escalations.open_for_conversation(sender)
    assert staff.post(f"/escalations/{escalation.id}/claim").status_code == 303
    # REST has no push: the reply is recorded in the tracker for the client to read.
    assert staff.post(f"/escalations/{escalation.id}/reply", {"text": "Hi from the council"}).status_code == 303
    events = world.tracker(sender)["events"]
    assert events[-1]["event"] == "bot" and events[-1]["text"] == "Hi from the council"
    assert staff.post(f"/escalations/{escalation.id}/close").status_code == 303
    assert world.escalations.get(escalation.id).state == "closed"
    assert world.tracker(sender)["paused"] is False
    assert "assistant" in world.stack.say_text(sender, "hello")


def test_urgent_words_give_emergency_numbers_and_jump_the_queue(world: World) -> None:
    said = world.stack.say_text("rest-urgent-1", "there's a strong smell of gas in my hallway")
    assert "999" in said and "0800 111 999" in said
    assert said.index("999") < said.index("asked someone from our team to reply")
    queued = world.escalations.open_for_conversation("rest-urgent-1")
    assert (queued.priority, queued.reason, queued.urgent_category) == ("urgent", "urgent", "gas")
    assert world.escalations.queue()[0].conversation_id == "rest-urgent-1"


def test_two_fallbacks_in_a_row_escalate(world: World) -> None:
    one, two = world.stack.not_understood(2)
    first = world.stack.say_text("rest-fallback-1", one)
    # Not understood: the plain answer, or the likeliest reports to choose from (actions/choices.py).
    assert "didn't understand" in first or "not sure I've understood" in first
    second = world.stack.say_text("rest-fallback-1", two)
    assert "still not understanding" in second
    assert world.escalations.open_for_conversation("rest-fallback-1").reason == "repeated_fallback"


def test_asking_for_a_person_mid_report_escalates(world: World) -> None:
    sender = "rest-midform-1"
    world.stack.say_text(sender, "there is a pothole")
    said = world.stack.say_text(sender, "I want to talk to a real person")
    assert PERSON_TEXT in said
    assert world.tracker(sender)["active_loop"] in ({}, None) or not world.tracker(sender)["active_loop"].get("name")
    assert world.escalations.open_for_conversation(sender).reason == "talk_to_human"


def test_a_complaint_goes_to_a_person(world: World) -> None:
    said = world.stack.say_text("rest-complaint-1", "I want to make a formal complaint about a member of staff")
    assert "complaint" in said and PERSON_TEXT in said
    assert world.escalations.open_for_conversation("rest-complaint-1").reason == "complaint"


def test_staff_find_a_conversation_by_case_reference_or_postcode_and_keep_notes(world: World) -> None:
    from bot.cases.model import NewCase
    from bot.storage.cases import CaseStore

    sender = "rest-with-case-1"
    assert PERSON_TEXT in world.stack.say_text(sender, "I need to talk to a person about my report")
    case = CaseStore(make_engine(world.stack.settings.database_url)).create(
        NewCase(category="pothole", conversation_id=sender, channel="rest", location_text="Mill Lane",
                postcode="AN1 4GT", description="deep pothole", details={}, contact_phone="+447700900777",
                contact_email=None, contact_consent=True, media_urls=[]),
        idempotency_key=f"{sender}:case",
    )
    staff = world.staff()
    for query in (case.reference.lower().replace("-", " "), "an1 4gt", "07700 900777"):
        found = staff.get(f"/search?q={urllib.parse.quote(query)}").text
        assert sender in found and case.reference in found, query
    page = staff.get(f"/conversation?id={sender}").text
    assert case.reference in page and "intent talk_to_human" in page

    escalation = world.escalations.open_for_conversation(sender)
    staff.post(f"/escalations/{escalation.id}/note", {"text": "Resident is <b>upset</b>; call back after 3pm"})
    page = staff.get(f"/conversation?id={sender}").text
    assert "Resident is &lt;b&gt;upset&lt;/b&gt;; call back after 3pm" in page
    bot_texts = [e.get("text") or "" for e in world.tracker(sender)["events"] if e["event"] == "bot"]
    assert not any("call back after 3pm" in text for text in bot_texts)  # notes never reach the resident
    searches = [e for e in world.audit.recent(50) if e.action == "search"]
    assert searches and all("07700" not in str(e.detail) for e in searches)

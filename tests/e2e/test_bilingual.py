"""A Welsh council (COUNCIL_LANGUAGES=cy,en) end to end, in both languages (issue 15).

One stack for the whole module, the only one started with two languages: the
real Rasa server (with the language step, bot/language/rasa_hook.py), action
server, demo website with the widget in headless Chromium, Twilio stand-in,
delivery worker and Open311 sandbox. What the bot should say is read from
domain.yml's responses (the variation for each language) and the message
catalogue, so these tests check the language of each reply, not its wording.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import yaml
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from bot import messages
from bot.channels.sms_text import segments
from bot.launcher import delivery_services, twilio_sandbox_service, web_service
from bot.settings import PROJECT_ROOT
from bot.storage.cases import CaseStore
from bot.storage.database import make_engine
from tests.support.browser import run_axe
from tests.support.sms import SmsClient
from tests.support.stack import Stack, free_port

pytestmark = pytest.mark.e2e

REFERENCE = re.compile(r"\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")
REPLY_TIMEOUT = 30_000


def response(name: str, language: str) -> str:
    """The text of a domain.yml response's (non-channel) variation in ``language``."""
    variations = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"][name]
    for variation in variations:
        if variation.get("channel"):
            continue
        values = {c.get("value") for c in variation.get("condition") or [] if c.get("name") == "language"}
        if (language == "en" and not values) or language in values:
            return variation["text"]
    raise AssertionError(f"{name} has no {language} variation")


def opening(message_id: str, language: str) -> str:
    """A catalogue text's words before its first placeholder (what a filled text starts with)."""
    return messages.template(message_id, language).split("{")[0]


@pytest.fixture(scope="module")
def welsh_council(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(Path(tmp_path_factory.mktemp("bilingual-stack")), env={
        "COUNCIL_LANGUAGES": "cy,en",
        "WEB_PORT": str(free_port()),
        "TWILIO_SANDBOX_PORT": str(free_port()),
        "OPEN311_SANDBOX_PORT": str(free_port()),
        "OUTBOX_WORKER_PORT": str(free_port()),
        "OUTBOX_STATUS_POLL_SECONDS": "1",
    })
    stack.start(extra=[web_service(stack.settings), twilio_sandbox_service(stack.settings),
                       *delivery_services(stack.settings)])
    try:
        yield stack
    finally:
        stack.stop()


def tracker_slots(stack: Stack, conversation: str) -> Dict[str, object]:
    import json
    import urllib.request

    request = urllib.request.Request(f"{stack.rasa_url}/conversations/{conversation}/tracker?include_events=NONE",
                                     headers=stack.rest_headers)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())["slots"]


# ----- REST: detection, choice, stickiness ---------------------------------------------
def test_the_language_follows_what_the_resident_writes_until_they_choose(welsh_council: Stack) -> None:
    me = f"rest-{uuid.uuid4().hex[:12]}"
    # An English report on a Welsh council is answered in English...
    assert response("utter_ask_location", "en") in welsh_council.say_text(me, "I want to report a pothole please")
    assert tracker_slots(welsh_council, me)["language"] == "en"
    # ...a street name or "ok" changes nothing; "Cymraeg" is a choice, and the question comes again in Welsh.
    said = welsh_council.say_text(me, "Cymraeg")
    assert response("utter_language_chosen", "cy") in said and response("utter_ask_location", "cy") in said
    # Chosen: English words no longer change it.
    welsh_council.say_text(me, "outside the school on Station Road, near the bus stop")
    slots = tracker_slots(welsh_council, me)
    assert slots["language"] == "cy" and slots["language_chosen"] is True


def test_a_welsh_message_on_a_welsh_council_is_answered_in_welsh(welsh_council: Stack) -> None:
    me = f"rest-{uuid.uuid4().hex[:12]}"
    said = welsh_council.say_text(me, "hoffwn i roi gwybod am dwll mawr yn y ffordd")
    assert response("utter_ask_location", "cy") in said
    assert tracker_slots(welsh_council, me)["language"] == "cy"


def test_a_welsh_message_with_two_problems_offers_the_second_in_welsh(welsh_council: Stack) -> None:
    me = f"rest-{uuid.uuid4().hex[:12]}"
    welsh_council.say_text(me, "mae'r bin ailgylchu heb ei gasglu ar 14 Foxglove Way AN1 4GT ac hefyd mae golau "
                               "stryd wedi torri ar Station Road")
    welsh_council.say_text(me, "dydd mawrth")
    welsh_council.say_text(me, "na")
    said = welsh_council.say_text(me, "ie")
    assert "Station Road" in said and "sonioch" in said and " on Station Road" not in said


# ----- SMS: a Welsh report from greeting to reference, and its update in Welsh -------------


def test_a_welsh_sms_report_from_greeting_to_reference_and_its_update_in_welsh(welsh_council: Stack) -> None:
    sms = SmsClient(welsh_council)
    phone = "+447700900731"
    answers = ["Shwmae", "dydy'r bin ddim wedi cael ei gasglu", "14 Foxglove Way, AN1 4GT", "y bin glas",
               "dydd Mawrth", "ie", "hepgor", "ie"]
    for count, text in enumerate(answers, start=1):
        sms.send_via_network(phone, text)
        sms.wait_for_replies(phone, count)
    texts: List[str] = [r["body"] for r in sms.replies(phone)]
    assert response("utter_ask_missed_bin_form_location", "cy") in texts[1], texts
    too_long = [(segments(text), text) for text in texts if segments(text) > 3]
    assert not too_long, too_long
    # The read-back names the bin and the day in Welsh (not council/bins.yml's "blue bin (recycling)").
    [read_back] = [text for text in texts if messages.text("report.is_that_right", "cy") in text]
    assert "bin glas (ailgylchu)" in read_back and "dydd Mawrth" in read_back and "recycling" not in read_back
    assert "GOLLWNG" in " ".join(texts)  # the Welsh way to leave a report, taught by SMS
    reference = REFERENCE.search(texts[-1] if REFERENCE.search(texts[-1]) else " ".join(texts[-2:])).group(0)
    assert opening("report.received_contact", "cy") in " ".join(texts[-2:])
    case = CaseStore(make_engine(welsh_council.settings.database_url)).get_by_reference(reference)
    assert case is not None and case.language == "cy"

    # The back office accepts it (the worker polls the Open311 sandbox): the update comes in Welsh.
    accepted = sms.wait_for_text(phone, lambda body: reference in body and body != texts[-1])
    assert accepted.startswith(opening("case_update.accepted", "cy")), accepted

    # Welsh keywords: CYMORTH is HELP, LLUNIAU asks for an upload link; both answered in Welsh.
    sent = len(sms.replies(phone))
    sms.send_via_network(phone, "CYMORTH")
    assert "GOLLWNG" in sms.wait_for_replies(phone, sent + 1)[-1]["body"]
    sms.send_via_network(phone, "LLUNIAU")
    photo = sms.wait_for_replies(phone, sent + 2)[-1]["body"]
    assert photo.startswith((opening("photo_link.link", "cy"), opening("photo_link.unavailable", "cy"))), photo
    # STOPIO (Welsh for STOP), which this council has not added to Twilio's opt-out words: the
    # resident is told in Welsh to send STOP, and texts keep flowing until they do.
    sms.send_via_network(phone, "STOPIO")
    how = sms.wait_for_replies(phone, sent + 3)[-1]["body"]
    assert "atebwch STOP" in how, how
    sms.send_via_network(phone, "CYMORTH")
    assert "GOLLWNG" in sms.wait_for_replies(phone, sent + 4)[-1]["body"]


def test_an_sms_keyword_changes_the_language_and_later_replies_follow_it(welsh_council: Stack) -> None:
    sms = SmsClient(welsh_council)
    phone = "+447700900732"
    sms.send_via_network(phone, "ENGLISH")
    [reply] = sms.wait_for_replies(phone, 1)
    assert reply["body"].startswith(response("utter_language_chosen", "en"))
    sms.send_via_network(phone, "mae'r golau stryd wedi torri")  # Welsh words after choosing English
    replies = sms.wait_for_replies(phone, 2)
    assert response("utter_ask_location", "en") in replies[-1]["body"]


# ----- web chat in Chromium ---------------------------------------------------------------
@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    # bypass_csp: axe-core is added to the page as a script.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    yield context
    context.close()


def open_chat(page: Page, stack: Stack) -> None:
    page.goto(stack.settings.web_public_url + "/")
    page.locator("#council-chat[data-ready=true]").wait_for(state="attached")
    page.locator(".cc-launcher").click()


def bot_says(page: Page, text: str) -> None:
    expect(page.locator(".cc-from-bot .cc-bubble").last).to_contain_text(text, timeout=REPLY_TIMEOUT)


def type_and_send(page: Page, text: str) -> None:
    page.locator(".cc-input").fill(text)
    page.locator(".cc-send").click()


def panel(page: Page) -> Locator:
    return page.locator(".cc-panel")


def test_web_chat_switches_language_mid_form_and_marks_each_message(welsh_council: Stack, context: BrowserContext) -> None:
    page = context.new_page()
    open_chat(page, welsh_council)
    expect(panel(page)).to_have_attribute("lang", "cy")  # the council's default
    toggle = page.locator(".cc-language")
    expect(toggle).to_have_text("English")
    expect(toggle).to_have_attribute("lang", "en")

    type_and_send(page, "hoffwn i roi gwybod am dwll mawr yn y ffordd")
    bot_says(page, response("utter_ask_location", "cy"))
    expect(page.locator(".cc-from-bot").last).to_have_attribute("lang", "cy")

    toggle.click()  # mid-form: the same question again, in English
    bot_says(page, response("utter_ask_location", "en"))
    expect(page.locator(".cc-from-bot", has_text=response("utter_language_chosen", "en"))).to_have_attribute(
        "lang", "en")
    expect(panel(page)).to_have_attribute("lang", "en")
    expect(toggle).to_have_text("Cymraeg")
    expect(page.locator(".cc-from-me").last).to_have_attribute("lang", "en")

    type_and_send(page, "outside 14 Foxglove Way")
    # "yn y ffordd" (in the road) in the first message answered road or pavement: the size is next.
    bot_says(page, response("utter_ask_defect_size", "en"))
    type_and_send(page, "Cymraeg")  # typed, not clicked: the same choice
    bot_says(page, response("utter_ask_defect_size", "cy"))
    expect(panel(page)).to_have_attribute("lang", "cy")
    expect(toggle).to_have_text("English")


def test_no_axe_violations_in_welsh_and_the_lang_attributes_are_right(welsh_council: Stack,
                                                                        context: BrowserContext) -> None:
    page = context.new_page()
    open_chat(page, welsh_council)
    type_and_send(page, "dydy'r bin ddim wedi cael ei gasglu")
    bot_says(page, response("utter_ask_missed_bin_form_location", "cy"))
    assert panel(page).get_attribute("lang") == "cy"
    assert page.locator(".cc-from-bot").evaluate_all("items => items.map(i => i.lang)")[-1] == "cy"
    violations = run_axe(page)
    assert violations == [], violations


def test_an_update_is_sent_in_the_language_of_the_case_after_the_resident_changed_since(
        welsh_council: Stack) -> None:
    """The case keeps the language it was made in: an English case of a resident who later chose
    Welsh is updated in English, as the resident read the report."""
    sms = SmsClient(welsh_council)
    phone = "+447700900733"
    answers = ["English", "my bin wasn't collected", "14 Foxglove Way, AN1 4GT", "the black one", "monday",
               "yes", "skip", "yes"]
    for count, text in enumerate(answers, start=1):
        sms.send_via_network(phone, text)
        sms.wait_for_replies(phone, count)
    reference = REFERENCE.search(" ".join(r["body"] for r in sms.replies(phone)[-2:])).group(0)
    store = CaseStore(make_engine(welsh_council.settings.database_url))
    assert store.get_by_reference(reference).language == "en"
    sms.send_via_network(phone, "Cymraeg")
    sms.wait_for_replies(phone, len(answers) + 1)
    accepted = sms.wait_for_text(phone, lambda body: reference in body and opening(
        "case_update.accepted", "en") in body)
    assert accepted.startswith(opening("case_update.accepted", "en"))

"""Duplicate reports recognised in conversation, end to end: the session stack (real Rasa and action
servers, Open311 sandbox, delivery worker), the website in headless Chromium, and the Twilio stand-in.

Fly-tipping on Station Road is already reported (and delivered to the back office). A web resident
reporting it again is told so and follows it ("me too"); an SMS resident follows it with "1"; another
says theirs is different with "2" (a new case naming the first). When the back office closes the case,
both followers are told on their own channel, once.
"""

from __future__ import annotations

import re
import subprocess
import time
from typing import Callable, Iterator, List, Tuple

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from bot.cases.model import CLOSED, NewCase
from bot.launcher import Service, stop_all, twilio_sandbox_service, wait_until_healthy, web_service
from bot.settings import PROJECT_ROOT
from bot.storage.cases import CaseStore
from bot.storage.database import make_engine
from bot.storage.followers import FollowerStore
from bot.storage.schema import cases as cases_table
from tests.support.delivery import http_json
from tests.support.sms import SmsClient
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

REFERENCE = re.compile(r"\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")
REPLY_TIMEOUT = 60_000
PLACE = "outside 3 Station Road"


def _start(stack: Stack, service: Service, **env: str) -> None:
    log = open(stack.var_dir / f"duplicates-{service.name.replace(' ', '-').lower()}.log", "ab")
    service.process = subprocess.Popen(service.argv, cwd=PROJECT_ROOT, env={**stack.env, **service.env, **env},
                                       stdout=log, stderr=subprocess.STDOUT)
    wait_until_healthy(service, timeout=60)


@pytest.fixture(scope="module")
def dup(stack: Stack) -> Iterator[Tuple[Stack, SmsClient]]:
    """The session stack with duplicate offers on (they are off in other e2e tests: tests/support/stack.py):
    its action server is restarted with DUPLICATE_DAYS=30 (the Rasa server is kept), and put back after.
    Plus the website and the Twilio stand-in."""
    action = next(s for s in stack.services if s.name == "action server")
    stop_all([action])
    _start(stack, action, DUPLICATE_DAYS="30")
    extra = [twilio_sandbox_service(stack.settings), web_service(stack.settings)]
    try:
        for service in extra:
            _start(stack, service)
        yield stack, SmsClient(stack)
    finally:
        stop_all(extra + [action])
        _start(stack, action)


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def known(dup: Tuple[Stack, SmsClient]):  # type: ignore[no-untyped-def]
    """The fly-tipping case we already have, delivered to the (sandbox) back office."""
    stack, _ = dup
    store = CaseStore(make_engine(stack.settings.database_url))
    case = store.create(NewCase(category="flytipping", conversation_id="e2e-dup-first", channel="web",
                                location_text="3 Station Road, Anytown", usrn="38000007",
                                description="bags of rubbish"), idempotency_key="e2e-dup-first")
    wait_for(lambda: store.get(case.id).backoffice_reference is not None)
    return store.get(case.id)


def wait_for(condition: Callable[[], bool], timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError("timed out")


# ----- the web: offered, and followed ------------------------------------------------------
def bot_says(page: Page, text: str) -> None:
    expect(page.locator(".cc-from-bot .cc-bubble").last).to_contain_text(text, timeout=REPLY_TIMEOUT)


def send(page: Page, text: str) -> None:
    page.get_by_label("Type your message").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def click_reply(page: Page, title: str) -> None:
    page.get_by_role("group", name="Suggested replies").get_by_role("button", name=title).click()


def test_a_web_resident_is_told_we_know_and_follows_the_case(dup, known, page: Page) -> None:  # type: ignore[no-untyped-def]
    stack, _ = dup
    page.goto(stack.settings.web_public_url + "/")
    page.locator("#council-chat[data-ready=true]").wait_for(state="attached")
    page.get_by_role("button", name="Chat with us").click()
    bot_says(page, "What can I help with?")
    send(page, "someone has dumped rubbish in the street")  # long enough to be the description too
    bot_says(page, "Where is it?")
    send(page, PLACE)
    bot_says(page, "Can we contact you")
    click_reply(page, "No")
    bot_says(page, "Is that right?")
    click_reply(page, "Yes, send it")
    bot_says(page, "We already know about fly-tipping on Station Road near number 3, reported today")
    bot_says(page, f"reference {known.reference}")
    click_reply(page, "Same problem: keep me updated")
    bot_says(page, f"I've added you to report {known.reference}")

    followers = FollowerStore(make_engine(stack.settings.database_url)).for_case(known.id)
    assert [f.channel for f in followers] == ["web"] and followers[0].description
    assert len(CaseStore(make_engine(stack.settings.database_url)).for_conversation(followers[0].conversation_id)) == 0


# ----- SMS: offered as numbered options; "2" reports anyway, "1" follows -------------------------
def report_by_sms(sms: SmsClient, phone: str) -> List[str]:
    answers = [("is that right", "1"), ("contact you", "no"), ("where", PLACE), ("dumped", "fridge"),
               ("describe", "fridge")]
    sms.send_via_network(phone, "someone has dumped rubbish in the street")
    for turn in range(2, 12):
        last = sms.wait_for_replies(phone, turn - 1)[-1]["body"]
        if "already know" in last:
            return [r["body"] for r in sms.replies(phone)]
        answer = next((a for cue, a in answers if cue in last.lower()), None)
        assert answer is not None, f"unexpected question: {last}"
        sms.send_via_network(phone, answer)
    raise AssertionError("no offer")


def test_by_sms_one_reports_it_as_different_another_follows_and_followers_hear_it_closed(
    dup, known, page: Page  # type: ignore[no-untyped-def]
) -> None:
    stack, sms = dup
    store = CaseStore(make_engine(stack.settings.database_url))

    follower = "+447700900612"
    report_by_sms(sms, follower)
    count = len(sms.replies(follower))
    sms.send_via_network(follower, "1")
    assert f"added you to report {known.reference}" in sms.wait_for_replies(follower, count + 1)[-1]["body"]
    assert "We'll text you its updates" in sms.replies(follower)[-1]["body"]

    different = "+447700900611"
    offer = report_by_sms(sms, different)[-1]
    assert f"reference {known.reference}" in offer
    assert "Reply 1 for Same problem: keep me updated, 2 for It's different: report it." in offer
    count = len(sms.replies(different))
    sms.send_via_network(different, "2")
    made = sms.wait_for_replies(different, count + 1)[-1]["body"]
    reference = re.search(r"reference is (\S{4}-\S{4})", made).group(1)  # type: ignore[union-attr]
    new_case = store.get_by_reference(reference)
    with store.engine.connect() as conn:
        assert conn.execute(select(cases_table.c.duplicate_of).where(cases_table.c.id == new_case.id)).scalar() \
            == known.id
    assert FollowerStore(store.engine).count(known.id) == 2  # the web resident and the first texter

    # The back office closes the case: each follower is told once, on their own channel.
    sandbox = f"http://{stack.settings.bind_host}:{stack.settings.open311_sandbox_port}"
    http_json(f"{sandbox}/admin/requests/{known.backoffice_reference}", {"status": "closed",
                                                                         "status_notes": "Cleared today"})
    wait_for(lambda: store.get(known.id).status == CLOSED)
    closed = f"fly-tipping report {known.reference} you're following has been closed"
    wait_for(lambda: any(closed in r["body"] for r in sms.replies(follower)))
    bot_says(page, closed)
    time.sleep(2)  # a second poll round must not tell anyone again
    assert sum(closed in r["body"] for r in sms.replies(follower)) == 1
    assert not any(closed in r["body"] for r in sms.replies(different))  # not a follower
    assert page.locator(".cc-from-bot .cc-bubble", has_text=closed).count() == 1

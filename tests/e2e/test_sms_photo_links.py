"""Photos by SMS without MMS, end to end: the real Rasa and action servers (the session stack),
the Twilio stand-in, the council website and headless Chromium.

An SMS report gets a one-time link; the resident opens it in a browser, sends two
photos, is told by SMS that they arrived, and they are on the case; the link is then
refused, as are an expired one and a forged one.
"""

from __future__ import annotations

import io
import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, List

import pytest
from PIL import Image
from playwright.sync_api import Browser

from bot.launcher import stop_all, twilio_sandbox_service, wait_until_healthy, web_service
from bot.photo_links import token as tokens
from bot.photo_links.service import PATH_PREFIX
from bot.settings import PROJECT_ROOT
from bot.storage.cases import CaseStore
from bot.storage.photo_links import PhotoLinkStore
from tests.support.browser import run_axe
from tests.support.sms import SmsClient
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

LINK = re.compile(r"https?://\S+?" + re.escape(PATH_PREFIX) + r"[A-Za-z0-9_-]{32}")


@pytest.fixture(scope="module")
def sms(stack: Stack) -> Iterator[SmsClient]:
    """The session stack, plus the Twilio stand-in and the website it sends residents to."""
    extra = [twilio_sandbox_service(stack.settings), web_service(stack.settings)]
    for service in extra:
        log = open(stack.var_dir / f"photo-links-{service.name.replace(' ', '-').lower()}.log", "ab")
        service.process = subprocess.Popen(service.argv, cwd=PROJECT_ROOT, env={**stack.env, **service.env},
                                           stdout=log, stderr=subprocess.STDOUT)
    try:
        for service in extra:
            wait_until_healthy(service, timeout=60)
        yield SmsClient(stack)
    finally:
        stop_all(extra)


def photo_files(folder: Path) -> List[str]:
    paths = []
    for name, colour in (("pothole.jpg", (90, 90, 90)), ("close-up.png", (200, 180, 20))):
        image = Image.new("RGB", (64, 48), colour)
        out = io.BytesIO()
        image.save(out, format="JPEG" if name.endswith(".jpg") else "PNG")
        (folder / name).write_bytes(out.getvalue())
        paths.append(str(folder / name))
    return paths


def report_by_sms(sms: SmsClient, phone: str) -> str:
    """Report fly-tipping by SMS; returns the last reply (the reference, with the link)."""
    answers = [  # first matching cue wins: the summary mentions earlier answers
        ("is that right", "1"),
        ("contact you", "no"),
        ("or in easton", "Northfield"),
        ("where", "outside 12 Mill Lane by the bus stop"),
        ("dumped", "three black bags and an old mattress"),
        ("describe", "three black bags and an old mattress"),
    ]
    sms.send_via_network(phone, "someone has dumped rubbish in the street")
    for turn in range(2, 12):
        last = sms.wait_for_replies(phone, turn - 1)[-1]["body"]
        if "reference is" in last:
            return last
        answer = next((a for cue, a in answers if cue in last.lower()), None)
        assert answer is not None, f"unexpected question: {last}"
        sms.send_via_network(phone, answer)
    raise AssertionError(f"no case created: {sms.replies(phone)}")


def test_an_sms_resident_sends_photos_through_the_link(sms: SmsClient, browser: Browser, tmp_path: Path):
    phone = "+447700900131"
    reply = report_by_sms(sms, phone)
    cases = CaseStore(sms.store.engine)
    [case] = cases.for_conversation(sms.conversation(phone))
    assert case.reference in reply and case.media_urls == []
    [link] = LINK.findall(reply)
    assert link.startswith(sms.settings.web_public_url) and case.reference not in link
    # One SMS body, GSM-7, at most 3 segments.
    final = sms.replies(phone)[-1]
    assert final["num_segments"] <= 3

    # A phone-sized screen: the form reflows (no sideways scrolling), everything labelled.
    context = browser.new_context(viewport={"width": 320, "height": 640}, bypass_csp=True)
    page = context.new_page()
    opened = page.goto(link)
    assert opened.status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert run_axe(page) == []
    page.get_by_label("Choose photos").set_input_files(photo_files(tmp_path))
    texts_before = len(sms.replies(phone))  # counted before sending: the text can beat the page
    page.get_by_role("button", name="Send photos").click()
    page.get_by_role("heading", name="Photos sent").wait_for()
    assert f"We've added 2 photos to your report {case.reference}" in page.inner_text("main")

    # The resident is told by SMS, and the photos are on the case, served by the website.
    told = sms.wait_for_replies(phone, texts_before + 1)[-1]["body"]
    assert f"got your 2 photos for report {case.reference}" in told
    media = cases.get(case.id).media_urls
    assert len(media) == 2 and all(u.startswith(f"{sms.settings.web_public_url}/chat/uploads/") for u in media)
    served = page.request.get(media[0])
    assert served.status == 200 and served.headers["content-type"] == "image/jpeg"

    # Used: refused, politely, with the right status.
    again = page.goto(link)
    assert again.status == 410 and "This link has already been used" in page.inner_text("main")

    # Forged (one character changed): refused.
    token = link.rsplit(PATH_PREFIX, 1)[1]
    forged = page.goto(link[:-1] + ("A" if token[-1] != "A" else "B"))
    assert forged.status == 404 and "This link isn't working" in page.inner_text("main")

    # Expired: a link issued 25 hours ago for this case.
    secret = sms.stack.env["PHOTO_LINK_SECRET"]
    issued = datetime.now(timezone.utc) - timedelta(hours=25)
    link_id = tokens.new_link_id()
    PhotoLinkStore(sms.store.engine).add(link_id, case.id, issued + timedelta(hours=24), now=issued)
    expired = page.goto(f"{sms.settings.web_public_url}{PATH_PREFIX}{tokens.sign(secret, link_id, issued + timedelta(hours=24))}")
    assert expired.status == 410 and "This link has expired" in page.inner_text("main")
    context.close()

    # Asking again by SMS gets a fresh link for the same report (no NLU involved).
    before = len(sms.replies(phone))
    sms.send_via_network(phone, "I've got another photo")
    fresh = sms.wait_for_replies(phone, before + 1)[-1]["body"]
    assert case.reference in fresh and LINK.search(fresh) and LINK.search(fresh).group(0) != link
    assert cases.get(case.id).media_urls == media

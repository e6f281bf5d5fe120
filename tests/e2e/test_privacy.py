"""Residents' data rights end to end, through the real system.

One resident texts a report with a photo and a card number, asks for a
person (staff claim and write a note), and reports again in web chat in a
real browser with a photo, giving the same phone number and an email. The
back office (Open311 stand-in) accepts the cases and the resident is texted.
Then a supervisor downloads everything held (console), and the council
erases it (``python -m bot.privacy``): after that nothing about them is
found by the console's search, in any row of either database, or in the
files' bytes, and their photos are gone.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from bot.channels.guard import masked_notice
from bot.launcher import delivery_services, twilio_sandbox_service, web_service
from bot.settings import PROJECT_ROOT
from bot.storage import tracker_events
from bot.storage.audit import AuditLog
from bot.storage.cases import CaseStore
from bot.storage.database import make_engine
from bot.storage.escalations import EscalationStore
from tests.support.console import StaffClient, console_env, console_service
from tests.support.sms import TINY_PNG, SmsClient
from tests.support.stack import Stack, free_port

pytestmark = pytest.mark.e2e

PHONE, PHONE_TYPED, EMAIL = "+447700900777", "07700 900777", "jo.privacy@example.com"
CARD = "4111 1111 1111 1111"
REFERENCE = re.compile(r"\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")
REPLY_TIMEOUT = 30_000


class World:
    def __init__(self, var_dir: Path) -> None:
        console_port = free_port()
        self.stack = Stack(var_dir, {
            "TWILIO_SANDBOX_PORT": str(free_port()), "WEB_PORT": str(free_port()),
            "OPEN311_SANDBOX_PORT": str(free_port()), "OUTBOX_WORKER_PORT": str(free_port()),
            "OUTBOX_STATUS_POLL_SECONDS": "1", "STAFFED_HOURS": "Mon-Sun 00:00-24:00",
            **console_env(console_port),
        })
        settings = self.stack.settings
        self.stack.start(extra=[twilio_sandbox_service(settings), web_service(settings),
                                *delivery_services(settings), console_service(console_port)])
        self.settings = settings
        self.console_url = f"http://127.0.0.1:{console_port}"
        self.sms = SmsClient(self.stack)
        self.engine = make_engine(settings.database_url)
        self.tracker_engine = make_engine(settings.tracker_store_url)
        self.cases = CaseStore(self.engine)
        self.escalations = EscalationStore(self.engine)

    def staff(self) -> StaffClient:
        client = StaffClient(self.console_url)
        assert client.sign_in().status_code == 303
        return client

    def rows(self) -> str:
        """Every row of every table of our database and Rasa's tracker store, as text."""
        found: List[str] = []
        for path in (self.settings.var_dir / "council.db", self.settings.var_dir / "tracker.db"):
            with sqlite3.connect(path) as conn:
                for (table,) in conn.execute("select name from sqlite_master where type='table'").fetchall():
                    found += [repr(row) for row in conn.execute(f'select * from "{table}"')]
        return "\n".join(found)

    def file_bytes(self) -> bytes:
        names = ("council.db", "council.db-wal", "tracker.db", "tracker.db-wal")
        return b"".join((self.settings.var_dir / n).read_bytes() for n in names
                        if (self.settings.var_dir / n).exists())

    def privacy(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot.privacy", *args], cwd=PROJECT_ROOT, env=self.stack.env,
                              capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    running = World(Path(tmp_path_factory.mktemp("privacy-stack")))
    try:
        yield running
    finally:
        running.stack.stop()


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 45.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def text_a_report(world: World) -> str:
    """A missed bin by SMS with a photo; the number is never asked for. Returns the reference."""
    sms = world.sms
    answers = ["my bin wasn't collected", "14 Foxglove Way, AN1 4GT", "the blue one", "tuesday", "yes", "skip", "yes"]
    for count, text in enumerate(answers, start=1):
        sms.send_via_network(PHONE, text, photos=[("image/png", TINY_PNG)] if count == 1 else None)
        sms.wait_for_replies(PHONE, count)
    return REFERENCE.search(sms.replies(PHONE)[-1]["body"]).group(0)  # type: ignore[union-attr]


def text_and_wait(world: World, text: str, expected: Callable[[str], bool]) -> str:
    """Text the bot; the first new reply that is as expected (a notification may come in between)."""
    before = len(world.sms.replies(PHONE))
    world.sms.send_via_network(PHONE, text)
    return wait_for(lambda: next((r["body"] for r in world.sms.replies(PHONE)[before:] if expected(r["body"])), None),
                    f"the reply to {text!r}")


def chat_a_report(world: World, page: Page, photo: Path) -> str:
    """A missed bin in web chat with a photo, the same phone number typed and an email."""
    page.goto(world.settings.web_public_url + "/")
    page.locator("#council-chat[data-ready=true]").wait_for(state="attached")
    page.get_by_role("button", name="Chat with us").click()
    privacy_link = page.get_by_role("link", name=re.compile("Read our privacy notice"))
    expect(privacy_link).to_have_attribute("href", world.settings.web_privacy_url)

    def bot_says(text: str) -> None:
        expect(page.locator(".cc-from-bot .cc-bubble").last).to_contain_text(text, timeout=REPLY_TIMEOUT)

    def send(text: str) -> None:
        page.get_by_label("Type your message").fill(text)
        page.get_by_role("button", name="Send", exact=True).click()

    def click(title: str) -> None:
        page.get_by_role("group", name="Suggested replies").get_by_role("button", name=title).click()

    bot_says("What can I help with?")
    send("my bin wasn't collected")
    bot_says("address where the bin wasn't collected")
    send("3 Rosemary Court")
    bot_says("postcode")
    send("AN2 5PL")
    bot_says("Which bin")
    click("Black bin (general waste)")
    bot_says("usually collected")
    page.locator("input[type=file]").set_input_files(str(photo))
    expect(page.get_by_role("status")).to_contain_text("Photo added", timeout=10_000)
    send("Thursday")
    bot_says("contact you")
    click("Yes")
    bot_says("phone number")
    send(PHONE_TYPED)
    bot_says("email")
    send(EMAIL)
    bot_says("Is that right?")
    click("Yes, send it")
    bot_says("Your reference is")
    return REFERENCE.search(page.locator(".cc-from-bot .cc-bubble").last.inner_text()).group(0)  # type: ignore


def test_subject_access_then_erasure_across_sms_web_console_and_photos(world: World, browser: Browser,
                                                                     tmp_path: Path) -> None:
    sms, staff = world.sms, world.staff()

    # --- SMS: a report with a photo; the tracker never holds the number ------------
    sms_reference = text_a_report(world)
    sms_case = world.cases.get_by_reference(sms_reference)
    assert sms_case.contact_phone == PHONE and len(sms_case.media_urls) == 1
    conversation = sms.conversation(PHONE)
    events = json.dumps(tracker_events.export(world.tracker_engine, [conversation]))
    assert "14 Foxglove Way" in events
    assert "7700900777" not in events.replace(" ", "") and "900777" not in events

    # --- a card number is masked before anything keeps it, and the resident is told -----
    text_and_wait(world, f"can I pay for a new bin with my card {CARD}",
                  lambda body: body.startswith(masked_notice("sms")))
    assert CARD not in world.rows() and CARD.replace(" ", "") not in world.rows()

    # --- HELP links the privacy notice ----------------------------------------------------
    text_and_wait(world, "HELP", lambda body: world.settings.web_privacy_url in body)

    # --- a person, and a staff note --------------------------------------------------------
    text_and_wait(world, "I want to talk to a real person please", lambda body: "team" in body)
    escalation = wait_for(lambda: world.escalations.open_for_conversation(conversation), "the escalation")
    assert escalation.phone == PHONE  # looked up by conversation id
    assert staff.post(f"/escalations/{escalation.id}/claim").status_code == 303
    assert staff.post(f"/escalations/{escalation.id}/note",
                      {"text": "Jo says the <b>blue</b> bin was stolen"}).status_code == 303

    # --- web chat in a real browser, with a photo -----------------------------------------
    photo = tmp_path / "bin.png"
    Image.new("RGB", (64, 48), (20, 120, 40)).save(photo)
    page = browser.new_page()
    web_reference = chat_a_report(world, page, photo)
    page.close()
    web_case = world.cases.get_by_reference(web_reference)
    assert web_case.contact_phone == PHONE and web_case.contact_email == EMAIL and len(web_case.media_urls) == 1
    photos = [world.settings.sms_media_dir / sms_case.media_urls[0].rsplit("/", 1)[-1],
              world.settings.uploads_dir / web_case.media_urls[0].rsplit("/", 1)[-1]]
    assert all(p.is_file() for p in photos)

    # The back office accepts both; the resident is texted about each.
    wait_for(lambda: any(sms_reference in r["body"] and "accepted" in r["body"] for r in sms.replies(PHONE)),
             "the acceptance text")
    privacy_page = urllib.request.urlopen(world.settings.web_privacy_url, timeout=10).read().decode()
    assert "Your rights" in privacy_page and f"{world.settings.retention_conversation_days} days" in privacy_page

    # --- subject access, by email, from the console -----------------------------------------
    response = staff.post("/privacy/export", {"kind": "email", "value": EMAIL.upper()})
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("data.json"))
    assert {c["reference"] for c in data["cases"]} == {sms_reference, web_reference}
    assert all(c["updates"] for c in data["cases"])
    assert any("accepted" in (n["text"] or "") for c in data["cases"] for n in c["notifications"])
    said = [e.get("text") for c in data["conversations"] for e in c["events"] if e.get("event") == "user"]
    assert "14 Foxglove Way, AN1 4GT" in said and "3 Rosemary Court" in said  # SMS and web
    assert any("[card number]" in (t or "") for t in said)
    assert any(m["body"] == "14 Foxglove Way, AN1 4GT" for m in data["sms"]["messages"])
    assert data["escalations"][0]["notes"][0]["text"] == "Jo says the <b>blue</b> bin was stolen"
    assert {"claim", "note"} <= {a["action"] for a in data["audit"]}
    assert sorted(n for n in archive.namelist() if n.startswith("photos/")) == sorted(f"photos/{p.name}" for p in photos)
    summary = archive.read("summary.html").decode()
    assert "Jo says the &lt;b&gt;blue&lt;/b&gt; bin was stolen" in summary and "<b>blue</b>" not in summary

    # --- erasure from the command line: held while the cases are open, then forced --------
    held = world.privacy("erase", "--phone", PHONE_TYPED)
    assert held.returncode == 1 and "still open" in held.stdout and sms_reference in held.stdout
    dry = world.privacy("erase", "--phone", PHONE_TYPED, "--dry-run")
    assert dry.returncode == 0 and "Would remove" in dry.stdout and "cases: 2" in dry.stdout
    assert world.cases.get_by_reference(sms_reference) is not None
    done = world.privacy("erase", "--phone", PHONE_TYPED, "--force")
    assert done.returncode == 0 and "Removed" in done.stdout, done.stdout + done.stderr
    time.sleep(3)  # the delivery worker's rounds (1 s) must not bring anything back

    # Nothing about them is found by the console's searches...
    for query in (PHONE_TYPED, sms_reference, web_reference):
        found = staff.get(f"/search?q={urllib.parse.quote(query)}").text
        assert "No conversations found" in found, query
    assert "not found" in staff.get(f"/conversation?id={conversation}").text.lower()
    # ...nor in any row of either database, nor in the files' bytes; the photos are gone.
    rows, files = world.rows(), world.file_bytes()
    for trace in (PHONE, PHONE_TYPED, EMAIL, sms_reference, web_reference, conversation, "Foxglove Way",
                  "Rosemary Court", "bin was stolen", "AN2 5PL"):
        assert trace not in rows, trace
        assert trace.encode() not in files, trace
    assert not any(p.exists() for p in photos)
    # The audit log says who erased, what kind of selector, and counts: not the data.
    [entry] = AuditLog(world.engine).recent(1, "privacy_erase")
    assert entry.detail["selector"] == "phone" and entry.detail["counts"]["cases"] == 2
    assert entry.detail["by"].startswith("command line")

    # The resident can start again as a stranger.
    sms.send_via_network(PHONE, "hello")
    wait_for(lambda: "assistant" in sms.replies(PHONE)[-1]["body"], "a fresh greeting")
    assert sms.conversation(PHONE) != conversation

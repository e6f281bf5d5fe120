"""The upload page an SMS resident's link opens: the real website app, in process, on real SQLite."""

from __future__ import annotations

import asyncio
import io
import re
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import requests
from PIL import Image
from sanic import Sanic
from sqlalchemy import select

from bot.cases.model import NewCase
from bot.photo_links import token as tokens
from bot.photo_links.service import PATH_PREFIX, PhotoLinks
from bot.settings import load_settings
from bot.storage.cases import CaseStore
from bot.storage.database import create_schema, make_engine
from bot.storage.schema import notifications
from bot.web.app import create_app
from tests.support.stack import free_port

SECRET = "photo link secret for the page tests"


class Site:
    """The website app served in this process (a thread with its own event loop)."""

    def __init__(self, var_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.settings = load_settings({"VAR_DIR": str(var_dir), "WEB_PORT": str(self.port),
                                       "PHOTO_LINK_SECRET": SECRET, "WEB_UPLOADS_PER_CLIENT_PER_HOUR": "40", **env})
        self.url = f"http://127.0.0.1:{self.port}"
        self.engine = make_engine(self.settings.database_url)
        create_schema(self.engine)
        self.cases = CaseStore(self.engine)
        self.links = PhotoLinks(self.engine, self.settings)
        self.app = create_app(self.settings, name=f"photo_site_{self.port}")
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.error: BaseException = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        assert self.ready.wait(20) and self.error is None, f"the website did not start: {self.error!r}"

    def _serve(self) -> None:
        try:
            self._start()
        except BaseException as error:  # shown by the assertion in __init__
            self.error = error
            self.ready.set()
            raise
        self.loop.run_forever()

    def _start(self) -> None:
        asyncio.set_event_loop(self.loop)
        # Lets several apps start in one process, as the other in-process servers do: Sanic's
        # touch-up then keeps the original methods and rewrites them afresh for each app. Without it,
        # a later app (of this file, or of another test file in the same worker) rewrote an already
        # rewritten method and failed to start (KeyError: 'http1_request_header').
        Sanic.test_mode = True
        server = self.loop.run_until_complete(self.app.create_server(
            host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False))
        self.loop.run_until_complete(server.startup())
        self.loop.run_until_complete(server.before_start())
        self.loop.run_until_complete(server.after_start())
        self.server = server
        self.ready.set()

    def stop(self) -> None:
        async def close() -> None:
            await self.server.before_stop()
            self.server.close()
            await self.server.wait_closed()
            await self.server.after_stop()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def new_case(self, key: str) -> Tuple[int, str]:
        case = self.cases.create(NewCase(category="pothole", conversation_id=f"sms-{key}", channel="sms",
                                         location_text="Mill Lane"), idempotency_key=key)
        return case.id, case.reference

    def link(self, case_id: int) -> str:
        return self.links.issue(case_id).replace(self.settings.web_public_url, self.url)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    running = Site(tmp_path_factory.mktemp("photo-site"))
    yield running
    running.stop()


def photo(fmt: str = "PNG", colour: Tuple[int, int, int] = (10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(out, format=fmt)
    return out.getvalue()


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)


def send(browser: requests.Session, url: str, files: List[Tuple[str, bytes]], csrf: str = "",
         headers: Dict[str, str] = None) -> requests.Response:
    parts = [("photos", (name, data, "application/octet-stream")) for name, data in files] or [
        ("photos", ("", b"", "application/octet-stream"))]  # what a browser sends when nothing is chosen
    return browser.post(url, data={"csrf": csrf}, files=parts, headers=headers or {}, timeout=20)


def notification_texts(site: Site, case_id: int) -> List[str]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with site.engine.connect() as conn:
            rows = conn.execute(select(notifications.c.kind, notifications.c.text)
                                .where(notifications.c.case_id == case_id)).all()
        if rows:
            return [f"{kind}: {text}" for kind, text in rows]
        time.sleep(0.05)
    return []


def test_the_page_is_an_accessible_form_without_scripts(site: Site):
    case_id, reference = site.new_case("page")
    page = requests.get(site.link(case_id), timeout=10)
    assert page.status_code == 200
    html = page.text
    assert f"Add photos to your report {reference}" in html
    assert '<label class="label" for="photos">' in html and 'id="photos"' in html and 'aria-describedby="photos-hint' in html
    assert 'type="file" multiple' in html and "<script" not in html
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "same-origin"
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and f"Path={PATH_PREFIX}" in cookie


def test_photos_are_checked_attached_to_the_case_and_the_link_is_used_up(site: Site):
    case_id, reference = site.new_case("send")
    url = site.link(case_id)
    browser = requests.Session()
    csrf = csrf_of(browser.get(url, timeout=10).text)
    sent = send(browser, url, [("one.png", photo()), ("two.jpg", photo("JPEG", (200, 10, 10)))], csrf)
    assert sent.status_code == 200, sent.text
    assert "Photos sent" in sent.text and f"added 2 photos to your report {reference}" in sent.text
    media = site.cases.get(case_id).media_urls
    assert len(media) == 2 and all(u.startswith(f"{site.settings.web_public_url}/chat/uploads/") for u in media)
    assert media[0].endswith(".png") and media[1].endswith(".jpg")
    # Stored with the chat's uploads, so staff and back offices can open them.
    stored = site.settings.uploads_dir / media[0].rsplit("/", 1)[1]
    assert stored.is_file()
    assert requests.get(f"{site.url}/chat/uploads/{stored.name}", timeout=10).status_code == 200
    # The resident is told, once, in words naming the report (sent through Rasa by the notifier).
    [told] = notification_texts(site, case_id)
    assert told.startswith("photos-") and f"got your 2 photos for report {reference}" in told

    # Used: the page and a replayed upload are refused politely, 410, and nothing more is attached.
    again = browser.get(url, timeout=10)
    assert again.status_code == 410 and "already been used" in again.text
    replay = send(browser, url, [("three.png", photo())], csrf)
    assert replay.status_code == 410 and "already been used" in replay.text
    assert site.cases.get(case_id).media_urls == media


def test_an_expired_link_is_gone(site: Site):
    case_id, _ = site.new_case("expired")
    link_id = tokens.new_link_id()
    from datetime import datetime, timedelta, timezone
    past = datetime.now(timezone.utc) - timedelta(hours=25)
    site.links.store.add(link_id, case_id, past + timedelta(hours=24), now=past)
    url = f"{site.url}{PATH_PREFIX}{tokens.sign(SECRET, link_id, past + timedelta(hours=24))}"
    page = requests.get(url, timeout=10)
    assert page.status_code == 410 and "This link has expired" in page.text and "text PHOTO" in page.text
    assert send(requests.Session(), url, [("a.png", photo())]).status_code == 410


@pytest.mark.parametrize("make_bad", [
    lambda good: good[:-1] + ("A" if good[-1] != "A" else "B"),  # altered
    lambda good: tokens.sign("someone else's secret", tokens.new_link_id(), tokens.verify(SECRET, good).expires_at),
    lambda good: "not-a-token",
    lambda good: "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
])
def test_forged_or_altered_links_get_a_polite_404(site: Site, make_bad):
    case_id, _ = site.new_case(f"forged-{time.monotonic_ns()}")
    good = site.link(case_id).rsplit(PATH_PREFIX, 1)[1]
    page = requests.get(f"{site.url}{PATH_PREFIX}{make_bad(good)}", timeout=10)
    assert page.status_code == 404 and "This link isn't working" in page.text
    assert site.cases.get(case_id).media_urls == []


def test_a_post_without_the_form_token_or_from_another_site_is_refused(site: Site):
    case_id, _ = site.new_case("csrf")
    url = site.link(case_id)
    browser = requests.Session()
    csrf = csrf_of(browser.get(url, timeout=10).text)
    assert send(requests.Session(), url, [("a.png", photo())], csrf).status_code == 403, "no cookie"
    assert send(browser, url, [("a.png", photo())], "0" * 64).status_code == 403, "wrong token"
    cross = send(browser, url, [("a.png", photo())], csrf, headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403 and "Something went wrong with the form" in cross.text
    assert site.cases.get(case_id).media_urls == []
    # The link still works for the resident, with the form they were shown again.
    assert send(browser, url, [("a.png", photo())], csrf_of(cross.text)).status_code == 200


def test_bad_uploads_get_the_form_again_with_a_clear_error_and_the_link_still_works(site: Site):
    case_id, _ = site.new_case("bad")
    url = site.link(case_id)
    browser = requests.Session()
    csrf = csrf_of(browser.get(url, timeout=10).text)
    nothing = send(browser, url, [], csrf)
    assert nothing.status_code == 400 and "Select at least one photo" in nothing.text
    assert 'role="alert"' in nothing.text and "<title>Error: " in nothing.text
    too_many = send(browser, url, [(f"{n}.png", photo()) for n in range(6)], csrf)
    assert too_many.status_code == 400 and "up to 5 photos" in too_many.text
    not_photo = send(browser, url, [("a.png", photo()), ("b.png", b"<html>not a photo</html>")], csrf)
    assert not_photo.status_code == 415 and "Photo 2: That file isn&#39;t a photo" in not_photo.text
    assert site.cases.get(case_id).media_urls == [] and not notification_texts_now(site, case_id)
    assert send(browser, url, [("a.png", photo())], csrf).status_code == 200


def notification_texts_now(site: Site, case_id: int) -> List[Any]:
    with site.engine.connect() as conn:
        return conn.execute(select(notifications.c.id).where(notifications.c.case_id == case_id)).all()


def test_a_client_trying_many_links_is_slowed_down(tmp_path: Path):
    strict = Site(tmp_path, WEB_UPLOADS_PER_CLIENT_PER_HOUR="3")
    try:
        statuses = [requests.get(f"{strict.url}{PATH_PREFIX}{'x' * 32}", timeout=10).status_code for _ in range(4)]
        assert statuses == [404, 404, 404, 429]
    finally:
        strict.stop()


def test_without_a_secret_the_page_says_photos_cannot_be_taken(tmp_path: Path):
    off = Site(tmp_path, PHOTO_LINK_SECRET="")
    try:
        page = requests.get(f"{off.url}{PATH_PREFIX}{'x' * 32}", timeout=10)
        assert page.status_code == 503 and "can't take photos just now" in page.text
    finally:
        off.stop()

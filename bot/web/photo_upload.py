"""The upload page an SMS resident's one-time link opens (issue 13: photos without MMS).

Routes (on the council website, bot/web/app.py):
  GET  /p/<token>   the form (or a polite page saying why the link can't be used)
  POST /p/<token>   the photos (multipart, several at once), checked, stored, attached

The page has no scripts at all (a plain form works on every phone) and no
third-party anything. Each photo goes through the same checks as the chat's
uploads (bot/web/uploads.py, bot/photos.py: type by content, size and pixel
limits, metadata removed) and is stored with them, so staff and back offices
reach it the same way. The photos are added to the link's case and the link is
used up in one transaction (bot/storage/photo_links.py); then the resident is
told by SMS through the notifier (bot/outbox/notify.py), on their own channel.

CSRF: the form carries a token that is an HMAC (PHOTO_LINK_SECRET) of the link
id and a random value in a SameSite=Strict cookie; a POST without both, or
from another site's Origin, is refused. A link's URL is a bearer credential for
a day: the pages send no Referer to other sites and are never cached.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from typing import Any, Callable, List, Optional, Set

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import messages
from bot.cases.model import Case
from bot.outbox.notify import RasaNotifier
from bot.photo_links import texts
from bot.photo_links.service import HTTP_STATUS, MAX_PHOTOS_PER_UPLOAD, PATH_PREFIX, LinkState, PhotoLinks
from bot.photos import in_photo_pool
from bot.shared_state import shared_state
from bot.settings import Settings, _origin
from bot.storage.cases import CaseStore
from bot.storage.database import create_schema, make_engine
from bot.storage.photo_links import LinkRow
from bot.web import uploads

logger = logging.getLogger(__name__)

CSRF_COOKIE = "photo_form"
# Room for the multipart framing around the photos.
FORM_OVERHEAD_BYTES = 256 * 1024
NO_STORE = {
    "Cache-Control": "no-store",
    # The URL holds the link's token: never send it to another site as a Referer.
    # ("no-referrer" would also make browsers send "Origin: null" with the form.)
    "Referrer-Policy": "same-origin",
    # No scripts on these pages; forms post only back to us.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
}

Render = Callable[..., str]


def add_routes(app: Sanic, settings: Settings, render: Render) -> None:
    """Add the upload page's routes; ``render(template, **context)`` renders a site page."""
    engine = make_engine(settings.database_url)
    create_schema(engine)
    links = PhotoLinks(engine, settings)
    cases = CaseStore(engine)
    notifier = RasaNotifier.from_settings(engine, settings)
    # Every POST, and every GET of a link that is not valid, counts: one client cannot
    # try tokens by the thousand or fill the photo folder.
    limiter = shared_state(settings).rate_limiter("photo-link-uploads", settings.web_uploads_per_client_per_hour, 3600)
    max_body = MAX_PHOTOS_PER_UPLOAD * settings.web_upload_max_bytes + FORM_OVERHEAD_BYTES
    own_origins = set(settings.web_chat_allowed_origins) | {_origin(settings.web_public_url)}
    secret = (settings.photo_link_secret or "").encode("utf-8")
    telling: "Set[asyncio.Task[None]]" = set()  # notifications under way (kept from the garbage collector)
    default_language = settings.council_languages[0]

    def html(template: str, status: int = 200, language: Optional[str] = None, **context: Any) -> HTTPResponse:
        body = render(template, language=language, hours=settings.photo_link_hours, **context)
        return response.html(body, status=status, headers=dict(NO_STORE))

    def refused(state: str, status: int) -> HTTPResponse:
        # No case to take the language from: the council's default.
        return html("photo_refused.html", status=status, title=messages.text("upload_page.title", default_language),
                    state=state)

    def language_of(case: Optional[Case]) -> str:
        """The language of the link's case (the conversation's), else the council's default."""
        language = case.language if case is not None else None
        return language if language in settings.council_languages else default_language

    def csrf_for(link_id: str, nonce: str) -> str:
        return hmac.new(secret, f"photo-form|{link_id}|{nonce}".encode(), hashlib.sha256).hexdigest()

    def form(row: LinkRow, token: str, nonce: str, error: Optional[str] = None, status: int = 200,
             **values: Any) -> HTTPResponse:
        """The form; ``error`` is a catalogue id (upload_page.*) said above it, or an error already in words."""
        language = language_of(cases.get(row.case_id))
        if error is not None and error.startswith("upload_page."):
            error = messages.text(error, language, **values)
        page = html("photo_upload.html", status=status, language=language,
                    title=messages.text("upload_page.title_error" if error else "upload_page.title", language),
                    reference=row.reference, action=f"{PATH_PREFIX}{token}", csrf=csrf_for(row.id, nonce), error=error,
                    max_photos=MAX_PHOTOS_PER_UPLOAD, max_mb=max(1, settings.web_upload_max_bytes // (1024 * 1024)))
        page.cookies[CSRF_COOKIE] = nonce
        cookie = page.cookies[CSRF_COOKIE]
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["path"] = PATH_PREFIX
        cookie["max-age"] = 24 * 3600
        if settings.web_public_url.startswith("https://"):
            cookie["secure"] = True
        return page

    def client(request: Request) -> str:
        return request.remote_addr or request.ip

    def opened(token: str, request: Request) -> "tuple[Optional[LinkRow], Optional[HTTPResponse]]":
        if not links.enabled:
            return None, refused("unavailable", 503)
        found = links.open(token)
        if found.state is LinkState.USABLE:
            return found.row, None
        if found.state is LinkState.NOT_VALID and not limiter.allow(client(request)):
            return None, refused("slow_down", 429)
        return None, refused(found.state.value, HTTP_STATUS[found.state])

    @app.listener("after_server_stop")
    async def close_notifier(_app: Sanic, _loop: Any) -> None:
        await notifier.close()

    @app.get(f"{PATH_PREFIX}<token:str>")
    async def upload_page(request: Request, token: str) -> HTTPResponse:
        row, refusal = opened(token, request)
        if refusal is not None:
            return refusal
        assert row is not None
        return form(row, token, request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(16))

    @app.post(f"{PATH_PREFIX}<token:str>", stream=True)
    async def upload_photos(request: Request, token: str) -> HTTPResponse:
        # A streaming handler, so this route alone may take several photos at once
        # (the app's own body limit is one photo); we count the bytes ourselves.
        if not limiter.allow(client(request)):
            return refused("slow_down", 429)
        row, refusal = opened(token, request)
        if refusal is not None:
            return refusal
        assert row is not None
        nonce = request.cookies.get(CSRF_COOKIE) or ""
        body = bytearray()
        while True:
            chunk = await request.stream.read()
            if chunk is None:
                break
            body += chunk
            if len(body) > max_body:
                return form(row, token, nonce or secrets.token_urlsafe(16), "upload_page.too_large_in_total", 413)
        request.body = bytes(body)
        origin = request.headers.get("origin")
        csrf = (request.form or {}).get("csrf") or ""
        if (not nonce or not hmac.compare_digest(csrf, csrf_for(row.id, nonce))
                or (origin and origin not in own_origins)):
            logger.info("Photo upload refused: form token or origin did not match")
            return form(row, token, secrets.token_urlsafe(16), "upload_page.form_expired", 403)
        files = [f for f in (request.files or {}).getlist("photos", []) if f.name or f.body]
        if not files:
            return form(row, token, nonce, "upload_page.no_photo_chosen", 400)
        if len(files) > MAX_PHOTOS_PER_UPLOAD:
            return form(row, token, nonce, "upload_page.too_many_photos", 400, max_photos=MAX_PHOTOS_PER_UPLOAD)

        stored: List[str] = []
        try:
            for number, upload in enumerate(files, start=1):
                stored.append(await in_photo_pool(
                    uploads.store_photo, upload.body or b"", settings.uploads_dir,
                    settings.web_upload_max_bytes, settings.web_uploads_max_total_bytes))
        except uploads.UploadRejected as rejected:
            _remove(settings, stored)
            language = language_of(cases.get(row.case_id))
            reason = rejected.reason_in(language)
            if len(files) > 1:
                reason = messages.text("upload_page.photo_numbered", language, number=number, reason=reason)
            return form(row, token, nonce, reason, rejected.status)
        except OSError:
            _remove(settings, stored)
            logger.exception("Could not store photos sent through an upload link")
            return form(row, token, nonce, "upload_page.save_failed", 500)

        urls = [f"{settings.web_public_url}/chat/uploads/{upload_id}" for upload_id in stored]
        if links.attach(row, urls) is None:
            _remove(settings, stored)
            again = links.open(token)  # used meanwhile (another tab), expired, or the case is full
            if again.state is not LinkState.USABLE:
                return refused(again.state.value, HTTP_STATUS[again.state])
            return form(row, token, nonce, "upload_page.case_full", 409, council_phone=settings.council_phone)
        logger.info("%d photo(s) added to case %s through an upload link", len(urls), row.reference)
        case = cases.get(row.case_id)
        if case is not None:
            # In the background: the page answers at once, whatever Rasa's speed.
            task = asyncio.get_running_loop().create_task(
                _tell_resident(notifier, case, row.id, len(urls), language_of(case)))
            telling.add(task)
            task.add_done_callback(telling.discard)
        language = language_of(case)
        return html("photo_sent.html", language=language, title=messages.text("upload_page.title_sent", language),
                    reference=row.reference, count_words=texts.count_words(len(urls), language))


async def _tell_resident(notifier: RasaNotifier, case: Case, link_id: str, count: int, language: str = "en") -> None:
    """The SMS saying the photos arrived, in the case's language (recorded, and retried by the worker if it fails)."""
    text = messages.text("photo_link.arrived", language, count_words=texts.count_words(count, language),
                         reference=case.reference)
    try:
        await notifier.notify_photos(case, link_id, text)
    except Exception:  # the photos are on the case either way; never lose that over a text
        logger.exception("Could not tell the resident of case %s their photos arrived", case.reference)


def _remove(settings: Settings, upload_ids: List[str]) -> None:
    """Photos stored for an upload that then failed: nobody will ever refer to them."""
    for upload_id in upload_ids:
        path = uploads.photo_path(settings.uploads_dir, upload_id)
        if path is not None:
            path.unlink(missing_ok=True)

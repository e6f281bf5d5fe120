"""The council website stand-in: demo pages, the chat widget's assets, photo uploads.

``python -m bot.web`` (started by ``make run``). A real council serves the
widget from this server (or copies its assets) and adds one ``<script>`` tag
to its own pages; the demo pages show exactly that tag.

Routes:
  GET  /, /bins, /privacy                 demo pages with the widget (/static/site.css)
  GET  /chat/widget.js, /chat/widget.css  the widget (bot/web/static)
  GET  /chat/vendor/socket.io.min.js      socket.io-client from node_modules (npm ci)
  POST /chat/uploads                      a photo (raw body), checked and stored
  GET  /chat/uploads/<id>                 a stored photo (for staff and back offices)
  GET, POST /p/<token>                    an SMS resident's one-time photo upload page (photo_upload.py)
  GET  /health, /ready, /metrics (bot/endpoints.py)
"""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path
from typing import Any, Dict, Optional

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import health as health_checks
from bot import messages
from bot.channels.web import socket_urls
from bot.endpoints import add_sanic_routes
from bot.photos import in_photo_pool
from bot.settings import PROJECT_ROOT, Settings
from bot.web import photo_upload, uploads
from bot.web.page_text import page_language, template_helpers, widget_labels
from bot.shared_state import shared_state

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
VENDOR = {
    # served name -> file in node_modules (package.json / package-lock.json, `npm ci`)
    "socket.io.min.js": PROJECT_ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js",
}
WIDGET_ASSETS = {"widget.js": "application/javascript; charset=utf-8", "widget.css": "text/css; charset=utf-8"}


def widget_config(settings: Settings, first: Optional[str] = None) -> Dict[str, Any]:
    """The config object a page gives the widget (see widget.js for every option).

    A page in one of the council's languages lists that one first: the chat starts in it.
    """
    languages = list(settings.council_languages)
    if first in languages:
        languages = [first] + [lang for lang in languages if lang != first]
    return {
        "socketUrl": settings.web_chat_socket_url,
        "uploadUrl": f"{settings.web_public_url}/chat/uploads",
        "councilName": settings.council_name,
        "privacyUrl": settings.web_privacy_url,
        "maxPhotoBytes": settings.web_upload_max_bytes,
        "languages": languages,
    }


def create_app(settings: Settings, name: str = "council_web") -> Sanic:
    app = Sanic(name)
    # Sanic refuses bigger bodies itself (413) before our handler runs.
    app.config.REQUEST_MAX_SIZE = settings.web_upload_max_bytes + 64 * 1024
    app.config.KEEP_ALIVE_TIMEOUT = 15
    # Behind the council's reverse proxy the client's address is in
    # X-Forwarded-For; trust only as many hops as there are proxies.
    app.config.PROXIES_COUNT = settings.web_trusted_proxies
    # Counted across the website's replicas with REDIS_URL (bot/shared_state.py).
    upload_limiter = shared_state(settings).rate_limiter("chat-uploads", settings.web_uploads_per_client_per_hour, 3600)
    templates = Environment(
        loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"])
    )
    uploads_dir = settings.uploads_dir
    allowed_origins = set(settings.web_chat_allowed_origins)

    languages = list(settings.council_languages)
    # The widget's words in each language the council serves, put before widget.js (page_text.py).
    labels_js = "window.CouncilChatLabels = " + json.dumps(widget_labels(languages)) + ";\n"

    def render(template: str, nonce: str = "", language: Optional[str] = None, switchable: bool = False,
               **context: Any) -> str:
        """A page in ``language`` (default: the council's first); ``switchable`` pages link the other languages."""
        return templates.get_template(template).render(
            **template_helpers(page_language(language, languages), languages, switchable),
            council_name=settings.council_name,
            council_phone=settings.council_phone,
            widget_src=f"{settings.web_public_url}/chat/widget.js",
            widget_config=widget_config(settings, page_language(language, languages)),
            nonce=nonce,
            **context,
        )

    def page(template: str, **context: Any) -> HTTPResponse:
        nonce = secrets.token_urlsafe(16)
        html = render(template, nonce=nonce, **context)
        csp = "; ".join([
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            f"connect-src 'self' {' '.join(socket_urls(settings))}",
            "img-src 'self' data: blob:",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ])
        return response.html(html, headers={"Content-Security-Policy": csp})

    def cors(request: Request) -> Dict[str, str]:
        origin = request.headers.get("origin")
        if origin and origin in allowed_origins:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return {}

    @app.middleware("response")
    async def security_headers(_request: Request, resp: HTTPResponse) -> None:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")

    def site_page(request: Request, template: str, title_id: str, **context: Any) -> HTTPResponse:
        """A demo page in the language asked for (?lang=cy) if the council serves it."""
        language = page_language(request.args.get("lang"), languages)
        return page(template, language=language, switchable=True, title=messages.text(title_id, language), **context)

    @app.get("/")
    async def home(request: Request) -> HTTPResponse:
        return site_page(request, "home.html", "web_page.home")

    @app.get("/bins")
    async def bins(request: Request) -> HTTPResponse:
        return site_page(request, "bins.html", "web_page.bins")

    @app.get("/privacy")
    async def privacy(request: Request) -> HTTPResponse:
        return site_page(request, "privacy.html", "web_page.privacy",
                         conversation_days=settings.retention_conversation_days,
                         closed_case_days=settings.retention_closed_case_days)

    @app.get("/health")
    async def health(_request: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    # Ready: the chat the pages embed talks to the Rasa server; the photo upload
    # page (SMS residents' links) reads and writes our database; with REDIS_URL the
    # upload limits are counted in Redis.
    add_sanic_routes(app, [health_checks.http("rasa", f"{settings.rasa_url}/"),
                           health_checks.database("database", settings.database_url),
                           *health_checks.optional_redis(settings.redis_url)], settings.metrics_token,
                     health=False)

    @app.get("/static/site.css")
    async def site_css(_request: Request) -> HTTPResponse:
        return await response.file(STATIC / "site.css", mime_type="text/css; charset=utf-8")

    @app.get("/chat/<asset:str>")
    async def widget_asset(_request: Request, asset: str) -> HTTPResponse:
        if asset not in WIDGET_ASSETS:
            return response.json({"error": "not found"}, status=404)
        if asset == "widget.js":
            script = labels_js + (STATIC / asset).read_text(encoding="utf-8")
            return response.text(script, content_type=WIDGET_ASSETS[asset], headers={"Cache-Control": "no-cache"})
        return await response.file(
            STATIC / asset, mime_type=WIDGET_ASSETS[asset], headers={"Cache-Control": "no-cache"}
        )

    @app.get("/chat/vendor/<asset:str>")
    async def vendor_asset(_request: Request, asset: str) -> HTTPResponse:
        path = VENDOR.get(asset)
        if path is None:
            return response.json({"error": "not found"}, status=404)
        if not path.is_file():
            logger.error("%s is missing: run `make setup` (npm ci) to install the widget's packages", path)
            return response.json({"error": "widget packages not installed; run make setup"}, status=503)
        return await response.file(
            path, mime_type="application/javascript; charset=utf-8", headers={"Cache-Control": "public, max-age=3600"}
        )

    @app.options("/chat/uploads")
    async def upload_preflight(request: Request) -> HTTPResponse:
        headers = cors(request)
        if headers:
            headers.update({"Access-Control-Allow-Methods": "POST", "Access-Control-Allow-Headers": "Content-Type",
                            "Access-Control-Max-Age": "600"})
        return response.empty(status=204, headers=headers)

    @app.post("/chat/uploads")
    async def upload(request: Request) -> HTTPResponse:
        headers = cors(request)
        language = page_language(request.args.get("lang"), languages)  # the chat's, as the widget says
        client = request.remote_addr or request.ip
        if not upload_limiter.allow(client):
            headers["Retry-After"] = str(upload_limiter.retry_after(client))
            return response.json({"error": messages.text("web_upload.slow_down", language)}, status=429, headers=headers)
        try:
            # Decoding and re-encoding a large photo takes a while and much memory:
            # off the event loop, in the shared photo pool (a few at a time).
            upload_id = await in_photo_pool(
                uploads.store_photo, request.body or b"", uploads_dir,
                settings.web_upload_max_bytes, settings.web_uploads_max_total_bytes,
            )
        except uploads.UploadRejected as rejected:
            return response.json({"error": rejected.reason_in(language)}, status=rejected.status, headers=headers)
        except OSError:
            logger.exception("Could not store an uploaded photo")
            return response.json({"error": messages.text("web_upload.save_failed", language)},
                                 status=500, headers=headers)
        logger.info("Photo stored: %s (%d bytes)", upload_id, len(request.body))
        return response.json(
            {"id": upload_id, "url": f"{settings.web_public_url}/chat/uploads/{upload_id}"},
            status=201, headers=headers,
        )

    # The page an SMS resident's one-time photo link opens (issue 13).
    photo_upload.add_routes(app, settings, render)

    @app.get("/chat/uploads/<upload_id:str>")
    async def photo(_request: Request, upload_id: str) -> HTTPResponse:
        path = uploads.photo_path(uploads_dir, upload_id)
        if path is None:
            return response.json({"error": "not found"}, status=404)
        return await response.file(
            path,
            mime_type=uploads.content_type(upload_id),
            headers={
                # An image, never a document: nothing in it can run as a page.
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "Content-Disposition": "inline",
                "Cache-Control": "private, max-age=86400",
            },
        )

    return app


def run(settings: Settings, app: Optional[Sanic] = None) -> None:
    app = app or create_app(settings)
    app.run(host=settings.bind_host, port=settings.web_port, access_log=False, workers=1)

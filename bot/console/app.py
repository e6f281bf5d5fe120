"""The console's sanic app factory: one blueprint per concern.

auth (sign-in/out), queue (the queue, claiming, live updates, an SMS resident's number),
cases (the case list, a case's page and what staff do to it), new_case (a case made for a
resident from an escalated conversation), attention (what needs a person), conversations
(transcript, reply, notes, hand back, close, search), staff_admin (accounts,
admins only), audit (the log, supervisors and admins) and privacy (residents'
subject access and erasure requests, supervisors and admins) and analytics (the
service's figures and charts, supervisors and admins). Request middleware
loads the staff session; response middleware adds security headers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from sanic import Request, Sanic
from sanic.exceptions import Forbidden, NotFound
from sanic.response import HTTPResponse

from bot import health, metrics
from bot.console import (
    analytics, attention, audit, auth, cases, conversations, new_case, privacy, queue, staff_admin,
)
from bot.console.context import Console
from bot.console.web import load_session, render
from bot.endpoints import add_sanic_routes

STATIC = Path(__file__).resolve().parent / "static"
SECURITY_HEADERS = {
    # Only our own script and styles; no framing (clickjacking), no sniffing.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def add_observability(app: Sanic, app_console: Console) -> None:
    """/ready (database, Rasa: staff reply through it) and /metrics with the escalation queue's gauges."""
    settings = app_console.settings

    def refresh() -> None:
        for priority, (count, oldest) in app_console.escalations.waiting_summary().items():
            metrics.ESCALATIONS_WAITING.labels(metrics.label(priority)).set(count)
            metrics.ESCALATION_OLDEST_SECONDS.labels(metrics.label(priority)).set(oldest)

    checks = [health.database("database", settings.database_url), health.http("rasa", f"{settings.rasa_url}/"),
              *health.optional_redis(settings.redis_url)]
    # The queue blueprint has the console's /health.
    add_sanic_routes(app, checks, settings.metrics_token, refresh, health=False)


def create_app(app_console: Console, name: Optional[str] = None) -> Sanic:
    app = Sanic(name or "council_console")
    app.ctx.console = app_console
    app.config.REQUEST_MAX_SIZE = 1_000_000
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = 2
    if app_console.settings.console_proxies_count:
        # Behind a TLS-terminating proxy: trust its X-Forwarded-Proto/For (request.scheme -> https).
        app.config.PROXIES_COUNT = app_console.settings.console_proxies_count
    app.static("/static", str(STATIC), name="static")
    for blueprint in (auth.bp, queue.bp, cases.bp, new_case.bp, attention.bp, conversations.bp, staff_admin.bp, audit.bp,
                      privacy.bp, analytics.bp):
        app.blueprint(blueprint)
    add_observability(app, app_console)

    @app.on_request
    async def session(request: Request) -> None:
        await load_session(request)

    @app.on_response
    async def headers(request: Request, response: HTTPResponse) -> None:
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        if request.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")

    @app.exception(Forbidden)
    async def forbidden(request: Request, exception: Forbidden) -> HTTPResponse:
        if not hasattr(request.ctx, "staff"):
            request.ctx.staff = None
        return render(request, "error.html", status=403, title="Not allowed", message=str(exception))

    @app.exception(NotFound)
    async def not_found(request: Request, exception: NotFound) -> HTTPResponse:
        if not hasattr(request.ctx, "staff"):
            request.ctx.staff = None
        return render(request, "error.html", status=404, title="Not found", message="There is no such page.")

    return app

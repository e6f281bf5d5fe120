"""Request plumbing: sessions from signed cookies, CSRF, roles, rendering.

The session cookie holds a random token plus an HMAC of it keyed with
CONSOLE_SECRET_KEY; the token's hash finds the session row. Cookies are
HttpOnly and SameSite=Strict, and Secure when the console is served over
https. Every POST must carry the session's CSRF token (form field
``csrf_token`` or header ``X-CSRF-Token``), or gets 403.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import wraps
from typing import Any, Awaitable, Callable, Optional
from urllib.parse import quote

from sanic import Request, response
from sanic.exceptions import Forbidden
from sanic.response import HTTPResponse

from bot.console.context import Console

SESSION_COOKIE = "console_session"
SIGN_IN_CSRF_COOKIE = "console_sign_in"
Handler = Callable[..., Awaitable[HTTPResponse]]


def console(request: Request) -> Console:
    return request.app.ctx.console


def sign(secret: str, value: str) -> str:
    mac = hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()
    return f"{value}.{mac}"


def unsign(secret: str, signed: Optional[str]) -> Optional[str]:
    if not signed or "." not in signed:
        return None
    value, _, mac = signed.rpartition(".")
    expected = hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()
    return value if hmac.compare_digest(mac, expected) else None


def is_https(request: Request) -> bool:
    return request.scheme == "https"


def set_cookie(request: Request, resp: HTTPResponse, name: str, value: str, max_age: int) -> None:
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/"
    cookie["max-age"] = max_age
    if is_https(request):
        cookie["secure"] = True


def clear_cookie(resp: HTTPResponse, name: str) -> None:
    resp.cookies[name] = ""
    resp.cookies[name]["max-age"] = 0
    resp.cookies[name]["path"] = "/"


async def load_session(request: Request) -> None:
    """Request middleware: request.ctx.staff / csrf_token / session_token from the cookie."""
    request.ctx.staff = None
    request.ctx.csrf_token = None
    request.ctx.session_token = None
    app_console = console(request)
    token = unsign(app_console.settings.console_secret_key or "", request.cookies.get(SESSION_COOKIE))
    if token:
        session = app_console.staff.session(token)
        if session is not None:
            request.ctx.staff = session.staff
            request.ctx.csrf_token = session.csrf_token
            request.ctx.session_token = token


def check_csrf(request: Request, expected: Optional[str]) -> None:
    sent = request.headers.get("x-csrf-token") or (request.form.get("csrf_token") if request.form else None)
    if not expected or not sent or not hmac.compare_digest(str(sent), str(expected)):
        raise Forbidden("The form had expired or was not sent by the console. Go back, reload and try again.")


def sign_in_csrf(request: Request) -> str:
    """The pre-sign-in CSRF token (double-submit: signed cookie + form field)."""
    app_console = console(request)
    existing = unsign(app_console.settings.console_secret_key or "", request.cookies.get(SIGN_IN_CSRF_COOKIE))
    return existing or secrets.token_urlsafe(24)


def requires(role: str = "agent") -> Callable[[Handler], Handler]:
    """Signed-in staff with at least ``role``; others go to sign-in (or get 403 for the role)."""

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            member = request.ctx.staff
            if member is None:
                if request.method == "POST":
                    raise Forbidden("Sign in first.")
                return response.redirect(f"/sign-in?next={quote(request.path)}", status=303)
            if request.method == "POST":
                check_csrf(request, request.ctx.csrf_token)
            if not member.at_least(role):
                console(request).audit.record(member.id, "denied", request.path, needed=role)
                return render(request, "error.html", status=403, title="Not allowed",
                              message=f"This page is for {role}s only.")
            return await handler(request, *args, **kwargs)

        return wrapped

    return decorate


FLASH_COOKIE = "console_flash"


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTTPResponse:
    secret = console(request).settings.console_secret_key or ""
    # The one-off message from the previous action (signed, so no one can put words in the console's mouth).
    flash = unsign(secret, request.cookies.get(FLASH_COOKIE))
    page = console(request).templates.get_template(template).render(
        staff=getattr(request.ctx, "staff", None),
        csrf_token=getattr(request.ctx, "csrf_token", None),
        council_name=console(request).settings.council_name,
        flash=bytes.fromhex(flash).decode("utf-8", "replace") if flash else None,
        **context,
    )
    resp = response.html(page, status=status)
    if flash:
        clear_cookie(resp, FLASH_COOKIE)
    return resp


def redirect(request: Request, path: str, flash: Optional[str] = None) -> HTTPResponse:
    """303 to ``path`` (always a path on this site), with an optional one-off message."""
    if not path.startswith("/") or path.startswith("//"):
        path = "/queue"
    resp = response.redirect(path, status=303)
    if flash:
        secret = console(request).settings.console_secret_key or ""
        set_cookie(request, resp, FLASH_COOKIE, sign(secret, flash[:300].encode().hex()), max_age=60)
    return resp


def form_value(request: Request, name: str, max_chars: int = 2000) -> str:
    value = (request.form.get(name) if request.form else None) or ""
    return str(value).strip()[:max_chars]

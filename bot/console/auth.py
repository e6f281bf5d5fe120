"""Signing in and out (blueprint ``auth``)."""

from __future__ import annotations

import logging

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from bot.console.web import (
    SESSION_COOKIE, SIGN_IN_CSRF_COOKIE, check_csrf, clear_cookie, console, form_value, redirect, render,
    set_cookie, sign, sign_in_csrf, unsign,
)
from bot.storage.staff import SignInResult

logger = logging.getLogger(__name__)

bp = Blueprint("auth")


def _safe_next(target: str) -> str:
    # Only paths on this site: never an open redirect to somewhere else.
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/queue"


def _sign_in_page(request: Request, error: str = "", status: int = 200) -> HTTPResponse:
    token = sign_in_csrf(request)
    resp = render(request, "sign_in.html", status=status, sign_in_token=token, error=error,
                  next=_safe_next(request.args.get("next") or form_value(request, "next") or "/queue"))
    secret = console(request).settings.console_secret_key or ""
    set_cookie(request, resp, SIGN_IN_CSRF_COOKIE, sign(secret, token), max_age=3600)
    return resp


@bp.get("/sign-in")
async def sign_in_form(request: Request) -> HTTPResponse:
    if request.ctx.staff is not None:
        return redirect(request, "/queue")
    return _sign_in_page(request)


def client_address(request: Request) -> str:
    """The client's address: from X-Forwarded-For only through CONSOLE_PROXIES_COUNT trusted proxies
    (Sanic's PROXIES_COUNT, as on the website), else the connection's own address."""
    return request.remote_addr or request.ip


@bp.post("/sign-in")
async def sign_in(request: Request) -> HTTPResponse:
    app_console = console(request)
    expected = unsign(app_console.settings.console_secret_key or "", request.cookies.get(SIGN_IN_CSRF_COOKIE))
    check_csrf(request, expected)
    client = client_address(request)
    wait = app_console.sign_in_failures.retry_after(client)
    if wait:
        # Refused before any account is looked at: a client guessing passwords
        # cannot go on to lock every staff account.
        logger.warning("Sign-ins from one client refused for %d s after too many wrong passwords", wait)
        error = (f"Too many wrong passwords from this computer. Please try again in {max(1, wait // 60)} "
                 "minute(s), or ask an admin.")
        resp = _sign_in_page(request, error, status=429)
        resp.headers["Retry-After"] = str(wait)
        return resp
    email = form_value(request, "email", 254).lower()
    result, member = app_console.staff.sign_in(email, form_value(request, "password", 1000))
    if result == SignInResult.OK and member is not None:
        token, _csrf = app_console.staff.start_session(member.id)
        app_console.audit.record(member.id, "sign_in")
        resp = redirect(request, _safe_next(form_value(request, "next") or "/queue"))
        set_cookie(request, resp, SESSION_COOKIE, sign(app_console.settings.console_secret_key or "", token),
                   max_age=app_console.settings.console_session_hours * 3600)
        clear_cookie(resp, SIGN_IN_CSRF_COOKIE)
        return resp
    app_console.audit.record(member.id if member else None, "sign_in_failed", email=email[:254], result=result)
    app_console.sign_in_failures.allow(client)  # counts this failure against the client
    if result == SignInResult.LOCKED:
        minutes = app_console.settings.console_lockout_minutes
        error = (f"Too many wrong passwords: this account is locked for {minutes} minutes. "
                 "An admin can unlock it sooner.")
        return _sign_in_page(request, error, status=429)
    return _sign_in_page(request, "That email and password don't match an account.", status=401)


@bp.post("/sign-out")
async def sign_out(request: Request) -> HTTPResponse:
    if request.ctx.staff is not None:
        check_csrf(request, request.ctx.csrf_token)
        console(request).staff.end_session(request.ctx.session_token)
        console(request).audit.record(request.ctx.staff.id, "sign_out")
    resp = redirect(request, "/sign-in")
    clear_cookie(resp, SESSION_COOKIE)
    return resp

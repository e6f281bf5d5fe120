"""The audit log of staff actions, for supervisors and admins (blueprint ``audit``)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from bot.console.web import console, render, requires

bp = Blueprint("audit")


@bp.get("/audit")
@requires("supervisor")
async def audit_log(request: Request) -> HTTPResponse:
    action = (request.args.get("action") or "").strip()[:40] or None
    return render(request, "audit.html", entries=console(request).audit.recent(500, action), action=action)

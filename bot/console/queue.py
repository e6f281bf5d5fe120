"""The queue of escalated conversations, with live updates (blueprint ``queue``).

Each row says what is known of the report (its case's reference, category and place, or what
the form had collected when it handed over) and, for SMS residents, offers their number: shown
only on request, to signed-in staff (agents and above), and audited (``show_phone``).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timezone
from typing import Any, Dict, Optional
from urllib.parse import quote

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from bot.console.web import console, redirect, render, requires
from bot.storage.escalations import Escalation

bp = Blueprint("queue")
# Each event stream lasts this long; the browser's EventSource reconnects by itself.
STREAM_SECONDS = 300
POLL_SECONDS = 1.0


def known(item: Escalation, case: Optional[Dict[str, Any]]) -> Dict[str, Optional[str]]:
    """What the queue row says about the report: its case when there is one, else what the form had."""
    draft = item.draft or {}
    category = (case or {}).get("category") or draft.get("report_category")
    if case and (case.get("location_text") or case.get("postcode")):
        where = " ".join(p for p in (case.get("location_text"), case.get("postcode")) if p)
    else:
        where = " ".join(str(draft[p]) for p in ("location", "postcode") if draft.get(p) and draft[p] != "none")
    return {"reference": (case or {}).get("reference"), "category": category, "where": where or None}


def queue_context(request: Request) -> dict:
    app_console = console(request)
    now = datetime.now(timezone.utc)
    items = app_console.escalations.queue()
    latest = app_console.escalations.latest_cases([e.conversation_id for e in items])
    return {
        "items": items,
        "known": {e.id: known(e, latest.get(e.conversation_id)) for e in items},
        "now": now,
        "staffed": app_console.hours.is_open(now),
        "hours": app_console.hours.describe(),
    }


@bp.get("/")
async def home(request: Request) -> HTTPResponse:
    return redirect(request, "/queue")


@bp.get("/queue")
@requires("agent")
async def queue_page(request: Request) -> HTTPResponse:
    return render(request, "queue.html", **queue_context(request))


@bp.get("/queue/rows")
@requires("agent")
async def queue_rows(request: Request) -> HTTPResponse:
    return render(request, "queue_rows.html", **queue_context(request))


@bp.post("/escalations/<escalation_id:int>/claim")
@requires("agent")
async def claim(request: Request, escalation_id: int) -> HTTPResponse:
    app_console = console(request)
    member = request.ctx.staff
    escalation = app_console.escalations.get(escalation_id)
    if escalation is None:
        return render(request, "error.html", status=404, title="Not found", message="No such conversation in the queue.")
    take_over = member.at_least("supervisor")
    if app_console.escalations.claim(escalation_id, member.id, take_over=take_over):
        app_console.audit.record(member.id, "claim", escalation.conversation_id, escalation_id=escalation_id)
        return redirect(request, f"/conversation?id={quote(escalation.conversation_id, safe='')}")
    return redirect(request, "/queue", flash="Someone else has already claimed that conversation.")


@bp.post("/escalations/<escalation_id:int>/phone")
@requires("agent")
async def show_phone(request: Request, escalation_id: int) -> HTTPResponse:
    """An SMS resident's number, to ring them back; each showing is audited (a POST, so nothing prefetches it)."""
    app_console = console(request)
    escalation = app_console.escalations.get(escalation_id)
    if escalation is None or not escalation.phone:
        return render(request, "error.html", status=404, title="Not found", message="No number for that conversation.")
    app_console.audit.record(request.ctx.staff.id, "show_phone", escalation.conversation_id, escalation_id=escalation_id)
    return render(request, "phone.html", escalation=escalation,
                  conversation_link=f"/conversation?id={quote(escalation.conversation_id, safe='')}")


@bp.get("/events")
@requires("agent")
async def events(request: Request) -> HTTPResponse:
    """Server-sent events: "queue" when the queue changes, "conversation" when ?id=... gets a new event."""
    app_console = console(request)
    conversation_id = request.args.get("id")
    stream = await request.respond(
        content_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    last_queue = last_conversation = None
    deadline = time.monotonic() + STREAM_SECONDS
    await stream.send("retry: 2000\n\n")
    while time.monotonic() < deadline:
        if request.transport.is_closing():
            break  # the tab went away: stop polling for it
        queue_version = await asyncio.to_thread(app_console.escalations.version)
        if queue_version != last_queue:
            if last_queue is not None:
                await stream.send(f"event: queue\ndata: {json.dumps(queue_version)}\n\n")
            last_queue = queue_version
        if conversation_id:
            version = await asyncio.to_thread(app_console.transcripts.version, conversation_id)
            if version != last_conversation:
                if last_conversation is not None:
                    await stream.send(f"event: conversation\ndata: {json.dumps(version)}\n\n")
                last_conversation = version
        await asyncio.sleep(POLL_SECONDS)
    await stream.eof()
    return stream  # type: ignore[return-value]


@bp.get("/health")
async def health(request: Request) -> HTTPResponse:
    return response.json({"status": "ok"})

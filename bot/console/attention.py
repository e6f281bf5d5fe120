"""Needs attention: every problem that would otherwise be silent, on one page (blueprint ``attention``).

Deliveries flagged or refused, requests a back office no longer knows, notifications
that failed for good and texts that did not arrive (bot/storage/attention.py). Agents
and above see it; what can be done about a delivery (re-queue, mark handled) is on
each case's page, for supervisors (bot/console/cases.py).
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from bot.console.web import console, render, requires
from bot.storage.attention import needs_attention

bp = Blueprint("attention")


@bp.get("/attention")
@requires("agent")
async def attention(request: Request) -> HTTPResponse:
    found = await asyncio.to_thread(needs_attention, console(request).engine)
    return render(request, "attention.html", found=found,
                  case_link=lambda reference: f"/cases/{quote(reference, safe='')}",
                  conversation_link=lambda cid: f"/conversation?id={quote(cid or '', safe='')}")

"""Cases: the list, one case's page and what staff do to a case (blueprint ``cases``).

Agents and above see and work cases: change the status of a case in the
built-in back office, post a public update that reaches the resident on their
own channel (bot/outbox/notify.py, as status notifications do), add internal
notes. Delivery problems are for supervisors and above: re-queue a delivery,
mark a flagged problem handled. Every action is CSRF-checked (``requires``),
role-checked and audited with the case reference, never the resident's words.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from bot.cases import references
from bot import messages
from bot.cases.model import STATUS_ORDER, Case
from bot.console.web import console, form_value, redirect, render, requires
from bot.outbox.notify import MAX_UPDATE_CHARS, SENT, kind_for
from bot.storage.outbox import OutboxStore
from bot.storage.duplicates import possible_duplicate_of
from bot.storage.followers import FollowerStore
from bot.storage.case_list import SORTS, CaseFilter, case_record, choices, coordinates, list_cases
from bot.storage.sms import SmsStore

bp = Blueprint("cases")


def case_link(reference: str) -> str:
    return f"/cases/{quote(reference, safe='')}"


def _find(request: Request, reference: str) -> Tuple[Optional[Case], Optional[HTTPResponse]]:
    canonical = references.normalise(reference[:20])
    found = console(request).cases.get_by_reference(canonical) if canonical else None
    if found is None:
        return None, render(request, "error.html", status=404, title="Not found", message="No case with that reference.")
    return found, None


@bp.get("/cases")
@requires("agent")
async def case_list(request: Request) -> HTTPResponse:
    app_console = console(request)
    wanted = CaseFilter.parse({k: request.args.get(k) for k in request.args})
    zone = ZoneInfo(app_console.settings.staffed_timezone)
    page = await asyncio.to_thread(list_cases, app_console.engine, wanted, zone)
    options = choices(list(app_console.backoffices))

    def link(**override: object) -> str:
        return "/cases?" + urlencode(wanted.query_args(**override))

    return render(request, "cases.html", page=page, wanted=wanted, options=options, statuses=STATUS_ORDER,
                  sorts=list(SORTS), link=link, case_link=case_link)


@bp.get("/cases/<reference>")
@requires("agent")
async def case_page(request: Request, reference: str) -> HTTPResponse:
    found, refusal = _find(request, reference)
    if refusal:
        return refusal
    assert found is not None
    app_console = console(request)
    record = await asyncio.to_thread(case_record, app_console.engine, found.id)
    assert record is not None
    case = record.case
    app_console.audit.record(request.ctx.staff.id, "view_case", case.reference)
    later = STATUS_ORDER[STATUS_ORDER.index(case.status) + 1:] if case.status in STATUS_ORDER else ()
    sms = SmsStore(app_console.engine)
    return render(
        request, "case.html", record=record, case=case, point=coordinates(case),
        conversation_link=f"/conversation?id={quote(case.conversation_id, safe='')}",
        worked_here=case.backoffice in app_console.builtin_backoffices, later_statuses=later,
        descriptions={status: messages.text(f"case_status.{status}") for status in STATUS_ORDER}, max_update=MAX_UPDATE_CHARS,
        sms_texts=sms.messages(case.conversation_id) if case.channel == "sms" else [],
        attempts=_attempts(record.delivery),
        followers=FollowerStore(app_console.engine).count(case.id),
        duplicate_of=possible_duplicate_of(app_console.engine, case.id),
    )


def _attempts(delivery: Optional[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The delivery's latest attempts, newest first, with their times as datetimes (stored as ISO text)."""
    found = []
    for entry in reversed((delivery or {}).get("attempt_log") or []):
        try:
            at: Optional[datetime] = datetime.fromisoformat(str(entry.get("at")))
        except ValueError:
            at = None
        found.append({**entry, "at": at})
    return found


@bp.post("/cases/<reference>/status")
@requires("agent")
async def change_status(request: Request, reference: str) -> HTTPResponse:
    found, refusal = _find(request, reference)
    if refusal:
        return refusal
    assert found is not None
    app_console = console(request)
    here = case_link(found.reference)
    if found.backoffice not in app_console.builtin_backoffices:
        return redirect(request, here, f"This case is worked in {found.backoffice or 'another system'}: "
                                       "its status comes from there.")
    status = form_value(request, "status", 30)
    if status not in STATUS_ORDER:
        return redirect(request, here, "Choose a status.")
    note = form_value(request, "note", MAX_UPDATE_CHARS) or None
    member = request.ctx.staff
    moved = app_console.cases.record_status(found.id, status, source=f"staff: {member.display_name}"[:50], note=note)
    if not moved:
        return redirect(request, here, f"The case is already {found.status.replace('_', ' ')}; statuses only move forward.")
    app_console.audit.record(member.id, "case_status", found.reference, status=status, previous=found.status)
    told = ""
    kind = kind_for(status)
    if kind and app_console.notifier is not None:
        outcome = await app_console.notifier.notify(app_console.cases.get(found.id) or found, kind, note)
        told = _told(outcome)
    return redirect(request, here, f"Status changed to {status.replace('_', ' ')}.{told}")


def _told(outcome: Optional[str]) -> str:
    if outcome == SENT:
        return " The resident has been told."
    if outcome is None:
        return " The resident was not told (they did not agree to be contacted, or were told already)."
    return " The resident could NOT be told yet: see Notifications below."


@bp.post("/cases/<reference>/update")
@requires("agent")
async def public_update(request: Request, reference: str) -> HTTPResponse:
    found, refusal = _find(request, reference)
    if refusal:
        return refusal
    assert found is not None
    app_console = console(request)
    here = case_link(found.reference)
    text = form_value(request, "text", MAX_UPDATE_CHARS + 1)
    if not text:
        return redirect(request, here, "Type the update first.")
    if len(text) > MAX_UPDATE_CHARS:
        return redirect(request, here, f"Updates can be at most {MAX_UPDATE_CHARS} characters.")
    if not found.contact_consent:
        return redirect(request, here, "The resident did not agree to be contacted: nothing was sent.")
    assert app_console.notifier is not None
    outcome = await app_console.notifier.notify_update(found, text)
    app_console.audit.record(request.ctx.staff.id, "case_update", found.reference, characters=len(text),
                             outcome=outcome)
    if outcome == SENT:
        return redirect(request, here, "Update sent to the resident.")
    return redirect(request, here, "The update could NOT be delivered yet: see Notifications below.")


@bp.post("/cases/<reference>/note")
@requires("agent")
async def add_note(request: Request, reference: str) -> HTTPResponse:
    found, refusal = _find(request, reference)
    if refusal:
        return refusal
    assert found is not None
    text = form_value(request, "text", 4000)
    if not text:
        return redirect(request, case_link(found.reference), "Type a note first.")
    console(request).cases.add_note(found.id, request.ctx.staff.id, text)
    console(request).audit.record(request.ctx.staff.id, "case_note", found.reference)
    return redirect(request, case_link(found.reference))


@bp.post("/cases/<reference>/requeue")
@requires("supervisor")
async def requeue(request: Request, reference: str) -> HTTPResponse:
    found, refusal = _find(request, reference)
    if refusal:
        return refusal
    assert found is not None
    app_console = console(request)
    here = case_link(found.reference)
    if not OutboxStore(app_console.engine).requeue(found.id):
        return redirect(request, here, "The case was already delivered; nothing to re-queue.")
    app_console.audit.record(request.ctx.staff.id, "case_requeue", found.reference)
    return redirect(request, here, "Re-queued: the delivery worker sends it on its next round.")


@bp.post("/cases/<reference>/handled")
@requires("supervisor")
async def mark_handled(request: Request, reference: str) -> HTTPResponse:
    found, refusal = _find(request, reference)
    if refusal:
        return refusal
    assert found is not None
    app_console = console(request)
    here = case_link(found.reference)
    note = form_value(request, "note", 4000)
    if not app_console.cases.clear_attention(found.id):
        return redirect(request, here, "The case is not flagged.")
    # What the flag said stays on the case, as a note with who handled it.
    app_console.cases.add_note(found.id, request.ctx.staff.id,
                               f"Delivery problem marked handled. The flag said: {found.attention_reason or '-'}"
                               + (f"\n{note}" if note else ""))
    app_console.audit.record(request.ctx.staff.id, "case_handled", found.reference)
    return redirect(request, here, "Marked handled; the flag is cleared.")

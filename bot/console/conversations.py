"""One conversation: transcript, reply, notes, hand back, close; and search (blueprint ``conversations``)."""

from __future__ import annotations

import re
from typing import Any, List, Optional, Tuple
from urllib.parse import quote

from sanic import Blueprint, Request
from sqlalchemy import select
from sanic.response import HTTPResponse

from bot import answers, postcodes
from bot.cases import references
from bot.console.web import console, form_value, redirect, render, requires
from bot.escalation.handoff import MAX_REPLY_CHARS, HandoffError, closing_message, handed_back_notice
from bot.storage.escalations import CLOSED, HANDED_BACK, Escalation
from bot.storage.schema import cases
from bot.storage.sms import SmsStore

bp = Blueprint("conversations")


def _link(conversation_id: str) -> str:
    return f"/conversation?id={quote(conversation_id, safe='')}"


def _conversation_context(request: Request, conversation_id: str) -> dict:
    app_console = console(request)
    escalations = app_console.escalations.for_conversation(conversation_id)
    open_escalation = next((e for e in escalations if e.is_open), None)
    member = request.ctx.staff
    can_act = bool(open_escalation and open_escalation.claimed_by == member.id)
    return {
        "conversation_id": conversation_id,
        "transcript": app_console.transcripts.read(conversation_id),
        "cases": app_console.cases.for_conversation(conversation_id),
        "escalations": escalations,
        "open_escalation": open_escalation,
        "notes": app_console.escalations.notes([e.id for e in escalations]),
        "can_act": can_act,
        "can_take_over": bool(open_escalation and not can_act and
                              (open_escalation.state == "waiting" or member.at_least("supervisor"))),
        "max_reply": MAX_REPLY_CHARS,
        "link": _link(conversation_id),
    }


@bp.get("/conversation")
@requires("agent")
async def conversation(request: Request) -> HTTPResponse:
    conversation_id = (request.args.get("id") or "")[:255]
    context = _conversation_context(request, conversation_id)
    if not context["transcript"].exists and not context["escalations"] and not context["cases"]:
        return render(request, "error.html", status=404, title="Not found", message="No conversation with that id.")
    console(request).audit.record(request.ctx.staff.id, "view_conversation", conversation_id)
    # An SMS resident's number, from the SMS channel's link (Rasa's tracker never holds it).
    phone = SmsStore(console(request).engine).phone_for(conversation_id)
    return render(request, "conversation.html", phone=phone, **context)


@bp.get("/conversation/transcript")
@requires("agent")
async def transcript_fragment(request: Request) -> HTTPResponse:
    conversation_id = (request.args.get("id") or "")[:255]
    return render(request, "transcript.html", **_conversation_context(request, conversation_id))


def _own_open_escalation(request: Request, escalation_id: int) -> Tuple[Optional[Escalation], Optional[HTTPResponse]]:
    """The escalation if it is open and claimed by this staff member, else a response explaining why not."""
    escalation = console(request).escalations.get(escalation_id)
    if escalation is None:
        return None, render(request, "error.html", status=404, title="Not found", message="No such escalation.")
    if not escalation.is_open:
        return None, redirect(request, _link(escalation.conversation_id), "That conversation is no longer open.")
    if escalation.claimed_by != request.ctx.staff.id:
        return None, redirect(request, _link(escalation.conversation_id), "Claim the conversation first.")
    return escalation, None


@bp.post("/escalations/<escalation_id:int>/reply")
@requires("agent")
async def reply(request: Request, escalation_id: int) -> HTTPResponse:
    escalation, refusal = _own_open_escalation(request, escalation_id)
    if refusal:
        return refusal
    assert escalation is not None
    text = form_value(request, "text", MAX_REPLY_CHARS + 1)
    if not text:
        return redirect(request, _link(escalation.conversation_id), "Type a reply first.")
    if len(text) > MAX_REPLY_CHARS:
        return redirect(request, _link(escalation.conversation_id),
                        f"Replies can be at most {MAX_REPLY_CHARS} characters.")
    member = request.ctx.staff
    try:
        await console(request).rasa.reply(escalation.conversation_id, text, member.id, member.display_name)
    except HandoffError as error:
        return redirect(request, _link(escalation.conversation_id), f"Your reply was NOT sent: {error}")
    console(request).escalations.touch(escalation.id)
    console(request).audit.record(member.id, "reply", escalation.conversation_id, escalation_id=escalation.id,
                                  characters=len(text))
    return redirect(request, _link(escalation.conversation_id))


@bp.post("/escalations/<escalation_id:int>/note")
@requires("agent")
async def note(request: Request, escalation_id: int) -> HTTPResponse:
    escalation = console(request).escalations.get(escalation_id)
    if escalation is None:
        return render(request, "error.html", status=404, title="Not found", message="No such escalation.")
    text = form_value(request, "text", 4000)
    if not text:
        return redirect(request, _link(escalation.conversation_id), "Type a note first.")
    console(request).escalations.add_note(escalation.id, request.ctx.staff.id, text)
    console(request).audit.record(request.ctx.staff.id, "note", escalation.conversation_id, escalation_id=escalation.id)
    return redirect(request, _link(escalation.conversation_id))


async def _end(request: Request, escalation_id: int, state: str) -> HTTPResponse:
    escalation, refusal = _own_open_escalation(request, escalation_id)
    if refusal:
        return refusal
    assert escalation is not None
    member = request.ctx.staff
    # In the conversation's language when it was queued (the council's default before languages were kept).
    languages = console(request).settings.council_languages
    language = escalation.language if escalation.language in languages else languages[0]
    message = form_value(request, "text", MAX_REPLY_CHARS) or (closing_message(language) if state == CLOSED else "")
    try:
        # Either way the resident is told: closing in the team's words, a hand-back by the assistant.
        await console(request).rasa.hand_back(escalation.conversation_id, message, member.id, member.display_name,
                                              notice=handed_back_notice(language) if state == HANDED_BACK else None)
    except HandoffError as error:
        return redirect(request, _link(escalation.conversation_id), f"Nothing changed: {error}")
    console(request).escalations.end(escalation.id, state)
    action = "hand_back" if state == HANDED_BACK else "close"
    console(request).audit.record(member.id, action, escalation.conversation_id, escalation_id=escalation.id)
    done = "Handed back to the bot." if state == HANDED_BACK else "Conversation closed."
    return redirect(request, "/queue", done)


@bp.post("/escalations/<escalation_id:int>/hand-back")
@requires("agent")
async def hand_back(request: Request, escalation_id: int) -> HTTPResponse:
    return await _end(request, escalation_id, HANDED_BACK)


@bp.post("/escalations/<escalation_id:int>/close")
@requires("agent")
async def close(request: Request, escalation_id: int) -> HTTPResponse:
    return await _end(request, escalation_id, CLOSED)


# A postcode district or sector without the rest ("AN1", "an1 4").
PARTIAL_POSTCODE = re.compile(r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]?(?:\s+[0-9])?$")
# Anything else searched must read like part of an address ("Mill Lane", "14 mill la").
PLACE_WORDS = re.compile(r"^(?=.*[A-Za-z].*[A-Za-z].*[A-Za-z])[A-Za-z0-9 ,.'&-]{3,60}$")


def _conversations_of_cases(engine: Any, condition: Any) -> List[str]:
    """The conversations of the newest 100 cases matching ``condition``, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(cases.c.conversation_id, cases.c.created_at).where(condition)
            .order_by(cases.c.created_at.desc()).limit(100))
        return list(dict.fromkeys(row[0] for row in rows))


@bp.get("/search")
@requires("agent")
async def search(request: Request) -> HTTPResponse:
    """By case reference, phone number, postcode (whole, district or sector) or street: the conversations that match."""
    app_console = console(request)
    query = (request.args.get("q") or "").strip()[:100]
    found: List[dict] = []
    kind = None
    if query:
        reference = references.normalise(query)
        phone = answers.parse_uk_phone(query) or answers.find_uk_phone(query)
        postcode = postcodes.find_postcode(query)
        conversation_ids: List[str] = []
        if reference:
            kind = "case reference"
            case = app_console.cases.get_by_reference(reference)
            conversation_ids = [case.conversation_id] if case else []
        elif phone:
            kind = "phone number"
            with app_console.engine.connect() as conn:
                conversation_ids = [r[0] for r in conn.execute(
                    select(cases.c.conversation_id).where(cases.c.contact_phone == phone).distinct())]
            # The number's SMS conversation, through the SMS channel's link (Rasa never holds the number).
            texted = SmsStore(app_console.engine).conversation_of(phone)
            if texted and texted not in conversation_ids:
                conversation_ids.append(texted)
        elif postcode:
            kind = "postcode"
            conversation_ids = _conversations_of_cases(app_console.engine, cases.c.postcode == postcode)
        elif PARTIAL_POSTCODE.match(query):
            # "AN1" or "AN1 4": every postcode in that district or sector.
            kind = "postcode district"
            district = " ".join(query.upper().split())
            conversation_ids = _conversations_of_cases(
                app_console.engine, cases.c.postcode.like(f"{district} %" if " " not in district else f"{district}%"))
        elif PLACE_WORDS.match(query):
            kind = "street or place"
            # PLACE_WORDS lets through no LIKE wildcard (% or _) to escape.
            conversation_ids = _conversations_of_cases(
                app_console.engine, cases.c.location_text.ilike(f"%{' '.join(query.split())}%"))
        else:
            kind = "unrecognised"
        escalations = app_console.escalations.find(conversation_ids, phone=phone if kind == "phone number" else None)
        seen = dict.fromkeys(conversation_ids + [e.conversation_id for e in escalations])
        for conversation_id in seen:
            found.append({
                "conversation_id": conversation_id,
                "link": _link(conversation_id),
                "cases": app_console.cases.for_conversation(conversation_id),
                "escalations": [e for e in escalations if e.conversation_id == conversation_id],
            })
        # The term itself is personal data: the audit keeps its kind only.
        app_console.audit.record(request.ctx.staff.id, "search", None, kind=kind, results=len(found))
    return render(request, "search.html", query=query, kind=kind, results=found)

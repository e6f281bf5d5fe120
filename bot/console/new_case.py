"""A case made by staff for a resident whose conversation was escalated (blueprint ``new_case``).

The form starts from what the bot had collected: the half-finished report the
escalation kept (``escalations.draft``, written when a report form handed over
to a person) or else the conversation's current slots. Staff check and
complete it; the case is stored with its outbox row like any other
(CaseStore.create), in the resident's own conversation and channel, so the
delivery worker routes it and the resident hears about it as usual. Agents
and above; CSRF-checked; audited as ``case_create`` with the new reference.
Submitting the same form twice makes one case (the form carries a one-off key).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import quote

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from bot import answers, postcodes
from bot.cases.model import NewCase
from bot.categories import BY_KEY, CATEGORIES, Category
from bot.console.web import console, form_value, redirect, render, requires
from bot.settings import Settings
from bot.storage.escalations import Escalation

bp = Blueprint("new_case")

# Field limits: no longer than anything a resident could have sent (bot/channels/guard.py).
MAX_TEXT = 2000
MAX_DETAIL = 200
# Labels for the category-specific answers (the report forms' questions, as staff read them).
DETAIL_LABELS = {
    "bin_type": "Bin", "collection_day": "Usual collection day", "defect_surface": "Road or pavement",
    "defect_size": "Size", "defect_danger": "Immediate danger", "noise_type": "Noise", "noise_when": "When",
    "noise_frequency": "How often", "vehicle_registration": "Registration", "vehicle_make": "Make",
    "vehicle_colour": "Colour", "vehicle_duration": "There for", "bulky_items": "Items", "bin_reason": "Reason",
}
DETAIL_SLOTS = tuple(dict.fromkeys(s for c in CATEGORIES for s in c.detail_slots if s != "description"))


@dataclass
class Draft:
    """The form's values: category, place, what, details, contact; plus what staff cannot edit."""

    category: str = "other_problem"
    location: str = ""
    postcode: str = ""
    description: str = ""
    details: Dict[str, str] = field(default_factory=dict)
    contact_consent: bool = False
    contact_phone: str = ""
    contact_email: str = ""
    # Kept as the bot collected them (a shared location, the resident's photos): not form fields.
    latitude: Optional[str] = None
    longitude: Optional[str] = None
    media_urls: List[str] = field(default_factory=list)
    source: str = "nothing"  # where the values came from, for the page to say

    @classmethod
    def from_slots(cls, slots: Mapping[str, Any], phone: Optional[str], source: str) -> "Draft":
        def text(name: str) -> str:
            value = slots.get(name)
            if value is None or value in (answers.SKIP,) or isinstance(value, (dict, list)):
                return ""
            if isinstance(value, bool):
                return "yes" if value else "no"
            return str(value)

        category = text("report_category") or text("category")
        contact_phone = text("contact_phone")
        if contact_phone == "this number":  # the SMS form's "this number" (actions/resident.py)
            contact_phone = phone or ""
        media = [u for u in (slots.get("media_urls") or []) if isinstance(u, str)] \
            if isinstance(slots.get("media_urls"), list) else []
        return cls(
            category=category if category in BY_KEY else "other_problem",
            location=text("location"), postcode=text("postcode"), description=text("description"),
            details={name: text(name) for name in DETAIL_SLOTS if text(name)},
            contact_consent=slots.get("contact_consent") is True,
            # The number they text from stands in only where they agreed to be contacted.
            contact_phone=contact_phone or (phone if slots.get("contact_consent") is True and phone else ""),
            contact_email=text("contact_email"),
            latitude=text("latitude") or None, longitude=text("longitude") or None,
            media_urls=media, source=source,
        )


def draft_for(request: Request, escalation: Escalation) -> Draft:
    """What the bot had collected: the escalation's kept report, else the conversation's slots now."""
    phone = escalation.phone
    if escalation.draft:
        return Draft.from_slots(escalation.draft, phone, "the report the resident had started")
    slots = console(request).transcripts.read(escalation.conversation_id).slots
    if any(slots.get(name) for name in ("location", "postcode", "description", "report_category")):
        return Draft.from_slots(slots, phone, "the conversation")
    return Draft.from_slots({}, phone, "nothing")


def read_form(form: Mapping[str, str], kept: Draft, settings: Settings) -> Tuple[Draft, List[str]]:
    """The submitted form as a draft, and what is wrong with it (empty: it can be stored)."""
    problems: List[str] = []
    category = form.get("category", "")
    if category not in BY_KEY:
        problems.append("Choose what the report is about.")
        category = kept.category
    location = form.get("location", "")[:MAX_TEXT]
    if not answers.is_meaningful(location):
        problems.append("Say where the problem is.")
    postcode = ""
    if form.get("postcode"):
        postcode = postcodes.find_postcode(form["postcode"]) or ""
        if not postcode:
            problems.append("That postcode does not look like one (for example AN1 4GT).")
        elif not postcodes.in_area(postcode, settings.postcode_areas):
            problems.append(f"{postcode} is outside the council's area.")
    elif BY_KEY.get(category, BY_KEY["other_problem"]).needs_postcode:
        problems.append("This kind of report needs the postcode.")
    consent = form.get("contact_consent") in ("1", "on", "yes")
    phone = email = ""
    if consent:
        if form.get("contact_phone"):
            phone = answers.parse_uk_phone(form["contact_phone"]) or ""
            if not phone and form["contact_phone"] == kept.contact_phone:
                phone = kept.contact_phone  # the number the resident is texting from (any country)
            if not phone:
                problems.append("That phone number does not look like a UK one.")
        if form.get("contact_email"):
            email = answers.find_email(form["contact_email"]) or ""
            if not email:
                problems.append("That email address does not look like one.")
    wanted = BY_KEY.get(category, BY_KEY["other_problem"])
    details = {name: form.get(f"detail_{name}", "")[:MAX_DETAIL]
               for name in wanted.detail_slots if name != "description" and form.get(f"detail_{name}")}
    draft = Draft(
        category=category, location=location, postcode=postcode, description=form.get("description", "")[:MAX_TEXT],
        details=details, contact_consent=consent, contact_phone=phone, contact_email=email,
        latitude=kept.latitude, longitude=kept.longitude, media_urls=kept.media_urls, source=kept.source,
    )
    return draft, problems


def new_case(draft: Draft, escalation: Escalation) -> NewCase:
    return NewCase(
        category=draft.category, conversation_id=escalation.conversation_id, channel=escalation.channel,
        language=escalation.language,
        location_text=draft.location, postcode=draft.postcode or None,
        latitude=draft.latitude, longitude=draft.longitude, description=draft.description or None,
        details=dict(draft.details), contact_phone=draft.contact_phone or None,
        contact_email=draft.contact_email or None, contact_consent=draft.contact_consent,
        media_urls=list(draft.media_urls),
    )


def _page(request: Request, escalation: Escalation, draft: Draft, problems: List[str], status: int = 200,
          key: Optional[str] = None) -> HTTPResponse:
    return render(request, "new_case.html", status=status, escalation=escalation, draft=draft, problems=problems,
                  categories=CATEGORIES, detail_labels=DETAIL_LABELS, key=key or secrets.token_urlsafe(16),
                  conversation_link=f"/conversation?id={quote(escalation.conversation_id, safe='')}")


def _escalation(request: Request, escalation_id: int) -> Optional[Escalation]:
    return console(request).escalations.get(escalation_id)


@bp.get("/escalations/<escalation_id:int>/case")
@requires("agent")
async def case_form(request: Request, escalation_id: int) -> HTTPResponse:
    escalation = _escalation(request, escalation_id)
    if escalation is None:
        return render(request, "error.html", status=404, title="Not found", message="No such escalation.")
    return _page(request, escalation, draft_for(request, escalation), [])


@bp.post("/escalations/<escalation_id:int>/case")
@requires("agent")
async def create_case(request: Request, escalation_id: int) -> HTTPResponse:
    app_console = console(request)
    escalation = _escalation(request, escalation_id)
    if escalation is None:
        return render(request, "error.html", status=404, title="Not found", message="No such escalation.")
    kept = draft_for(request, escalation)
    form = {name: form_value(request, name, MAX_TEXT) for name in
            ("category", "location", "postcode", "description", "contact_consent", "contact_phone", "contact_email",
             *(f"detail_{d}" for d in DETAIL_SLOTS))}
    draft, problems = read_form(form, kept, app_console.settings)
    key = form_value(request, "key", 40) or secrets.token_urlsafe(16)
    if problems:
        return _page(request, escalation, draft, problems, status=400, key=key)
    # One case per submitted form, even if it is sent twice (a double click, a retried request).
    idempotency_key = f"staff:{escalation.id}:{key}"
    already = app_console.cases.get_by_idempotency_key(idempotency_key)
    if already is not None:
        return redirect(request, f"/cases/{quote(already.reference, safe='')}", f"Case {already.reference} was made already.")
    case = app_console.cases.create(new_case(draft, escalation), idempotency_key=idempotency_key)
    member = request.ctx.staff
    app_console.cases.add_note(case.id, member.id, f"Made by {member.display_name} from an escalated conversation "
                                                   f"(escalation {escalation.id}).")
    app_console.audit.record(member.id, "case_create", case.reference, escalation_id=escalation.id,
                             conversation=escalation.conversation_id)
    app_console.escalations.touch(escalation.id)
    return redirect(request, f"/cases/{quote(case.reference, safe='')}",
                    f"Case {case.reference} created for the resident. Tell them its reference.")

"""Escalation to people: when the bot steps aside, and what it tells the resident.

The bot escalates when the resident asks for a person, after two "didn't
understand" replies in a row, for a complaint about the council, and at once
for anything urgent or safeguarding. Urgent phrases are matched on the text
(bot/escalation/urgent.py), so they never depend on NLU alone; for those the
resident gets the emergency numbers first.

Escalating puts the conversation in the queue (bot/storage/escalations.py)
and pauses it (``ConversationPaused``): Rasa keeps recording what the
resident says but predicts nothing, so the bot stays silent until staff hand
it back (bot/console). Forms call :func:`escalate` too (actions/reports.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import language, services, trust
from actions.resident import known_phone
from bot.escalation.hours import HoursError, StaffedHours, when_text
from bot.escalation.urgent import urgent_category
from bot.storage.escalations import NORMAL, URGENT

logger = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
# Intent -> escalation reason, for intents that always escalate.
REASON_BY_INTENT = {"talk_to_human": "talk_to_human", "complain": "complaint", "emergency": "urgent"}
# Spoken first, by reason (the emergency numbers for urgent ones).
OPENING_RESPONSE = {
    "talk_to_human": "utter_escalate_person",
    "complaint": "utter_escalate_complaint",
    "repeated_fallback": "utter_escalate_not_understood",
    "urgent": "utter_emergency",
}


def _latest_user_texts_since_resume(tracker: Tracker) -> List[Dict[str, Any]]:
    """User events of the current stretch of bot conversation, newest first.

    Stops at a hand-back (``resume``) or a new session, so fallbacks from before
    a person took over don't count towards "two in a row".
    """
    found: List[Dict[str, Any]] = []
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind in ("resume", "session_started", "restart"):
            break
        if kind == "user":
            found.append(event)
    return found


def _intent_of(event: Dict[str, Any]) -> Optional[str]:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def is_second_fallback_in_a_row(tracker: Tracker) -> bool:
    """The latest message and the one before it were both not understood."""
    recent = _latest_user_texts_since_resume(tracker)[:2]
    return len(recent) == 2 and all(_intent_of(e) == FALLBACK_INTENT for e in recent)


def staffed_hours() -> Optional[StaffedHours]:
    settings = services.settings()
    try:
        return StaffedHours.parse(settings.staffed_hours, settings.staffed_timezone)
    except HoursError as error:
        # A bad setting must not stop an escalation; the console refuses to start with it.
        logger.error("Ignoring STAFFED_HOURS: %s", error)
        return None


def escalate(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    reason: str,
    category: Optional[str] = None,
    now: Optional[datetime] = None,
    draft: Optional[Dict[str, Any]] = None,
) -> List[EventType]:
    """Tell the resident what happens, queue the conversation, and pause the bot.

    ``draft``: what a report form had collected (slot -> value), kept with the
    escalation so staff can make the case without asking again.
    """
    now = now or datetime.now(timezone.utc)
    urgent = reason == "urgent"
    channel = tracker.get_latest_input_channel() or "unknown"
    # The action server is a network service: a call naming another channel's
    # conversation (staff would reply into it) queues nothing.
    problem = trust.conversation_problem(channel, tracker.sender_id)
    if problem:
        logger.warning("Escalation refused for conversation %s: %s", tracker.sender_id[:12], problem)
        dispatcher.utter_message(response="utter_talk_to_human")
        return []
    dispatcher.utter_message(response=OPENING_RESPONSE[reason])
    message = tracker.latest_message or {}
    text = message.get("text")
    escalation = services.escalation_store().open(
        conversation_id=tracker.sender_id,
        channel=channel,
        reason=reason,
        priority=URGENT if urgent else NORMAL,
        # No longer than any message the channels pass on (bot/channels/guard.py).
        trigger_text=text[: services.settings().max_message_chars] if isinstance(text, str) else None,
        phone=known_phone(tracker),
        urgent_category=category,
        draft=draft,
        language=tracker.get_slot("language"),
    )
    logger.info("Escalation %s queued (reason %s, priority %s)", escalation.id, reason, escalation.priority)
    hours = staffed_hours()
    if hours is None or hours.is_open(now):
        dispatcher.utter_message(response="utter_handoff_staffed")
    else:
        lang = language.of(tracker)
        dispatcher.utter_message(
            response="utter_handoff_out_of_hours",
            staffed_hours=hours.describe(lang),
            reply_when=when_text(hours.next_opening(now), now, lang),
        )
        if urgent:
            dispatcher.utter_message(response="utter_handoff_urgent_out_of_hours")
    return [ConversationPaused()]


# Slots of a report form that are bookkeeping, not the report.
NOT_THE_REPORT = ("failed_answers", "report_confirmed", "requested_slot")
MAX_DRAFT_PHOTOS = 20


def report_draft(tracker: Tracker, category: str, slots: Sequence[str]) -> Dict[str, Any]:
    """What a report form had collected, for the escalation to keep (staff see it escaped, and the
    console checks it again before it becomes a case): plain values only, no longer than a message."""
    limit = services.settings().max_message_chars
    draft: Dict[str, Any] = {}
    for name in slots:
        value = tracker.get_slot(name)
        if name in NOT_THE_REPORT or value is None:
            continue
        if name == "media_urls" and isinstance(value, list):
            draft[name] = [u[:limit] for u in value if isinstance(u, str)][:MAX_DRAFT_PHOTOS]
        elif isinstance(value, (bool, int, float)):
            draft[name] = value
        elif isinstance(value, str):
            draft[name] = value[:limit]
    draft["report_category"] = category  # the form's own kind, whatever the slot says
    return draft


def reason_for(tracker: Tracker) -> tuple[Optional[str], Optional[str]]:
    """(reason, urgent category) the latest message calls for, or (None, None)."""
    message = tracker.latest_message or {}
    category = urgent_category(message.get("text"))
    if category:
        return "urgent", category
    intent = (message.get("intent") or {}).get("name")
    if intent in REASON_BY_INTENT:
        return REASON_BY_INTENT[intent], None
    if intent == FALLBACK_INTENT and is_second_fallback_in_a_row(tracker):
        return "repeated_fallback", None
    return None, None


class ActionEscalate(Action):
    """Rules run this for talk_to_human, complain and emergency outside a form."""

    def name(self) -> Text:
        return "action_escalate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        reason, category = reason_for(tracker)
        return escalate(dispatcher, tracker, reason or "talk_to_human", category)


class ActionNotUnderstood(Action):
    """"Sorry, I didn't understand" the first time; a person the second time in a row."""

    def name(self) -> Text:
        return "action_not_understood"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        reason, category = reason_for(tracker)
        if reason is None:
            dispatcher.utter_message(response="utter_default")
            return []
        return escalate(dispatcher, tracker, reason, category)

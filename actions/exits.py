"""Leaving a question: no resident is ever stuck on one.

Shared by the small forms that wait for one answer (a case reference, a
postcode for the bin day): whatever else the resident asks for while the bot
waits is not an answer, so it leaves the question at once, and an answer that
still can't be used after three tries ends the question with a way on. (The
report forms do the same in actions/reports.py, with skip where it applies.)
"""

from __future__ import annotations

from typing import Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import escalation
from bot import answers
from bot.categories import BY_INTENT

FAILED_SLOT = "failed_answers"
MAX_FAILED_ANSWERS = 3
# How sure NLU must be that a message is a different request to leave for it.
NEW_REQUEST_CONFIDENCE = 0.7
OTHER_FORMS: Dict[str, str] = {"bin_day_enquiry": "bin_day_form", "case_status": "case_status_form"}


def stop(slot: str) -> List[EventType]:
    """Events that end a one-question form with nothing answered."""
    return [SlotSet(slot, None), SlotSet(FAILED_SLOT, None), SlotSet("requested_slot", None)]


def leave(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, own_form: str) -> Optional[List[EventType]]:
    """Events that leave the question when the message asks for something else, else None.

    "drop"/"forget it"/cancel end it; asking for a person (read without NLU
    too), a complaint or anything urgent escalates; a confident new request
    (a report, the bin day, a case) starts that instead.
    """
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    intent = (message.get("intent") or {}).get("name")
    confidence = float((message.get("intent") or {}).get("confidence") or 0.0)
    if intent == "cancel" or answers.is_abandon(text):
        dispatcher.utter_message(response="utter_nothing_to_confirm")
        return stop(slot)
    reason, category = escalation.reason_for(tracker)
    if answers.wants_person(text) and reason != "urgent":
        reason, category = "talk_to_human", None
    if reason == "urgent" or (
        reason in ("talk_to_human", "complaint") and (answers.wants_person(text) or confidence >= NEW_REQUEST_CONFIDENCE)
    ):
        return stop(slot) + [ActiveLoop(None)] + escalation.escalate(dispatcher, tracker, reason, category)
    form = BY_INTENT[intent].form if intent in BY_INTENT else OTHER_FORMS.get(intent or "")
    if form and form != own_form and confidence >= NEW_REQUEST_CONFIDENCE:
        return stop(slot) + [ActiveLoop(None), FollowupAction(form)]
    return None


def failures(tracker: Tracker, slot: str) -> int:
    """How many unusable answers to ``slot`` in a row, this one included."""
    failed = tracker.get_slot(FAILED_SLOT)
    same = isinstance(failed, dict) and failed.get("slot") == slot
    return (failed.get("count", 0) if same else 0) + 1


def clear_failures(tracker: Tracker) -> List[EventType]:
    """Forget earlier unusable answers once one is usable."""
    return [SlotSet(FAILED_SLOT, None)] if tracker.get_slot(FAILED_SLOT) is not None else []


def failed(slot: str, count: int) -> SlotSet:
    return SlotSet(FAILED_SLOT, {"slot": slot, "count": count})

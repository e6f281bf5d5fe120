"""Case status: "what's happening with AB7K-3FQ2?"."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import escalation, services
from bot import answers
from bot.backoffice import references
from bot.backoffice.base import STATUS_DESCRIPTIONS, Case
from bot.categories import BY_INTENT, BY_KEY

INVALID = "invalid"
FAILED_SLOT = "failed_answers"
# A reference that still can't be read after this many tries ends the search
# with a way on (a person, or something else), so no resident is stuck here.
MAX_FAILED_ANSWERS = 3
# How sure NLU must be that a message is a different request to leave for it.
NEW_REQUEST_CONFIDENCE = 0.7
OTHER_FORMS = {"bin_day_enquiry": "bin_day_form"}


def reference_in(text: str, entity: Optional[str]) -> Optional[str]:
    """The reference a resident typed, "invalid" if they typed a broken one, else None."""
    candidates = ([entity] if entity else []) + references.find_candidates(text)
    for candidate in candidates:
        canonical = references.normalise(candidate)
        if canonical and references.is_valid(canonical):
            return canonical
    return INVALID if candidates else None


def describe(case: Case) -> str:
    title = BY_KEY[case.category].title if case.category in BY_KEY else case.category
    created = case.created_at.strftime("%d %B %Y") if case.created_at else "recently"
    status = STATUS_DESCRIPTIONS.get(case.status, case.status)
    text = f"Your {title} report {case.reference} (made {created}) has been {status}."
    if case.backoffice_reference and case.backoffice_reference != case.reference:
        text += f" The team's own reference is {case.backoffice_reference}."
    return text


class ValidateCaseStatusForm(Action):
    def name(self) -> Text:
        return "validate_case_status_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        message = tracker.latest_message or {}
        entity = next(
            (e.get("value") for e in message.get("entities") or [] if e.get("entity") == "case_reference"), None
        )
        found = reference_in(message.get("text") or "", entity)
        starting = tracker.get_slot("requested_slot") is None
        if found and found != INVALID:
            return [SlotSet("case_reference", found), SlotSet(FAILED_SLOT, None), SlotSet("requested_slot", None)]
        if starting and found is None:
            # "any news on my report?": this conversation's latest case, if it has one.
            own = services.case_store().for_conversation(tracker.sender_id)
            if own:
                return [SlotSet("case_reference", own[-1].reference), SlotSet("requested_slot", None)]
            return [SlotSet("requested_slot", "case_reference")]
        text = message.get("text") or ""
        intent = (message.get("intent") or {}).get("name")
        confidence = float((message.get("intent") or {}).get("confidence") or 0.0)
        stop: List[EventType] = [SlotSet("case_reference", None), SlotSet(FAILED_SLOT, None),
                                 SlotSet("requested_slot", None)]
        if intent == "cancel" or answers.is_abandon(text):
            dispatcher.utter_message(response="utter_nothing_to_confirm")
            return stop
        # Whatever else was asked for while we waited for a reference, it is not a
        # reference: a person, or a new request, leaves the question at once.
        reason, category = escalation.reason_for(tracker)
        if answers.wants_person(text) and reason != "urgent":
            reason, category = "talk_to_human", None
        if reason == "urgent" or (
            reason in ("talk_to_human", "complaint")
            and (answers.wants_person(text) or confidence >= NEW_REQUEST_CONFIDENCE)
        ):
            return stop + [ActiveLoop(None)] + escalation.escalate(dispatcher, tracker, reason, category)
        form = BY_INTENT[intent].form if intent in BY_INTENT else OTHER_FORMS.get(intent or "")
        if found is None and form and confidence >= NEW_REQUEST_CONFIDENCE:
            return stop + [ActiveLoop(None), FollowupAction(form)]
        failed = tracker.get_slot(FAILED_SLOT)
        same = isinstance(failed, dict) and failed.get("slot") == "case_reference"
        count = (failed.get("count", 0) if same else 0) + 1
        if count >= MAX_FAILED_ANSWERS:
            dispatcher.utter_message(response="utter_reference_way_on")
            return stop
        dispatcher.utter_message(response="utter_invalid_reference")
        return [SlotSet("case_reference", None), SlotSet(FAILED_SLOT, {"slot": "case_reference", "count": count}),
                SlotSet("requested_slot", "case_reference")]


class ActionCaseStatus(Action):
    def name(self) -> Text:
        return "action_case_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        reference = tracker.get_slot("case_reference")
        if not reference:
            return []
        case = services.case_store().get_by_reference(reference)
        if case is None:
            phone = services.settings().council_phone
            dispatcher.utter_message(
                text=f"I can't find a report with the reference {reference}. Please check it against the "
                f"message we sent you. If it's right, call us on {phone} and we'll look into it."
            )
        else:
            dispatcher.utter_message(text=describe(case))
        return [SlotSet("case_reference", None)]

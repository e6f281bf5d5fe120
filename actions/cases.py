"""Case status: "what's happening with AB7K-3FQ2?"."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import exits, language, services
from bot.cases import references
from bot import answers, messages
from bot.messages.dates import long_date
from bot.cases.model import STATUS_ORDER, Case
from bot.categories import BY_KEY

INVALID = "invalid"


def reference_in(text: str, entity: Optional[str]) -> Optional[str]:
    """The reference a resident typed, "invalid" if they typed a broken one, else None."""
    candidates = ([entity] if entity else []) + references.find_candidates(text)
    return next(references.valid_among(candidates), INVALID if candidates else None)


def describe(case: Case, lang: str = "en") -> str:
    """The case's status in a sentence in ``lang`` (texts: bot/messages/catalogue.yml, case_status.*)."""
    title = BY_KEY[case.category].title_in(lang) if case.category in BY_KEY else case.category
    created = (long_date(case.created_at, lang) if case.created_at
               else messages.text("case_status.made_recently", lang))
    status = messages.text(f"case_status.{case.status}", lang) if case.status in STATUS_ORDER else case.status
    text = messages.text("case_status.describe", lang, title=title, reference=case.reference, created=created,
                         status=status)
    if case.backoffice_reference and case.backoffice_reference != case.reference:
        text += " " + messages.text("case_status.their_reference", lang, backoffice_reference=case.backoffice_reference)
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
            return [SlotSet("case_reference", found), *exits.clear_failures(tracker), SlotSet("requested_slot", None)]
        if starting and found is None:
            # "any news on my report?": this conversation's latest case, if it has one.
            own = services.case_store().for_conversation(tracker.sender_id)
            if own:
                return [SlotSet("case_reference", own[-1].reference), SlotSet("requested_slot", None)]
            return [SlotSet("requested_slot", "case_reference")]
        # Whatever else was asked for while we waited (a person, a new report), it
        # is not a reference: it leaves the question at once (actions/exits.py).
        left = exits.leave(dispatcher, tracker, "case_reference", "case_status_form") if found is None else None
        if left is not None:
            return left
        if found is None and answers.has_no_reference(message.get("text") or "",
                                                      (message.get("intent") or {}).get("name")):
            # "I don't have it": asking again cannot help; staff can find a case by name or address.
            dispatcher.utter_message(response="utter_no_reference")
            return exits.stop("case_reference")
        count = exits.failures(tracker, "case_reference")
        if count >= exits.MAX_FAILED_ANSWERS:
            dispatcher.utter_message(response="utter_reference_way_on")
            return exits.stop("case_reference")
        dispatcher.utter_message(response="utter_invalid_reference")
        return [SlotSet("case_reference", None), exits.failed("case_reference", count),
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
        lang = language.of(tracker)
        if case is None:
            dispatcher.utter_message(text=messages.text(
                "case_status.not_found", lang, reference=reference, council_phone=services.settings().council_phone))
        else:
            dispatcher.utter_message(text=describe(case, lang))
        return [SlotSet("case_reference", None)]

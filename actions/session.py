"""Session start: Rasa's default behaviour plus the council's details and the conversation's language as slots.

Responses in domain.yml say {council_name}, {council_phone}, ...; filling
them here keeps those details in settings rather than in the domain.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import services


def council_slots() -> List[EventType]:
    s = services.settings()
    return [
        SlotSet("council_name", s.council_name),
        SlotSet("council_phone", s.council_phone),
        SlotSet("council_out_of_hours_phone", s.council_out_of_hours_phone),
        SlotSet("council_website", s.council_website),
        SlotSet("privacy_url", s.web_privacy_url),
    ]


def language_slots(tracker: Tracker) -> List[EventType]:
    """The conversation's language: kept from the session before (a resident's language is
    respected weeks later), else the council's default, the first of COUNCIL_LANGUAGES."""
    languages = services.settings().council_languages
    before = tracker.get_slot("language")
    if before in languages:
        return [SlotSet("language", before), SlotSet("language_chosen", bool(tracker.get_slot("language_chosen"))),
                SlotSet("language_confirmed", bool(tracker.get_slot("language_confirmed")))]
    return [SlotSet("language", languages[0])]


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        # The language is read before SessionStarted, which clears the slots.
        return [SessionStarted(), *council_slots(), *language_slots(tracker), ActionExecuted("action_listen")]

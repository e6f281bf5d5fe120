"""Out of scope: what the assistant can help with, and where to go instead.

The topic (benefits, passports, health, police...) is read from the words of
the message (bot/signposts.py); the answers themselves are domain responses.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot import signposts


class ActionOutOfScope(Action):
    def name(self) -> Text:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        _, response = signposts.signpost_for((tracker.latest_message or {}).get("text"))
        dispatcher.utter_message(response=response)
        return []

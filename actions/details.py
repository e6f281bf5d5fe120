"""Details with no report under way: "outside 14 Foxglove Way" as a first message.

A place on its own is not yet a request. Before, the bot answered it with its
help menu and forgot it, so the report that followed ("rubbish dumped") asked
"Where is it?" again. Now the bot asks what the problem there is and keeps the
place (slot ``mentioned_place``); a report form started by the very next
message starts with it (``with_mentioned_place``), and the read-back lets the
resident change it. A place kept longer could land on an unrelated report.
Any other detail with no report under way gets the help menu, as before.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import escalation, language, places
from actions.problems import PLACE_ENTITIES
from bot import answers, messages, postcodes

MENTIONED_SLOT = "mentioned_place"


def mentioned_place(message: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The place a message names, kept to start a later report from: ``{"text", "entities", "place"}``."""
    text = " ".join(str(message.get("text") or "").split())
    entities = [{"entity": e.get("entity"), "value": e.get("value")}
                for e in message.get("entities") or []
                if isinstance(e, dict) and e.get("entity") in PLACE_ENTITIES and e.get("value")]
    location = next((str(e["value"]) for e in entities if e["entity"] == "location"), None)
    postcode = next((str(e["value"]) for e in entities if e["entity"] == "postcode"), None)
    street = places.street_in_message(text)
    if street and (not location or location.lower() in street.lower()):
        # "number 12 Station Road", where NLU marked only "Station Road": the house too.
        entities = [e for e in entities if e["entity"] != "location"] + [{"entity": "location", "value": street}]
        location = street
    place = location or postcodes.find_postcode(text) or postcode
    if not text or not place:
        return None
    return {"text": text, "entities": entities, "place": place}


def _user_messages(tracker: Tracker) -> int:
    return sum(1 for event in tracker.events if event.get("event") == "user")


def with_mentioned_place(message: Dict[str, Any], tracker: Tracker) -> Dict[str, Any]:
    """``message`` (a report's first) with the place the resident gave just before, when it names none."""
    kept = tracker.get_slot(MENTIONED_SLOT)
    if not isinstance(kept, dict) or not kept.get("text") or kept.get("messages") != _user_messages(tracker) - 1:
        return message
    if mentioned_place(message) is not None:
        return message  # its own place wins
    text = " ".join(str(message.get("text") or "").split())
    entities = [e for e in message.get("entities") or [] if isinstance(e, dict)]
    carried = [e for e in kept.get("entities") or [] if isinstance(e, dict)]
    # Read as one message: "rubbish dumped" then "outside 14 Foxglove Way".
    return {**message, "text": f"{text} {kept['text']}".strip(), "entities": entities + carried}


class ActionDetailsWithoutReport(Action):
    """A detail (a place, a date) when no report is under way."""

    def name(self) -> Text:
        return "action_details_without_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        if answers.asks_for_callback(text):
            # "can you call me back on 07700 900123" (read as a bare detail): a person, who sees the number.
            return escalation.escalate(dispatcher, tracker, "talk_to_human")
        kept = mentioned_place(tracker.latest_message or {})
        if kept is None:
            dispatcher.utter_message(response="utter_help_menu")
            return []
        dispatcher.utter_message(text=messages.text("details.what_problem", language.of(tracker), place=kept["place"]))
        # Counted so that only the very next message can use it.
        return [SlotSet(MENTIONED_SLOT, {**kept, "messages": _user_messages(tracker)})]

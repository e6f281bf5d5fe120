"""Bin collection days: "when's my recycling day?"."""

from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from bot import postcodes


class ValidateBinDayForm(Action):
    def name(self) -> Text:
        return "validate_bin_day_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        message = tracker.latest_message or {}
        starting = tracker.get_slot("requested_slot") is None
        text = message.get("text") or ""
        found = postcodes.find_postcode(text)
        if found:
            if not postcodes.in_area(found, services.settings().postcode_areas):
                dispatcher.utter_message(response="utter_outside_area", postcode=found)
                return [SlotSet("postcode", None), SlotSet("requested_slot", None)]
            return [SlotSet("postcode", found), SlotSet("requested_slot", None)]
        if starting and tracker.get_slot("postcode"):
            return [SlotSet("requested_slot", None)]
        if (message.get("intent") or {}).get("name") == "cancel":
            return [SlotSet("postcode", None), SlotSet("requested_slot", None)]
        if not starting:
            dispatcher.utter_message(response="utter_invalid_postcode")
        return [SlotSet("postcode", None), SlotSet("requested_slot", "postcode")]


class ActionBinDay(Action):
    def name(self) -> Text:
        return "action_bin_day"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        postcode = tracker.get_slot("postcode")
        if not postcode:
            return []
        collections = services.bin_schedule().next_collections(postcode, date.today())
        if not collections:
            dispatcher.utter_message(
                text=f"Sorry, I don't have collection days for {postcode}. "
                f"Please call {services.settings().council_phone}."
            )
            return [SlotSet("postcode", None)]
        lines = [f"Next collections for {postcode}:"]
        lines += [f"{c.bin_type.name}: {c.on.strftime('%A %d %B')}" for c in collections]
        lines.append("Please put your bins out by 7am.")
        dispatcher.utter_message(text="\n".join(lines))
        return [SlotSet("postcode", None)]

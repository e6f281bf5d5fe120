"""Bin collection days: "when's my recycling day?"."""

from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import details, exits, language, places, services
from bot import messages, postcodes
from bot.messages.dates import day_and_date


class ValidateBinDayForm(Action):
    def name(self) -> Text:
        return "validate_bin_day_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        message = tracker.latest_message or {}
        starting = tracker.get_slot("requested_slot") is None
        used: List[EventType] = []
        if starting and tracker.get_slot(details.MENTIONED_SLOT) is not None:
            # "AN1 4GT", then "when is my bin day": the postcode sent just before.
            message = details.with_mentioned_place(message, tracker)
            used = [SlotSet(details.MENTIONED_SLOT, None)]
        text = message.get("text") or ""
        found = postcodes.find_postcode(text)
        if found:
            if not postcodes.in_area(found, services.settings().postcode_areas):
                dispatcher.utter_message(response="utter_outside_area", postcode=found)
                return [*used, SlotSet("postcode", None), SlotSet("requested_slot", None)]
            return [*used, SlotSet("postcode", found), *exits.clear_failures(tracker), SlotSet("requested_slot", None)]
        if starting and tracker.get_slot("postcode"):
            return [*used, SlotSet("requested_slot", None)]
        if starting:
            # "bin day for 14 station road": a street with one postcode gives it.
            street_postcodes = places.street_postcodes(_named_street(text, answering=False))
            if len(street_postcodes) == 1:
                return [*used, SlotSet("postcode", street_postcodes[0]), SlotSet("requested_slot", None)]
            return [*used, SlotSet("postcode", None), SlotSet("requested_slot", "postcode")]
        # Not a postcode: a person or a new request leaves the question, and the
        # third unusable answer ends it with a way on (actions/exits.py).
        left = exits.leave(dispatcher, tracker, "postcode", "bin_day_form")
        if left is not None:
            return left
        # "14 station road": a street with one postcode gives it.
        street = _named_street(text, answering=True)
        street_postcodes = places.street_postcodes(street)
        if len(street_postcodes) == 1:
            return [SlotSet("postcode", street_postcodes[0]), *exits.clear_failures(tracker),
                    SlotSet("requested_slot", None)]
        count = exits.failures(tracker, "postcode")
        if count >= exits.MAX_FAILED_ANSWERS:
            dispatcher.utter_message(response="utter_bin_day_way_on")
            return exits.stop("postcode")
        if street_postcodes:
            # Collections go by postcode, and this street has several: the resident is shown which.
            dispatcher.utter_message(text=messages.text(
                "bin_day.street_has_postcodes", language.of(tracker), street=street.get("street") or text.strip(),
                postcodes=", ".join(street_postcodes[:MAX_SHOWN])))
        else:
            dispatcher.utter_message(response="utter_invalid_postcode")
        return [SlotSet("postcode", None), exits.failed("postcode", count), SlotSet("requested_slot", "postcode")]


# Postcodes shown for a street with several (a long street may have dozens).
MAX_SHOWN = 4


def _named_street(text: str, answering: bool) -> Dict[str, Any]:
    """The place (actions/places.py) of the street a message names, or {}: any place words in an
    answer to the postcode question, only a street the gazetteer is sure of in the opening question."""
    phrase = text if answering else places.street_in_message(text)
    return (places.read(phrase) or {}) if phrase else {}


class ActionBinDay(Action):
    def name(self) -> Text:
        return "action_bin_day"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        postcode = tracker.get_slot("postcode")
        if not postcode:
            return []
        lang = language.of(tracker)
        collections = services.bin_schedule().next_collections(postcode, date.today())
        if not collections:
            dispatcher.utter_message(text=messages.text(
                "bin_day.unknown_postcode", lang, postcode=postcode, council_phone=services.settings().council_phone))
            return [SlotSet("postcode", None)]
        lines = [messages.text("bin_day.next_collections", lang, postcode=postcode)]
        lines += [messages.text("bin_day.collection", lang, bin=c.bin_type.name_in(lang), day=day_and_date(c.on, lang))
                  for c in collections]
        lines.append(messages.text("bin_day.put_out_by", lang))
        dispatcher.utter_message(text="\n".join(lines))
        return [SlotSet("postcode", None)]

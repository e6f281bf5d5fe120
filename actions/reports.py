"""Report forms: collecting, correcting, confirming and creating a case.

One form per kind of report (bot/categories.py); all share the validator
below, which on every turn of a form:

1. answers a question asked mid-form (FAQ, "talk to a person") or cancels,
   then lets the form ask its question again;
2. takes any values the message carries for any of the form's slots (so a
   first message that says everything skips those questions, and "sorry, it's
   Mill Lane not Mill Road" corrects an earlier answer);
3. reads the answer to the question that was asked, re-asking politely when
   it cannot be used;
4. tells the form which question comes next (or that it is done).
"""

from __future__ import annotations

import logging
import re
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import claims, complaints, duplicates, escalation, services, trust
from actions import choices, details, language, photos, places, problems
from actions.resident import THIS_NUMBER, contact_phone, known_phone
from bot import answers, messages, postcodes, signposts
from bot.bins import WEEKDAYS
from bot.cases.model import NewCase
from bot.language.conversation import CHOOSE_INTENT, UNSERVED_INTENT
from bot.categories import BY_FORM, BY_INTENT, BY_KEY, CATEGORIES, CONFIRM_SLOT, REPORT_SLOTS, Category
from bot.channels.sms_text import (
    MAX_SEGMENTS_PER_REPLY, NO_LIMIT, fit_echo, render_message, segments, shorten,
)

logger = logging.getLogger(__name__)

REQUESTED_SLOT = "requested_slot"
# Intents that interrupt a form rather than answer it, and the confidence NLU
# must have before we treat a message as an interruption. Free-text questions
# (descriptions, locations) need more confidence: almost anything is an answer.
INTERRUPTIONS = {"faq", "talk_to_human", "cancel", "out_of_scope", "bin_day_enquiry", "case_status",
                 "complain", "emergency"}
INTERRUPTION_CONFIDENCE = 0.7
FREE_TEXT_INTERRUPTION_CONFIDENCE = 0.9
FREE_TEXT_SLOTS = {
    "location", "description", "defect_size", "noise_type", "noise_when", "noise_frequency",
    "vehicle_make", "vehicle_colour", "vehicle_duration", "bulky_items",
}
# A first message this long is kept as the description, so the resident is
# not asked to say it all again.
DESCRIPTION_FROM_FIRST_MESSAGE_WORDS = 6

# "I want to report a problem" names no problem: not a description.
GENERIC_REQUEST = re.compile(
    r"^\W*(hi|hello|hiya)?\W*(i\s+(want|would like|need|wish)\s+to\s+)?(report|make a report)"
    r"\s+(a|an|some)?\s*(problem|issue|fault|something|report)\W*(please|pls)?\W*$",
    re.IGNORECASE,
)
# How sure NLU must be that an answer is a different kind of report to switch forms: the
# first answer may be the report itself ("Report a problem" -> "my bin wasn't collected");
# a later one must also say the report started is the wrong kind ("wrong one, I meant...").
SWITCH_REPORT_CONFIDENCE = 0.8
SWITCH_REPORT_CONFIDENCE_WHEN_SAID = 0.6
# A make, colour or "how long" this short loses its hedges ("its a ford i think": "ford").
HEDGED_ANSWER_MAX_WORDS = 8
# A message this short that says the report is the wrong kind only chose the kind: not a description.
KIND_CHOSEN_MAX_WORDS = 10
# What says where a problem is: kept when the resident corrects the kind mid-report.
PLACE_SLOTS = ("location", places.PLACE_SLOT, places.CHOICE_SLOT, "latitude", "longitude")
# After this many unusable answers in a row to one question, offer a way on
# (skip it where the back office can do without, describe the place, a person).
FAILED_SLOT = "failed_answers"
MAX_FAILED_ANSWERS = 3
SKIPPABLE = {
    "postcode": answers.SKIP, "contact_phone": answers.SKIP, "contact_email": answers.SKIP,
    "vehicle_registration": answers.UNKNOWN, "collection_day": answers.UNKNOWN,
    "defect_surface": answers.UNKNOWN, "bin_reason": answers.UNKNOWN, places.CHOICE_SLOT: answers.UNKNOWN,
}
# Words that say a message corrects an earlier answer ("sorry, it's Mill Lane not Mill Road").
CORRECTION_WORDS = re.compile(r"\b(sorry|actually|i meant|i mean|meant to say|wrong|not|should be|correction"
                              r"|sori|mewn gwirionedd|anghywir|nid|nage|ddylai fod)\b", re.IGNORECASE)
# "change the address", "the day is wrong", at the read-back without the new value: that question again.
# In the order tried: "bin day" is the day, "phone number" the phone.
FIELD_WORDS: Tuple[Tuple[str, "re.Pattern[str]"], ...] = tuple((slot, re.compile(words, re.IGNORECASE)) for slot, words in (
    ("postcode", r"\b(?:post ?code|cod post)\b"),
    ("contact_phone", r"\b(?:phone|mobile|ff[oô]n)\b"),
    ("contact_email", r"\b(?:e-?mail|e-?bost)\b"),
    ("collection_day", r"\b(?:day|diwrnod)\b"),
    ("bin_type", r"\bbin\b"),
    ("description", r"\b(?:details?|description|manylion|disgrifiad)\b"),
    ("location", r"\b(?:address|street|road|location|place|where|cyfeiriad|stryd|lleoliad|ble)\b"),
))
FIELD_ANSWER_MAX_WORDS = 6
# "not Monday, Tuesday", "nid dydd Llun, dydd Mawrth": the day being corrected, left out when reading the new one.
NEGATED_DAY = re.compile(r"\b(?:not|nid|nage|ddim)\s+(?:on\s+(?:a\s+)?)?(?:(?:dydd|ddydd)\s+)?[a-z]+", re.IGNORECASE)
# Details a correction can name unmistakably (a day, a bin, a choice, a number, an address), at the
# read-back or at a later question: "the day is Tuesday", "sori, rhif anghywir, 07700 900456 ydy o".
CORRECTABLE_DETAILS = ("collection_day", "bin_type", "defect_surface", "bin_reason", "contact_phone", "contact_email")
# Words that place something by a landmark: such an answer is kept whole as the location.
LANDMARK_WORDS = re.compile(
    r"\b(outside|opposite|near|nearby|behind|beside|next to|by the|corner|junction|between|across from|"
    r"in front of|round the back|end of|top of|bottom of)\b", re.IGNORECASE)

# The options of the questions with buttons, in both languages (a Welsh button sends its Welsh
# title's words: "ffordd", "ar goll"), with the mutated forms a Welsh answer may use.
SURFACES = {"road": ("road", "street", "carriageway", "lane", "junction", "roundabout",
                     "ffordd", "heol", "hewl", "stryd", "lôn", "lon", "cyffordd", "gyffordd", "cylchfan", "gylchfan"),
            "pavement": ("pavement", "footpath", "path", "footway", "kerb", "sidewalk", "walkway", "paving",
                         "palmant", "balmant", "mhalmant", "llwybr", "lwybr", "troedffordd", "droedffordd",
                         "cwrb", "gwrb")}
# Road or pavement, told in the first message: only "in the road", "on the pavement" and the like,
# since a street's own name ("Station Road", "Mill Lane") says nothing of where the hole is.
SURFACES_TOLD = {
    "road": re.compile(r"\b(?:in|on|across|middle\s+of)\s+the\s+(?:road|carriageway)\b|\b(?:yn|ar)\s+y\s+ffordd\b",
                       re.IGNORECASE),
    "pavement": re.compile(r"\b(?:pavement|footpath|footway|sidewalk|paving\s+slabs?)\b|\b(?:ar|yn)\s+y\s+palmant\b",
                           re.IGNORECASE)}
BIN_REASONS = {"lost": ("lost", "missing", "gone", "disappeared", "blew", "blown",
                        "goll", "coll", "diflannu", "ddiflannu"),
               "stolen": ("stolen", "nicked", "took", "taken", "dwyn", "ddwyn", "lladrata", "ladrata"),
               "damaged": ("damaged", "broken", "cracked", "split", "hole", "wheel", "lid", "snapped", "crushed",
                           "smashed", "melted", "burnt", "burned", "bent", "wrecked",
                           "difrodi", "ddifrodi", "difrod", "torri", "dorri", "cracio", "twll", "olwyn", "caead"),
               "extra": ("extra", "another", "additional", "second", "bigger", "new",
                         "ychwanegol", "arall", "ail", "mwy", "newydd")}

CHOICE_OPTIONS = {"defect_surface": SURFACES, "bin_reason": BIN_REASONS}
# Why a bin is needed, told in the first message ("my bin was stolen, can I have a new one"):
# there "new", "another" and "more" only say a bin is wanted, so they choose nothing.
BIN_REASONS_TOLD = {reason: tuple(w for w in words if w not in {"new", "another", "newydd", "arall", "mwy"})
                    for reason, words in BIN_REASONS.items()}


@dataclass
class Turn:
    """What the resident's latest message says, as the validator needs it."""

    text: str
    intent: Optional[str]
    confidence: float
    entities: Dict[str, str]
    metadata: Dict[str, Any]
    faq_response: Optional[str] = None
    updates: Dict[str, Any] = field(default_factory=dict)
    rejected: bool = False  # the message was answered with a refusal (e.g. outside the area)
    language: str = "en"  # the conversation's, for what the validator says (actions/language.py)

    @classmethod
    def from_tracker(cls, tracker: Tracker) -> "Turn":
        return cls.from_message(tracker.latest_message or {})

    @classmethod
    def from_message(cls, message: Dict[str, Any]) -> "Turn":
        intent = message.get("intent") or {}
        entities: Dict[str, str] = {}
        for entity in message.get("entities") or []:
            entities.setdefault(entity.get("entity"), str(entity.get("value")))
        selector = (message.get("response_selector") or {}).get("faq") or {}
        faq_response = (selector.get("response") or {}).get("utter_action")
        return cls(
            text=message.get("text") or "",
            intent=intent.get("name"),
            confidence=float(intent.get("confidence") or 0.0),
            entities=entities,
            metadata=dict(message.get("metadata") or {}),
            faq_response=faq_response,
        )


# ----- reading one answer ---------------------------------------------------
# Each reader gets the turn and returns (value, response to explain a re-ask).
Reader = Callable[[Turn, "FormContext"], Tuple[Any, Optional[str]]]


@dataclass
class FormContext:
    category: Category
    tracker: Tracker
    dispatcher: CollectingDispatcher


def _free_text(turn: Turn, _ctx: FormContext) -> Tuple[Any, Optional[str]]:
    # "no" to "Please describe the problem" describes nothing: asked for a little more.
    if (answers.is_meaningful(turn.text) and not answers.is_pleasantry(turn.text)
            and not answers.is_mash(turn.text) and not answers.is_bare_yes_or_no(turn.text)):
        return turn.text, None
    return None, "utter_need_more_detail"


def _postcode_given(turn: Turn) -> Optional[str]:
    """The postcode a message gives: NLU's, else one in its words."""
    return postcodes.find_postcode(turn.entities.get("postcode", "")) or postcodes.find_postcode(turn.text)


def _vehicle_colour(turn: Turn, values: Dict[str, Any], requested: Optional[str]) -> Dict[str, Any]:
    """The vehicle's colour, where a report ("a white van parked...") or the answer about
    its make ("it's a blue Ford") already gives it and it was not asked yet."""
    if "vehicle_colour" not in values or values.get("vehicle_colour") is not None:
        return {}
    colour = answers.find_vehicle_colour(turn.text, about_the_vehicle=requested == "vehicle_make")
    return {"vehicle_colour": colour} if colour else {}


def _vehicle_described(turn: Turn, values: Dict[str, Any]) -> Dict[str, Any]:
    """Make and colour from a short description given where the registration was asked
    ("it's a silver ford focus"), when it holds no plate; else nothing."""
    text = turn.text.strip()
    if values.get("vehicle_make") is not None or len(text.split()) > 8 \
            or answers.find_registration(text) or answers.says_unknown(text):
        return {}
    colour = answers.find_vehicle_colour(text, about_the_vehicle=True)
    if not colour:
        return {}
    found: Dict[str, Any] = {"vehicle_make": text}
    if "vehicle_colour" in values and values.get("vehicle_colour") is None:
        found["vehicle_colour"] = colour
    return found


def _ask_again(requested: str) -> List[EventType]:
    """The same question, asked again after the form answered something else."""
    return [SlotSet(requested, None), SlotSet(REQUESTED_SLOT, requested)]


_REFUSAL = re.compile(r"\b(?:no|don'?t|do not|never|not)\b", re.IGNORECASE)


# Words about being contacted: "text is fine", "email me", "just updates" answer the contact question.
_ABOUT_CONTACT = re.compile(r"\b(?:te?xt|txt|e-?mail|phone|call|ring|contact|updates?|message|ffonio|e-bost|neges)\b",
                            re.IGNORECASE)
MORE_DETAIL_MAX_WORDS = 60


def _more_detail(turn: Turn, values: Dict[str, Any]) -> bool:
    """ "it flickers all night" to "Can we contact you?": more about the problem, not an answer.

    Kept with the description rather than met with "Please answer yes or no" and lost.
    """
    text = turn.text.strip()
    return (values.get("description") not in (None, answers.SKIP)
            and 2 <= len(text.split()) <= MORE_DETAIL_MAX_WORDS and not text.endswith("?")
            and answers.is_meaningful(text) and not answers.is_pleasantry(text) and not answers.is_confused(text)
            and not answers.is_unknown(text) and not answers.is_mash(text) and not _ABOUT_CONTACT.search(text)
            and answers.find_uk_phone(text) is None and answers.find_email(text) is None)


def _contact_details_as_consent(turn: Turn, values: Dict[str, Any]) -> Dict[str, Any]:
    """A phone number or email address given as the answer to "Can we contact you?": consent
    and the details, so the resident is not asked "yes or no?" and then for the number."""
    if _REFUSAL.search(turn.text):
        return {}  # "no, don't ring 07700 900123"
    found: Dict[str, Any] = {}
    phone, email = answers.find_uk_phone(turn.text), answers.find_email(turn.text)
    if phone and "contact_phone" in values:
        found["contact_phone"] = phone
    if email and "contact_email" in values:
        found["contact_email"] = email
    return {"contact_consent": True, **found} if found else {}


def _read_if_known(turn: Turn, ctx: FormContext) -> Tuple[Any, Optional[str]]:
    """ "What make and model is it, if you know?": "no" or "no idea" is not known; "yes" says nothing.

    Only a short answer is read as yes or no: "no plates, white van" is a description.
    A phone number or email address alone is not an answer here; the question is asked again."""
    if answers.is_unknown(turn.text):
        return answers.UNKNOWN, None
    if answers.is_contact_details(turn.text):
        # A phone number or email given a question early: not a make or a colour. Asked again.
        ctx.dispatcher.utter_message(text=messages.text("report.contact_details_later", turn.language))
        return None, None
    short = answers.yes_or_no(turn.text, turn.intent) if len(turn.text.split()) <= 3 else None
    if short is False:
        return answers.UNKNOWN, None
    if short is True:
        return None, "utter_need_more_detail"
    value, response = _free_text(turn, ctx)
    # "its a ford i think": "ford" for the back office (a long answer is kept as written).
    if value is not None and len(turn.text.split()) <= HEDGED_ANSWER_MAX_WORDS:
        value = answers.without_hedges(value)
    return value, response


def _postcode_value(postcode: str, ctx: FormContext) -> Tuple[Any, Optional[str]]:
    if not postcodes.in_area(postcode, services.settings().postcode_areas):
        ctx.dispatcher.utter_message(response="utter_outside_area", postcode=postcode)
        return None, None
    return postcode, None


def _read_postcode(turn: Turn, ctx: FormContext) -> Tuple[Any, Optional[str]]:
    # Any postcode in the message was already taken (or refused as outside the
    # area) by ReportFormValidator._values_from_entities; here there was none.
    if answers.is_unknown(turn.text):
        # "don't know": the place was given, so the report goes on without (not after three tries).
        return answers.SKIP, None
    return None, "utter_invalid_postcode"


def _read_location(turn: Turn, ctx: FormContext) -> Tuple[Any, Optional[str]]:
    if not answers.is_meaningful(turn.text, min_letters=3):
        return None, "utter_need_more_detail"
    if (answers.yes_or_no(turn.text) is not None or answers.is_unknown(turn.text)
            or answers.is_pleasantry(turn.text) or answers.is_mash(turn.text)
            or answers.names_no_place(turn.text)):  # "the road", "outside my house"
        return None, "utter_need_more_detail"
    bin_type = services.bin_schedule().only_a_bin(turn.text)
    if bin_type:
        # "general waste" to "What's the address...?": the bin is kept where the report asks for
        # one, and the address asked again rather than taken as "general waste".
        if "bin_type" in ctx.category.required_slots and not ctx.tracker.get_slot("bin_type"):
            turn.updates["bin_type"] = bin_type.key
        ctx.dispatcher.utter_message(text=messages.text("report.bin_noted", turn.language))
        return None, None
    entity = turn.entities.get("location")
    if entity and not LANDMARK_WORDS.search(turn.text):
        return entity, None
    # "outside the Co-op on Mill Lane": the whole answer, so the landmark is kept.
    return turn.text.strip(), None


def _read_location_choice(turn: Turn, ctx: FormContext) -> Tuple[Any, Optional[str]]:
    """The answer to "Mill Lane in Northfield or in Easton?" (actions/places.py)."""
    place = ctx.tracker.get_slot(places.PLACE_SLOT)
    chosen = places.read_choice(turn.text, place)
    if chosen is None:
        housed = places.with_house_number(turn.text, place, ctx.tracker.get_slot("location"))
        if housed:
            turn.updates["location"] = housed  # read again with the number; the question is asked again
            return None, None
        return None, "utter_please_choose"
    if isinstance(chosen, dict):
        turn.updates[places.PLACE_SLOT] = chosen
        turn.updates["location"] = places.location_text(chosen) or ctx.tracker.get_slot("location")
        return chosen.get("locality"), None
    return chosen, None


def _read_bin_type(turn: Turn, _ctx: FormContext) -> Tuple[Any, Optional[str]]:
    schedule = services.bin_schedule()
    bin_type = schedule.match_bin_type(turn.entities.get("bin_type", "")) or schedule.match_bin_type(turn.text)
    return (bin_type.key, None) if bin_type else (None, "utter_please_choose")


def _read_weekday(turn: Turn, _ctx: FormContext) -> Tuple[Any, Optional[str]]:
    if answers.is_unknown(turn.text):
        return answers.UNKNOWN, None
    day = answers.parse_weekday(turn.text)
    return (day, None) if day else (None, "utter_need_more_detail")


def _read_choice(options: Dict[str, Tuple[str, ...]]) -> Reader:
    def read(turn: Turn, _ctx: FormContext) -> Tuple[Any, Optional[str]]:
        choice = answers.choose(turn.text, options)
        return (choice, None) if choice else (None, "utter_please_choose")

    return read


def _read_yes_no(turn: Turn, _ctx: FormContext) -> Tuple[Any, Optional[str]]:
    value = answers.yes_or_no(turn.text, turn.intent)
    return (value, None) if value is not None else (None, "utter_yes_or_no")


def _read_registration(turn: Turn, _ctx: FormContext) -> Tuple[Any, Optional[str]]:
    if answers.is_unknown(turn.text):
        return answers.UNKNOWN, None
    plate = answers.find_registration(turn.entities.get("vehicle_registration", "")) or answers.find_registration(
        turn.text
    )
    if plate is None and answers.says_unknown(turn.text):
        return answers.UNKNOWN, None  # "dont know the reg", "no plates on it"
    return (plate, None) if plate else (None, "utter_invalid_registration")


def _read_phone(turn: Turn, _ctx: FormContext) -> Tuple[Any, Optional[str]]:
    phone = answers.find_uk_phone(turn.text)
    if phone is None and answers.declines(turn.text):
        return answers.SKIP, None  # "skip", "no thats all"
    return (phone, None) if phone else (None, "utter_invalid_phone")


def _read_email(turn: Turn, _ctx: FormContext) -> Tuple[Any, Optional[str]]:
    email = answers.find_email(turn.text)
    if email is None and answers.declines(turn.text):
        return answers.SKIP, None  # "skip", "no thats all", "nah dont use email"
    return (email, None) if email else (None, "utter_invalid_email")


def _read_confirmation(turn: Turn, ctx: FormContext) -> Tuple[Any, Optional[str]]:
    if turn.updates:
        # The resident corrected something instead of answering: show the new summary.
        return None, None
    value = answers.yes_or_no(turn.text, turn.intent)
    if value is True:
        return True, None
    if value is False:
        return None, "utter_what_to_change"
    return None, "utter_yes_or_no"


READERS: Dict[str, Reader] = {
    "location": _read_location,
    places.CHOICE_SLOT: _read_location_choice,
    "postcode": _read_postcode,
    "bin_type": _read_bin_type,
    "collection_day": _read_weekday,
    "defect_surface": _read_choice(SURFACES),
    "defect_danger": _read_yes_no,
    "vehicle_registration": _read_registration,
    "vehicle_make": _read_if_known,
    "vehicle_colour": _read_if_known,
    "vehicle_duration": _read_if_known,
    "bin_reason": _read_choice(BIN_REASONS),
    "contact_consent": _read_yes_no,
    "contact_phone": _read_phone,
    "contact_email": _read_email,
    CONFIRM_SLOT: _read_confirmation,
}


# ----- the validator ----------------------------------------------------------
class ReportFormValidator(Action, metaclass=ABCMeta):
    """``validate_<category>_form`` for one kind of report (one subclass per category)."""

    @property
    @abstractmethod
    def category(self) -> Category:
        """The kind of report this form collects."""

    def name(self) -> Text:
        return f"validate_{self.category.form}"

    def required_slots(self, values: Dict[str, Any], tracker: Tracker) -> List[str]:
        """The form's questions, less those that don't apply to this resident."""
        slots = list(self.category.required_slots)
        if values.get("contact_consent") is False:
            slots = [s for s in slots if s not in ("contact_phone", "contact_email")]
        place = values[places.PLACE_SLOT] if places.PLACE_SLOT in values else tracker.get_slot(places.PLACE_SLOT)
        choice = values[places.CHOICE_SLOT] if places.CHOICE_SLOT in values else tracker.get_slot(places.CHOICE_SLOT)
        if places.needs_choice(place, choice) and "location" in slots:
            # "Mill Lane in Northfield or in Easton?": after the postcode, which may settle it.
            after = "postcode" if "postcode" in slots else "location"
            slots.insert(slots.index(after) + 1, places.CHOICE_SLOT)
        return slots

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        requested = tracker.get_slot(REQUESTED_SLOT)
        values = {slot: tracker.get_slot(slot) for slot in self.category.required_slots}
        starting = requested is None
        turn, start_events = self._opening_turn(tracker) if starting else (Turn.from_tracker(tracker), [])
        turn.language = language.of(tracker)
        ctx = FormContext(self.category, tracker, dispatcher)
        if starting and tracker.get_latest_input_channel() == "sms":
            dispatcher.utter_message(response="utter_sms_how_to_drop")

        # "change the address" at the read-back: that question again (read once, used twice below).
        field_named = self._field_to_ask_again(turn, values, tracker) if requested == CONFIRM_SLOT else {}
        if not starting:
            interruption = self._escalation(turn, requested, dispatcher, tracker)
            # "change the address" at the read-back names what to change, however NLU reads it
            # (it has read it as a question about the council's address): not answered as a FAQ.
            if interruption is None and not field_named:
                interruption = self._interruption(turn, requested, dispatcher)
            if interruption is None:
                interruption = self._switch_report(turn, requested, dispatcher)
            if interruption is not None:
                return interruption

        if starting:
            turn.updates.update(self._first_message_values(turn, tracker, values))
            if self.category.key == "tree" and answers.is_neighbours_tree(turn.text):
                # Said before the form goes on: it may still be the council's tree, or dangerous.
                dispatcher.utter_message(text=messages.text("report.neighbours_tree", turn.language))
            if answers.asks_about_anonymity(turn.text):
                # "will they know it was me?": answered first, or the resident may leave at the next question.
                dispatcher.utter_message(text=messages.text(
                    "faq.your_details", turn.language, privacy_url=services.settings().web_privacy_url))
        elif requested == "vehicle_make":
            # "it's a blue Ford": the colour is not asked next.
            turn.updates.update(_vehicle_colour(turn, values, requested))
        elif requested == "vehicle_registration":
            # "it's a silver ford focus" to the registration: kept as the make and colour (not asked
            # later); the registration is asked again, with "or say 'not sure'".
            turn.updates.update(_vehicle_described(turn, values))
        elif requested == "contact_consent":
            # "07700 900123" to "Can we contact you with updates?": a yes, and how.
            turn.updates.update(_contact_details_as_consent(turn, values))
        turn.updates.update(self._values_from_entities(turn, ctx, values, requested))
        turn.updates.update(self._values_from_metadata(turn, tracker, requested))
        if starting and values.get("location") is None and "latitude" not in turn.updates and (
                turn.updates.get("location") in (None, turn.updates.get("postcode"))):
            # "bin not emptied on Mill Lane AN1 4GT" where NLU marked only the postcode, or nothing.
            street = places.street_in_message(turn.text) or places.address_as_typed(turn.text)
            if street:
                turn.updates["location"] = street
        if starting and "latitude" not in turn.updates:
            corrected = places.self_corrected_street(turn.text)  # "on mill lane, sorry I mean mill road"
            if corrected:
                turn.updates["location"] = corrected
        if "location" not in turn.updates and requested not in FREE_TEXT_SLOTS | {places.CHOICE_SLOT} and (
                requested == CONFIRM_SLOT or CORRECTION_WORDS.search(turn.text)):
            turn.updates.update(self._street_correction(turn, tracker))
        if requested == "postcode" and "location" not in turn.updates:
            # "Northfield" to "What's the postcode?" for a Mill Lane in two localities: it says which.
            turn.updates.update(self._locality_for_postcode(turn, tracker))
        place_put_right = False
        if requested in FREE_TEXT_SLOTS - {"location"} and values.get("location") is not None \
                and "location" not in turn.updates:
            # "actually it's on Mill Road not Elm Close" to "What has been dumped?": the place, not the answer.
            street = places.corrected_street(turn.text, tracker.get_slot(places.PLACE_SLOT))
            if street:
                turn.updates["location"] = street
                place_put_right = True
        if requested not in FREE_TEXT_SLOTS | {places.CHOICE_SLOT} and (
                requested == CONFIRM_SLOT or CORRECTION_WORDS.search(turn.text)):
            turn.updates.update(self._detail_corrections(turn, ctx, values, requested))
        if field_named and not turn.updates:
            turn.updates.update(field_named)

        corrected = [slot for slot in turn.updates if values.get(slot) is not None]
        if turn.updates.get("media_urls") and not turn.text:
            dispatcher.utter_message(text=messages.text("report.photo_added", language.of(tracker)))
        elif corrected and (requested not in FREE_TEXT_SLOTS or place_put_right) and requested != CONFIRM_SLOT:
            # "sorry, it's Mill Lane not Mill Road" corrects an earlier answer; it is
            # not also an answer to the current question, which is asked again.
            dispatcher.utter_message(text=messages.text("report.updated", language.of(tracker)))
        elif requested and requested not in turn.updates and not turn.rejected:
            value = self._way_on_answer(turn, requested, tracker)
            explanation = None
            if value is None:
                reader = READERS.get(requested, _free_text)
                value, explanation = reader(turn, ctx)
            if value is not None:
                turn.updates[requested] = value
            elif explanation == "utter_what_to_change":
                dispatcher.utter_message(response=explanation)  # "no" to the read-back is not a failed answer
            elif requested == "contact_consent" and _more_detail(turn, values):
                before = str(values["description"]).rstrip()
                stop = "" if before.endswith((".", "!", "?")) else "."
                turn.updates["description"] = f"{before}{stop} {turn.text.strip()}"
                dispatcher.utter_message(text=messages.text("report.detail_added", turn.language))
            elif explanation:
                start_events += self._failed_answer(requested, explanation, tracker, dispatcher)
        if turn.rejected and requested and requested not in turn.updates:
            start_events += self._failed_answer(requested, None, tracker, dispatcher)
        if requested in turn.updates and tracker.get_slot(FAILED_SLOT) is not None:
            start_events.append(SlotSet(FAILED_SLOT, None))

        turn.updates.update(self._place_updates(turn, tracker, values))

        if turn.updates and CONFIRM_SLOT not in turn.updates and values.get(CONFIRM_SLOT) is not None:
            turn.updates[CONFIRM_SLOT] = None  # anything changed must be confirmed again

        merged = {**values, **turn.updates}
        next_slot = next((s for s in self.required_slots(merged, tracker) if merged.get(s) is None), None)
        events: List[EventType] = [SlotSet(slot, value) for slot, value in turn.updates.items()]
        if requested and requested not in turn.updates:
            # Nothing usable: record the slot as still empty so the form asks again
            # instead of handing the turn to other policies.
            events.append(SlotSet(requested, None))
        if starting:
            events.append(SlotSet("report_category", self.category.key))
        events += start_events
        events.append(SlotSet(REQUESTED_SLOT, next_slot))
        return events

    # -- the first message, and answers that fail ------------------------------------
    def _opening_turn(self, tracker: Tracker) -> Tuple[Turn, List[EventType]]:
        """The message the form starts from, and events that record where it came from.

        Usually the latest message, less any further problems it reported
        (kept for later, with their own places: actions/problems.py). A form
        started from a choice or from a pending problem starts from the message
        that choice carried, not from the "1" or "yes" that chose it.
        """
        latest = tracker.latest_message or {}
        carried = problems.carried(tracker, self.category.intent)
        if carried is not None:
            message = {**latest, "text": carried.get("text") or "", "entities": carried.get("entities") or [],
                       "intent": {"name": self.category.intent, "confidence": 1.0}}
            return Turn.from_message(message), [SlotSet(problems.CARRIED_SLOT, None)]
        first, further = problems.split(latest)
        events: List[EventType] = []
        if tracker.get_slot(details.MENTIONED_SLOT) is not None:
            # "outside 14 Foxglove Way", then "rubbish dumped": the place sent just before.
            first = details.with_mentioned_place(first, tracker)
            events.append(SlotSet(details.MENTIONED_SLOT, None))
        if further:
            events.append(SlotSet(problems.PENDING_SLOT, problems.pending(tracker) + further))
        if tracker.get_slot(problems.CARRIED_SLOT) is not None:
            events.append(SlotSet(problems.CARRIED_SLOT, None))
        return Turn.from_message(first), events

    @staticmethod
    def _way_on_offered(tracker: Tracker, requested: Optional[str]) -> bool:
        failed = tracker.get_slot(FAILED_SLOT)
        return isinstance(failed, dict) and failed.get("slot") == requested and failed.get("count", 0) >= MAX_FAILED_ANSWERS

    def _way_on_answer(self, turn: Turn, requested: str, tracker: Tracker) -> Any:
        """After the way on was offered: "skip" leaves out a question the back office can do without."""
        offered = self._way_on_offered(tracker, requested)
        simple = " ".join(turn.text.lower().split())
        if offered and requested in SKIPPABLE and (answers.is_skip(turn.text) or simple.startswith("skip")):
            return SKIPPABLE[requested]
        return None

    @staticmethod
    def _failed_answer(
        requested: str, explanation: Optional[str], tracker: Tracker, dispatcher: CollectingDispatcher
    ) -> List[EventType]:
        """Count an unusable answer; the third in a row gets a way on instead of the same re-ask."""
        failed = tracker.get_slot(FAILED_SLOT)
        same = isinstance(failed, dict) and failed.get("slot") == requested
        count = (failed.get("count", 0) if same else 0) + 1
        if count >= MAX_FAILED_ANSWERS:
            if requested in SKIPPABLE:
                dispatcher.utter_message(response="utter_way_on_skip")
            elif requested == "location":
                dispatcher.utter_message(response="utter_way_on_location")
            else:
                dispatcher.utter_message(response="utter_way_on_person")
        elif explanation:
            dispatcher.utter_message(response=explanation)
        return [SlotSet(FAILED_SLOT, {"slot": requested, "count": count})]

    # -- the place, read against the council's gazetteer (actions/places.py) --------
    @staticmethod
    def _street_correction(turn: Turn, tracker: Tracker) -> Dict[str, Any]:
        """ "no, it's Mill Road" at the read-back, or "sorry, it's Mill Lane not Mill Road" at another
        question, when NLU marked no place: the street the gazetteer finds in it (the first named)."""
        gazetteer = places.gazetteer()
        if gazetteer is None or answers.yes_or_no(turn.text, turn.intent) is True:
            return {}
        match = gazetteer.recognise(turn.text)
        place = tracker.get_slot(places.PLACE_SLOT) or {}
        if not match.found:
            # "actually it's 16 not 14": the same street, another house.
            plain = isinstance(place, dict) and bool(place.get("plain")) and place.get("status") == places.FOUND
            location = places.corrected_house_number(turn.text, tracker.get_slot("location"), plain)
            return {"location": location} if location else {}
        if match.street and isinstance(place, dict) and place.get("usrn") == match.street.usrn:
            return {}
        if LANDMARK_WORDS.search(turn.text):
            return {"location": turn.text.strip()}
        start, end = match.span  # type: ignore[misc]
        return {"location": f"{match.house} {turn.text[start:end]}" if match.house else turn.text[start:end]}

    @staticmethod
    def _locality_for_postcode(turn: Turn, tracker: Tracker) -> Dict[str, Any]:
        """The place settled by a locality named instead of the postcode, and the postcode
        when the street then has only one; else nothing (the answer is read as a postcode)."""
        place = tracker.get_slot(places.PLACE_SLOT)
        if not places.needs_choice(place, tracker.get_slot(places.CHOICE_SLOT)) or _postcode_given(turn):
            return {}
        settled = places.narrow_by_locality(place, turn.text)
        if settled is None:
            return {}
        found: Dict[str, Any] = {places.PLACE_SLOT: settled,
                                 "location": places.location_text(settled) or tracker.get_slot("location")}
        only = places.street_postcode(settled)
        if only:
            found["postcode"] = only
        return found

    @staticmethod
    def _place_updates(turn: Turn, tracker: Tracker, values: Dict[str, Any]) -> Dict[str, Any]:
        """The ``place`` slot for a new or corrected location, or for a postcode that settles which street."""
        found: Dict[str, Any] = {}
        previous = tracker.get_slot(places.PLACE_SLOT)
        if "location" in turn.updates and places.PLACE_SLOT not in turn.updates:
            if "latitude" in turn.updates:
                place: Optional[Dict[str, Any]] = {"status": places.SHARED}
            else:
                corrects = previous if values.get("location") is not None and isinstance(previous, dict) else None
                place = places.read(str(turn.updates["location"]), corrects)
            if place is None:
                return found
            place = places.narrow_by_locality(place, turn.text) or place
            found[places.PLACE_SLOT] = place
            if tracker.get_slot(places.CHOICE_SLOT) is not None:
                found[places.CHOICE_SLOT] = None
            shown = places.location_text(place) or places.unknown_street_capitalised(str(turn.updates["location"]))
            if shown:
                found["location"] = shown
            only = places.street_postcode(place)
            if only and "postcode" in values and values.get("postcode") is None and "postcode" not in turn.updates:
                # "14 station road": a street with one postcode is not asked it (read back, so it can be changed).
                found["postcode"] = only
        place = found.get(places.PLACE_SLOT, previous)
        # A form without a postcode question still reads one typed with the place
        # ("street lite out outside 4 mill ln an1 4gt" settles which Mill Lane).
        # (A further problem on the first one's street carries that postcode as an entity.)
        postcode = turn.updates.get("postcode", values.get("postcode")) or (
            _postcode_given(turn) if "location" in turn.updates else None)
        if places.needs_choice(place, found.get(places.CHOICE_SLOT, tracker.get_slot(places.CHOICE_SLOT))) \
                and isinstance(postcode, str) and postcode != answers.SKIP:
            settled = places.narrow_by_postcode(place, postcode)
            if settled:
                found[places.PLACE_SLOT] = settled
                found["location"] = places.location_text(settled) or turn.updates.get("location")
        return {k: v for k, v in found.items() if v is not None or k == places.CHOICE_SLOT}

    # -- pieces of run(), in the order they apply --------------------------------
    def _escalation(
        self, turn: Turn, requested: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[List[EventType]]:
        """Hand over to a person mid-form (asked for, a complaint, or urgent).

        Urgent phrases escalate whatever the form asked (actions/escalation.py
        matches them on the text); the others, the NLU's "emergency" included,
        need the usual confidence. The
        form ends and its answers are cleared from the dialogue, but kept with
        the escalation (``draft``): staff make the case from them in the console.
        """
        reason, category = escalation.reason_for(tracker)
        # "talk to a person" (also the way-on button) reaches a person whatever NLU
        # made of it, even where almost any text is an answer (a place, a description).
        person = answers.wants_person(turn.text)
        if reason is None or reason == "repeated_fallback":
            if not person:
                return None
            reason, category = "talk_to_human", None
        elif category is None and not person and self._clear_choice(turn, requested):
            return None  # "ar goll" (lost) at "Is the bin lost, stolen...?" is the answer, not an emergency
        elif category is None and not person:
            # Only an urgent phrase skips the confidence check: the model's own guess of
            # "emergency" needs it too ("outside my house", at "What's the address?", read
            # as emergency 0.37, had handed a resident to staff with the 999 message).
            free_text = requested in FREE_TEXT_SLOTS
            threshold = FREE_TEXT_INTERRUPTION_CONFIDENCE if free_text else INTERRUPTION_CONFIDENCE
            if turn.confidence < threshold:
                return None
        draft = escalation.report_draft(tracker, self.category.key, REPORT_SLOTS)
        end_form: List[EventType] = [SlotSet(slot, None) for slot in REPORT_SLOTS if tracker.get_slot(slot) is not None]
        end_form += [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None), SlotSet(problems.PENDING_SLOT, None)]
        return end_form + escalation.escalate(dispatcher, tracker, reason, category, draft=draft)

    def _field_to_ask_again(self, turn: Turn, values: Dict[str, Any], tracker: Tracker) -> Dict[str, Any]:
        """ "change the address" at the read-back: that answer cleared, so the form asks it again
        (and then reads everything back). Only a short message that is not a yes."""
        if len(turn.text.split()) > FIELD_ANSWER_MAX_WORDS or answers.yes_or_no(turn.text, turn.intent) is True:
            return {}
        slot = next((slot for slot, words in FIELD_WORDS if words.search(turn.text)
                     and slot in self.required_slots(values, tracker) and values.get(slot) is not None), None)
        if slot is None:
            return {}
        cleared: Dict[str, Any] = {slot: None}
        if slot == "location":
            cleared.update({places.PLACE_SLOT: None, places.CHOICE_SLOT: None})
        return cleared

    @staticmethod
    def _detail_corrections(turn: Turn, ctx: FormContext, values: Dict[str, Any], requested: str) -> Dict[str, Any]:
        """Earlier answers the message names anew: each detail already given (not the one being asked)
        that the message states unmistakably, with a different value ("no, the day is Tuesday")."""
        if answers.yes_or_no(turn.text, turn.intent) is True:
            return {}
        found: Dict[str, Any] = {}
        for slot in CORRECTABLE_DETAILS:
            if slot == requested or values.get(slot) in (None, answers.SKIP) or slot in turn.updates:
                continue
            read = turn
            if slot == "collection_day":
                read = replace(turn, text=NEGATED_DAY.sub(" ", turn.text))
            value, _ = READERS[slot](read, ctx)
            if value not in (None, answers.SKIP, answers.UNKNOWN) and value != values.get(slot):
                found[slot] = value
        if values.get("vehicle_colour") not in (None, answers.SKIP) and requested != "vehicle_colour" \
                and "location" not in turn.updates:  # "it's on Green Lane" is a place
            # "actually it's red not silver": the colour is a free answer, so only a colour word changes it.
            colour = answers.find_vehicle_colour(turn.text, about_the_vehicle=True)
            if colour and colour != values.get("vehicle_colour"):
                found["vehicle_colour"] = colour
        return found

    @staticmethod
    def _clear_choice(turn: Turn, requested: str) -> bool:
        """A short answer naming one of the options of the question with buttons that was asked."""
        options = CHOICE_OPTIONS.get(requested)
        return options is not None and len(turn.text.split()) <= 5 and answers.choose(turn.text, options) is not None

    def _interruption(
        self, turn: Turn, requested: str, dispatcher: CollectingDispatcher
    ) -> Optional[List[EventType]]:
        """Handle a question or request asked in the middle of the form."""
        if answers.is_abandon(turn.text):
            # "drop", "forget it": the way out the bot teaches by SMS, where "cancel"
            # is a carrier opt-out keyword. Read without NLU, so it always works.
            return [SlotSet(CONFIRM_SLOT, False), ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
        if answers.is_farewell(turn.text):
            # "bye" at the email question: not a failed answer, and not a report sent. Said so, with
            # the way to finish or to leave it; the answers so far stay for when they come back.
            dispatcher.utter_message(text=messages.text("report.not_sent_yet", turn.language))
            return _ask_again(requested)
        if requested not in FREE_TEXT_SLOTS and answers.asks_how_long(turn.text):
            # "how long will it take to fix?" to "Can we contact you?": answered, then asked again.
            dispatcher.utter_message(response="utter_after_reporting")
            return _ask_again(requested)
        if turn.intent == CHOOSE_INTENT:
            # "Cymraeg", "English", the widget's toggle: the language is already changed
            # (bot/language/rasa_hook.py); say so, then ask the same question in it.
            dispatcher.utter_message(response="utter_language_chosen")
            return _ask_again(requested)
        if turn.intent == UNSERVED_INTENT:
            # "Cymraeg" to an English-only council: say which language, then ask again.
            dispatcher.utter_message(response="utter_language_not_served")
            return _ask_again(requested)
        if turn.intent not in INTERRUPTIONS or turn.entities.keys() & {"postcode", "location", "vehicle_registration"}:
            return None
        if answers.is_confused(turn.text):
            # "I don't understand" is not a cancel, nor "what?" a question: the question is asked again.
            return None
        if turn.metadata.get("location"):
            # "Shared my location (52.48620, -1.89040)": the widget's words for a
            # shared position answer the question, whatever NLU makes of them.
            return None
        if (turn.metadata.get("guard") or {}).get("leading_slash_removed"):
            # "/restart", "/cancel": a command-shaped message is never obeyed as a
            # command (bot/channels/guard.py); it is read as an answer like any text.
            return None
        # A question ("can I put pizza boxes in it?") is seldom a place or a description: it needs
        # only the usual confidence to be answered as one.
        free_text = requested in FREE_TEXT_SLOTS and turn.intent != "cancel" and not turn.text.rstrip().endswith("?")
        threshold = FREE_TEXT_INTERRUPTION_CONFIDENCE if free_text else INTERRUPTION_CONFIDENCE
        if turn.confidence < threshold:
            return None
        if turn.intent == "cancel":
            # Ends the form; action_finish_report tells the resident it was cancelled.
            return [SlotSet(CONFIRM_SLOT, False), ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
        if turn.intent == "faq" and turn.faq_response:
            dispatcher.utter_message(response=turn.faq_response)
        elif turn.intent == "talk_to_human":
            dispatcher.utter_message(response="utter_talk_to_human")
        elif turn.intent == "out_of_scope":
            dispatcher.utter_message(response=signposts.signpost_for(turn.text)[1])
        else:
            dispatcher.utter_message(text=messages.text("report.after_this_one", turn.language))
        dispatcher.utter_message(response="utter_resume_form")
        return _ask_again(requested)

    def _switch_report(
        self, turn: Turn, requested: str, dispatcher: CollectingDispatcher
    ) -> Optional[List[EventType]]:
        """Start the right form when an answer is clearly a different report.

        "Report a problem" starts the general form, which asks what the problem
        is; "my bin wasn't collected" then belongs in the missed-bin form, which
        asks the questions that back office needs. At any later question, "wrong
        one, I wanted to report graffiti" or "sorry I meant a blocked drain not a
        pothole" switches too (it had been "Sorry, I didn't catch that" until the
        resident gave up); another problem told in passing does not. The place
        already given for a problem in the street is kept ("pothole on Mill Lane",
        "sorry I meant a blocked drain": still Mill Lane, shown at the read-back);
        a home address given for a bin or a noise is not assumed to be the new
        problem's place.
        """
        other = BY_INTENT.get(turn.intent or "")
        if other is None or other == self.category:
            return None
        if requested == self.category.required_slots[0]:
            if turn.confidence < SWITCH_REPORT_CONFIDENCE:
                return None
        elif not (answers.changes_the_kind(turn.text) and turn.confidence >= SWITCH_REPORT_CONFIDENCE_WHEN_SAID):
            return None
        # "OK, let's report graffiti", not "a graffiti".
        dispatcher.utter_message(text=messages.text("report.switched", turn.language,
                                                    mention=other.mentioned_in(turn.language)))
        kept = PLACE_SLOTS if requested != "location" and not self.category.needs_postcode else ()
        return (
            [SlotSet(slot, None) for slot in REPORT_SLOTS if slot not in kept]
            + [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None), FollowupAction(other.form)]
        )

    def _first_message_values(self, turn: Turn, tracker: Tracker, values: Dict[str, Any]) -> Dict[str, Any]:
        """Values only the opening message provides: channel data, a long description, and the details
        a report already gives in passing (a noise's kind, time and frequency; how long a vehicle has been
        left; road or pavement; why a bin is needed)."""
        found: Dict[str, Any] = {}
        if "contact_phone" in values and values.get("contact_phone") is None and known_phone(tracker):
            found["contact_phone"] = THIS_NUMBER  # the SMS number, looked up when the case is made
        if (
            "description" in values
            and values.get("description") is None
            and len(turn.text.split()) >= DESCRIPTION_FROM_FIRST_MESSAGE_WORDS
            and not GENERIC_REQUEST.search(turn.text)
            # "sorry I meant a blocked drain not a pothole" chose the kind; it describes nothing.
            and not (answers.changes_the_kind(turn.text) and len(turn.text.split()) <= KIND_CHOSEN_MAX_WORDS)
        ):
            found["description"] = turn.text
        # "loud music every night after midnight": the noise form's questions it answers are not asked.
        for slot, value in answers.noise_details(turn.text).items():
            if slot in values and values.get(slot) is None:
                found[slot] = value
        if "vehicle_duration" in values and values.get("vehicle_duration") is None:
            # "parked outside my house for 3 months, no tax": not asked again.
            duration = answers.find_duration(turn.text)
            if duration:
                found["vehicle_duration"] = duration
        found.update(_vehicle_colour(turn, values, None))
        if "collection_day" in values and values.get("collection_day") is None:
            # "... it was the blue bin, collected on Wednesdays": not asked which day.
            day = answers.usual_collection_day(turn.text)
            if day:
                found["collection_day"] = day
        if "defect_surface" in values and values.get("defect_surface") is None:
            # "a massive hole in the road on Station Road": not asked "road or pavement?".
            told = [surface for surface, words in SURFACES_TOLD.items() if words.search(turn.text)]
            if len(told) == 1:
                found["defect_surface"] = told[0]
        if "bin_reason" in values and values.get("bin_reason") is None:
            # "my bin was stolen last night": not asked "lost, stolen, damaged...?" (read back, so it can be changed).
            reason = answers.choose(turn.text, BIN_REASONS_TOLD)
            if reason:
                found["bin_reason"] = reason
        return found

    def _values_from_metadata(self, turn: Turn, tracker: Tracker, requested: Optional[str]) -> Dict[str, Any]:
        """What the channel sent beside the text: a shared location, photos.

        Channels put ``{"location": {"latitude": .., "longitude": ..}}`` (web
        chat's "share my location") and ``{"media_urls": [...]}`` (photos sent
        by MMS or uploaded in web chat) in the message metadata.
        """
        found: Dict[str, Any] = {}
        location = turn.metadata.get("location") or {}
        try:
            latitude, longitude = float(location["latitude"]), float(location["longitude"])
        except (KeyError, TypeError, ValueError):
            latitude = longitude = None  # type: ignore[assignment]
        if latitude is not None and -90 <= latitude <= 90 and -180 <= longitude <= 180:
            found["latitude"] = f"{latitude:.6f}"
            found["longitude"] = f"{longitude:.6f}"
            if requested in (None, "location") or tracker.get_slot("location") is None:
                found["location"] = messages.text("report.shared_location", turn.language,
                                                  latitude=f"{latitude:.5f}", longitude=f"{longitude:.5f}")
        media = [str(url) for url in turn.metadata.get("media_urls") or [] if isinstance(url, str)]
        if media:
            found["media_urls"] = list(dict.fromkeys(list(tracker.get_slot("media_urls") or []) + media))
        return found

    def _values_from_entities(
        self, turn: Turn, ctx: FormContext, values: Dict[str, Any], requested: Optional[str]
    ) -> Dict[str, Any]:
        """Slots the message fills whatever was asked: prefills and corrections."""
        found: Dict[str, Any] = {}
        if "location" in turn.entities and requested not in FREE_TEXT_SLOTS - {"location"}:
            found["location"] = places.whole_place(turn.text, turn.entities["location"])
        postcode = _postcode_given(turn)
        if postcode and "postcode" in values:
            value, _ = _postcode_value(postcode, ctx)
            if value:
                found["postcode"] = value
                if values.get("location") is None and requested is None:
                    found.setdefault("location", value)
            else:
                # Outside the area: nothing about this place can be used.
                turn.rejected = True
                found.pop("location", None)
        if "bin_type" in values and requested != "bin_type":
            bin_type = services.bin_schedule().match_bin_type(turn.entities.get("bin_type", ""))
            if bin_type:
                found["bin_type"] = bin_type.key
        if "vehicle_registration" in values and requested != "vehicle_registration":
            plate = answers.find_registration(turn.entities.get("vehicle_registration", ""))
            if plate:
                found["vehicle_registration"] = plate
        # Only keep values that change something (a repeated answer is not a correction).
        return {slot: v for slot, v in found.items() if v is not None and values.get(slot) != v}


class ActionAskReportConfirmed(Action):
    """Reads the report back and asks the resident to confirm it."""

    def name(self) -> Text:
        return "action_ask_report_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        category = _current_category(tracker)
        lang = language.of(tracker)
        # The payloads stay English words NLU reads in any conversation.
        buttons = [{"title": messages.text("report.button_send", lang), "payload": "yes"},
                   {"title": messages.text("report.button_change", lang), "payload": "no"}]
        question = messages.text("report.is_that_right", lang)

        def read_back(limit: int = NO_LIMIT, shown: Optional[int] = None) -> str:
            return summarise(category, tracker, lang, limit=limit, shown=shown) + "\n" + question

        if tracker.get_latest_input_channel() == "sms":
            # By SMS the read-back, with what was already said this turn (one SMS body), must fit
            # 3 segments: long answers are cut ("..."), then the last details left out. The web
            # read-back stays whole, and the case always gets the answers whole.
            buttons = [{"title": messages.text("report.button_send_sms", lang), "payload": "yes"},
                       {"title": messages.text("report.button_change_sms", lang), "payload": "no"}]
            said = [e.get("text") or "" for e in _bot_texts_this_turn(tracker)]

            def fits(text: str) -> bool:
                body = render_message({"text": text, "buttons": buttons}, lang).body
                return segments("\n\n".join([*said, body])) <= MAX_SEGMENTS_PER_REPLY

            text = fit_echo(read_back, len(_details(category, tracker)), fits)
        else:
            text = read_back()
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


def _bot_texts_this_turn(tracker: Tracker) -> List[Dict[str, Any]]:
    """What the bot already said since the resident's last message (sent with the read-back by SMS)."""
    said: List[Dict[str, Any]] = []
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        if event.get("event") == "bot" and event.get("text"):
            said.append(event)
    return list(reversed(said))


def _current_category(tracker: Tracker) -> Category:
    form = tracker.active_loop.get("name") if tracker.active_loop else None
    if form in BY_FORM:
        return BY_FORM[form]
    key = tracker.get_slot("report_category")
    return BY_KEY.get(key or "", BY_KEY["other_problem"])


# The read-back's label for each detail: report.label.<slot> in bot/messages/catalogue.yml.
DETAIL_SLOTS = ("bin_type", "collection_day", "defect_surface", "defect_size", "defect_danger", "description",
                "noise_type", "noise_when", "noise_frequency", "vehicle_registration", "vehicle_make",
                "vehicle_colour", "vehicle_duration", "bulky_items", "bin_reason")


def _label(slot: str, lang: str = "en") -> str:
    return messages.text(f"report.label.{slot}", lang) if slot in DETAIL_SLOTS else slot


def _display(slot: str, value: Any, lang: str = "en") -> str:
    if value == answers.UNKNOWN:
        return messages.text("report.value_not_known", lang)
    if slot == "bin_type":
        bin_type = services.bin_schedule().by_key(str(value))
        return bin_type.name_in(lang) if bin_type else str(value)
    if isinstance(value, bool):
        return messages.text("report.value_yes" if value else "report.value_no", lang)
    # Stored in English (what staff and back offices read): read back in the resident's language.
    if slot == "collection_day" and value in WEEKDAYS:
        return messages.text("report.value_day", lang,
                             weekday=messages.text(f"hours.day.{WEEKDAYS.index(value)}", lang))
    if (slot == "defect_surface" and value in SURFACES) or (slot == "bin_reason" and value in BIN_REASONS):
        return messages.text(f"report.choice.{value}", lang)
    return str(value)


def _details(category: Category, tracker: Tracker) -> List[Tuple[str, Any]]:
    """(slot, value) of the details the resident gave, in the form's order."""
    return [(slot, tracker.get_slot(slot)) for slot in category.detail_slots if tracker.get_slot(slot) is not None]


def summarise(category: Category, tracker: Tracker, lang: str = "en", limit: int = NO_LIMIT,
              shown: Optional[int] = None) -> str:
    """A short read-back of the report, one line per answer.

    ``limit`` cuts each answer the resident typed (the place, free-text details) to that
    many characters, and only the first ``shown`` details are listed, with how many more
    there are: how an SMS read-back is made to fit (bot/channels/sms_text.fit_echo).
    """
    where = tracker.get_slot("location") or ""
    postcode = tracker.get_slot("postcode")
    where = shorten(where, limit)
    if postcode and postcode != answers.SKIP and postcode.replace(" ", "").lower() not in where.replace(" ", "").lower():
        where = f"{where}, {postcode}"
    # "behind the garages on Elm Close" already says where: not "fly-tipping at behind the garages".
    lines = [messages.text("report.readback_placed" if places.says_where(where) else "report.readback", lang,
                           title=category.title_in(lang), where=where)]
    details = _details(category, tracker)
    shown = len(details) if shown is None else shown
    for slot, value in details[:shown]:
        lines.append(messages.text("report.readback_detail", lang, label=_label(slot, lang),
                                   value=shorten(_display(slot, value, lang), limit)))
    if shown < len(details):
        lines.append(messages.text("report.readback_more", lang, count=len(details) - shown))
    if tracker.get_slot("contact_consent"):
        ways = [v for v in (tracker.get_slot("contact_phone"), tracker.get_slot("contact_email")) if v and v != answers.SKIP]
        # THIS_NUMBER is a marker, not words: read back in the resident's language.
        ways = [messages.text("report.this_number", lang) if way == THIS_NUMBER else shorten(str(way), limit)
                for way in ways]  # a long e-mail address too
        lines.append(messages.text("report.readback_contact", lang,
                                   ways=(" " + messages.text("report.and", lang) + " ").join(ways))
                     if ways else messages.text("report.readback_contact_no_details", lang))
    else:
        lines.append(messages.text("report.readback_no_contact", lang))
    return "\n".join(lines)


class ActionFinishReport(Action):
    """Runs when a report form ends: create the case if confirmed, then clear the form."""

    def name(self) -> Text:
        return "action_finish_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return self.finish(dispatcher, tracker)

    def finish(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, duplicate_of: Optional[int] = None
    ) -> List[EventType]:
        """Make the case, unless an open case like it is found first: then ask (actions/duplicates.py).

        ``duplicate_of``: the resident said theirs differs from that open case; the
        new case names it for staff.
        """
        reset = [SlotSet(slot, None) for slot in REPORT_SLOTS]
        if tracker.get_slot(CONFIRM_SLOT) is not True:
            dispatcher.utter_message(response="utter_report_cancelled")
            return reset + choices.offer_next_problem(tracker)
        category = _current_category(tracker)
        try:
            # The action server is a network service: check again what the form checked.
            new_case = trust.checked_case(build_case(category, tracker), services.settings())
        except trust.Untrusted as refused:
            logger.warning("No case created for conversation %s: %s", tracker.sender_id[:12], refused.reason)
            if refused.postcode:
                dispatcher.utter_message(response="utter_outside_area", postcode=refused.postcode)
            else:
                dispatcher.utter_message(response="utter_talk_to_human")
            return reset
        message_id = (tracker.latest_message or {}).get("message_id") or str(len(tracker.events))
        key = f"{tracker.sender_id}:{message_id}"
        if duplicate_of is None and services.case_store().get_by_idempotency_key(key) is None:
            # (A retried action whose case exists already just answers with that case again.)
            offered = duplicates.offer(tracker, category, new_case)
            if offered is not None:
                return offered  # the report is kept until the resident answers
        case = services.case_store().create(new_case, idempotency_key=key, duplicate_of=duplicate_of)
        logger.info("Case %s created (category %s, channel %s)", case.reference, case.category, case.channel)
        lang = language.of(tracker)
        dispatcher.utter_message(text=messages.text(
            "report.received_contact" if case.contact_consent else "report.received", lang,
            title=category.title_in(lang), reference=case.reference))
        # "the pothole burst my tyre": a report gets it fixed; a claim is made elsewhere.
        claims.tell_how_to_claim(dispatcher, case.description, lang, case.category)
        # "this is a complaint, my light's been out for months": where to complain, and a person.
        complaints.tell_how_to_complain(dispatcher, case.description, lang)
        # By SMS, where MMS may not reach us: a one-time link to add photos (actions/photos.py).
        photos.offer_link(dispatcher, tracker, case.id)
        # Then the next problem the resident's message mentioned, if any (actions/choices.py).
        return reset + [SlotSet("case_reference", case.reference)] + choices.offer_next_problem(tracker)


def build_case(category: Category, tracker: Tracker) -> NewCase:
    def slot(name: str) -> Any:
        value = tracker.get_slot(name)
        return None if value in (answers.SKIP,) else value

    details = {
        name: tracker.get_slot(name)
        for name in category.detail_slots
        if name != "description" and tracker.get_slot(name) is not None
    }
    consent = bool(tracker.get_slot("contact_consent"))
    return NewCase(
        category=category.key,
        conversation_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel() or "unknown",
        location_text=slot("location"),
        # No postcode given: the street's, when the gazetteer gives it only one (actions/places.py).
        postcode=slot("postcode") or (places.street_postcode(tracker.get_slot(places.PLACE_SLOT))
                                      if tracker.get_slot("postcode") is None else None),
        latitude=slot("latitude"),
        longitude=slot("longitude"),
        description=slot("description"),
        details=details,
        contact_phone=contact_phone(tracker, slot("contact_phone")) if consent else None,
        contact_email=slot("contact_email") if consent else None,
        contact_consent=consent,
        media_urls=list(tracker.get_slot("media_urls") or []),
        **places.street_fields(tracker.get_slot(places.PLACE_SLOT)),
        # Later updates and notifications about the case are written in it (bot/outbox/notify.py).
        language=tracker.get_slot("language"),
    )


def _validator_class(category: Category) -> type:
    """A named subclass per form, so the SDK registers one action per form."""
    return type(f"Validate{category.key.title().replace('_', '')}Form", (ReportFormValidator,), {"category": category})


VALIDATORS = [_validator_class(c) for c in CATEGORIES]

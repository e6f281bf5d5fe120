"""Asking the resident to choose, instead of guessing.

``choice_form`` asks one question with a few answers (buttons on the web,
numbered options by SMS) and reads the answer without needing NLU:

- **Which problem?** When NLU is unsure (``nlu_fallback``: low confidence, or
  the top two intents close), the two or three likeliest kinds of report are
  offered, plus "Something else". Choosing one starts that report as if the
  first message had been understood, with its place and details
  (``carried_message``); "Something else" asks the resident to say it again,
  and a second miss passes them to a person. Nothing is learnt at run time.
- **Already reported?** An open case like the report just confirmed: follow
  it ("me too") or report it as different (actions/duplicates.py).
- **The next problem?** When a message reported several problems
  (actions/problems.py), each one after the first is offered when the
  report before it is finished or dropped ("You also mentioned a street light
  fault on Station Road. Shall I report that too?").

Answers are read against the options offered (a button's text, its number,
"first", or words only one option has), so a typed answer can choose only
among those: it cannot set any other slot or intent.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import escalation, language, places, problems
from bot import answers, messages
from bot import categories
from bot.categories import BY_INTENT

FORM = "choice_form"
SLOT = "choice"
OFFER_SLOT = "choice_offer"
FAILED_SLOT = "failed_answers"
REQUESTED_SLOT = "requested_slot"
WHICH_PROBLEM = "which_problem"
NEXT_PROBLEM = "next_problem"
# An open case like the report just confirmed: follow it, or report anyway (actions/duplicates.py).
DUPLICATE = "duplicate"
SOMETHING_ELSE = "something_else"
SOMETHING_ELSE_LABEL = messages.text("choice.something_else")

# How sure NLU must be to read an answer by its intent rather than its words.
INTENT_ANSWER_CONFIDENCE = 0.5
# How sure NLU must be that an answer is a new request to leave the question for it.
SWITCH_CONFIDENCE = 0.8
ESCALATION_CONFIDENCE = 0.7
MAX_FAILED_ANSWERS = 3

# Where a new request made instead of answering goes.
OTHER_FORMS = {"bin_day_enquiry": "bin_day_form", "case_status": "case_status_form"}
_ORDINALS = {
    "1": 1, "one": 1, "first": 1, "1st": 1, "the first": 1, "the first one": 1, "first one": 1,
    "2": 2, "two": 2, "second": 2, "2nd": 2, "the second": 2, "the second one": 2, "second one": 2,
    "3": 3, "three": 3, "third": 3, "3rd": 3, "the third": 3, "the third one": 3, "third one": 3,
    "4": 4, "four": 4, "fourth": 4, "4th": 4, "the fourth": 4, "the fourth one": 4, "fourth one": 4,
    # Welsh: "un", "dau", "tri", "pedwar"; "y cyntaf", "yr ail", "y trydydd", "y pedwerydd".
    "un": 1, "cyntaf": 1, "y cyntaf": 1, "yr un cyntaf": 1, "dau": 2, "ail": 2, "yr ail": 2, "yr ail un": 2,
    "tri": 3, "trydydd": 3, "y trydydd": 3, "pedwar": 4, "pedwerydd": 4, "y pedwerydd": 4,
}
_SOMETHING_ELSE_WORDS = {
    "something else", "none", "none of these", "none of them", "none of those", "neither", "neither of them",
    "other", "something different", "its something else", "it's something else", "no", "nope", "not those",
    "none of the above", "else",
    "rhywbeth arall", "dim un", "dim un o'r rhain", "dim un ohonyn nhw", "dim un o'r rheina", "arall", "na",
    "naill na'r llall", "mae'n rhywbeth arall",
}
_NOT_KEYWORDS = {"or", "and", "a", "an", "the", "of", "problem", "kind", "another", "new",
                 # Welsh: or, in, the, with, on, of, problem, kind, another
                 "neu", "yn", "y", "yr", "'r", "gyda", "ar", "o", "wedi'i", "broblem", "math", "arall"}


def _simple(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9'âêîôûŵŷáéíóúàèìòùäëïöüÿ ]+", " ", (text or "").lower()).split())


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


# ----- which problem ------------------------------------------------------------
def likeliest(message: Dict[str, Any]) -> List[str]:
    """The 2 or 3 likeliest kinds of report in NLU's ranking (never dialogue acts)."""
    return categories.likeliest(message.get("intent_ranking") or [])


# The button offering each enquiry of categories.OFFERED_ENQUIRIES (the greeting's own).
ENQUIRY_BUTTONS = {"bin_day_enquiry": "button.bin_day"}


def _option_label(option: str, lang: str) -> str:
    if option in ENQUIRY_BUTTONS:
        return messages.text(ENQUIRY_BUTTONS[option], lang)
    return BY_INTENT[option].choice_label if lang == "en" else BY_INTENT[option].choice_label_in(lang)


def labels(options: List[str], lang: str = "en") -> List[str]:
    """The buttons offering ``options`` and "Something else", in ``lang``."""
    something_else = SOMETHING_ELSE_LABEL if lang == "en" else messages.text("choice.something_else", lang)
    return [_option_label(o, lang) for o in options] + [something_else]


def _offered(option: Any) -> bool:
    return option in BY_INTENT or option in ENQUIRY_BUTTONS


def read_option(text: str, options: List[str], intent: Optional[str] = None, confidence: float = 0.0,
                lang: str = "en") -> Optional[str]:
    """The option (an intent, or "something_else") an answer chooses, or None if it chooses none.

    The labels of ``lang`` (the conversation's) and English are both read: a button sent
    before the resident changed language still means what it said."""
    simple = _simple(text)
    everything = list(options) + [SOMETHING_ELSE]
    languages = list(dict.fromkeys(("en", lang)))
    by_label = {_simple(label): option for each in languages
                for label, option in zip(labels(options, each), everything)}
    if simple in by_label:
        return by_label[simple]
    number = _ORDINALS.get(re.sub(r"^(option|number|no)\s+", "", simple))
    if number is not None:
        return everything[number - 1] if number <= len(everything) else None
    if simple in _SOMETHING_ELSE_WORDS:
        return SOMETHING_ELSE
    # Words only one option's label has: "the light one", "potholes".
    words = {_stem(w) for w in simple.split()}
    keywords = {o: {_stem(w) for each in languages for w in _simple(labels([o], each)[0]).split()}
                - _NOT_KEYWORDS for o in options}
    shared = {w for o in options for w in keywords[o] if sum(w in k for k in keywords.values()) > 1}
    hits = [o for o in options if words & (keywords[o] - shared)]
    if len(hits) == 1:
        return hits[0]
    if intent in options and confidence >= INTENT_ANSWER_CONFIDENCE:
        return intent
    return None


def _second_miss(tracker: Tracker) -> bool:
    """The resident chose "something else" just before this message (so this is the second miss)."""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return False
        elif users == 1 and event.get("event") == "slot" and event.get("name") == SLOT:
            return event.get("value") == SOMETHING_ELSE
    return False


# ----- the form -------------------------------------------------------------------
def _end(extra: Optional[List[EventType]] = None) -> List[EventType]:
    return [SlotSet(OFFER_SLOT, None), SlotSet(FAILED_SLOT, None), SlotSet(REQUESTED_SLOT, None), ActiveLoop(None)] + (
        extra or []
    )


def _start(form: str, carried: Optional[Dict[str, Any]], chosen: str) -> List[EventType]:
    """Leave the question and start ``form`` (from ``carried`` rather than the answer, if given)."""
    return _end([SlotSet(SLOT, chosen), SlotSet(problems.CARRIED_SLOT, carried), FollowupAction(form)])


def _ask_about_next_problem() -> List[EventType]:
    """Events that start the question about the next pending problem."""
    return [SlotSet(OFFER_SLOT, {"kind": NEXT_PROBLEM}), SlotSet(SLOT, None), FollowupAction(FORM)]


def offer_next_problem(tracker: Tracker) -> List[EventType]:
    """Events that ask about the next pending problem, if there is one (used by action_finish_report)."""
    pending = problems.pending(tracker)
    if not pending:
        return []
    placed = problems.with_the_reports_locality(pending, tracker.get_slot(places.PLACE_SLOT))
    return ([SlotSet(problems.PENDING_SLOT, placed)] if placed != pending else []) + _ask_about_next_problem()


class ActionOfferMentionedProblems(Action):
    """After a question is answered (a FAQ, or where to go instead), offers a problem the same
    message reported: "how do I pay my council tax? also my bin wasn't collected" had the bin
    dropped. NLU marks such problems as further_problem entities (bot/nlu/intent_classifier.py)."""

    def name(self) -> Text:
        return "action_offer_mentioned_problems"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        if tracker.active_loop_name:
            return []  # a form reads its own interruptions
        _, further = problems.split(tracker.latest_message or {})
        if not further:
            return []
        return [SlotSet(problems.PENDING_SLOT, problems.pending(tracker) + further), *_ask_about_next_problem()]


class ValidateChoiceForm(Action):
    """Sets up the question when the form starts, and reads the answer."""

    def name(self) -> Text:
        return f"validate_{FORM}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        offer = tracker.get_slot(OFFER_SLOT)
        if isinstance(offer, dict) and offer.get("kind") == DUPLICATE:
            from actions import duplicates  # it builds on this module: imported when needed

            return duplicates.validate(dispatcher, tracker, offer)
        if tracker.get_slot(REQUESTED_SLOT) is None:
            if isinstance(offer, dict) and offer.get("kind") == NEXT_PROBLEM:
                return [SlotSet(REQUESTED_SLOT, SLOT)] if problems.pending(tracker) else _end()
            return self._which_problem(dispatcher, tracker)
        if not isinstance(offer, dict):
            return _end([SlotSet(SLOT, None)])
        return self._answer(dispatcher, tracker, offer)

    # -- starting ----------------------------------------------------------------------
    def _which_problem(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        """NLU was unsure about the latest message: offer the likeliest readings."""
        message = tracker.latest_message or {}
        first, further = problems.split(message)
        keep: List[EventType] = (
            [SlotSet(problems.PENDING_SLOT, problems.pending(tracker) + further)] if further else []
        )
        reason, category = escalation.reason_for(tracker)
        if reason == "urgent":
            return _end(keep + escalation.escalate(dispatcher, tracker, reason, category))
        if reason == "repeated_fallback" or _second_miss(tracker):
            return _end(keep + escalation.escalate(dispatcher, tracker, "repeated_fallback"))
        options = likeliest(message)
        if not options:
            dispatcher.utter_message(response="utter_default")
            return _end(keep + [SlotSet(SLOT, None)])
        asked = {"kind": WHICH_PROBLEM, "options": options,
                 "message": {"text": first.get("text") or "", "entities": first.get("entities") or []}}
        return keep + [SlotSet(OFFER_SLOT, asked), SlotSet(SLOT, None), SlotSet(FAILED_SLOT, None),
                       SlotSet(REQUESTED_SLOT, SLOT)]

    # -- answering ---------------------------------------------------------------------
    def _answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, offer: Dict[str, Any]) -> List[EventType]:
        message = tracker.latest_message or {}
        text = str(message.get("text") or "")
        intent = (message.get("intent") or {}).get("name")
        confidence = float((message.get("intent") or {}).get("confidence") or 0.0)
        next_problem = offer.get("kind") == NEXT_PROBLEM

        reason, category = escalation.reason_for(tracker)
        if answers.wants_person(text) and reason != "urgent":
            reason, category = "talk_to_human", None
        if reason in ("urgent", "talk_to_human", "complaint") and (
            reason == "urgent" or answers.wants_person(text) or confidence >= ESCALATION_CONFIDENCE
        ):
            # Staff take it from here, the problems still waiting included.
            return _end([SlotSet(SLOT, None), SlotSet(problems.PENDING_SLOT, None)]
                        + escalation.escalate(dispatcher, tracker, reason, category))

        if next_problem:
            return self._answer_next_problem(dispatcher, tracker, text, intent, confidence)

        options = [o for o in offer.get("options") or [] if _offered(o)]
        if answers.is_abandon(text) or (intent == "cancel" and confidence >= ESCALATION_CONFIDENCE):
            dispatcher.utter_message(response="utter_nothing_to_confirm")
            return _end([SlotSet(SLOT, None)])
        chosen = read_option(text, options, intent, confidence, language.of(tracker))
        if chosen == SOMETHING_ELSE:
            dispatcher.utter_message(response="utter_describe_again")
            return _end([SlotSet(SLOT, SOMETHING_ELSE)])
        if chosen in OTHER_FORMS:
            # "Bin day": its form reads the postcode from the message, asking if there is none.
            return _start(OTHER_FORMS[chosen], None, chosen)
        if chosen is not None:
            original = offer.get("message") or {}
            carried = {"intent": chosen, "text": original.get("text") or "", "entities": original.get("entities") or []}
            return _start(BY_INTENT[chosen].form, carried, chosen)
        switched = self._new_request(intent, confidence)
        if switched:
            return switched
        if intent == escalation.FALLBACK_INTENT:
            # Still not understood: the second miss in a row goes to a person.
            return _end([SlotSet(SLOT, None)] + escalation.escalate(dispatcher, tracker, "repeated_fallback"))
        return self._failed(dispatcher, tracker, "utter_please_choose")

    def _answer_next_problem(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str, intent: Optional[str], confidence: float
    ) -> List[EventType]:
        pending = problems.pending(tracker)
        if not pending:
            return _end([SlotSet(SLOT, None)])
        problem, rest = pending[0], pending[1:]
        yes = answers.yes_or_no(text, intent)
        if answers.is_abandon(text) or (intent == "cancel" and confidence >= ESCALATION_CONFIDENCE):
            yes = False
        if yes is True:
            return _start(BY_INTENT[problem["intent"]].form, problems.as_message(problem), "yes") + [
                SlotSet(problems.PENDING_SLOT, rest)
            ]
        if yes is False:
            dispatcher.utter_message(response="utter_next_problem_dropped")
            if rest:
                # The form asks again, now about the one after.
                return [SlotSet(problems.PENDING_SLOT, rest), SlotSet(SLOT, None), SlotSet(FAILED_SLOT, None),
                        SlotSet(REQUESTED_SLOT, SLOT)]
            return _end([SlotSet(problems.PENDING_SLOT, []), SlotSet(SLOT, "no")])
        switched = self._new_request(intent, confidence)
        if switched:
            return switched
        return self._failed(dispatcher, tracker, "utter_yes_or_no")

    @staticmethod
    def _new_request(intent: Optional[str], confidence: float) -> Optional[List[EventType]]:
        """A confident new request instead of an answer: leave the question and start it."""
        form = BY_INTENT[intent].form if intent in BY_INTENT else OTHER_FORMS.get(intent or "")
        if form and confidence >= SWITCH_CONFIDENCE:
            return _start(form, None, "new_request")
        return None

    @staticmethod
    def _failed(dispatcher: CollectingDispatcher, tracker: Tracker, explanation: str) -> List[EventType]:
        """An answer that chooses nothing: explain and ask again; from the third, offer a person too."""
        failed = tracker.get_slot(FAILED_SLOT)
        count = failed.get("count", 0) + 1 if isinstance(failed, dict) and failed.get("slot") == SLOT else 1
        dispatcher.utter_message(response="utter_way_on_person" if count >= MAX_FAILED_ANSWERS else explanation)
        return [SlotSet(FAILED_SLOT, {"slot": SLOT, "count": count}), SlotSet(SLOT, None),
                SlotSet(REQUESTED_SLOT, SLOT)]


class ActionAskChoice(Action):
    """Asks the question choice_form is waiting on, with its options as buttons."""

    def name(self) -> Text:
        return "action_ask_choice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        offer = tracker.get_slot(OFFER_SLOT) or {}
        if offer.get("kind") == DUPLICATE:
            from actions import duplicates

            duplicates.ask(dispatcher, offer)
            return []
        if offer.get("kind") == NEXT_PROBLEM:
            pending = problems.pending(tracker)
            if pending:
                problem = pending[0]
                dispatcher.utter_message(
                    response="utter_offer_next_problem",
                    problem=BY_INTENT[problem["intent"]].mentioned_in(language.of(tracker)),
                    place=problems.place_phrase(problem, language.of(tracker)),
                )
            return []
        options = [o for o in offer.get("options") or [] if _offered(o)]
        dispatcher.utter_message(
            response="utter_choose_problem",
            buttons=[{"title": label, "payload": label} for label in labels(options, language.of(tracker))],
        )
        return []

"""Reports we already know about: "me too" instead of another case.

When a resident confirms a report, action_finish_report first looks for an
open case of the same kind nearby (bot/storage/duplicates.py). If there is
one, the report is kept (its slots stay set) and ``choice_form`` asks, with
buttons on the web and numbered options by SMS:

- **same problem**: the resident follows that case (bot/storage/followers.py):
  staff see one more resident affected, the back office hears of it, and the
  resident gets the case's updates on their own channel. No new case.
- **different**: the case is made as usual, naming the open case for staff
  (``cases.duplicate_of``).

Dropping, asking for a person or a clear new request leave the question (and
the report) as everywhere else; after three answers that choose neither, a
person is offered.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import choices, claims, complaints, escalation, language, services
from bot import answers, messages
from bot.cases.model import CLOSED, RECEIVED, NewCase
from bot.categories import REPORT_SLOTS, Category
from bot.storage.duplicates import DuplicateFinder, Match
from bot.storage.followers import FollowerStore
from bot.storage.times import aware, utcnow
from bot.street_key import STREET_WORDS, house_number, street_key

logger = logging.getLogger(__name__)

KIND = "duplicate"
SAME, DIFFERENT = "same", "different"
# Words that choose each answer (the buttons' payloads are "same" and "different"; by SMS "1" and "2").
_SAME_WORDS = {"1", "one", "first", "same", "same problem", "same one", "yes", "yeah", "yep", "yes it is", "me too",
               "metoo", "follow", "follow it", "follow that", "that's it", "thats it", "that's the one", "its the same",
               "it's the same", "the same", "keep me updated", "same problem keep me updated",
               # Welsh (the Welsh buttons send "yr un broblem" and "gwahanol": bot/messages/catalogue.yml)
               "yr un broblem", "yr un un", "yr un", "run un", "yr un peth", "ie", "ia", "ydy", "ydi", "yr un fath",
               "fi hefyd", "yr un broblem rhowch y newyddion i mi", "dilyn", "dilyn hwnnw"}
_DIFFERENT_WORDS = {"2", "two", "second", "different", "different problem", "no", "nope", "no it's different",
                    "no its different", "it's different", "its different", "not the same", "new", "new report",
                    "report it", "its different report it", "it's different report it", "another one", "something else",
                    # Welsh
                    "gwahanol", "mae'n wahanol", "maen wahanol", "problem wahanol", "na", "nage", "nac ydy",
                    "nag ydy", "un newydd", "adroddiad newydd", "rhywbeth arall", "mae'n wahanol rhowch wybod amdani"}

# Requests about one household or home, never "the same problem" as a neighbour's: a
# missed bin is each household's collection, a repair each home's, a bulky collection or
# a new bin each household's request; "another problem" is too broad to match.
NOT_SHARED = frozenset({"missed_bin", "housing_repair", "bulky_waste", "new_bin", "other_problem"})

# Pieces of utter_duplicate_found said from code (the response itself is in domain.yml;
# the pieces in bot/messages/catalogue.yml, duplicate.*).
STATUS_WITH_TEAM = messages.template("duplicate.with_team")  # {team}
STATUS_WAITING = messages.text("duplicate.waiting")
STATUS_WITH_COUNCIL = messages.text("duplicate.with_council")
# "about 45 metres from there": distances are said to the nearest 5 metres, at least 5.
METRES_STEP = 5


def _finder() -> DuplicateFinder:
    services.case_store()  # creates the schema (geocell, street_key) on a fresh database
    return services.duplicate_finder()


def _followers() -> FollowerStore:
    return FollowerStore(services.case_store().engine)


# ----- the offer ------------------------------------------------------------------
def offer(tracker: Tracker, category: Category, new_case: NewCase) -> Optional[List[EventType]]:
    """Events that ask the resident about an open case like theirs, or None if there is none."""
    settings = services.settings()
    if category.key in NOT_SHARED:
        return None
    try:
        match = _finder().find(
            category.key, new_case.latitude, new_case.longitude, new_case.location_text,
            getattr(new_case, "usrn", None),
            distance_m=settings.duplicate_distance_metres, days=settings.duplicate_days,
        )
    except Exception:  # a lookup that fails must never stop the report: make the case
        logger.exception("Duplicate lookup failed; making the case without it")
        return None
    if match is None:
        return None
    logger.info("Report in conversation %s may duplicate case %s (%s)", tracker.sender_id[:12],
                match.case.reference, match.how)
    asked = {"kind": KIND, "case_id": match.case.id, "reference": match.case.reference, "category": category.key,
             **describe(match, category, lang=language.of(tracker))}
    return [SlotSet(choices.OFFER_SLOT, asked), SlotSet(choices.SLOT, None), SlotSet(choices.REQUESTED_SLOT, None),
            FollowupAction(choices.FORM)]


def describe(match: Match, category: Category, now: Optional[datetime] = None, lang: str = "en") -> Dict[str, str]:
    """The words of the offer in ``lang``: what, where, how long ago, and where it is now."""
    case = match.case
    problem = category.mentioned_in(lang)
    street = case_street(case.location_text)
    number = house_number(case.location_text)
    if street and number:
        place = messages.text("duplicate.place_street_number", lang, street=street, number=number)
    elif street:
        place = messages.text("duplicate.place_street", lang, street=street)
    elif match.distance_m is not None:
        metres = max(METRES_STEP, int(round(match.distance_m / METRES_STEP)) * METRES_STEP)
        place = messages.text("duplicate.place_metres", lang, metres=metres)
    else:
        place = messages.text("duplicate.place_there", lang)
    return {"problem": problem, "place": place, "age": age(case.created_at, now, lang),
            "status": status_words(case, lang)}


def case_street(location_text: Optional[str]) -> Optional[str]:
    """The street an earlier report named, in title case (only the street: never the other resident's words)."""
    key = street_key(location_text)
    if not key or key.split()[-1] not in STREET_WORDS:
        return None
    return " ".join(w.capitalize() for w in key.split())


def age(created_at: Optional[datetime], now: Optional[datetime] = None, lang: str = "en") -> str:
    """When the open case was reported: "today", "yesterday", "3 days ago" (duplicate.age_*)."""
    moment = aware(created_at)
    if moment is None:
        return messages.text("duplicate.age_recently", lang)
    days = ((now or utcnow()).date() - moment.date()).days
    if days <= 0:
        return messages.text("duplicate.age_today", lang)
    if days == 1:
        return messages.text("duplicate.age_yesterday", lang)
    return messages.text("duplicate.age_days", lang, days=days)


def status_words(case: Any, lang: str = "en") -> str:
    if case.status == RECEIVED or not case.backoffice:
        return messages.text("duplicate.waiting", lang)
    team = re.sub(r"[^A-Za-z ]+", " ", case.backoffice).strip().lower()
    if not team or team in ("general", "council", "builtin"):
        return messages.text("duplicate.with_council", lang)
    return messages.text("duplicate.with_team", lang, team=team)


def ask(dispatcher: CollectingDispatcher, asked: Dict[str, Any]) -> None:
    """Asks the question (choice_form's action_ask_choice); buttons come from domain.yml."""
    dispatcher.utter_message(
        response="utter_duplicate_found", problem=asked.get("problem"), place=asked.get("place"),
        age=asked.get("age"), reference=asked.get("reference"), status=asked.get("status"),
    )


# ----- the answer ------------------------------------------------------------------
def _simple(text: str) -> str:
    """Lower case, letters, digits and apostrophes only: "Same problem!" -> "same problem"."""
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", (text or "").lower()).split())


def read(text: str) -> Optional[str]:
    simple = _simple(text)
    if simple in _SAME_WORDS:
        return SAME
    if simple in _DIFFERENT_WORDS:
        return DIFFERENT
    return None


_LEAVING_WORDS = frozenset({"ok", "okay", "ok thanks", "okay thanks", "ok thank you", "thanks", "thank you", "cheers",
                            "bye", "goodbye", "ok bye", "thanks bye", "iawn", "diolch", "hwyl", "iawn diolch"})


def _leaving(text: str, intent: Optional[str], confidence: float) -> bool:
    """ "ok thanks", "bye", "diolch": the resident is done, not choosing."""
    return _simple(text) in _LEAVING_WORDS or (intent in ("thank", "goodbye") and confidence >= choices.ESCALATION_CONFIDENCE)


def _forget_report() -> List[EventType]:
    return [SlotSet(slot, None) for slot in REPORT_SLOTS]


def validate(dispatcher: CollectingDispatcher, tracker: Tracker, asked: Dict[str, Any]) -> List[EventType]:
    """choice_form's validation while the duplicate question is open."""
    if tracker.get_slot(choices.REQUESTED_SLOT) is None:
        return [SlotSet(choices.FAILED_SLOT, None), SlotSet(choices.REQUESTED_SLOT, choices.SLOT)]
    message = tracker.latest_message or {}
    text = str(message.get("text") or "")
    intent = (message.get("intent") or {}).get("name")
    confidence = float((message.get("intent") or {}).get("confidence") or 0.0)

    reason, category = escalation.reason_for(tracker)
    if answers.wants_person(text) and reason != "urgent":
        reason, category = "talk_to_human", None
    if reason in ("urgent", "talk_to_human", "complaint") and (
        reason == "urgent" or answers.wants_person(text) or confidence >= choices.ESCALATION_CONFIDENCE
    ):
        return choices._end(_forget_report() + [SlotSet(choices.SLOT, None)]
                            + escalation.escalate(dispatcher, tracker, reason, category))
    if answers.is_abandon(text) or (intent == "cancel" and confidence >= choices.ESCALATION_CONFIDENCE):
        dispatcher.utter_message(response="utter_report_cancelled")
        return choices._end(_forget_report() + [SlotSet(choices.SLOT, None)])

    chosen = read(text)
    case = services.case_store().get(int(asked.get("case_id") or 0))
    if chosen is None and case is not None and _leaving(text, intent, confidence):
        # "ok thanks", "bye": told the council knows, the resident is done. Not a choice to
        # re-ask twice and then hand to a person; no second report is made.
        dispatcher.utter_message(text=messages.text("duplicate.left", language.of(tracker), reference=case.reference))
        return choices._end(_forget_report() + [SlotSet(choices.SLOT, None), SlotSet("case_reference", case.reference)]
                            + choices.offer_next_problem(tracker))
    if chosen is not None and (case is None or case.category != asked.get("category")):
        chosen = DIFFERENT  # not the case we offered (never trust a slot blindly): make the report
    if chosen == SAME and case is not None and case.status == CLOSED:
        chosen = DIFFERENT  # closed since we asked: nothing left to follow
    if chosen == SAME:
        return choices._end(_forget_report() + [SlotSet(choices.SLOT, SAME)] + _follow(dispatcher, tracker, case))
    if chosen == DIFFERENT:
        from actions import reports  # reports starts this question: imported here, not at the top

        duplicate_of = case.id if case is not None and case.category == asked.get("category") else None
        return choices._end([SlotSet(choices.SLOT, DIFFERENT)]) + reports.ActionFinishReport().finish(
            dispatcher, tracker, duplicate_of=duplicate_of
        )
    switched = choices.ValidateChoiceForm._new_request(intent, confidence)
    if switched:
        return _forget_report() + switched
    return choices.ValidateChoiceForm._failed(dispatcher, tracker, "utter_please_choose")


def _follow(dispatcher: CollectingDispatcher, tracker: Tracker, case: Any) -> List[EventType]:
    follower = _followers().add(
        case.id, tracker.sender_id, tracker.get_latest_input_channel() or "unknown",
        language=tracker.get_slot("language") if "language" in tracker.slots else None,
        location_text=tracker.get_slot("location"), description=tracker.get_slot("description"),
    )
    if follower is None:
        dispatcher.utter_message(response="utter_duplicate_yours", reference=case.reference)
    else:
        logger.info("Conversation %s follows case %s", tracker.sender_id[:12], case.reference)
        dispatcher.utter_message(response="utter_duplicate_followed", reference=case.reference)
    claims.tell_how_to_claim(dispatcher, tracker.get_slot("description"), language.of(tracker), case.category)
    complaints.tell_how_to_complain(dispatcher, tracker.get_slot("description"), language.of(tracker))
    return [SlotSet("case_reference", case.reference)] + choices.offer_next_problem(tracker)

"""Several problems in one message: which part of the message belongs to which.

The NLU marks every problem after the first with a ``further_problem``
entity: its value is that problem's intent, its start/end the characters of
its part of the message, and the message's intent is the first problem's.
Places (``location``, ``postcode``) inside a further problem's span are that
problem's; every other entity is the first problem's. The first problem
goes through its form with only its own part of the message; the others are
kept in the ``pending_problems`` slot and offered one by one afterwards
(actions/choices.py).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker

from actions import places
from bot import postcodes
from bot.categories import BY_INTENT
from bot.nlu.courtesy import without_courtesy
from bot.places.matching import name_tokens

FURTHER_PROBLEM = "further_problem"
PENDING_SLOT = "pending_problems"
CARRIED_SLOT = "carried_message"
PLACE_ENTITIES = ("location", "postcode")

# Words left dangling at either end of the first problem's part once the others
# are cut out: "my bin wasn't collected and also" -> "my bin wasn't collected",
# "and also the street light is out" -> "the street light is out".
_CONNECTORS = r"(?:[\s,;:.\-]|\b(?:and|also|plus|as well|too|then|but|another thing)\b)+"
_DANGLING = re.compile(_CONNECTORS + "$", re.IGNORECASE)
_LEADING = re.compile("^" + _CONNECTORS, re.IGNORECASE)


# A further problem's part that places it only by the first problem's street: "outside
# number 4", "at no. 12" (places.named_house_number), "on the same road", "there too".
_SAME_STREET = re.compile(
    r"\b(?:(?:on|in|along|down|up) (?:the )?same (?:road|street|lane|close|avenue|way)|there (?:as well|too)|"
    r"(?:on|in|along) (?:that|this) (?:road|street|lane|close|avenue|way)(?: (?:as well|too))?)\b", re.IGNORECASE)
_LEADING_HOUSE = re.compile(r"^\s*\d{1,4}[a-z]?\b[\s,]*", re.IGNORECASE)


def _word_before(text: str, entity: Dict[str, Any]) -> Optional[str]:
    """The preposition just before an entity's place in the text ("by" in "by the bus stop"), or None:
    kept with a further problem's place, so the offer does not say "on the bus stop"."""
    span = _span(entity)
    before = text[:span[0]].split() if span else []
    word = before[-1].lower().strip(",") if before else ""
    if word == "to" and len(before) > 1 and before[-2].lower() == "next":
        return "next to"
    return word if word in places.PLACING_WORDS else None


def _on_the_first_street(part: str, first_place: Optional[str]) -> Optional[str]:
    """ "4 Ash Grove" for "a pothole outside number 4" after a problem on (12) Ash Grove, or None."""
    street = _LEADING_HOUSE.sub("", first_place or "").strip()
    if not street or not street[:1].isalpha():
        return None
    house = places.named_house_number(part)
    if house:
        return f"{house} {street}"
    return street if _SAME_STREET.search(part) else None


def _span(entity: Dict[str, Any]) -> Optional[Tuple[int, int]]:
    try:
        start, end = int(entity["start"]), int(entity["end"])
    except (KeyError, TypeError, ValueError):
        return None
    return (start, end) if 0 <= start < end else None


def _inside(entity: Dict[str, Any], span: Tuple[int, int]) -> bool:
    own = _span(entity)
    return own is not None and span[0] <= own[0] and own[1] <= span[1]


def split(message: Dict[str, Any]) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """(the first problem's message, the further problems) of one parsed message.

    "First" is the problem the message's intent names, wherever it is in the
    text; the further problems are the marked spans, before or after it.

    The first problem's message is the original with the other problems' parts
    cut out of its text and their entities removed. Each further problem is
    ``{"intent", "text", "location", "postcode", "entities"}`` (places may be
    None; ``entities`` are the other details inside its part, such as a bin type).
    Further problems of a kind we cannot take a report for are ignored.
    """
    text = str(message.get("text") or "")
    entities = [e for e in message.get("entities") or [] if isinstance(e, dict)]
    further = [(e, _span(e)) for e in entities if e.get("entity") == FURTHER_PROBLEM]
    further = [(e, span) for e, span in further if span is not None and span[1] <= len(text)]
    if not further:
        return message, []
    spans = [span for _, span in further]
    first_entities = [
        e for e in entities
        if e.get("entity") != FURTHER_PROBLEM and not any(_inside(e, span) for span in spans)
    ]
    kept = []
    cursor = 0
    for start, end in sorted(spans):
        if start >= cursor:
            kept.append(text[cursor:start])
            cursor = end
        else:
            cursor = max(cursor, end)
    kept.append(text[cursor:])
    first_text = _LEADING.sub("", _DANGLING.sub("", " ".join(" ".join(kept).split()))).strip()
    # The first problem's place, which a further problem may point back to ("outside number 4").
    first_location = next((e.get("value") for e in first_entities if e.get("entity") == "location"), None)
    first_postcode = next((e.get("value") for e in first_entities if e.get("entity") == "postcode"), None)
    pending: List[Dict[str, Any]] = []
    for entity, span in sorted(further, key=lambda item: item[1]):
        part = text[span[0]:span[1]].strip()
        inside = [e for e in entities if e.get("entity") != FURTHER_PROBLEM and _inside(e, span)]
        own = {e.get("entity"): e.get("value") for e in inside if e.get("entity") in PLACE_ENTITIES}
        # The place's own entity: of several, the last (as ``own`` keeps), so the word before it is its own.
        located = [e for e in inside if e.get("entity") == "location"]
        preposition = _word_before(text, located[-1]) if located else None
        postcode = postcodes.find_postcode(str(own.get("postcode") or "")) or postcodes.find_postcode(part)
        # Other details in its part ("green bin", a registration) are its own too.
        details = [{"entity": e.get("entity"), "value": e.get("value")} for e in inside
                   if e.get("entity") not in PLACE_ENTITIES]
        if str(entity.get("value")) in BY_INTENT:
            # A street the gazetteer knows, where NLU marked no place in the part.
            location = own.get("location") or places.street_in_message(part)
            if not location and not postcode:
                # "... and a pothole outside number 4": on the first problem's street.
                location = _on_the_first_street(
                    part, str(first_location or places.street_in_message(first_text) or ""))
                postcode = postcodes.find_postcode(str(first_postcode or "")) if location else None
            # Its details read without the "Also" that led into it or the sign-off after it.
            problem = {"intent": str(entity.get("value")), "text": without_courtesy(_LEADING.sub("", part)) or part,
                       "location": location, "postcode": postcode, "entities": details}
            # ("on" and "at" are what the offer would say anyway.)
            if preposition not in (None, "on", "at") and location == own.get("location"):
                problem["preposition"] = preposition
            pending.append(problem)
    first = {**message, "text": first_text or text, "entities": first_entities}
    return first, pending


def with_the_reports_locality(pending_problems: List[Dict[str, Any]], place: Any) -> List[Dict[str, Any]]:
    """Further problems on the street of the report just made, with that street's locality:
    "12 Mill Lane, Northfield", so the next report does not ask "Mill Lane in Northfield or
    in Easton?" again (the resident has just said which)."""
    if not isinstance(place, dict) or not place.get("street") or not place.get("locality"):
        return pending_problems
    # Compared as the gazetteer compares names ("12 mill ln" is on Mill Lane), but exactly:
    # a misspelling allowance would put Hill Lane in Mill Lane's locality.
    street, locality = name_tokens(str(place["street"])), name_tokens(str(place["locality"]))
    placed = []
    for problem in pending_problems:
        location = str(problem.get("location") or "")
        said = name_tokens(location)
        if _says(said, street) and not _says(said, locality):
            problem = {**problem, "location": f"{location}, {place['locality']}"}
        placed.append(problem)
    return placed


def _says(tokens: Tuple[str, ...], name: Tuple[str, ...]) -> bool:
    """True when ``name``'s tokens stand together, in order, in ``tokens``."""
    return bool(name) and any(tokens[i:i + len(name)] == name for i in range(len(tokens) - len(name) + 1))


def carried(tracker: Tracker, intent: Optional[str]) -> Optional[Dict[str, Any]]:
    """The message a form for ``intent`` should start from, when it is not the latest one."""
    message = tracker.get_slot(CARRIED_SLOT)
    if isinstance(message, dict) and message.get("intent") == intent:
        return message
    return None


def as_message(problem: Dict[str, Any]) -> Dict[str, Any]:
    """A pending problem as a message its form can start from (its own place only)."""
    entities = [
        {"entity": name, "value": problem[name]} for name in PLACE_ENTITIES if problem.get(name)
    ] + [e for e in problem.get("entities") or [] if isinstance(e, dict)]
    return {"intent": problem["intent"], "text": problem.get("text") or "", "entities": entities}


def pending(tracker: Tracker) -> List[Dict[str, Any]]:
    value = tracker.get_slot(PENDING_SLOT)
    return [p for p in value if isinstance(p, dict) and p.get("intent") in BY_INTENT] if isinstance(value, list) else []


def place_phrase(problem: Dict[str, Any], language: str = "en") -> str:
    """ " on Station Road", " at 12 Mill Lane", " outside the Co-op", or "" when no place was given.

    In another language the place is put in brackets, " (Station Road)": the English
    prepositions read wrongly there, and a Welsh one would mutate the name."""
    place = str(problem.get("location") or problem.get("postcode") or "").strip()
    if not place:
        return ""
    if language != "en":
        return f" ({place})"
    if places.says_where(place):
        return f" {place}"
    if isinstance(problem.get("preposition"), str) and places.says_where(problem["preposition"]):
        return f" {problem['preposition']} {place}"
    if place[:1].isdigit() or postcodes.find_postcode(place):
        return f" at {place}"
    # "at the Co-op", "at the bus stop on Station Road"; "on the High Street", "on Mill Lane".
    if place.lower().startswith("the ") and not places.opens_with_a_street(place):
        return f" at {place}"
    return f" on {place}"

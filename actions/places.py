"""Places in the report forms: what the council's gazetteer makes of the resident's words.

Every location answer (or correction) is read against the gazetteer
(bot/places) and the result kept in the ``place`` slot beside the words:

- found: one street; the location is read back with the gazetteer's spelling
  and its locality ("14 Mill Lane, Northfield"), house number and landmark
  kept ("outside the Co-op on Mill Lane, Northfield"); the case gets the
  street's USRN and position;
- ambiguous: a name several localities share; the form asks "Mill Lane in
  Northfield or in Easton?" (``location_choice``), after the postcode where
  the form asks one, since a postcode usually settles it. "Not sure" (or
  three answers it can't use, then "skip") goes on without, and staff are
  told;
- not found: kept as typed, and the case carries a note for staff to check
  the place. A postcode alone (the resident gave no street) is not flagged.

A correction that names only a street ("sorry, it's Mill Road") keeps the
house number and landmark of the place it corrects ("14 Mill Road").
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import language, services
from bot import answers, messages, postcodes
from bot.places.gazetteer import Gazetteer, PlaceMatch, Street
from bot.places.matching import CANONICAL, TYPE_TOKENS, in_named_place, name_tokens, words

PLACE_SLOT = "place"
CHOICE_SLOT = "location_choice"
FOUND, AMBIGUOUS, NOT_FOUND, POSTCODE, SHARED = "found", "ambiguous", "not_found", "postcode", "shared"
# Words around a street that say nothing about where on it ("it's on Mill Lane"):
# a message of only these, a house number, a postcode and a street is just a street.
_FILLER = frozenset(
    "its it is s on in at the sorry no not actually i meant mean should be oh oops wrong street road place "
    "address number one correction near of".split()
)


# Words that place something: a place that starts with one says where itself ("behind the
# garages on Elm Close"), so the bot puts no "at" or "on" before it.
PLACING_WORDS = frozenset({"on", "at", "in", "by", "near", "outside", "behind", "opposite", "beside", "along", "off",
                           "round", "around", "under", "over", "between", "opp", "next", "past", "beyond", "across"})


def says_where(place: str) -> bool:
    """True when a place starts with a word that places it ("by the bus stop", "next to the school")."""
    words = place.split()
    return bool(words) and words[0].lower() in PLACING_WORDS


def opens_with_a_street(place: str) -> bool:
    """Whether a place's first phrase (up to a placing word) is a street: "the High Street",
    "Mill Lane by the school"; not "the Co-op" or "the bus stop on Station Road"."""
    first: List[str] = []
    for word in place.split():
        if first and word.lower() in PLACING_WORDS:
            break
        first.append(word)
    tokens = name_tokens(" ".join(first))
    return bool(tokens) and tokens[-1] in TYPE_TOKENS


# Tokens that name no particular street on their own: "the", and street-type words.
_GENERIC = frozenset({"the", "old", "new", "upper", "lower", "north", "south", "east", "west"} | TYPE_TOKENS)


def gazetteer() -> Optional[Gazetteer]:
    return services.gazetteer()


def _street_record(street: Street, match: PlaceMatch, raw: str) -> Dict[str, Any]:
    return {
        "status": FOUND, "raw": raw, "street": street.name, "locality": street.locality, "usrn": street.usrn,
        "latitude": f"{street.latitude:.6f}", "longitude": f"{street.longitude:.6f}", "house": match.house,
        "postcodes": list(street.postcodes), "plain": _is_plain(match), "shared": match.shared_name,
    }


def _is_plain(match: PlaceMatch) -> bool:
    """True when the words say only a house number, a street, its locality or a postcode."""
    if match.span is None:
        return False
    start, end = match.span
    localities = {t for s in match.streets for t in name_tokens(s.locality) + name_tokens(s.town)}
    postcode = {t for t, _, _ in words(match.postcode or "")}
    for word, w_start, w_end in words(match.text):
        if start <= w_start < end or word in _FILLER or word in localities or word in postcode:
            continue
        if re.fullmatch(r"[0-9]{1,4}[a-z]?|flat|apartment|apt|unit", word) and w_end <= start:
            continue
        return False
    return True


def display(street: Street, record: Dict[str, Any]) -> str:
    """How the place is read back: "14 Mill Lane, Northfield", or the resident's words made right."""
    raw, house = record.get("raw") or "", record.get("house")
    if record.get("plain") or not raw:
        text = f"{house} {street.name}" if house else street.name
    else:
        span = record.get("span")
        # The slot came through the tracker: a span that is not two positions in the words is ignored.
        if isinstance(span, list) and len(span) == 2 and all(isinstance(i, int) for i in span) \
                and 0 <= span[0] <= span[1] <= len(raw):
            text = raw[: span[0]] + street.name + raw[span[1]:]
        else:
            text = raw
        text = text.strip(" ,.")
    if record.get("shared") and not any(t in name_tokens(text) for t in name_tokens(street.locality)):
        # "Mill Lane, Northfield": only where the name alone does not say which street.
        text = f"{text}, {street.locality}"
    return text


def read(text: str, previous: Optional[Dict[str, Any]] = None) -> Optional[Dict[str, Any]]:
    """The ``place`` slot for location words ``text`` (None without a gazetteer).

    ``previous`` is the place being corrected, if any: a correction that names
    only a street keeps its house number and landmark.
    """
    places = gazetteer()
    if places is None:
        return None
    match = places.recognise(text)
    if not match.found:
        if match.postcode and places.streets_for_postcode(match.postcode):
            streets = places.streets_for_postcode(match.postcode)
            return {"status": POSTCODE, "raw": text, "postcode": match.postcode,
                    "latitude": f"{sum(s.latitude for s in streets) / len(streets):.6f}",
                    "longitude": f"{sum(s.longitude for s in streets) / len(streets):.6f}"}
        return {"status": NOT_FOUND, "raw": text}
    record: Dict[str, Any] = {"raw": text, "span": list(match.span or ()), "house": match.house,
                              "plain": _is_plain(match), "shared": match.shared_name}
    if previous and previous.get("status") in (FOUND, AMBIGUOUS) and record["plain"] and not match.house:
        # "sorry, it's Mill Road": the same place on another street.
        record["house"] = previous.get("house")
        if not previous.get("plain") and previous.get("span"):
            record.update(raw=previous["raw"], span=previous["span"], plain=False)
    if match.ambiguous:
        record.update(status=AMBIGUOUS, street=match.streets[0].name,
                      options=[s.label for s in match.streets])
        return record
    street = match.streets[0]
    return {**_street_record(street, match, record["raw"]), **{k: record[k] for k in ("span", "house", "plain", "shared")}}


# "16 not 14", "not 14, 16", "sorry, number 16", "rhif 16 nid 14": a new house number for the place given.
_HOUSE = r"(\d{1,4}[a-z]?)"
_NUMBER_WORD = r"(?:number|no\.?|num|house|door|rhif)"
_NOT = r"(?:not|nid|nage|ddim)"
_HOUSE_NOT_HOUSE = re.compile(rf"\b(?:{_NUMBER_WORD}\s*)?{_HOUSE}\s*,?\s+{_NOT}\s+(?:{_NUMBER_WORD}\s*)?{_HOUSE}\b", re.I)
_NOT_HOUSE_HOUSE = re.compile(
    rf"\b{_NOT}\s+(?:{_NUMBER_WORD}\s*)?{_HOUSE}\s*,?\s+(?:but\s+|it'?s\s+|ond\s+)?(?:{_NUMBER_WORD}\s*)?{_HOUSE}\b", re.I)
_NAMED_HOUSE = re.compile(rf"\b{_NUMBER_WORD}\s*{_HOUSE}\b", re.I)
_LEADING_HOUSE = re.compile(rf"\s*{_HOUSE}\b", re.I)


def named_house_number(text: str) -> Optional[str]:
    """ "4" from "outside number 4" ("no. 4", "house 4", "rhif 4"), or None: a number marked as a house's."""
    found = _NAMED_HOUSE.search(text)
    return found.group(1) if found else None


def corrected_house_number(text: str, location: Optional[str], plain_street: bool = False) -> Optional[str]:
    """``location`` with the house number a correction gives ("actually it's 16 not 14"), or None.

    Only a number the resident marks as one (against the old number, or after
    "number"): "actually 2" may be the answer to a numbered question. A number
    said to replace another the place does not have is not guessed at; a
    street given without a number ("Mill Lane") takes a named one
    (``plain_street``: the place is just the street).
    """
    if not location or len(text.split()) > 12 or len(re.sub(r"\D", "", text)) > 8:
        return None  # a long message, or a phone number ("sorry, number 0161 496 0000")
    current = _LEADING_HOUSE.match(location)
    old: Optional[str] = None
    if (found := _HOUSE_NOT_HOUSE.search(text)) is not None:
        new, old = found.group(1), found.group(2)
    elif (found := _NOT_HOUSE_HOUSE.search(text)) is not None:
        old, new = found.group(1), found.group(2)
    elif (named := named_house_number(text)) is not None:
        new = named
    else:
        return None
    if current is None:
        return f"{new} {location.strip()}" if plain_street and old is None else None
    if old is not None and old.lower() != current.group(1).lower():
        return None
    if new.lower() == current.group(1).lower():
        return None
    return new + location[current.end(1):]


def street_in_message(text: str) -> Optional[str]:
    """ "14 Mill Lane" from a whole report ("bin not emptied at 14 mill lane an1"), or None.

    For messages that are not answers to "where is it?": a street named only
    by common words and a street type ("The Green") is not taken from them,
    since "the green bin wasn't emptied" names a bin, not a street.
    """
    places = gazetteer()
    match = places.recognise(text) if places else None
    if match is None or not match.found or match.span is None:
        return None
    if all(token in _GENERIC for token in name_tokens(match.streets[0].name)):
        return None
    # The gazetteer's spelling ("mill ln" -> "Mill Lane"): this text is offered back to the
    # resident ("You also mentioned a street light fault on Mill Lane") before any form reads it.
    phrase = match.streets[0].name
    if match.house:
        return f"{match.house} {phrase}"
    # "outside the chip shop on mill lane": the landmark is kept with the street.
    landmark = _LANDMARK_BEFORE.search(text[:match.span[0]])
    return text[landmark.start():match.span[0]] + phrase if landmark else phrase


# A landmark just before a street: "outside the chip shop on", "by the bus stop in", "opposite no. 4 on"
# (not "by the crew on": who did something, not where).
_LANDMARK_BEFORE = re.compile(
    r"\b(?:outside|opposite|near|behind|beside|next\s+to|by|in\s+front\s+of|at\s+the\s+(?:end|top|bottom|back)\s+of|"
    r"on\s+the\s+corner\s+of)\s+(?:the|a|an|no\.?|number)\s+"
    r"(?!(?:crews?|bin\s*men|council|collectors?|workers?|lorry|truck|team|refuse|driver|wind|foxes)\b)"
    r"(?:[\w'’-]+\s+){1,3}(?:on|in|at|off)\s+$", re.IGNORECASE)


# "22 kingsley terrace": a house number, one to three words and a street type, none of
# them a word that places something ("12 months on the road" is not an address).
_TYPED_ADDRESS = re.compile(
    r"\b(\d{1,4}[a-z]?)\s+((?:[a-z][a-z'’-]*\s+){1,3})(" + "|".join(sorted(
        # Not the street types that are everyday words too ("2 big green bins", "a walk in the park").
        {word for word in CANONICAL if CANONICAL[word] in TYPE_TOKENS} - set(
            "green grn park pk walk wk row rw place pl hill hl saint str gr cr av".split()),
        key=len, reverse=True)) + r")\b", re.IGNORECASE)
_NOT_IN_A_NAME = frozenset(
    "a an the on in at by of and or to for from near outside opposite behind beside next my our your their his her "
    "its this that these those some all every since been has have had was were is are it there here bin bins bag bags "
    "days weeks months years times hours".split())


def address_as_typed(text: str) -> Optional[str]:
    """ "22 Kingsley Terrace" from a report naming a house on a street the gazetteer does not know, or None.

    Without it such a report kept only its postcode as the place, and the house
    number was lost. The words are kept as typed, each capitalised.
    """
    found = _typed_address(text)
    return _capitalised(found) if found else None


def unknown_street_capitalised(value: str) -> Optional[str]:
    """ "outside no 12 Foxglove Way" ("Elm Park") for a place typed all in lower case, or None.

    A street the gazetteer does not know is read back in the resident's words;
    typed in lower case it read back as "no 12 foxglove way". Only the address
    is capitalised: the words around it stay as typed.
    """
    if value != value.lower():
        return None
    found = _typed_address(value)
    if found:
        return value[:found.start()] + _capitalised(found) + value[found.end():]
    # "elm park", "foxglove way": the whole answer is a name and a street type, no house number.
    name = value.split()
    if 2 <= len(name) <= 4 and CANONICAL.get(name[-1]) in TYPE_TOKENS and name[-1] not in ("st", "saint") \
            and not any(word in _NOT_IN_A_NAME or not word.isalpha() for word in name[:-1]):
        return " ".join(word[:1].upper() + word[1:] for word in name)
    return None


def _typed_address(text: str) -> Optional["re.Match[str]"]:
    """The first house number, name and street type in ``text`` whose name words could be a street's."""
    for found in _TYPED_ADDRESS.finditer(text):
        if not any(word.lower() in _NOT_IN_A_NAME for word in found.group(2).split()):
            return found
    return None


def _capitalised(found: "re.Match[str]") -> str:
    words = [*found.group(2).split(), found.group(3)]
    return " ".join([found.group(1), *(word[:1].upper() + word[1:] for word in words)])


# "pothole on mill lane, sorry I mean mill road": a street put right in the same message.
_SELF_CORRECTION = re.compile(
    r"\b(?:(?:sorry,?\s+)?i\s+mean(?:t)?|meant\s+to\s+say|(?:sorry|no|sori),?\s+(?:it'?s|its|it\s+is)|"
    r"(?:sori|sorry),?\s+(?:dw\s+i'?n\s+)?(?:meddwl|golygu))\b", re.IGNORECASE)


def self_corrected_street(text: str) -> Optional[str]:
    """ "Mill Road" for "pothole on mill lane, sorry I mean mill road", or None.

    The place is the street named after the correction, when streets are named
    both before and after it; a house number given only before is kept
    ("outside 14 mill lane, sorry I mean mill road": 14 Mill Road).
    """
    marker = _SELF_CORRECTION.search(text)
    places = gazetteer()
    if marker is None or places is None:
        return None
    rest = text[marker.end():]
    before, after = places.recognise(text[:marker.start()]), places.recognise(rest)
    # The street must come straight after ("sorry it's on Mill Road"), not somewhere later
    # ("sorry it's really offensive, near Mill Road" puts nothing right).
    if not before.found or not after.found or after.span is None or len(rest[:after.span[0]].split()) > 2:
        return None
    start, end = after.span
    phrase = rest[start:end]
    house = after.house or before.house
    return f"{house} {phrase}" if house else phrase


# "actually it's on mill road", "sorry wrong street, it's mill road": a later message putting the place right.
_PLACE_CORRECTION = re.compile(
    r"\b(?:sorry|actually|i\s+mean(?:t)?|meant\s+to\s+say|should\s+(?:be|say|have\s+said)|correction|"
    r"wrong\s+(?:street|road|address|place|location)|(?:no|sori|nage),?\s+(?:it'?s|its|it\s+is|mae\s+e|ar))\b",
    re.IGNORECASE)
_PLACE_CORRECTION_MAX_WORDS = 14


def corrected_street(text: str, place: Any) -> Optional[str]:
    """ "Mill Road" for "actually it's on mill road not elm close", sent after the place was given.

    For questions whose answer is free text (a description, what was dumped),
    where a street alone does not mean the place changed: only a short message
    with a correction marker and a street straight after it ("sorry, it's on
    Mill Road"), or a street followed by "not" ("it's Mill Road not Elm Close"),
    naming a street other than the one already given.
    """
    places = gazetteer()
    if places is None or len(text.split()) > _PLACE_CORRECTION_MAX_WORDS:
        return None
    match: Optional[PlaceMatch] = None
    offset = 0
    for marker in _PLACE_CORRECTION.finditer(text):
        after = places.recognise(text[marker.end():])
        if after.found and after.span is not None and len(text[marker.end():][:after.span[0]].split()) <= 3:
            match, offset = after, marker.end()
            break
    if match is None:
        whole = places.recognise(text)
        if whole.found and whole.span is not None and len(text[:whole.span[0]].split()) <= 3 \
                and re.match(r"[\s,]*(?:not|nid)\b", text[whole.span[1]:], re.IGNORECASE):
            match = whole
    if match is None or match.span is None:
        return None
    usrns = {street.usrn for street in match.streets}
    if isinstance(place, dict) and place.get("usrn") in usrns:
        return None  # the same street: not a new place
    start, end = match.span
    phrase = text[offset + start:offset + end]
    return f"{match.house} {phrase}" if match.house else phrase


# A house number right before a place: "12 " in "12 Elm Close", "no. 12, " in "no. 12, Elm Close".
_NUMBER_BEFORE = re.compile(r"(?:^|[\s,(])((?:(?:no\.?|number|rhif)\s*)?\d{1,3}[a-z]?)\s*,?\s*$", re.IGNORECASE)


def whole_place(text: str, value: str) -> str:
    """The NLU's place ``value`` widened to the start of the street it begins inside.

    The entity extractor sometimes starts a place mid-name, in lower case most
    of all: "the lights out on the corner of mill lane and station road" gave
    "lane and station road", read back as "lane and Station Road" with Mill
    Lane lost. Where the gazetteer finds a street in the message that starts
    before the place and runs into it, the place starts where the street does.
    """
    begin = text.find(value) if value else -1
    if begin <= 0:
        return value
    number = None if value[:1].isdigit() else _NUMBER_BEFORE.search(text[:begin])
    if number:
        # "12 Elm Close" came back from the entity extractor as "Elm Close" (and "14 Mill
        # Lane" whole): the house number is part of the address.
        return text[number.start(1):begin + len(value)]
    places = gazetteer()
    if places is None:
        return value
    match = places.recognise(text)
    if not match.found or match.span is None:
        return value
    start, end = match.span
    if start < begin < end:
        return text[start:begin + len(value)]
    return value


def location_text(place: Dict[str, Any]) -> Optional[str]:
    """The location as it is read back, for a found street (None: keep the resident's words)."""
    places = gazetteer()
    if places is None or place.get("status") != FOUND:
        return None
    street = _street(places, place)
    return display(street, place) if street else None


def _street(places: Gazetteer, place: Dict[str, Any]) -> Optional[Street]:
    """The gazetteer's street a found place names (by USRN, else by name and locality)."""
    if place.get("usrn"):
        street = places.by_usrn(str(place["usrn"]))
        if street is not None:
            return street
    match = places.recognise(f"{place.get('street', '')} {place.get('locality', '')}")
    return match.street


def options(place: Optional[Dict[str, Any]]) -> List[Street]:
    """The streets an ambiguous place could be, in the order they were offered."""
    places = gazetteer()
    if places is None or not place or place.get("status") != AMBIGUOUS:
        return []
    found = []
    for label in place.get("options") or []:
        street = places.recognise(str(label)).street
        if street is not None:
            found.append(street)
    return found


def resolve(place: Dict[str, Any], street: Street) -> Dict[str, Any]:
    """An ambiguous place once the resident (or their postcode) has said which street."""
    places = gazetteer()
    match = places.recognise(place.get("raw") or street.name) if places else None
    record = _street_record(street, match or PlaceMatch(text=street.name), place.get("raw") or street.name)
    record.update(span=place.get("span"), house=place.get("house"), plain=place.get("plain"), shared=True)
    return record


def narrow_by_postcode(place: Optional[Dict[str, Any]], postcode: str) -> Optional[Dict[str, Any]]:
    """An ambiguous place the postcode now settles, else None."""
    places = gazetteer()
    candidates = options(place)
    if not candidates or places is None:
        return None
    picked = places.choose(candidates, postcode)
    return resolve(place, picked) if picked else None  # type: ignore[arg-type]


def narrow_by_locality(place: Optional[Dict[str, Any]], text: str) -> Optional[Dict[str, Any]]:
    """An ambiguous place the message settles by naming just one of its localities ("graffiti
    on Mill Lane Easton"), else None: the resident is not asked what they already said."""
    named = in_named_place(options(place), [word for word, _, _ in words(text)])
    return resolve(place, named[0]) if len(named) == 1 and place else None


_HOUSE_ANSWER = re.compile(rf"^\W*(?:(?:it'?s\s+)?{_NUMBER_WORD}\s*)?{_HOUSE}\W*$", re.IGNORECASE)


def with_house_number(answer: str, place: Any, location: Optional[str]) -> Optional[str]:
    """ "14 Mill Lane" when "14" answers "Mill Lane in Northfield or in Easton?", else None.

    A house number is not a choice, but it is worth keeping: the place is read
    again with it and the question asked again. By SMS the options are numbered,
    so a bare number no higher than the options (and "not sure") is a choice.
    """
    found = _HOUSE_ANSWER.match(answer or "")
    if not found or not location or _LEADING_HOUSE.match(location):
        return None
    house = found.group(1)
    named = not answer.strip()[:1].isdigit()
    if not named and house.isdigit() and int(house) <= len(options(place)) + 1:
        return None
    return f"{house} {location.strip()}"


def choose(place: Optional[Dict[str, Any]], answer: str) -> Optional[Street]:
    """The street the resident's answer to "which one?" picks."""
    places = gazetteer()
    candidates = options(place)
    return places.choose(candidates, answer) if places and candidates else None


def needs_choice(place: Any, choice: Any) -> bool:
    """True while the place is ambiguous and the resident has not said which (or that they don't know)."""
    # Never asked without two streets to offer (a gazetteer changed since the place was read).
    return isinstance(place, dict) and place.get("status") == AMBIGUOUS and choice is None and len(options(place)) > 1


def staff_note(place: Any) -> Optional[str]:
    """What staff are told about a place the gazetteer could not settle (None: nothing to check)."""
    if not isinstance(place, dict):
        return None
    if place.get("status") == NOT_FOUND:
        return "Place not found in the council's gazetteer: kept as the resident typed it; please check where it is."
    if place.get("status") == AMBIGUOUS:
        # Named from the gazetteer, not from the slot (which came through the tracker).
        labels = [s.label for s in options(place)]
        return ("The resident was not sure which street" + (": " + " or ".join(labels) if labels else "")
                + ". Please check where it is.")
    return None


def street_fields(place: Any) -> Dict[str, Optional[str]]:
    """The case's usrn, place_latitude, place_longitude and place_note from the ``place`` slot.

    The slot came through the tracker, so nothing in it is believed: the USRN
    and position are the gazetteer's own for the street it names.
    """
    fields: Dict[str, Optional[str]] = {"usrn": None, "place_latitude": None, "place_longitude": None,
                                        "place_note": staff_note(place)}
    places = gazetteer()
    if places is None or not isinstance(place, dict):
        return fields
    if place.get("status") == FOUND:
        street = _street(places, place)
        if street is not None:
            fields.update(usrn=street.usrn, place_latitude=f"{street.latitude:.6f}",
                          place_longitude=f"{street.longitude:.6f}")
    elif place.get("status") == POSTCODE and isinstance(place.get("postcode"), str):
        streets = places.streets_for_postcode(place["postcode"])
        if streets:
            if len(streets) == 1:
                fields["usrn"] = streets[0].usrn
            fields.update(place_latitude=f"{sum(s.latitude for s in streets) / len(streets):.6f}",
                          place_longitude=f"{sum(s.longitude for s in streets) / len(streets):.6f}")
    return fields


def street_postcodes(place: Any) -> List[str]:
    """Every postcode (in the council's area) of the street a found or ambiguous place may be,
    in order: "Mill Lane" -> AN1 4GT, AN1 4GU (Northfield) and AN4 2LP (Easton)."""
    places = gazetteer()
    if places is None or not isinstance(place, dict):
        return []
    if place.get("status") == FOUND:
        street = _street(places, place)
        streets = [street] if street else []
    else:
        streets = options(place)
    areas = services.settings().postcode_areas
    return list(dict.fromkeys(p for s in streets for p in s.postcodes if postcodes.in_area(p, areas)))


def street_postcode(place: Any) -> Optional[str]:
    """The postcode of a found street that has only one (in the council's area), for a case given none.

    The place then tells the council area and the district, as a postcode would have.
    """
    places = gazetteer()
    if places is None or not isinstance(place, dict) or place.get("status") != FOUND:
        return None
    street = _street(places, place)
    if street is None or len(street.postcodes) != 1:
        return None
    postcode = street.postcodes[0]
    return postcode if postcodes.in_area(postcode, services.settings().postcode_areas) else None


def choice_words(streets: List[Street], lang: str = "en") -> str:
    """ "Northfield or in Easton": the localities for the question's sentence, in ``lang``."""
    names = [s.locality for s in streets]
    if len(names) == 1:
        return names[0]
    return messages.text("place.localities", lang, some=messages.text("place.localities_joiner", lang).join(names[:-1]),
                         last=names[-1])


class ActionAskLocationChoice(Action):
    """ "Mill Lane in Northfield or in Easton?", with a button for each and "Not sure"."""

    def name(self) -> Text:
        return "action_ask_location_choice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        place = tracker.get_slot(PLACE_SLOT)
        streets = options(place)
        if not streets:
            return []
        lang = language.of(tracker)
        buttons = [{"title": s.locality, "payload": s.locality} for s in streets]
        # The payload stays the English words answers.is_unknown reads in any conversation.
        buttons.append({"title": messages.text("place.not_sure", lang), "payload": "not sure"})
        dispatcher.utter_message(response="utter_ask_location_choice", street=streets[0].name,
                                 localities=choice_words(streets, lang), buttons=buttons)
        return []


def read_choice(text: str, place: Any) -> Any:
    """The answer to "which one?": the chosen street's place, UNKNOWN ("not sure"), or None (unusable)."""
    if answers.is_unknown(text) or answers.is_skip(text):
        return answers.UNKNOWN
    street = choose(place, text)
    return resolve(place, street) if street else None

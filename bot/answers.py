"""Reading residents' short answers: yes/no, phone numbers, emails, days, plates.

Pure functions over text, so forms on every channel read answers the same way.
Each returns None when the answer cannot be read, so the form can re-ask.
"""

from __future__ import annotations

import re
from typing import Dict, Optional

SKIP = "none"  # stored for optional answers the resident chose to skip
UNKNOWN = "unknown"  # stored when the resident does not know

_YES = {
    "yes", "y", "yeah", "yea", "yep", "yup", "ya", "ye", "aye", "sure", "ok", "okay", "k", "correct",
    "right", "thats right", "that's right", "yes please", "please do", "go ahead", "fine", "definitely",
    "of course", "absolutely", "yes it is", "it is", "spot on", "confirm", "confirmed", "send it", "true",
    # Welsh answers echo the question's verb (is there: oes; did you: do; are you: ydw; ...).
    "ie", "ia", "do", "oes", "ydw", "ydy", "ydi", "yndi", "ydyn", "bydd", "gallwch", "cewch", "iawn", "cywir",
    "ie plis", "ia plis", "wrth gwrs", "yn union", "ie'n wir", "ydy wir", "oes plis", "ydw plis",
}
_NO = {
    "no", "n", "nah", "nope", "no thanks", "no thank you", "not really", "negative", "dont", "don't",
    "no it isnt", "no it isn't", "it isnt", "it isn't", "wrong", "thats wrong", "that's wrong", "false",
    "not quite", "incorrect", "no way",
    "na", "nage", "naddo", "nac oes", "nag oes", "nac ydw", "nag ydw", "nac ydy", "nag ydy", "nag yw",
    "nac ydi", "na fydd", "dim diolch", "na dim diolch", "anghywir", "dim o gwbl",
}
_SKIP_WORDS = {
    "skip", "no", "none", "n/a", "na", "no thanks", "nope", "rather not", "id rather not", "i'd rather not",
    "prefer not to say", "dont have one", "don't have one", "i dont have one", "i don't have one", "nah",
    "no email", "no phone", "leave it out", "not needed",
    "hepgor", "sgipio", "sgip", "dim", "dim diolch", "na dim diolch", "nac oes", "nag oes", "dim un",
    "mae'n well gen i beidio", "well gen i beidio", "dim ebost", "dim e bost", "dim ffôn", "dim ffon",
}
_UNKNOWN_WORDS = {
    "not sure", "dont know", "don't know", "i dont know", "i don't know", "idk", "no idea", "unsure",
    "dunno", "no clue", "cant see", "can't see", "cant remember", "can't remember", "not known", "unknown",
    "wn i ddim", "dwn i ddim", "dw i ddim yn gwybod", "dwi ddim yn gwybod", "dw i'm yn gwybod", "sai'n gwybod",
    "sai'n gwbod", "sa i'n gwybod", "dim syniad", "dim clem", "ddim yn siŵr", "ddim yn siwr", "dim yn siŵr",
    "dim yn siwr", "sai'n siŵr", "sai'n siwr",
}
# Leaving a report. Not "cancel": by SMS that word is a carrier opt-out keyword
# (bot/channels/sms.py), so the bot teaches "drop" and understands these.
_ABANDON_WORDS = {
    "drop", "drop it", "drop this", "drop that", "drop report", "drop the report", "drop this report",
    "drop my report", "forget it", "forget this", "forget that", "forget about it", "forget the report",
    "forget this report", "never mind", "nevermind", "never mind this", "dont bother", "don't bother",
    "anghofiwch e", "anghofia fe", "anghofiwch am y peth", "anghofio fe", "dim ots", "gadewch e", "gad e",
    "canslo", "canslwch e", "canslo hwn",
    # The Welsh word the bot teaches by SMS (response.sms_how_to_drop, sms.help), and its mutated form.
    "gollwng", "ollwng", "gollwng e", "gollwng fe", "gollwng hwn", "gollwng yr adroddiad", "gollwng yr adroddiad hwn",
}
# Greetings and thanks alone: said to the bot, never an answer to "where is it?" or "what's wrong?".
# Not "morning" or "evening" alone: they answer "when is the noise?".
_PLEASANTRIES = {
    "hi", "hello", "helo", "hiya", "hey", "hi there", "hello there", "good morning", "good afternoon",
    "good evening", "thanks", "thank you", "thank you very much", "ta",
    "cheers", "hi again", "hello again",
    "shwmae", "shwmai", "su'mae", "sut mae", "bore da", "prynhawn da", "noswaith dda", "helo eto", "diolch",
    "diolch yn fawr", "diolch yn fawr iawn",
}
# "bye", "ta-ra", "hwyl": leaving. Mid-report, the report has not been sent yet (actions/reports.py).
_FAREWELLS = {
    "bye", "goodbye", "good bye", "bye bye", "byebye", "bye for now", "bye then", "ok bye", "okay bye",
    "thanks bye", "thank you bye", "see you", "see ya", "cya", "ta ra", "tara", "ta-ra", "ta ta", "cheerio",
    "later", "laters", "hwyl", "hwyl fawr", "hwyl am y tro", "ta ra am y tro", "da bo", "diolch hwyl",
}
_PERSON = re.compile(
    r"\b(talk|speak|chat|put me through)\b.*\b(person|human|someone|somebody|agent|adviser|advisor|staff|operator)\b"
    r"|^\W*(a\s+)?(real\s+)?(person|human|agent|adviser|advisor|operator)\W*(please)?\W*$"
    # Welsh: "siarad â pherson", "siarad efo rhywun go iawn", "person go iawn plis".
    r"|\bsiarad\s+(â|a|ag|gyda|efo|hefo|gydag)\s+(pherson|person|rhywun|bod\s+dynol|aelod\s+o\s+staff|swyddog)\b"
    r"|^\W*person(\s+go\s+iawn)?\W*(plis|os\s+gwelwch\s+yn\s+dda)?\W*$",
    re.IGNORECASE,
)
_WEEKDAYS = {
    "mon": "Monday", "tue": "Tuesday", "tues": "Tuesday", "wed": "Wednesday", "weds": "Wednesday",
    "thu": "Thursday", "thur": "Thursday", "thurs": "Thursday", "fri": "Friday", "sat": "Saturday",
    "sun": "Sunday",
}


def _simple(text: str) -> str:
    """Lower-case, strip punctuation and repeated spaces: "Yes!!" -> "yes"."""
    return " ".join(re.sub(r"[^\w'/ ]+", " ", (text or "").lower()).split())


# "what?", "huh", "sorry?", "I don't understand": the resident did not follow what the bot said.
_CONFUSED = re.compile(
    r"^\W*(?:what|wot|wat|wha|huh|eh|pardon|beg\s+your\s+pardon|sorry|come\s+again|say\s+(?:that\s+)?again|you\s+what"
    r"|what\s+do\s+you\s+mean|what\s+does\s+that\s+mean|(?:i\s+)?(?:don'?t|do\s+not|dont)\s+understand(?:\s+(?:you|that|this))?"
    r"|i'?m\s+(?:confused|lost)|(?:i\s+)?(?:don'?t|dont)\s+get\s+it|not\s+sure\s+what\s+you\s+mean|what\s+are\s+you\s+on\s+about"
    # Welsh: "be?", "beth?", "sori?", "pardwn", "dwi ddim yn deall", "be ti'n feddwl?".
    r"|be|beth|sori|pardwn|dw\s*i\s+ddim\s+yn\s+deall|dwi\s+ddim\s+yn\s+deall|(?:be|beth)\s+(?:ti'?n|dych\s+chi'?n)\s+(?:ei\s+)?feddwl)"
    r"\W*$",
    re.IGNORECASE,
)


def is_confused(text: str) -> bool:
    """ "what?", "huh", "I don't understand": the resident did not follow; never a yes or a no."""
    return bool(_CONFUSED.match(text or ""))


# Words that say where something is only relative to nothing the council can find:
# "the road", "on the pavement", "here", "outside my house", "ar y ffordd", "fan hyn".
_PLACELESS_WORDS = frozenset(
    "the a an on in at by of to it it's its is was just over round back front side here there this that "
    "outside near next corner my our your house home flat road street pavement path footpath footway "
    "kerb verge grass lane middle end top bottom "
    "y yr ar yn wrth tu allan ger yma fan hyn acw ffordd heol stryd palmant llwybr tŷ nhŷ nghartref".split())


def names_no_place(text: str) -> bool:
    """Whether an answer to "where is it?" names nothing the council could find: "the road",
    "on the pavement", "outside my house" (no street, number, landmark or postcode)."""
    words = re.findall(r"[^\W_]+(?:['’][^\W_]+)?", (text or "").lower())
    return bool(words) and all(word in _PLACELESS_WORDS for word in words)


def yes_or_no(text: str, intent: Optional[str] = None) -> Optional[bool]:
    """True for yes, False for no, None when unclear. Uses NLU's intent as a hint, but never
    for a resident who did not follow ("huh" read as affirm would have sent a report)."""
    if is_confused(text):
        return None
    simple = _simple(text)
    if simple in _YES or simple.startswith(("yes ", "yeah ", "yep ")):
        return True
    if simple in _NO or simple.startswith(("no ", "nope ", "nah ")):
        return False
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    return None


def is_skip(text: str) -> bool:
    return _simple(text) in _SKIP_WORDS


def declines(text: str) -> bool:
    """Whether an answer to "What's your phone number / email?" says no: a skip word, or a short
    no ("no thats all", "nah im good", "no I don't have one"). Read only when no number or
    address was found in it: "no it's 07700 900123" is a number."""
    return is_skip(text) or (yes_or_no(text) is False and len(_simple(text).split()) <= 6)


def is_unknown(text: str) -> bool:
    return _simple(text) in _UNKNOWN_WORDS


# "dont know the reg", "can't see the number plate", "no plates on it": a short "I don't know" in more words.
_UNKNOWN_SAID = re.compile(
    r"\b(?:(?:i\s+)?(?:don'?t|dont|do not|didn'?t|can'?t|cant|cannot|couldn'?t)\s+(?:know|see|read|get|remember|tell)"
    r"|no\s+(?:idea|clue|plates?|number\s*plates?|reg)|not\s+sure|unsure"
    r"|(?:ddim|dim)\s+yn\s+(?:gwybod|siŵr|siwr)|dim\s+syniad)\b", re.IGNORECASE)
UNKNOWN_SAID_MAX_WORDS = 8


def says_unknown(text: str) -> bool:
    """ "not sure", or a short message saying so in more words ("dont know the reg")."""
    return is_unknown(text) or (len((text or "").split()) <= UNKNOWN_SAID_MAX_WORDS
                                and bool(_UNKNOWN_SAID.search(text or "")))


_CHANGES_THE_KIND = re.compile(
    r"\b(wrong (one|thing|option|report|button|kind|category)|actually|i meant|meant to (say|report|pick|press)|"
    r"i mean\b|instead|no wait|my mistake|my bad|i wanted to report|(it'?s|it is|its) not (a|an|the)|"
    r"isn'?t (a|an|the)|not (a|an) \w+ (it'?s|its|but)|"
    # Welsh: the wrong one, I meant, actually, instead
    r"(yr |y )?un anghywir|o'?n i'?n feddwl|a dweud y gwir|yn lle)\b",
    re.IGNORECASE,
)


def changes_the_kind(text: str) -> bool:
    """ "wrong one, I wanted to report graffiti", "sorry I meant a blocked drain": the resident
    says the report they started is the wrong kind (not just another problem to add)."""
    return bool(_CHANGES_THE_KIND.search(text or ""))


_LEADING_HEDGE = re.compile(
    r"^\s*(?:(?:i think|i believe|i reckon|probably|maybe|possibly|looks like|think)\s*,?\s*)?"
    r"(?:(?:it'?s|its|it is|it was|they'?re|they are)\s+(?:(?:a|an)\s+)?)?(?=\S)",
    re.IGNORECASE)
_TRAILING_HEDGE = re.compile(
    r"[\s,]+(?:i think|i believe|i reckon|maybe|probably|possibly|not sure|not 100%|i'?m not sure)\W*$",
    re.IGNORECASE)


def without_hedges(text: str) -> str:
    """ "its a ford i think" -> "ford": what a short answer names, without "it's a" and "I think"
    (for the back office; the whole answer when nothing would be left)."""
    trimmed = _TRAILING_HEDGE.sub("", _LEADING_HEDGE.sub("", (text or "").strip())).strip(" ,.")
    return trimmed or (text or "").strip()


def is_abandon(text: str) -> bool:
    """ "drop", "forget it": the resident wants to leave the report they started."""
    return _simple(text) in _ABANDON_WORDS


def is_farewell(text: str) -> bool:
    """ "bye", "ok bye", "hwyl fawr": a goodbye and nothing else."""
    return _simple(text) in _FAREWELLS


def is_bare_yes_or_no(text: str) -> bool:
    """ "no", "yep", "ie": a yes or a no and nothing else (no description, size or time)."""
    simple = _simple(text)
    return simple in _YES or simple in _NO


def is_pleasantry(text: str) -> bool:
    """ "hello", "thanks", "bore da": a greeting or thanks and nothing else."""
    return _simple(text) in _PLEASANTRIES


def wants_person(text: str) -> bool:
    """ "talk to a person", "person please": read without NLU, so it always works."""
    return bool(_PERSON.search(text or ""))


def parse_uk_phone(text: str) -> Optional[str]:
    """A UK phone number in international form (+447700900123), or None."""
    digits = re.sub(r"[\s\-().]", "", text or "")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("0"):
        digits = "+44" + digits[1:]
    # Mobiles (7...) always have 10 digits after +44; a few landlines have 9.
    if re.fullmatch(r"\+447\d{9}", digits) or re.fullmatch(r"\+44[1-689]\d{8,9}", digits):
        return digits
    return None


# Digits, spaces and punctuation as a phone number is typed ("07700 900123", "+44 (0)161-496-0000").
_PHONE_LIKE = re.compile(r"(?:\+|00)?[\d][\d\s\-().]{8,16}\d")


def _uk_phone_as_typed(text: str) -> Optional[str]:
    """The first UK phone number inside a longer message, as the resident typed it."""
    return next((found for found in _PHONE_LIKE.findall(text or "") if parse_uk_phone(found)), None)


def find_uk_phone(text: str) -> Optional[str]:
    """The first UK phone number inside a longer message."""
    typed = _uk_phone_as_typed(text)
    return parse_uk_phone(typed) if typed else None


_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")


def find_email(text: str) -> Optional[str]:
    match = _EMAIL.search(text or "")
    if not match or len(match.group(0)) > 254:
        return None
    return match.group(0)


# Welsh days after "dydd" (mutated "ddydd"), "nos", "bore", "prynhawn": "dydd Mawrth", "nos Wener".
# Alone, "Llun" is also a picture and "Mawrth" March, so a bare day counts only as the whole answer.
_WELSH_DAYS = {
    "llun": "Monday", "mawrth": "Tuesday", "mercher": "Wednesday", "iau": "Thursday", "gwener": "Friday",
    "wener": "Friday", "sadwrn": "Saturday", "sul": "Sunday",
}
_WELSH_DAY = re.compile(r"\b(?:dydd|ddydd|nos|bore|prynhawn|pnawn)\s+(" + "|".join(_WELSH_DAYS) + r")\b")


def parse_weekday(text: str) -> Optional[str]:
    """"tues" -> "Tuesday", "dydd Mawrth" -> "Tuesday"; None if no single day is named."""
    lowered = (text or "").lower()
    welsh = [_WELSH_DAYS[m.group(1)] for m in _WELSH_DAY.finditer(lowered)]
    if not welsh and _simple(lowered) in _WELSH_DAYS:
        welsh = [_WELSH_DAYS[_simple(lowered)]]
    words = re.findall(r"[a-z]+", lowered)
    found = list(welsh)
    for word in words:
        for prefix, day in _WEEKDAYS.items():
            if word == prefix or (word.startswith(prefix) and day.lower().startswith(word.rstrip("s"))):
                found.append(day)
                break
    unique = list(dict.fromkeys(found))
    return unique[0] if len(unique) == 1 else None


_PLATE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2}[0-9]{2})\s?([A-Za-z]{3})(?![A-Za-z0-9])")
_OLD_PLATE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][0-9]{1,3})\s?([A-Za-z]{3})(?![A-Za-z0-9])")


def find_registration(text: str) -> Optional[str]:
    """A UK registration plate, formatted "AB12 CDE" (current) or "A123 BCD" (older)."""
    match = _PLATE.search(text or "") or _OLD_PLATE.search(text or "")
    if not match:
        return None
    return f"{match.group(1).upper()} {match.group(2).upper()}"


_AMOUNT = r"(?:\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|a few|a couple of)"
_PERIOD = r"(?:day|week|month|year)s?"
_SINCE = (r"(?:last\s+)?(?:january|february|march|april|may|june|july|august|september|october|november|december"
          r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|christmas|easter|the summer|the spring"
          r"|the autumn|the winter|last week|last month|last year)")
_DURATION = re.compile(
    rf"\b(?:for|over)\s+((?:about|around|over|nearly|almost|at least|more than)\s+)?({_AMOUNT}\s+{_PERIOD})\b"
    rf"|\b(since\s+{_SINCE})\b"
    # "for months", "for weeks now", "for ages": no number.
    r"|\b(?:for|over)\s+((?:many\s+|so\s+many\s+)?(?:days|weeks|months|years|ages))\b"
    # Welsh: "ers 3 mis", "ers wythnosau", "ers mis Mawrth".
    r"|\b(ers\s+(?:\d{1,3}\s+)?(?:diwrnod|dyddiau|wythnos|wythnosau|mis|misoedd|blwyddyn|blynedd(?:oedd)?)"
    r"(?:\s+(?:ionawr|chwefror|mawrth|ebrill|mai|mehefin|gorffennaf|awst|medi|hydref|tachwedd|rhagfyr))?)\b",
    re.IGNORECASE)


def find_duration(text: str) -> Optional[str]:
    """How long something has been there, as a report says it: "3 months", "about 2 weeks",
    "since March", "ers 3 mis"; None if the text does not say."""
    # A duration with a number or a date wins over a vague one: "I've meant to report this for
    # ages: it's been parked here for about 3 months" was read back as "There for: ages".
    vague: Optional[str] = None
    for match in _DURATION.finditer(text or ""):
        if match.group(2):
            return f"{match.group(1) or ''}{match.group(2)}".strip()
        if match.group(3) or match.group(5):
            return (match.group(3) or match.group(5)).strip()
        vague = vague or match.group(4).strip()
    return vague


_DAY_WORD = r"(mon|tues?|wed(?:nes)?|weds|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?s?"
# The day a bin is usually collected, as a report says it in passing: "collected on Wednesdays",
# "every Tuesday", "bin day is Monday", "usually a Friday". Not a day it was missed on
# ("wasn't collected on Tuesday"): that is asked, as the question asks what usually happens.
_USUAL_DAY = re.compile(
    r"\b(mon|tues|wednes|thurs|fri|satur|sun)days\b"  # plural: "on Wednesdays"
    rf"|\bevery\s+{_DAY_WORD}\b"
    rf"|\b(?:usually|normally|always|supposed\s+to\s+be|due)\s+(?:\w+\s+){{0,2}}?(?:on\s+)?(?:a\s+)?{_DAY_WORD}\b"
    rf"|\bbin\s+day\s+(?:is|was)\s+(?:on\s+)?(?:a\s+)?{_DAY_WORD}\b"
    rf"|\b{_DAY_WORD}\s+is\s+(?:my|our|the)\s+(?:bin|collection)\s+day\b",
    re.IGNORECASE)


def usual_collection_day(text: str) -> Optional[str]:
    """The weekday a message says a bin is usually collected on, or None."""
    match = _USUAL_DAY.search(text or "")
    if not match:
        return None
    return parse_weekday(next(group for group in match.groups() if group))


# A vehicle's colour as residents give it: "a white van", "dark blue Ford", "car arian".
_COLOURS = (r"(?:(?:dark|light|pale|bright|navy|metallic)\s+)?(?:white|black|silver|grey|gray|blue|red|green|yellow|"
            r"orange|brown|gold|purple|maroon|burgundy|beige|cream|navy|bronze|pink|turquoise)")
_VEHICLES = (r"(?:car|cars|van|vans|vehicle|lorry|truck|pick-?up|motorbike|motorcycle|moped|scooter|caravan|trailer|"
             r"motorhome|camper(?:van)?|hatchback|estate|saloon|4x4|suv|jeep|transit|minibus|ford|vauxhall|volkswagen|vw|"
             r"toyota|nissan|bmw|audi|mercedes|peugeot|renault|citroen|fiat|honda|kia|hyundai|skoda|seat|mini|volvo|"
             r"mazda|suzuki|land\s+rover|range\s+rover|jaguar|tesla|mitsubishi|corsa|fiesta|focus|golf|polo|astra|clio)")
_WELSH_COLOURS = r"(?:gwyn|wen|du|ddu|arian|llwyd|glas|las|coch|goch|gwyrdd|werdd|melyn|felen|oren|brown|porffor|aur)"
_VEHICLE_COLOUR = re.compile(
    rf"\b({_COLOURS})\s+(?:[a-z-]+\s+)?{_VEHICLES}\b"
    # Welsh puts the colour after the noun: "car gwyn", "fan las".
    rf"|\b(?:car|fan|cerbyd|lori|beic\s+modur)\s+({_WELSH_COLOURS})\b", re.IGNORECASE)
_ANY_COLOUR = re.compile(rf"\b({_COLOURS})\b", re.IGNORECASE)
# Just before a colour: "not silver", "isn't red", "nid coch".
_DENIED = re.compile(r"\b(?:not|n't|nid)\s*$", re.IGNORECASE)


def find_vehicle_colour(text: str, about_the_vehicle: bool = False) -> Optional[str]:
    """The colour a report gives its vehicle ("a white van" -> "white"), or None.

    In a report a colour counts only beside a vehicle word: "parked on the green" is a
    place. ``about_the_vehicle``: the text answers a question about the vehicle ("it's a
    blue Ford" to "What make and model is it?"), so a colour anywhere in it counts."""
    match = _VEHICLE_COLOUR.search(text or "")
    if match:
        return (match.group(1) or match.group(2)).lower()
    if about_the_vehicle and len((text or "").split()) <= 8:
        # "it's red not silver", "not silver, red": the colour not denied.
        for found in _ANY_COLOUR.finditer(text or ""):
            if not _DENIED.search((text or "")[:found.start()]):
                return found.group(1).lower()
    return None


_CONTACT_WORDS = frozenset(
    "my email e-mail address is it's its it phone number mobile tel call me on at contact you can reach here "
    "fy rhif ffon ffôn e-bost ebost cyfeiriad yw ydy".split())


def is_contact_details(text: str) -> bool:
    """True when an answer is only a phone number or an email address ("07700 900123",
    "my email is sam@example.com"): given to another question ("What colour is it?"),
    it is not that answer."""
    text = (text or "").strip()
    found = find_email(text) or _uk_phone_as_typed(text)
    if not found:
        return False
    rest = re.findall(r"[^\W\d_]+(?:[-'’][^\W\d_]+)?", text.replace(found, " ").lower())
    return all(word in _CONTACT_WORDS for word in rest)


# A report that says the problem damaged a vehicle or hurt someone: "burst my tyre",
# "damaged the wheel", "my mum tripped and broke her wrist", "wedi difrodi fy nghar".
_DAMAGE_OR_INJURY = re.compile(
    r"\b(?:tyres?|tires?|wheels?|rims?|alloys?|suspension|axle|exhaust|bumper|sump|bike|car|van|vehicle|scooter|"
    r"wheelchair|pram|buggy)\s+(?:\w+\s+){0,2}(?:was\s+|were\s+|got\s+|is\s+|has\s+been\s+|have\s+been\s+)?"
    r"(?:damaged|burst|punctured|ruined|wrecked|bent|cracked|buckled|split|written\s+off|blew|blown)\b"
    r"|\b(?:damaged|burst|punctured|ruined|wrecked|bent|cracked|buckled|split|blew|blown|destroyed)\s+(?:out\s+)?"
    r"(?:my|our|his|her|their|the|a|two|both)\s+(?:\w+\s+)?(?:tyres?|tires?|wheels?|rims?|alloys?|suspension|"
    r"axle|exhaust|bumper|car|van|vehicle|bike|scooter|wheelchair)\b"
    r"|\bpunctures?\b|\bflat\s+tyre\s+(?:from|because|after|when)\b"
    r"|\b(?:i|he|she|they|we|someone|somebody|(?:my|our)\s+(?:mum|mom|mother|dad|father|son|daughter|wife|husband|"
    r"partner|child|kids?|children|nan|gran|grandma|grandmother|grandad|granddad|grandfather|friend|neighbour|"
    r"brother|sister|baby|boy|girl))\s+(?:\w+\s+)?(?:fell|tripped|slipped|went\s+flying)\b"
    r"|\b(?:injured|injury|injuries|broke\s+(?:my|his|her|their)\s+\w+|twisted\s+(?:my|his|her|their)\s+ankle|"
    r"hurt\s+(?:my|his|her|their)(?:self|selves)?\b|hurt\s+(?:my|his|her|their)\s+\w+)"
    r"|\b(?:fell|landed|came\s+down|crashed)\s+(?:on(?:to)?|through)\s+(?:my|our|his|her|their|a|the)\s+"
    r"(?:\w+\s+)?(?:car|van|vehicle|roof|fence|wall|shed|conservatory)\b"
    r"|\b(?:difrodi|niweidio)\s+(?:fy|ein|ei)\s+(?:nghar|car|teiar|olwyn)|\bwedi\s+(?:cwympo|baglu|syrthio)\b"
    r"|\b(?:anafu|anaf)\b",
    re.IGNORECASE)
# "it could burst a tyre", "someone will trip": a danger, not damage done.
_HYPOTHETICAL = re.compile(r"\b(?:could|might|may|would|will|going\s+to|about\s+to|likely\s+to|before|gallai|gall)"
                           r"(?:\s+\w+){0,2}\s*$", re.IGNORECASE)


# "my neighbour's tree hangs over my garden": a private matter, unless it reaches the street.
_NEIGHBOURS_TREE = re.compile(
    r"\b(?:neighbou?rs?'?s?|next\s+door'?s?)\s+(?:\w+\s+){0,2}?"
    r"(?:trees?|hedges?|conifers?|leylandii|bush(?:es)?|ivy|branch(?:es)?)\b"
    r"|\b(?:coeden|coed|gwrych|perth|canghennau)\s+(?:y\s+|fy\s+|ein\s+)?(?:cymydog|cymdogion|drws\s+nesaf)\b",
    re.IGNORECASE)
_OUR_SIDE = re.compile(r"\b(?:my|our)\s+(?:back\s+|front\s+)?(?:garden|property|house|side|fence|roof|drive|"
                       r"driveway|land|yard|conservatory|shed|gutters?)\b"
                       r"|\b(?:fy\s+ngardd|ein\s+gardd|fy\s+nh[ŷy]|ein\s+t[ŷy]|fy\s+eiddo|fy\s+ffens)\b", re.IGNORECASE)
_PUBLIC_PLACE = re.compile(r"\b(?:pavement|footpath|footway|highway|bus\s+stop|lamp|street\s*lights?|signs?|"
                           r"(?:the|onto|into|across|over)\s+(?:road|street|path|alley)|"
                           r"palmant|balmant|llwybr|ffordd|stryd|arwydd)\b", re.IGNORECASE)


def is_neighbours_tree(text: str) -> bool:
    """ "my neighbour's tree is overhanging my garden": a tree or hedge on private land over the
    resident's own, and nothing said of a pavement, road or sign it blocks (actions/reports.py)."""
    text = text or ""
    return bool(_NEIGHBOURS_TREE.search(text) and _OUR_SIDE.search(text) and not _PUBLIC_PLACE.search(text))


# "how long will it take to fix?", "what happens now?": a question about what follows a report.
# Read only where a report is meant: at a form's yes/no and choice questions, and in a message
# otherwise out of scope (bot/signposts.py). As an answer everywhere it cost real reports and
# caught other questions ("behind on my council tax, what happens now": docs/nlu-evaluation.md).
_SUBJECT = r"(?:it|this|that|they|things|the repair|a repair|repairs|the work|you|u|someone|somebody)"
_DONE = r"(?:fixed|done|sorted|repaired|mended|cleared|cleaned|removed|collected|dealt with|looked at|finished)"
_HOW_LONG = re.compile(
    rf"\bhow long (?:will|does|do|would|should|is|might)(?: {_SUBJECT})?(?: \w+){{0,3}} (?:take|be)\b"
    r"|\bhow long (?:till|until|before)\b"
    r"|\bwhat (?:happens|will happen) (?:now|next|after|then)\b|\bwhat'?s the next step\b"
    rf"|\bwhen (?:will|would)(?: {_SUBJECT})? (?:be )?{_DONE}\b"
    r"|\bwhen (?:will|would) (?:someone|somebody|anyone|they|you|u) (?:come|be out|look|visit)\b"
    # "is this going to be sorted or just ignored like last time?", "will anyone actually fix it"
    rf"|\b(?:is|will) {_SUBJECT}(?: \w+){{0,2}} (?:going to |gonna )?(?:be |get )?{_DONE}\b"
    r"|\b(?:will|is) (?:anyone|anybody|someone|somebody|you|u|they) (?:actually |even |ever |really )?"
    r"(?:going to |gonna )?(?:fix|sort|do anything|look at|deal with|come out)\b"
    r"|\bfaint o amser\b|\bpa mor hir\b|\bbeth sy'?n digwydd (?:nawr|rwan|nesaf|wedyn)\b",
    re.IGNORECASE)
HOW_LONG_MAX_WORDS = 14


def asks_how_long(text: str) -> bool:
    """ "how long will it take to fix?", "what happens now?", "faint o amser ...": in a short message."""
    return len((text or "").split()) <= HOW_LONG_MAX_WORDS and bool(_HOW_LONG.search(text or ""))


# "can you call me back on 07700 900123", "ffoniwch fi'n ôl": a person asked for, by phone.
_CALLBACK = re.compile(
    r"\b(?:call|ring|phone)\s+(?:me\s+)?back\b|\bcall\s*back\b"
    r"|\b(?:can|could|will|would)\s+(?:someone|somebody|you|u|anyone|one of your staff)\s+(?:please\s+)?"
    r"(?:call|ring|phone)\s+me\b|\bgive\s+me\s+a\s+(?:call|ring|bell)\b"
    r"|\b(?:ffoniwch|ffonia)\s+fi\b|\bfy\s+ffonio\b",
    re.IGNORECASE)
_NOT_WANTED = re.compile(r"\b(?:don'?t|do not|dont|no need|never|not)\b|\bpeidiwch\b", re.IGNORECASE)


def asks_for_callback(text: str) -> bool:
    """ "can you call me back on 07700 900123": someone to ring them, not "please don't call me"."""
    return bool(_CALLBACK.search(text or "")) and not _NOT_WANTED.search(text or "")


# "will they know it was me?", "I'd like to stay anonymous": said inside a report (actions/reports.py).
_ANONYMITY = re.compile(
    r"\banonym\w*|\bconfidential\w*|\bwithout (?:giving|leaving) my (?:name|details)\b"
    r"|\b(?:know|find out|told|tell (?:them|him|her))\b(?:\s+\w+){0,2}?\s+(?:it\s+)?(?:was|is|were)\s+me\b"
    r"|\b(?:know|find out)\s+who\s+(?:reported|complained|made the report)\b"
    r"|\b(?:don'?t|do not|dont|rather not)\s+(?:want\s+to\s+)?(?:give|leave|say)\s+my\s+name\b"
    r"|\b(?:yn\s+)?ddienw\b|\bgyfrinachol\b|\b(?:gwybod|wybod|wbod)\s+(?:mai|taw)\s+fi\b",
    re.IGNORECASE)


def asks_about_anonymity(text: str) -> bool:
    """ "noise every night, will they know it was me who reported it?": a report with a worry
    about being known as the one who reported (answered before the form goes on)."""
    return bool(_ANONYMITY.search(text or ""))


# "I don't have it", "lost the text", "never got one": no reference to give.
_NO_REFERENCE = re.compile(
    r"\b(?:don'?t|do\s+not|dont|haven'?t|have\s+not|havent|never|didn'?t|did\s+not)\s+(?:\w+\s+)?"
    r"(?:have|got|get|had|receive|received|kept|keep|know|remember|find)\b"
    r"|\b(?:lost|forgot|forgotten|deleted|can'?t\s+find|cannot\s+find|no\s+(?:reference|ref|number))\b"
    r"|\b(?:sgen\s+i\s+ddim|does\s+gen\s+i\s+ddim|dim\s+(?:cyfeirnod|rhif)|wedi\s+(?:colli|anghofio))\b",
    re.IGNORECASE)


def has_no_reference(text: str, intent: Optional[str] = None) -> bool:
    """Whether the answer to "What's your report reference?" says there is none to give:
    "I don't have it", "lost it", "no", "not sure" (actions/cases.py offers a way on at once)."""
    return is_unknown(text) or yes_or_no(text, intent) is False or bool(_NO_REFERENCE.search(text or ""))


# "this is a complaint", "I want to complain", "gwneud cwyn": the resident says they want to complain.
_COMPLAINT = re.compile(r"\b(?:complain|complaining|complaint|complaints|cwyn|cwyno|gwyno)\b", re.IGNORECASE)


def mentions_complaint(text: str) -> bool:
    """Whether a report's words say its resident wants to complain (actions/complaints.py)."""
    return bool(_COMPLAINT.search(text or ""))


def mentions_damage_or_injury(text: str) -> bool:
    """Whether a report says the problem damaged a vehicle or property or hurt someone: the
    resident is then told how to claim from the council (a report is not a claim)."""
    text = text or ""
    return any(not _HYPOTHETICAL.search(text[:found.start()]) for found in _DAMAGE_OR_INJURY.finditer(text))


_NOISE_TYPE = re.compile(
    r"\b((?:(?:really|very|so)\s+)?(?:loud\s+|load\s+)?(?:music|bass|parties|party|"
    r"dogs?\s+(?:barking|barks?|yapping|yaps|howling|howls)|barking\s+dogs?|"
    r"barking|(?:car\s+|house\s+|burglar\s+)?alarms?|shouting|screaming|arguing|drilling|hammering|building\s+work|"
    r"construction|generators?|machinery|banging|fireworks|karaoke))\b", re.IGNORECASE)
_NOISE_WHEN = re.compile(
    r"\b((?:late\s+)?at\s+night|after\s+(?:midnight|\d{1,2}(?::\d\d)?\s*(?:am|pm)?)|till\s+\d{1,2}\s*(?:am|pm)|"
    r"until\s+\d{1,2}\s*(?:am|pm)|(?:at|from|before)\s+\d{1,2}(?::\d\d)?\s*(?:am|pm)|in\s+the\s+(?:early\s+hours|morning|evening|afternoon)|all\s+night|all\s+day|"
    r"(?:at|on)\s+weekends?|during\s+the\s+day|early\s+morning)\b", re.IGNORECASE)
_NOISE_FREQUENCY = re.compile(
    r"\b((?:every|most)\s+(?:single\s+)?(?:night|nights|day|days|evening|evenings|weekend|weekends|morning|mornings)|"
    r"(?:every|each)\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|daily|nightly|all\s+the\s+time|"
    r"constantly|(?:once|twice|\d+\s+times)\s+a\s+(?:week|day|night))\b", re.IGNORECASE)


def noise_details(text: str) -> Dict[str, str]:
    """What a noise report already says, in its own words: the kind of noise ("loud music"),
    when ("after midnight") and how often ("every night"); only the ones it says."""
    found: Dict[str, str] = {}
    for slot, pattern in (("noise_type", _NOISE_TYPE), ("noise_when", _NOISE_WHEN),
                          ("noise_frequency", _NOISE_FREQUENCY)):
        match = pattern.search(text or "")
        if match:
            found[slot] = " ".join(match.group(1).split())
    return found


def choose(text: str, options: dict[str, tuple[str, ...]]) -> Optional[str]:
    """The option whose keywords the text mentions, if exactly one does."""
    words = set(re.findall(r"[^\W\d_]+", (text or "").lower()))  # letters, Welsh ones (ŵ, ô) too
    hits = [key for key, keywords in options.items() if words & set(keywords)]
    return hits[0] if len(hits) == 1 else None


def is_meaningful(text: str, min_letters: int = 2) -> bool:
    """Has some letters or digits (not just emoji or punctuation)."""
    return len(re.findall(r"[A-Za-z0-9]", text or "")) >= min_letters


# ----- keyboard mash (bot/nlu/keyboard_mash.py reads it as not understood; forms refuse it) -----
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_WORD = re.compile(r"[a-z]+")
_VOWEL = re.compile(r"[aeiou]")
MASH_MAX_WORDS = 4


def _row_run(word: str) -> bool:
    """Four or more letters along one keyboard row, either way ("asdf", "lkjh")."""
    return len(word) >= 4 and any(word in row or word in row[::-1] for row in _KEYBOARD_ROWS)


def is_mash(text: str) -> bool:
    """Whether ``text`` is keyboard mash: "asdf jkl", "qwerty", "lkjhg fdsa".

    Only what is surely mash: at least one run of four or more letters along one
    keyboard row ("asdf", "poiuy"), every other word without a vowel ("jkl"), no
    capitals, digits or more than four words. Other nonsense ("zzqv wxkp") is
    not judged here; consonant clusters are no test, as "thnks" and "Blackthorn" show.
    """
    if not text or re.search(r"[A-Z0-9]", text):
        return False
    words = _WORD.findall(text)
    if not words or len(words) > MASH_MAX_WORDS:
        return False
    # Nothing but the words and a little punctuation ("asdf jkl;").
    if sum(len(w) for w in words) < len(re.sub(r"\s", "", text)) - 2:
        return False
    rows = [w for w in words if _row_run(w)]
    return bool(rows) and all(w in rows or not _VOWEL.search(w) for w in words)

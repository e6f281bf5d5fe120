"""Where to go for things the council's assistant does not do.

When a message is out of scope, the first topic whose words it mentions picks
the answer (a ``utter_signpost_*`` response in domain.yml, so the words stay
with the other responses and are linted for SMS); anything else gets the
general ``utter_out_of_scope``. Order matters: more specific topics first
(an emergency before the police, a passport before "gov.uk" in general).
"""

from __future__ import annotations

import re
from typing import Optional, Pattern, Tuple

from bot import answers

GENERAL_RESPONSE = "utter_out_of_scope"


def _words(*patterns: str) -> Pattern[str]:
    return re.compile(r"\b(" + "|".join(patterns) + r")", re.IGNORECASE)


# Crimes a resident names plainly: the police's, whatever else the message sounds like
# (bot/nlu/other_agencies.py). Narrower than the police topic below: "police" or "crime" alone
# is often in a report ("a police aware sticker on the car", "criminal damage").
_CRIME_WORDS = (r"drug ?deal", r"(dealing|selling|sell|deal|pushing) (drugs|crack|weed|cannabis)", r"burgl",
                r"mugg(ed|ing)", r"shoplift", r"(car|van|house|flat|shed|garage) (was |has been |got |been )?broken into",
                r"broke into (my|our)",
                # Welsh: selling or dealing drugs, burglary
                r"(gwerthu|delio) cyffuriau", r"byrgler")
CRIMES = _words(*_CRIME_WORDS)

# A leaking water main or pipe in the street, or no water at the tap: the water company's,
# day and night, whatever else the message sounds like (bot/nlu/other_agencies.py). Water
# through a ceiling or a flooded road is not here: those are the council's (a housing
# repair, a blocked drain).
_WATER_FAULT_WORDS = (
    r"burst (water )?(main|mains|pipe)", r"water mains? (is |has )?(burst|leak\w*)",
    r"(water|pipe) (is )?leak(ing)?( \w+){0,3} (in|on|under|from|out of) the (road|street|pavement|footpath|ground|tarmac)",
    r"water (is )?(pouring|gushing|bubbling|spurting|coming|running|welling) (up |out )?(of |from |through )?"
    r"(the )?(ground|road|pavement|tarmac|footpath)",
    r"no (running )?water (supply|coming|from|out of|at all|in (my|our|the) (taps?|house|flat|home))",
    r"(my|our|the) (taps?|water supply|water) (has |have |is |are )?(stopped|gone off|been cut off|cut off)",
    # Welsh: a burst (main) pipe, no water from the tap
    r"(prif )?[bp]ibell( dd[ŵw]r)? wedi (byrstio|torri|hollti)", r"dim d[ŵw]r (yn dod )?(o'?r|o'?n|yn y) tap")
WATER_FAULTS = _words(*_WATER_FAULT_WORDS)
# The water topic's answer also fits a question about a water bill, meter or pressure; the
# companies' names are only a topic's words, since a report often names the company whose
# works left a hole ("the Thames Water meter cover is missing").
WATER_SUPPLY = _words(*_WATER_FAULT_WORDS, r"water (company|board|pressure|supply|meter|bill)",
                      r"(thames|anglian|southern|yorkshire|welsh|wessex|northumbrian|affinity|south east|"
                      r"south west|bristol|portsmouth|cambridge|south staffs|scottish) water",
                      r"severn trent", r"united utilities", r"d[ŵw]r cymru")

# "are you a real person?", "is this a robot", "wyt ti'n berson go iawn?"
ASKS_IF_A_PERSON = _words(
    r"(are|r) (you|u|ya) (a |an )?(real|human|robot|bot|chat ?bot|person|computer|machine|ai\b|automated|"
    r"actual person|living)",
    r"(am i|are we) (talking|speaking|chatting|texting) (to|with) (a |an )?(real|human|robot|bot|chat ?bot|person|"
    r"computer|machine|ai\b|actual)",
    r"is (this|that|it) (a |an )?(real person|human|robot|bot|chat ?bot|computer|machine|automated|ai\b)",
    r"who am i (talking|speaking|chatting) (to|with)",
    # Welsh: are you a person / a robot / a machine (with their mutations)
    r"(wyt ti|ydych chi|ydy hwn|ai)('?n| yn)? (berson|ddyn|robot|bot|beiriant|peiriant|gyfrifiadur)",
    r"(robot|bot|peiriant|person go iawn) (wyt ti|ydych chi|ydy hwn)")

# (topic, words that mean it, response)
TOPICS: Tuple[Tuple[str, Pattern[str], str], ...] = (
    ("emergency", _words(r"999", r"ambulance", r"fire brigade", r"heart attack", r"can'?t breathe"),
     "utter_signpost_emergency"),
    # "are you a real person?": the resident is told plainly it is an automated assistant,
    # and how to reach a person (not "that's not something I can help with").
    ("assistant", ASKS_IF_A_PERSON, "utter_signpost_assistant"),
    # Abuse or neglect is the council's own safeguarding team's (social care), not a signpost away.
    ("safeguarding", _words(r"abus(e|ed|ing|ive)", r"neglect", r"safeguard", r"controlling", r"coercive",
                            r"domestic (violence|abuse)", r"groom(ed|ing)",
                            # Welsh: abuse, neglect, safeguarding
                            r"(c|g|ngh)am-?drin", r"esgeulus", r"d?diogelu"),  # with their mutated forms
     "utter_signpost_safeguarding"),
    ("police", _words(
        *_CRIME_WORDS, r"police", r"crime", r"stolen (car|bike|phone|wallet|purse)", r"theft", r"assault", r"stabb",
        r"threaten", r"harass", r"missing person",
        r"(son|daughter|brother|sister|mum|dad|child|husband|wife|partner) (has |is )?(gone )?missing", r"101\b",
        # Welsh: police, drugs, theft
        r"heddlu", r"cyffuriau", r"lladrad"),
     "utter_signpost_police"),
    ("health", _words(r"nhs", r"doctor", r"gp\b", r"hospital", r"dentist", r"prescription", r"vaccin",
                      r"covid", r"medical", r"111\b"),
     "utter_signpost_health"),
    ("benefits", _words(r"benefit", r"universal credit", r"\bpip\b", r"jobseeker", r"\bjsa\b", r"\besa\b",
                        r"pension credit", r"state pension", r"dwp", r"child benefit", r"carer'?s allowance"),
     "utter_signpost_benefits"),
    ("passport", _words(r"passport"), "utter_signpost_passport"),
    ("driving", _words(r"driving licen[cs]e", r"dvla", r"car tax", r"vehicle tax", r"road tax", r"\bmot\b",
                       r"number plate", r"driving test"),
     "utter_signpost_driving"),
    ("immigration", _words(r"visa", r"immigration", r"citizenship", r"right to remain", r"asylum",
                           r"settled status", r"brp\b"),
     "utter_signpost_immigration"),
    ("tax", _words(r"income tax", r"tax return", r"hmrc", r"tax code", r"self assessment", r"\bvat\b",
                   r"national insurance"),
     "utter_signpost_tax"),
    ("power", _words(r"power cut", r"no electric", r"electricity (is )?(off|out|down)", r"power (is )?(off|out)"),
     "utter_signpost_power"),
    ("water", WATER_SUPPLY, "utter_signpost_water"),
    ("dispute", _words(r"landlord", r"private(ly)? rent", r"deposit back", r"letting agent", r"boundary",
                       r"fence dispute", r"hedge dispute", r"consumer", r"refund", r"scam", r"debt",
                       r"solicitor", r"legal advice", r"employer", r"sacked"),
     "utter_signpost_advice"),
    ("foi", _words(r"freedom of information", r"\bfoi\b", r"subject access", r"\bsar\b",
                   r"data protection request"),
     "utter_signpost_foi"),
)


# Not a signpost elsewhere: "how long will it take to fix?", read as out of scope, is about a report.
AFTER_REPORTING = ("after_reporting", "utter_after_reporting")


def signpost_for(text: Optional[str]) -> Tuple[Optional[str], str]:
    """(topic, response) for an out-of-scope message; (None, general response) if no topic fits."""
    for topic, pattern, response in TOPICS:
        if pattern.search(text or ""):
            return topic, response
    if answers.asks_how_long(text or ""):
        return AFTER_REPORTING
    return None, GENERAL_RESPONSE


def names_a_crime(text: Optional[str]) -> bool:
    """True if the text plainly names a crime for the police (drug dealing, a burglary, a break-in)."""
    return bool(CRIMES.search(text or ""))


# A burst pipe at home is a council tenant's housing repair (or a plumber's), not the water company's.
# ("outside my house" is a place in the street, so only "in", "under" or "through" a home.)
_AT_HOME = _words(r"(in|inside|under|through|from) (my|our|the|a) (council )?(flat|house|home|property|kitchen|bathroom|"
                  r"loft|ceiling|cupboard)", r"council (flat|house|home)", r"boiler", r"radiator", r"upstairs",
                  r"downstairs", r"under the sink", r"yn (fy|ein) (fflat|nh[ŷy]|nghartref|nghegin)")


def names_a_water_supply_fault(text: Optional[str]) -> bool:
    """True if the text names a leaking water main or pipe in the street, or a water supply fault
    (not a burst pipe at home)."""
    return bool(WATER_FAULTS.search(text or "")) and not _AT_HOME.search(text or "")


def asks_if_a_person(text: Optional[str]) -> bool:
    """True if the text asks whether the resident is talking to a person or a machine."""
    return bool(ASKS_IF_A_PERSON.search(text or ""))

"""Deterministic detection of urgent and safeguarding messages.

Urgent messages must never depend on the NLU model alone: a model can call
"I smell gas in my flat" a housing repair. These phrases are matched on the
text itself, both in the NLU pipeline (bot/nlu/urgent.py forces the
``emergency`` intent) and again in the action server (actions/escalation.py).
A false alarm costs a resident an emergency number they did not need; a miss
can cost a life, so the phrases lean towards matching.
"""

from __future__ import annotations

import re
from typing import Dict, Optional, Pattern, Tuple

# Category -> phrases (regular expressions, matched case-insensitively on
# whole words in the normalised text).
_PHRASES: Dict[str, Tuple[str, ...]] = {
    "self_harm": (
        r"suicid\w*",
        r"kill(ing)? my ?self",
        r"end(ing)? (my life|it all)",
        r"take my (own )?life",
        r"self[- ]?harm\w*",
        r"(hurt|harm|cut)(ing)? my ?self",
        r"(want|going) to die",
        r"(don'?t|do not) want to (live|be alive|be here)",
        r"no reason to live",
        # Welsh (issue 15): "lladd fy hun", "diweddu fy mywyd", "dw i ddim isio byw".
        r"hunanladd\w*",
        r"l?ladd fy hun",
        r"(g?orffen|d?diweddu|dod â|dod a) (fy mywyd|'?r cyfan|y cyfan)",
        r"(niweidio|brifo|anafu|torri) fy hun",
        r"hunan[- ]?niweid\w*",
        r"(ddim|dim) (eisiau|isio|moyn|am) (byw|fyw)",
    ),
    "risk_to_life": (
        r"risk to (life|lives)",
        r"danger to (life|lives)",
        r"life[- ]threatening",
        r"(someone|somebody|person|man|woman|child|he|she|they)('s| is| are)? (going to|gonna|about to) die",
        r"not breathing",
        r"unconscious",
        r"(seriously|badly) (hurt|injured)",
        r"(is|are|got) trapped",
        r"bleeding (badly|heavily)",
        # A person collapsing is a medical emergency (a wall collapsing is below).
        r"(someone|someones|somebody|some one|a person|person|man|woman|lady|child|kid|boy|girl|he|she|"
        r"neighbou?r|mum|mother|dad|father|nan|gran|grandma|grandad|husband|wife|partner|son|daughter)"
        r"('s| has| have| is| just)? (just )?collapsed",
        r"perygl (i|am) (fywyd|fywydau)",
        r"(ddim|dim|heb) (yn )?anadlu",
        r"anymwybodol",
        r"(wedi'?i? )?anafu'?n (ddifrifol|ddrwg)",
        r"(yn|wedi'?i? ddal yn) gaeth",
        r"(rhywun|plentyn|dyn|dynes|menyw|person) (yn |wedi )?sownd",
        r"gwaedu'?n (ddrwg|drwm|ofnadwy)",
        r"wedi llewygu",
    ),
    "abuse": (
        r"abus(e|ed|es|ing|ive)",
        r"domestic violence",
        r"being (hit|beaten|attacked|hurt|threatened)",
        r"(hits|beats|attacks) (me|her|him|them|the kids|the children|my kids|my children)",
        r"(child|children|kid|kids|baby) (is |are )?(at risk|in danger|left alone|being neglected)",
        r"neglect(ed|ing)? (a |the |my )?(child|children|kid|kids|baby|elderly)",
        r"safeguarding",
        r"exploit(ed|ation)",
        r"(c|g|ngh)am[- ]?dri(n|niaeth)\w*",
        r"trais (yn y cartref|domestig)",
        r"(yn |wedi )?(fy|ein) (nharo|mwrw|mygwth|curo)",
        r"(plentyn|plant|babi)( bach)?( \S+){0,4} ar (ei|eu) (ben|phen|pennau) (ei|eu) hun(ain)?",
        r"ecsbloet\w*",
    ),
    "homeless_tonight": (
        r"homeless",
        r"nowhere to (sleep|stay|live|go)",
        r"sleeping (rough|on the streets?|in (my|the) car)",
        r"(evicted|kicked out|thrown out|locked out of my home)( \w+)? (today|tonight)",
        r"no(where| place| roof)( \w+)? tonight",
        r"ddigartref|digartref",
        r"(unman|unlle|nunlle|nunman|dim lle) i (gysgu|aros|fyw|fynd)",
        r"cysgu (ar y stryd|ar y strydoedd|allan|mas|yn y car|ar y stryd heno)",
        r"(nhaflu|nghicio|nhowlu|nghloi) (allan|mas)( \w+)? (heddiw|heno)",
    ),
    "gas": (
        r"smell(s|ing)? (of )?gas",
        r"gas (leak|leaking|smell)",
        r"smells? like gas",
        r"leak(ing)? gas",
        r"carbon monoxide",
        r"(arogl|arogli|ogla|oglau|gwynt|gwynto|drewdod) (o )?nwy",
        r"nwy( y|')n gollwng",
        r"gollwng nwy",
        r"carbon monocsid",
    ),
    "fire": (
        r"on fire",
        r"(is|are|'s|it's) (now )?(alight|burning|in flames)",
        r"fire (is )?spreading",
        r"(smoke|flames) (is |are )?(pouring|billowing|coming) (out|from)",
        r"ar dân",
        r"(tân|dân) yn lledu",
    ),
    "dangerous_structure": (
        r"dangerous (structure|building|wall|roof|ceiling|chimney|scaffold\w*)",
        # Only a building or part of one, a wall or a bridge: a collapsed kerb, road edge, speed
        # bump or fence is a report.
        r"(wall|building|roof|ceiling|chimney|scaffold\w*|balcony|house|bridge|floor|stairs?|staircase)( \w+){0,4} "
        r"(is |are )?(about to |going to |might |could )?(collaps\w*|fall(ing)? down|coming down|caving in|cave in)",
        r"collapsed (wall|building|roof|ceiling|chimney|scaffold\w*|balcony|house|bridge|floor|stairs?|staircase)",
        r"(about to|going to|gonna|might|could) (collapse|fall down|come down|cave in)",
        r"(live|exposed|bare|sparking) (electric(al)? )?(wires?|cables?)",
        r"(wal|adeilad|to|nenfwd|simnai|sgaffald\w*|balconi|tŷ|ty|pont)( \S+){0,3} (ar fin|yn mynd i) "
        r"(cwympo|gwympo|disgyn|syrthio|dymchwel|dod i lawr)",
        r"wedi dymchwel",
        r"(gwifr(au)?|gwifren|ceblau?|cebl) (trydan )?(noeth|byw|yn gwreichioni)",
    ),
    # Someone not seen for days: a welfare check (the police on 101, or 999), not a missed bin.
    "welfare": (
        r"(she|he|they|neighbou?r|mum|mother|dad|father|nan|gran|grandma|grandad|granddad|lady|man|woman|"
        r"tenant|friend|resident)( \w+){0,2} (hasn'?t|has not|haven'?t|have not|hadn'?t) been (seen|heard from)"
        r"( \w+){0,3} (for|in|since) (days|a few days|\d+ days|a week|over a week|weeks|ages|a while)",
        r"(haven'?t|have not|hasn'?t|has not|not|no one has|nobody has|no-one has) (seen|heard from) "
        r"(her|him|them|(my|our|the) (elderly |old |vulnerable |disabled )?(neighbou?r|mum|mother|dad|father|nan|"
        r"gran|grandma|grandad|lady|man|woman|tenant|friend))( \w+){0,3} (for|in|since) "
        r"(days|a few days|\d+ days|a week|over a week|weeks|ages|a while)",
        r"(worried|concerned) (about|for) (the )?(welfare|safety) of",
        r"welfare check",
        r"heb (ei |eu )?(gweld|weld|chlywed|clywed) ers (dyddiau|diwrnodau|wythnos|wythnosau|sbel)",
        r"(poeni|pryderu) am (les|ddiogelwch)",
    ),
    # A road blocked by a fallen tree or pole: the highways team's emergency, phoned in out
    # of hours, not a report to wait for. (Traffic lights out stay a report, as trained.)
    "road_blocked": (
        r"(tree|branch|lamp ?post|pole|telegraph pole)( \w+){0,2} (has |have )?(fallen|come down|blown down|down) "
        r"(across|over|onto|on|in|blocking) (the )?(road|carriageway|street|lane)",
        r"(fallen|blown down) (tree|branch|lamp ?post|pole)( \w+){0,3} (across|blocking) (the )?(road|carriageway|street)",
        r"(road|carriageway|street) (is |'s )?(completely |totally )?blocked by (a |the )?(fallen )?(tree|branch)",
        r"(coeden|cangen|polyn)( \S+){0,2} wedi (cwympo|disgyn|syrthio) (ar draws|ar) (y ffordd|yr heol|y stryd)",
    ),
}

_COMPILED: Tuple[Tuple[str, Pattern[str]], ...] = tuple(
    (category, re.compile(r"\b(?:" + "|".join(phrases) + r")\b", re.IGNORECASE))
    for category, phrases in _PHRASES.items()
)

CATEGORIES: Tuple[str, ...] = tuple(_PHRASES)

# Matches that describe a danger that has not happened, or someone else's situation, not an
# emergency now: "someone could be seriously injured", "lucky not to be badly hurt" (a report
# of a hazard, answered as a report), "homeless men sleep in the doorway" (the resident is
# not the one without a home tonight). Read just before the match (or, for "homeless", just
# after it). An actual injury or a resident's own homelessness still matches.
_NOT_NOW: Dict[str, Tuple[Pattern[str], Optional[Pattern[str]]]] = {
    "risk_to_life": (
        re.compile(r"\b((could|might|may|will|would|wo|to|gonna|going to|not)( \w+)?( be| get| getting)"
                   r"|before \w+ (is|are|gets?|getting))$", re.IGNORECASE),
        None,
    ),
    # "was set on fire", "been on fire last week": a fire that is over (a burnt-out car is a report).
    "fire": (
        re.compile(r"\b(was|were|been|had|set|got|subsequently|previously|earlier|once|burnt|burned)( \w+)?$",
                   re.IGNORECASE),
        re.compile(r"^ (last|yesterday|earlier|previously|a (few|couple of) (days|weeks|months) ago)\b", re.IGNORECASE),
    ),
    # "people sleeping rough in the alley", "the water has nowhere to go": not the resident.
    "homeless_tonight": (
        re.compile(r"\b((the|some|several|a few|many|two|three|these|those|of|for)( \w+)?"
                   r"|(people|men|women|someone|somebody|guys|lads|folk|a (man|woman|guy|person))"
                   r"( are| is| who are| have been| been| keep| always| often)?"
                   r"|(water|rain\w*|sewage|floodwater)( \w+){0,3})$", re.IGNORECASE),
        re.compile(r"^ (men|man|women|woman|people|person|persons|guys?|lads?|folk|community|"
                   r"encampments?|camps?|tents?|shelters?|charit\w*)\b", re.IGNORECASE),
    ),
    # "when you ask them to move you get abuse", "abuse of the disabled bays", "your binmen
    # were abusive", "the bus hits them": a report or a complaint, not someone being harmed
    # ("staff" and "carers" are left out: care staff being abusive is a safeguarding matter).
    "abuse": (
        re.compile(r"\b((get|got|gets|getting|received|receive|give|gave)( \w+)?( verbal| a lot of| loads of)?"
                   r"|(binmen|bin men|crew|crews|drivers?|wardens?|collectors?|operatives?)"
                   r"( \w+)?( were| was| are| is| being| got)( very| really| quite| so| extremely)?"
                   r"|(bus|buses|lorry|lorries|van|vans|car|cars|truck|trucks|traffic|vehicles?|ball|branch\w*))$",
                   re.IGNORECASE),
        re.compile(r"^ of (the |our |a )?(disabled|blue|bays?|parking|permits?|bins?|recycling|system|process|power|"
                   r"position|trust|the)\b", re.IGNORECASE),
    ),
}


def _now(category: str, text: str, match: "re.Match[str]") -> bool:
    """Whether this match is about an emergency now (see ``_NOT_NOW``)."""
    exclusion = _NOT_NOW.get(category)
    if exclusion is None:
        return True
    before, after = exclusion
    return not (before.search(text[: match.start()].rstrip())
                or (after is not None and after.search(text[match.end():])))


def _normalise(text: str) -> str:
    # Curly apostrophes and runs of spaces are common in SMS.
    return " ".join((text or "").replace("\u2019", "'").replace("\u2018", "'").split())


def urgent_category(text: Optional[str]) -> Optional[str]:
    """The kind of urgency ``text`` describes (e.g. "gas"), or None."""
    normalised = _normalise(text or "")
    if not normalised:
        return None
    for category, pattern in _COMPILED:
        if any(_now(category, normalised, match) for match in pattern.finditer(normalised)):
            return category
    return None

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
    ),
    "homeless_tonight": (
        r"homeless",
        r"nowhere to (sleep|stay|live|go)",
        r"sleeping (rough|on the streets?|in (my|the) car)",
        r"(evicted|kicked out|thrown out|locked out of my home)( \w+)? (today|tonight)",
        r"no(where| place| roof)( \w+)? tonight",
    ),
    "gas": (
        r"smell(s|ing)? (of )?gas",
        r"gas (leak|leaking|smell)",
        r"smells? like gas",
        r"leak(ing)? gas",
        r"carbon monoxide",
    ),
    "dangerous_structure": (
        r"dangerous (structure|building|wall|roof|ceiling|chimney|scaffold\w*)",
        r"(wall|building|roof|ceiling|chimney|scaffold\w*|balcony|house|bridge)( \w+){0,2} "
        r"(is |are )?(about to |going to |might |could )?(collaps\w*|fall(ing)? down|coming down|caving in|cave in)",
        r"collaps(ed|ing)",
        r"(about to|going to|gonna|might|could) (collapse|fall down|come down|cave in)",
        r"(live|exposed|bare|sparking) (electric(al)? )?(wires?|cables?)",
    ),
}

_COMPILED: Tuple[Tuple[str, Pattern[str]], ...] = tuple(
    (category, re.compile(r"\b(?:" + "|".join(phrases) + r")\b", re.IGNORECASE))
    for category, phrases in _PHRASES.items()
)

CATEGORIES: Tuple[str, ...] = tuple(_PHRASES)


def _normalise(text: str) -> str:
    # Curly apostrophes and runs of spaces are common in SMS.
    return " ".join((text or "").replace("\u2019", "'").replace("\u2018", "'").split())


def urgent_category(text: Optional[str]) -> Optional[str]:
    """The kind of urgency ``text`` describes (e.g. "gas"), or None."""
    normalised = _normalise(text or "")
    if not normalised:
        return None
    for category, pattern in _COMPILED:
        if pattern.search(normalised):
            return category
    return None

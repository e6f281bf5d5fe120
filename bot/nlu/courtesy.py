"""Greetings, thanks and sign-offs around a report, taken off before classifying.

Residents wrap reports in courtesy: "Hi there, ... Many thanks, Sue". Those
words say nothing about the problem, yet a classifier that sees them can
answer ``thank`` or ``greet`` for a message that describes a missed bin. The
intent classifier reads the message without them; a message that is nothing
but courtesy ("thanks!", "hello") is read whole, so it stays a dialogue act.
"""

from __future__ import annotations

import re

_OPENING = re.compile(
    r"^\s*(?:(?:hiya|hi|hello|hey|helo|hullo|morning|good\s+(?:morning|afternoon|evening)|dear\s+(?:sir\s*/\s*madam|"
    r"sir\s+or\s+madam|sir|madam|council|team|all|[a-z]+)|to\s+whom\s+it\s+may\s+concern|greetings|"
    r"shwmae|bore\s+da|"
    # Welsh (issue 15): "Prynhawn da", "Noswaith dda", "Annwyl Syr/Fadam", "S'mae".
    r"helo|haia|s'?mae|shwmai|su'?mae|p(?:ryn)?hawn\s+da|pnawn\s+da|noswaith\s+dda|"
    r"annwyl\s+(?:syr\s*/\s*fadam|syr\s+neu\s+fadam|gyngor|gyfeillion|[a-z]+))"
    r"\b(?:\s+(?:there|all|team|council|bawb|'?na)\b)?[\s,.!:;-]*)+",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"(?:[\s,.!;-]*\b(?:many\s+thanks|thanks\s+(?:a\s+lot|in\s+advance|very\s+much|again)|thank\s+you(?:\s+(?:very\s+much|"
    r"in\s+advance|for\s+your\s+help|kindly))?|thanks|thx|ta|cheers|diolch(?:\s+yn\s+fawr)?|kind\s+regards|best\s+regards|"
    r"regards|best\s+wishes|yours\s+(?:faithfully|sincerely)|much\s+appreciated|appreciated|"
    r"diolch\s+(?:o\s+galon|yn\s+fawr\s+iawn|ymlaen\s+llaw|i\s+chi)|cofion(?:\s+gorau)?|yn\s+gywir|"
    r"yr\s+eiddoch\s+yn\s+gywir)\b"
    r"(?:[\s,.!-]+(?-i:[A-Z][a-z]+)(?:\s+(?-i:[A-Z][a-z]+))?)?[\s,.!:)]*)+$",
    re.IGNORECASE,
)
# Below this many words left, the courtesy was the message.
_MIN_WORDS_LEFT = 2


def without_courtesy(text: str) -> str:
    """The text without its opening greeting and closing thanks, if anything is left."""
    core = _OPENING.sub("", text, count=1)
    core = _CLOSING.sub("", core, count=1).strip()
    return core if len(core.split()) >= _MIN_WORDS_LEFT else text.strip()

"""Finding the parts of a message that may each report a different problem.

"The bin wasn't emptied on Mill Lane. Also the street light outside number 12
flickers all night" reports two problems. The message is cut into parts at
sentence ends and at words that start another subject ("also", "and another
thing", "plus"); the intent classifier then reads each part on its own. The
first problem told becomes the message's intent and each later one a
``further_problem`` entity (bot/nlu/intent_classifier.py), so the dialogue
takes them in the resident's order.
"""

from __future__ import annotations

import re
from typing import List, Tuple

FURTHER_PROBLEM_ENTITY = "further_problem"

# Intents that are a problem to report, as opposed to questions and dialogue acts.
PROBLEM_INTENT_PREFIXES = ("report_", "request_")

_BOUNDARY = re.compile(
    r"(?<=[.!?])\s+|\n+|;\s*|\s+-\s+"
    r"|(?<!\band)[,\s]+(?=(?:and\s+)?also\b)"
    r"|(?<!\band)[,\s]+(?=(?:and\s+)?(?:another\s+thing|while\s+i'?m\s+at\s+it|on\s+another\s+note|separately|plus)\b)"
    # Welsh: "ac hefyd" / "hefyd," (and also), "peth arall" (another thing), "yn ogystal" (as well).
    r"|(?<!\bac)(?<!\ba)[,\s]+(?=(?:ac?\s+)?(?:hefyd\s*,?\s+(?:mae|roedd|dyw|does|nid|ma)|peth\s+arall|yn\s+ogystal)\b)"
    # A comma, then "and" and a new subject: "...on Elm Close for 2 weeks, and the street light
    # outside no 6 is out"; Welsh ", ac mae ...". Without the comma "and" joins too much.
    r"|,\s*(?=and\s+(?:the|there|there's|theres|someone|somebody|a|an|my|our|another)\b|ac\s+mae\b)",
    re.IGNORECASE,
)
# A part shorter than this says too little to be a problem of its own.
MIN_PART_WORDS = 4

# "and" with a new subject but no comma, as texts are often typed: "bins werent emptied on
# tues and the streetlight by the post box is out". It joins too much to be a boundary of
# its own ("cars park on the pavement and the kids have to walk in the road" is one problem), so it
# is only a candidate: the classifier splits there when each side on its own confidently
# reports a different problem (bot/nlu/intent_classifier.py).
_AND_NEW_SUBJECT = re.compile(
    r"\s+and\s+(?=(?:the|there|there's|theres|there is|someone|somebody|a|an|my|our|another|also)\s)"
    # Welsh: "a'r" (and the), "ac mae" (and there is)
    r"|\s+(?=a'r\s)|\s+ac\s+(?=mae\b)",
    re.IGNORECASE,
)


# A part that tells of a problem already put right ("Last year you fixed the pothole
# outside, thank you. Now someone has dumped..."): history, not a problem to report.
# Unless the same part says it is back ("was fixed in May but has opened up again").
_PUT_RIGHT = re.compile(
    r"\b(?:you|they|the council|your team|someone) (?:\w+ )?(?:fixed|repaired|sorted|cleared|removed|replaced|mended)\b"
    r"|\b(?:was|were|got|has been|have been|had been) (?:\w+ )?(?:fixed|repaired|sorted|cleared|removed|replaced|mended|resolved)\b"
    r"|\bthank(?:s| you) for (?:fixing|sorting|clearing|removing|repairing|replacing|mending)\b",
    re.IGNORECASE,
)
_BACK_AGAIN = re.compile(r"\b(?:but|again|back|still|already|now|reappeared|reopened|not|n't|never|only)\b", re.IGNORECASE)


def tells_of_a_problem_put_right(part: str) -> bool:
    """True for a part about a problem that was dealt with and is not said to be back."""
    return bool(_PUT_RIGHT.search(part)) and not _BACK_AGAIN.search(part)


def is_problem_intent(intent: str) -> bool:
    return intent.startswith(PROBLEM_INTENT_PREFIXES)


def parts(text: str) -> List[Tuple[int, int]]:
    """Character spans of the message's parts worth classifying on their own."""
    spans: List[Tuple[int, int]] = []
    start = 0
    for boundary in _BOUNDARY.finditer(text):
        spans.append((start, boundary.start()))
        start = boundary.end()
    spans.append((start, len(text)))
    # Too-short parts join the part before them ("Bins missed. Again!").
    merged: List[Tuple[int, int]] = []
    for begin, end in spans:
        if not text[begin:end].strip():
            continue
        if merged and len(text[begin:end].split()) < MIN_PART_WORDS:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((begin, end))
    if len(merged) > 1 and len(text[merged[0][0]:merged[0][1]].split()) < MIN_PART_WORDS:
        merged[1] = (merged[0][0], merged[1][1])
        merged.pop(0)
    return [(b, e) for b, e in merged if len(text[b:e].split()) >= MIN_PART_WORDS] or [(0, len(text))]


def split_at_and(text: str, span: Tuple[int, int]) -> List[List[Tuple[int, int]]]:
    """Ways to cut one part in two at an "and" with a new subject and no comma, each side
    long enough to be a problem of its own (candidates: see ``_AND_NEW_SUBJECT``)."""
    begin, end = span
    cuts = []
    for match in _AND_NEW_SUBJECT.finditer(text, begin, end):
        left, right = (begin, match.start()), (match.end(), end)
        if all(len(text[b:e].split()) >= MIN_PART_WORDS for b, e in (left, right)):
            cuts.append([left, right])
    return cuts

"""An NLU component for a message that is a case reference, or little more.

The bot's confirmation tells residents to send their reference to ask about a
report. Sent on its own ("K5P6-A8H6", "k5p6 a8h6?") or in a few words ("my
reference is K5P6-A8H6", "cyfeirnod K5P6-A8H6"), it reads to the model as a
form answer (``inform``) or as nothing it knows, and the resident was asked
what they wanted. A valid reference (its check character matches,
bot/cases/references.py) with at most ``MAX_OTHER_WORDS`` other words is a
``case_status`` question, and so is a mistyped one sent alone (the question
then says it does not look right); longer messages are left to the model, which reads
"K5P6-A8H6 the bin still hasn't been emptied" better than a rule would.
"""

from __future__ import annotations

import re
from typing import Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe

from bot.cases import references
from bot.nlu.rule_based import RuleBasedIntentClassifier

CASE_STATUS_INTENT = "case_status"
MAX_OTHER_WORDS = 5
_WORD = re.compile(r"[^\W_]+")
_ALONE = re.compile(r"^\W*[A-Za-z0-9]{4}[\s\-]?[A-Za-z0-9]{4}\W*$")


def is_reference_question(text: str) -> bool:
    """A valid case reference and at most a few other words, or a mistyped one on its own."""
    if _ALONE.match(text or "") and re.search(r"\d", text) and re.search(r"[A-Za-z]", text):
        return True  # mistyped: the status question says so, and offers a way on (actions/cases.py)
    for canonical in references.valid_among(references.find_candidates(text or "")):
        # A letter as well as a digit: eight digits are more likely part of a phone number.
        if not re.search(r"[A-Z]", canonical):
            continue
        first, second = canonical.split("-")
        rest = re.sub(rf"{first}[\s\-]?{second}", " ", text, count=1, flags=re.IGNORECASE)
        return len(_WORD.findall(rest)) <= MAX_OTHER_WORDS
    return False


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class CaseReferenceClassifier(RuleBasedIntentClassifier):
    """Sets the intent to ``case_status`` for a valid reference in a short message."""

    def intent_for(self, text: str) -> Optional[str]:
        return CASE_STATUS_INTENT if is_reference_question(text) else None

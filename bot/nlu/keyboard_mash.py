"""An NLU component for keyboard mash: "asdf jkl", "lkjhg fdsa", "zxcvb".

Letters run along a keyboard row are not words in any language. The intent
classifier's character n-grams, trained on Welsh as well as English, read
them as a form answer (``inform``, up to 0.8), so the bot took mash for an
address. Here it becomes ``nlu_fallback``, as any message the model cannot
read: the bot says it did not understand, and twice in a row offers a person
(actions/escalation.py).

Only what is surely mash: at least one run of four or more letters along one
keyboard row ("asdf", "poiuy"), every other word without a vowel ("jkl"), no
capitals, digits or more than four words. Other nonsense ("zzqv wxkp") is left
to the model; consonant clusters are no test, as "thnks" and "Blackthorn" show.
"""

from __future__ import annotations

import re
from typing import Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME

from bot.nlu.rule_based import RuleBasedIntentClassifier

_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_WORD = re.compile(r"[a-z]+")
_VOWEL = re.compile(r"[aeiou]")
MAX_WORDS = 4


def _row_run(word: str) -> bool:
    """Four or more letters along one keyboard row, either way ("asdf", "lkjh")."""
    return len(word) >= 4 and any(word in row or word in row[::-1] for row in _KEYBOARD_ROWS)


def is_mash(text: str) -> bool:
    """Whether ``text`` is keyboard mash (see the module's docstring)."""
    if not text or re.search(r"[A-Z0-9]", text):
        return False
    words = _WORD.findall(text)
    if not words or len(words) > MAX_WORDS:
        return False
    # Nothing but the words and a little punctuation ("asdf jkl;").
    if sum(len(w) for w in words) < len(re.sub(r"\s", "", text)) - 2:
        return False
    rows = [w for w in words if _row_run(w)]
    return bool(rows) and all(w in rows or not _VOWEL.search(w) for w in words)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class KeyboardMashClassifier(RuleBasedIntentClassifier):
    """Sets the intent to ``nlu_fallback`` when a message is keyboard mash."""

    def intent_for(self, text: str) -> Optional[str]:
        return DEFAULT_NLU_FALLBACK_INTENT_NAME if is_mash(text) else None

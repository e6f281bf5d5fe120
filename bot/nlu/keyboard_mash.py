"""An NLU component for keyboard mash: "asdf jkl", "lkjhg fdsa", "zxcvb".

Letters run along a keyboard row are not words in any language. The intent
classifier's character n-grams, trained on Welsh as well as English, read
them as a form answer (``inform``, up to 0.8), so the bot took mash for an
address. Here it becomes ``nlu_fallback``, as any message the model cannot
read: the bot says it did not understand, and twice in a row offers a person
(actions/escalation.py).

What counts as mash is ``bot.answers.is_mash`` (the forms refuse it as an
answer too).
"""

from __future__ import annotations

from typing import Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME

from bot.answers import is_mash
from bot.nlu.rule_based import RuleBasedIntentClassifier

__all__ = ["KeyboardMashClassifier", "is_mash"]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class KeyboardMashClassifier(RuleBasedIntentClassifier):
    """Sets the intent to ``nlu_fallback`` when a message is keyboard mash."""

    def intent_for(self, text: str) -> Optional[str]:
        return DEFAULT_NLU_FALLBACK_INTENT_NAME if is_mash(text) else None

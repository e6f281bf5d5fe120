"""An NLU component for a resident who did not follow: "what?", "huh", "I don't understand".

The intent classifier reads such short turns as whatever they resemble:
"huh" as ``affirm`` (0.85), "I don't understand" as ``cancel``, "what" as a
council question. At a read-back "huh" then counted as a yes. Here they become
``nlu_fallback``: in a form the question is asked again, elsewhere the bot
says it did not understand and gives examples, and twice in a row offers a
person (actions/escalation.py). What counts is ``bot.answers.is_confused``.
"""

from __future__ import annotations

from typing import Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME

from bot.answers import is_confused
from bot.nlu.rule_based import RuleBasedIntentClassifier


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ConfusedClassifier(RuleBasedIntentClassifier):
    """Sets the intent to ``nlu_fallback`` when a message says the resident did not follow."""

    def intent_for(self, text: str) -> Optional[str]:
        return DEFAULT_NLU_FALLBACK_INTENT_NAME if is_confused(text) else None

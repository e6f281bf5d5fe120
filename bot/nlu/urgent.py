"""An NLU pipeline component that marks urgent messages as ``emergency``.

Runs last in config.yml's pipeline (after FallbackClassifier), so whatever
the trained model thought, a message with an urgent phrase (bot/escalation/
urgent.py) reaches the dialogue as the ``emergency`` intent with confidence
1.0. The model's own guess stays in the intent ranking for staff to see.
"""

from __future__ import annotations

from typing import Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe

from bot.escalation.urgent import urgent_category
from bot.nlu.rule_based import RuleBasedIntentClassifier

EMERGENCY_INTENT = "emergency"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class UrgentPhraseClassifier(RuleBasedIntentClassifier):
    """Overrides the predicted intent with ``emergency`` when an urgent phrase is present."""

    def intent_for(self, text: str) -> Optional[str]:
        return EMERGENCY_INTENT if urgent_category(text) is not None else None

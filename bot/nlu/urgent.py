"""An NLU pipeline component that marks urgent messages as ``emergency``.

Runs last in config.yml's pipeline (after FallbackClassifier), so whatever
the trained model thought, a message with an urgent phrase (bot/escalation/
urgent.py) reaches the dialogue as the ``emergency`` intent with confidence
1.0. The model's own guess stays in the intent ranking for staff to see.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from bot.escalation.urgent import urgent_category

EMERGENCY_INTENT = "emergency"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class UrgentPhraseClassifier(GraphComponent):
    """Overrides the predicted intent with ``emergency`` when an urgent phrase is present."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "UrgentPhraseClassifier":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            category = urgent_category(message.get("text"))
            if category is None:
                continue
            ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != EMERGENCY_INTENT]
            message.set("intent", {"name": EMERGENCY_INTENT, "confidence": 1.0}, add_to_output=True)
            message.set("intent_ranking", [{"name": EMERGENCY_INTENT, "confidence": 1.0}, *ranking], add_to_output=True)
        return messages

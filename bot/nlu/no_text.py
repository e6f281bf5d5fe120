"""An NLU component for messages with no words in them.

Empty messages, emoji only, punctuation only: there is nothing to
understand, so instead of the model's guess (or "not understood", which
counts towards escalating to a person) they get the ``no_text`` intent and a
reply that says what happened.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

NO_TEXT_INTENT = "no_text"
_WORD_CHARACTER = re.compile(r"\w", re.UNICODE)


def has_words(text: str) -> bool:
    """True when the text has at least one letter or digit (in any script)."""
    return bool(_WORD_CHARACTER.search((text or "").replace("_", "")))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class NoTextClassifier(GraphComponent):
    """Sets the intent to ``no_text`` when a message has no letters or digits."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "NoTextClassifier":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if has_words(message.get("text") or ""):
                continue
            message.set("intent", {"name": NO_TEXT_INTENT, "confidence": 1.0}, add_to_output=True)
            message.set("intent_ranking", [{"name": NO_TEXT_INTENT, "confidence": 1.0}], add_to_output=True)
            message.set("entities", [], add_to_output=True)
        return messages

"""Base for NLU components that set the intent by rule, after the trained model.

Some messages must never depend on a statistical guess (no words at all;
urgent and safeguarding phrases). Subclasses say which intent a text gets;
the base overrides the model's prediction and keeps its ranking for staff.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message


class RuleBasedIntentClassifier(GraphComponent):
    """Overrides the predicted intent when :meth:`intent_for` returns one."""

    # Keep the model's own guesses in the ranking (shown to staff).
    keep_ranking = True

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RuleBasedIntentClassifier":
        return cls()

    def intent_for(self, text: str) -> Optional[str]:
        """The intent this text must have, or None to leave the model's prediction."""
        raise NotImplementedError

    def intent_for_message(self, message: Message) -> Optional[str]:
        """As :meth:`intent_for`; a subclass that also weighs the model's reading overrides this."""
        return self.intent_for(message.get("text") or "")

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = self.intent_for_message(message)
            if intent is None:
                continue
            forced = {"name": intent, "confidence": 1.0}
            ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != intent]
            message.set("intent", forced, add_to_output=True)
            message.set("intent_ranking", [forced, *ranking] if self.keep_ranking else [forced], add_to_output=True)
        return messages

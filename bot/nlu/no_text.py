"""An NLU component for messages with no words in them.

Empty messages, emoji only, punctuation only: there is nothing to
understand, so instead of the model's guess (or "not understood", which
counts towards escalating to a person) they get the ``no_text`` intent and a
reply that says what happened.
"""

from __future__ import annotations

import re
from typing import List, Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.rule_based import RuleBasedIntentClassifier

NO_TEXT_INTENT = "no_text"
_WORD_CHARACTER = re.compile(r"\w", re.UNICODE)


def has_words(text: str) -> bool:
    """True when the text has at least one letter or digit (in any script)."""
    return bool(_WORD_CHARACTER.search((text or "").replace("_", "")))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class NoTextClassifier(RuleBasedIntentClassifier):
    """Sets the intent to ``no_text`` when a message has no letters or digits."""

    keep_ranking = False

    def intent_for(self, text: str) -> Optional[str]:
        return None if has_words(text) else NO_TEXT_INTENT

    def process(self, messages: List[Message]) -> List[Message]:
        for message in super().process(messages):
            if message.get("intent", {}).get("name") == NO_TEXT_INTENT:
                message.set("entities", [], add_to_output=True)
        return messages

"""Rasa's ResponseSelector, run only on the messages that need it.

The ResponseSelector picks the answer to a FAQ ("faq/bin_day",
"faq/council_tax", ...). Rasa runs it on every message, yet only a message
DIET classified as ``faq`` ever uses its answer: for the rest it is a second
neural network pass (~8% of the Rasa server's CPU on the REST benchmark)
whose result nobody reads. Training is unchanged.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class FaqResponseSelector(ResponseSelector):
    """Selects an answer only for messages whose intent is the retrieval intent."""

    def process(self, messages: List[Message]) -> List[Message]:
        retrieval_intent = self.retrieval_intent
        needing_answer = [
            message
            for message in messages
            if retrieval_intent is None or (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == retrieval_intent
        ]
        if needing_answer:
            super().process(needing_answer)
        return messages

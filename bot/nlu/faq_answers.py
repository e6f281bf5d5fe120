"""Which answer a frequently asked question gets ("faq/bin_day", "faq/council_tax", ...).

A second logistic regression over the intent classifier's own features
(sentence encoder + word and character n-grams), trained on the FAQ examples
with their answer keys. It replaced Rasa's ResponseSelector, a TensorFlow
network that needed three featurisers of its own run on every message, took
about a minute of every training, and chose the right answer less often
(docs/nlu-evaluation.md). The answer is written where Rasa's ResponseSelector
writes it (``response_selector.faq.response``), so Rasa's retrieval actions
and our actions read it unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Text

import numpy as np
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.constants import INTENT_RESPONSE_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from bot.nlu.linear import Weights, split_weights

RANKING_LENGTH = 10


@dataclass
class AnswerModel:
    """The answer classifier and the answers' texts, as stored in the model."""

    model: LogisticRegression
    word_count: int
    # "utter_faq/bin_day" -> the response variations, as Rasa's selector reports them.
    responses: Dict[Text, List[Dict[Text, Any]]]
    _weights: Optional[Weights] = field(default=None, repr=False)

    def split_weights(self) -> Weights:
        if self._weights is None:
            self._weights = split_weights(self.model, self.word_count)
        return self._weights

    def set_answer(self, message: Message, row: np.ndarray, retrieval_intent: Text) -> None:
        """Write the likeliest answer (and the ranking) into the message, as Rasa's selector does."""
        order = np.argsort(row)[::-1][:RANKING_LENGTH]
        keys = [str(self.model.classes_[i]) for i in order]
        best = keys[0]
        utter_action = f"utter_{best}"
        prediction = {
            RESPONSE_SELECTOR_PREDICTION_KEY: {
                RESPONSE_SELECTOR_RESPONSES_KEY: self.responses.get(utter_action, []),
                PREDICTED_CONFIDENCE_KEY: float(row[order[0]]),
                INTENT_RESPONSE_KEY: best,
                RESPONSE_SELECTOR_UTTER_ACTION_KEY: utter_action,
            },
            RESPONSE_SELECTOR_RANKING_KEY: [
                {"id": int(i), PREDICTED_CONFIDENCE_KEY: float(row[i]), INTENT_RESPONSE_KEY: key}
                for i, key in zip(order, keys)
            ],
        }
        properties = dict(message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {})
        properties[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = [retrieval_intent]
        properties[retrieval_intent] = prediction
        message.set(RESPONSE_SELECTOR_PROPERTY_NAME, properties, add_to_output=True)


def train(
    examples: Sequence[Message],
    features: sparse.csr_matrix,
    retrieval_intent: Text,
    responses: Dict[Text, List[Dict[Text, Any]]],
    word_count: int,
    C: float,
    random_seed: int,
) -> Optional[AnswerModel]:
    """Fit the answer classifier on the rows of ``features`` whose example is a FAQ.

    ``features`` are the intent classifier's, one row per example, in order.
    None when there are fewer than two answers to choose between.
    """
    rows = [i for i, m in enumerate(examples) if m.get("intent") == retrieval_intent]
    labels = [examples[i].get_full_intent() for i in rows]
    if len(set(labels)) < 2:
        return None
    model = LogisticRegression(C=C, max_iter=5000, random_state=random_seed).fit(features[rows], labels)
    kept = {f"utter_{key}": list(responses.get(f"utter_{key}", [])) for key in set(labels)}
    return AnswerModel(model=model, word_count=word_count, responses=kept)

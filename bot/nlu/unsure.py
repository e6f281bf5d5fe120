"""Ask instead of guessing when NLU is unsure which problem a resident reports.

Rasa's FallbackClassifier asks only when the model is unsure of anything at
all (below 0.3). A report the model reads as "fly-tipping 0.45, litter 0.35"
is a guess worth checking: this component turns it into ``nlu_fallback``, the
same way FallbackClassifier does, and the dialogue then offers the likeliest
kinds of report as choices (actions/choices.py). Dialogue acts ("yes",
"thanks") are never questioned here: for them a wrong guess costs little and
a question would be odd. The one exception is a long message read as a bare
form answer (``inform``) with a kind of report close behind: "two armchairs
and a mattress on the verge outside 14 Mill Lane" names a place and things,
and outside a form it is a report whose kind is worth asking about (inside a
form the form reads the text whatever the intent).

Welsh readings are right as often as English ones but less confident (the
sentence encoder reads a gloss of them: bot/nlu/welsh_gloss.py), so a Welsh
message may have a threshold and a margin of its own (``welsh_threshold``,
``welsh_margin``), chosen on the Welsh dev set (tests/nlu/dev_cy.yml), not on the held-out
set: docs/nlu-evaluation.md, "Welsh".
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu import welsh_gloss
from bot.nlu.several_problems import FURTHER_PROBLEM_ENTITY, is_problem_intent

# The intent of a bare form answer (a place, a description, a plate).
INFORM = "inform"


def unsure(ranking: List[Dict[str, Any]], told: set, threshold: float, margin: float) -> bool:
    """Whether the top reading is a problem the model is not sure enough of.

    ``told``: problems the message reports besides the first (their closeness
    is no doubt about the first one).
    """
    if not ranking or not is_problem_intent(ranking[0]["name"]):
        return False
    top = float(ranking[0]["confidence"])
    rivals = [float(r["confidence"]) for r in ranking[1:] if is_problem_intent(r["name"]) and r["name"] not in told]
    return top < threshold or (bool(rivals) and top - max(rivals) < margin)


def report_behind_answer(
    ranking: List[Dict[str, Any]], words: int, min_words: int, margin: float, min_report: float = 0.1
) -> bool:
    """Whether a message of ``words`` words read as a bare form answer (``inform``) is
    more likely a report: long enough, with a kind of report within ``margin`` of it and
    at least ``min_report`` likely (so the question has a report to offer: the
    dialogue offers none below bot.categories.MIN_CHOICE_CONFIDENCE, 0.1)."""
    if not ranking or ranking[0]["name"] != INFORM or words < min_words:
        return False
    top = float(ranking[0]["confidence"])
    best = max((float(r["confidence"]) for r in ranking[1:] if is_problem_intent(r["name"])), default=0.0)
    return best >= min_report and top - best < margin


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class UnsureReportFallback(GraphComponent):
    """Turns an uncertain reading of a problem into ``nlu_fallback``."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Chosen on the real reports' outcomes (docs/nlu-evaluation.md, "When unsure, ask").
        # welsh_threshold / welsh_margin: None reads Welsh messages with ``threshold`` / ``margin``.
        return {"threshold": 0.5, "margin": 0.3, "answer_min_words": 8, "answer_margin": 0.5,
                "answer_min_report": 0.1, "welsh_threshold": None, "welsh_margin": None}

    def __init__(self, config: Dict[Text, Any]) -> None:
        config = {**self.get_default_config(), **config}
        self.threshold = float(config["threshold"])
        self.margin = float(config["margin"])
        self.answer_min_words = int(config["answer_min_words"])
        self.answer_margin = float(config["answer_margin"])
        self.answer_min_report = float(config["answer_min_report"])
        welsh = config.get("welsh_threshold")
        self.welsh_threshold = self.threshold if welsh is None else float(welsh)
        welsh = config.get("welsh_margin")
        self.welsh_margin = self.margin if welsh is None else float(welsh)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "UnsureReportFallback":
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            ranking = message.get(INTENT_RANKING_KEY) or []
            if (message.get(INTENT) or {}).get("name") == DEFAULT_NLU_FALLBACK_INTENT_NAME:
                continue
            told = {e["value"] for e in message.get(ENTITIES) or [] if e.get("entity") == FURTHER_PROBLEM_ENTITY}
            words = len((message.get(TEXT) or "").split())
            if self._unsure(ranking, told, message.get(TEXT) or "") or report_behind_answer(
                ranking, words, self.answer_min_words, self.answer_margin, self.answer_min_report
            ):
                fallback = {"name": DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": self.threshold}
                message.set(INTENT, fallback, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [fallback, *ranking], add_to_output=True)
        return messages

    def _unsure(self, ranking: List[Dict[str, Any]], told: set, text: str) -> bool:
        """``unsure`` at the message's language's threshold and margin (the language is looked
        up only for a reading that the two languages' settings would treat differently)."""
        english = unsure(ranking, told, self.threshold, self.margin)
        welsh = unsure(ranking, told, self.welsh_threshold, self.welsh_margin)
        if english == welsh:
            return english
        return welsh if welsh_gloss.welsh_flags([text])[0] else english

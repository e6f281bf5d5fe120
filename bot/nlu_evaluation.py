"""Evaluate the NLU model on the held-out test set (tests/nlu/holdout.yml).

The held-out set is written separately from data/nlu/ and never trained on.
``python -m bot.nlu_evaluation`` prints per-intent precision, recall and F1;
tests/test_nlu_evaluation.py fails the build below macro-F1 0.85.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Tuple

from bot.settings import PROJECT_ROOT

HOLDOUT = PROJECT_ROOT / "tests" / "nlu" / "holdout.yml"


@dataclass(frozen=True)
class IntentScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    scores: Dict[str, IntentScore]
    errors: List[Tuple[str, str, str]]  # (expected, predicted, text)
    # Of the FAQ questions, how many got the right answer (faq/council_tax, ...).
    faq_answers_right: int = 0
    faq_questions: int = 0

    @property
    def macro_f1(self) -> float:
        return sum(s.f1 for s in self.scores.values()) / len(self.scores)

    @property
    def accuracy(self) -> float:
        total = sum(s.support for s in self.scores.values())
        return 1 - len(self.errors) / total

    def report(self) -> str:
        lines = [f"{'intent':<28}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}"]
        for intent, s in sorted(self.scores.items()):
            lines.append(f"{intent:<28}{s.precision:>10.3f}{s.recall:>10.3f}{s.f1:>10.3f}{s.support:>9}")
        lines.append(f"{'macro avg':<28}{'':>10}{'':>10}{self.macro_f1:>10.3f}{len(self.scores):>9}")
        lines.append(f"accuracy {self.accuracy:.3f} over {sum(s.support for s in self.scores.values())} messages")
        if self.faq_questions:
            lines.append(f"FAQ answers right {self.faq_answers_right}/{self.faq_questions}")
        return "\n".join(lines)


def score(pairs: List[Tuple[str, str, str]]) -> Evaluation:
    """Per-intent scores over the intents of the test set (a prediction of
    nlu_fallback counts as a miss for the true intent)."""
    intents = sorted({expected for expected, _, _ in pairs})
    scores = {}
    for intent in intents:
        tp = sum(1 for e, p, _ in pairs if e == intent and p == intent)
        fp = sum(1 for e, p, _ in pairs if e != intent and p == intent)
        fn = sum(1 for e, p, _ in pairs if e == intent and p != intent)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[intent] = IntentScore(precision, recall, f1, tp + fn)
    return Evaluation(scores, [(e, p, t) for e, p, t in pairs if e != p])


def evaluate(model_path: Path, holdout: Path = HOLDOUT) -> Evaluation:
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    agent = Agent.load(str(model_path))
    examples = load_data(str(holdout)).intent_examples

    faq_right = 0

    async def predict() -> List[Tuple[str, str, str]]:
        nonlocal faq_right
        pairs = []
        for example in examples:
            parsed = await agent.parse_message(example.get("text"))
            pairs.append((example.get("intent"), parsed["intent"]["name"], example.get("text")))
            if example.get("intent") == "faq":
                answer = ((parsed.get("response_selector") or {}).get("faq") or {}).get("response") or {}
                faq_right += answer.get("intent_response_key") == example.get_full_intent()
        return pairs

    result = score(asyncio.run(predict()))
    faq_questions = sum(1 for e in examples if e.get("intent") == "faq")
    return replace(result, faq_answers_right=faq_right, faq_questions=faq_questions)


if __name__ == "__main__":
    from bot.model import model_path

    result = evaluate(Path(sys.argv[1]) if len(sys.argv) > 1 else model_path())
    print(result.report())
    print("\nMisclassified:")
    for expected, predicted, text in result.errors:
        print(f"  {expected} -> {predicted}: {text}")

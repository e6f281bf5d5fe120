"""How well the NLU model understands residents, on text it never trained on.

``python -m bot.nlu_evaluation`` measures the trained model on:

- the held-out set we wrote (tests/nlu/holdout.yml): per-intent precision,
  recall and F1 (tests/test_nlu_evaluation.py keeps macro-F1 at 0.92 or more);
- the Welsh held-out set (tests/nlu/holdout_cy.yml, issue 15): the same
  figures for Welsh messages, read by the same model, and the share whose first
  reading is right (tests/test_nlu_evaluation.py keeps floors under both);
  ``--welsh-only`` measures just that; ``--dev-cy`` measures instead the
  Welsh dev set (tests/nlu/dev_cy.yml), on which the Welsh asking threshold and
  margin are tuned, so that the held-out set is measured once, at the end;
- out-of-scope messages we wrote (tests/nlu/out_of_scope.yml): how many the
  bot recognises as not the council's business;
- real residents' reports (``--real PATH``, by default
  ../shared/nlu-dev/real_reports.yml when it is there; read in place, never
  copied into the repository): accuracy, recall per label, the commonest
  confusions, accuracy and parse time by message length, and how often the
  bot is right first time, right after one question (it offers the likeliest
  kinds of report when unsure), or wrong. A confusion-matrix PNG and an HTML
  report go to ``results/``.

A text we wrote says how well the model fits our own style; only the real
reports say how well it understands residents.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

from bot.categories import likeliest
from bot.settings import PROJECT_ROOT

HOLDOUT = PROJECT_ROOT / "tests" / "nlu" / "holdout.yml"
HOLDOUT_CY = PROJECT_ROOT / "tests" / "nlu" / "holdout_cy.yml"
DEV_CY = PROJECT_ROOT / "tests" / "nlu" / "dev_cy.yml"
OUT_OF_SCOPE = PROJECT_ROOT / "tests" / "nlu" / "out_of_scope.yml"
REAL_REPORTS = PROJECT_ROOT.parent / "shared" / "nlu-dev" / "real_reports.yml"
RESULTS = PROJECT_ROOT / "results"

FALLBACK = "nlu_fallback"
LENGTH_BUCKETS: Tuple[Tuple[str, int, int], ...] = (
    ("1-10 words", 1, 10), ("11-20 words", 11, 20), ("21-40 words", 21, 40), ("over 40 words", 41, 10**9),
)


# ----- the held-out set (precision, recall, F1) ---------------------------------
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


# ----- parsing ---------------------------------------------------------------------
@dataclass(frozen=True)
class Parsed:
    text: str
    intent: str
    ranking: List[Dict[str, Any]]
    seconds: float
    faq_answer: Optional[str] = None

    @property
    def top_reading(self) -> str:
        """The model's own first choice, before the fallback's verdict."""
        return next((r["name"] for r in self.ranking if r.get("name") != FALLBACK), self.intent)

    @property
    def choices(self) -> List[str]:
        """What the bot offers when it asks (the likeliest kinds of report)."""
        return likeliest(self.ranking)


class Parser:
    """The trained model's NLU, loaded once."""

    def __init__(self, model_path: Path) -> None:
        import logging

        from rasa.core.agent import Agent
        from rasa.utils.log_utils import configure_structlog

        # Rasa logs every parse at debug level; a thousand of them hide the figures.
        configure_structlog(logging.WARNING)
        logging.getLogger("rasa").setLevel(logging.WARNING)
        # Parsed as the Rasa server parses (the same components, with our speed fixes to Rasa's
        # internals: bot/rasa_patches.py), so the parse times by length are the served ones.
        from bot import rasa_patches

        rasa_patches.apply()
        self.agent = Agent.load(str(model_path))

    def parse(self, texts: Sequence[str]) -> List[Parsed]:
        async def run() -> List[Parsed]:
            out = []
            for text in texts:
                started = time.perf_counter()
                data = await self.agent.parse_message(text)
                seconds = time.perf_counter() - started
                answer = ((data.get("response_selector") or {}).get("faq") or {}).get("response") or {}
                out.append(Parsed(text, data["intent"]["name"], data.get("intent_ranking") or [], seconds,
                                  answer.get("intent_response_key")))
            return out

        return asyncio.run(run())


def evaluate(model_path: Path, holdout: Path = HOLDOUT, parser: Optional[Parser] = None) -> Evaluation:
    from rasa.shared.nlu.training_data.loading import load_data

    parser = parser or Parser(model_path)
    examples = load_data(str(holdout)).intent_examples
    parsed = parser.parse([e.get("text") for e in examples])
    result = score([(e.get("intent"), p.intent, e.get("text")) for e, p in zip(examples, parsed)])
    faq = [(e, p) for e, p in zip(examples, parsed) if e.get("intent") == "faq"]
    right = sum(p.intent == "faq" and p.faq_answer == e.get_full_intent() for e, p in faq)
    return Evaluation(result.scores, result.errors, right, len(faq))


def readings(parser: Parser, holdout: Path) -> Tuple[float, float]:
    """Of a held-out set: the share whose first reading (the model's own choice, before the
    fallback's verdict) is right, and the share right first time or right after one question
    (a report read as nlu_fallback whose intent is among the kinds the bot then offers)."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = load_data(str(holdout)).intent_examples
    parsed = parser.parse([e.get("text") for e in examples])
    first = sum(p.top_reading == e.get("intent") for e, p in zip(examples, parsed))
    asked = sum(p.intent == FALLBACK and e.get("intent") in p.choices for e, p in zip(examples, parsed))
    right = sum(p.intent == e.get("intent") for e, p in zip(examples, parsed))
    return first / len(examples), (right + asked) / len(examples)


# ----- real reports ----------------------------------------------------------------
@dataclass(frozen=True)
class RealExample:
    text: str
    accepted: Tuple[str, ...]

    @property
    def label(self) -> str:
        return self.accepted[0]

    @property
    def words(self) -> int:
        return len(self.text.split())


def load_real(path: Path) -> List[RealExample]:
    """Examples in the real_reports.yml format: ``examples: [{text, accepted: [...]}, ...]``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [RealExample(str(e["text"]), tuple(e["accepted"])) for e in data.get("examples") or []]


@dataclass
class RealEvaluation:
    examples: List[RealExample]
    parsed: List[Parsed]
    labels: List[str] = field(init=False)

    def __post_init__(self) -> None:
        self.labels = sorted({e.label for e in self.examples})

    def _right(self, example: RealExample, parsed: Parsed) -> bool:
        return parsed.top_reading in example.accepted

    @property
    def accuracy(self) -> float:
        return sum(map(self._right, self.examples, self.parsed)) / len(self.examples)

    def recall_by_label(self) -> Dict[str, float]:
        hits: Dict[str, List[bool]] = defaultdict(list)
        for e, p in zip(self.examples, self.parsed):
            hits[e.label].append(self._right(e, p))
        return {label: sum(v) / len(v) for label, v in sorted(hits.items())}

    def confusions(self, most: int = 20) -> List[Tuple[Tuple[str, str], int]]:
        pairs = Counter((e.label, p.top_reading) for e, p in zip(self.examples, self.parsed) if not self._right(e, p))
        return pairs.most_common(most)

    def by_length(self) -> List[Tuple[str, int, float, float]]:
        """(bucket, messages, accuracy, median parse ms) per message length."""
        rows = []
        for name, low, high in LENGTH_BUCKETS:
            inside = [(e, p) for e, p in zip(self.examples, self.parsed) if low <= e.words <= high]
            if inside:
                rows.append((name, len(inside), sum(self._right(e, p) for e, p in inside) / len(inside),
                             statistics.median(p.seconds for _, p in inside) * 1000))
        return rows

    def outcomes(self) -> Dict[str, float]:
        """Share right first time, right after one question (the choice offered), and wrong."""
        counts = Counter()
        for e, p in zip(self.examples, self.parsed):
            if p.intent == FALLBACK:
                counts["after one question" if set(p.choices) & set(e.accepted) else "wrong"] += 1
            else:
                counts["right first time" if p.intent in e.accepted else "wrong"] += 1
        total = len(self.examples)
        return {k: counts[k] / total for k in ("right first time", "after one question", "wrong")}

    def report(self) -> str:
        lines = [f"Real reports: {len(self.examples)} messages, accuracy {self.accuracy:.3f}"]
        outcomes = self.outcomes()
        lines.append("  " + ", ".join(f"{k} {v:.3f}" for k, v in outcomes.items())
                     + f"; right first time or after one question {1 - outcomes['wrong']:.3f}")
        lines.append(f"{'label':<28}{'recall':>8}{'support':>9}")
        support = Counter(e.label for e in self.examples)
        for label, recall in self.recall_by_label().items():
            lines.append(f"{label:<28}{recall:>8.3f}{support[label]:>9}")
        lines.append(f"{'length':<16}{'messages':>9}{'accuracy':>10}{'parse p50 ms':>14}")
        for name, n, acc, ms in self.by_length():
            lines.append(f"{name:<16}{n:>9}{acc:>10.3f}{ms:>14.1f}")
        lines.append("Commonest confusions (label -> read as):")
        lines.extend(f"  {n:>3}  {a} -> {b}" for (a, b), n in self.confusions())
        return "\n".join(lines)

    def write(self, directory: Path) -> Tuple[Path, Path]:
        """A confusion-matrix PNG and an HTML report (texts escaped) under ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        png = directory / "real_reports_confusion.png"
        predicted = sorted({p.top_reading for p in self.parsed} | set(self.labels))
        matrix = [[0] * len(predicted) for _ in self.labels]
        for e, p in zip(self.examples, self.parsed):
            matrix[self.labels.index(e.label)][predicted.index(p.top_reading)] += 1
        _plot_confusion(matrix, self.labels, predicted, png)
        page = directory / "real_reports.html"
        page.write_text(self._html(png.name), encoding="utf-8")
        return png, page

    def _html(self, png_name: str) -> str:
        e = html.escape
        recall = "".join(f"<tr><th scope=row>{e(k)}</th><td>{v:.3f}</td></tr>" for k, v in self.recall_by_label().items())
        lengths = "".join(f"<tr><th scope=row>{e(n)}</th><td>{c}</td><td>{a:.3f}</td><td>{ms:.1f}</td></tr>"
                          for n, c, a, ms in self.by_length())
        outcomes = "".join(f"<tr><th scope=row>{e(k)}</th><td>{v:.3f}</td></tr>" for k, v in self.outcomes().items())
        misses = "".join(
            f"<tr><td>{e(x.label)}</td><td>{e(p.top_reading)}</td><td>{e(x.text)}</td></tr>"
            for x, p in zip(self.examples, self.parsed) if not self._right(x, p)
        )
        return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>NLU on real reports</title></head><body><main>
<h1>NLU on real reports</h1>
<p>{len(self.examples)} messages; accuracy {self.accuracy:.3f}.</p>
<h2>Outcomes</h2><table><tr><th>outcome</th><th>share</th></tr>{outcomes}</table>
<h2>Recall by label</h2><table><tr><th>label</th><th>recall</th></tr>{recall}</table>
<h2>By message length</h2><table><tr><th>length</th><th>messages</th><th>accuracy</th><th>parse p50 ms</th></tr>{lengths}</table>
<h2>Confusion matrix</h2><img src="{e(png_name)}" alt="Confusion matrix: rows are the residents' labels, columns the model's reading; the same counts as the misreadings below.">
<h2>Misread messages</h2><table><tr><th>label</th><th>read as</th><th>text</th></tr>{misses}</table>
</main></body></html>
"""


def _plot_confusion(matrix: List[List[int]], rows: List[str], columns: List[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(1 + 0.45 * len(columns), 1 + 0.45 * len(rows)))
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(columns)), labels=[c.replace("report_", "") for c in columns], rotation=90)
    axes.set_yticks(range(len(rows)), labels=[r.replace("report_", "") for r in rows])
    axes.set_xlabel("read as")
    axes.set_ylabel("resident's label")
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            if count:
                axes.text(j, i, str(count), ha="center", va="center", fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def evaluate_real(path: Path, model_path: Optional[Path] = None, parser: Optional[Parser] = None) -> RealEvaluation:
    examples = load_real(path)
    parser = parser or Parser(model_path)
    return RealEvaluation(examples, parser.parse([e.text for e in examples]))


# ----- out of scope ----------------------------------------------------------------
def out_of_scope_recall(parser: Parser, path: Path = OUT_OF_SCOPE) -> Tuple[float, List[Tuple[str, str]]]:
    """Share of out-of-scope messages read as out_of_scope, and the misses (text, read as)."""
    from rasa.shared.nlu.training_data.loading import load_data

    texts = [e.get("text") for e in load_data(str(path)).intent_examples]
    parsed = parser.parse(texts)
    misses = [(p.text, p.intent) for p in parsed if p.intent != "out_of_scope"]
    return 1 - len(misses) / len(texts), misses


def main(argv: Optional[Iterable[str]] = None) -> int:
    from bot.model import model_path

    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("model", nargs="?", type=Path, help="a trained model (default: the current one)")
    args.add_argument("--real", type=Path, default=REAL_REPORTS, help="real reports in the real_reports.yml format")
    args.add_argument("--holdout", type=Path, default=HOLDOUT)
    args.add_argument("--holdout-cy", type=Path, default=HOLDOUT_CY, help="the Welsh held-out set")
    args.add_argument("--welsh-only", action="store_true", help="measure only the Welsh held-out set")
    args.add_argument("--dev-cy", action="store_true",
                      help=f"measure only the Welsh dev set ({DEV_CY.name}), for tuning; not the held-out set")
    args.add_argument("--out-of-scope", type=Path, default=OUT_OF_SCOPE)
    args.add_argument("--results", type=Path, default=RESULTS, help="where the PNG and HTML report go")
    args.add_argument("--errors", action="store_true", help="list every misread held-out message")
    options = args.parse_args(list(argv) if argv is not None else None)

    parser = Parser(options.model or model_path())
    kind = "held-out"
    if options.dev_cy:
        options.holdout_cy, options.welsh_only, kind = DEV_CY, True, "dev"
    if options.holdout_cy.exists():
        welsh = evaluate(options.model, options.holdout_cy, parser)
        first, after_one = readings(parser, options.holdout_cy)
        print(f"Welsh {kind} set ({options.holdout_cy.name}):\n{welsh.report()}\n"
              f"first reading right {first:.3f}; right first time or after one question {after_one:.3f}\n")
        if options.errors:
            for expected, predicted, text in welsh.errors:
                print(f"  {expected} -> {predicted}: {text}")
    if options.welsh_only:
        return 0
    held_out = evaluate(options.model, options.holdout, parser)
    print(f"Held-out set ({options.holdout.name}):\n{held_out.report()}\n")
    if options.errors:
        for expected, predicted, text in held_out.errors:
            print(f"  {expected} -> {predicted}: {text}")
    if options.out_of_scope.exists():
        recall, misses = out_of_scope_recall(parser, options.out_of_scope)
        print(f"Out of scope ({options.out_of_scope.name}): recall {recall:.3f}, {len(misses)} missed")
        if options.errors:
            for text, intent in misses:
                print(f"  out_of_scope -> {intent}: {text}")
    if options.real.exists():
        real = evaluate_real(options.real, parser=parser)
        print("\n" + real.report())
        png, page = real.write(options.results)
        print(f"\nWrote {png} and {page}")
    else:
        print(f"\n(No real reports at {options.real}: pass --real PATH.)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

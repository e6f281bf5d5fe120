"""When to ask instead of guessing: the trade-off, measured in seconds per policy.

    python -m benchmarks.asking [MODEL] [--real PATH] [--cache FILE]

Parses the real reports, the held-out sets (English and Welsh) and the
out-of-scope set once with the trained model, keeping the intent ranking
``bot.nlu.unsure.UnsureReportFallback`` receives (cached in ``--cache``), then
applies each policy below to those rankings with the pipeline's own
functions: Rasa's FallbackClassifier (threshold, ambiguity), ``unsure`` and
``report_behind_answer``, the rule-based classifiers after them, and
``bot.categories.likeliest`` for the choices. It first checks that the
configured policy gives the intent the model itself gave, for every message.
Prints, per policy: right first time / right after one question / wrong on
the real reports, how often the bot asks, held-out macro-F1 and Welsh
accuracy (a question counted as a miss), and out-of-scope recall.
docs/nlu-evaluation.md, "When unsure, ask", has the figures.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from bot.categories import likeliest
from bot.escalation.urgent import urgent_category
from bot.nlu.keyboard_mash import is_mash
from bot.nlu.no_text import has_words
from bot.nlu.unsure import report_behind_answer, unsure
from bot.nlu.welsh_gloss import welsh_flags
from bot.nlu_evaluation import FALLBACK, HOLDOUT, HOLDOUT_CY, OUT_OF_SCOPE, REAL_REPORTS, load_real, score

Row = Dict[str, Any]


@dataclass(frozen=True)
class Policy:
    name: str
    fallback: float = 0.3  # Rasa's FallbackClassifier, any intent
    ambiguity: float = 0.05
    threshold: float = 0.5  # UnsureReportFallback, reports
    margin: float = 0.3
    welsh_threshold: float = 0.3  # the same for a Welsh message
    welsh_margin: float = 0.15
    answer_words: int = 8  # a long bare form answer with a report behind it
    answer_margin: float = 0.5
    answer_min_report: float = 0.1
    kinds: int = 3  # bot.categories.likeliest
    first: float = 0.1
    further: float = 0.02

    def decide(self, row: Row) -> Tuple[str, List[str]]:
        """(intent, kinds offered) for one parsed message."""
        ranking, text = row["ranking"], row["text"]
        top = float(ranking[0]["confidence"])
        second = float(ranking[1]["confidence"]) if len(ranking) > 1 else 0.0
        intent = ranking[0]["name"]
        if top < self.fallback or top - second < self.ambiguity:
            intent = FALLBACK
        elif unsure(ranking, set(row["told"]), *self._unsure_settings(row)) or report_behind_answer(
            ranking, len(text.split()), self.answer_words, self.answer_margin, self.answer_min_report
        ):
            intent = FALLBACK
        intent = row["forced"] or intent
        offered = likeliest(ranking, self.kinds, self.first, self.further) if intent == FALLBACK else []
        return intent, offered

    def _unsure_settings(self, row: Row) -> Tuple[float, float]:
        """The threshold and margin for the message's language, as UnsureReportFallback chooses."""
        if "welsh" not in row:
            row["welsh"] = welsh_flags([row["text"]])[0]
        return (self.welsh_threshold, self.welsh_margin) if row["welsh"] else (self.threshold, self.margin)


AS_BEFORE = Policy("before (2026-12-01 afternoon): 0.5 / 0.2, 3 kinds each >= 0.1", margin=0.2, answer_words=10**6,
                   further=0.1)
CHOSEN = Policy("chosen (config.yml)")
POLICIES = [
    AS_BEFORE,
    replace(AS_BEFORE, name="choices: the first >= 0.1, the next two >= 0.02", further=0.02),
    replace(AS_BEFORE, name="the same, 4 kinds", further=0.02, kinds=4),
    replace(CHOSEN, name="+ margin 0.3", answer_words=10**6),
    CHOSEN,
    replace(CHOSEN, name="chosen, 4 kinds", kinds=4),
    replace(CHOSEN, name="margin 0.4", margin=0.4),
    replace(CHOSEN, name="margin 0.5", margin=0.5),
    replace(CHOSEN, name="threshold 0.6", threshold=0.6),
    replace(CHOSEN, name="threshold 0.7", threshold=0.7),
    replace(CHOSEN, name="threshold 0.8", threshold=0.8),
    replace(CHOSEN, name="threshold 0.9, 4 kinds", threshold=0.9, kinds=4),
    replace(CHOSEN, name="FallbackClassifier 0.25", fallback=0.25),
]


def _forced(text: str) -> Optional[str]:
    """The intent the rule-based classifiers after the fallbacks give (config.yml's order)."""
    forced = None if has_words(text) else "no_text"
    if is_mash(text):
        forced = FALLBACK
    if urgent_category(text) is not None:
        forced = "emergency"
    return forced


def parse_all(model: Path, real: Path) -> Dict[str, List[Row]]:
    """Every message of the four sets, with the ranking the unsure step receives."""
    import bot.nlu.unsure as unsure_module
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.nlu_evaluation import Parser

    seen: Dict[str, Row] = {}
    process = unsure_module.UnsureReportFallback.process

    def recording(self: Any, messages: List[Any]) -> List[Any]:
        for m in messages:
            seen[m.get("text") or ""] = {
                "ranking": [dict(r) for r in m.get("intent_ranking") or [] if r["name"] != FALLBACK],
                "told": [e["value"] for e in m.get("entities") or [] if e.get("entity") == "further_problem"],
            }
        return process(self, messages)

    unsure_module.UnsureReportFallback.process = recording
    try:
        parser = Parser(model)
        sets = {"real": [(e.text, e.accepted) for e in load_real(real)]}
        for name, path in (("holdout", HOLDOUT), ("holdout_cy", HOLDOUT_CY), ("out_of_scope", OUT_OF_SCOPE)):
            sets[name] = [(e.get("text"), (e.get("intent"),)) for e in load_data(str(path)).intent_examples]
        out = {}
        for name, examples in sets.items():
            parsed = parser.parse([text for text, _ in examples])
            out[name] = [{"text": text, "accepted": accepted, "model_intent": p.intent, "forced": _forced(text),
                          **seen[text]} for (text, accepted), p in zip(examples, parsed)]
        return out
    finally:
        unsure_module.UnsureReportFallback.process = process


def measure(policy: Policy, sets: Dict[str, List[Row]]) -> Dict[str, float]:
    real = sets["real"]
    outcomes: Counter = Counter()
    for row in real:
        intent, offered = policy.decide(row)
        if intent == FALLBACK:
            outcomes["asked"] += bool(offered)
            outcomes["after one question" if set(offered) & set(row["accepted"]) else "wrong"] += 1
        else:
            outcomes["right first time" if intent in row["accepted"] else "wrong"] += 1
    figures = {k: outcomes[k] / len(real) for k in ("right first time", "after one question", "wrong", "asked")}
    for name in ("holdout", "holdout_cy"):
        decided = [(row["accepted"][0], policy.decide(row)[0], row["text"]) for row in sets[name]]
        figures[f"{name} macro-F1"] = score(decided).macro_f1
        figures[f"{name} accuracy"] = score(decided).accuracy
    oos = sets["out_of_scope"]
    figures["out-of-scope recall"] = sum(policy.decide(r)[0] == "out_of_scope" for r in oos) / len(oos)
    figures["out-of-scope offered kinds"] = sum(bool(policy.decide(r)[1]) for r in oos)
    return figures


def main() -> int:
    from bot.model import model_path

    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("model", nargs="?", type=Path, help="a trained model (default: the current one)")
    args.add_argument("--real", type=Path, default=REAL_REPORTS)
    args.add_argument("--cache", type=Path, help="keep the parses here (default: under /tmp, by model)")
    options = args.parse_args()
    model = options.model or model_path()
    if not options.real.exists():
        print(f"No real reports at {options.real} (pass --real PATH): nothing to measure the asking on.")
        return 0
    cache = options.cache or Path("/tmp") / f"asking-{model.name.split('.')[0]}.pickle"
    if cache.exists():
        sets = pickle.loads(cache.read_bytes())
    else:
        sets = parse_all(model, options.real)
        cache.write_bytes(pickle.dumps(sets))
    differ = sum(CHOSEN.decide(r)[0] != r["model_intent"] for rows in sets.values() for r in rows)
    print(f"{model.name}: the configured policy differs from the model's own intent on {differ} messages "
          "(0 unless config.yml's thresholds differ from CHOSEN's)\n")
    print("| policy | right first | after one question | wrong | right or after one | asked | held-out macro-F1 "
          "| Welsh accuracy | out-of-scope recall (offered kinds) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for policy in POLICIES:
        f = measure(policy, sets)
        print(f"| {policy.name} | {f['right first time']:.3f} | {f['after one question']:.3f} | {f['wrong']:.3f} "
              f"| {1 - f['wrong']:.3f} | {f['asked']:.1%} | {f['holdout macro-F1']:.3f} "
              f"| {f['holdout_cy accuracy']:.3f} "
              f"| {f['out-of-scope recall']:.3f} ({f['out-of-scope offered kinds']:.0f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

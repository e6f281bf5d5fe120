"""NLU quality and speed against issue 11's targets.

    python -m benchmarks.nlu [--real PATH]

Parses the held-out set, the out-of-scope set and the real residents'
reports (../shared/nlu-dev/real_reports.yml when present) with the trained
model in one process, prints bot.nlu_evaluation's reports, the parse time
per message length (p50 and p95, one message at a time), and each target
with whether it is met. Record the figures in docs/nlu-evaluation.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import List, Tuple

from benchmarks.rest import percentile
from bot.model import ensure_model
from bot.nlu_evaluation import (
    HOLDOUT, LENGTH_BUCKETS, OUT_OF_SCOPE, REAL_REPORTS, Parser, RealEvaluation, evaluate, evaluate_real,
    out_of_scope_recall,
)


def parse_times(real: RealEvaluation) -> List[Tuple[str, int, float, float]]:
    """(bucket, messages, p50 ms, p95 ms) of the parse time by message length."""
    rows = []
    for name, low, high in LENGTH_BUCKETS:
        times = [p.seconds * 1000 for e, p in zip(real.examples, real.parsed) if low <= e.words <= high]
        if times:
            rows.append((name, len(times), statistics.median(times), percentile(times, 0.95)))
    return rows


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--real", default=str(REAL_REPORTS))
    options = args.parse_args()

    parser = Parser(ensure_model())
    parser.parse(["warm up", "pothole on Mill Lane"] * 5)
    held_out = evaluate(None, HOLDOUT, parser)
    print(held_out.report())
    recall, misses = out_of_scope_recall(parser, OUT_OF_SCOPE)
    in_scope_accuracy = held_out.accuracy
    print(f"\nOut of scope: recall {recall:.3f} ({len(misses)} missed)")
    targets = [
        ("held-out macro-F1", held_out.macro_f1, ">=", 0.92),
        ("out-of-scope recall", recall, ">=", 0.90),
    ]
    real_path = Path(options.real)
    if real_path.exists():
        real = evaluate_real(real_path, parser=parser)
        print("\n" + real.report())
        print(f"\n{'parse time by length':<22}{'messages':>9}{'p50 ms':>9}{'p95 ms':>9}")
        for name, n, p50, p95 in parse_times(real):
            print(f"{name:<22}{n:>9}{p50:>9.1f}{p95:>9.1f}")
        recalls = real.recall_by_label()
        by_length = {name: accuracy for name, _, accuracy, _ in real.by_length()}
        short = min(v for k, v in by_length.items() if k != "over 40 words")
        outcomes = real.outcomes()
        targets += [
            ("real reports accuracy", real.accuracy, ">=", 0.85),
            ("real reports, lowest label recall", min(recalls.values()), ">=", 0.75),
            ("real reports, over 40 words minus shortest bucket", by_length.get("over 40 words", 0) - short, ">=", 0.0),
            ("right first time or after one question", 1 - outcomes["wrong"], ">=", 0.92),
        ]
    else:
        print(f"\n(no real reports at {real_path})")
    print(f"\n(in-scope held-out accuracy {in_scope_accuracy:.3f})\n\nTargets:")
    for name, value, _, bound in targets:
        print(f"  {'met    ' if value >= bound else 'NOT MET'}  {name}: {value:.3f} (target >= {bound})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Entity extraction of NLU configurations, compared on a held-out fifth.

``python -m benchmarks.entities config.yml [other-config.yml ...]``

tests/nlu/holdout.yml has no entity annotations, so this holds out every
fifth annotated example of data/nlu (FAQs aside), trains each configuration
on the rest (`rasa train nlu`) and reports precision, recall and F1 per
learned entity (exact span). Postcodes, registrations and references are
left out: RegexEntityExtractor finds those. Figures: docs/nlu-evaluation.md.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Dict, List, Set, Tuple

from bot.settings import PROJECT_ROOT

REGEX_ENTITIES = {"postcode", "vehicle_registration", "case_reference"}
Span = Tuple[str, int, int]


def split(out: Path) -> Tuple[Path, Path]:
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = load_data(str(PROJECT_ROOT / "data" / "nlu"))
    train, test = [], []
    annotated = 0
    for example in data.training_examples:
        intent = str(example.get("intent") or "")
        if example.get("entities") and intent and not intent.startswith("faq"):
            annotated += 1
            (test if annotated % 5 == 0 else train).append(example)
        else:
            train.append(example)
    kept = dict(entity_synonyms=data.entity_synonyms, regex_features=data.regex_features, lookup_tables=data.lookup_tables)
    TrainingData(train, **kept).persist_nlu(str(out / "train.yml"))
    TrainingData(test).persist_nlu(str(out / "test.yml"))
    return out / "train.yml", out / "test.yml"


def spans(entities: List[Dict]) -> Set[Span]:
    return {(e["entity"], e["start"], e["end"]) for e in entities if e["entity"] not in REGEX_ENTITIES}


def score(model: Path, test: Path) -> Dict[str, Tuple[float, float, float]]:
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    agent = Agent.load(str(model))
    right, extra, missed = Counter(), Counter(), Counter()

    async def run() -> None:
        for example in load_data(str(test)).training_examples:
            parsed = await agent.parse_message(example.get("text"))
            gold = spans(example.get("entities") or [])
            found = spans([e for e in parsed["entities"] if e.get("extractor") != "RegexEntityExtractor"])
            for entity, *_ in gold & found:
                right[entity] += 1
            for entity, *_ in found - gold:
                extra[entity] += 1
            for entity, *_ in gold - found:
                missed[entity] += 1

    asyncio.run(run())
    scores = {}
    for entity in sorted(set(right) | set(missed)):
        precision = right[entity] / (right[entity] + extra[entity]) if right[entity] + extra[entity] else 0.0
        recall = right[entity] / (right[entity] + missed[entity])
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[entity] = (precision, recall, f1)
    return scores


def main(configs: List[str]) -> None:
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa otherwise prints every parse
    with tempfile.TemporaryDirectory() as tmp:
        train, test = split(Path(tmp))
        for config in configs:
            subprocess.run(
                [sys.executable, "-m", "rasa", "train", "nlu", "-c", config, "--nlu", str(train),
                 "--domain", str(PROJECT_ROOT / "domain.yml"), "--out", tmp, "--fixed-model-name", "split"],
                cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            print(config)
            for entity, (precision, recall, f1) in score(Path(tmp) / "split.tar.gz", test).items():
                print(f"  {entity:<12} precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}")


if __name__ == "__main__":
    main(sys.argv[1:] or [str(PROJECT_ROOT / "config.yml")])

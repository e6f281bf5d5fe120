"""The language step's cost per turn, and its accuracy on the messages written for it.

``python -m benchmarks.language [--rounds 20]``

Times what the Rasa server adds to each user message of a two-language
council (bot/language/rasa_hook.py): the whole wrapper around Rasa's own
message handling, with the project's domain and a real tracker, minus the same
handling without it, on every message of tests/bot/language/samples.yml
(Welsh, English and mixed; short replies and long reports), ``--rounds``
times each. Also prints how each group was identified (right / undecided /
wrong): a wrong language is a reply the resident may not read; undecided
keeps the conversation's language.

Target (issue 15): at most 1 ms p50 added per turn.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import sys
import time
from pathlib import Path
from typing import List

import yaml

from benchmarks.escalation import percentile
from bot.settings import PROJECT_ROOT

TARGET_P50_MS = 1.0
SAMPLES = PROJECT_ROOT / "tests" / "bot" / "language" / "samples.yml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    from rasa.core.channels.channel import UserMessage
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.language import rasa_hook
    from bot.language.identify import Identifier

    samples = yaml.safe_load(SAMPLES.read_text(encoding="utf-8"))
    identifier = Identifier(("cy", "en"))
    for group, texts in samples.items():
        want = group.split("_")[-1]
        guesses = [identifier.identify(t) for t in texts]
        right = sum(1 for g in guesses if g and g.language == want)
        wrong = sum(1 for g in guesses if g and g.language != want)
        print(f"{group:9} {len(texts):3} messages: right {right}, undecided {len(texts) - right - wrong}, "
              f"wrong {wrong}")

    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))

    class Processor:
        def __init__(self) -> None:
            self.domain = domain

        async def parse_message(self, message, tracker=None):  # type: ignore[no-untyped-def]
            return {"text": message.text, "intent": {"name": "inform", "confidence": 0.9}, "entities": []}

        def _log_slots(self, tracker) -> None:  # type: ignore[no-untyped-def]
            pass

    plain = inspect.unwrap(MessageProcessor._handle_message_with_tracker)
    wrapped = rasa_hook.wrap(plain, ("cy", "en"), identifier)
    texts: List[str] = [t for group in samples.values() for t in group]

    async def timed(handle) -> List[float]:  # type: ignore[no-untyped-def]
        processor, timings = Processor(), []
        for round_ in range(args.rounds):
            tracker = DialogueStateTracker(f"bench-{round_}", domain.slots)
            for text in texts:
                message = UserMessage(text, sender_id=tracker.sender_id)
                started = time.perf_counter()
                await handle(processor, message, tracker)
                timings.append((time.perf_counter() - started) * 1000)
        return timings

    without = asyncio.run(timed(plain))
    with_step = asyncio.run(timed(wrapped))
    added = sorted(w - p for w, p in zip(with_step, without))
    print(f"{len(added)} turns: Rasa's handling alone p50 {percentile(sorted(without), 0.5):.3f} ms; "
          f"with the language step p50 {percentile(sorted(with_step), 0.5):.3f} ms, "
          f"p95 {percentile(sorted(with_step), 0.95):.3f} ms")
    p50 = percentile(added, 0.5)
    print(f"added per turn: p50 {p50:.3f} ms, p95 {percentile(added, 0.95):.3f} ms (target p50 <= {TARGET_P50_MS} ms)")
    return 0 if p50 <= TARGET_P50_MS else 1


if __name__ == "__main__":
    sys.exit(main())

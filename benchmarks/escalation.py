"""Escalation and staff console benchmark.

``python -m benchmarks.escalation [--samples 30] [--queue 300]``

Starts the real stack (Rasa server, action server, staff console) on free
ports with a fresh VAR_DIR and measures:

* the turn that escalates ("I want to talk to a person" over REST: NLU,
  rule, action server, queue row, pause);
* a turn while paused (Rasa records the message and predicts nothing);
* the console's queue page with ``--queue`` open escalations waiting;
* a staff reply through the console (POST -> Rasa's events API -> tracker);
* signing in (argon2 verification included).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

from bot.storage.database import make_engine
from bot.storage.escalations import EscalationStore
from tests.support.console import StaffClient, console_env, console_service
from tests.support.stack import Stack, free_port


def percentile(values: List[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def timed(samples: int, action: Callable[[int], None]) -> List[float]:
    times = []
    for n in range(samples):
        started = time.perf_counter()
        action(n)
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(name: str, times: List[float]) -> str:
    return (f"| {name} | {len(times)} | {statistics.median(times):.1f} | {percentile(times, 0.95):.1f} |"
            f" {max(times):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--queue", type=int, default=300)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as var_dir:
        stack = Stack(Path(var_dir), {"STAFFED_HOURS": "Mon-Sun 00:00-24:00", **console_env(port)})
        stack.start(extra=[console_service(port)])
        try:
            results: Dict[str, List[float]] = {}
            results["escalating turn (REST)"] = timed(
                args.samples, lambda n: stack.say(f"bench-esc-{n}", "I want to talk to a person"))
            results["turn while paused (REST)"] = timed(
                args.samples, lambda n: stack.say("bench-esc-0", f"are you there {n}"))
            store = EscalationStore(make_engine(stack.settings.database_url))
            for n in range(args.queue - args.samples):
                store.open(f"bench-filler-{n}", "sms", "talk_to_human", "normal", f"message {n}")
            staff = StaffClient(f"http://127.0.0.1:{port}")
            results["staff sign-in (argon2)"] = timed(10, lambda n: staff.sign_in())
            results[f"queue page, {args.queue} waiting"] = timed(
                args.samples, lambda n: staff.get("/queue").raise_for_status())
            items = [store.open_for_conversation(f"bench-esc-{n}") for n in range(args.samples)]
            for item in items:
                staff.post(f"/escalations/{item.id}/claim")
            results["staff reply via console -> Rasa"] = timed(
                args.samples, lambda n: staff.post(f"/escalations/{items[n].id}/reply", {"text": f"reply {n}"}))
            results["transcript page"] = timed(
                args.samples, lambda n: staff.get(f"/conversation?id=bench-esc-{n}").raise_for_status())
        finally:
            stack.stop()
    print("| what | samples | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|")
    for name, times in results.items():
        print(summary(name, times))


if __name__ == "__main__":
    main()

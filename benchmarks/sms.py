"""SMS channel benchmark: webhook acknowledgement latency and end-to-end turn time.

``python -m benchmarks.sms [--numbers 20] [--turns 5]``

Starts the real stack (Rasa server, action server, Twilio stand-in) on free
ports with a fresh VAR_DIR, then has N phone numbers text the bot at the same
time, each sending its next message as soon as the previous reply arrived.
Measures, per message:

* acknowledgement: from posting the signed webhook to Twilio getting its
  empty TwiML (Twilio gives up after 15 s);
* turn: from posting the webhook to the reply appearing at the (stand-in)
  Twilio API, i.e. everything the resident waits for except the carrier.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List

from tests.support.sms import SmsClient, sms_stack

SCRIPT = ["hello", "thanks", "what can you do", "when is my bin day", "AN1 4GT", "bye"]


def percentile(values: List[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def resident(client: SmsClient, phone: str, turns: int, acks: List[float], rounds: List[float]) -> None:
    for n in range(turns):
        started = time.perf_counter()
        status, ack = client.text(phone, SCRIPT[n % len(SCRIPT)])
        assert status == 200
        client.wait_for_replies(phone, n + 1, timeout=120)
        acks.append(ack)
        rounds.append(time.perf_counter() - started)


def run(numbers: int, turns: int, max_turns: int) -> Dict[str, float]:
    with tempfile.TemporaryDirectory() as var_dir:
        stack = sms_stack(Path(var_dir), {"SMS_MAX_CONCURRENT_TURNS": str(max_turns)})
        try:
            client = SmsClient(stack)
            # Warm up (first turn loads the model's graph) outside the measurement.
            client.text("+447700800000", "hello")
            client.wait_for_replies("+447700800000", 1, timeout=120)
            acks: List[float] = []
            rounds: List[float] = []
            threads = [
                threading.Thread(target=resident, args=(client, f"+4477008{n:05d}", turns, acks, rounds))
                for n in range(1, numbers + 1)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        finally:
            stack.stop()
    return {
        "messages": len(acks),
        "ack_p50_ms": statistics.median(acks) * 1000,
        "ack_p95_ms": percentile(acks, 0.95) * 1000,
        "ack_max_ms": max(acks) * 1000,
        "turn_p50_ms": statistics.median(rounds) * 1000,
        "turn_p95_ms": percentile(rounds, 0.95) * 1000,
        "turns_per_second": len(rounds) / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=20, help="phone numbers texting at once")
    parser.add_argument("--turns", type=int, default=5, help="messages per number")
    parser.add_argument("--max-concurrent-turns", type=int, default=2, help="SMS_MAX_CONCURRENT_TURNS")
    args = parser.parse_args()
    figures = run(args.numbers, args.turns, args.max_concurrent_turns)
    print(f"SMS, {args.numbers} concurrent numbers x {args.turns} messages ({figures['messages']} messages), "
          f"SMS_MAX_CONCURRENT_TURNS={args.max_concurrent_turns}")
    print(f"  webhook acknowledgement  p50 {figures['ack_p50_ms']:.0f} ms  p95 {figures['ack_p95_ms']:.0f} ms"
          f"  max {figures['ack_max_ms']:.0f} ms")
    print(f"  end-to-end turn          p50 {figures['turn_p50_ms']:.0f} ms  p95 {figures['turn_p95_ms']:.0f} ms"
          f"  ({figures['turns_per_second']:.1f} turns/s)")


if __name__ == "__main__":
    main()

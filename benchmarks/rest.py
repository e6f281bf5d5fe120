"""Conversation benchmark over the REST channel (issue 2's figures).

``python -m benchmarks.rest [--conversations 40] [--concurrency 20] [--long-turns 200] [--train]``

Starts the real Rasa server and action server (the launcher's definitions, a
fresh VAR_DIR) and plays scripted reports of 8 to 12 turns, each conversation
a new sender:

* sequential: one conversation at a time -> p50/p95 per turn;
* concurrent: ``--concurrency`` conversations at once -> p50/p95, turns/s;
* long: one conversation of ``--long-turns`` turns -> latency early vs late
  (Rasa replays a session's events every turn);
* CPU per turn of each process over the concurrent run (steadier than the
  wall-clock figures on a shared machine, or one whose speed drifts);
* resident memory (RSS) of each process after the load;
* with ``--train``: training time from scratch and model size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List, Sequence

import aiohttp

from bot.model import model_path
from bot.settings import PROJECT_ROOT
from tests.support.stack import Stack

# Realistic scripted reports (8 to 12 resident turns each). Places, numbers,
# plates and contact details differ from one conversation to the next, as they
# do between residents (the intent classifier remembers texts it has read,
# bot/nlu/intent_classifier.py, so identical scripts would flatter it); short
# answers ("yes", "skip", "thanks") repeat, as they do in real conversations.
SCRIPTS: Sequence[Sequence[str]] = (
    ("hi", "my bin wasn't collected", "{n} {street}, AN1 4GT", "the blue one", "tuesday", "yes",
     "07700 900{p}", "skip", "yes", "thanks"),
    ("hello", "massive pothole on {street}", "road", "about the size of a dinner plate", "yes",
     "its outside number {n} by the bus stop", "no", "yes", "thank you"),
    ("fly tipping behind the shops on {street}", "{k} black bags and an old mattress", "yes",
     "07700 900{p}", "jo{n}@example.com", "yes", "cheers", "bye"),
    ("hiya", "street light out", "{street} near number {n}", "lamp post {n} is completely dark at night",
     "no", "yes", "when is my bin day", "AN2 1AB", "thanks", "bye"),
    ("abandoned car on {street}", "AB{k}{k} CDE", "ford focus", "silver", "about {k} weeks", "yes",
     "07700 900{p}", "skip", "yes", "thanks", "bye"),
    ("good morning", "my neighbours play loud music every night", "{n} {street} AN3 5TR",
     "after midnight, for {k} months now", "no", "yes", "ta", "bye"),
)
STREETS = (
    "Foxglove Way", "Mill Lane", "Station Road", "Elm Close", "Birch Avenue", "Clover Road", "Ash Grove",
    "Kingsley Terrace", "Meadow View", "Holt Road", "Ribble Close", "Orchard Street", "Church Walk",
    "Victoria Parade", "Tanners Row", "Willow Crescent", "Park Drive", "Queens Road", "Brook Street",
    "Hawthorn Rise", "Cedar Court", "Market Place", "Chapel Hill", "Nelson Street", "Riverside Walk",
)


def script(index: int) -> List[str]:
    """Conversation ``index``'s turns, with its own places and details."""
    details = {"n": 1 + (index * 37) % 180, "street": STREETS[(index * 7) % len(STREETS)],
               "p": f"{(index * 173) % 1000:03d}", "k": 2 + index % 8}
    return [text.format(**details) for text in SCRIPTS[index % len(SCRIPTS)]]


def percentile(values: List[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def play(session: aiohttp.ClientSession, url: str, script: Sequence[str], sender: str) -> List[float]:
    timings = []
    for text in script:
        started = time.perf_counter()
        async with session.post(url, json={"sender": sender, "message": text}) as response:
            await response.read()
            response.raise_for_status()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def rest_session(token: str, **kwargs: object) -> aiohttp.ClientSession:
    """A client session that sends the REST channel's token (bot/channels/rest.py) on every call."""
    return aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}, **kwargs)  # type: ignore[arg-type]


async def run_load(url: str, token: str, conversations: int, concurrency: int, offset: int = 0) -> Dict[str, float]:
    semaphore = asyncio.Semaphore(concurrency)
    timings: List[float] = []

    async def one(index: int, session: aiohttp.ClientSession) -> None:
        async with semaphore:
            timings.extend(await play(session, url, script(offset + index), f"bench-{uuid.uuid4().hex}"))

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with rest_session(token, connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        await play(session, url, script(10_000), "warm-up")
        started = time.perf_counter()
        await asyncio.gather(*(one(i, session) for i in range(conversations)))
        elapsed = time.perf_counter() - started
    return {
        "turns": len(timings),
        "p50_ms": percentile(timings, 0.5),
        "p95_ms": percentile(timings, 0.95),
        "turns_per_s": len(timings) / elapsed,
    }


async def run_long(url: str, token: str, turns: int) -> Dict[str, float]:
    cycle = ("hi", "how do i pay my council tax", "thanks", "what time does the tip open", "ok")
    sender = f"bench-long-{uuid.uuid4().hex}"
    async with rest_session(token, timeout=aiohttp.ClientTimeout(total=120)) as session:
        timings = await play(session, url, [cycle[i % len(cycle)] for i in range(turns)], sender)
    return {
        "first_10_p50_ms": statistics.median(timings[:10]),
        "last_10_p50_ms": statistics.median(timings[-10:]),
        "turns": turns,
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure_training() -> Dict[str, float]:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run(
            # As bot/model.py trains (the data are validated by the tests, not at training).
            [sys.executable, "-m", "rasa", "train", "--out", out, "--fixed-model-name", "bench", "--force",
             "--skip-validation"],
            cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - started
        size = (Path(out) / "bench.tar.gz").stat().st_size / 1e6
    return {"train_s": seconds, "model_mb": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--long-turns", type=int, default=200)
    parser.add_argument("--train", action="store_true", help="also time a training run from scratch")
    args = parser.parse_args()

    results: Dict[str, object] = {}
    if args.train:
        results["training"] = measure_training()
    results["model_mb"] = model_path().stat().st_size / 1e6 if model_path().exists() else None
    with tempfile.TemporaryDirectory() as var_dir:
        stack = Stack(Path(var_dir)).start()
        try:
            url = f"{stack.rasa_url}/webhooks/rest/webhook"
            token = str(stack.settings.rasa_api_token)
            results["sequential"] = asyncio.run(run_load(url, token, max(6, args.conversations // 4), 1))
            pids = {s.name: s.process.pid for s in stack.services if s.process}
            before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            results["concurrent"] = asyncio.run(run_load(url, token, args.conversations, args.concurrency, offset=1000))
            # CPU per turn is steadier than wall-clock figures on a machine whose speed drifts
            # or that is shared: each process's own CPU over the concurrent run, per turn.
            turns = results["concurrent"]["turns"]
            results["cpu_ms_per_turn"] = {
                name: round(1000 * (cpu_seconds(pid) - before[name]) / turns, 1) for name, pid in pids.items()}
            results["long_conversation"] = asyncio.run(run_long(url, token, args.long_turns))
            results["rss_mb"] = {s.name: round(rss_mb(s.process.pid), 1) for s in stack.services if s.process}
        finally:
            stack.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

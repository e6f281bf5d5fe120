"""Web chat benchmark.

``python -m benchmarks.web [--loads 10] [--sockets 20] [--turns 10]``

Starts the real stack (Rasa server with the web channel, action server, demo
website) on a fresh VAR_DIR, then measures:

* page load to widget ready: headless Chromium opens the demo page; time from
  navigation start until the widget fires ``councilchat:ready`` (launcher
  usable), and until the first assistant message is shown after opening;
* socket.io round trip: ``--sockets`` python-socketio clients at once (20
  browsers' worth), each a conversation of ``--turns`` messages; time from
  ``user_uttered`` to the first ``bot_uttered`` of that turn, p50/p95.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Sequence

import socketio

from bot.launcher import web_service
from tests.support.browser import chromium
from tests.support.stack import Stack, free_port

SCRIPT: Sequence[str] = (
    "hello", "my bin wasn't collected", "14 Foxglove Way", "AN1 4GT", "the blue one", "tuesday", "no",
    "yes", "thanks", "when is my bin day", "AN2 1AB", "bye",
)


def percentile(values: List[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def describe(label: str, values: List[float]) -> str:
    return (f"| {label} | {len(values)} | {percentile(values, 0.5):.1f} | {percentile(values, 0.95):.1f} | "
            f"{max(values):.1f} |")


def page_loads(site: str, loads: int) -> tuple:
    ready, first_reply = [], []
    with chromium() as browser:
        for n in range(loads):
            context = browser.new_context()
            page = context.new_page()
            page.goto(site + "/", wait_until="commit")
            page.wait_for_function("() => document.querySelector('#council-chat[data-ready=true]')")
            ready.append(page.evaluate("() => performance.now()"))
            opened = time.perf_counter()
            page.locator(".cc-launcher").click()
            page.locator(".cc-from-bot").first.wait_for(timeout=30_000)
            first_reply.append((time.perf_counter() - opened) * 1000)
            context.close()
    return ready, first_reply


async def conversation(url: str, turns: int, timings: List[float]) -> None:
    client = socketio.AsyncClient(reconnection=False)
    replies: asyncio.Queue = asyncio.Queue()
    confirmed: asyncio.Queue = asyncio.Queue()
    client.on("bot_uttered", lambda data: replies.put_nowait(time.perf_counter()))
    client.on("session_confirm", lambda sid: confirmed.put_nowait(sid))
    await client.connect(url, transports=["websocket"])
    await client.emit("session_request", {"session_id": None})
    session_id = await asyncio.wait_for(confirmed.get(), 30)
    for turn in range(turns):
        text = SCRIPT[turn % len(SCRIPT)]
        while not replies.empty():
            replies.get_nowait()
        sent = time.perf_counter()
        await client.emit("user_uttered", {"message": text, "session_id": session_id})
        arrived = await asyncio.wait_for(replies.get(), 60)
        timings.append((arrived - sent) * 1000)
        await asyncio.sleep(0.3)  # let the rest of this turn's messages arrive
    await client.disconnect()


async def round_trips(url: str, sockets: int, turns: int) -> tuple:
    timings: List[float] = []
    started = time.perf_counter()
    await asyncio.gather(*(conversation(url, turns, timings) for _ in range(sockets)))
    return timings, time.perf_counter() - started


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loads", type=int, default=10)
    parser.add_argument("--sockets", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10)
    args = parser.parse_args(argv)
    stack = Stack(Path(tempfile.mkdtemp(prefix="bench-web-")), {"WEB_PORT": str(free_port())})
    stack.start(extra=[web_service(stack.settings)])
    try:
        ready, first_reply = page_loads(stack.settings.web_public_url, args.loads)
        sequential, _ = asyncio.run(round_trips(stack.rasa_url, 1, args.turns))
        concurrent, elapsed = asyncio.run(round_trips(stack.rasa_url, args.sockets, args.turns))
    finally:
        stack.stop()
    print("| what | samples | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|")
    print(describe("page load to widget ready (navigation start to launcher usable)", ready))
    print(describe("open panel to first assistant message", first_reply))
    print(describe("socket.io round trip, 1 socket", sequential))
    print(describe(f"socket.io round trip, {args.sockets} sockets at once", concurrent))
    print(f"\n{len(concurrent)} turns in {elapsed:.1f} s with {args.sockets} sockets "
          f"({len(concurrent) / elapsed:.1f} turns/s, includes 0.3 s pauses between a socket's turns); "
          f"mean {statistics.mean(concurrent):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

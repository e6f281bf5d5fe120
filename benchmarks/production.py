"""The production profile under load (issue 14): HAProxy, two replicas of each service, PostgreSQL, Redis.

``python -m benchmarks.production [--conversations 40] [--concurrency 20] [--outage 30]``

Starts the profile as ``make run PROFILE=production`` does (bot/production.py;
a local PostgreSQL cluster with fsync on, a local Redis) and plays
benchmarks/rest.py's scripted reports through the load balancer:

* steady: ``--conversations`` conversations, ``--concurrency`` at once ->
  turns/s, p50/p95 per turn, and the CPU each process (PostgreSQL's server
  processes together, and this client) spent per turn: unlike turns/s, robust
  to other load on the machine, and with the core count the most turns a
  second the machine could give;
* outage: the same load, kept going while one Rasa replica is killed
  (SIGKILL) and left down for ``--outage`` seconds, then started again; every
  turn is checked afterwards against the tracker store (lost: the client got
  an error, or the message is missing from its conversation; duplicated: a
  message in its conversation more than once) and every case against the
  database and the Open311 sandbox (a conversation with two cases, a case
  delivered twice or not at all).

The client never retries: a turn the load balancer could not save counts as lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Tuple

import aiohttp
from sqlalchemy import select, text

from benchmarks.rest import percentile, rest_session, rss_mb, script
from bot.model import ensure_model
from bot.production import Production, Replicas
from bot.storage.database import make_engine
from bot.storage.schema import cases, outbox
from tests.support.stack import free_port

REFERENCE_TURN_TIMEOUT = 120  # far longer than a dead replica's conversation lock (a 5 s lease)


class Load:
    """Scripted conversations through the load balancer, recording every turn."""

    def __init__(self, url: str, token: str, concurrency: int) -> None:
        self.url, self.token, self.concurrency = url, token, concurrency
        self.timings: List[float] = []
        self.sent: Dict[str, List[str]] = {}  # sender -> messages acknowledged
        self.errors: List[Tuple[str, str, str]] = []  # sender, message, what went wrong
        self.references: Dict[str, str] = {}

    async def conversation(self, session: aiohttp.ClientSession, index: int) -> None:
        sender = f"bench-prod-{uuid.uuid4().hex}"
        self.sent[sender] = []
        for turn, message in enumerate(script(index)):
            started = time.perf_counter()
            # Our own message id, as a client that may be retried sends one (bot/rasa_retries.py):
            # HAProxy's retry after a replica dies mid-turn is then answered once.
            call = {"sender": sender, "message": message, "message_id": f"{sender[-12:]}-{turn}"}
            try:
                async with session.post(self.url, json=call) as response:
                    body = await response.read()
                    if response.status != 200:
                        self.errors.append((sender, message, f"HTTP {response.status}"))
                        return  # a resident would try again later; we count it lost
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                self.errors.append((sender, message, type(error).__name__))
                return
            self.timings.append((time.perf_counter() - started) * 1000)
            self.sent[sender].append(message)
            for reply in json.loads(body):
                found = _reference(reply.get("text") or "")
                if found:
                    self.references[sender] = found

    async def run(self, conversations: int, offset: int, until: float = 0.0) -> Dict[str, float]:
        """``conversations`` conversations; with ``until`` (monotonic), keep starting more until then."""
        semaphore = asyncio.Semaphore(self.concurrency)
        connector = aiohttp.TCPConnector(limit=self.concurrency)
        started = time.perf_counter()
        turns_before = len(self.timings)
        async with rest_session(self.token, connector=connector,
                                timeout=aiohttp.ClientTimeout(total=REFERENCE_TURN_TIMEOUT)) as session:
            counter = {"next": offset}

            async def lane() -> None:
                while True:
                    index = counter["next"]
                    if index - offset >= conversations and time.monotonic() >= until:
                        return
                    counter["next"] += 1
                    async with semaphore:
                        await self.conversation(session, index)

            await asyncio.gather(*(lane() for _ in range(self.concurrency)))
        elapsed = time.perf_counter() - started
        timings = self.timings[turns_before:]
        return {"conversations": counter["next"] - offset, "turns": len(timings), "seconds": round(elapsed, 1),
                "turns_per_s": round(len(timings) / elapsed, 1), "p50_ms": round(percentile(timings, 0.5), 1),
                "p95_ms": round(percentile(timings, 0.95), 1), "max_ms": round(max(timings), 1)}


class CpuMeter:
    """CPU seconds (user + system) spent by the profile's processes, this client and PostgreSQL's server.

    PostgreSQL is started by ``pg_ctl`` and is no child of ours: its postmaster
    is found by its pid file; its backends by their parent, and the backends
    that exited in between by the postmaster's reaped children's times."""

    def __init__(self, profile: Production) -> None:
        self.profile = profile
        self.ticks = os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _stat(pid: int) -> Tuple[int, int, int]:
        """(parent pid, own CPU ticks, reaped children's CPU ticks)."""
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])

    def sample(self) -> Dict[str, float]:
        stats: Dict[int, Tuple[int, int, int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stats[int(entry.name)] = self._stat(int(entry.name))
                except (OSError, IndexError, ValueError):
                    pass  # exited meanwhile
        seconds: Dict[str, float] = {"client (this benchmark)": stats[os.getpid()][1] / self.ticks}
        for service in [*self.profile.services, *([self.profile.haproxy] if self.profile.haproxy else [])]:
            if service.process and service.process.pid in stats:
                seconds[service.name] = stats[service.process.pid][1] / self.ticks
        postgres = self.profile.postgres
        pid_file = postgres.data / "postmaster.pid" if postgres else None
        if pid_file is not None and pid_file.exists():
            postmaster = int(pid_file.read_text().split()[0])
            if postmaster in stats:
                ticks = stats[postmaster][1] + stats[postmaster][2]
                ticks += sum(own for parent, own, _ in stats.values() if parent == postmaster)
                seconds["PostgreSQL"] = ticks / self.ticks
        return seconds

    @staticmethod
    def per_turn(before: Dict[str, float], after: Dict[str, float], turns: int, cores: int) -> Dict[str, Any]:
        """CPU ms per turn of each process, their total, and the turns/s that total allows on ``cores``."""
        spent = {name: 1000 * (after[name] - before[name]) / turns for name in after if name in before}
        total = sum(spent.values())
        return {"ms": {name: round(ms, 2) for name, ms in sorted(spent.items(), key=lambda kv: -kv[1])},
                "total_ms": round(total, 1), "cores": cores,
                "turns_per_s_ceiling": round(cores * 1000 / total, 1) if total else None}


def _reference(text_: str) -> str:
    import re

    match = re.search(r"\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b", text_)
    return match.group(0) if match else ""


def audit(load: Load, database_url: str, sandbox: str) -> Dict[str, Any]:
    """Every acknowledged message once in its conversation; every case made once and delivered once."""
    engine = make_engine(database_url)
    senders = list(load.sent)
    said: Dict[str, List[str]] = {s: [] for s in senders}
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT sender_id, data FROM events WHERE type_name = 'user' ORDER BY id")).all()
        for sender, data in rows:
            if sender in said:
                said[sender].append(json.loads(data).get("text") or "")
        made = conn.execute(select(cases.c.conversation_id, cases.c.reference, outbox.c.state)
                            .join(outbox, outbox.c.case_id == cases.c.id)
                            .where(cases.c.conversation_id.in_(senders))).all()
    lost = duplicated = 0
    for sender in senders:
        # The REST channel may keep the message as sent; compare counts of each text.
        expected, found = Counter(load.sent[sender]), Counter(said[sender])
        lost += sum((expected - found).values())
        # Messages that errored at the client may or may not have been saved: not a duplicate.
        duplicated += sum((found - expected - Counter(m for s, m, _ in load.errors if s == sender)).values())
    per_conversation = Counter(c for c, _, _ in made)
    delivered = Counter(r["attributes"].get("council_reference") for r in
                        json.loads(urllib.request.urlopen(f"{sandbox}/admin/requests", timeout=30).read()))
    references = {r for _, r, _ in made}
    return {
        "conversations": len(senders),
        "turns_acknowledged": sum(len(v) for v in load.sent.values()),
        "turns_failed_at_client": len(load.errors),
        "failures": Counter(what for _, _, what in load.errors),
        "acknowledged_turns_missing": lost,
        "turns_duplicated": duplicated,
        "cases": len(made),
        "conversations_with_two_cases": sum(1 for n in per_conversation.values() if n > 1),
        "references_told_but_no_case": sum(1 for r in load.references.values() if r not in references),
        "cases_not_delivered": sum(1 for _, _, state in made if state != "delivered"),
        "cases_delivered_twice": sum(1 for r in references if delivered[r] > 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--outage", type=float, default=30.0, help="seconds the killed Rasa replica stays down")
    args = parser.parse_args()
    model = ensure_model()
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TRACKER_STORE_URL", "REDIS_URL")}
    environ.update({name: str(free_port()) for name in (
        "RASA_PORT", "ACTION_SERVER_PORT", "WEB_PORT", "CONSOLE_PORT", "OPEN311_SANDBOX_PORT",
        "OUTBOX_WORKER_PORT", "TWILIO_SANDBOX_PORT")})
    # The same few streets again and again: no "we already know about it" offers (as benchmarks/rest.py).
    environ["DUPLICATE_DAYS"] = "0"
    results: Dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as var_dir:
        profile = Production(Path(var_dir), environ, Replicas())
        started = time.perf_counter()
        profile.start(model)
        results["start_s"] = round(time.perf_counter() - started, 1)
        try:
            settings = profile.settings
            assert settings is not None
            url = f"http://{settings.bind_host}:{settings.rasa_port}/webhooks/rest/webhook"
            token = str(settings.rasa_api_token)
            warm = Load(url, token, 2)
            asyncio.run(warm.run(4, offset=10_000))
            steady = Load(url, token, args.concurrency)
            meter = CpuMeter(profile)
            before = meter.sample()
            results["steady"] = asyncio.run(steady.run(args.conversations, offset=1000))
            results["cpu_per_turn"] = CpuMeter.per_turn(before, meter.sample(), results["steady"]["turns"],
                                                        os.cpu_count() or 1)
            results["rss_mb"] = {s.name: round(rss_mb(s.process.pid), 1) for s in profile.services
                                 if s.process and s.name.startswith(("Rasa", "action"))}

            outage = Load(url, token, args.concurrency)
            victim = profile.service("Rasa server 1")
            timeline: Dict[str, float] = {}

            async def with_outage() -> Dict[str, float]:
                t0 = time.monotonic()
                run = asyncio.ensure_future(outage.run(args.conversations, offset=5000,
                                                       until=t0 + 5 + args.outage + 5))
                await asyncio.sleep(5)
                victim.process.kill()  # type: ignore[union-attr]
                timeline["killed_at_s"] = round(time.monotonic() - t0, 1)
                await asyncio.sleep(args.outage)
                profile.restart(victim, wait=False)
                timeline["restarted_at_s"] = round(time.monotonic() - t0, 1)
                return await run

            results["outage"] = asyncio.run(with_outage())
            results["outage"].update(timeline)
            # Let the workers deliver every case, then look at everything.
            time.sleep(15)
            sandbox = f"http://{settings.bind_host}:{settings.open311_sandbox_port}"
            results["steady_audit"] = audit(steady, settings.database_url, sandbox)
            results["outage_audit"] = audit(outage, settings.database_url, sandbox)
            # What the load balancer saw: replicas taken out of rotation and back.
            log = (profile.log_dir / "haproxy.log").read_text(errors="replace").splitlines()
            results["haproxy"] = [line.split(": ", 1)[-1][:160] for line in log
                                  if line.startswith("[") and (" is DOWN" in line or " is UP" in line
                                                               or "no server available" in line)][:40]
        finally:
            profile.stop()
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()

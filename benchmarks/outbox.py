"""Outbox delivery benchmark: cases per second, and recovery after a back-office outage.

``python -m benchmarks.outbox [--cases 1000] [--outage 60] [--no-postgres]``

Real processes: the Open311 sandbox (``python -m bot.sandbox.open311``) and
delivery workers (``python -m bot.outbox``), on a fresh SQLite file and, when
PostgreSQL's binaries are installed, a throwaway PostgreSQL cluster.

* throughput: N pending cases (mixed categories, so all three back offices),
  workers started; time from the workers answering their health check to the
  last case delivered;
* recovery: the sandbox is down (503) while N cases arrive and the worker
  backs off for ``--outage`` seconds; then it comes back; time from recovery
  to the last case delivered. With the default back-off (5 s doubling, jitter)
  this is dominated by the delay each case was given at its last failure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List, Optional

from sqlalchemy import update

from bot.launcher import Service, stop_all, wait_until_healthy
from bot.storage.outbox import OutboxStore
from bot.settings import PROJECT_ROOT
from bot.storage.cases import CaseStore
from bot.storage.database import create_schema, make_engine
from bot.storage.schema import metadata, outbox
from tests.support.delivery import API_KEY, free_port, http_json, new_case
from tests.support.postgres import ThrowawayPostgres, server_bin_dir

CATEGORIES = ("pothole", "missed_bin", "graffiti", "streetlight", "flytipping")


class Bench:
    def __init__(self, database_url: str, var_dir: Path) -> None:
        self.database_url = database_url
        self.var_dir = var_dir
        self.engine = make_engine(database_url)
        create_schema(self.engine)
        self.store = CaseStore(self.engine)
        self.outbox = OutboxStore(self.engine)
        self.sandbox_port = free_port()
        self.sandbox = f"http://127.0.0.1:{self.sandbox_port}"
        self.env = {
            **os.environ, "PYTHONPATH": str(PROJECT_ROOT), "VAR_DIR": str(var_dir), "DATABASE_URL": database_url,
            "OPEN311_SANDBOX_API_KEY": API_KEY, "OPEN311_SANDBOX_URL": f"{self.sandbox}/open311/v2/",
            "BIND_HOST": "127.0.0.1",
        }
        self.services: List[Service] = []

    def _start(self, service: Service) -> None:
        log = open(self.var_dir / f"{service.name.replace(' ', '-')}.log", "ab")
        service.process = subprocess.Popen(service.argv, cwd=PROJECT_ROOT, env={**self.env, **service.env},
                                           stdout=log, stderr=subprocess.STDOUT)
        self.services.append(service)
        wait_until_healthy(service, timeout=60)

    def start_sandbox(self) -> None:
        self._start(Service("sandbox", [sys.executable, "-m", "bot.sandbox.open311", "--port", str(self.sandbox_port)],
                            f"{self.sandbox}/health", ""))

    def start_workers(self, count: int) -> None:
        for n in range(count):
            port = free_port()
            self._start(Service(f"worker-{n}", [sys.executable, "-m", "bot.outbox"], f"http://127.0.0.1:{port}/health",
                                "", env={"OUTBOX_WORKER_PORT": str(port)}))

    def create_cases(self, count: int, tag: str) -> None:
        for n in range(count):
            category = CATEGORIES[n % len(CATEGORIES)]
            self.store.create(new_case(conversation=f"{tag}-{n}", category=category, details={}), f"{tag}-{n}:m")

    def wait_delivered(self, timeout: float = 900) -> float:
        started = time.perf_counter()
        while self.outbox.counts()["pending"]:
            if time.perf_counter() - started > timeout:
                raise RuntimeError("cases still pending after the timeout")
            time.sleep(0.05)
        return time.perf_counter() - started

    def stop(self) -> None:
        stop_all(self.services)
        self.services = []


def throughput(database_url: str, var_dir: Path, cases: int, workers: int) -> float:
    bench = Bench(database_url, var_dir)
    try:
        bench.start_sandbox()
        bench.create_cases(cases, f"t{workers}")
        # Hold the cases back until every worker is up, then release them at once.
        with bench.engine.begin() as conn:
            conn.execute(update(outbox).values(next_attempt_at=datetime.now(timezone.utc) + timedelta(hours=1)))
        bench.start_workers(workers)
        with bench.engine.begin() as conn:
            conn.execute(update(outbox).values(next_attempt_at=datetime.now(timezone.utc)))
        seconds = bench.wait_delivered()
        requests = http_json(f"{bench.sandbox}/admin/requests")
        assert len(requests) == cases, f"expected {cases} requests at the back office, found {len(requests)}"
        return cases / seconds
    finally:
        bench.stop()


def recovery(database_url: str, var_dir: Path, cases: int, outage: float) -> Dict[str, float]:
    bench = Bench(database_url, var_dir)
    try:
        bench.start_sandbox()
        http_json(f"{bench.sandbox}/admin/mode", {"down": True})
        bench.start_workers(1)
        bench.create_cases(cases, "r")
        time.sleep(outage)
        http_json(f"{bench.sandbox}/admin/mode", {"down": False})
        seconds = bench.wait_delivered()
        requests = http_json(f"{bench.sandbox}/admin/requests")
        assert len(requests) == cases, f"expected {cases} requests at the back office, found {len(requests)}"
        return {"seconds": seconds}
    finally:
        bench.stop()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--outage", type=float, default=60.0)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)

        def sqlite(name: str) -> str:
            (root / name).mkdir()
            return f"sqlite:///{root / name / 'council.db'}"

        rate = throughput(sqlite("a"), root / "a", args.cases, 1)
        rows.append(f"| SQLite, 1 worker | {args.cases} cases delivered | {rate:.0f} cases/s |")
        print(rows[-1], flush=True)
        if not args.no_postgres and server_bin_dir() is not None:
            cluster = ThrowawayPostgres(durable=True).start()
            try:
                for workers in (1, 2):
                    folder = root / f"pg{workers}"
                    folder.mkdir()
                    rate = throughput(cluster.url, folder, args.cases, workers)
                    rows.append(f"| PostgreSQL, {workers} worker{'s' if workers > 1 else ''} | {args.cases} cases delivered | {rate:.0f} cases/s |")
                    print(rows[-1], flush=True)
                    with make_engine(cluster.url).begin() as conn:  # empty the tables for the next run
                        for table in reversed(metadata.sorted_tables):
                            conn.execute(table.delete())
            finally:
                cluster.stop()
        result = recovery(sqlite("r"), root / "r", args.cases, args.outage)
        rows.append(
            f"| SQLite, 1 worker | back office down {args.outage:.0f} s with {args.cases} cases pending, "
            f"then back: time to all delivered | {result['seconds']:.1f} s |"
        )
        print(rows[-1], flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

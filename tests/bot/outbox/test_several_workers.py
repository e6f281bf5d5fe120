"""Several worker processes at once: every case reaches the back office exactly once.

Real processes (``python -m bot.outbox``), the real sandbox process, and a
real database: a throwaway PostgreSQL cluster (``FOR UPDATE SKIP LOCKED``)
or SQLite (one active worker, the other standing by).
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from bot.launcher import Service, stop_all, wait_until_healthy
from bot.storage.outbox import OutboxStore
from bot.settings import PROJECT_ROOT
from bot.storage.cases import CaseStore
from bot.storage.database import create_schema, make_engine
from tests.support.delivery import API_KEY, free_port, http_json, new_case
from tests.support.postgres import ThrowawayPostgres, server_bin_dir

pytestmark = pytest.mark.e2e
CASES = 120  # enough for both workers to contend for the same rows in every batch


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    if server_bin_dir() is None:
        pytest.skip("PostgreSQL server binaries are not installed (.ci/services.sh installs them)")
    cluster = ThrowawayPostgres().start()
    yield cluster.url
    cluster.stop()


def _start(services: List[Service], env: Dict[str, str], logs: Path) -> None:
    for service in services:
        service.process = subprocess.Popen(
            service.argv, cwd=PROJECT_ROOT, env={**env, **service.env},
            stdout=open(logs / f"{service.name.replace(' ', '-')}.log", "ab"), stderr=subprocess.STDOUT,
        )
    for service in services:
        wait_until_healthy(service, timeout=60)


def deliver_with_two_workers(database_url: str, tmp_path: Path) -> Dict[str, int]:
    """Creates CASES cases, runs two workers until none is pending; returns deliveries per worker log."""
    engine = make_engine(database_url)
    create_schema(engine)
    store = CaseStore(engine)
    made = [store.create(new_case(conversation=f"c{n}"), f"c{n}:m1") for n in range(CASES)]

    sandbox_port = free_port()
    env = {
        **os.environ, "PYTHONPATH": str(PROJECT_ROOT), "VAR_DIR": str(tmp_path), "DATABASE_URL": database_url,
        "OPEN311_SANDBOX_API_KEY": API_KEY, "OPEN311_SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}/open311/v2/",
        "OUTBOX_BATCH_SIZE": "10", "BIND_HOST": "127.0.0.1",
    }
    sandbox = Service("sandbox", [sys.executable, "-m", "bot.sandbox.open311", "--port", str(sandbox_port)],
                      f"http://127.0.0.1:{sandbox_port}/health", "")
    workers = []
    for n in (1, 2):
        port = free_port()
        workers.append(Service(f"worker {n}", [sys.executable, "-m", "bot.outbox"], f"http://127.0.0.1:{port}/health",
                               "", env={"OUTBOX_WORKER_PORT": str(port)}))
    services = [sandbox] + workers
    try:
        _start([sandbox], env, tmp_path)
        http_json(f"http://127.0.0.1:{sandbox_port}/admin/mode", {"slow_seconds": 0.005})  # let the workers overlap
        _start(workers, env, tmp_path)
        outbox = OutboxStore(engine)
        deadline = time.monotonic() + 120
        while outbox.counts()["pending"] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert outbox.counts() == {"pending": 0, "delivered": CASES, "failed": 0, "flagged": 0}
        stored = http_json(f"http://127.0.0.1:{sandbox_port}/admin/requests")
    finally:
        stop_all(services)
    per_reference = collections.Counter(r["attributes"]["council_reference"] for r in stored)
    assert sorted(per_reference) == sorted(c.reference for c in made)
    assert set(per_reference.values()) == {1}, "a case reached the back office more than once"
    return {
        w.name: (tmp_path / f"{w.name.replace(' ', '-')}.log").read_text().count("Delivered case") for w in workers
    }


def test_two_workers_on_postgresql_deliver_every_case_exactly_once(postgres: str, tmp_path: Path):
    per_worker = deliver_with_two_workers(postgres, tmp_path)
    assert sum(per_worker.values()) == CASES
    assert all(count > 0 for count in per_worker.values()), f"both workers should have shared the work: {per_worker}"


def test_two_workers_on_sqlite_one_delivers_the_other_stands_by(tmp_path: Path):
    per_worker = deliver_with_two_workers(f"sqlite:///{tmp_path / 'council.db'}", tmp_path)
    assert sorted(per_worker.values()) == [0, CASES]

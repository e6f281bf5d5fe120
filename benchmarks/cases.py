"""The console's case list with 100,000 cases in SQLite.

``python -m benchmarks.cases [--cases 100000] [--samples 40]``

Fills a fresh SQLite database (the schema and indexes `create_schema` makes)
with ``--cases`` cases spread over a year, each with its outbox row, then
measures, for each filter staff use:

* the query alone (``bot/storage/case_list.list_cases``: count + one page);
* the whole page over HTTP from the real console server, signed in
  (query, template, session and CSRF handling, audit-free GET).

Target (issue 12): p95 <= 150 ms for a filtered page.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List
from urllib.parse import urlencode

from bot.cases.model import STATUS_ORDER
from bot.categories import CATEGORIES
from bot.launcher import stop_all, wait_until_healthy, with_run_secrets
from bot.settings import PROJECT_ROOT, load_settings
from bot.storage.case_list import CaseFilter, list_cases
from bot.storage.database import create_schema, make_engine
from bot.storage.schema import cases, outbox
from benchmarks.escalation import percentile, summary
from tests.support.console import StaffClient, console_env, console_service
from tests.support.stack import free_port

FILTERS: Dict[str, Dict[str, str]] = {
    "no filter, newest first": {},
    "status open": {"status": "open"},
    "category + postcode district": {"category": "pothole", "district": "AN3"},
    "flagged only": {"flagged": "1"},
    "channel sms + one month": {"channel": "sms", "from": "2026-03-01", "to": "2026-03-31"},
    "back office + status, oldest first": {"backoffice": "highways", "status": "in_progress", "sort": "oldest"},
    "everything at once": {"status": "closed", "category": "missed_bin", "backoffice": "waste", "channel": "web",
                           "from": "2026-01-01", "to": "2026-06-30", "district": "AN1"},
    "page 40, no filter": {"page": "40"},
}


def fill(engine, count: int, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    offices = ["waste", "highways", "general", "council"]
    batch: List[dict] = []
    deliveries: List[dict] = []
    for n in range(1, count + 1):
        created = start + timedelta(seconds=rng.randrange(365 * 24 * 3600))
        status = rng.choices(STATUS_ORDER, weights=[2, 8, 30, 20, 40])[0]
        batch.append(dict(
            id=n, reference=f"B{n:07d}", idempotency_key=f"bench-{n}", category=rng.choice(CATEGORIES).key,
            status=status, location_text=f"{rng.randrange(1, 200)} Mill Lane",
            postcode=f"AN{rng.randrange(1, 10)} {rng.randrange(1, 10)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTUW')}",
            description="Something to report", details={}, contact_consent=True, media_urls=[],
            channel=rng.choices(["web", "sms", "rest"], weights=[6, 3, 1])[0], conversation_id=f"bench-conv-{n}",
            backoffice=rng.choice(offices) if status != "received" else None, needs_attention=rng.random() < 0.02,
            created_at=created, updated_at=created + timedelta(hours=rng.randrange(1, 200)),
        ))
        deliveries.append(dict(case_id=n, state="pending" if status == "received" else "delivered", attempts=1,
                               next_attempt_at=created, created_at=created, updated_at=created))
        if len(batch) == 5000 or n == count:
            with engine.begin() as conn:
                conn.execute(cases.insert(), batch)
                conn.execute(outbox.insert(), deliveries)
            batch, deliveries = [], []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        port = free_port()
        env = with_run_secrets({**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "VAR_DIR": var_dir,
                                "RASA_PORT": str(free_port()), **console_env(port)})
        for inherited in ("DATABASE_URL", "TRACKER_STORE_URL"):
            env.pop(inherited, None)
        settings = load_settings(env)
        engine = make_engine(settings.database_url)
        create_schema(engine)
        started = time.perf_counter()
        fill(engine, args.cases, random.Random(12))
        print(f"{args.cases} cases written in {time.perf_counter() - started:.1f} s")

        print("\nQuery only (count + one page of 50), ms:")
        print("| filter | samples | p50 | p95 | max |\n|---|---|---|---|---|")
        for name, query in FILTERS.items():
            wanted = CaseFilter.parse(query)
            list_cases(engine, wanted)  # warm the page cache once
            times = []
            for _ in range(args.samples):
                began = time.perf_counter()
                page = list_cases(engine, wanted)
                times.append((time.perf_counter() - began) * 1000)
            print(summary(f"{name} ({page.total} match)", times))

        service = console_service(port)
        log = open(Path(var_dir) / "console.log", "ab")
        service.process = subprocess.Popen(service.argv, cwd=PROJECT_ROOT, env=env, stdout=log,
                                           stderr=subprocess.STDOUT)
        try:
            wait_until_healthy(service, timeout=60)
            staff = StaffClient(f"http://127.0.0.1:{port}")
            assert staff.sign_in().status_code == 303
            print("\nThe whole page over HTTP (GET /cases?..., signed in), ms:")
            print("| filter | samples | p50 | p95 | max |\n|---|---|---|---|---|")
            everything: List[float] = []
            for name, query in FILTERS.items():
                path = "/cases?" + urlencode(query)
                assert staff.get(path).status_code == 200
                times = []
                for _ in range(args.samples):
                    began = time.perf_counter()
                    response = staff.get(path)
                    times.append((time.perf_counter() - began) * 1000)
                    assert response.status_code == 200
                everything += times
                print(summary(name, times))
            print(f"\nAll filtered pages: p95 {percentile(everything, 0.95):.1f} ms (target <= 150 ms)")
        finally:
            stop_all([service])
            log.close()


if __name__ == "__main__":
    sys.exit(main())

"""The duplicate lookup with 100,000 open cases, on SQLite (and PostgreSQL with --postgres).

``python -m benchmarks.duplicates [--cases 100000] [--samples 500] [--postgres]``

Fills a fresh database (the schema and indexes `create_schema` makes) with
``--cases`` open cases made in the last 30 days, spread over a 10 km square
town: 80% with coordinates (so a geocell), the rest with a street only, over
2,000 streets and the 16 kinds of report. Then measures
``DuplicateFinder.find`` (bot/storage/duplicates.py) for random new reports:
with coordinates (the spatial path), and without (the street path).

Target (issue 13): p95 <= 10 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Callable, List, Optional

from bot import geocell
from bot.cases.model import CLOSED, STATUS_ORDER
from bot.categories import CATEGORIES
from bot.storage.database import create_schema, make_engine
from bot.storage.duplicates import DuplicateFinder
from bot.storage.schema import cases
from bot.storage.times import utcnow
from bot.street_key import street_key
from benchmarks.escalation import percentile

TARGET_P95_MS = 10.0
CENTRE = (52.4862, -1.8904)
HALF_SIDE_DEGREES = (0.045, 0.074)  # about 5 km each way at this latitude
SUFFIXES = ("Road", "Lane", "Street", "Avenue", "Close", "Drive", "Way", "Grove")
OPEN = [s for s in STATUS_ORDER if s != CLOSED]


def _point(rng: random.Random) -> tuple:
    return (CENTRE[0] + rng.uniform(-1, 1) * HALF_SIDE_DEGREES[0],
            CENTRE[1] + rng.uniform(-1, 1) * HALF_SIDE_DEGREES[1])


def _street(rng: random.Random) -> str:
    n = rng.randrange(2000)
    return f"Street{n} {SUFFIXES[n % len(SUFFIXES)]}"


def fill(engine, count: int, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    batch: List[dict] = []
    for n in range(1, count + 1):
        created = now - timedelta(seconds=rng.randrange(30 * 24 * 3600))
        location = f"{rng.randrange(1, 200)} {_street(rng)}"
        lat = lon = None
        if rng.random() < 0.8:
            lat, lon = (f"{v:.6f}" for v in _point(rng))
        batch.append(dict(
            id=n, reference=f"D{n:07d}", idempotency_key=f"dup-bench-{n}", category=rng.choice(CATEGORIES).key,
            status=rng.choice(OPEN), location_text=location, latitude=lat, longitude=lon,
            geocell=geocell.cell_for(lat, lon), street_key=street_key(location), description="Something",
            details={}, contact_consent=True, media_urls=[], channel="web", conversation_id=f"dup-conv-{n}",
            created_at=created, updated_at=created,
        ))
        if len(batch) == 5000 or n == count:
            with engine.begin() as conn:
                conn.execute(cases.insert(), batch)
            batch = []


def measure(samples: int, lookup: Callable[[int], object]) -> List[float]:
    lookup(-1)  # warm the connection pool and the page cache
    times = []
    for n in range(samples):
        started = time.perf_counter()
        lookup(n)
        times.append((time.perf_counter() - started) * 1000)
    return times


def run(url: str, count: int, samples: int, label: str) -> bool:
    engine = make_engine(url)
    create_schema(engine)
    rng = random.Random(13)
    started = time.perf_counter()
    fill(engine, count, rng)
    print(f"{label}: {count:,} open cases written in {time.perf_counter() - started:.1f} s", flush=True)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    # As the action server makes it (actions/services.py): SQLite connections kept open.
    finder = DuplicateFinder(make_engine(url, pooled=True))
    queries = [(rng.choice(CATEGORIES).key, _point(rng), _street(rng)) for _ in range(samples)]
    found = {"spatial": 0, "street": 0}

    def spatial(n: int) -> None:
        category, (lat, lon), _street_name = queries[max(n, 0)]
        if finder.find(category, lat, lon, None) is not None and n >= 0:
            found["spatial"] += 1

    def by_street(n: int) -> None:
        category, _point_, street = queries[max(n, 0)]
        if finder.find(category, None, None, f"outside 12 {street}") is not None and n >= 0:
            found["street"] += 1

    ok = True
    print("| lookup | samples | matches | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|")
    for name, lookup in (("spatial", spatial), ("street", by_street)):
        times = measure(samples, lookup)
        p95 = percentile(times, 0.95)
        ok = ok and p95 <= TARGET_P95_MS
        print(f"| {name} ({label}) | {samples} | {found[name]} | {statistics.median(times):.2f} | {p95:.2f} |"
              f" {max(times):.2f} |")
    engine.dispose()
    return ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--postgres", action="store_true", help="also on a throwaway PostgreSQL cluster")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="dup-bench-") as directory:
        ok = run(f"sqlite:///{Path(directory) / 'cases.db'}", args.cases, args.samples, "SQLite") and ok
    if args.postgres:
        from tests.support.postgres import ThrowawayPostgres

        cluster: Optional[ThrowawayPostgres] = ThrowawayPostgres(durable=True).start()
        try:
            ok = run(cluster.url, args.cases, args.samples, "PostgreSQL") and ok
        finally:
            cluster.stop()
    print(f"target p95 <= {TARGET_P95_MS:.0f} ms: {'met' if ok else 'NOT met'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    main()

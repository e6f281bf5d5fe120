"""Readiness checks: can this service do its work right now? (docs/operations.md)

``/health`` is liveness: the process answers, nothing else is consulted, so an
orchestrator restarts only a process that is truly stuck. ``/ready`` runs the
checks here (each a short, bounded probe of a dependency: a database, the
Rasa or action server, Redis) and is false while any fails, so a load
balancer sends no traffic to a replica that cannot serve it. Results say only
which dependency failed and the kind of error: never a URL, password or
message text.
"""

from __future__ import annotations

import asyncio
import sqlite3
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

from sqlalchemy import text
from sqlalchemy.engine import make_url

PROBE_TIMEOUT = 2.0


@dataclass(frozen=True)
class Check:
    """One dependency: its name and a blocking probe that raises when it is unreachable."""

    name: str
    probe: Callable[[], None]


def database(name: str, url: str) -> Check:
    """The database at ``url`` answers a query.

    SQLite is opened afresh, read-only and without creating the file, so a
    missing, unreadable, corrupt or empty file is noticed even while the
    service's own connections still hold the old one open.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""

        def probe_sqlite() -> None:
            if path in ("", ":memory:"):
                return
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=PROBE_TIMEOUT)
            try:
                # An empty file (what SQLite makes when a lost one is reopened) is not our database.
                if connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1").fetchone() is None:
                    raise LookupError("the database has no tables")
            finally:
                connection.close()

        return Check(name, probe_sqlite)

    from sqlalchemy import create_engine

    # Its own engine, with a connect timeout. One kept connection, checked before each
    # probe (pre-ping: a dead one is replaced, or the probe fails): a fresh connection
    # per probe cost PostgreSQL a new backend and both sides a password exchange, most
    # of an idle replica's CPU under the load balancer's checks (docs/benchmarks.md).
    engine = create_engine(url, future=True, pool_size=1, max_overflow=2, pool_pre_ping=True,
                           connect_args={"connect_timeout": int(PROBE_TIMEOUT)} if parsed.get_backend_name() == "postgresql" else {})

    def probe_sql() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    return Check(name, probe_sql)


def http(name: str, url: str) -> Check:
    """``url`` answers with a status below 500 (e.g. another service's ``/health``)."""

    def probe() -> None:
        try:
            with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        if status >= 500:
            raise ConnectionError(f"HTTP {status}")

    return Check(name, probe)


def redis(url: str) -> Check:
    """Redis at ``url`` answers PING."""

    def probe() -> None:
        import redis as redis_client

        client = redis_client.Redis.from_url(url, socket_timeout=PROBE_TIMEOUT, socket_connect_timeout=PROBE_TIMEOUT)
        try:
            client.ping()
        finally:
            client.close()

    return Check("redis", probe)


def run_checks(checks: List[Check]) -> Tuple[bool, Dict[str, str]]:
    """Every check's result ("ok" or the error's kind) and whether all passed."""
    results: Dict[str, str] = {}
    for check in checks:
        try:
            check.probe()
            results[check.name] = "ok"
        except Exception as error:  # any failure means not ready; the kind says which
            results[check.name] = f"unavailable ({type(error).__name__})"
    return all(v == "ok" for v in results.values()), results


async def readiness(checks: List[Check]) -> Tuple[int, Dict[str, object]]:
    """The /ready answer: 200 and ``{"ready": true, ...}``, or 503 naming what is unavailable."""
    ready, results = await asyncio.to_thread(run_checks, checks)
    return (200 if ready else 503), {"ready": ready, "checks": results}


def optional_redis(redis_url: Optional[str]) -> List[Check]:
    """The Redis check when REDIS_URL is set, else nothing."""
    return [redis(redis_url)] if redis_url else []

"""Readiness checks (bot/health.py) against real SQLite files, real sockets and a real Redis where one runs."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from bot import health
from bot.storage.database import create_schema, make_engine
from bot.ports import free_port


@pytest.fixture()
def council_db(tmp_path: Path) -> Path:
    path = tmp_path / "council.db"
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    engine.dispose()
    return path


def test_a_database_with_our_tables_is_ready(council_db: Path) -> None:
    ready, results = health.run_checks([health.database("database", f"sqlite:///{council_db}")])
    assert ready and results == {"database": "ok"}


def test_a_missing_database_file_is_not_ready_and_is_not_created(council_db: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere.db"
    shutil.move(council_db, moved)
    check = health.database("database", f"sqlite:///{council_db}")
    ready, results = health.run_checks([check])
    assert not ready and results["database"].startswith("unavailable")
    assert not council_db.exists()  # the probe must not leave an empty file that would pass next time
    shutil.move(moved, council_db)
    assert health.run_checks([check])[0]


def test_an_empty_or_corrupt_database_file_is_not_ready(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    ready, results = health.run_checks([health.database("empty", f"sqlite:///{empty}"),
                                        health.database("garbage", f"sqlite:///{garbage}")])
    assert not ready
    assert results["empty"] == "unavailable (LookupError)"
    assert results["garbage"] == "unavailable (DatabaseError)"


@pytest.fixture()
def http_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(500 if self.path == "/broken" else 200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_http_dependency_up_down_and_failing(http_server: str) -> None:
    ready, results = health.run_checks([
        health.http("up", f"{http_server}/health"),
        health.http("broken", f"{http_server}/broken"),
        health.http("down", f"http://127.0.0.1:{free_port()}/health"),
    ])
    assert not ready
    assert results["up"] == "ok"
    assert results["broken"] == "unavailable (ConnectionError)"
    assert results["down"].startswith("unavailable (")


def test_results_never_name_the_url_or_its_credentials() -> None:
    url = f"postgresql://council:s3cret-password@127.0.0.1:{free_port()}/council"
    status, body = asyncio.run(health.readiness([health.database("database", url)]))
    assert status == 503 and body["ready"] is False
    assert "s3cret" not in str(body) and "council:" not in str(body)


def test_redis_is_checked_only_when_configured() -> None:
    assert health.optional_redis(None) == []
    ready, results = health.run_checks(health.optional_redis(f"redis://127.0.0.1:{free_port()}/0"))
    assert not ready and results["redis"].startswith("unavailable")


def test_a_running_redis_is_ready() -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (.ci/services.sh installs it)")
    import time

    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL)
    try:
        check = health.redis(f"redis://127.0.0.1:{port}/0")
        deadline = time.monotonic() + 10
        while not health.run_checks([check])[0] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert health.run_checks([check]) == (True, {"redis": "ok"})
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_postgresql_ready_while_it_runs_and_not_when_it_stops() -> None:
    from tests.support.postgres import ThrowawayPostgres, server_bin_dir

    if server_bin_dir() is None:
        pytest.skip("PostgreSQL server binaries are not installed (.ci/services.sh installs them)")
    cluster = ThrowawayPostgres().start()
    try:
        check = health.database("database", cluster.url)
        assert health.run_checks([check]) == (True, {"database": "ok"})
        cluster._run(str(cluster.bin / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "stop")
        ready, results = health.run_checks([check])
        assert not ready and results["database"] == "unavailable (OperationalError)"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped; its files go all the same
            cluster.stop()

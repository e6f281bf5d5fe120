"""A throwaway PostgreSQL cluster for tests: initdb + pg_ctl on a free port, removed afterwards.

Works wherever the PostgreSQL server binaries are installed (`.ci/services.sh`
installs them); as root the cluster runs as the ``postgres`` user, since
PostgreSQL refuses to run as root. No system cluster is touched.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
from sqlalchemy import create_engine

from tests.support.delivery import free_port


def server_bin_dir() -> Optional[Path]:
    """The newest installed PostgreSQL server's bin directory, or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


class ThrowawayPostgres:
    def __init__(self, durable: bool = False) -> None:
        # durable=False turns fsync off: fine for tests, wrong for benchmarks.
        self.durable = durable
        bin_dir = server_bin_dir()
        if bin_dir is None:
            raise FileNotFoundError("PostgreSQL server binaries (pg_ctl, initdb) are not installed")
        self.bin = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="pg-test-"))
        self.data = self.root / "data"
        self.as_user: List[str] = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)

    def _run(self, *argv: str) -> None:
        subprocess.run([*self.as_user, *argv], check=True, capture_output=True, timeout=120)

    def start(self) -> "ThrowawayPostgres":
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        fsync = "on" if self.durable else "off"
        self._options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync={fsync} -c max_connections=60"
        self.resume()
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "council")
        return self

    def pause(self) -> None:
        """Stop the server as a crash would (its data stays, for ``resume``)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def resume(self) -> None:
        """Start the server (again) on the same port and data."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", self._options, "-l", str(self.root / "log"),
                  "-w", "start")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/council"

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def module_cluster() -> Iterator[Optional[ThrowawayPostgres]]:
    """The body of a test module's ``postgres`` fixture: one throwaway cluster for the module,
    or None where the PostgreSQL server is not installed."""
    if server_bin_dir() is None:
        yield None
        return
    cluster = ThrowawayPostgres().start()
    try:
        yield cluster
    finally:
        cluster.stop()


def new_database(request: pytest.FixtureRequest, prefix: str) -> str:
    """The URL of a new, empty database in the module's ``postgres`` cluster; skips the test
    where PostgreSQL is not installed (.ci/services.sh installs it)."""
    cluster = request.getfixturevalue("postgres")
    if cluster is None:
        pytest.skip("PostgreSQL server binaries are not installed (.ci/services.sh installs them)")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return cluster.url.rsplit("/", 1)[0] + f"/{name}"

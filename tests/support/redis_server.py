"""A throwaway Redis server for tests: redis-server on a free port, no persistence, stopped afterwards."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from typing import Iterator, Optional

import pytest
import redis

from tests.support.delivery import free_port


class ThrowawayRedis:
    def __init__(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise FileNotFoundError("redis-server is not installed (.ci/services.sh installs it)")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="redis-test-")
        self.process: Optional[subprocess.Popen] = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.05)
        client.close()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def flush(self) -> None:
        client = redis.Redis(port=self.port)
        client.flushall()
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)


def module_redis() -> Iterator[ThrowawayRedis]:
    """The body of a test module's ``redis_server`` fixture (skips where redis-server is missing)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (.ci/services.sh installs it)")
    server = ThrowawayRedis()
    try:
        yield server
    finally:
        server.stop()

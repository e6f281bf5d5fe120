"""Rasa's tracker and lock stores, configured from our settings, against real SQLite and Redis."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest
import redis
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import PROJECT_ROOT
from bot.storage.rasa_stores import CouncilLockStore, CouncilTrackerStore
from tests.support.stack import free_port


def test_tracker_store_keeps_conversations_in_the_configured_database(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'trackers.db'}")
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    store = CouncilTrackerStore(domain=domain)
    tracker = DialogueStateTracker.from_events("resident-7", [ActionExecuted("action_listen"), UserUttered("hello")])
    asyncio.run(store.save(tracker))
    assert (tmp_path / "trackers.db").exists()

    again = asyncio.run(CouncilTrackerStore(domain=domain).retrieve("resident-7"))
    assert again is not None and again.latest_message.text == "hello"


def test_lock_store_is_in_memory_without_redis(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert isinstance(CouncilLockStore()._inner, InMemoryLockStore)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (.ci/services.sh installs it)")
    port = free_port()
    process = subprocess.Popen([server, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/1"
    process.terminate()
    process.wait(timeout=10)


def test_redis_lock_store_is_shared_by_several_rasa_servers(redis_url, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_url)
    server_a, server_b = CouncilLockStore(), CouncilLockStore()
    assert isinstance(server_a._inner, RedisLockStore)

    async def scenario() -> None:
        async with server_a.lock("conversation-1"):
            # While server A handles a message, server B sees A's ticket and has to queue.
            assert len(server_b.get_lock("conversation-1").tickets) == 1
            ticket = server_b.issue_ticket("conversation-1")
            assert server_b.get_lock("conversation-1").is_locked(ticket)
            server_b.finish_serving("conversation-1", ticket)
        # Released by A: nothing left for B to wait for.
        assert server_b.get_lock("conversation-1") is None

    asyncio.run(scenario())

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import AsyncIterator, Callable

import pytest

from bot.storage.outbox import OutboxStore
from bot.outbox.worker import DeliveryWorker
from bot.settings import load_settings
from bot.storage.cases import CaseStore
from tests.support.delivery import FakeClock, RunningSandbox, sandbox_routing


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    running = await RunningSandbox().start()
    yield running
    await running.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def make_worker(
    case_store: CaseStore, clock: FakeClock, sandbox: RunningSandbox, tmp_path: Path
) -> AsyncIterator[Callable[..., DeliveryWorker]]:
    """A worker on the test database delivering to the sandbox, on the fake clock."""
    made = []

    def build(routing_path: Path | None = None, timeout: float = 2.0, **env: str) -> DeliveryWorker:
        settings = load_settings({"VAR_DIR": str(tmp_path), **env})
        routing = sandbox_routing(sandbox.url, routing_path) if routing_path else sandbox_routing(sandbox.url)
        systems = routing.build({"OPEN311_SANDBOX_URL": sandbox.url, "OPEN311_SANDBOX_API_KEY": "test-key-123"})
        for system in systems.values():
            system.config = replace(system.config, timeout_seconds=timeout)  # type: ignore[attr-defined]
        worker = DeliveryWorker(
            OutboxStore(case_store.engine, clock), case_store, routing, systems, settings,
            clock=clock, rng=random.Random(7),
        )
        made.append(worker)
        return worker

    yield build
    for worker in made:
        await worker.close()

"""Helpers for delivery tests: a simulated clock, the real sandbox on a free port, routing to it."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot.cases.model import NewCase
from bot.routing import Routing, load_routing
from bot.sandbox.open311 import Sandbox, services_from_routing, start
from bot.settings import PROJECT_ROOT
from bot.ports import free_port

API_KEY = "test-key-123"


@dataclass
class FakeClock:
    """Time that moves only when a test says so.

    Starts a few seconds ahead of real time, so cases a test creates (stamped
    with real time) are already due.
    """

    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc) + timedelta(seconds=5))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def sandbox_routing(url: str, path: Path = PROJECT_ROOT / "council" / "routing.yml") -> Routing:
    return load_routing(path, {"OPEN311_SANDBOX_URL": url, "OPEN311_SANDBOX_API_KEY": API_KEY})


class RunningSandbox:
    """The real sandbox app served in the test's event loop."""

    def __init__(self) -> None:
        routing = sandbox_routing("http://127.0.0.1:1/")
        self.sandbox = Sandbox(services_from_routing(routing), api_key=API_KEY)
        self.port = free_port()
        self.url = ""
        self._runner: Any = None

    async def start(self) -> "RunningSandbox":
        self._runner, self.url = await start(self.sandbox, "127.0.0.1", self.port)
        return self

    async def stop(self) -> None:
        """Really down: the port stops accepting connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def requests_for(self, reference: str) -> List[Dict[str, Any]]:
        return [r for r in self.sandbox.requests.values() if r["attributes"].get("council_reference") == reference]


def new_case(conversation: str = "resident-1", category: str = "pothole", **extra: Any) -> NewCase:
    values: Dict[str, Any] = dict(
        category=category,
        conversation_id=conversation,
        channel="rest",
        location_text="Outside 12 Mill Lane",
        postcode="AN1 4GT",
        description="Deep pothole by the bus stop",
        details={"defect_surface": "road", "defect_size": "like a dinner plate", "defect_danger": True},
        contact_phone="07700 900123",
        contact_email="resident@example.com",
        contact_consent=True,
    )
    values.update(extra)
    return NewCase(**values)


def http_json(url: str, body: Optional[Dict[str, Any]] = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())

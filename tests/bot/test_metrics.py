"""The metrics endpoint's protection and labels (bot/metrics.py, bot/endpoints.py), on a real aiohttp server."""

from __future__ import annotations

import asyncio
from typing import Optional

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot import metrics
from bot.endpoints import add_aiohttp_routes
from bot.health import Check

TOKEN = "metrics-token-for-tests"


def test_authorization() -> None:
    assert metrics.authorization_problem("Bearer x", None) == 404  # no token configured: metrics off
    assert metrics.authorization_problem(None, TOKEN) == 401
    assert metrics.authorization_problem(f"Basic {TOKEN}", TOKEN) == 401
    assert metrics.authorization_problem("Bearer wrong", TOKEN) == 403
    assert metrics.authorization_problem(f"Bearer {TOKEN}", TOKEN) is None
    assert metrics.authorization_problem(f"bearer  {TOKEN} ", TOKEN) is None


def test_labels_take_only_names_never_personal_data() -> None:
    assert metrics.label("rest") == "rest" and metrics.label("SMS") == "sms" and metrics.label("waste") == "waste"
    for personal in ("07700900123", "+447700900123", "resident@example.com", "AN1 4GT", "my bin wasn't emptied", ""):
        assert metrics.label(personal) == "other"
    assert metrics.label(None, default="unknown") == "unknown"


async def _call(token: Optional[str], header: Optional[str], path: str = "/metrics", fail: bool = False):
    app = web.Application()

    def probe() -> None:
        if fail:
            raise ConnectionError("down")

    refreshed = []
    add_aiohttp_routes(app, [Check("thing", probe)], token, refresh=lambda: refreshed.append(True))
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        response = await client.get(path, headers={"Authorization": header} if header else {})
        return response.status, await response.text(), response.headers, refreshed
    finally:
        await client.close()


def test_metrics_endpoint_refuses_without_the_token_and_serves_with_it() -> None:
    metrics.FALLBACKS.labels("rest")
    status, _, headers, refreshed = asyncio.run(_call(TOKEN, None))
    assert status == 401 and headers["WWW-Authenticate"] == "Bearer" and not refreshed
    assert asyncio.run(_call(TOKEN, "Bearer nope"))[0] == 403
    assert asyncio.run(_call(None, f"Bearer {TOKEN}"))[0] == 404
    status, body, headers, refreshed = asyncio.run(_call(TOKEN, f"Bearer {TOKEN}"))
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert refreshed == [True]  # gauges read at scrape time
    assert "council_nlu_fallbacks_total" in body and "council_turn_seconds" in body


def test_health_and_ready() -> None:
    status, body, _, _ = asyncio.run(_call(None, None, "/health", fail=True))
    assert status == 200 and '"ok"' in body  # liveness consults nothing
    status, body, _, _ = asyncio.run(_call(None, None, "/ready"))
    assert status == 200 and '"ready": true' in body
    status, body, _, _ = asyncio.run(_call(None, None, "/ready", fail=True))
    assert status == 503 and '"thing": "unavailable (ConnectionError)"' in body

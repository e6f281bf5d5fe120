"""``/health``, ``/ready`` and ``/metrics`` on a service's web app (Sanic or aiohttp).

The same three routes, the same answers, on every service we run
(docs/operations.md): ``/health`` is ``{"status": "ok"}`` without consulting
anything; ``/ready`` runs the service's readiness checks (bot/health.py);
``/metrics`` is the Prometheus registry (bot/metrics.py) behind METRICS_TOKEN.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, List, Optional

from bot import metrics
from bot.health import Check, readiness

Refresh = Optional[Callable[[], None]]


def _refused(status: int) -> tuple:
    body = {404: "not found", 401: "missing credentials", 403: "wrong credentials"}[status]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return {"error": body}, headers


def add_sanic_routes(app: Any, checks: List[Check], token: Optional[str], refresh: Refresh = None,
                     health: bool = True) -> None:
    """Add the three routes to a Sanic app (``health=False`` where the app has its own ``/health``)."""
    from sanic import response

    if health:
        @app.get("/health", name="observability_health")
        async def health_route(_request: Any) -> Any:
            return response.json({"status": "ok"})

    @app.get("/ready", name="observability_ready")
    async def ready_route(_request: Any) -> Any:
        status, body = await readiness(checks)
        return response.json(body, status=status)

    @app.get("/metrics", name="observability_metrics")
    async def metrics_route(request: Any) -> Any:
        refused = metrics.authorization_problem(request.headers.get("Authorization"), token)
        if refused is not None:
            body, headers = _refused(refused)
            return response.json(body, status=refused, headers=headers)
        payload, content_type = await asyncio.to_thread(metrics.exposition, refresh)
        return response.raw(payload, content_type=content_type)


def add_aiohttp_routes(app: Any, checks: List[Check], token: Optional[str], refresh: Refresh = None,
                       health: bool = True) -> None:
    """Add the three routes to an aiohttp application."""
    from aiohttp import web

    async def health_route(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def ready_route(_request: web.Request) -> web.Response:
        status, body = await readiness(checks)
        return web.json_response(body, status=status)

    async def metrics_route(request: web.Request) -> web.Response:
        refused = metrics.authorization_problem(request.headers.get("Authorization"), token)
        if refused is not None:
            body, headers = _refused(refused)
            return web.json_response(body, status=refused, headers=headers)
        payload, content_type = await asyncio.to_thread(metrics.exposition, refresh)
        return web.Response(body=payload, headers={"Content-Type": content_type})

    routes = [web.get("/ready", ready_route), web.get("/metrics", metrics_route)]
    if health:
        routes.append(web.get("/health", health_route))
    app.add_routes(routes)

"""Service analytics for supervisors and admins (blueprint ``analytics``): the dashboard and CSV downloads.

The console only renders: the figures come from bot/analytics/figures.py (as
``python -m bot.analytics`` prints them), the charts from
bot/analytics/charts.py as inline SVG made here on the server (no script, no
CDN). Each page first folds new tracker events into the rollup, at most
``REFRESH_EVENTS_PER_REQUEST`` of them so a page never waits long; the page
says when it is still catching up. Viewing and every download are audited
with the period (and the figure), never any resident's data, of which the
figures hold none.
"""

from __future__ import annotations

import asyncio
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine

from bot.analytics.charts import svg
from bot.analytics.export import to_csv
from bot.analytics.figures import Figure, Period, compute, show
from bot.analytics.rollup import update
from bot.console.web import console, render, requires
from bot.storage.database import make_engine

bp = Blueprint("analytics")
# One page reads at most this many new tracker events (under a second's work: docs/benchmarks.md); the
# rest on the next pages. A first build over a large tracker store: python -m bot.analytics.
REFRESH_EVENTS_PER_REQUEST = 20_000


def _tracker_engine(request: Request) -> Engine:
    """Made on first use and kept (one engine on the tracker store for the app's life)."""
    engine = getattr(request.app.ctx, "analytics_tracker", None)
    if engine is None:
        engine = make_engine(console(request).settings.tracker_store_url)
        request.app.ctx.analytics_tracker = engine
    return engine


async def _figures(request: Request) -> Tuple[Period, List[str], List[Figure], bool]:
    app_console = console(request)
    zone = ZoneInfo(app_console.settings.staffed_timezone)
    period, problems = Period.parse({"from": request.args.get("from"), "to": request.args.get("to")}, zone)
    _, caught_up = await asyncio.to_thread(update, app_console.engine, _tracker_engine(request),
                                           REFRESH_EVENTS_PER_REQUEST)
    figures = await asyncio.to_thread(compute, app_console.engine, period)
    return period, problems, figures, caught_up


def _query(period: Period) -> str:
    return urlencode({"from": period.first.isoformat(), "to": period.last.isoformat()})


@bp.get("/analytics")
@requires("supervisor")
async def dashboard(request: Request) -> HTTPResponse:
    period, problems, figures, caught_up = await _figures(request)
    console(request).audit.record(request.ctx.staff.id, "view_analytics", None, first=period.first.isoformat(),
                                  last=period.last.isoformat())
    charts: Dict[str, str] = {f.key: svg(f, f"chart-{f.key}") for f in figures}
    return render(request, "analytics.html", period=period, problems=problems, figures=figures, charts=charts,
                  caught_up=caught_up, query=_query(period), show=show)


@bp.get("/analytics/csv/<key>")
@requires("supervisor")
async def download(request: Request, key: str) -> HTTPResponse:
    period, _, figures, _ = await _figures(request)
    figure: Optional[Figure] = next((f for f in figures if f.key == key), None)
    if figure is None:
        return render(request, "error.html", status=404, title="Not found", message="There is no such figure.")
    console(request).audit.record(request.ctx.staff.id, "analytics_export", figure.key,
                                  first=period.first.isoformat(), last=period.last.isoformat())
    filename = f"analytics-{figure.key}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return response.text(to_csv(figure, period), content_type="text/csv; charset=utf-8",
                         headers={"Content-Disposition": f'attachment; filename="{filename}"'})


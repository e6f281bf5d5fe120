"""Residents' data rights in the console, for supervisors and admins (blueprint ``privacy``).

A subject access request gets one zip (bot/privacy/archive.py); an erasure
request is shown as a dry run first and done only when confirmed, held
while a case is still open unless forced (bot/privacy/erasure.py). Both are
POSTs (CSRF-checked, and the phone number or email never lands in a URL or
an access log) and both are audited with the selector's kind and a hash,
never the selector itself.
"""

from __future__ import annotations

import asyncio

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from bot.console.web import console, form_value, render, requires
from bot.privacy.archive import export_subject
from bot.privacy.erasure import erase_subject
from bot.privacy.subject import KINDS, DataStores, Selector, SelectorError, find_subject

bp = Blueprint("privacy")


def _stores(request: Request) -> DataStores:
    """Made on first use and kept (one engine on the tracker store for the app's life)."""
    stores = getattr(request.app.ctx, "privacy_stores", None)
    if stores is None:
        app_console = console(request)
        stores = DataStores.from_settings(app_console.settings, engine=app_console.engine)
        request.app.ctx.privacy_stores = stores
    return stores


def _selector(request: Request) -> Selector:
    return Selector.parse(form_value(request, "kind", 20), form_value(request, "value", 254))


@bp.get("/privacy")
@requires("supervisor")
async def privacy_page(request: Request) -> HTTPResponse:
    return render(request, "privacy.html", kinds=KINDS)


@bp.post("/privacy/export")
@requires("supervisor")
async def export(request: Request) -> HTTPResponse:
    try:
        selector = _selector(request)
    except SelectorError as error:
        return render(request, "privacy.html", status=400, kinds=KINDS, error=str(error))
    app_console = console(request)
    stores = _stores(request)
    subject = await asyncio.to_thread(find_subject, stores, selector)
    content, counts = await asyncio.to_thread(export_subject, stores, subject, app_console.settings.council_name)
    member = request.ctx.staff
    app_console.audit.record(member.id, "privacy_export", None, by=member.display_name, selector=selector.kind,
                             subject=selector.digest(), counts={k: v for k, v in counts.items() if v})
    return response.raw(content, content_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="subject-access-{selector.digest()}.zip"',
    })


@bp.post("/privacy/erase")
@requires("supervisor")
async def erase(request: Request) -> HTTPResponse:
    try:
        selector = _selector(request)
    except SelectorError as error:
        return render(request, "privacy.html", status=400, kinds=KINDS, error=str(error))
    confirmed = form_value(request, "confirm", 10) == "yes"
    force = form_value(request, "force", 10) == "yes"
    stores = _stores(request)
    subject = await asyncio.to_thread(find_subject, stores, selector)
    member = request.ctx.staff
    report = await asyncio.to_thread(erase_subject, stores, subject, member.id, member.display_name,
                                     not confirmed, force)
    # The form keeps the selector for the confirming click (a POST body, never a URL).
    return render(request, "privacy.html", kinds=KINDS, report=report, kind=selector.kind,
                  value=selector.value, confirmed=confirmed)

"""``python -m bot.outbox``: run the delivery worker (what `make run` starts).

Other commands, for operators:

    python -m bot.outbox check-routing     # validate council/routing.yml and say where each category goes
    python -m bot.outbox requeue AB7K-3FQ2 # deliver a refused case again (after fixing the cause)
    python -m bot.outbox status            # pending / delivered / failed / flagged counts
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from typing import List, Optional

from aiohttp import web

from bot import health as health_checks
from bot import metrics, private_files, redaction
from bot.endpoints import add_aiohttp_routes
from bot.cases import references
from bot.outbox.lock import WorkerLock, lock_path_for
from bot.outbox.notify import METRIC_KINDS, RasaNotifier
from bot.outbox.store import OutboxStore
from bot.outbox.worker import DeliveryWorker
from bot.retention import RetentionPolicy, apply_retention, photo_dirs, run_daily
from bot.routing import load_routing
from bot.settings import ConfigError, Settings, load_settings
from bot.storage.cases import CaseStore
from bot.storage.database import create_schema, make_engine

logger = logging.getLogger("bot.outbox")


async def serve(settings: Settings) -> int:
    routing = load_routing(settings.routing_file, os.environ)
    engine = make_engine(settings.database_url)
    create_schema(engine)
    store = OutboxStore(engine)
    worker = DeliveryWorker(
        store,
        CaseStore(engine),
        routing,
        routing.build(os.environ, CaseStore(engine)),
        settings,
        notifier=RasaNotifier(engine, settings.rasa_url, settings.rasa_api_token, settings.notify_push_channels,
                              team_name=settings.council_team_name),
    )
    lock_path = lock_path_for(settings.database_url)
    lock = WorkerLock(lock_path) if lock_path else None
    role = {"value": "starting"}

    async def health(_request: web.Request) -> web.Response:
        # Liveness only: nothing else is consulted (readiness is /ready).
        return web.json_response({"status": "ok", "role": role["value"]})

    def refresh_gauges() -> None:
        pending = store.pending_by_backoffice(routing.backoffice_for)
        for name in set(routing.backoffices) | set(pending):
            count, oldest = pending.get(name, (0, 0.0))
            metrics.OUTBOX_PENDING.labels(metrics.label(name)).set(count)
            metrics.OUTBOX_OLDEST_SECONDS.labels(metrics.label(name)).set(oldest)

    # Every series present from the start, at zero, so alerts on rates see the first failure.
    for name in routing.backoffices:
        for outcome in ("retry", "rejected", "uncertain"):
            metrics.DELIVERY_FAILURES.labels(metrics.label(name), outcome)
    for kind in METRIC_KINDS:
        metrics.NOTIFICATION_FAILURES.labels(kind)

    app = web.Application()
    app.add_routes([web.get("/health", health)])
    # Ready: it can read and write the outbox, and reach Rasa to tell residents of status changes.
    checks = [health_checks.database("database", settings.database_url),
              health_checks.http("rasa", f"{settings.rasa_url}/"), *health_checks.optional_redis(settings.redis_url)]
    add_aiohttp_routes(app, checks, settings.metrics_token, refresh_gauges, health=False)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.bind_host, settings.outbox_worker_port).start()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        while lock is not None and not lock.try_acquire() and not stop.is_set():
            if role["value"] != "standby":
                logger.info("Another worker is delivering from this SQLite database; standing by")
            role["value"] = "standby"
            try:
                await asyncio.wait_for(stop.wait(), timeout=5)
            except asyncio.TimeoutError:
                pass
        role["value"] = "active"
        logger.info("Delivering to %s", ", ".join(f"{n} ({s.adapter})" for n, s in routing.backoffices.items()))
        # The active worker also removes personal data past its retention period, daily.
        tracker_engine = make_engine(settings.tracker_store_url)
        retention = asyncio.create_task(run_daily(stop, lambda: apply_retention(
            engine, tracker_engine, photo_dirs(settings), RetentionPolicy.from_settings(settings))))
        await worker.run(stop)
        await retention
    finally:
        await worker.close()
        await runner.cleanup()
        if lock is not None:
            lock.release()
    return 0


def requeue(settings: Settings, reference: str) -> int:
    canonical = references.normalise(reference)
    engine = make_engine(settings.database_url)
    case = CaseStore(engine).get_by_reference(canonical or "")
    if case is None:
        print(f"No case with reference {reference}.", file=sys.stderr)
        return 1
    if OutboxStore(engine).requeue(case.id):
        print(f"Case {case.reference} will be delivered again on the worker's next round.")
        return 0
    print(f"Case {case.reference} was already delivered; nothing to do.")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.outbox", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the delivery worker (the default)")
    sub.add_parser("check-routing", help="validate the routing file")
    sub.add_parser("status", help="outbox counts")
    again = sub.add_parser("requeue", help="deliver a case again")
    again.add_argument("reference")
    args = parser.parse_args(argv)
    redaction.configure_logging()
    try:
        settings = load_settings()
        private_files.restrict(settings.var_dir)
        if args.command == "check-routing":
            routing = load_routing(settings.routing_file, os.environ)
            for category, route in routing.routes.items():
                print(f"{category:18} -> {route.backoffice} ({routing.backoffices[route.backoffice].adapter}"
                      f"{', ' + route.service_code if route.service_code else ''})")
            return 0
        if args.command == "status":
            engine = make_engine(settings.database_url)
            create_schema(engine)
            print(OutboxStore(engine).counts())
            return 0
        if args.command == "requeue":
            return requeue(settings, args.reference)
        return asyncio.run(serve(settings))
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

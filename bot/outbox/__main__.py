"""``python -m bot.outbox``: run the delivery worker (what `make run` starts).

Other commands, for operators:

    python -m bot.outbox run --once        # one round (deliver what is due, check statuses, retry messages), then exit
    python -m bot.outbox check-routing     # validate council/routing.yml and say where each category goes
    python -m bot.outbox check-routing --live  # ... and call each back office (service list, key test)
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
from bot.analytics.background import RollupRefresher
from bot.backoffice.base import LiveProblem
from bot.endpoints import add_aiohttp_routes
from bot.cases import references
from bot.outbox.lock import WorkerLock, lock_path_for
from bot.outbox.notify import METRIC_KINDS, RasaNotifier
from bot.storage.outbox import OutboxStore
from bot.outbox.worker import DeliveryWorker
from bot.retention import RetentionPolicy, apply_retention, photo_dirs, run_daily
from bot.routing import Routing, load_routing
from bot.settings import ConfigError, Settings, load_settings
from bot.storage.cases import CaseStore
from bot.storage.database import create_schema, make_engine

logger = logging.getLogger("bot.outbox")


def build_worker(settings: Settings, routing: Routing, analytics: bool = False) -> DeliveryWorker:
    """The worker; ``analytics``: it also keeps the analytics rollup fresh (the serving worker, not ``--once``)."""
    engine = make_engine(settings.database_url, pooled=True)
    create_schema(engine)
    refresher = RollupRefresher(engine, make_engine(settings.tracker_store_url),
                                settings.analytics_refresh_minutes * 60, settings.analytics_refresh_events
                                ) if analytics and settings.analytics_refresh_minutes else None
    return DeliveryWorker(
        OutboxStore(engine),
        CaseStore(engine),
        routing,
        routing.build(os.environ, CaseStore(engine)),
        settings,
        notifier=RasaNotifier.from_settings(engine, settings),
        analytics=refresher,
    )


async def run_once(settings: Settings) -> int:
    """One round for operators: deliver what is due, check statuses, retry messages; print what happened."""
    routing = load_routing(settings.routing_file, os.environ)
    worker = build_worker(settings, routing)
    lock_path = lock_path_for(settings.database_url)
    lock = WorkerLock(lock_path) if lock_path else None
    if lock is not None and not lock.try_acquire():
        print("Another worker is delivering from this SQLite database; nothing done (it will do this round).",
              file=sys.stderr)
        await worker.close()
        return 1
    try:
        done = await worker.run_once()
    finally:
        await worker.close()
        if lock is not None:
            lock.release()
    counts = worker.store.counts()
    print(f"Claimed {done['claimed']} case(s) for delivery, checked {done['polled']} status(es), "
          f"retried {done['notifications_retried']} message(s).")
    print("Now: " + ", ".join(f"{state} {count}" for state, count in counts.items()))
    return 0


async def check_live(routing: Routing) -> int:
    """Call every back office; print what is wrong. 1 if anything would stop delivery."""
    systems = routing.build(os.environ, store=_NoStore())
    fatal = False
    try:
        names = sorted(systems)
        results = await asyncio.gather(*(systems[name].check_live() for name in names), return_exceptions=True)
        for name, found in zip(names, results):
            adapter = routing.backoffices[name].adapter
            if isinstance(found, BaseException):
                found = [LiveProblem(f"the check itself failed ({type(found).__name__})")]
            if not found:
                print(f"{name} ({adapter}): ok")
            for problem in found:
                fatal = fatal or problem.fatal
                print(f"{name} ({adapter}): {'PROBLEM' if problem.fatal else 'warning'}: {problem.what}")
    finally:
        for system in systems.values():
            await system.close()
    return 1 if fatal else 0


class _NoStore:
    """The built-in back office needs no connection to be checked."""


async def serve(settings: Settings) -> int:
    routing = load_routing(settings.routing_file, os.environ)
    worker = build_worker(settings, routing, analytics=True)
    store = worker.store
    engine = store.engine
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
    run = sub.add_parser("run", help="run the delivery worker (the default)")
    run.add_argument("--once", action="store_true", help="one round, then exit (for operators and cron)")
    check = sub.add_parser("check-routing", help="validate the routing file")
    check.add_argument("--live", action="store_true",
                       help="also call each back office: service list, service codes, a test of the API key")
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
            return asyncio.run(check_live(routing)) if args.live else 0
        if args.command == "status":
            engine = make_engine(settings.database_url)
            create_schema(engine)
            print(OutboxStore(engine).counts())
            return 0
        if args.command == "requeue":
            return requeue(settings, args.reference)
        if args.command == "run" and args.once:
            return asyncio.run(run_once(settings))
        return asyncio.run(serve(settings))
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

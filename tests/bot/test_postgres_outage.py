"""PostgreSQL stopping and coming back: /ready follows it, and the stores work again at once.

Real PostgreSQL (stopped as a crash would, then started on the same data) and Redis. The Rasa
server's readiness checks are run as its /ready runs them; the website is served for real.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import Dict

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import health
from bot.rasa_observability import readiness_checks
from bot.settings import PROJECT_ROOT, load_settings
from bot.storage.database import create_schema, make_engine
from bot.storage.rasa_stores import CouncilTrackerStore
from bot.storage.sms import SmsStore
from tests.support.postgres import new_database


def ready_checks(url: str) -> Dict[str, str]:
    try:
        with urllib.request.urlopen(f"{url}/ready", timeout=30) as response:
            return json.loads(response.read())["checks"]
    except urllib.error.HTTPError as error:
        return json.loads(error.read())["checks"]


def test_ready_turns_false_when_postgresql_stops_and_true_when_it_returns(request, postgres, redis_server,
                                                                          tmp_path: Path) -> None:
    from tests.bot.web.test_photo_upload import Site

    database, trackers = new_database(request, "council"), new_database(request, "trackers")
    create_schema(make_engine(database))
    settings = load_settings({"DATABASE_URL": database, "TRACKER_STORE_URL": trackers,
                              "REDIS_URL": redis_server.url, "VAR_DIR": str(tmp_path)})
    agent = SimpleNamespace(is_ready=lambda: True)
    rasa_checks = readiness_checks(settings, SimpleNamespace(ctx=SimpleNamespace(agent=agent)))
    site = Site(tmp_path, DATABASE_URL=database, REDIS_URL=redis_server.url)
    try:
        def observed() -> Dict[str, str]:
            _ready, rasa = health.run_checks(rasa_checks)
            website = ready_checks(site.url)
            return {"rasa tracker store": rasa["tracker_store"], "rasa database": rasa["database"],
                    "rasa redis": rasa["redis"], "website database": website["database"],
                    "website redis": website["redis"]}

        assert set(observed().values()) == {"ok"}
        postgres.pause()
        try:
            down = observed()
            assert all(down[name].startswith("unavailable") for name in down if "redis" not in name), down
            assert down["rasa redis"] == down["website redis"] == "ok"
        finally:
            postgres.resume()
        assert set(observed().values()) == {"ok"}, "ready again as soon as PostgreSQL is back"
    finally:
        site.stop()


async def test_the_stores_work_again_at_once_when_postgresql_returns(request, postgres, monkeypatch) -> None:
    """Connections kept in a pool died with the server: the first turn after it is back must not fail."""
    monkeypatch.setenv("TRACKER_STORE_URL", new_database(request, "trackers"))
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    trackers = CouncilTrackerStore(domain=domain)
    engine = make_engine(new_database(request, "council"))
    create_schema(engine)
    sms = SmsStore(engine)
    tracker = DialogueStateTracker.from_events("resident", [ActionExecuted("action_listen"), UserUttered("hello")],
                                               domain.slots)
    await trackers.save(tracker)
    # A turn as Rasa makes it (retrieve, save): the store's kept connections are open when PostgreSQL goes.
    tracker = await trackers.retrieve("resident")
    tracker.update(UserUttered("are you there?"))
    await trackers.save(tracker)
    assert sms.accept_inbound("SM" + "1" * 32, "+447700900123", "hello", []) is not None

    postgres.pause()
    postgres.resume()
    time.sleep(0.2)
    tracker = await trackers.retrieve("resident")  # a new server: the remembered tracker is checked, not trusted
    tracker.update(UserUttered("still there?"))
    await trackers.save(tracker)
    assert [e.text for e in (await CouncilTrackerStore(domain=domain).retrieve("resident")).events
            if isinstance(e, UserUttered)] == ["hello", "are you there?", "still there?"]
    assert sms.accept_inbound("SM" + "2" * 32, "+447700900123", "again", []) is not None

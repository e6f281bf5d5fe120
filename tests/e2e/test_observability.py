"""/health, /ready, /metrics and JSON logs on the real services `make run` starts (docs/operations.md).

Real Rasa server, action server, delivery worker, Open311 sandbox, website,
staff console and Twilio stand-in. The console starts first, while no Rasa
server runs, so its readiness is seen false and then true; the database file
is taken away and put back; the Rasa server is stopped last.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

from bot.launcher import Service, delivery_services, stop_all, twilio_sandbox_service, wait_until_healthy, web_service
from bot.settings import PROJECT_ROOT
from tests.support.console import console_env, console_service
from tests.support.delivery import http_json
from tests.support.http import eventually, get, samples
from tests.support.sms import SmsClient
from tests.support.stack import Stack, free_port

pytestmark = pytest.mark.e2e

METRICS_TOKEN = "metrics-" + uuid.uuid4().hex
PHONE = "07700 900123"
EMAIL = "resident.observed@example.com"


class World:
    def __init__(self, var_dir: Path) -> None:
        console_port = free_port()
        self.stack = Stack(var_dir, {
            "METRICS_TOKEN": METRICS_TOKEN, "LOG_FORMAT": "json",
            "OPEN311_SANDBOX_PORT": str(free_port()), "OUTBOX_WORKER_PORT": str(free_port()),
            "OUTBOX_STATUS_POLL_SECONDS": "1", "OUTBOX_BACKOFF_SECONDS": "1",
            "WEB_PORT": str(free_port()), "TWILIO_SANDBOX_PORT": str(free_port()),
            "STAFFED_HOURS": "Mon-Sun 00:00-24:00", **console_env(console_port),
        })
        settings = self.stack.settings
        host = settings.bind_host
        self.console = console_service(console_port)
        self.urls = {
            "rasa": self.stack.rasa_url,
            "action server": f"http://{host}:{settings.action_server_port}",
            "delivery worker": f"http://{host}:{settings.outbox_worker_port}",
            "website": f"http://{host}:{settings.web_port}",
            "staff console": f"http://{host}:{console_port}",
        }
        self.sandbox = f"http://{host}:{settings.open311_sandbox_port}"
        # The console alone first: no Rasa server is running yet.
        log = open(var_dir / "staff-console.log", "ab")
        self.console.process = subprocess.Popen(self.console.argv, cwd=PROJECT_ROOT, env=self.stack.env,
                                                stdout=log, stderr=subprocess.STDOUT)
        wait_until_healthy(self.console, timeout=60)
        self.console_ready_without_rasa = get(f"{self.urls['staff console']}/ready")
        self.stack.start(extra=delivery_services(settings) + [web_service(settings), twilio_sandbox_service(settings)])
        self.sms = SmsClient(self.stack)

    def scrape(self, service: str) -> Dict[Tuple[str, str], float]:
        status, text = get(f"{self.urls[service]}/metrics", METRICS_TOKEN)
        assert status == 200, (service, status, text)
        return samples(text)

    def metrics_text(self) -> str:
        return "\n".join(get(f"{url}/metrics", METRICS_TOKEN)[1] for url in self.urls.values())

    def stop(self) -> None:
        stop_all([self.console])
        self.stack.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    running = World(Path(tmp_path_factory.mktemp("observability")))
    yield running
    running.stop()


def test_every_service_is_live_and_ready(world: World) -> None:
    status, body = world.console_ready_without_rasa
    assert status == 503 and json.loads(body)["checks"]["rasa"].startswith("unavailable")
    for service, url in world.urls.items():
        status, body = get(f"{url}/health")
        assert status == 200 and json.loads(body)["status"] == "ok", service
        eventually(lambda: get(f"{url}/ready")[0] == 200)
        body = json.loads(get(f"{url}/ready")[1])
        assert body["ready"] is True and set(body["checks"].values()) == {"ok"}, (service, body)
    checks = json.loads(get(f"{world.urls['rasa']}/ready")[1])["checks"]
    assert set(checks) == {"model", "tracker_store", "database", "action_server"}


def test_metrics_are_not_public(world: World) -> None:
    for service, url in world.urls.items():
        assert get(f"{url}/metrics")[0] == 401, service
        assert get(f"{url}/metrics", "not-the-token")[0] == 403, service
        assert get(f"{url}/metrics?token={METRICS_TOKEN}")[0] == 401, service


def report_a_missed_bin(stack: Stack, me: str) -> str:
    for text in ("my bin wasn't collected", "14 Foxglove Way, AN1 4GT", "the blue one", "tuesday", "yes", PHONE, EMAIL):
        stack.say_text(me, text)
    return stack.say_text(me, "yes")


def test_a_real_conversation_shows_in_the_metrics(world: World) -> None:
    rasa_before = world.scrape("rasa")
    http_json(f"{world.sandbox}/admin/mode", {"down": True})  # the back office is down: the case waits
    me = f"observed-{uuid.uuid4().hex[:8]}"
    reply = report_a_missed_bin(world.stack, me)
    assert re.search(r"\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b", reply), reply
    [mash] = world.stack.not_understood(1)
    world.stack.say_text(me, mash)  # not understood: the bot asks
    world.stack.say_text(f"observed-person-{uuid.uuid4().hex[:8]}", "I want to talk to a real person")
    status, _ = world.sms.text("+447700900456", "hello")
    assert status == 200

    rasa = world.scrape("rasa")
    rest_turns = rasa[("council_turn_seconds_count", 'channel="rest"')] - rasa_before[("council_turn_seconds_count", 'channel="rest"')]
    assert rest_turns == 10
    assert 0 < rasa[("council_turn_seconds_sum", 'channel="rest"')] < 10 * 30
    eventually(lambda: world.scrape("rasa")[("council_turn_seconds_count", 'channel="sms"')] >= 1)
    understood = rasa[("council_nlu_confidence_count", "")] - rasa_before[("council_nlu_confidence_count", "")]
    assert understood >= 10
    assert 0 < rasa[("council_nlu_confidence_sum", "")] <= rasa[("council_nlu_confidence_count", "")]
    assert rasa[("council_nlu_fallbacks_total", 'channel="rest"')] - rasa_before[("council_nlu_fallbacks_total", 'channel="rest"')] >= 1
    assert rasa[("council_sms_ack_seconds_count", "")] >= 1
    assert rasa[("council_sms_ack_seconds_sum", "")] < 15 * rasa[("council_sms_ack_seconds_count", "")]

    def waste_waiting() -> bool:
        worker = world.scrape("delivery worker")
        return (worker[("council_outbox_pending", 'backoffice="waste"')] >= 1
                and worker[("council_delivery_failures_total", 'backoffice="waste",outcome="retry"')] >= 1)

    eventually(waste_waiting)
    time.sleep(1.1)
    worker = world.scrape("delivery worker")
    assert worker[("council_outbox_oldest_pending_seconds", 'backoffice="waste"')] >= 1
    assert worker[("council_notification_failures_total", 'kind="accepted"')] == 0
    http_json(f"{world.sandbox}/admin/mode", {"down": False})
    eventually(lambda: world.scrape("delivery worker")[("council_outbox_pending", 'backoffice="waste"')] == 0)
    assert world.scrape("delivery worker")[("council_outbox_oldest_pending_seconds", 'backoffice="waste"')] == 0

    console = world.scrape("staff console")
    assert console[("council_escalations_waiting", 'priority="normal"')] >= 1
    assert console[("council_escalation_oldest_wait_seconds", 'priority="normal"')] > 0

    text = world.metrics_text()
    for personal in (me, PHONE, PHONE.replace(" ", ""), "7700900456", EMAIL, "AN1 4GT", "Foxglove"):
        assert personal not in text


def test_logs_are_json_lines_with_the_conversation_and_no_personal_data(world: World) -> None:
    me = f"logged-{uuid.uuid4().hex[:8]}"
    report_a_missed_bin(world.stack, me)
    entries: List[dict] = []
    for name in ("rasa-server.log", "action-server.log", "delivery-worker.log", "staff-console.log", "website.log"):
        found = [json.loads(line) for line in (world.stack.var_dir / name).read_text(errors="replace").splitlines()
                 if line.startswith("{")]
        assert found, f"no JSON log lines in {name}"
        entries += found
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    assert any(e.get("conversation_id") == me for e in entries), "no line names the conversation"
    # The worker's lines about the case delivered earlier (its back office was down) name that conversation.
    worker_lines = [json.loads(line) for line in (world.stack.var_dir / "delivery-worker.log").read_text().splitlines()
                    if line.startswith("{")]
    assert any(e.get("conversation_id", "").startswith("observed-") and "failed" in e["message"] for e in worker_lines)
    text = "\n".join(json.dumps(e) for e in entries)
    for personal in (PHONE, PHONE.replace(" ", ""), EMAIL, "+447700900456"):
        assert personal not in text


def test_ready_follows_the_database_and_the_rasa_server(world: World) -> None:
    database = Path(world.stack.settings.database_url.removeprefix("sqlite:///"))
    away = database.with_name("council.db.away")
    os.replace(database, away)
    # A directory where the file was: nothing can open it, nor make a fresh empty database there.
    database.mkdir()
    try:
        for service in ("delivery worker", "staff console", "action server"):
            status, body = get(f"{world.urls[service]}/ready")
            assert status == 503 and json.loads(body)["checks"]["database"].startswith("unavailable"), service
        assert get(f"{world.urls['delivery worker']}/health")[0] == 200  # alive all the same
    finally:
        database.rmdir()
        os.replace(away, database)
    for service in ("delivery worker", "staff console", "action server"):
        eventually(lambda: get(f"{world.urls[service]}/ready")[0] == 200)

    actions = next(s for s in world.stack.services if s.name == "action server")
    stop_all([actions])
    status, body = get(f"{world.urls['rasa']}/ready")
    assert status == 503 and json.loads(body)["checks"]["action_server"].startswith("unavailable")
    assert get(f"{world.urls['rasa']}/health")[0] == 200

    rasa = next(s for s in world.stack.services if s.name == "Rasa server")
    stop_all([rasa])
    for service in ("delivery worker", "staff console", "website"):
        status, body = get(f"{world.urls[service]}/ready")
        assert status == 503 and json.loads(body)["checks"]["rasa"].startswith("unavailable"), service
        assert get(f"{world.urls[service]}/health")[0] == 200

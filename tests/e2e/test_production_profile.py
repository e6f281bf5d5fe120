"""The production profile (bot/production.py) end to end: PostgreSQL, Redis, HAProxy, two of each.

One profile for the whole module, as `make run PROFILE=production` starts it:
a throwaway PostgreSQL cluster, a local Redis, two Rasa servers, two action
servers, two delivery workers, the website, the staff console, the Open311
sandbox and the Twilio stand-in, behind a generated HAProxy. Tests reach the
replicas directly where the point is that two replicas see one conversation
(SMS ordering, Twilio's retries), and the load balancer otherwise. A Rasa
replica is killed in each of the last two tests (REST, then web chat in
Chromium), so the others see both.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import redis
from sqlalchemy import func, select

from bot.model import ensure_model
from bot.production import Production, Replicas, postgres_bin_dir
from bot.settings import Settings
from bot.storage.cases import CaseStore
from bot.storage.conversation_locks import LEASE_SECONDS, RedisLeaseLockStore
from bot.storage.database import make_engine
from bot.storage.schema import cases, outbox
from tests.support.delivery import http_json, new_case
from tests.support.http import eventually, get, samples
from tests.support.sms import SmsClient
from tests.support.stack import MASH, free_port

pytestmark = pytest.mark.e2e

METRICS_TOKEN = "metrics-" + uuid.uuid4().hex
REFERENCE = re.compile(r"\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")
MISSED_BIN = ("my bin wasn't collected", "14 Foxglove Way, AN1 4GT", "the blue one", "tuesday", "yes",
              "07700 900123", "skip", "yes")


class Running:
    """The profile, seen as tests/support/sms.py's SmsClient expects a stack."""

    def __init__(self, production: Production) -> None:
        self.production = production
        self.env: Dict[str, str] = production.env
        self.settings: Settings = production.settings  # type: ignore[assignment]
        host = self.settings.bind_host
        self.rasa_url = f"http://{host}:{self.settings.rasa_port}"  # the load balancer
        self.var_dir = production.log_dir
        self.services = production.services

    def replica_url(self, name: str) -> str:
        return self.production.service(name).health_url.rsplit("/health", 1)[0]

    def logs(self, tail: Optional[int] = 3000) -> str:
        texts = (p.read_text(errors="replace") for p in sorted(self.var_dir.glob("*.log")))
        return "\n".join(t[-tail:] if tail else t for t in texts)

    def say(self, sender: str, text: str, timeout: float = 120) -> str:
        """One REST turn through the load balancer; the bot's texts."""
        request = urllib.request.Request(
            f"{self.rasa_url}/webhooks/rest/webhook", data=json.dumps({"sender": sender, "message": text}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.env['RASA_API_TOKEN']}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return "\n".join(m.get("text", "") for m in json.loads(response.read()))


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    needed = {"postgresql": postgres_bin_dir(), "redis-server": shutil.which("redis-server"),
              "haproxy": shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists()}
    missing = [name for name, found in needed.items() if not found]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (.ci/services.sh installs them)")
    environ = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "TRACKER_STORE_URL", "REDIS_URL", "METRICS_TOKEN")}
    environ.update({
        "RASA_PORT": str(free_port()), "ACTION_SERVER_PORT": str(free_port()), "WEB_PORT": str(free_port()),
        "CONSOLE_PORT": str(free_port()), "OPEN311_SANDBOX_PORT": str(free_port()),
        "OUTBOX_WORKER_PORT": str(free_port()), "TWILIO_SANDBOX_PORT": str(free_port()),
        "METRICS_TOKEN": METRICS_TOKEN, "DUPLICATE_DAYS": "0", "OUTBOX_BACKOFF_SECONDS": "1",
        # No status polls of the 200 cases during the test.
        "OUTBOX_STATUS_POLL_SECONDS": "600",
    })
    production = Production(Path(tmp_path_factory.mktemp("production")), environ, Replicas(), durable=False)
    try:
        production.start(ensure_model())
    except Exception as error:
        logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in production.log_dir.glob("*.log"))
        raise RuntimeError(f"{error}\n--- logs ---\n{logs}") from error
    try:
        yield Running(production)
    finally:
        production.stop()


@pytest.fixture(scope="module")
def sms(running: Running) -> SmsClient:
    return SmsClient(running)  # type: ignore[arg-type]


def webhook_at(sms: SmsClient, replica_url: str, params: Dict[str, str]) -> int:
    """Twilio's webhook straight to one replica, signed for the public address (the load balancer)."""
    return sms.post_form(f"{replica_url}/webhooks/sms/webhook", params, sms.sign(sms.webhook_url, params))[0]


def test_one_line_per_service_and_no_secret_in_the_generated_files(running: Running) -> None:
    lines = running.production.lines()
    text = "\n".join(lines)
    assert sum(line.startswith("Rasa server") for line in lines) == 2
    assert sum(line.startswith("Action server") for line in lines) == 2
    assert sum(line.startswith("Delivery worker") for line in lines) == 2
    assert sum(line.startswith("Metrics") for line in lines) == 9  # every replica's /metrics, and HAProxy's
    assert any(line.startswith("PostgreSQL") for line in lines) and any(line.startswith("Redis") for line in lines)
    secrets = [running.env[name] for name in ("RASA_API_TOKEN", "ACTION_SERVER_TOKEN", "TWILIO_AUTH_TOKEN",
                                              "CONSOLE_SECRET_KEY", "METRICS_TOKEN")]
    secrets.append((running.production.state_dir / "postgres-password").read_text().strip())
    redis_url = running.env["REDIS_URL"]
    secrets.append(redis_url.split("://:", 1)[1].split("@", 1)[0])
    for secret in secrets:
        assert secret not in text
    state = running.production.state_dir
    haproxy = (state / "haproxy.cfg").read_text()
    for secret in secrets:
        assert secret not in haproxy
    for name in ("haproxy.cfg", "redis.conf", "postgres-password"):
        assert stat.S_IMODE((state / name).stat().st_mode) == 0o600, name
    # Everything listens on BIND_HOST only, PostgreSQL and Redis with a password.
    assert f"bind {running.settings.bind_host}:" in haproxy and "bind *" not in haproxy
    assert "requirepass" in (state / "redis.conf").read_text()


def test_sms_from_one_number_at_both_replicas_stay_in_order(running: Running, sms: SmsClient) -> None:
    phone = "+447700900701"
    one, two = running.replica_url("Rasa server 1"), running.replica_url("Rasa server 2")
    first, second, third = sms.params(phone, "hello"), sms.params(phone, "2"), sms.params(phone, "thanks")
    # All three acknowledged, by alternate replicas, before the first is answered.
    assert webhook_at(sms, one, first) == 200
    assert webhook_at(sms, two, second) == 200
    assert webhook_at(sms, one, third) == 200
    sms.wait_until_processed(third["MessageSid"], timeout=90)
    sms.wait_until_processed(second["MessageSid"], timeout=90)
    # "2" means "bin day" only if "hello" (which offered the options) was handled first.
    assert sms.user_texts(phone) == ["hello", "when is my bin day", "thanks"]
    replies = sms.wait_for_replies(phone, 3, timeout=60)
    assert "postcode" in replies[1]["body"].lower()
    assert replies[0]["index"] < replies[1]["index"] < replies[2]["index"]


def test_a_twilio_retry_at_the_other_replica_is_one_turn(running: Running, sms: SmsClient) -> None:
    phone = "+447700900702"
    params = sms.params(phone, "hello")
    assert webhook_at(sms, running.replica_url("Rasa server 1"), params) == 200
    assert webhook_at(sms, running.replica_url("Rasa server 2"), params) == 200  # Twilio retried
    sms.wait_until_processed(params["MessageSid"], timeout=90)
    sms.wait_for_replies(phone, 1, timeout=60)
    time.sleep(2.0)
    assert sms.user_texts(phone) == ["hello"]
    assert len(sms.replies(phone)) == 1


def test_sms_through_the_load_balancer_is_answered(running: Running, sms: SmsClient) -> None:
    phone = "+447700900703"
    sent = sms.send_via_network(phone, "hello")  # the stand-in posts to PUBLIC_BASE_URL: HAProxy
    assert sent["webhook_status"] == 200
    [reply] = sms.wait_for_replies(phone, 1, timeout=60)
    assert "Reply 1 for Report a problem" in reply["body"]


def test_two_workers_deliver_200_cases_exactly_once(running: Running) -> None:
    settings = running.settings
    store = CaseStore(make_engine(settings.database_url))
    made = [store.create(new_case(f"prod-worker-{i}"), idempotency_key=f"prod-worker-{uuid.uuid4().hex}")
            for i in range(200)]
    references = {case.reference for case in made}
    sandbox = f"http://{settings.bind_host}:{settings.open311_sandbox_port}"

    def delivered() -> List[Dict[str, Any]]:
        return [r for r in http_json(f"{sandbox}/admin/requests")
                if r["attributes"].get("council_reference") in references]

    eventually(lambda: len(delivered()) >= 200, timeout=120, what="200 cases delivered")
    time.sleep(2.0)  # a second delivery would come now
    found = [r["attributes"]["council_reference"] for r in delivered()]
    assert len(found) == 200 and set(found) == references
    with store.engine.connect() as conn:
        ids = [case.id for case in made]
        waiting = conn.execute(select(func.count()).select_from(outbox).where(
            outbox.c.case_id.in_(ids), outbox.c.state != "delivered")).scalar()
        assert waiting == 0
    # Both workers were delivering (PostgreSQL: no standby), not one idling behind the other.
    for name in ("delivery worker 1", "delivery worker 2"):
        status, body = get(running.production.service(name).health_url)
        assert status == 200 and json.loads(body)["role"] == "active", name


def test_every_replica_is_ready_and_the_named_series_are_scraped(running: Running, sms: SmsClient) -> None:
    me = f"prod-metrics-{uuid.uuid4().hex[:8]}"
    running.say(me, MASH[0])  # not understood, most likely: a fallback
    running.say(f"prod-person-{uuid.uuid4().hex[:8]}", "I want to talk to a real person")
    replicas = [s for s in running.services if s.banner.split()[0] in ("Rasa", "Action", "Delivery", "Website", "Staff")]
    assert len(replicas) == 8
    scraped: Dict[str, Dict[Tuple[str, str], float]] = {}
    for service in replicas:
        url = service.health_url.rsplit("/health", 1)[0]
        eventually(lambda: get(f"{url}/ready")[0] == 200, timeout=60, what=f"{service.name} ready")
        assert get(f"{url}/metrics")[0] == 401, service.name
        status, text = get(f"{url}/metrics", METRICS_TOKEN)
        assert status == 200, service.name
        scraped[service.name] = samples(text)
    names = {name for found in scraped.values() for name, _ in found}
    for series in ("council_turn_seconds_count", "council_nlu_confidence_count", "council_nlu_fallbacks_total",
                   "council_sms_ack_seconds_count", "council_escalations_waiting",
                   "council_escalation_oldest_wait_seconds", "council_outbox_pending",
                   "council_outbox_oldest_pending_seconds", "council_delivery_failures_total",
                   "council_notification_failures_total", "process_resident_memory_bytes"):
        assert series in names, series
    # Both Rasa replicas handled SMS turns (the ordering test sent to each).
    for name in ("Rasa server 1", "Rasa server 2"):
        assert scraped[name].get(("council_turn_seconds_count", 'channel="sms"'), 0) >= 1, name
        assert scraped[name].get(("council_sms_ack_seconds_count", ""), 0) >= 1, name
    rest = sum(scraped[n].get(("council_turn_seconds_count", 'channel="rest"'), 0)
               for n in ("Rasa server 1", "Rasa server 2"))
    assert rest >= 2
    for name in ("delivery worker 1", "delivery worker 2"):
        assert ("council_outbox_pending", 'backoffice="highways"') in scraped[name], name
    assert scraped["staff console 1"][("council_escalations_waiting", 'priority="normal"')] >= 1
    # HAProxy's own series: both Rasa replicas in rotation, behind the same token.
    haproxy = f"http://{running.settings.bind_host}:{running.production.haproxy_metrics_port}/metrics"
    assert get(haproxy)[0] == 401 and get(haproxy, "not-the-token")[0] == 401
    status, text = get(haproxy, METRICS_TOKEN)
    assert status == 200
    assert samples(text)[("haproxy_backend_active_servers", 'proxy="rasa_rest"')] == 2


def test_ready_follows_postgresql(running: Running) -> None:
    postgres = running.production.postgres
    assert postgres is not None
    urls = {s.name: s.health_url.rsplit("/health", 1)[0] for s in running.services
            if s.banner.split()[0] in ("Rasa", "Action", "Delivery", "Website", "Staff")}
    postgres.stop("fast")
    try:
        for name, url in urls.items():
            eventually(lambda: get(f"{url}/ready")[0] == 503, timeout=30, what=f"{name} not ready")
            checks = json.loads(get(f"{url}/ready")[1])["checks"]
            down = {k for k, v in checks.items() if v != "ok"}
            assert down & {"database", "tracker_store"}, (name, checks)
            assert get(f"{url}/health")[0] == 200, name  # alive all the same: not restarted
    finally:
        postgres.restart()
    for name, url in urls.items():
        eventually(lambda: get(f"{url}/ready")[0] == 200, timeout=60, what=f"{name} ready again")
    # And the load balancer sends conversations again.
    eventually(lambda: "assistant" in running.say(f"prod-back-{uuid.uuid4().hex[:8]}", "hello").lower(),
               timeout=30, what="a turn after PostgreSQL came back")


def test_a_rasa_replica_killed_mid_conversation_the_conversation_completes(running: Running) -> None:
    me = f"prod-kill-{uuid.uuid4().hex[:8]}"

    def rest_turns() -> Dict[str, float]:
        out = {}
        for name in ("Rasa server 1", "Rasa server 2"):
            text = get(f"{running.replica_url(name)}/metrics", METRICS_TOKEN)[1]
            out[name] = samples(text).get(("council_turn_seconds_count", 'channel="rest"'), 0)
        return out

    before = rest_turns()
    running.say(me, MISSED_BIN[0])
    running.say(me, MISSED_BIN[1])
    after = rest_turns()
    [serving] = [name for name in after if after[name] - before[name] >= 2]
    victim = running.production.service(serving)
    assert victim.process is not None
    # The next turn is in flight when its replica dies: the replica is frozen (SIGSTOP),
    # so the turn reaches it and waits unanswered, then killed (SIGKILL: no goodbye).
    answer: Dict[str, Any] = {}

    def third_turn() -> None:
        try:
            answer["text"] = running.say(me, MISSED_BIN[2])
        except Exception as error:  # noqa: BLE001 - recorded for the assertion below
            answer["error"] = error

    victim.process.send_signal(signal.SIGSTOP)
    # And, as when a replica dies while its turn holds the conversation's lock: a served
    # ticket in Redis that nobody renews or gives back. The retry waits for its lease only.
    locks = RedisLeaseLockStore(redis.Redis.from_url(running.env["REDIS_URL"]))
    assert locks._issue(keys=[locks.key(me)], args=[locks.lease_ms])[1] == 1
    started = time.monotonic()
    thread = threading.Thread(target=third_turn)
    thread.start()
    time.sleep(0.5)
    victim.process.kill()
    victim.process.wait(timeout=30)
    thread.join(timeout=150)
    assert "error" not in answer, f"the in-flight turn was lost: {answer.get('error')}"
    # Not before the dead holder's lease lapsed, and not Rasa's 60 s ticket lifetime either.
    assert LEASE_SECONDS - 0.5 < time.monotonic() - started < 30
    replies = [answer["text"]]
    for text in MISSED_BIN[3:]:
        replies.append(running.say(me, text))
    assert REFERENCE.search(replies[-1]), replies
    # Every message once, in order: the in-flight turn neither lost nor doubled.
    request = urllib.request.Request(f"{running.rasa_url}/conversations/{me}/tracker",
                                     headers={"Authorization": f"Bearer {running.env['RASA_API_TOKEN']}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        events = json.loads(response.read())["events"]
    said = [e["text"] for e in events if e.get("event") == "user"]
    assert said == list(MISSED_BIN), (said, replies)
    with make_engine(running.settings.database_url).connect() as conn:
        made = conn.execute(select(cases.c.reference).where(cases.c.conversation_id == me)).scalars().all()
    assert len(made) == 1 and made[0] in replies[-1]


def test_a_web_chat_message_whose_replica_is_killed_mid_turn_is_answered_once(running: Running, browser) -> None:
    """The widget (real Chromium, through HAProxy) sends the message again after its socket's replica
    died, with the same id; the other replica answers it once and the report completes."""
    from playwright.sync_api import expect

    rasa = ("Rasa server 1", "Rasa server 2")
    for name in rasa:  # the previous test's victim: started again, as `make run PROFILE=production` would
        service = running.production.service(name)
        if service.process is not None and service.process.poll() is not None:
            running.production.restart(service, wait=False)

    def web_turns() -> Dict[str, float]:
        return {name: samples(get(f"{running.replica_url(name)}/metrics", METRICS_TOKEN)[1]).get(
            ("council_turn_seconds_count", 'channel="web"'), 0) for name in rasa}

    def pending() -> int:
        return page.evaluate("() => JSON.parse(sessionStorage.getItem('council-chat:v1')).pending.length")

    bubbles_of_bot = ".cc-from-bot .cc-bubble"

    def say(text: str, timeout: float = 60) -> None:
        """Type and send; wait until the turn is acknowledged and answered."""
        shown = page.locator(bubbles_of_bot).count()
        page.get_by_label("Type your message").fill(text)
        page.get_by_role("button", name="Send", exact=True).click()
        eventually(lambda: pending() == 0 and page.locator(bubbles_of_bot).count() > shown, timeout=timeout,
                   what=f"an answer to {text!r}")

    context = browser.new_context()
    page = context.new_page()
    page.goto(f"http://{running.settings.bind_host}:{running.settings.web_port}/")  # the load balancer
    page.locator("#council-chat[data-ready=true]").wait_for(state="attached")
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator(bubbles_of_bot).last).to_contain_text("What can I help with?", timeout=60_000)
    eventually(lambda: pending() == 0, timeout=30, what="the greeting acknowledged")
    for name in rasa:  # the socket stays where it is; the replica started again takes it over below
        eventually(lambda: get(f"{running.replica_url(name)}/ready")[0] == 200, timeout=300, what=f"{name} ready")
    before = web_turns()
    say(MISSED_BIN[0])
    say(MISSED_BIN[1])
    after = web_turns()
    [serving] = [name for name in rasa if after[name] - before[name] >= 2]
    victim = running.production.service(serving)
    assert victim.process is not None
    # As in the REST test: the message reaches the frozen replica and waits there, unanswered; then it dies.
    victim.process.send_signal(signal.SIGSTOP)
    say_killed = page.locator(bubbles_of_bot).count()
    page.get_by_label("Type your message").fill(MISSED_BIN[2])
    page.get_by_role("button", name="Send", exact=True).click()
    time.sleep(0.5)
    victim.process.kill()
    victim.process.wait(timeout=30)
    eventually(lambda: pending() == 0 and page.locator(bubbles_of_bot).count() > say_killed, timeout=120,
               what="the message sent again after its replica died answered")
    page.wait_for_timeout(2000)  # an answer shown twice would be here by now
    killed_turn = page.locator(bubbles_of_bot).all_inner_texts()[say_killed:]
    for text in MISSED_BIN[3:]:
        say(text)
    expect(page.locator(bubbles_of_bot).last).to_contain_text("Your reference is")
    reference = REFERENCE.search(page.locator(bubbles_of_bot).last.inner_text())
    assert reference, page.locator(bubbles_of_bot).all_inner_texts()
    texts = page.locator(bubbles_of_bot).all_inner_texts()
    assert killed_turn and all(texts.count(text) == 1 for text in killed_turn), (killed_turn, texts)
    conversation = page.evaluate("() => JSON.parse(sessionStorage.getItem('council-chat:v1')).sessionId")
    context.close()
    # Every message once, in order: the message sent again was neither lost nor a second turn.
    request = urllib.request.Request(f"{running.rasa_url}/conversations/{conversation}/tracker",
                                     headers={"Authorization": f"Bearer {running.env['RASA_API_TOKEN']}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        events = json.loads(response.read())["events"]
    said = [e["text"] for e in events if e.get("event") == "user"]
    assert said[-len(MISSED_BIN):] == list(MISSED_BIN) and len(said) == len(MISSED_BIN) + 1, said  # + the greeting
    with make_engine(running.settings.database_url).connect() as conn:
        made = conn.execute(select(cases.c.reference).where(cases.c.conversation_id == conversation)).scalars().all()
    assert made == [reference.group(0)]

"""The staff console's security, against the real server (no Rasa needed for these)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, Optional

import pytest

from bot.launcher import stop_all, wait_until_healthy, with_run_secrets
from bot.settings import PROJECT_ROOT, load_settings
from bot.storage.database import create_schema, make_engine
from bot.storage.escalations import EscalationStore
from bot.storage.staff import StaffStore
from tests.support.console import ADMIN_PASSWORD, StaffClient, console_env, console_service
from tests.support.stack import free_port


class Console:
    def __init__(self, var_dir: Path, extra_env: Optional[Dict[str, str]] = None) -> None:
        self.port = free_port()
        self.env = with_run_secrets({
            **os.environ, "PYTHONPATH": str(PROJECT_ROOT), "VAR_DIR": str(var_dir),
            "RASA_PORT": str(free_port()), **console_env(self.port),
            # As behind one TLS-terminating proxy (X-Forwarded-Proto trusted).
            "CONSOLE_PROXIES_COUNT": "1",
            **(extra_env or {}),
        })
        for inherited in ("DATABASE_URL", "TRACKER_STORE_URL"):
            self.env.pop(inherited, None)
        self.settings = load_settings(self.env)
        self.url = f"http://127.0.0.1:{self.port}"
        engine = make_engine(self.settings.database_url)
        create_schema(engine)
        self.staff = StaffStore(engine)
        self.escalations = EscalationStore(engine)
        self.service = console_service(self.port)
        self.log = open(var_dir / "console.log", "ab")
        self.service.process = subprocess.Popen(self.service.argv, cwd=PROJECT_ROOT, env=self.env,
                                                stdout=self.log, stderr=subprocess.STDOUT)
        wait_until_healthy(self.service, timeout=60)

    def client(self) -> StaffClient:
        return StaffClient(self.url)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    running = Console(tmp_path_factory.mktemp("console"))
    running.staff.create("agent@anytown.gov.uk", "Alex Agent", "agent", "agent password 123")
    running.staff.create("super@anytown.gov.uk", "Sam Supervisor", "supervisor", "super password 123")
    yield running
    stop_all([running.service])


@pytest.mark.parametrize("path", ["/queue", "/queue/rows", "/conversation?id=x", "/search?q=AN1", "/staff", "/audit", "/events",
                                  "/cases", "/cases/AB7K-3FQ2"])
def test_pages_without_sign_in_redirect_to_sign_in(console: Console, path: str) -> None:
    response = console.client().get(path)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/sign-in?next=")


def test_sign_in_sets_a_hardened_session_cookie(console: Console) -> None:
    client = console.client()
    response = client.sign_in()
    assert response.status_code == 303 and response.headers["Location"] == "/queue"
    cookie = next(c for c in response.raw.headers.getlist("Set-Cookie") if c.startswith("console_session="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain http on this machine: a Secure cookie would never come back
    assert client.get("/queue").status_code == 200


def test_cookies_are_secure_when_staff_use_https(console: Console) -> None:
    client = console.client()
    # What a TLS-terminating proxy adds (sanic needs the client address to trust the rest).
    client.http.headers.update({"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    page = client.http.get(console.url + "/sign-in", timeout=30)
    assert "Secure" in page.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in page.headers
    # A client keeps Secure cookies off plain http, so send it back by hand as the proxy would.
    sign_in_cookie = page.headers["Set-Cookie"].split(";")[0]
    from tests.support.console import csrf_from

    response = client.http.post(
        console.url + "/sign-in", allow_redirects=False, timeout=30, headers={"Cookie": sign_in_cookie},
        data={"email": "agent@anytown.gov.uk", "password": "agent password 123", "csrf_token": csrf_from(page.text)},
    )
    cookie = next(c for c in response.raw.headers.getlist("Set-Cookie") if c.startswith("console_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_a_forged_session_cookie_is_not_a_session(console: Console) -> None:
    client = console.client()
    client.http.cookies.set("console_session", "made-up-token.0000")
    assert client.get("/queue").status_code == 303


def test_posts_without_a_csrf_token_are_refused(console: Console) -> None:
    client = console.client()
    client.sign_in()
    item = console.escalations.open("csrf-resident", "rest", "talk_to_human", "normal", "hello")
    assert client.post(f"/escalations/{item.id}/claim", csrf=False).status_code == 403
    assert client.post("/staff", {"email": "x@y.gov.uk", "role": "admin", "password": "p" * 20}, csrf=False).status_code == 403
    client.csrf = "wrong-token"
    assert client.post(f"/escalations/{item.id}/claim").status_code == 403
    assert console.escalations.get(item.id).state == "waiting"
    assert console.staff.by_email("x@y.gov.uk") is None


def test_sign_in_without_its_csrf_token_is_refused(console: Console) -> None:
    client = console.client()
    response = client.http.post(console.url + "/sign-in",
                                data={"email": "admin@anytown.gov.uk", "password": ADMIN_PASSWORD},
                                allow_redirects=False, timeout=30)
    assert response.status_code == 403


def test_an_agent_cannot_reach_admin_or_audit_pages(console: Console) -> None:
    agent = console.client()
    assert agent.sign_in("agent@anytown.gov.uk", "agent password 123").status_code == 303
    assert agent.get("/staff").status_code == 403
    assert agent.get("/audit").status_code == 403
    response = agent.post("/staff", {"email": "sneaky@anytown.gov.uk", "role": "admin", "password": "p" * 20})
    assert response.status_code == 403
    assert console.staff.by_email("sneaky@anytown.gov.uk") is None
    assert "/staff" not in agent.get("/queue").text  # no link to what they can't use


def test_a_supervisor_sees_the_audit_log_but_not_staff_admin(console: Console) -> None:
    supervisor = console.client()
    supervisor.sign_in("super@anytown.gov.uk", "super password 123")
    assert supervisor.get("/audit").status_code == 200
    assert supervisor.get("/staff").status_code == 403


def test_an_admin_manages_staff_accounts(console: Console) -> None:
    admin = console.client()
    admin.sign_in()
    assert admin.get("/staff").status_code == 200
    response = admin.post("/staff", {"email": "New@Anytown.gov.uk", "display_name": "New Person", "role": "agent",
                                     "password": "a long enough password"})
    assert response.status_code == 303
    member = console.staff.by_email("new@anytown.gov.uk")
    assert member is not None and member.role == "agent"
    # Too short a password is refused with a reason, not stored.
    admin.post("/staff", {"email": "short@anytown.gov.uk", "role": "agent", "password": "short"})
    assert console.staff.by_email("short@anytown.gov.uk") is None
    assert "at least 12 characters" in admin.get("/staff").text
    audit = admin.get("/audit").text
    assert "staff_create" in audit and "new@anytown.gov.uk" in audit


def test_five_wrong_passwords_lock_the_account_for_a_while(console: Console) -> None:
    console.staff.create("forgetful@anytown.gov.uk", "Forgetful", "agent", "the right password")
    client = console.client()
    statuses = [client.sign_in("forgetful@anytown.gov.uk", f"wrong {n}").status_code for n in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    locked = client.sign_in("forgetful@anytown.gov.uk", "the right password")
    assert locked.status_code == 429 and "locked for 15 minutes" in locked.text
    assert console.staff.by_email("forgetful@anytown.gov.uk").locked()
    # An admin can unlock it sooner.
    admin = console.client()
    admin.sign_in()
    member = console.staff.by_email("forgetful@anytown.gov.uk")
    admin.post(f"/staff/{member.id}", {"change": "unlock"})
    assert client.sign_in("forgetful@anytown.gov.uk", "the right password").status_code == 303


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(console: Console) -> None:
    response = console.client().sign_in("nobody@anytown.gov.uk", "whatever")
    assert response.status_code == 401 and "match an account" in response.text


def test_sign_in_never_redirects_off_site(console: Console) -> None:
    client = console.client()
    page = client.http.get(console.url + "/sign-in", timeout=30)
    from tests.support.console import csrf_from

    response = client.http.post(console.url + "/sign-in", allow_redirects=False, timeout=30, data={
        "email": "agent@anytown.gov.uk", "password": "agent password 123",
        "csrf_token": csrf_from(page.text), "next": "//evil.example.com/"})
    assert response.headers["Location"] == "/queue"


def test_what_a_resident_wrote_is_escaped_in_the_queue(console: Console) -> None:
    console.escalations.open("xss-resident", "rest", "talk_to_human", "normal", "<script>alert(1)</script><b>hi</b>")
    client = console.client()
    client.sign_in()
    page = client.get("/queue").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;hi&lt;/b&gt;" in page
    assert "<script>alert(1)" not in page
    assert "script-src 'self'" in client.get("/queue").headers["Content-Security-Policy"]


def test_search_finds_a_conversation_by_phone(console: Console) -> None:
    console.escalations.open("sms-resident", "sms", "talk_to_human", "normal", "help", phone="+447700900123")
    client = console.client()
    client.sign_in()
    page = client.get("/search?q=07700%20900123").text
    assert "sms-resident" in page
    assert "That doesn't look like" in client.get("/search?q=%3Cscript%3E").text


def test_console_refuses_to_start_without_its_secret_key(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "VAR_DIR": str(tmp_path), "RASA_API_TOKEN": "x"}
    env.pop("CONSOLE_SECRET_KEY", None)
    result = subprocess.run([sys.executable, "-m", "bot.console", "serve"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and "CONSOLE_SECRET_KEY" in result.stderr


def test_create_admin_cli_has_no_default_password(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "VAR_DIR": str(tmp_path)}
    env.pop("CONSOLE_ADMIN_PASSWORD", None)
    command = [sys.executable, "-m", "bot.console", "create-admin", "--email", "first@anytown.gov.uk"]
    refused = subprocess.run(command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert refused.returncode == 2 and "CONSOLE_ADMIN_PASSWORD" in refused.stderr
    created = subprocess.run(command, env={**env, "CONSOLE_ADMIN_PASSWORD": "a strong first password"},
                             capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    store = StaffStore(make_engine(load_settings(env).database_url))
    assert store.by_email("first@anytown.gov.uk").role == "admin"


def test_one_client_guessing_passwords_is_stopped_before_it_can_lock_every_account(console: Console) -> None:
    """Lock-out is per account, so without a per-client limit anyone could lock every known staff email."""
    emails = [f"target{n}@anytown.gov.uk" for n in range(5)]
    for email in emails:
        console.staff.create(email, "Target", "agent", "the right password")
    attacker = console.client()
    # Behind the trusted proxy (CONSOLE_PROXIES_COUNT=1) the client is the forwarded address.
    attacker.http.headers.update({"X-Forwarded-For": "198.51.100.7"})
    limit = console.settings.console_sign_in_failures_per_client
    assert limit == 20
    statuses = [attacker.sign_in(emails[n % 5], f"guess {n}").status_code for n in range(limit)]
    assert statuses == [401] * limit  # 4 wrong passwords per account: none locked yet
    # The next guesses are refused before any account is looked at: no account gets its 5th failure.
    for email in emails:
        refused = attacker.sign_in(email, "guess again")
        assert refused.status_code == 429 and "from this computer" in refused.text
        assert int(refused.headers["Retry-After"]) > 0
    assert not any(console.staff.by_email(email).locked() for email in emails)
    assert attacker.sign_in(emails[0], "the right password").status_code == 429  # even the right one, for now
    # Staff at another address are not affected.
    colleague = console.client()
    colleague.http.headers.update({"X-Forwarded-For": "198.51.100.8"})
    assert colleague.sign_in(emails[0], "the right password").status_code == 303

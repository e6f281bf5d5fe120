"""The action server as the launcher starts it: bound to BIND_HOST, token required, JSON only.

A real ``python -m bot.action_server`` process with the project's actions,
spoken to over HTTP like Rasa (and an attacker) would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, Iterator, Optional, Tuple

import pytest

from bot.action_server import authorization_problem
from bot.launcher import core_services, stop_all, wait_until_healthy
from bot.settings import PROJECT_ROOT, load_settings
from tests.support.stack import free_port

TOKEN = "action-token-for-tests_0123456789"
ACTION_CALL = {
    "next_action": "action_finish_report",
    "sender_id": "resident-1",
    "version": "3.6.21",
    "tracker": {"sender_id": "resident-1", "slots": {"report_confirmed": True}, "latest_message": {},
                "events": [], "paused": False, "followup_action": None, "active_loop": {},
                "latest_action_name": "action_listen"},
    "domain": {},
}


def environment(tmp_path: Path, port: int, token: Optional[str]) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ACTION_SERVER_TOKEN")}
    env.update({"PYTHONPATH": str(PROJECT_ROOT), "VAR_DIR": str(tmp_path), "ACTION_SERVER_PORT": str(port)})
    if token:
        env["ACTION_SERVER_TOKEN"] = token
    return env


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[str, int]]:
    tmp_path = tmp_path_factory.mktemp("actions")
    port = free_port()
    env = environment(tmp_path, port, TOKEN)
    settings = load_settings(env)
    service = next(s for s in core_services(settings, Path("model.tar.gz"), Path("endpoints.yml"))
                   if s.name == "action server")
    log = open(tmp_path / "action-server.log", "ab")
    service.process = subprocess.Popen(service.argv, cwd=PROJECT_ROOT, env={**env, **service.env},
                                       stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_healthy(service, timeout=120)
        yield f"http://{settings.bind_host}:{port}", service.process.pid
    finally:
        stop_all([service])


def call(url: str, body: bytes = b"", headers: Optional[Dict[str, str]] = None,
         method: str = "POST") -> Tuple[int, Dict]:
    request = urllib.request.Request(url, data=body if method == "POST" else None, headers=headers or {},
                                     method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def listening_addresses(port: int) -> set:
    """Local addresses with a listening TCP socket on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_it_listens_on_bind_host_only(server):
    url, _ = server
    port = int(url.rsplit(":", 1)[1])
    # 127.0.0.1 in /proc's byte order; 0.0.0.0 (every interface) would be 00000000.
    assert listening_addresses(port) == {"0100007F"}


def test_a_call_without_the_token_is_refused(server):
    url, _ = server
    status, body = call(f"{url}/webhook", json.dumps(ACTION_CALL).encode(), {"Content-Type": "application/json"})
    assert status == 401 and body == {"error": "missing credentials"}


def test_a_call_with_a_wrong_token_is_refused(server):
    url, _ = server
    status, _ = call(f"{url}/webhook", json.dumps(ACTION_CALL).encode(),
                     {"Content-Type": "application/json", "Authorization": "Bearer " + TOKEN[:-1] + "X"})
    assert status == 403


def test_a_text_plain_body_is_refused_even_with_the_token(server):
    # text/plain is what a web page can post cross-site without a CORS preflight.
    url, _ = server
    status, _ = call(f"{url}/webhook", json.dumps(ACTION_CALL).encode(),
                     {"Content-Type": "text/plain", "Authorization": f"Bearer {TOKEN}"})
    assert status == 415


def test_the_list_of_actions_needs_the_token_too(server):
    url, _ = server
    assert call(f"{url}/actions", method="GET")[0] == 401
    status, actions = call(f"{url}/actions", method="GET", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and {"name": "action_finish_report"} in actions


def test_rasas_call_with_the_token_runs_the_action(server):
    url, _ = server
    status, body = call(f"{url}/webhook", json.dumps(ACTION_CALL).encode(),
                        {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    # A forged confirmation without the report's slots creates nothing (actions/trust.py).
    assert "case_reference" not in {e.get("name") for e in body["events"] if e.get("value")}


def test_health_is_open_and_says_nothing_else(server):
    url, _ = server
    status, body = call(f"{url}/health", method="GET")
    assert status == 200 and body == {"status": "ok"}


def test_no_cors_headers_for_browsers(server):
    url, _ = server
    request = urllib.request.Request(f"{url}/health", headers={"Origin": "https://attacker.example"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers.get("Access-Control-Allow-Origin") is None


def test_it_refuses_to_start_without_a_token(tmp_path):
    env = environment(tmp_path, free_port(), None)
    result = subprocess.run([sys.executable, "-m", "bot.action_server", "--actions", "actions"], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "ACTION_SERVER_TOKEN" in result.stdout + result.stderr


@pytest.mark.parametrize("header,expected", [
    (None, 401), ("", 401), ("Basic abc", 401), (f"Bearer {TOKEN}x", 403), ("Bearer ", 403),
    (f"Bearer {TOKEN}", None), (f"Bearer  {TOKEN} ", None),
])
def test_authorization_header(header, expected):
    assert authorization_problem(header, TOKEN) == expected


def test_a_bad_gazetteer_stops_it_at_start_up_with_the_line(tmp_path):
    from bot.action_server import create_app
    from bot.settings import ConfigError

    bad = tmp_path / "gazetteer.csv"
    bad.write_text("street,locality,latitude,longitude\nMill Lane,Northfield,north,-1.4\n", encoding="utf-8")
    settings = load_settings({"ACTION_SERVER_TOKEN": "t" * 32, "GAZETTEER_FILE": str(bad), "VAR_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match=r"GAZETTEER_FILE: .*line 2: latitude 'north' is not a number"):
        create_app("actions", settings)


def test_a_call_naming_an_unknown_domain_is_answered_449_then_the_domain_is_kept(server):
    url, _ = server
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    named = {**{k: v for k, v in ACTION_CALL.items() if k != "domain"}, "domain_digest": "d1" * 32}
    status, body = call(f"{url}/webhook", json.dumps(named).encode(), headers)
    assert (status, body) == (449, {"error": "domain needed"})
    status, with_domain = call(f"{url}/webhook", json.dumps({**named, "domain": {}}).encode(), headers)
    assert status == 200
    status, again = call(f"{url}/webhook", json.dumps(named).encode(), headers)
    assert status == 200 and again["responses"] == with_domain["responses"]
    assert [e["event"] for e in again["events"]] == [e["event"] for e in with_domain["events"]]


def test_domains_are_kept_by_digest_a_few_at_a_time():
    from bot.action_server import DomainsByDigest

    domains = DomainsByDigest(size=2)
    assert domains.complete({"domain": {"a": 1}})  # Rasa's own format: left as it is
    assert not domains.complete({"domain_digest": "x"})
    for digest in ("x", "y", "z"):
        assert domains.complete({"domain_digest": digest, "domain": {"name": digest}})
    assert not domains.complete({"domain_digest": "x"})  # the oldest was let go
    body = {"domain_digest": "z", "tracker": {}}
    assert domains.complete(body) and body["domain"] == {"name": "z"}
    body = {"domain_digest": "y", "domain": "not a dict"}  # not a domain: looked up by digest instead
    assert domains.complete(body) and body["domain"] == {"name": "y"}

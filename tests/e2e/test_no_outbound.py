"""Nothing leaves this machine: across an end-to-end run no process we start connects anywhere else.

Rasa 3.6 sends usage telemetry (Segment) and error reports (Sentry,
``*.ingest.sentry.io``) unless told not to; bot/telemetry.py turns both off
in every process. Here every Python process of the stack runs with an audit
hook (tests/support/connect_audit/sitecustomize.py) that records each
connection attempt and each name looked up, whether or not it succeeds, so a
blocked or failed attempt to reach Sentry or Segment is caught as well.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

from bot.launcher import console_service, delivery_services, stop_all, web_service
from bot.settings import PROJECT_ROOT
from bot.storage.database import create_schema, make_engine
from tests.support.stack import Stack, free_port

pytestmark = pytest.mark.e2e

AUDIT = Path(__file__).resolve().parents[1] / "support" / "connect_audit"
LOCAL_NAMES = {"", "None", "localhost", "ip6-localhost", "ip6-loopback"}


def is_local(host: str) -> bool:
    if host in LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # a name: looking it up already asks the network
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def audit(log: Path) -> Tuple[Set[int], List[Tuple[int, str]]]:
    """(pids the hook ran in, [(pid, line)] of attempts to reach anything not on this machine)."""
    started: Set[int] = set()
    outside: List[Tuple[int, str]] = []
    for line in log.read_text().splitlines():
        pid_text, event, *rest = line.split(" ")
        pid = int(pid_text)
        if event == "start":
            started.add(pid)
        elif rest and not is_local(rest[0]):
            outside.append((pid, line))
    return started, outside


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[Stack, Path]]:
    var = Path(tmp_path_factory.mktemp("no_outbound"))
    log = var / "connections.log"
    stack = Stack(var, env={
        "PYTHONPATH": f"{AUDIT}:{PROJECT_ROOT}",
        "CONNECT_AUDIT_LOG": str(log),
        "OPEN311_SANDBOX_PORT": str(free_port()),
        "OUTBOX_WORKER_PORT": str(free_port()),
        "OUTBOX_STATUS_POLL_SECONDS": "1",
        "WEB_PORT": str(free_port()),
        "CONSOLE_PORT": str(free_port()),
    })
    create_schema(make_engine(stack.settings.database_url))
    extra = delivery_services(stack.settings) + [web_service(stack.settings), console_service(stack.settings)]
    stack.start(extra=extra)
    try:
        yield stack, log
    finally:
        stop_all(stack.services)


def _call(url: str, data: bytes = None, headers: Dict[str, str] = None) -> int:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_no_process_connects_outside_this_machine(watched: Tuple[Stack, Path]) -> None:
    stack, log = watched
    token = stack.settings.rasa_api_token
    assert token

    # A conversation that makes a case (the worker then delivers it to the Open311 stand-in).
    me = f"e2e-{uuid.uuid4().hex[:8]}"
    for text in ("hi", "my bin wasn't collected", "14 Foxglove Way, AN1 4GT", "the blue one", "tuesday", "no", "yes"):
        assert stack.say(me, text), text
    for url in (f"{stack.settings.web_public_url}/", f"http://127.0.0.1:{stack.settings.console_port}/sign-in"):
        assert _call(url) == 200

    # Failing requests: the API token in a URL (refused, and never written to a log),
    # a broken body, and an unknown conversation route.
    assert _call(f"{stack.rasa_url}/conversations/{me}/tracker?token={token}") == 401
    assert _call(f"{stack.rasa_url}/webhooks/rest/webhook", b"{not json",
                 {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}) >= 400
    assert _call(f"{stack.rasa_url}/conversations/{me}/nonsense", b"[]", {"Content-Type": "application/json"}) >= 400
    assert _call(f"{stack.rasa_url}/conversations/{me}/tracker", headers={"Authorization": f"Bearer {token}"}) == 200

    # The detector really catches an attempt: a process with the services' environment
    # tries TEST-NET-1 (192.0.2.1, never routed; at most one packet that goes nowhere).
    probe = subprocess.run(
        [sys.executable, "-c", "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 9), timeout=1)\n"
                               "except OSError:\n    pass\nimport os; print(os.getpid())"],
        cwd=PROJECT_ROOT, env=stack.env, capture_output=True, text=True, timeout=60,
    )
    probe_pid = int(probe.stdout.strip())

    stack.stop()  # everything they do before exiting counts too
    started, outside = audit(log)
    services = {service.name: service.process.pid for service in stack.services}
    assert set(services.values()) <= started, f"the hook did not run in every service: {services}"
    assert f"{probe_pid} socket.connect 192.0.2.1 9" in [line for pid, line in outside if pid == probe_pid]
    from_services = [line for pid, line in outside if pid != probe_pid]
    assert from_services == [], f"connections outside this machine: {from_services}"

    logs = stack.logs(tail=None)
    assert "Rasa server is up and running" in logs or "Starting Rasa server" in logs or "Sanic" in logs
    assert token not in logs, "the API token reached a log"
    assert not any(mode & 0o077 for mode in (p.stat().st_mode for p in stack.var_dir.glob("*.db")))


def test_the_detector_understands_addresses() -> None:
    assert all(is_local(host) for host in ("127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "localhost",
                                           "0.0.0.0", "None"))
    assert not any(is_local(host) for host in ("192.0.2.1", "10.0.0.1", "o1.ingest.sentry.io", "api.segment.io",
                                               "2001:db8::1"))

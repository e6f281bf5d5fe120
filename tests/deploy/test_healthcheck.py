"""deploy/healthcheck.py: the image's one HEALTHCHECK asks the running service's own /health."""

from __future__ import annotations

import importlib.util
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from bot.settings import load_settings
from tests.deploy.files import DEPLOY, SERVICES, as_in_image

spec = importlib.util.spec_from_file_location("deploy_healthcheck", DEPLOY / "healthcheck.py")
healthcheck = importlib.util.module_from_spec(spec)
spec.loader.exec_module(healthcheck)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_launcher_service_is_checked_on_its_own_port(name, launcher_for):
    environment = {"BIND_HOST": "0.0.0.0", "RASA_PORT": "6005", "ACTION_SERVER_PORT": "6055",
                   "OUTBOX_WORKER_PORT": "6086", "CONSOLE_PORT": "6002", "WEB_PORT": "6010"}
    service = launcher_for(environment)[SERVICES[name]]
    port = healthcheck.service_port(as_in_image(service.argv), load_settings(environment))
    assert service.health_url.endswith(f":{port}/health")


def test_anything_else_is_not_ours():
    assert healthcheck.service_port(["python", "-m", "http.server"], load_settings({})) is None
    assert healthcheck.service_port(["python"], load_settings({})) is None


def test_main_command_reads_a_nul_separated_command_line(tmp_path):
    cmdline = tmp_path / "cmdline"
    cmdline.write_bytes(b"python\0-m\0bot.console\0serve\0")
    assert healthcheck.main_command(cmdline) == ["python", "-m", "bot.console", "serve"]


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802
        self.send_response(self.status if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("status,code", [(200, 0), (503, 1)])
def test_main_answers_docker_with_0_or_1(status, code, monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), type("Handler", (_Health,), {"status": status}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("CONSOLE_PORT", str(server.server_port))
        monkeypatch.setattr(healthcheck, "main_command", lambda: ["python", "-m", "bot.console", "serve"])
        assert healthcheck.main() == code
    finally:
        server.shutdown()

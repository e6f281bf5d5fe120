"""The production profile's pieces without starting it: HAProxy's configuration, Redis's, the replicas."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from bot.launcher import with_run_secrets
from bot.production import Backend, Production, Replicas, haproxy_config, redis_service
from bot.settings import load_settings
from bot.storage.database import create_schema, make_engine

RASA = Backend("rasa", 15005, [15006, 15007])
ACTIONS = Backend("actions", 15055, [15056, 15057])
OTHERS = [Backend("website", 15010, [15011]), Backend("console", 15002, [15003])]


def test_haproxy_routes_each_conversation_to_one_replica_and_checks_readiness() -> None:
    config = haproxy_config("127.0.0.1", RASA, ACTIONS, OTHERS)
    sections = {block.split("\n", 1)[0]: block for block in config.split("\n\n")}
    assert "balance hash req.body_param(From)" in sections["backend rasa_sms"]  # one phone, one replica
    assert "balance hash req.body,json_query('$.sender')" in sections["backend rasa_rest"]
    assert "balance source" in sections["backend rasa_socketio"]  # socket.io's polling needs one server
    for name in ("rasa_any", "actions"):
        block = sections[f"backend {name}"]
        ports = ACTIONS.ports if name == "actions" else RASA.ports
        assert "uri /ready" in block and all(f"127.0.0.1:{port} check" in block for port in ports), name
    # The other Rasa backends follow rasa_any's check of the same replicas rather than probe them again.
    for name in ("rasa_sms", "rasa_rest", "rasa_socketio"):
        block = sections[f"backend {name}"]
        assert " check" not in block and "httpchk" not in block, name
        assert all(f"127.0.0.1:{port} track rasa_any/rasa{i + 1}" in block for i, port in enumerate(RASA.ports)), name
    # Every replica failing its check at once (load, a blip) still gets traffic, not 503s for everyone.
    assert "option allbackups" in sections["backend rasa_rest"]
    assert "server rasa1-unchecked 127.0.0.1:15006 backup" in sections["backend rasa_rest"]
    assert "timeout check 10s" in sections["defaults"]
    # An action call that reached a server may have made a case: only connection failures are retried.
    assert "retry-on conn-failure\n" in sections["backend actions"] + "\n"
    assert "empty-response" not in sections["backend actions"]
    # Every frontend on BIND_HOST, on the usual ports.
    binds = [line.split()[1] for line in config.splitlines() if line.strip().startswith("bind ")]
    assert binds == ["127.0.0.1:15005", "127.0.0.1:15055", "127.0.0.1:15010", "127.0.0.1:15002"]


def test_haproxys_metrics_need_the_token_which_the_file_only_names() -> None:
    config = haproxy_config("127.0.0.1", RASA, ACTIONS, OTHERS, metrics_port=15099)
    metrics = config.split("frontend metrics", 1)[1]
    assert "bind 127.0.0.1:15099" in metrics and "prometheus-exporter" in metrics
    assert '"Bearer ${METRICS_TOKEN}"' in metrics and "deny_status 401 unless" in metrics


@pytest.mark.skipif(shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists(),
                    reason="HAProxy is not installed (.ci/services.sh installs it)")
def test_haproxy_accepts_the_configuration(tmp_path: Path) -> None:
    path = tmp_path / "haproxy.cfg"
    path.write_text(haproxy_config("127.0.0.1", RASA, ACTIONS, OTHERS, metrics_port=15099))
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    result = subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True, text=True,
                            env={"METRICS_TOKEN": "a-token"})
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_redis_password_is_in_a_private_file_not_on_the_command_line(tmp_path: Path) -> None:
    service, url = redis_service(tmp_path, "127.0.0.1")
    password = url.split("://:", 1)[1].split("@", 1)[0]
    assert len(password) >= 24
    assert not any(password in argument for argument in service.argv)
    assert password not in service.banner
    config = tmp_path / "redis.conf"
    assert f"requirepass {password}" in config.read_text() and "bind 127.0.0.1" in config.read_text()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_every_replica_has_its_own_port_and_reaches_the_others_through_the_load_balancer(tmp_path: Path) -> None:
    environ = with_run_secrets({"VAR_DIR": str(tmp_path), "DATABASE_URL": "sqlite:///" + str(tmp_path / "c.db"),
                                "REDIS_URL": "redis://127.0.0.1:1/0", "RASA_URL": "http://127.0.0.1:15005",
                                "ACTION_SERVER_URL": "http://127.0.0.1:15055/webhook",
                                "RASA_PORT": "15005", "ACTION_SERVER_PORT": "15055"})
    profile = Production(tmp_path, environ, Replicas(rasa=2, actions=2, workers=2, web=2, console=1))
    profile.env = environ
    profile.settings = load_settings(environ)
    create_schema(make_engine(profile.settings.database_url))  # the console's banner counts staff
    services = profile.build(Path("model.tar.gz"))
    names = [s.name for s in services]
    for name in ("Rasa server 1", "Rasa server 2", "action server 1", "action server 2", "delivery worker 1",
                 "delivery worker 2", "website 1", "website 2", "staff console 1"):
        assert name in names
    ports = [s.health_url for s in services]
    assert len(set(ports)) == len(ports)  # one port each
    assert all(url.startswith("http://127.0.0.1:") for url in ports)
    rasa = [s for s in services if s.name.startswith("Rasa server")]
    for service in rasa:
        assert service.argv[service.argv.index("--interface") + 1] == "127.0.0.1"
        assert service.env["RASA_PORT"] == service.argv[service.argv.index("--port") + 1]
    # Rasa reaches the action servers through HAProxy: the endpoints file names the load balancer.
    assert "http://127.0.0.1:15055/webhook" in (tmp_path / "production" / "endpoints.run.yml").read_text()
    assert profile.backends["rasa"].ports == [int(s.env["RASA_PORT"]) for s in rasa]
    config = (tmp_path / "production" / "haproxy.cfg").read_text()
    assert stat.S_IMODE((tmp_path / "production" / "haproxy.cfg").stat().st_mode) == 0o600
    for secret in (environ["RASA_API_TOKEN"], environ["ACTION_SERVER_TOKEN"], environ["TWILIO_AUTH_TOKEN"],
                   environ["CONSOLE_SECRET_KEY"]):
        assert secret not in config

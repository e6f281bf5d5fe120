"""``make run PROFILE=production``: the replicated topology on one machine.

PostgreSQL (``DATABASE_URL`` if given, else a local cluster) for trackers,
cases and everything else; Redis (``REDIS_URL`` if given, else a local
``redis-server``) for Rasa's lock store and the state replicas share; two Rasa
servers, two action servers, two delivery workers, the website and the staff
console; and HAProxy in front of them, with per-conversation routing (the
SMS sender, the REST sender, the web chat client's address for socket.io).

Every service is the one ``make run`` starts (bot/launcher.py builds them),
given its own port; only the load balancer listens on the usual ports
(RASA_PORT, ACTION_SERVER_PORT, WEB_PORT, CONSOLE_PORT). Each listens on
BIND_HOST and keeps its authentication: PostgreSQL and Redis get a password
generated for the run (in files of mode 0600 under VAR_DIR, never printed);
``/metrics`` needs METRICS_TOKEN, generated and written to
``VAR_DIR/production/metrics-token`` (0600) when not set, for Prometheus's
``credentials_file``. A replica that dies is started again (as an
orchestrator would); Ctrl-C stops everything. docs/operations.md, "The
production profile on one machine".
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from bot import private_files
from bot.ports import free_port
from bot.launcher import (
    Service,
    console_service,
    core_services,
    delivery_services,
    render_endpoints,
    stop_all,
    twilio_sandbox_service,
    wait_until_healthy,
    web_service,
    with_run_secrets,
)
from bot.model import model_path
from bot.routing import load_routing
from bot.settings import PROJECT_ROOT, ConfigError, Settings, load_settings
from bot.storage.database import create_schema, make_engine
from bot.telemetry import no_telemetry


@dataclass(frozen=True)
class Replicas:
    """How many of each service run behind the load balancer."""

    rasa: int = 2
    actions: int = 2
    workers: int = 2
    web: int = 1
    console: int = 1


def _write_secret_file(path: Path, text: str, owner: Optional[int] = None) -> None:
    """``text`` in ``path``, mode 0600 (replacing any older file)."""
    path.unlink(missing_ok=True)
    private_files.write_private(path, text.encode())
    if owner is not None:
        os.chown(path, owner, -1)


# -- PostgreSQL ----------------------------------------------------------------------


def postgres_bin_dir() -> Optional[Path]:
    """The newest installed PostgreSQL server's bin directory (Debian's layout), or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[4]))
    if found:
        return found[-1].parent
    which = shutil.which("pg_ctl")
    return Path(which).parent if which else None


class LocalPostgres:
    """A PostgreSQL cluster of our own, listening on BIND_HOST with a password.

    Kept in ``VAR_DIR/production/postgres`` (data survives runs, like SQLite
    under var/). PostgreSQL refuses to run as root, so as root it runs as the
    ``postgres`` user in a directory of its own outside VAR_DIR (which is
    root's alone), and is thrown away when stopped.
    """

    def __init__(self, state_dir: Path, host: str, durable: bool = True) -> None:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise ConfigError("PostgreSQL is not installed (apt-get install postgresql, or .ci/services.sh); "
                              "or set DATABASE_URL to an existing database.")
        self.bin = bin_dir
        self.host = host
        self.durable = durable
        self.port = free_port(host)
        self.as_user: List[str] = []
        self.owner: Optional[int] = None
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
            self.owner = user.pw_uid
            self.root = Path(tempfile.mkdtemp(prefix="council-postgres-"))
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self.throwaway = True
        else:
            self.root = private_files.private_dir(state_dir / "postgres")
            self.throwaway = False
        self.data = self.root / "data"
        self.password_file = state_dir / "postgres-password"

    def _run(self, *argv: str, env: Optional[Dict[str, str]] = None) -> None:
        subprocess.run([*self.as_user, *argv], check=True, capture_output=True, timeout=120,
                       env={**os.environ, **(env or {})})

    def start(self) -> str:
        """Start (creating the cluster and its database the first time); returns the URL."""
        fresh = not (self.data / "PG_VERSION").exists() or not self.password_file.exists()
        if fresh:
            shutil.rmtree(self.data, ignore_errors=True)
            password = secrets.token_urlsafe(24)
            _write_secret_file(self.password_file, password)
            pwfile = self.root / "initdb-password"
            _write_secret_file(pwfile, password, owner=self.owner)
            try:
                self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "council", "-A", "scram-sha-256",
                          f"--pwfile={pwfile}", "-E", "UTF8", *([] if self.durable else ["--no-sync"]))
            finally:
                pwfile.unlink(missing_ok=True)
        password = self.password_file.read_text().strip()
        self.restart()
        if fresh:
            self._run(str(self.bin / "createdb"), "-h", self.host, "-p", str(self.port), "-U", "council", "council",
                      env={"PGPASSWORD": password})
        return self.url_with(password)

    def url_with(self, password: str) -> str:
        return f"postgresql+psycopg2://council:{urllib.parse.quote(password, safe='')}@{self.host}:{self.port}/council"

    @property
    def shown_url(self) -> str:
        return f"postgresql://council@{self.host}:{self.port}/council"

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``mode``: fast, immediate)."""
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Start the server of an existing cluster (after :meth:`stop`)."""
        options = (f"-p {self.port} -k {self.root} -c listen_addresses={self.host} -c max_connections=300"
                   f" -c fsync={'on' if self.durable else 'off'}")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "start")

    def remove(self) -> None:
        """After stop: throw the cluster away where it is a throwaway one."""
        if self.throwaway:
            shutil.rmtree(self.root, ignore_errors=True)


# -- Redis ------------------------------------------------------------------------------


def redis_service(state_dir: Path, host: str) -> tuple:
    """A local redis-server on a free port with a per-run password; (Service, url).

    The password is in the generated config file (mode 0600), not on the command
    line, where any user could read it in the process list. Nothing is persisted:
    Redis holds locks and short-lived shared state only.
    """
    server = shutil.which("redis-server")
    if server is None:
        raise ConfigError("redis-server is not installed (apt-get install redis-server, or .ci/services.sh); "
                          "or set REDIS_URL.")
    port = free_port(host)
    password = secrets.token_urlsafe(24)
    config = state_dir / "redis.conf"
    _write_secret_file(config, "\n".join([
        "# Generated by bot/production.py for one run; holds the run's password (mode 0600).",
        f"bind {host}", f"port {port}", f"requirepass {password}", 'save ""', "appendonly no",
        f"dir {state_dir}", "protected-mode yes", "",
    ]))
    service = Service(
        name="redis",
        argv=[server, str(config)],
        health_url="",
        banner=f"Redis           redis://{host}:{port}/0  (password in {config})",
    )
    return service, f"redis://:{urllib.parse.quote(password, safe='')}@{host}:{port}/0"


# -- HAProxy ----------------------------------------------------------------------------


@dataclass
class Backend:
    """One replicated service behind the load balancer."""

    name: str
    front_port: int
    ports: List[int]
    check: str = "/ready"


def haproxy_config(host: str, rasa: Backend, actions: Backend, others: List[Backend],
                   metrics_port: Optional[int] = None) -> str:
    """HAProxy's configuration: one frontend per replicated service, on the usual ports.

    Rasa's frontend routes by conversation, so one conversation's turns go to one
    replica while it is up (its lock and caches stay warm): SMS webhooks by the
    sender's number, REST calls by ``sender``, socket.io by the client's address
    (socket.io's long-polling needs every request of a session on one server).
    A replica whose ``/ready`` fails gets no new traffic; a request whose
    connection fails, or whose server dies before answering, is retried once on
    the other replica (``retry-on``). The four Rasa backends share one check of
    each replica (``rasa_any``'s; the others ``track`` it). With ``metrics_port``, HAProxy's own
    Prometheus series (which replicas are in rotation) there, behind
    METRICS_TOKEN, which the file names and HAProxy reads from its environment:
    nothing secret is in the file.
    """

    def servers(backend: Backend, track: str = "") -> List[str]:
        # ``track``: take another backend's check of the same servers instead of
        # probing them again (each /ready costs the replica a database and Redis probe).
        how = f"track {track}/{backend.name}{{}}" if track else "check"
        checked = [f"    server {backend.name}{i + 1} {host}:{port} " + how.format(i + 1)
                   for i, port in enumerate(backend.ports)]
        # When every replica fails its check at once (probes slowed by load, a
        # database blip), still try them rather than answer 503 to everyone: a
        # dead one refuses the connection and the request goes to the next.
        fallback = [f"    server {backend.name}{i + 1}-unchecked {host}:{port} backup"
                    for i, port in enumerate(backend.ports)]
        return ["    option allbackups", *checked, *fallback]

    def check(backend: Backend) -> List[str]:
        return ["    option httpchk", f"    http-check send meth GET uri {backend.check}",
                "    http-check expect status 200"]

    lines = [
        "# Generated by bot/production.py for one run of `make run PROFILE=production`; do not edit.",
        "global",
        "    maxconn 4096",
        "    log stdout format raw local0 warning",
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option dontlognull",
        "    timeout connect 2s",
        "    timeout client 75s",
        "    timeout server 75s",
        # socket.io's websockets stay open while a resident chats.
        "    timeout tunnel 1h",
        # /ready every 2 s; a busy replica may take seconds to answer it, which
        # must not take it out of rotation (two failures in a row do).
        "    default-server inter 2s fall 2 rise 1",
        "    timeout check 10s",
        "    retries 2",
        "    option redispatch 1",
        "",
        f"frontend rasa",
        f"    bind {host}:{rasa.front_port}",
        "    option forwardfor",
        "    acl sms path /webhooks/sms/webhook",
        "    acl rest path /webhooks/rest/webhook",
        "    acl socketio path_beg /socket.io/",
        "    use_backend rasa_sms if sms",
        "    use_backend rasa_rest if rest",
        "    use_backend rasa_socketio if socketio",
        "    default_backend rasa_any",
        "",
        "backend rasa_sms",
        "    option http-buffer-request",
        # One number's texts go to one replica while it is up; the channel also
        # keeps their order across replicas (bot/channels/sms.py).
        "    balance hash req.body_param(From)",
        "    hash-type consistent",
        "    retry-on conn-failure empty-response",
        *servers(rasa, track="rasa_any"),
        "",
        "backend rasa_rest",
        "    option http-buffer-request",
        "    balance hash req.body,json_query('$.sender')",
        "    hash-type consistent",
        "    retry-on conn-failure empty-response",
        *servers(rasa, track="rasa_any"),
        "",
        "backend rasa_socketio",
        "    balance source",
        "    hash-type consistent",
        *servers(rasa, track="rasa_any"),
        "",
        "backend rasa_any",
        "    balance roundrobin",
        "    retry-on conn-failure",
        *check(rasa), *servers(rasa),
        "",
        "frontend actions",
        f"    bind {host}:{actions.front_port}",
        "    default_backend actions",
        "",
        "backend actions",
        "    balance roundrobin",
        # An action call that reached a server is never repeated (it may have made a case).
        "    retry-on conn-failure",
        *check(actions), *servers(actions),
    ]
    for backend in others:
        lines += [
            "",
            f"frontend {backend.name}",
            f"    bind {host}:{backend.front_port}",
            "    option forwardfor",
            f"    default_backend {backend.name}",
            "",
            f"backend {backend.name}",
            "    balance source",
            "    hash-type consistent",
            "    retry-on conn-failure",
            *check(backend), *servers(backend),
        ]
    if metrics_port is not None:
        lines += [
            "",
            "frontend metrics",
            f"    bind {host}:{metrics_port}",
            '    http-request deny deny_status 401 unless { req.hdr(authorization) -m str "Bearer ${METRICS_TOKEN}" }',
            "    http-request use-service prometheus-exporter if { path /metrics }",
            "    http-request deny deny_status 404",
        ]
    return "\n".join(lines) + "\n"


# -- the profile -------------------------------------------------------------------------


@dataclass
class Production:
    """Everything the production profile runs, started and stopped together."""

    var_dir: Path
    environ: Dict[str, str]
    replicas: Replicas = field(default_factory=Replicas)
    # fsync off for tests' throwaway clusters; on for `make run` and benchmarks.
    durable: bool = True
    postgres: Optional[LocalPostgres] = None
    redis: Optional[Service] = None
    haproxy: Optional[Service] = None
    services: List[Service] = field(default_factory=list)
    settings: Optional[Settings] = None
    env: Dict[str, str] = field(default_factory=dict)
    backends: Dict[str, Backend] = field(default_factory=dict)
    banners: List[str] = field(default_factory=list)
    haproxy_metrics_port: Optional[int] = None

    @property
    def state_dir(self) -> Path:
        return self.var_dir / "production"

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "logs"

    def _spawn(self, service: Service) -> None:
        log = open(self.log_dir / f"{service.name.replace(' ', '-').lower()}.log", "ab")
        service.process = subprocess.Popen(service.argv, cwd=PROJECT_ROOT, env={**self.env, **service.env},
                                           stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def prepare(self) -> Settings:
        """Databases, secrets and the environment every service shares; no replica yet."""
        private_files.restrict(self.var_dir)
        private_files.private_dir(self.state_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {**self.environ, "VAR_DIR": str(self.var_dir)}
        host = env.get("BIND_HOST") or Settings.bind_host
        if not env.get("DATABASE_URL"):
            self.postgres = LocalPostgres(self.state_dir, host, durable=self.durable)
            env["DATABASE_URL"] = self.postgres.start()
            self.banners.append(f"PostgreSQL      {self.postgres.shown_url}  (password in {self.postgres.password_file})")
        else:
            self.banners.append("PostgreSQL      DATABASE_URL  (given)")
        env.setdefault("TRACKER_STORE_URL", env["DATABASE_URL"])
        if not env.get("REDIS_URL"):
            self.redis, env["REDIS_URL"] = redis_service(self.state_dir, host)
            self._spawn(self.redis)
            self.banners.append(self.redis.banner)
        else:
            self.banners.append("Redis           REDIS_URL  (given)")
        if not env.get("METRICS_TOKEN"):
            env["METRICS_TOKEN"] = secrets.token_urlsafe(32)
            _write_secret_file(self.state_dir / "metrics-token", env["METRICS_TOKEN"])
        else:
            (self.state_dir / "metrics-token").unlink(missing_ok=True)  # an earlier run's, no longer true
        # The load balancer is where everything is reached: Rasa's API for the
        # worker, console and website, the action server for Rasa, the public
        # addresses for browsers and Twilio's signatures.
        base = load_settings(env)
        lb = f"http://{host}"
        env.setdefault("RASA_URL", f"{lb}:{base.rasa_port}")
        env.setdefault("ACTION_SERVER_URL", f"{lb}:{base.action_server_port}/webhook")
        env.setdefault("WEB_PUBLIC_URL", f"{lb}:{base.web_port}")
        env.setdefault("PUBLIC_BASE_URL", env["RASA_URL"])
        env.setdefault("WEB_TRUSTED_PROXIES", "1")
        env.setdefault("CONSOLE_PROXIES_COUNT", "1")
        env = with_run_secrets(env)
        self.env = no_telemetry({**env, "PYTHONPATH": str(PROJECT_ROOT)})
        self.settings = load_settings(self.env)
        if self.redis is not None:
            self._wait_for_redis()
        create_schema(make_engine(self.settings.database_url))
        return self.settings

    def _wait_for_redis(self, timeout: float = 30.0) -> None:
        import redis as redis_client

        deadline = time.monotonic() + timeout
        while True:
            try:
                redis_client.Redis.from_url(self.env["REDIS_URL"], socket_timeout=1).ping()
                return
            except Exception:  # noqa: BLE001 - not up yet, whatever the reason
                if time.monotonic() > deadline or (self.redis and self.redis.process and self.redis.process.poll() is not None):
                    raise RuntimeError(f"Redis did not start; see {self.log_dir / 'redis.log'}") from None
                time.sleep(0.2)

    def build(self, model: Path) -> List[Service]:
        """Every replica and stand-in, each on a port of its own; and the load balancer's backends."""
        assert self.settings is not None
        settings, host = self.settings, self.settings.bind_host
        endpoints = render_endpoints(settings, self.state_dir)
        services: List[Service] = []
        rasa_ports, action_ports = [], []
        for i in range(self.replicas.actions):
            port = free_port(host)
            action_ports.append(port)
            action, _ = core_services(dataclasses.replace(settings, action_server_port=port), model, endpoints)
            services.append(_named(action, f"action server {i + 1}", "Action server", port, host,
                                   {"ACTION_SERVER_PORT": str(port)}))
        for i in range(self.replicas.rasa):
            port = free_port(host)
            rasa_ports.append(port)
            _, rasa = core_services(dataclasses.replace(settings, rasa_port=port), model, endpoints)
            services.append(_named(rasa, f"Rasa server {i + 1}", "Rasa server", port, host, {"RASA_PORT": str(port)}))
        sandbox, _worker = delivery_services(settings)
        services.append(sandbox)
        for i in range(self.replicas.workers):
            port = free_port(host)
            _, worker = delivery_services(dataclasses.replace(settings, outbox_worker_port=port))
            worker.env["OUTBOX_WORKER_PORT"] = str(port)
            services.append(_named(worker, f"delivery worker {i + 1}", "Delivery worker", port, host, {}))
        web_ports, console_ports = [], []
        for i in range(self.replicas.web):
            port = free_port(host)
            web_ports.append(port)
            services.append(_named(web_service(dataclasses.replace(settings, web_port=port)), f"website {i + 1}",
                                   "Website", port, host, {"WEB_PORT": str(port)}))
        for i in range(self.replicas.console):
            port = free_port(host)
            console_ports.append(port)
            services.append(_named(console_service(dataclasses.replace(settings, console_port=port)),
                                   f"staff console {i + 1}", "Staff console", port, host, {"CONSOLE_PORT": str(port)}))
        if settings.twilio_sandbox:
            services.append(twilio_sandbox_service(settings))
        self.backends = {
            "rasa": Backend("rasa", settings.rasa_port, rasa_ports),
            "actions": Backend("actions", settings.action_server_port, action_ports),
            "website": Backend("website", settings.web_port, web_ports),
            "console": Backend("console", settings.console_port, console_ports),
        }
        config = self.state_dir / "haproxy.cfg"
        config.unlink(missing_ok=True)
        self.haproxy_metrics_port = free_port(host)
        private_files.write_private(config, haproxy_config(
            host, self.backends["rasa"], self.backends["actions"],
            [self.backends["website"], self.backends["console"]], self.haproxy_metrics_port).encode())
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        self.haproxy = Service(
            name="haproxy",
            argv=[haproxy, "-db", "-f", str(config)],
            # Through the load balancer: answered once some Rasa replica is up.
            health_url=f"http://{host}:{settings.rasa_port}/health",
            banner="",
        )
        return services

    def start(self, model: Optional[Path] = None) -> "Production":
        """Start everything and wait until each replica and the load balancer answer."""
        self.prepare()
        model = model or model_path()
        self.services = self.build(model)
        for service in self.services:
            self._spawn(service)
        assert self.haproxy is not None
        if not Path(self.haproxy.argv[0]).exists():
            raise ConfigError("HAProxy is not installed (apt-get install haproxy, or .ci/services.sh).")
        self._spawn(self.haproxy)
        try:
            for service in [*self.services, self.haproxy]:
                wait_until_healthy(service, timeout=300)
        except RuntimeError:
            self.stop()
            raise
        return self

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def restart(self, service: Service, wait: bool = True) -> None:
        """Start a replica again (after it died or was stopped)."""
        self._spawn(service)
        if wait:
            wait_until_healthy(service, timeout=300)

    def lines(self) -> List[str]:
        """One line per service: the load balancer's addresses, then each replica, the databases, metrics."""
        assert self.settings is not None
        s, host = self.settings, self.settings.bind_host
        lb = f"http://{host}"
        rest = "REST: POST /webhooks/rest/webhook with the API token" if s.rest_channel_enabled else "REST off"
        out = [
            f"Load balancer   {lb}:{s.rasa_port}  (HAProxy: chat, SMS webhooks, {rest}; per conversation to "
            f"{len(self.backends['rasa'].ports)} Rasa servers)",
            f"Load balancer   {lb}:{s.web_port}/  (website with the chat widget)",
            f"Load balancer   {lb}:{s.console_port}/  (staff console)",
            f"Load balancer   {lb}:{s.action_server_port}  (action servers, for Rasa only: needs ACTION_SERVER_TOKEN)",
        ]
        out += [svc.banner for svc in self.services]
        out += self.banners
        token_file = self.state_dir / "metrics-token"
        where = f"token in {token_file}" if token_file.exists() else "METRICS_TOKEN"
        metrics = [f"{lb}:{p}/metrics" for p in self.backends["rasa"].ports + self.backends["actions"].ports
                   + self.backends["website"].ports + self.backends["console"].ports]
        metrics += [svc.health_url.replace("/health", "/metrics") for svc in self.services
                    if svc.name.startswith("delivery worker")]
        metrics.append(f"{lb}:{self.haproxy_metrics_port}/metrics")  # HAProxy's own: replicas in rotation
        out += [f"Metrics         {url}  (Bearer {where})" for url in metrics]
        return out

    def stop(self) -> None:
        try:
            stop_all([*([self.redis] if self.redis else []), *self.services, *([self.haproxy] if self.haproxy else [])])
        finally:
            if self.postgres is not None:
                try:
                    self.postgres.stop()
                except subprocess.CalledProcessError:
                    pass
                self.postgres.remove()


def _named(service: Service, name: str, label: str, port: int, host: str, env: Dict[str, str]) -> Service:
    """A replica of ``service``: its own name (and log file), port and banner line."""
    service.name = name
    service.env = {**service.env, **env}
    service.banner = f"{label:<15} http://{host}:{port}  ({name}; health, ready, metrics)"
    return service


def _stop_on_signal(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.production", description=__doc__.split("\n")[0])
    parser.add_argument("--rasa", type=int, default=Replicas.rasa, help="Rasa servers (default 2)")
    parser.add_argument("--actions", type=int, default=Replicas.actions, help="action servers (default 2)")
    parser.add_argument("--workers", type=int, default=Replicas.workers, help="delivery workers (default 2)")
    parser.add_argument("--web", type=int, default=Replicas.web, help="websites (default 1)")
    parser.add_argument("--console", type=int, default=Replicas.console, help="staff consoles (default 1)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, _stop_on_signal)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    try:
        base = load_settings()
        load_routing(base.routing_file, with_run_secrets(dict(os.environ)))
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    model = model_path()
    if not model.exists():
        print("No trained model for the current data: run `make run PROFILE=production` (it trains first).",
              file=sys.stderr)
        return 2
    profile = Production(base.var_dir, dict(os.environ),
                         Replicas(args.rasa, args.actions, args.workers, args.web, args.console))
    try:
        print("Starting PostgreSQL, Redis, the replicas and HAProxy...", flush=True)
        profile.start(model)
        print("\nEverything is running (production profile):", flush=True)
        for line in profile.lines():
            print(f"  {line}", flush=True)
        print(f"\nLogs: {profile.log_dir}\nPress Ctrl-C to stop.", flush=True)
        while True:
            time.sleep(1)
            for service in [*profile.services, *([profile.redis] if profile.redis else [])]:
                if service.process is not None and service.process.poll() is not None:
                    # As an orchestrator would: start it again; the others carry the load meanwhile.
                    print(f"{service.name} exited ({service.process.returncode}); starting it again.", flush=True)
                    profile.restart(service, wait=False)
            if profile.haproxy and profile.haproxy.process and profile.haproxy.process.poll() is not None:
                print(f"HAProxy exited; see {profile.log_dir / 'haproxy.log'}.", file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    except (RuntimeError, ConfigError, subprocess.CalledProcessError) as error:
        print(f"Could not start: {error}. See {profile.log_dir}.", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C must not leave PostgreSQL or a replica running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        profile.stop()


if __name__ == "__main__":
    sys.exit(main())

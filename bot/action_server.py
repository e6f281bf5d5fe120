"""``python -m bot.action_server``: rasa_sdk's action server, bound and authenticated.

``python -m rasa_sdk`` listens on every interface (0.0.0.0), answers anyone
and reads ``text/plain`` bodies as JSON, so any web page a member of staff
opened could post a forged action call without a CORS preflight and have
cases created or conversations queued for staff. This runs the same
application (``rasa_sdk.endpoint.create_app``, same arguments) with:

* the host from BIND_HOST;
* every request except ``GET /health``, ``/ready`` and ``/metrics`` (which
  takes METRICS_TOKEN instead: bot/endpoints.py) requiring
  ``Authorization: Bearer <ACTION_SERVER_TOKEN>`` (401 without it, 403 when
  wrong; compared in constant time). Rasa sends it: the launcher's endpoints
  file gives the action endpoint that header, filled from Rasa's environment;
* ``/webhook`` taking only ``application/json`` (415 otherwise);
* no CORS headers: browsers have no business calling it;
* the domain kept between calls: Rasa names it by digest instead of sending
  its 47 KB with every call (bot/rasa_patches.py); a call naming a domain
  this process does not hold is answered 449 and Rasa sends it again with
  the domain, which is then kept (``DomainsByDigest``).

Without ACTION_SERVER_TOKEN it refuses to start.
"""

from __future__ import annotations

import hmac
import logging
from collections import OrderedDict
from typing import Any, Dict, List, Optional

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import gc_tuning
from bot.json_logs import set_conversation
from bot.settings import ConfigError, Settings, load_settings

logger = logging.getLogger(__name__)

# /metrics checks its own token (METRICS_TOKEN, bot/endpoints.py).
OPEN_PATHS = frozenset({"/health", "/ready", "/metrics"})


def authorization_problem(header: Optional[str], token: str) -> Optional[int]:
    """The HTTP status refusing this Authorization header (None: it carries the token)."""
    if not header or not header.startswith("Bearer "):
        return 401
    offered = header[len("Bearer "):].strip().encode("utf-8")
    return None if hmac.compare_digest(offered, token.encode("utf-8")) else 403


def is_json(content_type: Optional[str]) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() == "application/json"


# "Send it again with the domain": Rasa's side is bot/rasa_patches.py (_request).
DOMAIN_NEEDED = 449


class DomainsByDigest:
    """The domains Rasa sent, by the digest it names them with (the last few models')."""

    def __init__(self, size: int = 4) -> None:
        self._domains: "OrderedDict[str, Dict[str, Any]]" = OrderedDict()
        self.size = size

    def complete(self, body: Dict[str, Any]) -> bool:
        """Put the named domain into an action call that left it out (False: not held).
        A call that carries its domain (and digest) has it kept for the next ones."""
        digest = body.get("domain_digest")
        if not isinstance(digest, str):
            return True  # a call in Rasa's own format, with its domain
        if isinstance(body.get("domain"), dict):
            self._domains[digest] = body["domain"]
            self._domains.move_to_end(digest)
            while len(self._domains) > self.size:
                self._domains.popitem(last=False)
            return True
        domain = self._domains.get(digest)
        if domain is None:
            return False
        body["domain"] = domain
        return True


def guard_app(app: Sanic, token: str) -> Sanic:
    """Add the authentication and content-type checks to rasa_sdk's app."""
    domains = DomainsByDigest()

    @app.middleware("request")
    async def check(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS and request.method in ("GET", "HEAD"):
            return None
        status = authorization_problem(request.headers.get("Authorization"), token)
        if status is not None:
            # Neither the header nor the body is logged: either may be a secret.
            logger.warning("Action server: %s %s refused (%d)", request.method, request.path, status)
            return response.json(
                {"error": "missing credentials" if status == 401 else "wrong credentials"},
                status=status,
                headers={"WWW-Authenticate": "Bearer"} if status == 401 else None,
            )
        if request.method == "POST" and not is_json(request.headers.get("Content-Type")):
            return response.json({"error": "Content-Type must be application/json"}, status=415)
        if request.method == "POST":
            # What the action logs names its conversation (LOG_FORMAT=json: bot/json_logs.py).
            try:
                body = request.json
            except Exception:
                body = None  # rasa_sdk answers the malformed body itself
            if isinstance(body, dict) and isinstance(body.get("sender_id"), str):
                set_conversation(body["sender_id"])
            if isinstance(body, dict) and request.path == "/webhook" and not domains.complete(body):
                return response.json({"error": "domain needed"}, status=DOMAIN_NEEDED)
        return None

    return app


def create_app(actions: str, settings: Settings) -> Sanic:
    """rasa_sdk's application for the ``actions`` package, guarded (see module docs)."""
    from rasa_sdk.endpoint import create_app as sdk_app

    from bot import health
    from bot.endpoints import add_sanic_routes

    settings.require("action_server_token")
    if settings.gazetteer_file is not None:
        from bot.places.csv_gazetteer import CsvGazetteer, GazetteerError

        try:
            # A bad street list stops start-up with its line numbers, not a resident's report.
            CsvGazetteer.load(settings.gazetteer_file)
        except GazetteerError as error:
            raise ConfigError(f"GAZETTEER_FILE: {error}") from None
    # cors_origins=None: no Access-Control-* headers at all.
    app = sdk_app(actions, cors_origins=None)
    # rasa_sdk has its own /health; /ready: the actions write cases to the database
    # (and with REDIS_URL count upload links issued per case in Redis).
    add_sanic_routes(app, [health.database("database", settings.database_url),
                           *health.optional_redis(settings.redis_url)], settings.metrics_token, health=False)
    return guard_app(app, str(settings.action_server_token))


def main(argv: Optional[List[str]] = None) -> int:
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_argument_parser, create_ssl_context

    args = create_argument_parser().parse_args(argv)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel, args.logging_config_file
    )
    utils.update_sanic_log_level()
    settings = load_settings()
    try:
        app = create_app(args.actions, settings)
    except ConfigError as error:
        logger.error("Action server not started: %s", error)
        print(f"Configuration error: {error}")
        return 2
    ssl_context = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    logger.info("Action server listening on %s:%s", settings.bind_host, args.port)
    gc_tuning.settle_after_start(app)  # the loaded actions and their data are not rescanned
    app.run(settings.bind_host, args.port, ssl=ssl_context, workers=utils.number_of_sanic_workers())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

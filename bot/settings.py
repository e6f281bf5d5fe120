"""The one place that reads configuration from the environment.

Every setting is documented here with its default. Secrets never have a
default: a feature that needs one refuses to start and says which variable to
set. Call :func:`load_settings` once at start-up and pass the result around.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple, Union

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """Configuration is missing or invalid; the message says what to set."""


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def team_name_in(names: Union[str, Mapping[str, str], None], language: Optional[str]) -> Optional[str]:
    """The staff team's name in ``language``, from one name for all or ``Settings.team_names()``;
    a conversation whose language is not known gets the council's default language's."""
    if names is None or isinstance(names, str):
        return names
    return names.get(language or "") or next(iter(names.values()), None)


@dataclass(frozen=True)
class Settings:
    """Typed view of the environment. Field comments name the variable."""

    # COUNCIL_NAME: shown to residents and staff.
    council_name: str = "Anytown Borough Council"
    # COUNCIL_TEAM_NAME: who residents are told is speaking when staff reply or post
    # an update (web chat and SMS), instead of "Assistant". Default: "<COUNCIL_NAME> team".
    council_team_name: str = "Anytown Borough Council team"
    # COUNCIL_TEAM_NAME_CY: the same in Welsh, for conversations in Welsh. Default: "Tîm <COUNCIL_NAME>".
    council_team_name_cy: str = "Tîm Anytown Borough Council"
    # COUNCIL_PHONE: the contact-centre number residents are given.
    council_phone: str = "01632 960000"
    # COUNCIL_OUT_OF_HOURS_PHONE: the emergency out-of-hours line.
    council_out_of_hours_phone: str = "01632 960999"
    # COUNCIL_WEBSITE: the council's public website.
    council_website: str = "https://www.anytown.gov.uk"
    # COUNCIL_LANGUAGES: comma-separated languages residents are served in, the
    # first being the default (ISO 639-1 codes: "en"; a Welsh council "cy,en" or
    # "en,cy"). Every text in bot/messages/catalogue.yml must have each of them
    # (tests/bot/messages/test_catalogue.py); docs/messages.md.
    council_languages: Tuple[str, ...] = ("en",)
    # COUNCIL_POSTCODE_AREAS: comma-separated postcode districts or sectors the
    # council covers, e.g. "AN1,AN2,BX3 4". A postcode is inside the area when
    # it starts with one of them (district "AN1" matches "AN1 4GT" but not "AN12 3XY").
    postcode_areas: Tuple[str, ...] = tuple(f"AN{n}" for n in range(1, 10))
    # VAR_DIR: where SQLite files, logs and generated files live.
    var_dir: Path = PROJECT_ROOT / "var"
    # DATABASE_URL: cases, outbox, escalations, staff, audit (SQLAlchemy URL).
    database_url: str = ""
    # TRACKER_STORE_URL: Rasa's conversation trackers (SQLAlchemy URL).
    tracker_store_url: str = ""
    # REDIS_URL: when set, Rasa uses Redis as its lock store (needed when
    # several Rasa servers share one tracker store), and the state replicas
    # must share lives there too (bot/shared_state.py: web chat rooms and
    # replay, SMS per-number order, rate limits); otherwise in memory.
    redis_url: Optional[str] = None
    # BIND_HOST: the interface the local servers listen on.
    bind_host: str = "127.0.0.1"
    # RASA_PORT, ACTION_SERVER_PORT
    rasa_port: int = 5005
    action_server_port: int = 5055
    # ACTION_SERVER_URL: where Rasa reaches the action server.
    action_server_url: str = ""
    # RASA_URL: where the delivery worker, staff console and website reach the Rasa
    # server's HTTP API; default http://BIND_HOST:RASA_PORT (one machine). In
    # containers BIND_HOST is 0.0.0.0 and Rasa is another host (deploy/).
    rasa_url_override: Optional[str] = None
    # SESSION_EXPIRY_MINUTES is set in domain.yml (session_config), not here.
    # RASA_API_TOKEN (secret): guards Rasa's HTTP API, which the outbox worker
    # and the staff console use to speak on a resident's own channel. `make run`
    # generates a random one for the run when it is not set.
    rasa_api_token: Optional[str] = None
    # ACTION_SERVER_TOKEN (secret): Rasa sends it to the action server on every
    # call ("Authorization: Bearer ..."; the launcher's endpoints file names the
    # variable, Rasa reads it from its environment) and the action server
    # (bot/action_server.py) refuses to start without it and answers 401/403
    # to calls without it. `make run` generates a random one per run.
    action_server_token: Optional[str] = None
    # REST_CHANNEL_ENABLED: Rasa's REST channel (/webhooks/rest/webhook), a
    # developers' and tests' API. Off by default (production: web chat and SMS
    # only); `make run` and the tests turn it on. When on, every call needs
    # "Authorization: Bearer <RASA_API_TOKEN>" (bot/channels/rest.py).
    rest_channel_enabled: bool = False
    # MAX_MESSAGE_CHARS: longer resident messages are cut for understanding;
    # the text as sent is kept in the message metadata, up to 8 times this
    # (bot/channels/guard.py), so a huge message cannot fill the tracker store.
    max_message_chars: int = 4000
    # METRICS_TOKEN (secret, optional): every service's /metrics (Prometheus)
    # answers only "Authorization: Bearer <METRICS_TOKEN>"; unset, /metrics
    # is off (404). See docs/operations.md.
    metrics_token: Optional[str] = None
    # LOG_FORMAT: "text" (default) or "json" (one JSON object per line, with
    # the conversation id when there is one; bot/json_logs.py).
    log_format: str = "text"

    # Twilio (SMS). TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN / TWILIO_NUMBER are
    # secrets or account data: no defaults. TWILIO_API_BASE_URL points the
    # client at a local stand-in instead of https://api.twilio.com.
    twilio_account_sid: Optional[str] = None
    twilio_auth_token: Optional[str] = None
    twilio_number: Optional[str] = None
    twilio_api_base_url: str = "https://api.twilio.com"
    # PUBLIC_BASE_URL: the address Twilio uses to reach us (behind a proxy or
    # tunnel this differs from the local address); signatures are checked
    # against it.
    public_base_url: Optional[str] = None
    # TWILIO_SANDBOX: "1" when the Twilio settings point at our local stand-in
    # (bot/sandbox/twilio_api.py); `make run` sets it, with per-run local
    # credentials, when no real Twilio credentials are given.
    twilio_sandbox: bool = False
    # TWILIO_SANDBOX_PORT: where the local Twilio stand-in listens.
    twilio_sandbox_port: int = 5080
    # SMS_MEDIA_MAX_BYTES: largest inbound MMS photo we keep (Twilio's own cap is 5 MB).
    sms_media_max_bytes: int = 5 * 1024 * 1024
    # SMS_MAX_CONCURRENT_TURNS: SMS conversation turns one Rasa server works on
    # at once; more wait their turn, so webhook acknowledgements stay fast.
    sms_max_concurrent_turns: int = 2

    # CONSOLE_PORT and CONSOLE_SECRET_KEY (signs staff session cookies; secret).
    console_port: int = 5002
    console_secret_key: Optional[str] = None
    # CONSOLE_ADMIN_EMAIL / CONSOLE_ADMIN_PASSWORD (secret): when both are set,
    # the console creates this admin at start-up if no such account exists.
    # There is no default password; `python -m bot.console create-admin` is the
    # other way to make the first admin.
    console_admin_email: Optional[str] = None
    console_admin_password: Optional[str] = None
    # CONSOLE_LOCKOUT_MINUTES: how long an account stays locked after
    # CONSOLE_MAX_FAILED_SIGN_INS (default 5) wrong passwords in a row.
    console_lockout_minutes: int = 15
    console_max_failed_sign_ins: int = 5
    # CONSOLE_SIGN_IN_FAILURES_PER_CLIENT: wrong passwords one client address
    # may send in CONSOLE_LOCKOUT_MINUTES before its sign-ins are refused
    # (without touching any account), so nobody can lock every staff account.
    console_sign_in_failures_per_client: int = 20
    # CONSOLE_SESSION_HOURS: how long a staff sign-in lasts.
    console_session_hours: int = 8
    # CONSOLE_PROXIES_COUNT: how many reverse proxies (TLS terminators) sit in
    # front of the console; their X-Forwarded-Proto is then trusted, so cookies
    # get the Secure flag when staff use https. 0: trust no forwarded headers.
    console_proxies_count: int = 0
    # STAFFED_HOURS: when contact-centre staff answer escalated conversations,
    # e.g. "Mon-Fri 08:00-18:00; Sat 09:00-13:00", in STAFFED_TIMEZONE.
    staffed_hours: str = "Mon-Fri 08:00-18:00"
    staffed_timezone: str = "Europe/London"

    # Web chat (bot/channels/web.py, bot/web). WEB_PORT: the demo website that
    # serves the widget's assets and photo uploads.
    web_port: int = 5010
    # WEB_PUBLIC_URL: the address browsers use for that website (uploaded
    # photos' links are built on it); default http://BIND_HOST:WEB_PORT.
    web_public_url_override: Optional[str] = None
    # WEB_CHAT_SOCKET_URL: where browsers reach Rasa's socket.io endpoint;
    # default the Rasa server's own address.
    web_chat_socket_url_override: Optional[str] = None
    # WEB_CHAT_ALLOWED_ORIGINS: comma-separated origins allowed to open a chat
    # socket (the council's site); default the website's own origin.
    web_chat_allowed_origins_override: Tuple[str, ...] = ()
    # WEB_CHAT_JWT_SECRET (secret, optional): when set, every chat socket must
    # present a JWT signed with it (HS256), and the token's "sub" claim names
    # the conversation, for councils that embed the chat behind a login.
    web_chat_jwt_secret: Optional[str] = None
    # WEB_UPLOAD_MAX_BYTES: largest photo a resident may upload.
    web_upload_max_bytes: int = 10 * 1024 * 1024
    # WEB_UPLOADS_MAX_TOTAL_BYTES: when the stored photos reach this, new
    # uploads are refused politely (residents describe the problem instead)
    # rather than filling the disk the databases live on.
    web_uploads_max_total_bytes: int = 2 * 1024 * 1024 * 1024
    # WEB_UPLOADS_PER_CLIENT_PER_HOUR: photos one client (IP address) may
    # upload in any hour; a resident reporting a problem sends a handful.
    web_uploads_per_client_per_hour: int = 30
    # WEB_TRUSTED_PROXIES: reverse proxies in front of the website; their
    # X-Forwarded-For tells us the client's address (0: none, use the peer).
    web_trusted_proxies: int = 0
    # WEB_PRIVACY_URL: the privacy notice linked at the start of every chat.
    web_privacy_url_override: Optional[str] = None
    # Photos by SMS without MMS (bot/photo_links, docs/sms.md): one-time upload links.
    # PHOTO_LINK_SECRET (secret): signs the links (HMAC-SHA256). Unset: no links are
    # offered and the upload page says photos can't be taken (`make run` sets a random
    # one per run; a deployment sets one shared by the action server, the Rasa server
    # and the website, and changing it voids every link already sent).
    photo_link_secret: Optional[str] = None
    # PHOTO_LINK_HOURS: how long a link works (it also stops working once used).
    photo_link_hours: int = 24
    # PHOTO_LINKS_PER_CASE_PER_HOUR: links one report may be sent in any hour.
    photo_links_per_case_per_hour: int = 3

    # Delivery to back offices (bot/outbox, bot/routing.py, bot/sandbox/open311.py).
    # ROUTING_FILE: which back office each category goes to.
    routing_file: Path = PROJECT_ROOT / "council" / "routing.yml"
    # GAZETTEER_FILE: the council's street list (CSV; columns in docs/places.md),
    # read by the action server to recognise streets in residents' words, ask
    # "which one?" when a name is in several localities, and give cases a USRN and
    # a position. The demo one is made by `python -m bot.places.demo`. Set it
    # empty to run without a gazetteer (places are then kept only as typed).
    gazetteer_file: Optional[Path] = PROJECT_ROOT / "council" / "gazetteer.csv"
    # OPEN311_SANDBOX_PORT: the local stand-in Open311 back office `make run` starts.
    open311_sandbox_port: int = 5085
    # OUTBOX_WORKER_PORT: the delivery worker's health/statistics endpoint.
    outbox_worker_port: int = 5086
    # OUTBOX_MAX_ATTEMPTS: failed deliveries of a case before it is flagged for
    # staff (the worker keeps retrying at the longest interval afterwards).
    outbox_max_attempts: int = 8
    # OUTBOX_MAX_UNCERTAIN_LOOKUPS: after an attempt that may have reached the
    # back office (time-out, unreadable reply), a case is never sent again by
    # the worker, only looked up by our reference; after this many look-ups
    # that found nothing it is flagged for staff and waits for a re-queue.
    outbox_max_uncertain_lookups: int = 3
    # OUTBOX_BACKOFF_SECONDS / OUTBOX_BACKOFF_MAX_SECONDS: first retry delay,
    # doubled each failure (with jitter) up to the maximum.
    outbox_backoff_seconds: int = 5
    outbox_backoff_max_seconds: int = 900
    # OUTBOX_STATUS_POLL_SECONDS: how often each open case's status is read
    # from its back office.
    outbox_status_poll_seconds: int = 300
    # ANALYTICS_REFRESH_MINUTES: the active delivery worker folds new tracker
    # events into the analytics rollup this often (0: never; the dashboard and
    # `python -m bot.analytics` still catch up). ANALYTICS_REFRESH_EVENTS: at
    # most this many events per refresh (under a second's work); a backlog is
    # read on the following rounds (docs/analytics.md).
    analytics_refresh_minutes: int = 5
    analytics_refresh_events: int = 20_000
    # RETENTION_CONVERSATION_DAYS: conversations, SMS texts, escalation
    # messages and unattached photos are removed this long after their last
    # activity. RETENTION_CLOSED_CASE_DAYS: closed cases are anonymised this
    # long after closing (bot/retention.py). Set them to the council's
    # retention schedule.
    retention_conversation_days: int = 365
    retention_closed_case_days: int = 730
    # DUPLICATE_DISTANCE_METRES, DUPLICATE_DAYS: before a report becomes a case, open
    # cases of the same kind this close (street-level when there are no coordinates)
    # and this recent are offered to the resident to follow instead
    # (bot/storage/duplicates.py). DUPLICATE_DAYS=0 turns the offer off.
    duplicate_distance_metres: int = 50
    duplicate_days: int = 30
    # OUTBOX_BATCH_SIZE / OUTBOX_CONCURRENCY: cases claimed per round, and
    # deliveries in flight at once.
    outbox_batch_size: int = 50
    outbox_concurrency: int = 8
    # NOTIFY_PUSH_CHANNELS: input channels that can carry a message the
    # resident did not ask for (Rasa's get_output_channel); on others (the REST
    # API) a status notification is recorded as not deliverable.
    notify_push_channels: Tuple[str, ...] = ("socketio", "web", "twilio", "sms")

    def team_names(self) -> Dict[str, str]:
        """The staff team's name in each language the council serves, its default language first."""
        names = {"en": self.council_team_name, "cy": self.council_team_name_cy}
        return {language: names[language] for language in self.council_languages if language in names} or {
            "en": self.council_team_name}

    @property
    def rasa_url(self) -> str:
        return self.rasa_url_override or f"http://{self.bind_host}:{self.rasa_port}"

    @property
    def open311_sandbox_url(self) -> str:
        return f"http://{self.bind_host}:{self.open311_sandbox_port}/open311/v2/"

    @property
    def action_endpoint(self) -> str:
        return self.action_server_url or (
            f"http://{self.bind_host}:{self.action_server_port}/webhook"
        )

    @property
    def web_public_url(self) -> str:
        return self.web_public_url_override or f"http://{self.bind_host}:{self.web_port}"

    @property
    def web_chat_socket_url(self) -> str:
        return self.web_chat_socket_url_override or self.rasa_url

    @property
    def web_chat_allowed_origins(self) -> Tuple[str, ...]:
        if self.web_chat_allowed_origins_override:
            return self.web_chat_allowed_origins_override
        origin = _origin(self.web_public_url)
        # A browser on this machine may say localhost or 127.0.0.1 for the same site.
        aliases = {origin, origin.replace("://127.0.0.1:", "://localhost:"), origin.replace("://localhost:", "://127.0.0.1:")}
        return tuple(sorted(aliases))

    @property
    def uploads_dir(self) -> Path:
        """Photos residents uploaded in web chat (bot/web/uploads.py)."""
        return self.var_dir / "uploads"

    @property
    def sms_media_dir(self) -> Path:
        """Photos residents sent by MMS (bot/channels/sms_media.py)."""
        return self.var_dir / "media" / "sms"

    @property
    def web_privacy_url(self) -> str:
        return self.web_privacy_url_override or f"{self.web_public_url}/privacy"

    def require(self, *names: str) -> None:
        """Fail with a clear message unless every named setting is set."""
        missing = [n for n in names if not getattr(self, n)]
        if missing:
            variables = ", ".join(n.upper() for n in missing)
            raise ConfigError(f"Missing configuration: set {variables} in the environment.")


def _int(environ: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ConfigError(f"{name} must be positive, not {value}." if minimum == 1
                          else f"{name} must be at least {minimum}, not {value}.")
    return value


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL, as browsers send it in the Origin header."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _origins(raw: Optional[str]) -> Tuple[str, ...]:
    if not raw:
        return ()
    origins = tuple(_origin(part.strip().rstrip("/")) for part in raw.split(",") if part.strip())
    for origin in origins:
        if not origin.startswith(("http://", "https://")):
            raise ConfigError(f"WEB_CHAT_ALLOWED_ORIGINS must list http(s) origins, not {origin!r}.")
    return origins


def _areas(raw: Optional[str], default: Tuple[str, ...]) -> Tuple[str, ...]:
    if not raw:
        return default
    areas = tuple(" ".join(part.upper().split()) for part in raw.split(",") if part.strip())
    if not areas:
        raise ConfigError("COUNCIL_POSTCODE_AREAS is set but lists no postcode areas.")
    return areas


def _languages(raw: Optional[str], default: Tuple[str, ...]) -> Tuple[str, ...]:
    if not raw:
        return default
    languages = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    bad = [code for code in languages if not re.fullmatch(r"[a-z]{2}", code)]
    if bad or not languages:
        raise ConfigError(f"COUNCIL_LANGUAGES must list two-letter language codes such as 'en' or 'cy,en', not {raw!r}.")
    return languages


def _log_format(raw: Optional[str]) -> str:
    value = (raw or "text").strip().lower()
    if value not in ("text", "json"):
        raise ConfigError(f"LOG_FORMAT must be 'text' or 'json', not {raw!r}.")
    return value


def load_settings(environ: Optional[Mapping[str, str]] = None) -> Settings:
    """Read settings from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    defaults = Settings()
    var_dir = Path(env.get("VAR_DIR") or defaults.var_dir)
    return Settings(
        council_name=env.get("COUNCIL_NAME") or defaults.council_name,
        council_team_name=(env.get("COUNCIL_TEAM_NAME") or "").strip()[:60]
        or f"{env.get('COUNCIL_NAME') or defaults.council_name} team",
        council_team_name_cy=(env.get("COUNCIL_TEAM_NAME_CY") or "").strip()[:60]
        or f"Tîm {env.get('COUNCIL_NAME') or defaults.council_name}",
        council_phone=env.get("COUNCIL_PHONE") or defaults.council_phone,
        council_out_of_hours_phone=env.get("COUNCIL_OUT_OF_HOURS_PHONE")
        or defaults.council_out_of_hours_phone,
        council_website=env.get("COUNCIL_WEBSITE") or defaults.council_website,
        council_languages=_languages(env.get("COUNCIL_LANGUAGES"), defaults.council_languages),
        postcode_areas=_areas(env.get("COUNCIL_POSTCODE_AREAS"), defaults.postcode_areas),
        var_dir=var_dir,
        database_url=env.get("DATABASE_URL") or _sqlite_url(var_dir / "council.db"),
        tracker_store_url=env.get("TRACKER_STORE_URL") or _sqlite_url(var_dir / "tracker.db"),
        redis_url=env.get("REDIS_URL") or None,
        bind_host=env.get("BIND_HOST") or defaults.bind_host,
        rasa_port=_int(env, "RASA_PORT", defaults.rasa_port),
        action_server_port=_int(env, "ACTION_SERVER_PORT", defaults.action_server_port),
        action_server_url=env.get("ACTION_SERVER_URL") or "",
        rasa_url_override=(env.get("RASA_URL") or "").rstrip("/") or None,
        rasa_api_token=env.get("RASA_API_TOKEN") or None,
        action_server_token=env.get("ACTION_SERVER_TOKEN") or None,
        rest_channel_enabled=env.get("REST_CHANNEL_ENABLED", "").lower() in ("1", "true", "yes"),
        max_message_chars=_int(env, "MAX_MESSAGE_CHARS", defaults.max_message_chars),
        metrics_token=env.get("METRICS_TOKEN") or None,
        log_format=_log_format(env.get("LOG_FORMAT")),
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
        twilio_number=env.get("TWILIO_NUMBER") or None,
        twilio_api_base_url=(env.get("TWILIO_API_BASE_URL") or defaults.twilio_api_base_url).rstrip("/"),
        public_base_url=(env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        twilio_sandbox=env.get("TWILIO_SANDBOX", "") in ("1", "true", "yes"),
        twilio_sandbox_port=_int(env, "TWILIO_SANDBOX_PORT", defaults.twilio_sandbox_port),
        sms_media_max_bytes=_int(env, "SMS_MEDIA_MAX_BYTES", defaults.sms_media_max_bytes),
        sms_max_concurrent_turns=_int(env, "SMS_MAX_CONCURRENT_TURNS", defaults.sms_max_concurrent_turns),
        console_port=_int(env, "CONSOLE_PORT", defaults.console_port),
        console_secret_key=env.get("CONSOLE_SECRET_KEY") or None,
        console_admin_email=(env.get("CONSOLE_ADMIN_EMAIL") or "").strip().lower() or None,
        console_admin_password=env.get("CONSOLE_ADMIN_PASSWORD") or None,
        console_lockout_minutes=_int(env, "CONSOLE_LOCKOUT_MINUTES", defaults.console_lockout_minutes),
        console_max_failed_sign_ins=_int(env, "CONSOLE_MAX_FAILED_SIGN_INS", defaults.console_max_failed_sign_ins),
        console_sign_in_failures_per_client=_int(
            env, "CONSOLE_SIGN_IN_FAILURES_PER_CLIENT", defaults.console_sign_in_failures_per_client, minimum=1),
        console_session_hours=_int(env, "CONSOLE_SESSION_HOURS", defaults.console_session_hours),
        # 0 (the default) is allowed here, unlike the other whole-number settings.
        console_proxies_count=0 if env.get("CONSOLE_PROXIES_COUNT") in (None, "", "0")
        else _int(env, "CONSOLE_PROXIES_COUNT", 0),
        staffed_hours=env.get("STAFFED_HOURS") or defaults.staffed_hours,
        staffed_timezone=env.get("STAFFED_TIMEZONE") or defaults.staffed_timezone,
        web_port=_int(env, "WEB_PORT", defaults.web_port),
        web_public_url_override=(env.get("WEB_PUBLIC_URL") or "").rstrip("/") or None,
        web_chat_socket_url_override=(env.get("WEB_CHAT_SOCKET_URL") or "").rstrip("/") or None,
        web_chat_allowed_origins_override=_origins(env.get("WEB_CHAT_ALLOWED_ORIGINS")),
        web_chat_jwt_secret=env.get("WEB_CHAT_JWT_SECRET") or None,
        web_upload_max_bytes=_int(env, "WEB_UPLOAD_MAX_BYTES", defaults.web_upload_max_bytes),
        web_uploads_max_total_bytes=_int(env, "WEB_UPLOADS_MAX_TOTAL_BYTES", defaults.web_uploads_max_total_bytes),
        web_uploads_per_client_per_hour=_int(
            env, "WEB_UPLOADS_PER_CLIENT_PER_HOUR", defaults.web_uploads_per_client_per_hour
        ),
        web_trusted_proxies=_int(env, "WEB_TRUSTED_PROXIES", defaults.web_trusted_proxies, minimum=0),
        web_privacy_url_override=env.get("WEB_PRIVACY_URL") or None,
        photo_link_secret=env.get("PHOTO_LINK_SECRET") or None,
        photo_link_hours=_int(env, "PHOTO_LINK_HOURS", defaults.photo_link_hours),
        photo_links_per_case_per_hour=_int(env, "PHOTO_LINKS_PER_CASE_PER_HOUR", defaults.photo_links_per_case_per_hour),
        routing_file=Path(env.get("ROUTING_FILE") or defaults.routing_file),
        gazetteer_file=(Path(env["GAZETTEER_FILE"]) if env["GAZETTEER_FILE"].strip() else None)
        if "GAZETTEER_FILE" in env else defaults.gazetteer_file,
        open311_sandbox_port=_int(env, "OPEN311_SANDBOX_PORT", defaults.open311_sandbox_port),
        outbox_worker_port=_int(env, "OUTBOX_WORKER_PORT", defaults.outbox_worker_port),
        outbox_max_attempts=_int(env, "OUTBOX_MAX_ATTEMPTS", defaults.outbox_max_attempts),
        outbox_max_uncertain_lookups=_int(env, "OUTBOX_MAX_UNCERTAIN_LOOKUPS", defaults.outbox_max_uncertain_lookups),
        outbox_backoff_seconds=_int(env, "OUTBOX_BACKOFF_SECONDS", defaults.outbox_backoff_seconds),
        outbox_backoff_max_seconds=_int(env, "OUTBOX_BACKOFF_MAX_SECONDS", defaults.outbox_backoff_max_seconds),
        outbox_status_poll_seconds=_int(env, "OUTBOX_STATUS_POLL_SECONDS", defaults.outbox_status_poll_seconds),
        analytics_refresh_minutes=_int(env, "ANALYTICS_REFRESH_MINUTES", defaults.analytics_refresh_minutes, minimum=0),
        analytics_refresh_events=_int(env, "ANALYTICS_REFRESH_EVENTS", defaults.analytics_refresh_events),
        retention_conversation_days=_int(env, "RETENTION_CONVERSATION_DAYS", defaults.retention_conversation_days),
        retention_closed_case_days=_int(env, "RETENTION_CLOSED_CASE_DAYS", defaults.retention_closed_case_days),
        duplicate_distance_metres=_int(env, "DUPLICATE_DISTANCE_METRES", defaults.duplicate_distance_metres),
        duplicate_days=_int(env, "DUPLICATE_DAYS", defaults.duplicate_days, minimum=0),
        outbox_batch_size=_int(env, "OUTBOX_BATCH_SIZE", defaults.outbox_batch_size),
        outbox_concurrency=_int(env, "OUTBOX_CONCURRENCY", defaults.outbox_concurrency),
        notify_push_channels=tuple(
            c.strip() for c in (env.get("NOTIFY_PUSH_CHANNELS") or ",".join(defaults.notify_push_channels)).split(",") if c.strip()
        ),
    )

"""The one place that reads configuration from the environment.

Every setting is documented here with its default. Secrets never have a
default: a feature that needs one refuses to start and says which variable to
set. Call :func:`load_settings` once at start-up and pass the result around.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Tuple

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """Configuration is missing or invalid; the message says what to set."""


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class Settings:
    """Typed view of the environment. Field comments name the variable."""

    # COUNCIL_NAME: shown to residents and staff.
    council_name: str = "Anytown Borough Council"
    # COUNCIL_PHONE: the contact-centre number residents are given.
    council_phone: str = "01632 960000"
    # COUNCIL_OUT_OF_HOURS_PHONE: the emergency out-of-hours line.
    council_out_of_hours_phone: str = "01632 960999"
    # COUNCIL_WEBSITE: the council's public website.
    council_website: str = "https://www.anytown.gov.uk"
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
    # several Rasa servers share one tracker store); otherwise in-memory.
    redis_url: Optional[str] = None
    # BIND_HOST: the interface the local servers listen on.
    bind_host: str = "127.0.0.1"
    # RASA_PORT, ACTION_SERVER_PORT
    rasa_port: int = 5005
    action_server_port: int = 5055
    # ACTION_SERVER_URL: where Rasa reaches the action server.
    action_server_url: str = ""
    # SESSION_EXPIRY_MINUTES is set in domain.yml (session_config), not here.
    # RASA_API_TOKEN (secret): guards Rasa's HTTP API, which the outbox worker
    # and the staff console use to speak on a resident's own channel. `make run`
    # generates a random one for the run when it is not set.
    rasa_api_token: Optional[str] = None
    # MAX_MESSAGE_CHARS: longer resident messages are cut for understanding;
    # the full text is kept in the message metadata.
    max_message_chars: int = 4000

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

    # CONSOLE_PORT and CONSOLE_SECRET_KEY (signs staff session cookies; secret).
    console_port: int = 5002
    console_secret_key: Optional[str] = None

    @property
    def rasa_url(self) -> str:
        return f"http://{self.bind_host}:{self.rasa_port}"

    @property
    def action_endpoint(self) -> str:
        return self.action_server_url or (
            f"http://{self.bind_host}:{self.action_server_port}/webhook"
        )

    def require(self, *names: str) -> None:
        """Fail with a clear message unless every named setting is set."""
        missing = [n for n in names if not getattr(self, n)]
        if missing:
            variables = ", ".join(n.upper() for n in missing)
            raise ConfigError(f"Missing configuration: set {variables} in the environment.")


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, not {value}.")
    return value


def _areas(raw: Optional[str], default: Tuple[str, ...]) -> Tuple[str, ...]:
    if not raw:
        return default
    areas = tuple(" ".join(part.upper().split()) for part in raw.split(",") if part.strip())
    if not areas:
        raise ConfigError("COUNCIL_POSTCODE_AREAS is set but lists no postcode areas.")
    return areas


def load_settings(environ: Optional[Mapping[str, str]] = None) -> Settings:
    """Read settings from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    defaults = Settings()
    var_dir = Path(env.get("VAR_DIR") or defaults.var_dir)
    return Settings(
        council_name=env.get("COUNCIL_NAME") or defaults.council_name,
        council_phone=env.get("COUNCIL_PHONE") or defaults.council_phone,
        council_out_of_hours_phone=env.get("COUNCIL_OUT_OF_HOURS_PHONE")
        or defaults.council_out_of_hours_phone,
        council_website=env.get("COUNCIL_WEBSITE") or defaults.council_website,
        postcode_areas=_areas(env.get("COUNCIL_POSTCODE_AREAS"), defaults.postcode_areas),
        var_dir=var_dir,
        database_url=env.get("DATABASE_URL") or _sqlite_url(var_dir / "council.db"),
        tracker_store_url=env.get("TRACKER_STORE_URL") or _sqlite_url(var_dir / "tracker.db"),
        redis_url=env.get("REDIS_URL") or None,
        bind_host=env.get("BIND_HOST") or defaults.bind_host,
        rasa_port=_int(env, "RASA_PORT", defaults.rasa_port),
        action_server_port=_int(env, "ACTION_SERVER_PORT", defaults.action_server_port),
        action_server_url=env.get("ACTION_SERVER_URL") or "",
        rasa_api_token=env.get("RASA_API_TOKEN") or None,
        max_message_chars=_int(env, "MAX_MESSAGE_CHARS", defaults.max_message_chars),
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
        twilio_number=env.get("TWILIO_NUMBER") or None,
        twilio_api_base_url=(env.get("TWILIO_API_BASE_URL") or defaults.twilio_api_base_url).rstrip("/"),
        public_base_url=(env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        twilio_sandbox=env.get("TWILIO_SANDBOX", "") in ("1", "true", "yes"),
        twilio_sandbox_port=_int(env, "TWILIO_SANDBOX_PORT", defaults.twilio_sandbox_port),
        sms_media_max_bytes=_int(env, "SMS_MEDIA_MAX_BYTES", defaults.sms_media_max_bytes),
        console_port=_int(env, "CONSOLE_PORT", defaults.console_port),
        console_secret_key=env.get("CONSOLE_SECRET_KEY") or None,
    )

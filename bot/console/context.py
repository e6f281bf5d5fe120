"""What every part of the console shares: stores, templates, the Rasa client."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Dict, FrozenSet, Optional
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader
from sqlalchemy.engine import Engine

from bot.escalation.handoff import RasaConversations
from bot.escalation.hours import StaffedHours
from bot.escalation.transcript import TranscriptReader
from bot.outbox.notify import RasaNotifier
from bot.shared_state import RateLimiter, shared_state
from bot.routing import RoutingError, load_routing
from bot.settings import Settings
from bot.storage.audit import AuditLog
from bot.storage.cases import CaseStore
from bot.storage.database import create_schema, make_engine
from bot.storage.escalations import EscalationStore
from bot.storage.staff import StaffStore

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Staff read the console in English; the languages residents may be served in (COUNCIL_LANGUAGES).
LANGUAGE_NAMES = {"en": "English", "cy": "Welsh"}


def template_environment(timezone: str = "Europe/London") -> Environment:
    # autoescape=True for every template: anything a resident typed is escaped.
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    zone = ZoneInfo(timezone)
    # Times are stored in UTC and shown in the council's time zone.
    env.filters["when"] = lambda moment: moment.astimezone(zone).strftime("%d %b %H:%M") if moment else ""
    env.filters["duration"] = _duration
    # A conversation's or case's language as staff read it ("Welsh"); None: the council's default.
    env.filters["language_name"] = lambda code: LANGUAGE_NAMES.get(code or "", code or "")
    return env


def _duration(seconds: int) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours >= 24:
        return f"{hours // 24}d {hours % 24}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


@dataclass
class Console:
    settings: Settings
    engine: Engine
    staff: StaffStore
    escalations: EscalationStore
    cases: CaseStore
    audit: AuditLog
    transcripts: TranscriptReader
    rasa: RasaConversations
    hours: StaffedHours
    templates: Environment
    # Failed sign-ins per client address (the account lock-out alone let anyone lock every account).
    sign_in_failures: RateLimiter
    # Tells residents about status changes and public updates from the case page (as the worker does).
    notifier: Optional[RasaNotifier] = None
    # The routing file's back offices, by name: their adapters. Only the status of cases in a
    # built-in one is changed in the console (the others' statuses come from the back office).
    backoffices: Dict[str, str] = field(default_factory=dict)

    @property
    def builtin_backoffices(self) -> FrozenSet[str]:
        return frozenset(name for name, adapter in self.backoffices.items() if adapter == "builtin")

    @classmethod
    def from_settings(cls, settings: Settings, rasa: Optional[RasaConversations] = None) -> "Console":
        engine = make_engine(settings.database_url)
        create_schema(engine)
        return cls(
            settings=settings,
            engine=engine,
            staff=StaffStore(
                engine,
                max_failures=settings.console_max_failed_sign_ins,
                lockout=timedelta(minutes=settings.console_lockout_minutes),
                session_length=timedelta(hours=settings.console_session_hours),
            ),
            escalations=EscalationStore(engine),
            cases=CaseStore(engine),
            audit=AuditLog(engine),
            transcripts=TranscriptReader(make_engine(settings.tracker_store_url)),
            rasa=rasa or RasaConversations(settings.rasa_url, settings.rasa_api_token),
            hours=StaffedHours.parse(settings.staffed_hours, settings.staffed_timezone),
            templates=template_environment(settings.staffed_timezone),
            # Counted across the console's replicas with REDIS_URL (bot/shared_state.py).
            sign_in_failures=shared_state(settings).rate_limiter(
                "console-sign-in-failures", settings.console_sign_in_failures_per_client,
                settings.console_lockout_minutes * 60),
            notifier=RasaNotifier.from_settings(engine, settings),
            backoffices=_backoffices(settings),
        )


def _backoffices(settings: Settings) -> Dict[str, str]:
    """The routing file's back offices and their adapters (none if it cannot be read: the worker says why)."""
    try:
        routing = load_routing(settings.routing_file)
    except RoutingError:
        return {}
    return {name: spec.adapter for name, spec in routing.backoffices.items()}

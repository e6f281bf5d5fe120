"""Shared objects of the action server process, created once on first use."""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

from bot.bins import BinSchedule
from bot.places.csv_gazetteer import CsvGazetteer
from bot.places.gazetteer import Gazetteer
from bot.settings import Settings, load_settings
from bot.storage.cases import CaseStore
from bot.storage.database import create_schema, make_engine
from bot.storage.duplicates import DuplicateFinder
from bot.storage.escalations import EscalationStore
from bot.storage.sms import SmsStore
from bot.photo_links.service import PhotoLinks


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()


@lru_cache(maxsize=1)
def case_store() -> CaseStore:
    # Pooled: an unpooled SQLite engine opens a connection (and sets its PRAGMAs)
    # for every query, and closing the last one checkpoints the WAL; a confirmed
    # report took 42-46 ms to store that way, 11-16 ms pooled (docs/benchmarks.md).
    engine = make_engine(settings().database_url, pooled=True)
    create_schema(engine)
    return CaseStore(engine)


@lru_cache(maxsize=1)
def escalation_store() -> EscalationStore:
    return EscalationStore(case_store().engine)


@lru_cache(maxsize=1)
def sms_store() -> SmsStore:
    """Phone numbers of SMS conversations (the tracker never holds them)."""
    return SmsStore(case_store().engine)


@lru_cache(maxsize=1)
def photo_links() -> PhotoLinks:
    """One-time photo upload links for SMS residents (bot/photo_links)."""
    return PhotoLinks(case_store().engine, settings())


@lru_cache(maxsize=1)
def duplicate_finder() -> DuplicateFinder:
    """Looked up on every confirmed report, on the case store's pooled engine."""
    return DuplicateFinder(case_store().engine)


@lru_cache(maxsize=1)
def bin_schedule() -> BinSchedule:
    return BinSchedule.load()


@lru_cache(maxsize=1)
def gazetteer() -> Optional[Gazetteer]:
    """The council's streets (GAZETTEER_FILE), or None when it is set empty."""
    path = settings().gazetteer_file
    return CsvGazetteer.load(path) if path is not None else None


def reset() -> None:
    """Forget the cached objects (tests point them at a fresh database)."""
    settings.cache_clear()
    case_store.cache_clear()
    escalation_store.cache_clear()
    sms_store.cache_clear()
    photo_links.cache_clear()
    bin_schedule.cache_clear()
    duplicate_finder.cache_clear()
    gazetteer.cache_clear()

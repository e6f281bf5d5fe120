"""Keeping personal data no longer than needed (UK GDPR storage limitation).

What residents tell the bot is kept while it is useful, then removed:

* **Conversations** (Rasa's events, in the tracker store) are deleted once
  their last message is ``RETENTION_CONVERSATION_DAYS`` old (default 365),
  unless a case from them is still open or recently closed (the resident is
  told on that conversation when the case moves on).
* **SMS texts**: after the same period the message text and photos of each
  SMS row are removed (the row stays: when it was sent and whether it
  arrived), and the phone number's link to its conversation is dropped
  once the number has been quiet that long and has no open case.
  Numbers that texted STOP stay on the stop list: that is a legal duty.
* **Escalations** that ended that long ago lose the message that triggered
  them, the phone number, and the staff notes on them.
* **Photos** nobody attached to a case are deleted after that period too.
* **Closed cases**, ``RETENTION_CLOSED_CASE_DAYS`` (default 730) after they
  closed, are anonymised: contact details, free text, exact location,
  details, photos and back-office notes go; the reference, category,
  postcode district, status and dates stay for statistics. The back office
  keeps its own record under its own retention policy.

The delivery worker runs this once a day (``bot/outbox/worker.py``);
``python -m bot.retention [--dry-run]`` runs it by hand and prints what it
removed. Every step is one statement over rows past their date, so running
it twice, or from two workers, does no harm.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Set

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, and_, delete, func, inspect, select, update
from sqlalchemy.engine import Engine

from bot.cases.model import CLOSED
from bot.storage import cases as case_rows  # owns the cases table
from bot.storage import notifications as notification_rows  # owns the notifications table
from bot.settings import Settings
from bot.storage.schema import (
    case_notes,
    case_updates,
    cases,
    escalation_notes,
    escalations,
    sms_conversations,
    sms_messages,
)

logger = logging.getLogger(__name__)

# Rasa's events table (rasa/core/tracker_store.py), only the columns we read.
_rasa_events = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("timestamp", Float),
)
# Conversations deleted per statement: keeps each transaction short.
_BATCH = 500


@dataclass
class RetentionReport:
    """How many of each thing were removed (or would be, on a dry run)."""

    counts: Dict[str, int] = field(default_factory=dict)

    def add(self, what: str, count: int) -> None:
        self.counts[what] = self.counts.get(what, 0) + count

    def __str__(self) -> str:
        return ", ".join(f"{what}: {count}" for what, count in self.counts.items()) or "nothing to remove"


@dataclass(frozen=True)
class RetentionPolicy:
    conversation_days: int
    closed_case_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> "RetentionPolicy":
        return cls(settings.retention_conversation_days, settings.retention_closed_case_days)


def apply_retention(
    engine: Engine,
    tracker_engine: Optional[Engine],
    photo_dirs: Iterable[Path],
    policy: RetentionPolicy,
    now: Optional[datetime] = None,
    dry_run: bool = False,
) -> RetentionReport:
    """Remove what is past its retention period; returns what was removed."""
    now = now or datetime.now(timezone.utc)
    conversation_cutoff = now - timedelta(days=policy.conversation_days)
    case_cutoff = now - timedelta(days=policy.closed_case_days)
    report = RetentionReport()
    # Conversations whose case is still open (or recently closed) are kept
    # however quiet they are: the resident is told on that conversation's
    # channel when the case moves on.
    held_case = (cases.c.status != CLOSED) | (cases.c.updated_at >= case_cutoff)
    with engine.connect() as conn:
        held = {conversation for (conversation,) in conn.execute(select(cases.c.conversation_id).where(held_case))}
    if tracker_engine is not None:
        report.add("conversations", _delete_old_conversations(tracker_engine, conversation_cutoff, held, dry_run))
    with engine.begin() as conn:
        old_sms = and_(sms_messages.c.updated_at < conversation_cutoff, sms_messages.c.body.is_not(None))
        report.add("sms texts", _run(conn, update(sms_messages).where(old_sms).values(body=None, media=[]), dry_run))
        recently_texting = select(sms_messages.c.conversation_id).where(sms_messages.c.updated_at >= conversation_cutoff)
        report.add("sms number links", _run(conn, delete(sms_conversations).where(and_(
            sms_conversations.c.updated_at < conversation_cutoff,
            sms_conversations.c.conversation_id.not_in(recently_texting),
            sms_conversations.c.conversation_id.not_in(select(cases.c.conversation_id).where(held_case)),
        )), dry_run))
        ended = select(escalations.c.id).where(and_(escalations.c.ended_at.is_not(None),
                                                    escalations.c.ended_at < conversation_cutoff))
        report.add("escalation notes", _run(
            conn, delete(escalation_notes).where(escalation_notes.c.escalation_id.in_(ended)), dry_run))
        report.add("escalation texts", _run(conn, update(escalations).where(and_(
            escalations.c.id.in_(ended),
            escalations.c.trigger_text.is_not(None) | escalations.c.phone.is_not(None)
            | escalations.c.draft.is_not(None),
        )).values(trigger_text=None, phone=None, draft=None), dry_run))

        closed_long_ago = and_(cases.c.status == CLOSED, cases.c.updated_at < case_cutoff,
                               cases.c.description.is_not(None) | cases.c.contact_phone.is_not(None)
                               | cases.c.contact_email.is_not(None) | cases.c.location_text.is_not(None))
        expiring = conn.execute(select(cases.c.id, cases.c.media_urls, cases.c.postcode).where(closed_long_ago)).all()
        photos_to_delete: Set[str] = {_file_name(url) for row in expiring for url in (row.media_urls or [])}
        if not dry_run:
            for row in expiring:
                case_rows.anonymise(conn, row.id, _district(row.postcode))
            ids = [row.id for row in expiring]
            for chunk in _batches(ids):
                conn.execute(update(case_updates).where(case_updates.c.case_id.in_(chunk)).values(note=None))
                notification_rows.forget_texts(conn, chunk)
                # Staff's notes may quote the resident: they go with the rest.
                conn.execute(delete(case_notes).where(case_notes.c.case_id.in_(chunk)))
        report.add("closed cases anonymised", len(expiring))
        referenced = {_file_name(url) for (urls,) in conn.execute(select(cases.c.media_urls)) for url in (urls or [])}
    report.add("photos", _delete_photos(photo_dirs, photos_to_delete, referenced, conversation_cutoff, dry_run))
    return report


def _run(conn, statement, dry_run: bool) -> int:  # type: ignore[no-untyped-def]
    """Execute (or, on a dry run, count the rows a statement would touch)."""
    if dry_run:
        table = statement.table
        return conn.execute(select(func.count()).select_from(table).where(statement.whereclause)).scalar() or 0
    return conn.execute(statement).rowcount or 0


def _delete_old_conversations(tracker_engine: Engine, cutoff: datetime, keep: Set[str], dry_run: bool) -> int:
    if not inspect(tracker_engine).has_table("events"):
        return 0
    stale = (
        select(_rasa_events.c.sender_id)
        .group_by(_rasa_events.c.sender_id)
        .having(func.max(_rasa_events.c.timestamp) < cutoff.timestamp())
    )
    with tracker_engine.begin() as conn:
        senders = [sender for (sender,) in conn.execute(stale) if sender not in keep]
        if not dry_run:
            for chunk in _batches(senders):
                conn.execute(delete(_rasa_events).where(_rasa_events.c.sender_id.in_(chunk)))
    return len(senders)


def _batches(items: List[Any]) -> Iterator[List[Any]]:
    """``items`` in slices of ``_BATCH``: keeps each statement's IN list short."""
    for start in range(0, len(items), _BATCH):
        yield items[start:start + _BATCH]


def _district(postcode: Optional[str]) -> Optional[str]:
    """The outward code ("AN1 4GT" -> "AN1"): enough for statistics, not an address."""
    return postcode.split()[0][:4] if postcode and postcode.split() else None


def _file_name(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def _delete_photos(dirs: Iterable[Path], expired: Set[str], referenced: Set[str], cutoff: datetime,
                   dry_run: bool) -> int:
    """Photos of anonymised cases, and old photos no case refers to."""
    deleted = 0
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            if not path.is_file() or path.name.startswith("."):
                continue
            unattached_and_old = path.name not in referenced and path.stat().st_mtime < cutoff.timestamp()
            if path.name in expired or unattached_and_old:
                deleted += 1
                if not dry_run:
                    path.unlink(missing_ok=True)
    return deleted


def photo_dirs(settings: Settings) -> List[Path]:
    """Where residents' photos are kept (web chat uploads, MMS)."""
    return [settings.uploads_dir, settings.sms_media_dir]


async def run_daily(stop: asyncio.Event, run: Callable[[], RetentionReport], every_seconds: float = 86_400) -> None:
    """Apply retention now and then once a day until ``stop`` is set (the delivery worker calls this)."""
    while not stop.is_set():
        try:
            report = await asyncio.to_thread(run)
            logger.info("Retention: removed %s", report)
        except Exception:  # a busy or unreachable database: try again next time
            logger.exception("Retention round failed; trying again in a day")
        try:
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)
        except asyncio.TimeoutError:
            pass


def main(argv: Optional[List[str]] = None) -> int:
    from bot import private_files, redaction
    from bot.settings import ConfigError, load_settings
    from bot.storage.database import create_schema, make_engine

    parser = argparse.ArgumentParser(prog="python -m bot.retention", description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="count what would be removed; remove nothing")
    args = parser.parse_args(argv)
    redaction.configure_logging()
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    private_files.restrict(settings.var_dir)
    engine = make_engine(settings.database_url)
    create_schema(engine)
    tracker_engine = make_engine(settings.tracker_store_url)
    report = apply_retention(engine, tracker_engine, photo_dirs(settings), RetentionPolicy.from_settings(settings),
                             dry_run=args.dry_run)
    print(("Would remove: " if args.dry_run else "Removed: ") + str(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

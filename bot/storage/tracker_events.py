"""Rasa's conversations, as rows of its tracker store, for residents' data rights.

Rasa's SQL tracker store (``TRACKER_STORE_URL``; bot/storage/rasa_stores.py)
keeps every event of every conversation as one row of its ``events`` table,
keyed by the conversation id (``sender_id``), the event as JSON in ``data``.
This module reads and deletes those rows for one person (bot/privacy):
which conversations gave one of their contact details, every event of a
conversation, and deleting a conversation. A Rasa server that remembers a
deleted conversation notices at its next turn (the highest event id changed)
and starts afresh.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Sequence

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, delete, func, inspect, or_, select, update
from sqlalchemy.engine import Engine

# The columns of Rasa's SQLTrackerStore table (rasa/core/tracker_store.py, SQLEvent).
events = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
# Slots in which a resident gives their own contact details (domain.yml).
CONTACT_SLOTS = ("contact_phone", "contact_email")
# Conversations per statement: keeps IN lists short.
_BATCH = 500


def _has_events(engine: Engine) -> bool:
    """Rasa creates the table at its first message; before that there is nothing."""
    return inspect(engine).has_table("events")


def conversations_giving(engine: Engine, phones: Iterable[str], emails: Iterable[str]) -> List[str]:
    """Conversations in which the resident gave one of these as their contact details.

    Also finds SMS conversations recorded before the number was kept out of
    the tracker (it was in each message's ``metadata.phone``).
    """
    phones = {p for p in phones if p}
    emails = {e.lower() for e in emails if e}
    needles = sorted(phones | emails)
    if not needles or not _has_events(engine):
        return []
    query = select(events.c.sender_id, events.c.type_name, events.c.data).where(
        events.c.type_name.in_(("slot", "user")),
        or_(*[events.c.data.contains(json.dumps(n)[1:-1], autoescape=True) for n in needles]),
    )
    found = set()
    with engine.connect() as conn:
        for sender_id, type_name, raw in conn.execute(query):
            try:
                data = json.loads(raw or "{}")
            except ValueError:
                continue
            if type_name == "slot" and data.get("name") in CONTACT_SLOTS:
                value = str(data.get("value") or "")
                if value in phones or value.lower() in emails:
                    found.add(sender_id)
            elif type_name == "user" and str((data.get("metadata") or {}).get("phone") or "") in phones:
                found.add(sender_id)
    return sorted(found)


def export(engine: Engine, conversation_ids: Sequence[str]) -> Dict[str, List[Dict[str, Any]]]:
    """Every event of each conversation, oldest first, as Rasa stored it."""
    found: Dict[str, List[Dict[str, Any]]] = {}
    if not conversation_ids or not _has_events(engine):
        return found
    with engine.connect() as conn:
        for chunk in _batches(sorted(set(conversation_ids))):
            query = select(events.c.sender_id, events.c.data).where(events.c.sender_id.in_(chunk)).order_by(events.c.id)
            for sender_id, raw in conn.execute(query):
                try:
                    event = json.loads(raw or "{}")
                except ValueError:
                    event = {"unreadable": raw}
                found.setdefault(sender_id, []).append(event)
    return found


def erase(engine: Engine, conversation_ids: Sequence[str], dry_run: bool = False) -> int:
    """Delete every event of these conversations; how many events went."""
    if not conversation_ids or not _has_events(engine):
        return 0
    removed = 0
    with engine.begin() as conn:
        for chunk in _batches(sorted(set(conversation_ids))):
            where = events.c.sender_id.in_(chunk)
            if dry_run:
                removed += conn.execute(select(func.count()).select_from(events).where(where)).scalar() or 0
            else:
                removed += conn.execute(delete(events).where(where)).rowcount or 0
    return removed


def erase_since(engine: Engine, conversation_id: str, since: float) -> int:
    """Delete one conversation's events stamped at or after ``since`` (Unix time); how many went.

    For a message sent to a person who was erased while it was being sent
    (bot/outbox/notify.py): what that send wrote is taken back."""
    if not _has_events(engine):
        return 0
    with engine.begin() as conn:
        return conn.execute(delete(events).where(events.c.sender_id == conversation_id,
                                                 events.c.timestamp >= since)).rowcount or 0


def strip_phone_metadata(engine: Engine, dry_run: bool = False) -> int:
    """Remove ``metadata.phone`` from every stored message; how many messages had it.

    Before the SMS number was kept out of the tracker, the SMS channel put it
    in each message's metadata. Run once after upgrading
    (``python -m bot.privacy strip-tracker-phones``); a Rasa server may keep
    running (it only appends events).
    """
    if not _has_events(engine):
        return 0
    query = select(events.c.id, events.c.data).where(
        events.c.type_name == "user", events.c.data.contains('"phone"', autoescape=True))
    changed = 0
    with engine.begin() as conn:
        for row_id, raw in conn.execute(query).all():
            try:
                data = json.loads(raw or "{}")
            except ValueError:
                continue
            # Rasa keeps the metadata twice: on the event and in its parse data.
            holders = [m for m in (data.get("metadata"), (data.get("parse_data") or {}).get("metadata"))
                       if isinstance(m, dict) and "phone" in m]
            if not holders:
                continue
            changed += 1
            if not dry_run:
                for metadata in holders:
                    del metadata["phone"]
                conn.execute(update(events).where(events.c.id == row_id).values(data=json.dumps(data)))
    return changed


def _batches(items: List[str]) -> Iterable[List[str]]:
    for start in range(0, len(items), _BATCH):
        yield items[start:start + _BATCH]

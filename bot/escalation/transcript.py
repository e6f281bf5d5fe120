"""A conversation's transcript for staff, read from Rasa's tracker store.

Reads the ``events`` table Rasa's SQL tracker store writes (TRACKER_STORE_URL),
read-only. Every event is kept: resident, bot and staff turns, what NLU made
of each resident message (intent and confidence), the slots, pauses and
hand-backs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, func, select
from sqlalchemy.engine import Engine

_rasa = MetaData()
# The columns of Rasa's SQLTrackerStore table we read (rasa/core/tracker_store.py, SQLEvent).
rasa_events = Table(
    "events",
    _rasa,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
HIDDEN_SLOTS = {"council_name", "council_phone", "council_out_of_hours_phone", "council_website", "requested_slot"}


@dataclass
class Entry:
    """One line of the transcript."""

    kind: str  # resident | bot | staff | system
    text: str
    at: Optional[datetime]
    intent: Optional[str] = None
    confidence: Optional[float] = None
    channel: Optional[str] = None
    staff_name: Optional[str] = None
    attachments: List[str] = field(default_factory=list)
    buttons: List[str] = field(default_factory=list)
    while_paused: bool = False


@dataclass
class Transcript:
    conversation_id: str
    entries: List[Entry]
    slots: Dict[str, Any]
    paused: bool
    channel: Optional[str]

    @property
    def exists(self) -> bool:
        return bool(self.entries) or bool(self.slots)


def _when(timestamp: Any) -> Optional[datetime]:
    try:
        return datetime.fromtimestamp(float(timestamp), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return None


SYSTEM_TEXT = {
    "pause": "The bot stepped aside: waiting for staff.",
    "resume": "Handed back to the bot.",
    "session_started": "A new session started.",
    "restart": "The conversation was restarted.",
}


class TranscriptReader:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def version(self, conversation_id: str) -> str:
        """Changes when the conversation gets a new event (for live views)."""
        query = select(func.max(rasa_events.c.id)).where(rasa_events.c.sender_id == conversation_id)
        try:
            with self.engine.connect() as conn:
                return str(conn.execute(query).scalar())
        except Exception:  # the tracker store has no table before Rasa's first message
            return "none"

    def read(self, conversation_id: str, limit: int = 2000) -> Transcript:
        query = (
            select(rasa_events.c.type_name, rasa_events.c.data)
            .where(rasa_events.c.sender_id == conversation_id)
            .order_by(rasa_events.c.id)
            .limit(limit)
        )
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
        except Exception:
            rows = []
        entries: List[Entry] = []
        slots: Dict[str, Any] = {}
        paused = False
        channel = None
        for type_name, raw in rows:
            try:
                data = json.loads(raw or "{}")
            except ValueError:
                continue
            at = _when(data.get("timestamp"))
            if type_name == "user":
                parse = data.get("parse_data") or {}
                intent = parse.get("intent") or {}
                metadata = data.get("metadata") or {}
                channel = data.get("input_channel") or channel
                entries.append(Entry(
                    kind="resident",
                    text=str(data.get("text") or ""),
                    at=at,
                    intent=intent.get("name"),
                    confidence=intent.get("confidence"),
                    channel=data.get("input_channel"),
                    # Only web links: a forged "javascript:" URL must never become a live link.
                    attachments=[u for u in metadata.get("media_urls") or []
                                 if isinstance(u, str) and u.lower().startswith(("https://", "http://"))],
                    while_paused=paused,
                ))
            elif type_name == "bot":
                metadata = data.get("metadata") or {}
                buttons = [str(b.get("title")) for b in (data.get("data") or {}).get("buttons") or [] if isinstance(b, dict)]
                from_staff = bool(metadata.get("from_staff"))
                entries.append(Entry(
                    kind="staff" if from_staff else "bot",
                    text=str(data.get("text") or ""),
                    at=at,
                    staff_name=metadata.get("staff_name") if from_staff else None,
                    buttons=buttons,
                ))
            elif type_name == "slot":
                name = data.get("name")
                if name and name not in HIDDEN_SLOTS:
                    if data.get("value") is None:
                        slots.pop(name, None)
                    else:
                        slots[name] = data.get("value")
            elif type_name in SYSTEM_TEXT:
                if type_name == "pause":
                    paused = True
                elif type_name in ("resume", "session_started", "restart"):
                    paused = False
                if type_name == "session_started":
                    slots = {}
                entries.append(Entry(kind="system", text=SYSTEM_TEXT[type_name], at=at))
        return Transcript(conversation_id, entries, slots, paused, channel)

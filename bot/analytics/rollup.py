"""Conversations summarised from Rasa's events table, incrementally (the analytics rollup).

Rasa's SQL tracker store keeps every event of every conversation (a year of
100,000 conversations is millions of rows), so the dashboard never reads it
directly: :func:`refresh` reads only the events added since it last ran
(``analytics_state``, the last event id read) and folds them into one row of
``analytics_conversations`` per conversation. This module is the only writer
of the ``analytics_*`` tables.

A *conversation* is one Rasa session (a new one starts after
``session_expiration_time`` of silence, with a ``session_started`` event)
that has at least one resident message (sessions nobody wrote in are kept
with ``started_at`` NULL and never counted). What is kept per conversation: its
channel, when it started (first resident message) and when the resident last
wrote, message and fallback counts, NLU confidences in ten buckets, how many
cases and answers the bot gave, what it was about (``topic``: the first kind
of report or question; ``topics``: all of them), when it was handed to staff
and when staff first wrote. Never the words, and no contact details: the
resident is a one-way hash of the conversation id, kept only to recognise
the same resident coming back (docs/analytics.md).

As rows change, the same transaction marks the earlier conversations a resident
came back to within 7 days (``came_back``) and adds up the changed hours again
(``analytics_hours``); :func:`refresh_cases` keeps each case's acceptance and
closure times (``analytics_cases``) from ``case_updates``. The figures
(bot/analytics/figures.py) then only add up small tables.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from sqlalchemy import Integer, String, case, cast, exists, func, inspect, literal, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.cases.model import CLOSED, IN_PROGRESS, OPEN
from bot.categories import CATEGORIES
from bot.conversations import REST_CHANNEL, owner
from bot.storage.schema import analytics_conversations as rollup
from bot.storage.schema import (analytics_case_hours, analytics_cases, analytics_hours, analytics_state,
                                case_updates, cases)
from bot.storage.tracker_events import events

logger = logging.getLogger(__name__)

WATERMARK, WATERMARK_AT = "tracker_events", "tracker_events_at"
CASES_WATERMARK = "case_updates"
CASE_HOURS_WATERMARK = "cases"
# A case is counted per hour once it is this old: an insert whose id is lower than one already counted
# but whose transaction was still open (PostgreSQL hands out ids before commit) is not skipped.
CASE_SETTLE_SECONDS = 60
RETURN_WINDOW_SECONDS = 7 * 24 * 3600
# The event types that change a summary; the rest (slots, loops, featurisation...) are skipped in SQL.
READ_TYPES = ("session_started", "user", "bot", "action", "pause")
FALLBACK_INTENT = "nlu_fallback"
# Actions that answer the resident's question, and what the question was about.
ANSWER_ACTIONS = {"utter_faq": "faq", "action_bin_day": "bin_day", "action_case_status": "case_status"}
# Intents that say what a conversation is about (reports by their category; questions by kind).
TOPIC_INTENTS = {c.intent: c.key for c in CATEGORIES}
TOPIC_INTENTS.update(bin_day_enquiry="bin_day", faq="faq", case_status="case_status")
CASE_ACTION = "action_finish_report"
REFERENCE_SLOT = "case_reference"
SESSION_ACTION = "action_session_start"
# A case is written a moment before the action's events reach the tracker.
CASE_SLACK_SECONDS = 120
TOPICS_MAX_CHARS = 400
BUCKETS = tuple(f"confidence_{n}" for n in range(10))


def resident_key(conversation_id: str) -> str:
    """A one-way hash of the conversation id: the same resident (SMS number, web browser) gets the same key."""
    return hashlib.sha256(f"analytics:{conversation_id}".encode("utf-8")).hexdigest()[:32]


def confidence_bucket(confidence: float) -> int:
    """0 for [0, 0.1), ..., 9 for [0.9, 1.0]."""
    return min(9, max(0, int(confidence * 10)))


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


@dataclass
class Summary:
    """One conversation's row while it is being updated."""

    values: Dict[str, Any]
    conversation_id: str
    dirty: bool = False
    made_case: bool = False  # its events include the report-finishing action: count its cases again
    reference: Optional[str] = None  # the case reference slot as these events left it
    asked: List[str] = field(default_factory=list)  # references whose status the bot told
    opening: bool = False  # its last event started the session (the next start event is the same start)

    @classmethod
    def new(cls, conversation_id: str, at: float, event_id: int) -> "Summary":
        values: Dict[str, Any] = dict(
            id=None, resident=resident_key(conversation_id), session_at=at, started_at=None, last_at=at,
            channel=owner(conversation_id) or REST_CHANNEL, messages=0, fallbacks=0, cases=0, answers=0,
            topic=None, topics="", escalated_at=None, first_staff_reply_at=None, last_event_id=event_id,
            **{f"confidence_{n}": 0 for n in range(10)},
        )
        return cls(values, conversation_id, dirty=True)

    def add_topic(self, topic: Optional[str]) -> None:
        if not topic:
            return
        if self.values["topic"] is None:
            self.values["topic"] = topic
        marked = f"|{topic}|"
        topics = self.values["topics"] or ""
        if marked not in topics and len(topics) + len(marked) <= TOPICS_MAX_CHARS:
            self.values["topics"] = (topics.rstrip("|") + marked) if topics else marked


def refresh(engine: Engine, tracker_engine: Engine, max_events: Optional[int] = None,
            batch_size: int = 20_000) -> Tuple[int, bool]:
    """Fold the tracker events added since the last refresh into the rollup.

    Reads at most ``max_events`` events (None: all), in batches; returns how
    many were read and whether it caught up with the tracker store. Each batch
    moves the watermark in the transaction that writes its summaries, and only
    from where this refresh found it: two refreshes at once (two supervisors,
    the console and the CLI) never fold the same events twice; the later one
    stops, and the next refresh goes on.
    """
    if not inspect(tracker_engine).has_table("events"):
        return 0, True
    stored, seen_at = _watermark(engine)
    watermark = stored
    with tracker_engine.connect() as conn:
        newest = conn.execute(select(func.max(events.c.id))).scalar() or 0
        if watermark:
            at = conn.execute(select(events.c.timestamp).where(events.c.id == watermark)).scalar()
            if at is None or _micros(at) != seen_at:
                # The last event read is gone or is another one: events were deleted (retention,
                # erasure) and SQLite reuses the highest ids. Go on after the last one not newer.
                watermark = conn.execute(select(func.max(events.c.id)).where(
                    events.c.timestamp <= seen_at / 1e6)).scalar() or 0
    read = 0
    while watermark < newest:
        limit = batch_size if max_events is None else min(batch_size, max_events - read)
        if limit <= 0:
            return read, False
        # The JSON only of the events whose details are read: most rows are actions and slots.
        data = case((events.c.type_name.in_(("user", "slot", "bot")), events.c.data), else_=None)
        query = (select(events.c.id, events.c.sender_id, events.c.type_name, events.c.intent_name,
                        events.c.action_name, events.c.timestamp, data)
                 .where(events.c.id > watermark, events.c.id <= newest, _wanted())
                 .order_by(events.c.id).limit(limit))
        with tracker_engine.connect() as conn:
            rows = [tuple(row) for row in conn.execute(query)]
            # Fewer than asked for: every event up to ``newest`` has been seen (the rest were not wanted).
            upto = rows[-1][0] if len(rows) == limit else newest
            upto_at = rows[-1][5] if len(rows) == limit else conn.execute(
                select(events.c.timestamp).where(events.c.id == upto)).scalar()
        with engine.begin() as conn:
            if not _advance(conn, stored, upto, _micros(upto_at or 0)):
                logger.info("Analytics rollup: another refresh is running; leaving it to that one")
                return read, False
            _fold(conn, rows)
        read += len(rows)
        watermark = stored = upto
    return read, True


def _wanted() -> Any:
    """Only the events that change a summary (slots only for the case reference), chosen in SQL."""
    return or_(events.c.type_name.in_(READ_TYPES),
               (events.c.type_name == "slot") & events.c.data.contains(f'"{REFERENCE_SLOT}"', autoescape=True))


def _micros(timestamp: float) -> int:
    return int(round(float(timestamp) * 1e6))


def _watermark(engine: Engine, name: str = WATERMARK) -> Tuple[int, int]:
    """The last id read of a source, and that row's time in microseconds (to notice ids reused after deletions)."""
    with engine.connect() as conn:
        found = dict(conn.execute(select(analytics_state.c.name, analytics_state.c.value)
                                  .where(analytics_state.c.name.in_((name, f"{name}_at")))).all())
    return int(found.get(name) or 0), int(found.get(f"{name}_at") or 0)


def _advance(conn: Connection, expected: int, value: int, at: int, name: str = WATERMARK) -> bool:
    """Move a watermark from ``expected`` to ``value`` (False: someone else moved it first)."""
    moved = conn.execute(analytics_state.update().where(analytics_state.c.name == name,
                                                        analytics_state.c.value == expected)
                         .values(value=value)).rowcount
    if not moved:
        exists = conn.execute(select(analytics_state.c.value).where(analytics_state.c.name == name)).first()
        if exists is not None:
            return False
        try:
            with conn.begin_nested():
                conn.execute(analytics_state.insert().values(name=name, value=value))
        except IntegrityError:
            return False
    if conn.execute(analytics_state.update().where(analytics_state.c.name == f"{name}_at")
                    .values(value=at)).rowcount == 0:
        conn.execute(analytics_state.insert().values(name=f"{name}_at", value=at))
    return True


def _fold(conn: Connection, rows: Sequence[Any]) -> None:
    by_sender: Dict[str, List[Any]] = defaultdict(list)
    for row in rows:
        if row[1]:
            by_sender[row[1]].append(row)
    if not by_sender:
        return
    latest = _latest_rows(conn, list(by_sender))
    summaries: List[Summary] = []
    for sender, sender_rows in by_sender.items():
        summaries += _apply(sender, latest.get(resident_key(sender)), sender_rows)
    _count_cases(conn, [s for s in summaries if s.made_case])
    _status_topics(conn, summaries)
    dirty = [s for s in summaries if s.dirty]
    _write(conn, dirty)
    hours = {_hour(s.values["started_at"]) for s in dirty if s.values["started_at"] is not None}
    hours |= _mark_returns(conn, sorted({s.values["resident"] for s in dirty}))
    _sum_hours(conn, hours)


def _hour(epoch: float) -> int:
    return int(epoch // 3600)


def _mark_returns(conn: Connection, residents: Sequence[str]) -> Set[int]:
    """Flag these residents' conversations that a later one came back to about their topic within 7 days.

    A later conversation comes back to an earlier one when its first message is at most 7 days after the
    earlier one's last resident message and it touches the earlier one's topic (docs/analytics.md).
    Returns the hours of the conversations newly marked (their hourly sums change).
    """
    later = rollup.alias("later")
    hours: Set[int] = set()
    for start in range(0, len(residents), 500):
        came_back = exists().where(
            later.c.resident == rollup.c.resident,
            later.c.started_at > rollup.c.last_at,
            later.c.started_at <= rollup.c.last_at + RETURN_WINDOW_SECONDS,
            later.c.topics.contains(literal("|") + rollup.c.topic + literal("|")),
        )
        found = conn.execute(select(rollup.c.id, rollup.c.started_at).where(
            rollup.c.resident.in_(residents[start:start + 500]), rollup.c.topic.is_not(None),
            rollup.c.started_at.is_not(None), or_(rollup.c.came_back.is_(None), rollup.c.came_back.is_(False)),
            came_back)).all()
        if found:
            conn.execute(rollup.update().where(rollup.c.id.in_([row_id for row_id, _ in found]))
                         .values(came_back=True))
            hours.update(_hour(started) for _, started in found)
    return hours


def _sum_hours(conn: Connection, hours: Set[int]) -> None:
    """Add up the conversations of these hours again (in runs of nearby hours, one statement each)."""
    served = ((rollup.c.cases > 0) | (rollup.c.answers > 0)) & rollup.c.escalated_at.is_(None)
    for first, last in _runs(sorted(hours)):
        conn.execute(analytics_hours.delete().where(analytics_hours.c.hour >= first, analytics_hours.c.hour <= last))
        hour = cast(rollup.c.started_at / 3600, Integer) if conn.dialect.name != "postgresql" else cast(
            func.floor(rollup.c.started_at / 3600), Integer)
        summed = (select(hour.label("hour"), rollup.c.channel, func.count(), func.sum(rollup.c.messages),
                         func.sum(rollup.c.fallbacks), func.count(rollup.c.escalated_at),
                         func.sum(case((served, 1), else_=0)),
                         func.sum(case((served & rollup.c.came_back.is_(True), 1), else_=0)),
                         *[func.sum(rollup.c[name]) for name in BUCKETS])
                  .where(rollup.c.started_at >= first * 3600, rollup.c.started_at < (last + 1) * 3600)
                  .group_by(hour, rollup.c.channel))
        columns = ["hour", "channel", "conversations", "messages", "fallbacks", "escalated", "served", "came_back",
                   *BUCKETS]
        conn.execute(analytics_hours.insert().from_select(columns, summed))


def _runs(hours: Sequence[int], gap: int = 24) -> List[Tuple[int, int]]:
    """Sorted hours as (first, last) runs, joining runs less than ``gap`` hours apart."""
    runs: List[Tuple[int, int]] = []
    for hour in hours:
        if runs and hour - runs[-1][1] <= gap:
            runs[-1] = (runs[-1][0], hour)
        else:
            runs.append((hour, hour))
    return runs


def _latest_rows(conn: Connection, senders: Sequence[str]) -> Dict[str, Dict[str, Any]]:
    """Each resident's most recent conversation row (the one new events continue)."""
    keys = [resident_key(s) for s in senders]
    found: Dict[str, Dict[str, Any]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        newest = (select(rollup.c.resident, func.max(rollup.c.session_at).label("at"))
                  .where(rollup.c.resident.in_(chunk)).group_by(rollup.c.resident).subquery())
        query = select(rollup).join(newest, (rollup.c.resident == newest.c.resident)
                                    & (rollup.c.session_at == newest.c.at))
        for row in conn.execute(query).mappings():
            found[row["resident"]] = dict(row)
    return found


def _data(raw: Optional[str]) -> Dict[str, Any]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


# The chosen intent's confidence, where Rasa's JSON puts it: read without parsing the whole event
# (its intent ranking makes it most of a kilobyte). Inside a JSON string every quote is escaped,
# so nothing a resident typed can look like this; anything else is parsed in full.
_CONFIDENCE = re.compile(r'"parse_data": \{"intent": \{"name": "(?:[^"\\]|\\.)*", "confidence": ([-+0-9.eE]+)[,}]')


def _confidence(raw: Optional[str]) -> Optional[float]:
    found = _CONFIDENCE.search(raw or "")
    if found:
        try:
            return float(found.group(1))
        except ValueError:
            pass
    value = ((_data(raw).get("parse_data") or {}).get("intent") or {}).get("confidence")
    return float(value) if isinstance(value, (int, float)) else None


def _apply(sender: str, existing: Optional[Dict[str, Any]], rows: Sequence[Tuple[Any, ...]]) -> List[Summary]:
    """Fold one sender's new events into its latest conversation, starting new ones at session starts.

    ``rows`` are plain tuples (id, sender, type, intent, action, timestamp, data): tens of thousands
    per batch, so no attribute look-ups per event.
    """
    current = Summary(existing, sender) if existing else None
    touched: List[Summary] = [current] if current else []
    for event_id, _, kind, intent, action, timestamp, raw in rows:
        at = float(timestamp or 0)
        # Rasa starts a session with the action ``action_session_start``, then a ``session_started`` event.
        starts = kind == "session_started" or (kind == "action" and action == SESSION_ACTION)
        if current is None or (starts and not current.opening):
            current = Summary.new(sender, at, event_id)
            touched.append(current)
        current.opening = starts
        values = current.values
        values["last_event_id"] = event_id
        if starts:
            continue
        current.dirty = True
        if kind == "user":
            values["messages"] += 1
            if values["started_at"] is None:
                values["started_at"] = at
            values["last_at"] = at
            if intent == FALLBACK_INTENT:
                values["fallbacks"] += 1
            confidence = _confidence(raw)
            if confidence is not None:
                values[BUCKETS[confidence_bucket(confidence)]] += 1
            if intent in TOPIC_INTENTS:
                current.add_topic(TOPIC_INTENTS[intent])
        elif kind == "action":
            if action in ANSWER_ACTIONS:
                values["answers"] += 1
                current.add_topic(ANSWER_ACTIONS[action])
                if action == "action_case_status" and current.reference:
                    current.asked.append(current.reference)
            elif action == CASE_ACTION:
                current.made_case = True
        elif kind == "slot":
            slot = _data(raw)
            if slot.get("name") == REFERENCE_SLOT:
                value = slot.get("value")
                current.reference = value if isinstance(value, str) else None
        elif kind == "pause":
            if values["escalated_at"] is None:
                values["escalated_at"] = at
        elif kind == "bot" and values["escalated_at"] is not None and values["first_staff_reply_at"] is None:
            if '"from_staff"' in (raw or "") and (_data(raw).get("metadata") or {}).get("from_staff"):
                values["first_staff_reply_at"] = at
    # Sessions nobody has written in yet are kept too (started_at NULL, never counted), so a
    # message in a later refresh continues its own session, not the one before.
    return touched


def _count_cases(conn: Connection, summaries: Sequence[Summary]) -> None:
    """Cases the bot made in these conversations (the cases table is the truth), and their categories."""
    if not summaries:
        return
    made: Dict[str, List[Tuple[float, str]]] = defaultdict(list)
    senders = sorted({s.conversation_id for s in summaries})
    for start in range(0, len(senders), 500):
        query = select(cases.c.conversation_id, cases.c.created_at, cases.c.category).where(
            cases.c.conversation_id.in_(senders[start:start + 500]))
        for conversation_id, created_at, category in conn.execute(query):
            made[conversation_id].append((_epoch(created_at), category))
    for summary in summaries:
        values = summary.values
        mine = [category for at, category in made.get(summary.conversation_id, [])
                if values["session_at"] - 1 <= at <= values["last_at"] + CASE_SLACK_SECONDS]
        values["cases"] = len(mine)
        for category in mine:
            summary.add_topic(category)


def _status_topics(conn: Connection, summaries: Sequence[Summary]) -> None:
    """A status question is about the kind of report asked after: the category of the case it named."""
    asked = sorted({reference for s in summaries for reference in s.asked})
    if not asked:
        return
    categories: Dict[str, str] = {}
    for start in range(0, len(asked), 500):
        query = select(cases.c.reference, cases.c.category).where(cases.c.reference.in_(asked[start:start + 500]))
        categories.update({reference: category for reference, category in conn.execute(query)})
    for summary in summaries:
        for reference in summary.asked:
            summary.add_topic(categories.get(reference))


def _write(conn: Connection, summaries: Iterable[Summary]) -> None:
    inserts, updates = [], []
    for summary in summaries:
        (updates if summary.values["id"] is not None else inserts).append(summary.values)
    if inserts:
        conn.execute(rollup.insert(), [{k: v for k, v in values.items() if k != "id"} for values in inserts])
    for values in updates:
        conn.execute(rollup.update().where(rollup.c.id == values["id"])
                     .values({k: v for k, v in values.items() if k != "id"}))


def update(engine: Engine, tracker_engine: Engine, max_events: Optional[int] = None) -> Tuple[int, bool]:
    """Bring both rollups up to date: conversations (at most ``max_events`` tracker events) and case times.

    Returns how many tracker events were read and whether the conversations caught up.
    """
    read, caught_up = refresh(engine, tracker_engine, max_events)
    refresh_cases(engine)
    refresh_case_hours(engine)
    return read, caught_up


def rebuild(engine: Engine, tracker_engine: Engine) -> int:
    """Forget the rollup and summarise every event again (after changing how conversations are summarised)."""
    with engine.begin() as conn:
        conn.execute(rollup.delete())
        conn.execute(analytics_cases.delete())
        conn.execute(analytics_hours.delete())
        conn.execute(analytics_case_hours.delete())
        conn.execute(analytics_state.delete())
    read, _ = refresh(engine, tracker_engine)
    refresh_cases(engine)
    refresh_case_hours(engine)
    return read


def lag_seconds(engine: Engine, now: Optional[datetime] = None) -> Optional[float]:
    """How old the newest resident message in the rollup is (None: nothing yet)."""
    with engine.connect() as conn:
        newest = conn.execute(select(func.max(rollup.c.last_at))).scalar()
    if newest is None:
        return None
    return max(0.0, _epoch(now or datetime.now(timezone.utc)) - float(newest))



def forget(engine: Engine, conversation_ids: Sequence[str], dry_run: bool = False) -> int:
    """Unlink these conversations' rows from the resident (erasure): each row keeps its counts for the
    figures, but its resident key becomes its own (``erased:<row id>``), so nothing links the rows to a
    conversation id, or to each other, any more. How many rows."""
    keys = sorted({resident_key(c) for c in conversation_ids if c})
    if not keys:
        return 0
    changed = 0
    with engine.begin() as conn:
        for start in range(0, len(keys), 500):
            where = rollup.c.resident.in_(keys[start:start + 500])
            if dry_run:
                changed += conn.execute(select(func.count()).select_from(rollup).where(where)).scalar() or 0
            else:
                changed += conn.execute(rollup.update().where(where).values(
                    resident=literal("erased:") + cast(rollup.c.id, String))).rowcount or 0
    return changed


# ----- case times: from case_updates, incrementally ------------------------------------------------

ACCEPTED_STATUSES = (OPEN, IN_PROGRESS, CLOSED)


def refresh_cases(engine: Engine, batch_size: int = 20_000) -> int:
    """Fold new case_updates rows into ``analytics_cases``: when each case was first accepted, first closed.

    Status updates only ever move forward and are only appended, so the first accepting and the first
    closing update of a case, read in id order, are its times. Returns how many updates were read.
    """
    stored, seen_at = _watermark(engine, CASES_WATERMARK)
    watermark = stored
    with engine.connect() as conn:
        newest = conn.execute(select(func.max(case_updates.c.id))).scalar() or 0
        if watermark:
            at = conn.execute(select(case_updates.c.created_at).where(case_updates.c.id == watermark)).scalar()
            if at is None or _micros(_epoch(at)) != seen_at:
                # Rows deleted (erasure) and their ids reused: go on after the last one not newer.
                watermark = conn.execute(select(func.max(case_updates.c.id)).where(
                    case_updates.c.created_at <= datetime.fromtimestamp(seen_at / 1e6, timezone.utc))).scalar() or 0
    read = 0
    while watermark < newest:
        with engine.begin() as conn:
            rows = conn.execute(
                select(case_updates.c.id, case_updates.c.case_id, case_updates.c.status, case_updates.c.created_at,
                       cases.c.created_at, cases.c.category)
                .join(cases, cases.c.id == case_updates.c.case_id)
                .where(case_updates.c.id > watermark, case_updates.c.id <= newest)
                .order_by(case_updates.c.id).limit(batch_size)).all()
            upto = rows[-1][0] if len(rows) == batch_size else newest
            upto_at = rows[-1][3] if len(rows) == batch_size else conn.execute(
                select(case_updates.c.created_at).where(case_updates.c.id == upto)).scalar()
            if not _advance(conn, stored, upto, _micros(_epoch(upto_at)) if upto_at else 0, CASES_WATERMARK):
                return read
            _fold_case_updates(conn, rows)
        read += len(rows)
        watermark = stored = upto
    return read


def _fold_case_updates(conn: Connection, rows: Sequence[Any]) -> None:
    ids = sorted({row[1] for row in rows})
    known: Dict[int, Dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        for row in conn.execute(select(analytics_cases).where(analytics_cases.c.case_id.in_(ids[start:start + 500]))
                                ).mappings():
            known[row["case_id"]] = dict(row)
    new: Dict[int, Dict[str, Any]] = {}
    changed: Dict[int, Dict[str, Any]] = {}
    for _, case_id, status, at, created_at, category in rows:
        entry = known.get(case_id) or new.get(case_id)
        if entry is None:
            entry = new[case_id] = dict(case_id=case_id, created_at=_epoch(created_at), category=category,
                                        accepted_after=None, closed_after=None)
        after = max(0.0, _epoch(at) - entry["created_at"])
        touched = False
        if status in ACCEPTED_STATUSES and entry["accepted_after"] is None:
            entry["accepted_after"], touched = after, True
        if status == CLOSED and entry["closed_after"] is None:
            entry["closed_after"], touched = after, True
        if touched and case_id in known:
            changed[case_id] = entry
    if new:
        conn.execute(analytics_cases.insert(), list(new.values()))
    for case_id, entry in changed.items():
        conn.execute(analytics_cases.update().where(analytics_cases.c.case_id == case_id).values(
            accepted_after=entry["accepted_after"], closed_after=entry["closed_after"]))


# ----- cases per hour, channel and category: from cases, incrementally ------------------------------

def case_hours_mark(engine: Engine) -> int:
    """The last case id counted in ``analytics_case_hours`` (the figures count later cases from ``cases``)."""
    return _watermark(engine, CASE_HOURS_WATERMARK)[0]


def refresh_case_hours(engine: Engine, batch_size: int = 20_000, now: Optional[datetime] = None) -> int:
    """Count the cases received since the last refresh per UTC hour, channel and category.

    A case's receipt time, channel and category never change, so each is counted once, in id order, up
    to the first one younger than ``CASE_SETTLE_SECONDS``; an erased case stays counted (the figures
    keep their counts, as for conversations). The mark moves in the transaction that adds the counts, only from
    where this refresh found it (two at once never count a case twice). Returns how many were counted.
    """
    cutoff = _epoch(now or datetime.now(timezone.utc)) - CASE_SETTLE_SECONDS
    counted = 0
    stored, seen_at = _watermark(engine, CASE_HOURS_WATERMARK)
    watermark = stored
    if stored and seen_at:
        with engine.connect() as conn:
            at = conn.execute(select(cases.c.created_at).where(cases.c.id == stored)).scalar()
            if at is None or _micros(_epoch(at)) != seen_at:
                # The last case counted was erased, and SQLite may give its id to the next case: go on
                # after the last one not newer (the erased one stays counted, as its conversation does).
                found = conn.execute(select(func.max(cases.c.id)).where(
                    cases.c.created_at <= datetime.fromtimestamp(seen_at / 1e6, timezone.utc))).scalar()
                watermark = min(stored, found or 0)
    while True:
        with engine.connect() as conn:
            rows = conn.execute(select(cases.c.id, cases.c.created_at, cases.c.channel, cases.c.category)
                                .where(cases.c.id > watermark).order_by(cases.c.id).limit(batch_size)).all()
        settled: Dict[Tuple[int, str, str], int] = defaultdict(int)
        upto, upto_at = watermark, 0.0
        for case_id, created_at, channel, category in rows:
            at = _epoch(created_at)
            if at > cutoff:
                break
            settled[(_hour(at), channel, category)] += 1
            upto, upto_at = case_id, at
        if not settled:
            return counted
        # Writing first (the mark), so the transaction takes the write lock before it reads anything.
        with engine.begin() as conn:
            if not _advance(conn, stored, upto, _micros(upto_at), CASE_HOURS_WATERMARK):
                return counted
            _add_case_hours(conn, settled)
        counted += sum(settled.values())
        if len(rows) < batch_size or upto != rows[-1][0]:
            return counted
        watermark = stored = upto


def _add_case_hours(conn: Connection, counts: Dict[Tuple[int, str, str], int]) -> None:
    """Add these counts to their (hour, channel, category) rows (portable: read, then update or insert)."""
    keys = sorted(counts)
    known: Set[Tuple[int, str, str]] = set()
    for start in range(0, len(keys), 500):
        hours = sorted({hour for hour, _, _ in keys[start:start + 500]})
        known.update(tuple(row) for row in conn.execute(  # type: ignore[misc]
            select(analytics_case_hours.c.hour, analytics_case_hours.c.channel, analytics_case_hours.c.category)
            .where(analytics_case_hours.c.hour.in_(hours))))
    new = [dict(hour=h, channel=ch, category=cat, cases=n) for (h, ch, cat), n in counts.items()
           if (h, ch, cat) not in known]
    if new:
        conn.execute(analytics_case_hours.insert(), new)
    for (hour, channel, category), n in counts.items():
        if (hour, channel, category) in known:
            conn.execute(analytics_case_hours.update().where(
                analytics_case_hours.c.hour == hour, analytics_case_hours.c.channel == channel,
                analytics_case_hours.c.category == category).values(cases=analytics_case_hours.c.cases + n))

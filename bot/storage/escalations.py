"""The escalation queue: conversations handed from the bot to people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.engine import Engine

from bot.storage.schema import cases, escalation_notes, escalations, staff
from bot.storage.times import utcnow, aware as _aware

WAITING, CLAIMED, HANDED_BACK, CLOSED = "waiting", "claimed", "handed_back", "closed"
OPEN_STATES = (WAITING, CLAIMED)
URGENT, NORMAL = "urgent", "normal"
REASONS = ("talk_to_human", "repeated_fallback", "complaint", "urgent")


@dataclass(frozen=True)
class Escalation:
    id: int
    conversation_id: str
    channel: str
    reason: str
    urgent_category: Optional[str]
    priority: str
    state: str
    trigger_text: Optional[str]
    phone: Optional[str]
    claimed_by: Optional[int]
    claimed_by_name: Optional[str]
    created_at: datetime
    claimed_at: Optional[datetime]
    ended_at: Optional[datetime]
    updated_at: datetime
    # The half-collected report (slot name -> value) when a report form handed over, else None.
    draft: Optional[Dict[str, Any]] = None
    # The conversation's language when it was queued ("en", "cy"; None: the council's default).
    language: Optional[str] = None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def waiting_seconds(self, now: Optional[datetime] = None) -> int:
        end = self.claimed_at or self.ended_at or now or utcnow()
        return max(0, int((end - self.created_at).total_seconds()))


@dataclass(frozen=True)
class Note:
    id: int
    staff_name: str
    text: str
    created_at: datetime


def _row(row: Mapping[str, Any]) -> Escalation:
    return Escalation(
        id=row["id"],
        conversation_id=row["conversation_id"],
        channel=row["channel"],
        reason=row["reason"],
        urgent_category=row["urgent_category"],
        priority=row["priority"],
        state=row["state"],
        trigger_text=row["trigger_text"],
        phone=row["phone"],
        claimed_by=row["claimed_by"],
        claimed_by_name=row.get("claimed_by_name"),
        created_at=_aware(row["created_at"]),  # type: ignore[arg-type]
        claimed_at=_aware(row["claimed_at"]),
        ended_at=_aware(row["ended_at"]),
        updated_at=_aware(row["updated_at"]),  # type: ignore[arg-type]
        draft=dict(row["draft"]) if row.get("draft") else None,
        language=row.get("language"),
    )


def _query():  # type: ignore[no-untyped-def]
    return select(escalations, staff.c.display_name.label("claimed_by_name")).select_from(
        escalations.outerjoin(staff, staff.c.id == escalations.c.claimed_by)
    )


class EscalationStore:
    """Creates, lists and moves escalations. Safe across processes (one row update per change)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open(
        self,
        conversation_id: str,
        channel: str,
        reason: str,
        priority: str,
        trigger_text: Optional[str] = None,
        phone: Optional[str] = None,
        urgent_category: Optional[str] = None,
        now: Optional[datetime] = None,
        draft: Optional[Dict[str, Any]] = None,
        language: Optional[str] = None,
    ) -> Escalation:
        """Queue the conversation, or return its open escalation (raised to urgent if this one is).

        ``draft``: the report the resident had started, kept for staff (an open escalation keeps
        the one it has, or takes this one).
        """
        if reason not in REASONS or priority not in (URGENT, NORMAL):
            raise ValueError(f"unknown escalation reason/priority {reason!r}/{priority!r}")
        now = now or utcnow()
        with self.engine.begin() as conn:
            existing = conn.execute(
                select(escalations.c.id, escalations.c.priority).where(
                    escalations.c.conversation_id == conversation_id, escalations.c.state.in_(OPEN_STATES)
                )
            ).first()
            if existing is not None:
                if draft:
                    conn.execute(update(escalations).where(escalations.c.id == existing.id,
                                                           escalations.c.draft.is_(None)).values(draft=draft))
                if priority == URGENT and existing.priority != URGENT:
                    conn.execute(
                        update(escalations)
                        .where(escalations.c.id == existing.id)
                        .values(priority=URGENT, reason=reason, urgent_category=urgent_category, updated_at=now)
                    )
                escalation_id = existing.id
            else:
                escalation_id = conn.execute(
                    escalations.insert().values(
                        conversation_id=conversation_id,
                        channel=channel,
                        reason=reason,
                        urgent_category=urgent_category,
                        priority=priority,
                        state=WAITING,
                        trigger_text=trigger_text,
                        phone=phone,
                        draft=draft or None,
                        language=language,
                        created_at=now,
                        updated_at=now,
                    )
                ).inserted_primary_key[0]
        return self.get(escalation_id)  # type: ignore[return-value]

    def get(self, escalation_id: int) -> Optional[Escalation]:
        with self.engine.connect() as conn:
            row = conn.execute(_query().where(escalations.c.id == escalation_id)).mappings().first()
        return _row(row) if row else None

    def open_for_conversation(self, conversation_id: str) -> Optional[Escalation]:
        query = _query().where(
            escalations.c.conversation_id == conversation_id, escalations.c.state.in_(OPEN_STATES)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _row(row) if row else None

    def for_conversation(self, conversation_id: str) -> List[Escalation]:
        query = _query().where(escalations.c.conversation_id == conversation_id).order_by(escalations.c.id)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(query).mappings()]

    def queue(self, states: Sequence[str] = OPEN_STATES, limit: int = 200) -> List[Escalation]:
        """Open escalations, urgent first, then longest waiting first."""
        urgent_first = (escalations.c.priority != URGENT)
        query = (
            _query()
            .where(escalations.c.state.in_(tuple(states)))
            .order_by(urgent_first, escalations.c.created_at, escalations.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(query).mappings()]

    def latest_cases(self, conversation_ids: Sequence[str]) -> Dict[str, Dict[str, Any]]:
        """Each conversation's newest case (reference, category, place), for the queue's rows.

        Read-only (the case store writes cases); led by ``ix_cases_conversation``.
        """
        if not conversation_ids:
            return {}
        query = (select(cases.c.conversation_id, cases.c.reference, cases.c.category, cases.c.location_text,
                        cases.c.postcode)
                 .where(cases.c.conversation_id.in_(sorted(set(conversation_ids)))).order_by(cases.c.id))
        with self.engine.connect() as conn:
            return {r["conversation_id"]: dict(r) for r in conn.execute(query).mappings()}

    def version(self) -> str:
        """Changes whenever the queue changes (for live updates)."""
        with self.engine.connect() as conn:
            count, latest, top = conn.execute(
                select(func.count(), func.max(escalations.c.updated_at), func.max(escalations.c.id))
            ).one()
        return f"{count}:{latest}:{top}"

    def waiting_summary(self, now: Optional[datetime] = None) -> Dict[str, tuple]:
        """For each priority: how many conversations wait for staff, and the oldest wait in seconds."""
        now = now or utcnow()
        summary: Dict[str, tuple] = {URGENT: (0, 0.0), NORMAL: (0, 0.0)}
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(escalations.c.priority, func.count(), func.min(escalations.c.created_at))
                .where(escalations.c.state == WAITING).group_by(escalations.c.priority)
            ).all()
        for priority, count, oldest in rows:
            summary[priority] = (count, max(0.0, (now - _aware(oldest)).total_seconds()) if oldest else 0.0)
        return summary

    def find(self, conversation_ids: Sequence[str] = (), phone: Optional[str] = None) -> List[Escalation]:
        conditions = []
        if conversation_ids:
            conditions.append(escalations.c.conversation_id.in_(tuple(conversation_ids)))
        if phone:
            conditions.append(escalations.c.phone == phone)
        if not conditions:
            return []
        query = _query().where(or_(*conditions)).order_by(escalations.c.id.desc()).limit(100)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(query).mappings()]

    def claim(self, escalation_id: int, staff_id: int, take_over: bool = False, now: Optional[datetime] = None) -> bool:
        """Claim a waiting escalation (or take over a claimed one). False if someone else got it first."""
        now = now or utcnow()
        allowed = escalations.c.state == WAITING
        if take_over:
            allowed = escalations.c.state.in_(OPEN_STATES)
        with self.engine.begin() as conn:
            result = conn.execute(
                update(escalations)
                .where(escalations.c.id == escalation_id, or_(allowed, and_(
                    escalations.c.state == CLAIMED, escalations.c.claimed_by == staff_id)))
                .values(state=CLAIMED, claimed_by=staff_id, claimed_at=func.coalesce(escalations.c.claimed_at, now),
                        updated_at=now)
            )
        return result.rowcount == 1

    def end(self, escalation_id: int, state: str, now: Optional[datetime] = None) -> bool:
        """Hand back or close an open escalation. False if it was not open."""
        if state not in (HANDED_BACK, CLOSED):
            raise ValueError(f"an escalation ends as handed_back or closed, not {state!r}")
        now = now or utcnow()
        with self.engine.begin() as conn:
            result = conn.execute(
                update(escalations)
                .where(escalations.c.id == escalation_id, escalations.c.state.in_(OPEN_STATES))
                .values(state=state, ended_at=now, updated_at=now)
            )
        return result.rowcount == 1

    def touch(self, escalation_id: int) -> None:
        """Mark the escalation changed (a reply or note), so live views refresh."""
        with self.engine.begin() as conn:
            conn.execute(update(escalations).where(escalations.c.id == escalation_id).values(updated_at=utcnow()))

    def add_note(self, escalation_id: int, staff_id: int, text: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                escalation_notes.insert().values(
                    escalation_id=escalation_id, staff_id=staff_id, text=text, created_at=utcnow()
                )
            )
        self.touch(escalation_id)

    def notes(self, escalation_ids: Sequence[int]) -> List[Note]:
        if not escalation_ids:
            return []
        query = (
            select(escalation_notes, staff.c.display_name)
            .select_from(escalation_notes.join(staff, staff.c.id == escalation_notes.c.staff_id))
            .where(escalation_notes.c.escalation_id.in_(tuple(escalation_ids)))
            .order_by(escalation_notes.c.id)
        )
        with self.engine.connect() as conn:
            return [
                Note(r["id"], r["display_name"], r["text"], _aware(r["created_at"]))  # type: ignore[arg-type]
                for r in conn.execute(query).mappings()
            ]

    # -- residents' data rights (bot/privacy) ---------------------------------------
    @staticmethod
    def _about(conversation_ids: Iterable[str], phones: Iterable[str]) -> Any:
        return or_(escalations.c.conversation_id.in_(sorted(set(conversation_ids))),
                   escalations.c.phone.in_(sorted(set(phones))))

    def conversations_of(self, phones: Iterable[str]) -> List[str]:
        """Conversations queued for staff with one of these numbers."""
        query = select(escalations.c.conversation_id).where(escalations.c.phone.in_(sorted(set(phones)))).distinct()
        with self.engine.connect() as conn:
            return [c for (c,) in conn.execute(query)]

    def export(self, conversation_ids: Iterable[str], phones: Iterable[str]) -> List[Dict[str, Any]]:
        """Each escalation's full row, with the staff notes on it (and who wrote them)."""
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(
                _query().where(self._about(conversation_ids, phones)).order_by(escalations.c.id)).mappings()]
            notes = conn.execute(
                select(escalation_notes, staff.c.display_name)
                .select_from(escalation_notes.join(staff, staff.c.id == escalation_notes.c.staff_id))
                .where(escalation_notes.c.escalation_id.in_([row["id"] for row in rows]))
                .order_by(escalation_notes.c.id)
            ).mappings().all()
        for row in rows:
            row["notes"] = [{"staff": n["display_name"], "text": n["text"], "created_at": n["created_at"]}
                            for n in notes if n["escalation_id"] == row["id"]]
        return rows

    def erase(self, conversation_ids: Iterable[str], phones: Iterable[str], dry_run: bool = False) -> Dict[str, int]:
        """Delete these escalations and the staff notes on them."""
        about = select(escalations.c.id).where(self._about(conversation_ids, phones))
        with self.engine.begin() as conn:
            if dry_run:
                ids = [i for (i,) in conn.execute(about)]
                notes = conn.execute(select(func.count()).select_from(escalation_notes).where(
                    escalation_notes.c.escalation_id.in_(ids))).scalar() if ids else 0
                return {"escalations": len(ids), "staff notes": notes or 0}
            notes = conn.execute(delete(escalation_notes).where(escalation_notes.c.escalation_id.in_(about))).rowcount
            removed = conn.execute(delete(escalations).where(self._about(conversation_ids, phones))).rowcount
        return {"escalations": removed or 0, "staff notes": notes or 0}

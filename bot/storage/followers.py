"""Followers: residents who said "me too" to an open case instead of making another.

One row per case and conversation (following twice is following once). The
case's own reporter is never a follower of it: they are told as the reporter,
and must not be told twice. Each follower's extra report waits (``pending``)
until the delivery worker has passed it to the case's back office.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.storage import notifications as notification_rows  # owns the notifications table
from bot.storage.schema import cases, followers
from bot.storage.times import utcnow

PENDING, SENT, NOT_SUPPORTED, FAILED = "pending", "sent", "not_supported", "failed"


@dataclass(frozen=True)
class Follower:
    id: int
    case_id: int
    conversation_id: str
    channel: str
    language: Optional[str]
    location_text: Optional[str]
    description: Optional[str]
    backoffice_state: str
    created_at: datetime


def _follower(row: Mapping[str, Any]) -> Follower:
    return Follower(
        id=row["id"], case_id=row["case_id"], conversation_id=row["conversation_id"], channel=row["channel"],
        language=row["language"], location_text=row["location_text"], description=row["description"],
        backoffice_state=row["backoffice_state"], created_at=row["created_at"],
    )


class FollowerStore:
    """Adds and reads a case's followers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(
        self,
        case_id: int,
        conversation_id: str,
        channel: str,
        language: Optional[str] = None,
        location_text: Optional[str] = None,
        description: Optional[str] = None,
    ) -> Optional[Follower]:
        """Follow the case; the existing row if already following, None if this is the reporter."""
        with self.engine.begin() as conn:
            reporter = conn.execute(select(cases.c.conversation_id).where(cases.c.id == case_id)).scalar_one_or_none()
        if reporter is None or reporter == conversation_id:
            return None
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                conn.execute(followers.insert().values(
                    case_id=case_id, conversation_id=conversation_id, channel=channel[:30], language=language,
                    location_text=location_text, description=description, backoffice_state=PENDING,
                    created_at=now, updated_at=now,
                ))
        except IntegrityError:
            pass  # already following: keep the first
        return self.get(case_id, conversation_id)

    def get(self, case_id: int, conversation_id: str) -> Optional[Follower]:
        query = select(followers).where(followers.c.case_id == case_id, followers.c.conversation_id == conversation_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _follower(row) if row else None

    def for_case(self, case_id: int) -> List[Follower]:
        query = select(followers).where(followers.c.case_id == case_id).order_by(followers.c.id)
        with self.engine.connect() as conn:
            return [_follower(r) for r in conn.execute(query).mappings()]

    def count(self, case_id: int) -> int:
        query = select(func.count()).select_from(followers).where(followers.c.case_id == case_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    # -- the extra reports' way to the back office (bot/outbox/followers.py) ----------
    def pending_for_backoffice(self, limit: int = 50) -> List[Follower]:
        """Extra reports not yet passed on, oldest first."""
        query = (select(followers).where(followers.c.backoffice_state == PENDING)
                 .order_by(followers.c.id).limit(limit))
        with self.engine.connect() as conn:
            return [_follower(r) for r in conn.execute(query).mappings()]

    def record_backoffice(self, follower_id: int, state: str, detail: Optional[str] = None) -> bool:
        """Record how passing the extra report on went; False if another worker already did."""
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(followers)
                .where(followers.c.id == follower_id, followers.c.backoffice_state == PENDING)
                .values(backoffice_state=state, backoffice_detail=detail, updated_at=utcnow())
            )
            return changed.rowcount == 1

    # -- residents' data rights (bot/privacy) -------------------------------------------
    def export(self, conversation_ids: Iterable[str]) -> List[Dict[str, Any]]:
        """Every case these conversations follow (the follower rows, as stored)."""
        ids = sorted(set(conversation_ids))
        if not ids:
            return []
        query = select(followers).where(followers.c.conversation_id.in_(ids)).order_by(followers.c.id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def erase(self, conversation_ids: Sequence[str], dry_run: bool = False) -> Dict[str, int]:
        """Stop these conversations following anything; their notifications go too."""
        ids = sorted(set(conversation_ids))
        if not ids:
            return {"followed cases": 0}
        chosen = select(followers.c.id).where(followers.c.conversation_id.in_(ids))
        with self.engine.begin() as conn:
            if dry_run:
                return {"followed cases": conn.execute(
                    select(func.count()).select_from(followers).where(followers.c.conversation_id.in_(ids))
                ).scalar() or 0}
            notification_rows.erase_for_followers(conn, chosen)
            gone = conn.execute(delete(followers).where(followers.c.conversation_id.in_(ids))).rowcount or 0
        return {"followed cases": gone}

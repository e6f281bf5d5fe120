"""Notification rows: what we told (or tried to tell) a resident about their case.

This module owns the ``notifications`` table: nothing else writes it. The
notifier (bot/outbox/notify.py) claims a row before sending and records the
outcome; the case store, the follower store and retention remove or blank
rows through the functions here, inside their own transactions.

One row per case and kind (unique), written before sending, so two workers
or a retried poll never tell a resident twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.storage.schema import cases, followers, notifications

SENDING, SENT, NO_PUSH, FAILED = "sending", "sent", "no_push_channel", "failed"


class NotificationStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, case_id: int, kind: str, channel: str, text: str, now: datetime,
              follower_id: Optional[int] = None) -> Optional[int]:
        """Record a notification about to be sent; None if this case already has one of this kind."""
        try:
            with self.engine.begin() as conn:
                return conn.execute(notifications.insert().values(
                    case_id=case_id, kind=kind, channel=channel, state=SENDING, created_at=now, text=text,
                    attempts=1, follower_id=follower_id,
                )).inserted_primary_key[0]
        except IntegrityError:
            return None

    def record(self, row_id: int, state: str, detail: str, channel: Optional[str],
               next_attempt_at: Optional[datetime]) -> None:
        """The outcome of an attempt (and when to try again, if it failed and may be retried)."""
        values: Dict[str, Any] = {"state": state, "detail": detail, "next_attempt_at": next_attempt_at}
        if channel:
            values["channel"] = channel[:30]
        with self.engine.begin() as conn:
            conn.execute(update(notifications).where(notifications.c.id == row_id).values(**values))

    def exists(self, row_id: int) -> bool:
        """Whether the row is still there: erasure (bot/privacy) deletes a person's rows, maybe mid-send."""
        with self.engine.connect() as conn:
            return conn.execute(select(notifications.c.id).where(notifications.c.id == row_id)).first() is not None

    def due_retries(self, now: datetime, limit: int) -> List[Mapping[str, Any]]:
        """Failed notifications whose retry time has come, with the case's reference and whom to send to."""
        query = (
            select(notifications.c.id, notifications.c.attempts, notifications.c.kind, notifications.c.text,
                   cases.c.reference,
                   # a follower's copy goes to the follower's conversation
                   func.coalesce(followers.c.conversation_id, cases.c.conversation_id).label("conversation_id"))
            .join(cases, cases.c.id == notifications.c.case_id)
            .outerjoin(followers, followers.c.id == notifications.c.follower_id)
            .where(and_(notifications.c.state == FAILED, notifications.c.next_attempt_at <= now,
                        notifications.c.text.is_not(None)))
            .order_by(notifications.c.next_attempt_at)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query).mappings().all())

    def claim_retry(self, row_id: int, attempts: int) -> bool:
        """Take a failed row for another attempt (failed -> sending in one update: one worker wins)."""
        with self.engine.begin() as conn:
            claimed = conn.execute(
                update(notifications)
                .where(and_(notifications.c.id == row_id, notifications.c.state == FAILED))
                .values(state=SENDING, attempts=attempts, next_attempt_at=None)
            )
            return claimed.rowcount == 1


# ----- for the other owners' transactions (privacy, retention) ----------------------------------
def forget_texts(conn: Connection, case_ids: Sequence[int]) -> None:
    """Blank what we wrote to residents about these cases (retention); the outcome rows stay."""
    if case_ids:
        conn.execute(update(notifications).where(notifications.c.case_id.in_(case_ids)).values(text=None))


def erase_for_cases(conn: Connection, case_ids: Sequence[int], dry_run: bool = False) -> int:
    """Delete (or, dry run, count) these cases' notifications."""
    if not case_ids:
        return 0
    where = notifications.c.case_id.in_(case_ids)
    if dry_run:
        return conn.execute(select(func.count()).select_from(notifications).where(where)).scalar() or 0
    return conn.execute(delete(notifications).where(where)).rowcount or 0


def erase_for_followers(conn: Connection, follower_ids: Any) -> int:
    """Delete the copies sent to these followers (``follower_ids``: ids or a select of them)."""
    return conn.execute(delete(notifications).where(notifications.c.follower_id.in_(follower_ids))).rowcount or 0

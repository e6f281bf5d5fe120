"""What the SMS channel remembers: conversations, messages in and out, opt-outs.

Synchronous SQLAlchemy Core; the channel calls it through ``asyncio.to_thread``
so a busy database never blocks Rasa's event loop.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.storage.schema import sms_conversations, sms_messages, sms_suppressions
from bot.storage.times import utcnow

# Delivery statuses in the order Twilio moves through them. Final outcomes
# share the top rank, so a late "delivered" never overwrites "failed" and a
# late "sent" never overwrites either.
OUTBOUND_RANK: Dict[str, int] = {
    "blocked": 0,
    "accepted": 1,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "read": 5,
}
PROBLEM_STATUSES = ("undelivered", "failed", "blocked")


@dataclass(frozen=True)
class InboundMessage:
    """An accepted inbound SMS, as stored before it is processed."""

    id: int
    sid: str
    phone: str
    conversation_id: str
    body: str
    media: List[Dict[str, str]]
    opt_out_type: Optional[str] = None  # Twilio's keyword verdict: STOP, START or HELP


class SmsStore:
    """Rows of the SMS tables. Safe to share between threads and processes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- conversations ---------------------------------------------------------
    def conversation_for(self, phone: str) -> str:
        """The stable, pseudonymous conversation id of a phone number."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(sms_conversations.c.conversation_id).where(sms_conversations.c.phone == phone)
            ).scalar()
        if found:
            return str(found)
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(sms_conversations).values(
                        phone=phone,
                        conversation_id=f"sms-{secrets.token_hex(10)}",
                        options=[],
                        created_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:
            pass  # a concurrent first message from the same number created it
        return self.conversation_for(phone)

    def conversation_of(self, phone: str) -> Optional[str]:
        """The conversation id of a number that has texted us (None: never, or unlinked)."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(sms_conversations.c.conversation_id).where(sms_conversations.c.phone == phone)
            ).scalar()

    def phone_for(self, conversation_id: str) -> Optional[str]:
        with self.engine.connect() as conn:
            return conn.execute(
                select(sms_conversations.c.phone).where(sms_conversations.c.conversation_id == conversation_id)
            ).scalar()

    def options(self, conversation_id: str) -> List[str]:
        """Payloads of the numbered options last offered (option 1 first)."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(sms_conversations.c.options).where(sms_conversations.c.conversation_id == conversation_id)
            ).scalar()
        return [str(p) for p in (found or [])]

    def set_options(self, conversation_id: str, payloads: List[str]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(sms_conversations)
                .where(sms_conversations.c.conversation_id == conversation_id)
                .values(options=list(payloads), updated_at=utcnow())
            )

    # -- inbound -----------------------------------------------------------------
    def accept_inbound(
        self, sid: str, phone: str, body: str, media: List[Dict[str, str]], opt_out_type: Optional[str] = None
    ) -> Optional[InboundMessage]:
        """Record an inbound message; None when this MessageSid was seen before."""
        conversation_id = self.conversation_for(phone)
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                row_id = conn.execute(
                    insert(sms_messages).values(
                        sid=sid,
                        direction="inbound",
                        conversation_id=conversation_id,
                        status="received",
                        status_rank=0,
                        body=body,
                        media=media,
                        opt_out_type=opt_out_type,
                        created_at=now,
                        updated_at=now,
                    )
                ).inserted_primary_key[0]
        except IntegrityError:
            return None
        return InboundMessage(row_id, sid, phone, conversation_id, body, media, opt_out_type)

    def unfinished_inbound(self, phone: Optional[str] = None) -> List[InboundMessage]:
        """Accepted messages not finished yet (waiting, in progress, or left when a server
        stopped mid-way), of every number or of ``phone``, oldest first."""
        query = (
            select(sms_messages, sms_conversations.c.phone)
            .join(sms_conversations, sms_conversations.c.conversation_id == sms_messages.c.conversation_id)
            .where(and_(sms_messages.c.direction == "inbound", sms_messages.c.status.in_(("received", "processing"))))
            .order_by(sms_messages.c.id)
        )
        if phone is not None:
            query = query.where(sms_conversations.c.phone == phone)
        with self.engine.connect() as conn:
            return [
                InboundMessage(r["id"], r["sid"], r["phone"], r["conversation_id"], r["body"] or "",
                               list(r["media"] or []), r["opt_out_type"])
                for r in conn.execute(query).mappings()
            ]

    def mark_inbound(self, row_id: int, status: str, error: Optional[str] = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(sms_messages)
                .where(sms_messages.c.id == row_id)
                .values(status=status, error_message=error, updated_at=utcnow())
            )

    # -- outbound ----------------------------------------------------------------
    def record_outbound(
        self,
        conversation_id: Optional[str],
        body: str,
        segments: int,
        status: str,
        sid: Optional[str] = None,
        error_code: Optional[str] = None,
        error_message: Optional[str] = None,
    ) -> None:
        """Record a message we sent (or refused or failed to send).

        A status callback can beat this row to the database; then the row
        exists already and only moves forward.
        """
        now = utcnow()
        values: Dict[str, Any] = dict(
            sid=sid,
            direction="outbound",
            conversation_id=conversation_id,
            status=status,
            status_rank=OUTBOUND_RANK.get(status, 0),
            body=body,
            media=[],
            segments=segments,
            error_code=error_code,
            error_message=error_message,
            created_at=now,
            updated_at=now,
        )
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(sms_messages).values(**values))
        except IntegrityError:
            with self.engine.begin() as conn:
                conn.execute(
                    update(sms_messages)
                    .where(sms_messages.c.sid == sid)
                    .values(conversation_id=conversation_id, body=body, segments=segments, updated_at=now)
                )
            self.record_status(str(sid), status, error_code, error_message)

    def record_status(
        self, sid: str, status: str, error_code: Optional[str] = None, error_message: Optional[str] = None
    ) -> bool:
        """Move an outbound message's status forward; never back. True if it changed."""
        rank = OUTBOUND_RANK.get(status)
        if rank is None:
            return False
        now = utcnow()
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(sms_messages)
                .where(and_(sms_messages.c.sid == sid, sms_messages.c.status_rank < rank))
                .values(status=status, status_rank=rank, error_code=error_code, error_message=error_message,
                        updated_at=now)
            ).rowcount
            if changed:
                return True
            exists = conn.execute(select(sms_messages.c.id).where(sms_messages.c.sid == sid)).scalar()
        if exists:
            return False
        try:  # the callback arrived before the sender recorded the message
            with self.engine.begin() as conn:
                conn.execute(
                    insert(sms_messages).values(
                        sid=sid, direction="outbound", status=status, status_rank=rank, media=[],
                        error_code=error_code, error_message=error_message, created_at=now, updated_at=now,
                    )
                )
            return True
        except IntegrityError:
            return self.record_status(sid, status, error_code, error_message)

    def message(self, sid: str) -> Optional[Dict[str, Any]]:
        with self.engine.connect() as conn:
            row = conn.execute(select(sms_messages).where(sms_messages.c.sid == sid)).mappings().first()
        return dict(row) if row else None

    def messages(self, conversation_id: str) -> List[Dict[str, Any]]:
        """Every message of a conversation, oldest first (for staff)."""
        query = (
            select(sms_messages)
            .where(sms_messages.c.conversation_id == conversation_id)
            .order_by(sms_messages.c.id)
        )
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def delivery_problems(self, limit: int = 100) -> List[Dict[str, Any]]:
        """Outbound messages that did not arrive, newest first, with the reason (for staff)."""
        query = (
            select(sms_messages)
            .where(and_(sms_messages.c.direction == "outbound", sms_messages.c.status.in_(PROBLEM_STATUSES)))
            .order_by(sms_messages.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    # -- opt-out -----------------------------------------------------------------
    def suppress(self, phone: str, keyword: str, source: str) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(sms_suppressions).values(phone=phone, keyword=keyword, source=source, created_at=utcnow())
                )
        except IntegrityError:
            pass  # already opted out; keep the first record

    def unsuppress(self, phone: str) -> bool:
        with self.engine.begin() as conn:
            return bool(conn.execute(delete(sms_suppressions).where(sms_suppressions.c.phone == phone)).rowcount)

    def suppression(self, phone: str) -> Optional[Dict[str, Any]]:
        with self.engine.connect() as conn:
            row = conn.execute(select(sms_suppressions).where(sms_suppressions.c.phone == phone)).mappings().first()
        return dict(row) if row else None

    # -- residents' data rights (bot/privacy) ---------------------------------------
    def export(self, phones: Iterable[str], conversation_ids: Iterable[str]) -> Dict[str, List[Dict[str, Any]]]:
        """Number links, every message in and out, and opt-outs of these numbers/conversations."""
        phones, conversation_ids = sorted(set(phones)), sorted(set(conversation_ids))
        with self.engine.connect() as conn:
            links = [dict(r) for r in conn.execute(select(sms_conversations).where(or_(
                sms_conversations.c.phone.in_(phones), sms_conversations.c.conversation_id.in_(conversation_ids),
            )).order_by(sms_conversations.c.id)).mappings()]
            conversations = sorted(set(conversation_ids) | {link["conversation_id"] for link in links})
            messages = [dict(r) for r in conn.execute(
                select(sms_messages).where(sms_messages.c.conversation_id.in_(conversations)).order_by(sms_messages.c.id)
            ).mappings()]
            numbers = sorted(set(phones) | {link["phone"] for link in links})
            opt_outs = [dict(r) for r in conn.execute(
                select(sms_suppressions).where(sms_suppressions.c.phone.in_(numbers))).mappings()]
        return {"numbers": links, "messages": messages, "opt_outs": opt_outs}

    def erase(self, phones: Iterable[str], conversation_ids: Iterable[str], dry_run: bool = False) -> Dict[str, int]:
        """Delete the messages and number links of these numbers/conversations.

        The stop list is kept: a number that opted out must never be texted
        again, and that record is how we honour it (docs/privacy.md).
        """
        phones, conversation_ids = sorted(set(phones)), sorted(set(conversation_ids))
        links = or_(sms_conversations.c.phone.in_(phones), sms_conversations.c.conversation_id.in_(conversation_ids))
        with self.engine.begin() as conn:
            linked = [c for (c,) in conn.execute(select(sms_conversations.c.conversation_id).where(links))]
            conversations = sorted(set(conversation_ids) | set(linked))
            messages = sms_messages.c.conversation_id.in_(conversations)
            if dry_run:
                count = conn.execute(select(func.count()).select_from(sms_messages).where(messages)).scalar() or 0
                return {"sms messages": count, "sms number links": len(linked)}
            count = conn.execute(delete(sms_messages).where(messages)).rowcount or 0
            unlinked = conn.execute(delete(sms_conversations).where(links)).rowcount or 0
        return {"sms messages": count, "sms number links": unlinked}

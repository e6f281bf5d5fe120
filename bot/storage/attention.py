"""What needs a person: the console's "needs attention" view, read-only.

Four kinds of trouble that would otherwise be silent, each read from the table
its owner writes (nothing here writes):

* cases flagged for staff whose delivery is not done: retries keep failing,
  or the back office refused the case (outbox ``failed``; the worker flags both);
* cases flagged after delivery: the back office no longer knows the request
  (status lookups answering 404) or any other problem the worker flagged;
* notifications that failed for good (``failed`` with no retry due);
* texts to residents that did not arrive (Twilio said failed or undelivered,
  or we blocked them because the number had opted out), newest first
  (bot/storage/sms.py: ``delivery_problems``).

A flag leaves the view when a supervisor marks it handled or when the case is
delivered after all (bot/storage/outbox.py clears it). Every query is led by an
index (``ix_cases_list_attention``, ``ix_notifications_retry``,
``ix_sms_messages_pending``) and bounded by ``limit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.storage.schema import cases, notifications, outbox
from bot.storage.sms import SmsStore
from bot.storage.times import aware

DELIVERED = "delivered"


@dataclass(frozen=True)
class Attention:
    """Everything the view lists, oldest problem first within each kind."""

    deliveries: List[Dict[str, Any]]  # flagged, not delivered (retrying or refused)
    after_delivery: List[Dict[str, Any]]  # flagged, delivered (request vanished at the back office, ...)
    notifications: List[Dict[str, Any]]  # failed for good
    texts: List[Dict[str, Any]]  # SMS that did not arrive

    @property
    def total(self) -> int:
        return len(self.deliveries) + len(self.after_delivery) + len(self.notifications) + len(self.texts)


def _rows(result: Any) -> List[Dict[str, Any]]:
    found = []
    for row in result.mappings():
        item = dict(row)
        for key, value in item.items():
            if isinstance(value, datetime):
                item[key] = aware(value)
        found.append(item)
    return found


def needs_attention(engine: Engine, limit: int = 200) -> Attention:
    """The view's four lists, each at most ``limit`` long."""
    with engine.connect() as conn:
        flagged = _rows(conn.execute(
            select(cases.c.id, cases.c.reference, cases.c.category, cases.c.channel, cases.c.backoffice,
                   cases.c.backoffice_reference, cases.c.attention_reason, cases.c.updated_at, cases.c.conversation_id,
                   outbox.c.state.label("delivery_state"), outbox.c.attempts, outbox.c.last_error)
            .select_from(cases.outerjoin(outbox, outbox.c.case_id == cases.c.id))
            .where(cases.c.needs_attention.is_(True))
            .order_by(cases.c.updated_at, cases.c.id).limit(limit)))
        failed = _rows(conn.execute(
            select(notifications.c.id, notifications.c.kind, notifications.c.channel, notifications.c.detail,
                   notifications.c.attempts, notifications.c.created_at, cases.c.reference, cases.c.conversation_id)
            .select_from(notifications.join(cases, cases.c.id == notifications.c.case_id))
            .where(notifications.c.state == "failed", notifications.c.next_attempt_at.is_(None))
            .order_by(notifications.c.id.desc()).limit(limit)))
    # Their words stay out of the view (the conversation has them): what happened and why only.
    texts = [{k: (aware(m[k]) if k == "created_at" else m[k])
              for k in ("id", "conversation_id", "status", "error_code", "error_message", "created_at")}
             for m in SmsStore(engine).delivery_problems(limit)]
    return Attention(
        deliveries=[r for r in flagged if r["delivery_state"] != DELIVERED],
        after_delivery=[r for r in flagged if r["delivery_state"] == DELIVERED],
        notifications=failed,
        texts=texts,
    )

"""The case store: our own record of every case, in our database.

This module owns the ``cases`` table: nothing else writes it. Other stores
that change a case inside their own transaction (photos arriving through an
upload link, retention) call the functions at the end of this module.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot import geocell
from bot.cases import references
from bot.cases.model import RECEIVED, STATUS_ORDER, Case, NewCase
from bot.storage import notifications as notification_rows  # owns the notifications table
from bot.storage import outbox as outbox_rows  # owns the outbox table (the module: it imports this one)
from bot.storage.schema import case_notes, case_updates, cases, followers, notifications, outbox
from bot.storage.times import utcnow
from bot.street_key import street_key


def _row_to_case(row: Mapping[str, Any]) -> Case:
    return Case(
        id=row["id"],
        reference=row["reference"],
        category=row["category"],
        status=row["status"],
        conversation_id=row["conversation_id"],
        channel=row["channel"],
        location_text=row["location_text"],
        postcode=row["postcode"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        description=row["description"],
        details=dict(row["details"] or {}),
        contact_phone=row["contact_phone"],
        contact_email=row["contact_email"],
        contact_consent=bool(row["contact_consent"]),
        media_urls=list(row["media_urls"] or []),
        usrn=row["usrn"],
        place_latitude=row["place_latitude"],
        place_longitude=row["place_longitude"],
        place_note=row["place_note"],
        language=row["language"],
        backoffice=row["backoffice"],
        backoffice_reference=row["backoffice_reference"],
        needs_attention=bool(row["needs_attention"]),
        attention_reason=row["attention_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class CaseStore:
    """Creates and reads cases. Safe to share between coroutines and processes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(
        self, new_case: NewCase, idempotency_key: str, backoffice: Optional[str] = None,
        duplicate_of: Optional[int] = None,
    ) -> Case:
        """Store a case and its outbox row in one transaction.

        Idempotent: a second call with the same ``idempotency_key`` (the action
        retried, the resident's confirmation replayed) returns the first case.
        ``duplicate_of``: the open case the resident said theirs differs from.
        """
        existing = self.get_by_idempotency_key(idempotency_key)
        if existing is not None:
            return existing
        now = utcnow()
        values = asdict(new_case)
        # Where it is, for finding later reports of the same problem (bot/storage/duplicates.py).
        values.update(geocell=geocell.cell_for(new_case.latitude, new_case.longitude),
                      street_key=street_key(new_case.location_text), duplicate_of=duplicate_of)
        for _attempt in range(5):
            values.update(
                reference=references.new_reference(),
                idempotency_key=idempotency_key,
                status=RECEIVED,
                backoffice=backoffice,
                created_at=now,
                updated_at=now,
            )
            try:
                with self.engine.begin() as conn:
                    case_id = conn.execute(cases.insert().values(**values)).inserted_primary_key[0]
                    conn.execute(
                        case_updates.insert().values(
                            case_id=case_id, status=RECEIVED, source="resident", created_at=now
                        )
                    )
                    outbox_rows.enqueue(conn, case_id, now)
                return self._get(cases.c.id == case_id)  # type: ignore[return-value]
            except IntegrityError:
                # Either a concurrent call with the same key won (return its case)
                # or, very rarely, the random reference collided (try another).
                existing = self.get_by_idempotency_key(idempotency_key)
                if existing is not None:
                    return existing
        raise RuntimeError("could not allocate a unique case reference")

    def _get(self, condition: Any, conn: Optional[Connection] = None) -> Optional[Case]:
        query = select(cases).where(condition)
        if conn is not None:
            row = conn.execute(query).mappings().first()
        else:
            with self.engine.connect() as own:
                row = own.execute(query).mappings().first()
        return _row_to_case(row) if row else None

    def get(self, case_id: int) -> Optional[Case]:
        return self._get(cases.c.id == case_id)

    def get_by_reference(self, reference: str) -> Optional[Case]:
        return self._get(cases.c.reference == reference)

    def get_by_idempotency_key(self, key: str) -> Optional[Case]:
        return self._get(cases.c.idempotency_key == key)

    def for_conversation(self, conversation_id: str) -> List[Case]:
        query = select(cases).where(cases.c.conversation_id == conversation_id).order_by(cases.c.id)
        with self.engine.connect() as conn:
            return [_row_to_case(r) for r in conn.execute(query).mappings()]

    def history(self, case_id: int) -> List[Mapping[str, Any]]:
        query = select(case_updates).where(case_updates.c.case_id == case_id).order_by(case_updates.c.id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def record_status(
        self,
        case_id: int,
        status: str,
        source: str,
        note: Optional[str] = None,
        backoffice_reference: Optional[str] = None,
        conn: Optional[Connection] = None,
        backoffice: Optional[str] = None,
    ) -> bool:
        """Move a case forward to ``status``; never backwards. True if it changed.

        ``backoffice``: the back office it was delivered to (the worker, on delivery).

        Pass ``conn`` to make it part of the caller's transaction (the outbox
        worker records a delivery and its outbox row in one commit).
        """
        if status not in STATUS_ORDER:
            raise ValueError(f"unknown case status {status!r}")
        if conn is None:
            with self.engine.begin() as own:
                return self.record_status(case_id, status, source, note, backoffice_reference, conn=own,
                                          backoffice=backoffice)
        now = utcnow()
        current = conn.execute(select(cases.c.status).where(cases.c.id == case_id)).scalar_one()
        changes: dict[str, Any] = {"updated_at": now}
        if backoffice_reference:
            changes["backoffice_reference"] = backoffice_reference
        if backoffice:
            changes["backoffice"] = backoffice
        moves_forward = STATUS_ORDER.index(status) > STATUS_ORDER.index(current)
        if moves_forward:
            changes["status"] = status
        conn.execute(update(cases).where(cases.c.id == case_id).values(**changes))
        if moves_forward:
            conn.execute(
                case_updates.insert().values(case_id=case_id, status=status, note=note, source=source, created_at=now)
            )
        return moves_forward

    def flag_for_attention(self, case_id: int, reason: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(cases)
                .where(cases.c.id == case_id)
                .values(needs_attention=True, attention_reason=reason, updated_at=utcnow())
            )

    def clear_attention(self, case_id: int) -> bool:
        """Staff dealt with the problem the flag was about; True if the case was flagged."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(cases)
                .where(cases.c.id == case_id, cases.c.needs_attention.is_(True))
                .values(needs_attention=False, attention_reason=None, updated_at=utcnow())
            )
            return result.rowcount == 1

    def clear_delivery_flag(self, case_id: int, backoffice: str, conn: Connection) -> bool:
        """The case reached ``backoffice`` after all: its flag is cleared (in the caller's transaction,
        with the delivery) and what the flag said stays as a note. True if it was flagged."""
        flagged = conn.execute(select(cases.c.attention_reason).where(
            cases.c.id == case_id, cases.c.needs_attention.is_(True))).first()
        if flagged is None:
            return False
        now = utcnow()
        conn.execute(update(cases).where(cases.c.id == case_id)
                     .values(needs_attention=False, attention_reason=None, updated_at=now))
        conn.execute(case_notes.insert().values(
            case_id=case_id, staff_id=None, created_at=now,
            text=f"Delivered to {backoffice}, so the flag was cleared. It said: {flagged[0] or '-'}"))
        return True

    def add_note(self, case_id: int, staff_id: Optional[int], text: str) -> None:
        """An internal note by staff (never sent to the resident)."""
        with self.engine.begin() as conn:
            conn.execute(case_notes.insert().values(case_id=case_id, staff_id=staff_id, text=text, created_at=utcnow()))

    # -- residents' data rights (bot/privacy) ---------------------------------------
    # A case's record is the case and every row that hangs off it by case_id
    # (its updates, its outbox row, the notifications about it): the case store
    # answers for all of them.
    def find_ids(
        self,
        conversation_ids: Iterable[str] = (),
        phones: Iterable[str] = (),
        emails: Iterable[str] = (),
        references: Iterable[str] = (),
    ) -> List[int]:
        """Cases of these conversations, or with these contact details or references."""
        conditions = []
        for column, values in ((cases.c.conversation_id, conversation_ids), (cases.c.contact_phone, phones),
                               (cases.c.reference, references)):
            values = sorted(set(values))
            if values:
                conditions.append(column.in_(values))
        emails = sorted({e.lower() for e in emails})
        if emails:
            conditions.append(func.lower(cases.c.contact_email).in_(emails))
        if not conditions:
            return []
        with self.engine.connect() as conn:
            return [row[0] for row in conn.execute(select(cases.c.id).where(or_(*conditions)).order_by(cases.c.id))]

    def export(self, case_ids: Sequence[int]) -> List[Dict[str, Any]]:
        """Each case's full row, with its updates, delivery (outbox) row and notifications."""
        found: List[Dict[str, Any]] = []
        with self.engine.connect() as conn:
            for case_id in case_ids:
                row = conn.execute(select(cases).where(cases.c.id == case_id)).mappings().first()
                if row is None:
                    continue
                record = dict(row)
                record["updates"] = [dict(r) for r in conn.execute(
                    select(case_updates).where(case_updates.c.case_id == case_id).order_by(case_updates.c.id)
                ).mappings()]
                delivery = conn.execute(select(outbox).where(outbox.c.case_id == case_id)).mappings().first()
                record["delivery"] = dict(delivery) if delivery else None
                record["notifications"] = [dict(r) for r in conn.execute(
                    select(notifications).where(notifications.c.case_id == case_id).order_by(notifications.c.id)
                ).mappings()]
                record["staff_notes"] = [dict(r) for r in conn.execute(
                    select(case_notes).where(case_notes.c.case_id == case_id).order_by(case_notes.c.id)
                ).mappings()]
                found.append(record)
        return found

    def erase(self, case_ids: Sequence[int], dry_run: bool = False) -> Dict[str, int]:
        """Delete these cases and everything hanging off them; how many rows of each went."""
        ids = sorted(set(case_ids))
        counts: Dict[str, int] = {}
        with self.engine.begin() as conn:
            counts["notifications"] = notification_rows.erase_for_cases(conn, ids, dry_run)
            counts["deliveries"] = outbox_rows.erase_for_cases(conn, ids, dry_run)
            for name, table in (("case updates", case_updates), ("staff notes", case_notes), ("cases", cases)):
                column = table.c.id if table is cases else table.c.case_id
                if not ids:
                    counts[name] = 0
                elif dry_run:
                    counts[name] = conn.execute(select(func.count()).select_from(table).where(column.in_(ids))).scalar() or 0
                else:
                    counts[name] = conn.execute(delete(table).where(column.in_(ids))).rowcount or 0
        return counts


# ----- for other stores' transactions -------------------------------------------------------------
def set_media(conn: Connection, case_id: int, media_urls: List[str], now: Any) -> None:
    """The case's photos, all of them (bot/storage/photo_links.py, in the transaction that uses the link)."""
    conn.execute(update(cases).where(cases.c.id == case_id).values(media_urls=media_urls, updated_at=now))


def anonymise(conn: Connection, case_id: int, postcode_district: Optional[str]) -> None:
    """Remove what identifies a closed case's resident or place, keeping what it was about (bot/retention.py)."""
    conn.execute(update(cases).where(cases.c.id == case_id).values(
        location_text=None, latitude=None, longitude=None, description=None, details={},
        contact_phone=None, contact_email=None, media_urls=[], attention_reason=None,
        postcode=postcode_district, geocell=None, street_key=None,
        usrn=None, place_latitude=None, place_longitude=None, place_note=None,
    ))
    # Followers' own words about the place and the problem go too (the count stays).
    conn.execute(update(followers).where(followers.c.case_id == case_id).values(location_text=None, description=None))

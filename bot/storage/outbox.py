"""Outbox rows: claiming them for delivery or a status check, and recording what happened.

This module owns the ``outbox`` table: nothing else writes it. The case store
adds a case's row through :func:`enqueue` (in the case's own transaction) and
erases it through :func:`erase_for_cases`; the delivery worker
(bot/outbox/worker.py) and the console go through :class:`OutboxStore`.

Exactly-once delivery with several workers rests on three things:

* a claim is a lease (``claimed_by``, ``claimed_until``) taken in a short
  transaction; on PostgreSQL the rows are picked with ``FOR UPDATE SKIP
  LOCKED`` so concurrent workers never pick the same row; on SQLite only one
  worker is active at a time (bot/outbox/lock.py);
* every result is written only while the writer still holds the lease;
* ``attempts`` counts attempts *started*, so after a crash mid-delivery the
  next worker knows a request may already be at the back office and looks it
  up by our reference before sending again (bot/outbox/worker.py).

The clock is injected, so tests simulate hours of outage without sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Dict, List, Optional, Tuple

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.engine import Connection, Engine

from bot.cases.model import CLOSED, SENT, STATUS_ORDER, Case, Submission
from bot.storage import cases as case_rows  # the module, not its names: the case store calls back into this one
from bot.storage.schema import cases, outbox
from bot.storage.times import aware, utcnow

Clock = Callable[[], datetime]

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
# How many attempts the row remembers, newest last (the console's case page lists them with their errors).
ATTEMPT_LOG_SIZE = 20


def enqueue(conn: Connection, case_id: int, now: datetime) -> None:
    """A new case's row, due now (in the caller's transaction: the case and its row go together)."""
    conn.execute(outbox.insert().values(
        case_id=case_id, state=PENDING, attempts=0, next_attempt_at=now, created_at=now, updated_at=now,
    ))


def erase_for_cases(conn: Connection, case_ids: List[int], dry_run: bool = False) -> int:
    """Delete (or, dry run, count) these cases' rows, in the caller's transaction (bot/privacy)."""
    if not case_ids:
        return 0
    where = outbox.c.case_id.in_(case_ids)
    if dry_run:
        return conn.execute(select(func.count()).select_from(outbox).where(where)).scalar() or 0
    return conn.execute(delete(outbox).where(where)).rowcount or 0


@dataclass(frozen=True)
class Job:
    """One claimed outbox row and its case."""

    outbox_id: int
    case: Case
    attempts: int  # attempts started, including this one
    token: Optional[str]
    last_error: Optional[str]
    # Not None: an earlier attempt may have reached the back office; look-ups that found nothing since.
    uncertain_lookups: Optional[int] = None


class OutboxStore:
    def __init__(self, engine: Engine, clock: Clock = utcnow) -> None:
        self.engine = engine
        self.clock = clock
        self.skip_locked = engine.dialect.name == "postgresql"

    def _pick(self, conn: Connection, condition: object, order: object, limit: int) -> List[int]:
        query = select(outbox.c.id).where(condition).order_by(order, outbox.c.id).limit(limit)
        if self.skip_locked:
            query = query.with_for_update(skip_locked=True)
        return list(conn.execute(query).scalars())

    def _jobs(self, conn: Connection, ids: List[int]) -> List[Job]:
        if not ids:
            return []
        rows = conn.execute(
            select(outbox.c.id.label("outbox_id"), outbox.c.attempts, outbox.c.backoffice_token, outbox.c.last_error,
                   outbox.c.uncertain_lookups, cases)
            .join(cases, cases.c.id == outbox.c.case_id)
            .where(outbox.c.id.in_(ids))
            .order_by(outbox.c.id)
        ).mappings()
        return [
            Job(r["outbox_id"], case_rows._row_to_case(r), r["attempts"], r["backoffice_token"], r["last_error"],
                r["uncertain_lookups"])
            for r in rows
        ]

    def _free(self, now: datetime) -> object:
        return or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now)

    # -- delivery ---------------------------------------------------------------------
    def claim_deliveries(self, worker: str, limit: int, lease_seconds: float) -> List[Job]:
        """Take up to ``limit`` due pending rows, oldest first, and count an attempt on each."""
        now = self.clock()
        with self.engine.begin() as conn:
            ids = self._pick(
                conn,
                and_(outbox.c.state == PENDING, outbox.c.next_attempt_at <= now, self._free(now)),
                outbox.c.next_attempt_at,
                limit,
            )
            if ids:
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(ids))
                    .values(
                        claimed_by=worker,
                        claimed_until=now + timedelta(seconds=lease_seconds),
                        attempts=outbox.c.attempts + 1,
                        updated_at=now,
                    )
                )
            return self._jobs(conn, ids)

    def _logged(self, conn: Connection, job: Job, outcome: str, error: Optional[str]) -> List[Dict[str, object]]:
        """The row's attempt log with this attempt added (the newest ATTEMPT_LOG_SIZE), for the case page."""
        log = conn.execute(select(outbox.c.attempt_log).where(outbox.c.id == job.outbox_id)).scalar() or []
        entry = {"attempt": job.attempts, "at": self.clock().isoformat(), "outcome": outcome,
                 "error": (error or "")[:500] or None}
        return (list(log) + [entry])[-ATTEMPT_LOG_SIZE:]

    def _finish(self, job: Job, worker: str, outcome: Optional[str] = None, **values: object) -> bool:
        """Write a result if ``worker`` still holds the lease; False if it lost it."""
        with self.engine.begin() as conn:
            if outcome:
                values["attempt_log"] = self._logged(conn, job, outcome, values.get("last_error"))  # type: ignore[arg-type]
            result = conn.execute(
                update(outbox)
                .where(outbox.c.id == job.outbox_id, outbox.c.claimed_by == worker)
                .values(claimed_by=None, claimed_until=None, updated_at=self.clock(), **values)
            )
            return result.rowcount == 1

    def mark_delivered(
        self,
        job: Job,
        worker: str,
        backoffice: str,
        submission: Submission,
        next_poll_at: Optional[datetime],
        case_store: "case_rows.CaseStore",
    ) -> Tuple[bool, bool]:
        """Record a delivery: case status and reference, outbox row, in one transaction.

        Returns (status moved forward, lease still held). A lost lease means
        another worker took the row over; the case is recorded all the same.
        """
        status = submission.status if submission.status in STATUS_ORDER else SENT
        with self.engine.begin() as conn:
            moved = case_store.record_status(
                job.case.id, status, source=backoffice, note=f"Delivered to {backoffice}",
                backoffice_reference=submission.backoffice_reference, backoffice=backoffice, conn=conn,
            )
            # A flag raised while delivery failed is about nothing any more (the console's needs-attention view).
            case_store.clear_delivery_flag(job.case.id, backoffice, conn)
            result = conn.execute(
                update(outbox)
                .where(outbox.c.id == job.outbox_id, outbox.c.claimed_by == worker)
                .values(
                    claimed_by=None, claimed_until=None, updated_at=self.clock(), state=DELIVERED, last_error=None,
                    backoffice_token=submission.token, next_poll_at=next_poll_at, uncertain_lookups=None,
                    attempt_log=self._logged(conn, job, "delivered", None),
                )
            )
            return moved, result.rowcount == 1

    def mark_failed(
        self, job: Job, worker: str, reason: str, next_attempt_at: datetime, uncertain_lookups: Optional[int] = None
    ) -> bool:
        """A temporary failure: stays pending, tried again at ``next_attempt_at``.

        ``uncertain_lookups`` given: the case may be at the back office, so from
        now on it is only looked up (that many look-ups found nothing so far).
        """
        extra = {} if uncertain_lookups is None else {"uncertain_lookups": uncertain_lookups}
        return self._finish(job, worker, "failed", state=PENDING, last_error=reason, next_attempt_at=next_attempt_at,
                            **extra)

    def mark_rejected(self, job: Job, worker: str, reason: str) -> bool:
        """The back office refused it: no more automatic attempts (staff re-queue it)."""
        return self._finish(job, worker, "refused", state=FAILED, last_error=reason)

    def claim_probe(self, worker: str, categories: List[str], lease_seconds: float) -> List[Job]:
        """The longest-waiting pending case of these categories, due or not: a probe of a failing back office."""
        now = self.clock()
        with self.engine.begin() as conn:
            ids = self._pick(
                conn,
                and_(
                    outbox.c.state == PENDING,
                    self._free(now),
                    outbox.c.case_id.in_(select(cases.c.id).where(cases.c.category.in_(categories))),
                ),
                outbox.c.created_at,
                1,
            )
            if ids:
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(ids))
                    .values(
                        claimed_by=worker, claimed_until=now + timedelta(seconds=lease_seconds),
                        attempts=outbox.c.attempts + 1, updated_at=now,
                    )
                )
            return self._jobs(conn, ids)

    def bring_forward(self, categories: List[str]) -> int:
        """Make waiting cases of these categories due now (their back office is back)."""
        now = self.clock()
        with self.engine.begin() as conn:
            result = conn.execute(
                update(outbox)
                .where(
                    outbox.c.state == PENDING,
                    outbox.c.next_attempt_at > now,
                    outbox.c.case_id.in_(select(cases.c.id).where(cases.c.category.in_(categories))),
                )
                .values(next_attempt_at=now, updated_at=now)
            )
            return result.rowcount

    # -- status polling ------------------------------------------------------------------
    def claim_polls(self, worker: str, limit: int, lease_seconds: float) -> List[Job]:
        """Delivered, not yet closed cases due a status check; their next check moves past the lease."""
        now = self.clock()
        with self.engine.begin() as conn:
            open_case = select(cases.c.id).where(cases.c.id == outbox.c.case_id, cases.c.status != CLOSED).exists()
            ids = self._pick(
                conn,
                and_(outbox.c.state == DELIVERED, outbox.c.next_poll_at <= now, open_case),
                outbox.c.next_poll_at,
                limit,
            )
            if ids:
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(ids))
                    .values(next_poll_at=now + timedelta(seconds=lease_seconds), updated_at=now)
                )
            return self._jobs(conn, ids)

    def schedule_poll(
        self, job: Job, at: Optional[datetime], token: Optional[str], error: Optional[str] = None
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == job.outbox_id)
                .values(next_poll_at=at, backoffice_token=token, last_error=error, updated_at=self.clock())
            )

    # -- staff and monitoring ---------------------------------------------------------------
    def requeue(self, case_id: int) -> bool:
        """Send a failed (or stuck) case again now, e.g. after staff fixed an API key.

        Staff decide: a case that may already be at the back office (uncertain)
        is sent again after one more look-up.
        """
        now = self.clock()
        with self.engine.begin() as conn:
            result = conn.execute(
                update(outbox)
                .where(outbox.c.case_id == case_id, outbox.c.state != DELIVERED)
                .values(state=PENDING, next_attempt_at=now, claimed_by=None, claimed_until=None, updated_at=now,
                        uncertain_lookups=None)
            )
            return result.rowcount == 1

    def counts(self) -> Dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state)).all()
            flagged = conn.execute(select(func.count()).where(cases.c.needs_attention.is_(True))).scalar_one()
        found = {state: count for state, count in rows}
        return {PENDING: found.get(PENDING, 0), DELIVERED: found.get(DELIVERED, 0), FAILED: found.get(FAILED, 0),
                "flagged": flagged}

    def pending_by_backoffice(self, route: Callable[[str], Optional[str]]) -> Dict[str, Tuple[int, float]]:
        """For each back office: cases not yet delivered, and the oldest one's age in seconds.

        A case not yet sent names no back office; ``route`` says where its category goes.
        """
        now = self.clock()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(cases.c.backoffice, cases.c.category, func.count(), func.min(outbox.c.created_at))
                .join(cases, cases.c.id == outbox.c.case_id)
                .where(outbox.c.state == PENDING).group_by(cases.c.backoffice, cases.c.category)
            ).all()
        found: Dict[str, Tuple[int, float]] = {}
        for backoffice, category, count, oldest in rows:
            name = backoffice or route(category) or "unrouted"
            age = max(0.0, (now - aware(oldest)).total_seconds()) if oldest else 0.0
            total, older = found.get(name, (0, 0.0))
            found[name] = (total + count, max(older, age))
        return found

    def row(self, case_id: int) -> Optional[Dict[str, object]]:
        with self.engine.connect() as conn:
            found = conn.execute(select(outbox).where(outbox.c.case_id == case_id)).mappings().first()
            return dict(found) if found else None

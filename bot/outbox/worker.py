"""The delivery loop: one round claims due cases, delivers them, reads statuses.

What happens to a case, by outcome of its delivery attempt:

* delivered: status ``sent`` (or what the back office said), its reference
  kept, status polling starts;
* temporary failure (down, slow, 502/503/504, 429): retried after an
  exponentially growing, jittered delay; after ``max_attempts`` failures the
  case is flagged for staff with the count and the last reason, and retries
  continue at the longest interval, so nothing is dropped;
* uncertain (time-out after sending, an unreadable reply, a 500): the case
  may be at the back office, so it is never sent again by the worker. It is
  looked up by our reference (if the back office can be searched) and
  adopted when found; after ``max_uncertain_lookups`` look-ups that found
  nothing, or at once if it cannot be searched, it is flagged for staff and
  waits for a re-queue. (A back office whose submit is idempotent, email
  with a fixed Message-ID, is simply sent again.);
* rejected (bad API key, unknown service, invalid data): flagged for staff
  at once, no automatic retries (``python -m bot.outbox requeue REF``).

What a back office can do (look-ups, tokens, status, contact details) comes
from its ``capabilities`` (bot/backoffice/base.py). A status look-up the
back office answers "no such request" is logged and flagged once.

When one case to a back office fails temporarily, the round's other cases
for that back office are not sent (they would only hit the same outage);
they are rescheduled with the same delay. Before any repeated attempt the
back office is asked whether it already holds the case (our reference), so
a request stored just before a time-out is never sent twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Dict, List, Optional

from bot import metrics
from bot.backoffice.base import CaseSystem
from bot.cases.model import STATUS_ORDER, SENT, Case, Submission
from bot.backoffice.errors import DeliveryError, Rejected, TemporaryFailure, Uncertain, Vanished
from bot.json_logs import set_conversation
from bot.outbox.further_reports import FurtherReports
from bot.outbox.notify import RasaNotifier, kind_for
from bot.storage.outbox import Clock, Job, OutboxStore, utcnow
from bot.storage.times import aware
from bot.routing import Routing
from bot.settings import Settings
from bot.storage.cases import CaseStore
from bot.storage.followers import FollowerStore

if TYPE_CHECKING:  # made by the worker's entry point (bot/outbox/__main__.py), which wires the services
    from bot.analytics.background import RollupRefresher

logger = logging.getLogger(__name__)

# After a back office recovers, waiting cases are brought forward at most this often.
RECOVERY_QUIET_SECONDS = 30
# A failing back office is tried with one case at least this often, whatever the back-off.
PROBE_SECONDS = 30
# A back office that answered with a token only and has given no request id for it this long is reported.
TOKEN_UNRESOLVED_HOURS = 24


def contact_not_kept_note(name: str, case: Case) -> str:
    """For staff, on a case whose back office dropped the contact details the resident gave."""
    given = " and ".join(kind for kind, value in (("phone number", case.contact_phone), ("email", case.contact_email)) if value)
    return (f"{name} cannot store contact details, so the resident's {given} did not go with the case. "
            "They agreed to be contacted: pass the details on from this case if the team needs them.")


def retry_delay(failures: int, base: float, cap: float, rng: random.Random) -> float:
    """Seconds before the next attempt: doubling from ``base`` up to ``cap``, "equal jitter".

    Half the delay is fixed, half random, so retries of many cases after an
    outage spread out instead of arriving together, yet never come too soon.
    """
    delay = min(cap, base * (2 ** max(0, failures - 1)))
    return delay / 2 + rng.uniform(0, delay / 2)


class DeliveryWorker:
    def __init__(
        self,
        store: OutboxStore,
        case_store: CaseStore,
        routing: Routing,
        systems: Dict[str, CaseSystem],
        settings: Settings,
        notifier: Optional[RasaNotifier] = None,
        clock: Clock = utcnow,
        rng: Optional[random.Random] = None,
        worker_id: Optional[str] = None,
        analytics: Optional["RollupRefresher"] = None,
    ) -> None:
        self.store = store
        self.cases = case_store
        self.routing = routing
        self.systems = systems
        self.settings = settings
        self.notifier = notifier
        self.clock = clock
        self.rng = rng or random.Random()
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:80]
        # Longest a delivery can take (submit + duplicate check), plus margin: the lease.
        slowest = max((s.timeout_seconds for s in systems.values()), default=30.0)
        self.lease_seconds = 2 * slowest + 30
        self._recoveries: Dict[str, datetime] = {}
        self.further_reports = FurtherReports(FollowerStore(case_store.engine), case_store, routing, systems, clock)
        self._failing: Dict[str, datetime] = {}  # back office -> when it was last probed
        self.analytics = analytics  # keeps the analytics rollup fresh, every few minutes

    # -- delivery --------------------------------------------------------------------------
    async def deliver_due(self) -> int:
        """One round of deliveries; returns how many cases were claimed."""
        jobs = self.store.claim_deliveries(self.worker_id, self.settings.outbox_batch_size, self.lease_seconds)
        jobs += self._probes({self.routing.backoffice_for(job.case.category) for job in jobs})
        groups: Dict[str, List[Job]] = defaultdict(list)
        for job in jobs:
            groups[self.routing.backoffice_for(job.case.category)].append(job)
        await asyncio.gather(*(self._deliver_group(name, group) for name, group in groups.items()))
        return len(jobs)

    async def _deliver_group(self, name: str, jobs: List[Job]) -> None:
        system = self.systems[name]
        outage: Dict[str, str] = {}  # set once this round's first temporary failure is seen
        limit = asyncio.Semaphore(self.settings.outbox_concurrency)

        async def one(job: Job) -> None:
            set_conversation(job.case.conversation_id)  # this task's log lines name the case's conversation
            async with limit:
                if outage:
                    self._failed(job, name, f"not tried: {name} is failing this round ({outage['reason']})", trip=False)
                    return
                reason = await self._deliver(job, name, system)
                if reason is not None and not outage:
                    outage["reason"] = reason

        await asyncio.gather(*(one(job) for job in jobs))

    async def _deliver(self, job: Job, name: str, system: CaseSystem) -> Optional[str]:
        """Deliver one case; returns the reason if it failed temporarily (else None)."""
        case = job.case
        capabilities = system.capabilities
        uncertain = job.uncertain_lookups is not None
        sending = False
        try:
            submission: Optional[Submission] = None
            if uncertain and not capabilities.finds_existing and not capabilities.idempotent_submit:
                self._give_up_uncertain(job, name, job.last_error, f"{name} cannot be searched for it")
                return None
            if (uncertain or job.attempts > 1) and capabilities.finds_existing:
                submission = await self._look_up(case, name, system)
                if submission is not None:
                    logger.info("Case %s is already at %s (found by reference); not sending it again", case.reference, name)
                elif uncertain:  # it may be there all the same (a search that hides new requests): never send blindly
                    self._not_found_yet(job, name)
                    return None
            if submission is None:
                sending = True
                submission = await system.submit(case)
        except Rejected as error:
            self._rejected(job, name, error.reason)
            return None
        except Uncertain as error:
            if not (capabilities.finds_existing or capabilities.idempotent_submit):
                self._give_up_uncertain(job, name, error.reason, f"{name} cannot be searched for it")
                return error.reason
            self._failed(job, name, error.reason, trip=True, uncertain=True)
            return error.reason
        except DeliveryError as error:
            self._failed(job, name, error.reason, trip=True)
            return error.reason
        except Exception as error:  # a bug or an unexpected reply must not stop the worker
            logger.exception("Unexpected error delivering case %s to %s", case.reference, name)
            reason = f"unexpected error in the {name} adapter ({type(error).__name__})"
            # Raised while sending, it may have come after the back office stored the case: as uncertain.
            self._failed(job, name, reason, trip=True, uncertain=sending)
            return reason
        await self._delivered(job, name, system, submission)
        return None

    @staticmethod
    async def _look_up(case: Case, name: str, system: CaseSystem) -> Optional[Submission]:
        try:
            return await system.find_existing(case)
        except Rejected as error:
            # Sending again unchecked could duplicate the case; keep retrying and say why.
            raise TemporaryFailure(
                f"duplicate check failed ({error.reason}); if {name} cannot search requests, "
                "set lookup: none for it in the routing file"
            ) from None

    async def _delivered(self, job: Job, name: str, system: CaseSystem, submission: Submission) -> None:
        case = job.case
        status = submission.status if submission.status in STATUS_ORDER else SENT
        polls = system.capabilities.polls_status
        next_poll = self.clock() + timedelta(seconds=self.settings.outbox_status_poll_seconds) if polls else None
        if submission.token and not submission.backoffice_reference:
            next_poll = self.clock() + timedelta(seconds=self.settings.outbox_backoff_seconds)
        moved, held = self.store.mark_delivered(job, self.worker_id, name, submission, next_poll, self.cases)
        if not held:
            logger.warning("Case %s: lease lost while delivering (another worker took over)", case.reference)
        logger.info(
            "Delivered case %s to %s (their reference %s, attempt %d)",
            case.reference, name, submission.backoffice_reference or submission.token or "none", job.attempts,
        )
        if job.last_error is not None or name in self._failing:
            self._recovered(name)
        if not system.capabilities.stores_contact and case.contact_consent and (case.contact_phone or case.contact_email):
            self.cases.add_note(case.id, None, contact_not_kept_note(name, case))
        kind = kind_for(status) if moved else None
        if kind and self.notifier:
            updated = self.cases.get(case.id) or case
            await self.notifier.notify(updated, kind)

    def _categories(self, name: str) -> List[str]:
        return [c for c, route in self.routing.routes.items() if route.backoffice == name]

    def _probes(self, busy: set) -> List[Job]:
        """One case for each failing back office not probed for PROBE_SECONDS (none already in this round).

        Back-off spaces out each case's attempts; without probes a back office
        that recovers would wait for the next scheduled attempt, up to the
        longest back-off. A probe that succeeds brings the others forward.
        """
        now = self.clock()
        jobs: List[Job] = []
        for name, last in list(self._failing.items()):
            if name in busy or (now - last).total_seconds() < PROBE_SECONDS:
                continue
            self._failing[name] = now
            jobs += self.store.claim_probe(self.worker_id, self._categories(name), self.lease_seconds)
        return jobs

    def _recovered(self, name: str) -> None:
        """A back office that was failing took a case: its other waiting cases need not sit out their back-off."""
        now = self.clock()
        last = self._recoveries.get(name)
        if last is not None and (now - last).total_seconds() < RECOVERY_QUIET_SECONDS:
            return
        self._recoveries[name] = now
        self._failing.pop(name, None)
        moved = self.store.bring_forward(self._categories(name))
        if moved:
            logger.info("%s is accepting cases again; %d waiting cases brought forward", name, moved)

    def _failed(self, job: Job, name: str, reason: str, trip: bool, uncertain: bool = False) -> None:
        case = job.case
        delay = retry_delay(
            job.attempts, self.settings.outbox_backoff_seconds, self.settings.outbox_backoff_max_seconds, self.rng
        )
        next_at = self.clock() + timedelta(seconds=delay)
        lookups = (job.uncertain_lookups or 0) if uncertain else None
        self.store.mark_failed(job, self.worker_id, reason, next_at, uncertain_lookups=lookups)
        metrics.DELIVERY_FAILURES.labels(metrics.label(name), "retry").inc()
        if trip:
            self._failing.setdefault(name, self.clock())
            logger.warning(
                "Delivery of case %s to %s failed (attempt %d%s): %s; next try in %.0f s",
                case.reference, name, job.attempts, ", may have arrived" if uncertain else "", reason, delay,
            )
        if job.attempts >= self.settings.outbox_max_attempts and not case.needs_attention:
            self.cases.flag_for_attention(
                case.id,
                f"Delivery to {name} has failed {job.attempts} times; last reason: {reason}. "
                "The worker keeps retrying; check the back office.",
            )
            logger.error("Case %s flagged for staff after %d failed deliveries to %s", case.reference, job.attempts, name)

    def _not_found_yet(self, job: Job, name: str) -> None:
        """An uncertain case was looked up and not found: look again later, or hand it to staff."""
        lookups = (job.uncertain_lookups or 0) + 1
        if lookups >= self.settings.outbox_max_uncertain_lookups:
            self._give_up_uncertain(job, name, job.last_error, f"{lookups} look-ups by our reference found nothing "
                                    "(its search may hide new requests, e.g. ones held for moderation)")
            return
        delay = retry_delay(lookups, self.settings.outbox_backoff_seconds, self.settings.outbox_backoff_max_seconds, self.rng)
        # last_error keeps saying why it is uncertain; the count is the row's uncertain_lookups.
        self.store.mark_failed(job, self.worker_id, job.last_error or f"may have reached {name}",
                               self.clock() + timedelta(seconds=delay), uncertain_lookups=lookups)
        logger.warning("Case %s not found at %s (look-up %d); not sending it again", job.case.reference, name, lookups)

    def _give_up_uncertain(self, job: Job, name: str, cause: Optional[str], why: str) -> None:
        """It may be at the back office and cannot be confirmed: no more automatic attempts, staff check."""
        case = job.case
        reason = (f"Delivery to {name} may have arrived but could not be confirmed ({cause or 'no reply'}); {why}. "
                  f"Not sent again automatically, so it is never duplicated: look for reference {case.reference} "
                  f"at {name}, then re-queue the case if it is not there.")
        self.store.mark_rejected(job, self.worker_id, reason[:1000])
        metrics.DELIVERY_FAILURES.labels(metrics.label(name), "uncertain").inc()
        self.cases.flag_for_attention(case.id, reason)
        logger.error("Case %s flagged for staff: it may be at %s but could not be confirmed", case.reference, name)

    def _rejected(self, job: Job, name: str, reason: str) -> None:
        case = job.case
        self.store.mark_rejected(job, self.worker_id, reason)
        metrics.DELIVERY_FAILURES.labels(metrics.label(name), "rejected").inc()
        self.cases.flag_for_attention(
            case.id,
            f"{name} refused the case (attempt {job.attempts}): {reason}. Not retried automatically; "
            "fix the cause, then re-queue it.",
        )
        logger.error("Case %s refused by %s: %s", case.reference, name, reason)

    # -- status ------------------------------------------------------------------------------
    async def poll_due(self) -> int:
        """One round of status checks; returns how many cases were checked."""
        jobs = self.store.claim_polls(self.worker_id, self.settings.outbox_batch_size, self.lease_seconds)
        limit = asyncio.Semaphore(self.settings.outbox_concurrency)

        async def one(job: Job) -> None:
            set_conversation(job.case.conversation_id)
            async with limit:
                await self._poll(job)

        await asyncio.gather(*(one(job) for job in jobs))
        return len(jobs)

    async def _poll(self, job: Job) -> None:
        case = job.case
        name = case.backoffice or self.routing.backoffice_for(case.category)
        system = self.systems.get(name)
        if system is None or not system.capabilities.polls_status:
            self.store.schedule_poll(job, None, job.token)
            return
        interval = timedelta(seconds=self.settings.outbox_status_poll_seconds)
        token = job.token
        try:
            if token and not case.backoffice_reference:
                resolves = system.capabilities.resolves_tokens
                reference = await system.resolve_token(case, token) if resolves else None
                if reference is None:
                    self.store.schedule_poll(job, self.clock() + interval, token, error=self._unresolved(job, name))
                    return
                self.cases.record_status(case.id, SENT, source=name, backoffice_reference=reference)
                case = self.cases.get(case.id) or case
                token = None
            update = await system.fetch_status(case)
        except Vanished as error:
            # Say so once (log and flag), not on every poll; keep checking in case it comes back.
            said = f"status check: {error.reason}"
            if job.last_error != said:
                logger.warning("Case %s: %s", case.reference, error.reason)
                self.cases.flag_for_attention(
                    case.id, f"{error.reason}. The resident has not been told; check the case there.")
            self.store.schedule_poll(job, self.clock() + interval, token, error=said)
            return
        except DeliveryError as error:
            logger.warning("Status check of case %s at %s failed: %s", case.reference, name, error.reason)
            self.store.schedule_poll(job, self.clock() + interval, token, error=f"status check: {error.reason}")
            return
        except Exception as error:
            logger.exception("Unexpected error checking case %s at %s", case.reference, name)
            self.store.schedule_poll(job, self.clock() + interval, token, error=f"status check: {type(error).__name__}")
            return
        moved = False
        if update is not None:
            moved = self.cases.record_status(
                case.id, update.status, source=name, note=update.note, backoffice_reference=update.backoffice_reference
            )
        current = self.cases.get(case.id) or case
        finished = current.status == STATUS_ORDER[-1]
        self.store.schedule_poll(job, None if finished else self.clock() + interval, token)
        if moved and update is not None and self.notifier:
            kind = kind_for(update.status)
            if kind:
                await self.notifier.notify(current, kind, update.note)

    def _unresolved(self, job: Job, name: str) -> Optional[str]:
        """A token still without a request id after TOKEN_UNRESOLVED_HOURS: said once (log and flag), then kept."""
        said = f"status check: {name} has given no request id for its token after {TOKEN_UNRESOLVED_HOURS} hours"
        if job.last_error == said:
            return said
        delivered = aware(job.case.updated_at)
        if delivered is None or self.clock() - delivered < timedelta(hours=TOKEN_UNRESOLVED_HOURS):
            return None
        logger.warning("Case %s: %s", job.case.reference, said)
        self.cases.flag_for_attention(job.case.id, f"{said[len('status check: '):]}; it may not know the request. "
                                      "The resident has not been told; check the case there.")
        return said

    # -- the loop -------------------------------------------------------------------------------
    async def run_once(self) -> Dict[str, int]:
        delivered = await self.deliver_due()
        polled = await self.poll_due()
        retried = await self.notifier.retry_due() if self.notifier else 0
        # "Me too" reports to the back offices of delivered cases (bot/outbox/further_reports.py).
        further = await self.further_reports.pass_on()
        # Last, and it never raises (bot/analytics/background.py): deliveries come first.
        analytics = await self.analytics.maybe_refresh() if self.analytics else 0
        return {"claimed": delivered, "polled": polled, "notifications_retried": retried, "further_reports": further,
                "analytics_events": analytics}

    async def run(self, stop: asyncio.Event, idle_seconds: float = 1.0) -> None:
        """Work until ``stop`` is set; sleeps only when a round found nothing to do."""
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception:  # the database may be briefly unavailable; never die silently
                logger.exception("Outbox round failed; trying again shortly")
                done = {}
            if not any(done.values()):
                try:
                    await asyncio.wait_for(stop.wait(), timeout=idle_seconds)
                except asyncio.TimeoutError:
                    pass

    async def close(self) -> None:
        for system in self.systems.values():
            await system.close()
        if self.notifier is not None:
            await self.notifier.close()

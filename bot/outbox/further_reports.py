"""Passing "me too" reports on: each follower of a case becomes a further report to its back office.

A follower (bot/storage/followers.py) waits ``pending`` until its case has
been delivered, then goes to the case's back office as a further report, if
that back office can take one (``capabilities.adds_reports``: the email
adapter sends an email in the case's thread; the built-in store has it
already). GeoReport v2 (Open311) has no call for it, so for those back offices
the follower is recorded ``not_supported``: staff see the count on the
console's case page and pass it on by hand if it matters.

A back office that is down keeps the report ``pending``; they are tried at
most once every ``ROUND_SECONDS``, so an outage is not hammered. A refusal is
recorded ``failed`` with the reason.
"""

from __future__ import annotations

import logging
from typing import Callable, Dict, Optional

from bot.backoffice.base import CaseSystem, FurtherReport
from bot.backoffice.errors import Rejected
from bot.cases.model import RECEIVED
from bot.routing import Routing
from bot.storage.cases import CaseStore
from bot.storage.followers import FAILED, NOT_SUPPORTED, SENT, FollowerStore
from bot.storage.times import utcnow

logger = logging.getLogger(__name__)

ROUND_SECONDS = 60.0
BATCH = 20


class FurtherReports:
    """One worker's passing-on of followers' reports (called every round, acts once a minute)."""

    def __init__(self, followers: FollowerStore, cases: CaseStore, routing: Routing,
                 systems: Dict[str, CaseSystem], clock: Callable = utcnow) -> None:
        self.followers = followers
        self.cases = cases
        self.routing = routing
        self.systems = systems
        self.clock = clock
        self._last: Optional[float] = None

    async def pass_on(self, force: bool = False) -> int:
        """Pass on the waiting reports whose cases are delivered; how many were settled."""
        now = self.clock().timestamp()
        if not force and self._last is not None and now - self._last < ROUND_SECONDS:
            return 0
        self._last = now
        settled = 0
        for follower in self.followers.pending_for_backoffice(BATCH):
            case = self.cases.get(follower.case_id)
            if case is None or case.status == RECEIVED:
                continue  # the back office must hold the case first
            name = case.backoffice or self.routing.backoffice_for(case.category)
            system = self.systems.get(name)
            if system is None or not system.capabilities.adds_reports:
                settled += self.followers.record_backoffice(
                    follower.id, NOT_SUPPORTED,
                    f"{name} cannot take further reports; staff see the followers on the case page")
                continue
            report = FurtherReport(follower.id, follower.channel, follower.created_at, follower.location_text,
                                   follower.description, self.followers.count(case.id))
            try:
                await system.add_report(case, report)
            except Rejected as refused:
                logger.warning("Back office %s refused a further report of case %s: %s", name, case.reference, refused)
                settled += self.followers.record_backoffice(follower.id, FAILED, str(refused)[:500])
                continue
            except Exception as error:  # down or slow: stays pending for a later round
                logger.warning("Could not pass a further report of case %s to %s (%s); will retry",
                               case.reference, name, type(error).__name__)
                continue
            settled += self.followers.record_backoffice(follower.id, SENT, f"passed to {name}")
            logger.info("Further report of case %s passed to %s", case.reference, name)
        return settled

"""Keeps the analytics rollup fresh from a running service: the delivery worker calls it every round.

Without it the rollup only catches up when someone opens the dashboard (a
bounded number of events per page) or runs ``python -m bot.analytics``.
:meth:`RollupRefresher.maybe_refresh` runs :func:`bot.analytics.rollup.update`
every ``ANALYTICS_REFRESH_MINUTES``, reading at most ``ANALYTICS_REFRESH_EVENTS``
tracker events; while a backlog remains it goes on at the next round, so a
long backlog is read in bounded steps between deliveries. It never raises: a
failure is logged (counts and the error's type only: the rollup holds no
personal data and neither do these lines), counted in
``council_analytics_refresh_failures`` and tried again after the interval.
Several workers at once are safe: the rollup moves its watermark only from
where it found it, so an event is never counted twice (docs/analytics.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable, Optional

from sqlalchemy.engine import Engine

from bot import metrics
from bot.analytics import rollup

logger = logging.getLogger(__name__)


class RollupRefresher:
    """Runs the rollup's incremental update when due; the delivery loop calls it each round."""

    def __init__(self, engine: Engine, tracker_engine: Engine, every_seconds: float, max_events: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.engine, self.tracker_engine = engine, tracker_engine
        self.every_seconds, self.max_events = every_seconds, max_events
        self.clock = clock
        self.next_at: Optional[float] = None  # None: due now (the first round after start)

    def due(self) -> bool:
        return self.every_seconds > 0 and (self.next_at is None or self.clock() >= self.next_at)

    async def maybe_refresh(self) -> int:
        """Refresh if due; how many tracker events were read (0 when not due or when it failed)."""
        if not self.due():
            return 0
        started = self.clock()
        self.next_at = started + self.every_seconds
        try:
            read, caught_up = await asyncio.to_thread(rollup.update, self.engine, self.tracker_engine,
                                                      self.max_events)
        except Exception as error:  # a busy or unreachable database must never stop deliveries
            metrics.ANALYTICS_REFRESH_FAILURES.inc()
            logger.warning("Analytics refresh failed (%s); trying again in %d s",
                           type(error).__name__, int(self.every_seconds))
            return 0
        if not caught_up:
            self.next_at = started  # a backlog (or another worker's refresh): go on next round
        if read:
            logger.info("Analytics refresh: %d tracker events read%s", read,
                        "" if caught_up else "; more waiting")
        return read

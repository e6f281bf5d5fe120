"""How often one client may do something in a while (in memory, per process;
with REDIS_URL the same limit is counted in Redis by every replica: bot/shared_state.py).

Used for photo uploads on the website (the uploads folder has a cap,
WEB_UPLOADS_MAX_TOTAL_BYTES: without a per-client limit one script could fill
it and leave every other resident unable to send a photo) and for failed
sign-ins to the staff console (without one, anyone could lock every known
staff account by guessing passwords).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from typing import Callable, Deque

# Clients remembered at once; the least recently seen are forgotten first.
MAX_CLIENTS = 10_000


class SlidingWindowLimiter:
    """At most ``limit`` events per client in any ``window_seconds``."""

    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.clock = clock
        self._events: "OrderedDict[str, Deque[float]]" = OrderedDict()

    def allow(self, client: str) -> bool:
        """Count one event for ``client`` if it is within the limit; False (not counted) otherwise."""
        now = self.clock()
        events = self._events.pop(client, None) or deque()
        while events and events[0] <= now - self.window_seconds:
            events.popleft()
        allowed = len(events) < self.limit
        if allowed:
            events.append(now)
        self._events[client] = events  # most recently seen last
        while len(self._events) > MAX_CLIENTS:
            self._events.popitem(last=False)
        return allowed

    def retry_after(self, client: str) -> int:
        """Whole seconds until ``client`` may try again (0 when it may now)."""
        now = self.clock()
        recent = [at for at in self._events.get(client, ()) if at > now - self.window_seconds]
        if len(recent) < self.limit:
            return 0
        return max(1, int(recent[0] + self.window_seconds - now) + 1)

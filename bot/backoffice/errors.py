"""Why a delivery to a back office failed, and what the outbox worker should do about it.

Adapters raise these instead of library exceptions, so the worker needs to
know only three outcomes: try again later (:class:`TemporaryFailure`), stop
and ask a person (:class:`Rejected`), or "we cannot tell whether it arrived"
(:class:`Uncertain`, retried only after looking the case up in the back
office, so a request stored before a time-out never becomes a duplicate).

``reason`` is written to the case record and the log, so it never contains
personal data: adapters describe the failure, not the case.
"""

from __future__ import annotations

from typing import Optional


class DeliveryError(Exception):
    """A case could not be delivered (or its status could not be read)."""

    retryable: bool = True

    def __init__(self, reason: str, http_status: Optional[int] = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.http_status = http_status


class TemporaryFailure(DeliveryError):
    """The back office is down, slow or overloaded: nothing was stored, try again later."""


class Uncertain(TemporaryFailure):
    """The request may have been stored (time-out after sending, unreadable success reply)."""


class Rejected(DeliveryError):
    """The back office refused the case (bad API key, unknown service, invalid data).

    Retrying the same request will not help; staff must fix the configuration
    or the case, then re-queue it (``python -m bot.outbox requeue REF``).
    """

    retryable = False

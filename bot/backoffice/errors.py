"""Why a delivery to a back office failed, and what the outbox worker should do about it.

Adapters raise these instead of library exceptions, so the worker needs to
know only three outcomes: try again later (:class:`TemporaryFailure`), stop
and ask a person (:class:`Rejected`), or "we cannot tell whether it arrived"
(:class:`Uncertain`: never sent again blindly; the worker looks the case up
in the back office, and flags it for staff after a bounded number of
look-ups that found nothing, so a request stored before a time-out or an
unreadable reply never becomes a duplicate). Status look-ups add a fourth:
the back office no longer knows the request (:class:`Vanished`).

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


class Vanished(DeliveryError):
    """A status lookup found no such request (HTTP 404 for an id the back office gave us).

    It was withdrawn, merged, deleted, or is hidden (held for moderation): the
    worker logs it and flags the case for staff once, and keeps checking.
    """

    retryable = False

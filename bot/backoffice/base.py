"""What every back-office system looks like to us.

A case (:mod:`bot.cases.model`) is always written to our own case store first
(so the resident gets a reference at once); a :class:`CaseSystem` is where it
is then delivered and where its progress is read from. One module per product
implements it: ``builtin`` (our own store is the system of record), and others.
"""

from __future__ import annotations

from typing import Optional, Protocol, runtime_checkable

from bot.cases.model import Case, StatusUpdate, Submission


@runtime_checkable
class CaseSystem(Protocol):
    """A back office that cases are delivered to."""

    name: str

    async def submit(self, case: Case) -> Submission:
        """Deliver ``case``; raise on failure (the caller retries)."""
        ...

    async def fetch_status(self, case: Case) -> Optional[StatusUpdate]:
        """The back office's current view of ``case``, or None if unknown."""
        ...

"""What every back-office system looks like to us.

A case (:mod:`bot.cases.model`) is always written to our own case store first
(so the resident gets a reference at once); a :class:`CaseSystem` is where it
is then delivered and where its progress is read from. One module per product
implements it (``builtin``, ``open311``, ``email``) and registers itself with
:mod:`bot.backoffice.registry`, which owns how the routing file's options for
it are checked and turned into an adapter.

What a product can do differs (an inbox has no status to read, some Open311
servers cannot be searched): each adapter says so in :class:`Capabilities`,
and the delivery worker asks ``system.capabilities`` instead of probing for
methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional, Protocol, runtime_checkable

from bot.cases.model import Case, StatusUpdate, Submission


@dataclass(frozen=True)
class Capabilities:
    """What a back office can do, so the worker knows what it may ask of it."""

    # find_existing: it can be searched for a case by our reference, so after an
    # uncertain attempt (time-out, unreadable reply) the worker looks it up
    # instead of sending it again.
    finds_existing: bool = False
    # A second submit of the same case is harmless (an email with the same
    # Message-ID): after an uncertain attempt it may simply be sent again.
    idempotent_submit: bool = False
    # resolve_token: it may answer a new case with a token only, exchanged later for its id.
    resolves_tokens: bool = False
    # fetch_status is worth calling: the back office reports progress.
    polls_status: bool = False
    # It keeps the resident's email and phone; if not, staff are told on the case.
    stores_contact: bool = True
    # add_report: it can take a further resident's report of a case it already holds
    # ("me too", bot/outbox/further_reports.py). GeoReport v2 has no call for it.
    adds_reports: bool = False


@dataclass(frozen=True)
class FurtherReport:
    """Another resident reporting a case the back office already holds (a follower)."""

    follower_id: int
    channel: str
    reported_at: Optional[datetime]
    location_text: Optional[str]
    description: Optional[str]
    followers: int  # residents following the case, this one included

    def summary(self, reference: str) -> str:
        """The further report in a few lines, for a back office's comment field."""
        when = self.reported_at.strftime("%d %b %Y %H:%M UTC") if self.reported_at else "now"
        return "\n".join([
            f"Another resident reported the same problem ({reference}) on {when}, by {self.channel}.",
            f"Where they said: {self.location_text or 'not given'}",
            f"What they said: {self.description or 'nothing more'}",
            f"Residents now following this case: {self.followers}",
        ])


@dataclass(frozen=True)
class LiveProblem:
    """One thing ``check-routing --live`` found wrong with a back office."""

    what: str
    fatal: bool = True  # False: a warning (cases will still be delivered)


@runtime_checkable
class CaseSystem(Protocol):
    """A back office that cases are delivered to."""

    name: str
    capabilities: Capabilities
    # The longest one call to it may take (the worker's lease on a case covers two).
    timeout_seconds: float

    async def submit(self, case: Case) -> Submission:
        """Deliver ``case``; raise a :mod:`bot.backoffice.errors` error on failure."""
        ...

    async def fetch_status(self, case: Case) -> Optional[StatusUpdate]:
        """The back office's current view of ``case``, or None if it has nothing new.

        Raises :class:`~bot.backoffice.errors.Vanished` when the back office no
        longer knows the request (HTTP 404 for an id it gave us).
        """
        ...

    async def find_existing(self, case: Case) -> Optional[Submission]:
        """The request it already holds for ``case`` (only if ``capabilities.finds_existing``)."""
        ...

    async def resolve_token(self, case: Case, token: str) -> Optional[str]:
        """The id behind ``token``, or None while there is none yet (only if ``capabilities.resolves_tokens``)."""
        ...

    async def check_live(self) -> List[LiveProblem]:
        """Call the back office (service list, a key test where possible); what is wrong, if anything."""
        ...

    async def add_report(self, case: Case, report: FurtherReport) -> None:
        """Tell it another resident reported ``case`` (only if ``capabilities.adds_reports``); raise on failure."""
        ...

    async def close(self) -> None:
        """Release connections (called once when the worker stops)."""
        ...


class BaseCaseSystem:
    """Defaults for the optional parts of :class:`CaseSystem`; adapters override what they can do."""

    name: str = ""
    capabilities = Capabilities()
    timeout_seconds: float = 30.0

    async def find_existing(self, case: Case) -> Optional[Submission]:
        return None

    async def resolve_token(self, case: Case, token: str) -> Optional[str]:
        return None

    async def check_live(self) -> List[LiveProblem]:
        return []

    async def add_report(self, case: Case, report: FurtherReport) -> None:
        raise NotImplementedError(f"{self.name} cannot take further reports")

    async def close(self) -> None:
        return None

"""The built-in case system: our own case store is the system of record.

For councils (and demos) with no back office to connect: cases are worked by
staff in the console, so "delivering" one just opens it in our store.
"""

from __future__ import annotations

from typing import Optional

from bot.backoffice.base import BaseCaseSystem, Capabilities, FurtherReport
from bot.backoffice.registry import NO_CHECK, Adapter, BuildContext
from bot.cases.model import OPEN, Case, StatusUpdate, Submission
from bot.storage.cases import CaseStore


class BuiltinCaseSystem(BaseCaseSystem):
    """:class:`~bot.backoffice.base.CaseSystem` backed by our own database."""

    # Submitting only opens the case in our own store: doing it twice changes nothing.
    # Further reports ("me too") are already in our store: staff see the followers on the case page.
    capabilities = Capabilities(idempotent_submit=True, polls_status=True, stores_contact=True, adds_reports=True)

    def __init__(self, store: CaseStore, name: str = "builtin") -> None:
        self.name = name
        self.store = store

    async def submit(self, case: Case) -> Submission:
        # The worker records "open" with the delivery, in one transaction: recording it here first
        # made the worker see no change, so the resident was never told their case was accepted.
        return Submission(backoffice_reference=case.reference, status=OPEN)

    async def add_report(self, case: Case, report: FurtherReport) -> None:
        """Nothing to send: the follower is a row of our own store, counted on the case page."""

    async def fetch_status(self, case: Case) -> Optional[StatusUpdate]:
        current = self.store.get(case.id)
        if current is None:
            return None
        return StatusUpdate(status=current.status, backoffice_reference=current.backoffice_reference)


def build(context: BuildContext) -> BuiltinCaseSystem:
    if context.store is None:
        raise ValueError(f"back office {context.name!r} (builtin) needs the case store")
    return BuiltinCaseSystem(context.store, name=context.name)


ADAPTER = Adapter(key="builtin", summary="our own case store, worked in the console", options=frozenset(),
                  check=NO_CHECK, build=build)

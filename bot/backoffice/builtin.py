"""The built-in case system: our own case store is the system of record.

For councils (and demos) with no back office to connect: cases are worked by
staff in the console, so "delivering" one just opens it in our store.
"""

from __future__ import annotations

from typing import Optional

from bot.cases.model import OPEN, Case, StatusUpdate, Submission
from bot.storage.cases import CaseStore


class BuiltinCaseSystem:
    """:class:`~bot.backoffice.base.CaseSystem` backed by our own database."""

    def __init__(self, store: CaseStore, name: str = "builtin") -> None:
        self.name = name
        self.store = store

    async def submit(self, case: Case) -> Submission:
        # The worker records "open" with the delivery, in one transaction: recording it here first
        # made the worker see no change, so the resident was never told their case was accepted.
        return Submission(backoffice_reference=case.reference, status=OPEN)

    async def fetch_status(self, case: Case) -> Optional[StatusUpdate]:
        current = self.store.get(case.id)
        if current is None:
            return None
        return StatusUpdate(status=current.status, backoffice_reference=current.backoffice_reference)

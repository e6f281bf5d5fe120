"""Erasure: remove everything held about a person, and record that we did (not what).

Conversations (Rasa's events), cases with their updates, delivery rows and
notifications, SMS messages and the number's link, escalations and staff
notes, and the photos are deleted; audit entries that named the person keep
who did what and when, but no longer whom. A number that opted out of texts
stays on the stop list: that is how we honour the opt-out (docs/privacy.md).

A case still open is held: the back office is working on it and the
resident is told when it moves on. Nothing is erased then unless forced.
The audit log gets one entry: who erased, the selector's kind and a hash
of it, and the counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

from bot.analytics import rollup
from bot.cases.model import CLOSED
from bot.privacy.archive import photo_files, photo_urls
from bot.privacy.subject import DataStores, Subject
from bot.storage import tracker_events
from bot.storage.database import flush_deleted


@dataclass
class ErasureReport:
    counts: Dict[str, int] = field(default_factory=dict)
    held: List[str] = field(default_factory=list)  # references of open cases, when nothing was erased
    dry_run: bool = False
    # Back offices that hold their own copy of a case (we cannot erase there; the council must ask them).
    back_offices: List[str] = field(default_factory=list)

    @property
    def erased(self) -> bool:
        return not self.held and not self.dry_run

    def __str__(self) -> str:
        if self.held:
            return (f"Nothing erased: case(s) {', '.join(self.held)} still open. Close them first, "
                    "or erase with force (the back office keeps working on its own copy).")
        counted = ", ".join(f"{what}: {count}" for what, count in self.counts.items() if count) or "nothing found"
        text = ("Would remove " if self.dry_run else "Removed ") + counted
        if self.back_offices:
            text += ". Ask these back offices to erase their copies too: " + ", ".join(self.back_offices)
        return text


def erase_subject(stores: DataStores, subject: Subject, operator: Optional[int], operator_name: str,
                  dry_run: bool = False, force: bool = False) -> ErasureReport:
    """Erase (or, on a dry run, count) everything held about the subject."""
    report = ErasureReport(dry_run=dry_run)
    cases = [c for c in map(stores.cases.get, subject.case_ids) if c is not None]
    open_cases = [c.reference for c in cases if c.status != CLOSED]
    if open_cases and not force and not dry_run:
        report.held = open_cases
        stores.audit.record(operator, "privacy_erase_held", None, by=operator_name, selector=subject.selector.kind,
                            subject=subject.selector.digest(), open_cases=len(open_cases))
        return report
    if open_cases:
        report.counts["open cases (held unless forced)" if dry_run else "open cases erased by force"] = len(open_cases)
    report.back_offices = sorted({f"{c.backoffice} ({c.backoffice_reference or c.reference})"
                                  for c in cases if c.backoffice and c.backoffice != "builtin"})

    # Photos first: their URLs are in the rows about to go.
    conversations = tracker_events.export(stores.tracker_engine, sorted(subject.conversation_ids))
    case_rows = stores.cases.export(subject.case_ids)
    photos = photo_files(stores.photo_dirs, photo_urls(case_rows, conversations.values()))
    conversation_ids = sorted(subject.conversation_ids)
    report.counts["conversations"] = len(conversations)
    # Cases and their notification rows before the conversations: the delivery worker checks its
    # row after each send and takes back what it wrote if the row has gone (bot/outbox/notify.py),
    # so a message sent while the erasure runs leaves nothing behind.
    report.counts.update(stores.followers.erase(conversation_ids, dry_run))
    report.counts.update(stores.cases.erase(subject.case_ids, dry_run))
    report.counts.update(stores.sms.erase(subject.phones, conversation_ids, dry_run))
    report.counts.update(stores.escalations.erase(conversation_ids, subject.phones, dry_run))
    report.counts["conversation events"] = tracker_events.erase(stores.tracker_engine, conversation_ids, dry_run)
    # The analytics rollup keeps the conversations' counts, no longer linked to the person.
    report.counts["analytics rows unlinked"] = rollup.forget(stores.engine, conversation_ids, dry_run)
    report.counts["audit entries anonymised"] = stores.audit.forget(subject.names, dry_run)
    report.counts["photos"] = len(photos)
    if not dry_run:
        for _url, path in photos:
            path.unlink(missing_ok=True)
        flush_deleted(stores.engine)
        flush_deleted(stores.tracker_engine)
    stores.audit.record(operator, "privacy_erase_dry_run" if dry_run else "privacy_erase", None, by=operator_name,
                        selector=subject.selector.kind, subject=subject.selector.digest(), forced=bool(force and open_cases),
                        counts={k: v for k, v in report.counts.items() if v})
    return report

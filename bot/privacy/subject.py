"""Whose data: from one selector (phone, email or case reference) to every identifier of that person."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Set, Tuple

from sqlalchemy.engine import Engine

from bot import answers
from bot.cases import references
from bot.settings import Settings
from bot.storage import tracker_events
from bot.storage.audit import AuditLog
from bot.storage.cases import CaseStore
from bot.storage.database import create_schema, make_engine
from bot.storage.escalations import EscalationStore
from bot.storage.followers import FollowerStore
from bot.storage.sms import SmsStore

KINDS = ("phone", "email", "reference")
# Enough rounds to go from a reference to its conversation to the number that
# texted it to that number's other cases; each round only adds.
_MAX_ROUNDS = 6


class SelectorError(ValueError):
    """The selector is not a phone number, email address or case reference we can read."""


@dataclass(frozen=True)
class Selector:
    kind: str  # phone | email | reference
    value: str  # normalised: +447700900123, lower-case email, AB7K-3FQ2

    @classmethod
    def parse(cls, kind: str, raw: str) -> "Selector":
        raw = (raw or "").strip()
        if kind == "phone":
            value = answers.parse_uk_phone(raw)
            if value is None and raw.startswith("+") and raw[1:].isdigit() and 8 <= len(raw) <= 16:
                value = raw  # a non-UK number that texted us, as Twilio wrote it
        elif kind == "email":
            found = answers.find_email(raw)
            value = found.lower() if found and found == raw else None
        elif kind == "reference":
            value = references.normalise(raw)
        else:
            raise SelectorError(f"choose one of {', '.join(KINDS)}")
        if not value:
            raise SelectorError(f"that is not a {kind} we can read")
        return cls(kind, value)

    def digest(self) -> str:
        """A short hash of the selector for the audit log: matches a later request for the
        same person without the log holding the data (docs/privacy.md says its limits)."""
        return hashlib.sha256(f"privacy-subject:{self.kind}:{self.value}".encode()).hexdigest()[:16]


@dataclass
class Subject:
    """Everything that identifies one person in our stores."""

    selector: Selector
    phones: Set[str] = field(default_factory=set)
    emails: Set[str] = field(default_factory=set)
    references: Set[str] = field(default_factory=set)
    conversation_ids: Set[str] = field(default_factory=set)
    case_ids: List[int] = field(default_factory=list)

    @property
    def names(self) -> Set[str]:
        """What an audit entry may name them by."""
        return self.conversation_ids | self.references | self.phones | self.emails

    @property
    def found(self) -> bool:
        return bool(self.conversation_ids or self.case_ids)


@dataclass
class DataStores:
    """Every store that can hold a resident's data, and where their photos are."""

    engine: Engine
    tracker_engine: Engine
    photo_dirs: Tuple[Path, ...]

    @classmethod
    def from_settings(cls, settings: Settings, engine: Optional[Engine] = None) -> "DataStores":
        engine = engine or make_engine(settings.database_url)
        create_schema(engine)
        return cls(engine, make_engine(settings.tracker_store_url), (settings.uploads_dir, settings.sms_media_dir))

    @property
    def cases(self) -> CaseStore:
        return CaseStore(self.engine)

    @property
    def sms(self) -> SmsStore:
        return SmsStore(self.engine)

    @property
    def followers(self) -> FollowerStore:
        """Cases the person said "me too" to (bot/storage/followers.py)."""
        return FollowerStore(self.engine)

    @property
    def escalations(self) -> EscalationStore:
        return EscalationStore(self.engine)

    @property
    def audit(self) -> AuditLog:
        return AuditLog(self.engine)


def find_subject(stores: DataStores, selector: Selector) -> Subject:
    """Follow every link from the selector until nothing new turns up."""
    subject = Subject(selector)
    getattr(subject, {"phone": "phones", "email": "emails", "reference": "references"}[selector.kind]).add(selector.value)
    cases, sms, escalations = stores.cases, stores.sms, stores.escalations
    for _round in range(_MAX_ROUNDS):
        before = (len(subject.phones), len(subject.emails), len(subject.references), len(subject.conversation_ids))
        for phone in subject.phones:
            conversation = sms.conversation_of(phone)
            if conversation:
                subject.conversation_ids.add(conversation)
        subject.conversation_ids.update(escalations.conversations_of(subject.phones))
        subject.conversation_ids.update(
            tracker_events.conversations_giving(stores.tracker_engine, subject.phones, subject.emails))
        subject.case_ids = cases.find_ids(subject.conversation_ids, subject.phones, subject.emails, subject.references)
        for case in filter(None, map(cases.get, subject.case_ids)):
            subject.conversation_ids.add(case.conversation_id)
            subject.references.add(case.reference)
            if case.contact_phone:
                subject.phones.add(case.contact_phone)
            if case.contact_email:
                subject.emails.add(case.contact_email.lower())
        for conversation in subject.conversation_ids:
            phone = sms.phone_for(conversation)
            if phone:
                subject.phones.add(phone)
        after = (len(subject.phones), len(subject.emails), len(subject.references), len(subject.conversation_ids))
        if after == before:
            break
    return subject

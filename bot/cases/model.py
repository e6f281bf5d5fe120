"""A case, the statuses it moves through, and what a back office says about it.

A case is always written to our own case store first (so the resident gets a
reference at once); it is then delivered to a back office
(:mod:`bot.backoffice`), whose answers are :class:`Submission` and
:class:`StatusUpdate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional

# Statuses a case moves through, in order. Back-office statuses are mapped to these.
RECEIVED = "received"  # in our store, not yet delivered
SENT = "sent"  # delivered, the back office has not said more
OPEN = "open"  # accepted by the back office
IN_PROGRESS = "in_progress"
CLOSED = "closed"
STATUS_ORDER = (RECEIVED, SENT, OPEN, IN_PROGRESS, CLOSED)

# What a resident is told for each status is the message catalogue's
# ``case_status.<status>`` (bot/messages/catalogue.yml).


@dataclass(frozen=True)
class NewCase:
    """Everything the conversation collected, before it has a reference."""

    category: str
    conversation_id: str
    channel: str
    location_text: Optional[str] = None
    postcode: Optional[str] = None
    latitude: Optional[str] = None
    longitude: Optional[str] = None
    description: Optional[str] = None
    details: Dict[str, Any] = field(default_factory=dict)
    contact_phone: Optional[str] = None
    contact_email: Optional[str] = None
    contact_consent: bool = False
    media_urls: List[str] = field(default_factory=list)
    # From the council's gazetteer (bot/places), when the place was found there: the
    # street's USRN and position (latitude/longitude above are only what the resident
    # shared), and, when it was not, a note telling staff to check the place.
    usrn: Optional[str] = None
    place_latitude: Optional[str] = None
    place_longitude: Optional[str] = None
    place_note: Optional[str] = None
    # The conversation's language ("en", "cy"; None: the council's default), for
    # every later message about the case (status updates, notifications).
    language: Optional[str] = None


@dataclass(frozen=True)
class Case(NewCase):
    """A stored case."""

    id: int = 0
    reference: str = ""
    status: str = RECEIVED
    backoffice: Optional[str] = None
    backoffice_reference: Optional[str] = None
    needs_attention: bool = False
    attention_reason: Optional[str] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None


@dataclass(frozen=True)
class Submission:
    """The back office's answer to a new case."""

    backoffice_reference: Optional[str]
    status: str = SENT
    # Some Open311 servers only hand out a token to poll for the real id.
    token: Optional[str] = None


@dataclass(frozen=True)
class StatusUpdate:
    """The back office's current view of a delivered case."""

    status: str
    note: Optional[str] = None
    backoffice_reference: Optional[str] = None

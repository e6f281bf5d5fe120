"""Issuing upload links for a case, checking an opened link, attaching its photos.

Used by the action server (a link with the reference of a new SMS report), the
SMS channel (a resident asks to send a photo) and the website (the upload
page). Every one of them needs PHOTO_LINK_SECRET; without it ``enabled`` is
False, no link is offered and the page says photos can't be taken.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, List, Optional, Sequence

from sqlalchemy.engine import Engine

from bot.photo_links import token as tokens
from bot.settings import Settings
from bot.shared_state import RateLimiter, shared_state
from bot.storage.photo_links import LinkRow, PhotoLinkStore
from bot.storage.times import utcnow

logger = logging.getLogger(__name__)

# Photos one upload through a link may carry (the page's file picker takes several).
MAX_PHOTOS_PER_UPLOAD = 5
# Where the website serves the upload page: short, so the SMS stays short.
PATH_PREFIX = "/p/"


class LinkState(enum.Enum):
    """What an opened link is."""

    USABLE = "usable"
    NOT_VALID = "not_valid"  # malformed, forged or altered, or no such link (any more)
    EXPIRED = "expired"
    USED = "used"


# The HTTP status of each state's page: gone for good once expired or used.
HTTP_STATUS = {LinkState.USABLE: 200, LinkState.NOT_VALID: 404, LinkState.EXPIRED: 410, LinkState.USED: 410}


@dataclass(frozen=True)
class Opened:
    state: LinkState
    row: Optional[LinkRow] = None


class PhotoLinks:
    """One-time, signed, expiring upload links for cases."""

    def __init__(self, engine: Engine, settings: Settings, clock: Callable[[], datetime] = utcnow,
                 issue_limiter: Optional[RateLimiter] = None) -> None:
        self.store = PhotoLinkStore(engine)
        self.secret = settings.photo_link_secret or ""
        self.lifetime = timedelta(hours=settings.photo_link_hours)
        self.hours = settings.photo_link_hours
        self.base_url = settings.web_public_url.rstrip("/")
        self.clock = clock
        # A resident asking again and again gets the same answer, not a stream of texts
        # (each one costs money); counted across replicas with REDIS_URL (bot/shared_state.py).
        self.issue_limiter = issue_limiter or shared_state(settings).rate_limiter(
            "photo-links-issued", settings.photo_links_per_case_per_hour, 3600)

    @property
    def enabled(self) -> bool:
        return bool(self.secret)

    def url(self, token: str) -> str:
        return f"{self.base_url}{PATH_PREFIX}{token}"

    def issue(self, case_id: int) -> Optional[str]:
        """A new link's URL for the case, or None when it has had its share this hour (or links are off)."""
        if not self.enabled or not self.issue_limiter.allow(f"case:{case_id}"):
            return None
        now = self.clock()
        link_id = tokens.new_link_id()
        expires_at = now + self.lifetime
        self.store.add(link_id, case_id, expires_at, now=now)
        return self.url(tokens.sign(self.secret, link_id, expires_at))

    def open(self, token: str) -> Opened:
        """What the link in a resident's browser is (never raises for a bad token)."""
        try:
            claims = tokens.verify(self.secret, token)
        except tokens.InvalidToken as invalid:
            logger.info("Photo link refused: %s", invalid.reason)
            return Opened(LinkState.NOT_VALID)
        now = self.clock()
        if claims.expired(now):
            return Opened(LinkState.EXPIRED)
        row = self.store.get(claims.link_id)
        if row is None:
            return Opened(LinkState.NOT_VALID)
        if row.used_at is not None:
            return Opened(LinkState.USED, row)
        if now >= row.expires_at:
            return Opened(LinkState.EXPIRED, row)
        return Opened(LinkState.USABLE, row)

    def attach(self, row: LinkRow, photo_urls: Sequence[str]) -> Optional[List[str]]:
        """Add the photos to the link's case and use the link up; None if that was no longer possible."""
        return self.store.use(row.id, photo_urls, now=self.clock())

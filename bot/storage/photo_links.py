"""Rows of one-time photo upload links (bot/photo_links), and photos they add to cases.

One row per link: which case it is for, when it expires, when it was used.
Using a link and adding its photos to the case happen in one transaction,
and only while the row is unused and unexpired: two uploads racing through
one link never both attach, and a replayed upload changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional, Sequence

from sqlalchemy import and_, delete, select, update
from sqlalchemy.engine import Engine

from bot.storage import cases as case_rows  # owns the cases table
from bot.storage.schema import cases, photo_links
from bot.storage.times import aware, utcnow

# Photos one case may hold, whatever channel they came by (actions/trust.py MAX_PHOTOS).
MAX_CASE_PHOTOS = 20
# Rows are removed this long after their link expired (the link is useless by then;
# the row only told which case it was for).
KEEP_EXPIRED = timedelta(days=1)


@dataclass(frozen=True)
class LinkRow:
    id: str
    case_id: int
    reference: str
    status: str  # the case's status
    expires_at: datetime
    used_at: Optional[datetime]
    case_photos: int


class _CaseFull(Exception):
    pass


class PhotoLinkStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, link_id: str, case_id: int, expires_at: datetime, now: Optional[datetime] = None) -> None:
        """Record a new link (and forget links that expired a while ago)."""
        now = now or utcnow()
        with self.engine.begin() as conn:
            conn.execute(delete(photo_links).where(photo_links.c.expires_at < now - KEEP_EXPIRED))
            conn.execute(photo_links.insert().values(id=link_id, case_id=case_id, created_at=now,
                                                     expires_at=expires_at))

    def get(self, link_id: str) -> Optional[LinkRow]:
        query = (
            select(photo_links, cases.c.reference, cases.c.status, cases.c.media_urls)
            .join(cases, cases.c.id == photo_links.c.case_id)
            .where(photo_links.c.id == link_id)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            return None
        return LinkRow(row["id"], row["case_id"], row["reference"], row["status"], aware(row["expires_at"]),
                       aware(row["used_at"]), len(row["media_urls"] or []))

    def use(self, link_id: str, photo_urls: Sequence[str], now: Optional[datetime] = None) -> Optional[List[str]]:
        """Use the link up and add ``photo_urls`` to its case, in one transaction.

        Returns the case's photos afterwards, or None (nothing changed) when the
        link is unknown, used or expired, or the case already has its fill of photos.
        """
        now = now or utcnow()
        try:
            return self._use(link_id, photo_urls, now)
        except _CaseFull:
            return None

    def _use(self, link_id: str, photo_urls: Sequence[str], now: datetime) -> Optional[List[str]]:
        with self.engine.begin() as conn:
            claimed = conn.execute(
                update(photo_links)
                .where(and_(photo_links.c.id == link_id, photo_links.c.used_at.is_(None),
                            photo_links.c.expires_at > now))
                .values(used_at=now, photos=len(photo_urls))
            )
            if claimed.rowcount != 1:
                return None
            case_id = conn.execute(select(photo_links.c.case_id).where(photo_links.c.id == link_id)).scalar_one()
            # Read and written inside the transaction that holds the link's row.
            current = list(conn.execute(
                select(cases.c.media_urls).where(cases.c.id == case_id).with_for_update()).scalar_one() or [])
            merged = list(dict.fromkeys(current + list(photo_urls)))
            if len(merged) > MAX_CASE_PHOTOS:
                raise _CaseFull()  # rolls the whole transaction back: the link stays unused
            case_rows.set_media(conn, case_id, merged, now)
            return merged

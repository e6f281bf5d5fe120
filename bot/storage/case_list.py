"""Reading cases for staff: the console's filtered, sorted, paged case list and one case's full record.

Read-only: cases, outbox and notifications are written by their own modules
(bot/storage/cases.py, bot/storage/outbox.py, bot/outbox/notify.py). Every
filter is a bound parameter, and every filter the list offers has an index
(bot/storage/schema.py, ``ix_cases_*``), so a filtered page of 100,000 cases
stays well under 150 ms (``python -m benchmarks.cases``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Dict, List, Mapping, Optional, Tuple

from sqlalchemy import and_, func, select, true
from sqlalchemy.engine import Engine

from bot.cases.model import STATUS_ORDER, Case
from bot.categories import CATEGORIES
from bot.conversations import REST_CHANNEL, SMS_CHANNEL, WEB_CHANNEL
from bot.storage.cases import _row_to_case
from bot.storage.schema import case_notes, case_updates, cases, notifications, outbox, staff

PAGE_SIZE = 50
# What the list may be sorted by (name -> column); anything else is the default.
SORTS = {
    "newest": (cases.c.created_at.desc(), cases.c.id.desc()),
    "oldest": (cases.c.created_at.asc(), cases.c.id.asc()),
    "updated": (cases.c.updated_at.desc(), cases.c.id.desc()),
}
DEFAULT_SORT = "newest"
# An outward code (postcode district): AN1, AN12, SW1A, ...
DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


@dataclass(frozen=True)
class CaseFilter:
    """What staff asked the list for; every field optional. Built from query arguments by :meth:`parse`."""

    status: Optional[str] = None
    category: Optional[str] = None
    backoffice: Optional[str] = None
    channel: Optional[str] = None
    flagged: bool = False
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    district: Optional[str] = None
    sort: str = DEFAULT_SORT
    page: int = 1
    problems: List[str] = field(default_factory=list)  # what could not be used, for the page to say

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> "CaseFilter":
        """From query arguments; unusable values are dropped with a note, never an error page."""
        problems: List[str] = []

        def text(name: str, limit: int = 80) -> Optional[str]:
            value = (args.get(name) or "").strip()[:limit]
            return value or None

        def day(name: str, label: str) -> Optional[date]:
            value = text(name, 10)
            if not value:
                return None
            try:
                return date.fromisoformat(value)
            except ValueError:
                problems.append(f"{label} must be a date (YYYY-MM-DD)")
                return None

        status = text("status", 30)
        if status and status not in STATUS_ORDER:
            problems.append("unknown status")
            status = None
        district = (text("district", 8) or "").upper().replace(" ", "") or None
        if district and not DISTRICT.match(district):
            problems.append("a postcode district looks like AN1 or SW1A")
            district = None
        sort = text("sort", 20) or DEFAULT_SORT
        try:
            page = max(1, min(int(args.get("page") or 1), 100_000))
        except ValueError:
            page = 1
        return cls(
            status=status, category=text("category", 50), backoffice=text("backoffice", 80),
            channel=text("channel", 30), flagged=(args.get("flagged") or "") in ("1", "yes", "on"),
            date_from=day("from", "From"), date_to=day("to", "To"), district=district,
            sort=sort if sort in SORTS else DEFAULT_SORT, page=page, problems=problems,
        )

    def conditions(self, zone: timezone | Any = timezone.utc, dialect: str = "sqlite") -> List[Any]:
        found: List[Any] = []
        if self.status:
            found.append(cases.c.status == self.status)
        if self.category:
            found.append(cases.c.category == self.category)
        if self.backoffice:
            found.append(cases.c.backoffice == self.backoffice)
        if self.channel:
            found.append(cases.c.channel == self.channel)
        if self.flagged:
            found.append(cases.c.needs_attention.is_(True))
        # Dates are the council's days (STAFFED_TIMEZONE), compared as UTC instants.
        if self.date_from:
            found.append(cases.c.created_at >= datetime.combine(self.date_from, time(), zone).astimezone(timezone.utc))
        if self.date_to:
            end = datetime.combine(self.date_to + timedelta(days=1), time(), zone).astimezone(timezone.utc)
            found.append(cases.c.created_at < end)
        if self.district:
            # Postcodes are stored as "AN1 4GT". SQLite compares bytes, so the district is a range of
            # the index ("AN1 " up to "AN1!", the next character); its LIKE would scan. Elsewhere
            # (PostgreSQL) a locale's collation may ignore the space, so LIKE (the district is
            # letters and digits only: no wildcards).
            if dialect == "sqlite":
                found.append(and_(cases.c.postcode >= f"{self.district} ", cases.c.postcode < f"{self.district}!"))
            else:
                found.append(cases.c.postcode.like(f"{self.district} %"))
        return found

    def query_args(self, **override: Any) -> Dict[str, str]:
        """The filter as query arguments (for paging and sort links)."""
        values: Dict[str, Any] = {
            "status": self.status, "category": self.category, "backoffice": self.backoffice,
            "channel": self.channel, "flagged": "1" if self.flagged else None,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "district": self.district, "sort": self.sort if self.sort != DEFAULT_SORT else None,
            "page": str(self.page) if self.page > 1 else None,
        }
        values.update(override)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass(frozen=True)
class CaseRow:
    """One line of the list: no contact details, no description (the case page has those)."""

    id: int
    reference: str
    category: str
    status: str
    channel: str
    postcode: Optional[str]
    location_text: Optional[str]
    backoffice: Optional[str]
    backoffice_reference: Optional[str]
    needs_attention: bool
    delivery_state: Optional[str]
    created_at: datetime
    updated_at: datetime
    language: Optional[str] = None  # the conversation's when the case was made (None: the council's default)


@dataclass(frozen=True)
class CasePage:
    rows: List[CaseRow]
    total: int
    page: int
    pages: int


LIST_COLUMNS = (cases.c.id, cases.c.reference, cases.c.category, cases.c.status, cases.c.channel, cases.c.postcode,
                cases.c.location_text, cases.c.backoffice, cases.c.backoffice_reference, cases.c.needs_attention,
                cases.c.created_at, cases.c.updated_at, cases.c.language)


def list_cases(engine: Engine, wanted: CaseFilter, zone: Any = timezone.utc, page_size: int = PAGE_SIZE) -> CasePage:
    """One page of cases matching ``wanted``, and how many match in all."""
    conditions = wanted.conditions(zone, engine.dialect.name)
    where = and_(true(), *conditions)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(cases).where(where)).scalar_one()
        pages = max(1, -(-total // page_size))
        page = min(wanted.page, pages)
        # The page's ids first (an index walk), then their outbox rows: the join never runs over every case.
        rows = conn.execute(
            select(*LIST_COLUMNS).where(where).order_by(*SORTS[wanted.sort])
            .limit(page_size).offset((page - 1) * page_size)
        ).mappings().all()
        ids = [r["id"] for r in rows]
        states = dict(conn.execute(select(outbox.c.case_id, outbox.c.state).where(outbox.c.case_id.in_(ids))).all()) \
            if ids else {}
    return CasePage(
        rows=[CaseRow(**{k: r[k] for k in r.keys()}, delivery_state=states.get(r["id"])) for r in rows],
        total=total, page=page, pages=pages,
    )


def choices(backoffices: List[str]) -> Dict[str, List[str]]:
    """The values the list's drop-downs offer (known lists, not a DISTINCT over every case)."""
    return {
        "category": [c.key for c in CATEGORIES],
        "backoffice": sorted(backoffices),
        "channel": [WEB_CHANNEL, SMS_CHANNEL, REST_CHANNEL],
    }


@dataclass(frozen=True)
class CaseRecord:
    """Everything staff see on one case's page."""

    case: Case
    history: List[Dict[str, Any]]
    delivery: Optional[Dict[str, Any]]
    notifications: List[Dict[str, Any]]
    notes: List[Dict[str, Any]]


def case_record(engine: Engine, case_id: int) -> Optional[CaseRecord]:
    with engine.connect() as conn:
        row = conn.execute(select(cases).where(cases.c.id == case_id)).mappings().first()
        if row is None:
            return None
        history = [dict(r) for r in conn.execute(
            select(case_updates).where(case_updates.c.case_id == case_id).order_by(case_updates.c.id)).mappings()]
        delivery = conn.execute(select(outbox).where(outbox.c.case_id == case_id)).mappings().first()
        sent = [dict(r) for r in conn.execute(
            select(notifications).where(notifications.c.case_id == case_id).order_by(notifications.c.id)).mappings()]
        notes = [dict(r) for r in conn.execute(
            select(case_notes, staff.c.display_name.label("staff_name"))
            .join(staff, staff.c.id == case_notes.c.staff_id, isouter=True)
            .where(case_notes.c.case_id == case_id).order_by(case_notes.c.id)).mappings()]
    return CaseRecord(_row_to_case(row), history, dict(delivery) if delivery else None, sent, notes)


def coordinates(case: Case) -> Optional[Tuple[float, float]]:
    """The case's latitude and longitude, if both are there and make sense."""
    try:
        latitude, longitude = float(case.latitude or ""), float(case.longitude or "")
    except ValueError:
        return None
    if -90 <= latitude <= 90 and -180 <= longitude <= 180:
        return latitude, longitude
    return None

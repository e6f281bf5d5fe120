"""Finding an open case that a new report probably duplicates.

Same category, not closed, made within the last ``days``, and either

- within ``distance_m`` of the new report's coordinates: the cells around the
  point (bot/geocell.py) are read as integer ranges of the ``(category,
  geocell)`` index, then the real distance decides; or
- on the same street, when one side has no coordinates: the normalised street
  (bot/street_key.py, ``(category, street_key)`` index), or the USRN when the
  gazetteer gave the cases one (a ``usrn`` column on cases).

The nearest match wins (then the most recent). A read-only query: the dialogue
asks the resident before anything is written (actions/duplicates.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import bindparam, select, union_all
from sqlalchemy.engine import Engine

from bot import geocell
from bot.cases.model import CLOSED, Case
from bot.storage.cases import _row_to_case
from bot.storage.schema import cases
from bot.storage.times import aware, utcnow
from bot.street_key import street_key

# Street-level candidates read, newest first, to find one made within the period.
STREET_CANDIDATES = 20


@dataclass(frozen=True)
class Match:
    """An open case the new report may duplicate, and how it was found."""

    case: Case
    how: str  # "distance" | "street" | "usrn"
    distance_m: Optional[float] = None


class DuplicateFinder:
    """Looks for open cases like a new report (see the module's docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def find(
        self,
        category: str,
        latitude: Any = None,
        longitude: Any = None,
        location_text: Optional[str] = None,
        usrn: Optional[str] = None,
        *,
        distance_m: float = 50,
        days: int = 30,
        now: Optional[datetime] = None,
    ) -> Optional[Match]:
        """The best match for a report of ``category`` at this place, or None."""
        if days <= 0:
            return None
        since = (now or utcnow()) - timedelta(days=days)
        point = geocell.parse_point(latitude, longitude)
        key = street_key(location_text)
        usrn_column = cases.c.get("usrn")
        with self.engine.connect() as conn:
            if point is not None:
                found = self._nearest(conn, category, since, point, distance_m)
                if found is not None:
                    return found
            # Street level: against every case when the report has no coordinates, otherwise
            # only against cases that have none (those with coordinates were measured above).
            for how, condition in (
                ("usrn", usrn_column == str(usrn) if usrn is not None and usrn_column is not None else None),
                ("street", cases.c.street_key == key if key else None),
            ):
                if condition is None:
                    continue
                where = [cases.c.category == category, condition, cases.c.status != CLOSED]
                if point is not None:
                    where.append(cases.c.geocell.is_(None))
                query = select(cases).where(*where).order_by(cases.c.id.desc()).limit(STREET_CANDIDATES)
                for row in conn.execute(query).mappings():
                    if aware(row["created_at"]) >= since:
                        return Match(_row_to_case(row), how)
        return None

    @staticmethod
    def _nearest(conn: Any, category: str, since: datetime, point: Tuple[float, float],
                 distance_m: float) -> Optional[Match]:
        ranges = _merged([geocell.cell_range(p) for p in geocell.search_cells(point[0], point[1], distance_m)])
        params: Dict[str, Any] = {"category": category, "closed": CLOSED}
        for n, (low, high) in enumerate(ranges):
            params[f"low{n}"], params[f"high{n}"] = low, high
        best: Optional[Tuple[float, float, int]] = None
        for row in conn.execute(_cells_query(len(ranges)), params).mappings():
            if aware(row["created_at"]) < since:
                continue
            other = geocell.parse_point(row["latitude"], row["longitude"])
            if other is None:
                continue
            metres = geocell.distance_m(point[0], point[1], other[0], other[1])
            if metres > distance_m:
                continue
            rank = (metres, -aware(row["created_at"]).timestamp())
            if best is None or rank < best[:2]:
                best = (rank[0], rank[1], row["id"])
        if best is None:
            return None
        row = conn.execute(select(cases).where(cases.c.id == best[2])).mappings().one()
        return Match(_row_to_case(row), "distance", round(best[0], 1))


@lru_cache(maxsize=16)
def _cells_query(count: int) -> Any:
    """Candidates in ``count`` runs of cells: one range scan of (category, geocell) each.

    Only conditions that index can answer are ranges: given status or date ranges too, a
    planner without statistics (SQLite) may pick a case-list index and read the whole
    category. Built once per number of runs (bound parameters), so it is compiled once.
    """
    return union_all(*(
        select(cases.c.id, cases.c.latitude, cases.c.longitude, cases.c.created_at).where(
            cases.c.category == bindparam("category"), cases.c.geocell >= bindparam(f"low{n}"),
            cases.c.geocell < bindparam(f"high{n}"), cases.c.status != bindparam("closed"))
        for n in range(count)
    ))


def _merged(ranges: List[Tuple[int, int]]) -> List[Tuple[int, int]]:
    """Adjacent ranges joined, so neighbouring cells cost one index range scan, not two."""
    merged: List[Tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(high, merged[-1][1]))
        else:
            merged.append((low, high))
    return merged


def possible_duplicate_of(engine: Engine, case_id: int) -> Optional[str]:
    """The reference of the open case a resident said this one differs from (for staff), if any."""
    earlier = cases.alias("earlier")
    query = (select(earlier.c.reference).select_from(cases.join(earlier, earlier.c.id == cases.c.duplicate_of))
             .where(cases.c.id == case_id))
    with engine.connect() as conn:
        return conn.execute(query).scalar_one_or_none()

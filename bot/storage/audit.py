"""The audit log: every staff action in the console, who did it and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional

from sqlalchemy import String, cast, or_, select, update
from sqlalchemy.engine import Engine

from bot.storage.schema import audit_log, staff
from bot.storage.times import aware as _aware


@dataclass(frozen=True)
class AuditEntry:
    id: int
    staff_name: Optional[str]
    action: str
    target: Optional[str]
    detail: Dict[str, Any]
    created_at: datetime


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, staff_id: Optional[int], action: str, target: Optional[str] = None,
               **detail: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                audit_log.insert().values(
                    staff_id=staff_id, action=action, target=target, detail=detail,
                    created_at=datetime.now(timezone.utc),
                )
            )

    def recent(self, limit: int = 200, action: Optional[str] = None) -> List[AuditEntry]:
        query = (
            select(audit_log, staff.c.display_name)
            .select_from(audit_log.outerjoin(staff, staff.c.id == audit_log.c.staff_id))
            .order_by(audit_log.c.id.desc())
            .limit(limit)
        )
        if action:
            query = query.where(audit_log.c.action == action)
        with self.engine.connect() as conn:
            return [
                AuditEntry(r["id"], r["display_name"], r["action"], r["target"], dict(r["detail"] or {}),
                           _aware(r["created_at"]))
                for r in conn.execute(query).mappings()
            ]

    # -- residents' data rights (bot/privacy) ---------------------------------------
    @staticmethod
    def _naming(names: Iterable[str]) -> Any:
        names = sorted({n for n in names if n})
        if not names:
            return None
        detail = cast(audit_log.c.detail, String)
        return or_(audit_log.c.target.in_(names), *[detail.contains(n, autoescape=True) for n in names])

    def naming(self, names: Iterable[str]) -> List[Dict[str, Any]]:
        """Entries whose target or detail names one of these (conversation ids, references, ...)."""
        condition = self._naming(names)
        if condition is None:
            return []
        query = (
            select(audit_log, staff.c.display_name.label("staff_name"))
            .select_from(audit_log.outerjoin(staff, staff.c.id == audit_log.c.staff_id))
            .where(condition)
            .order_by(audit_log.c.id)
        )
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def forget(self, names: Iterable[str], dry_run: bool = False) -> int:
        """Keep who did what and when, but no longer whom: the target and detail of entries naming them go."""
        condition = self._naming(names)
        if condition is None:
            return 0
        with self.engine.begin() as conn:
            if dry_run:
                return len(conn.execute(select(audit_log.c.id).where(condition)).all())
            return conn.execute(
                update(audit_log).where(condition).values(target=None, detail={"subject": "erased"})
            ).rowcount or 0

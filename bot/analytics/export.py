"""Figures as CSV (the console's download) and as plain-text tables (``python -m bot.analytics``)."""

from __future__ import annotations

import csv
import io
from typing import Any, List

from bot.analytics.figures import HOURS, Figure, Period, show

# A cell starting with one of these is a formula to a spreadsheet: never hand one over as such.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(figure: Figure, period: Period) -> str:
    """One figure's table with raw numbers (durations in hours), and the period it covers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(f"{c.name} (hours)" if c.kind == HOURS else c.name) for c in figure.columns])
    for row in figure.rows:
        writer.writerow([_cell(v) for v in row])
    writer.writerow([])
    writer.writerow(["Period", period.first.isoformat(), period.last.isoformat()])
    return out.getvalue()


def as_text(figure: Figure) -> str:
    """The figure as a plain-text table under its title and headline."""
    cells: List[List[str]] = [[c.name for c in figure.columns]]
    cells += [[show(v, c.kind) for v, c in zip(row, figure.columns)] for row in figure.rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(figure.columns))]
    lines = [figure.title, "=" * len(figure.title), figure.summary, ""]
    for n, row in enumerate(cells):
        lines.append("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)

"""Figures as CSV and text (bot/analytics/export.py), and python -m bot.analytics."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.analytics.__main__ import main
from bot.analytics.export import as_text, to_csv
from bot.analytics.figures import HOURS, PERCENT, TEXT, Chart, Column, Figure, Period

PERIOD = Period(date(2026, 6, 1), date(2026, 6, 30), ZoneInfo("Europe/London"))
FIGURE = Figure("times", "Times", "headline",
                [Column("Back office", TEXT), Column("Cases"), Column("Share", PERCENT), Column("Median", HOURS)],
                [["=HYPERLINK(\"http://x\")", 3, 12.5, 1.5], ["highways", 2, None, None]],
                Chart("bars", [], []))


def test_csv_has_raw_numbers_hours_named_and_no_formulas() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(FIGURE, PERIOD))))
    assert rows[0] == ["Back office", "Cases", "Share", "Median (hours)"]
    assert rows[1] == ["'=HYPERLINK(\"http://x\")", "3", "12.5", "1.5"]
    assert rows[2] == ["highways", "2", "", ""]
    assert rows[-1] == ["Period", "2026-06-01", "2026-06-30"]


def test_text_tables_show_values_as_people_read_them() -> None:
    text = as_text(FIGURE)
    assert text.splitlines()[:3] == ["Times", "=====", "headline"]
    assert "12.5%" in text and "1 h 30 min" in text and "-" in text.splitlines()[-1]


def test_the_command_prints_every_figure_or_one_as_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    for name in ("DATABASE_URL", "TRACKER_STORE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--from", "2026-06-01", "--to", "2026-06-30"]) == 0
    out = capsys.readouterr().out
    assert "Service analytics, 01 Jun 2026 to 30 Jun 2026" in out and "Containment\n===========" in out
    assert main(["--from", "2026-06-01", "--to", "2026-06-02", "--figure", "cases", "--csv"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == ["Day,Web chat,SMS,REST (developers),All",
                                                          "2026-06-01,0,0,0,0"]
    assert main(["--figure", "nonsense"]) == 2 and "Figures: conversations, cases" in capsys.readouterr().err
    assert main(["--csv"]) == 2

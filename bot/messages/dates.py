"""Dates as residents read them, in their language, from the catalogue (not the machine's locale).

"08 December 2026" / "08 Rhagfyr 2026"; "Tuesday 08 December" / "dydd Mawrth 08 Rhagfyr".
Month names are ``date.month.<1-12>``, weekdays ``hours.day.<0-6>`` (Monday first).
"""

from __future__ import annotations

from datetime import date

from bot import messages


def long_date(day: date, language: str = messages.DEFAULT_LANGUAGE) -> str:
    """The day, month and year: "08 December 2026"."""
    return messages.text("date.long", language, day=f"{day.day:02d}",
                         month=messages.text(f"date.month.{day.month}", language), year=day.year)


def day_and_date(day: date, language: str = messages.DEFAULT_LANGUAGE) -> str:
    """The weekday, day and month: "Tuesday 08 December"."""
    return messages.text("date.weekday", language, weekday=messages.text(f"hours.day.{day.weekday()}", language),
                         day=f"{day.day:02d}", month=messages.text(f"date.month.{day.month}", language))

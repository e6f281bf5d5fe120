"""Dates in the resident's language from the catalogue, the same as before in English."""

from datetime import date

import pytest

from bot.messages.dates import day_and_date, long_date


@pytest.mark.parametrize("day", [date(2026, 12, 8), date(2027, 1, 1), date(2026, 3, 29), date(2026, 7, 5)])
def test_english_dates_are_as_strftime_gave_them(day):
    assert long_date(day) == day.strftime("%d %B %Y")
    assert day_and_date(day) == day.strftime("%A %d %B")


def test_welsh_dates():
    assert long_date(date(2026, 12, 8), "cy") == "08 Rhagfyr 2026"
    assert day_and_date(date(2026, 12, 8), "cy") == "dydd Mawrth 08 Rhagfyr"
    assert day_and_date(date(2027, 2, 7), "cy") == "dydd Sul 07 Chwefror"

"""Staffed hours: open or not, and when someone will reply."""

from datetime import datetime, timezone

import pytest

from bot.escalation.hours import HoursError, StaffedHours, when_text

HOURS = StaffedHours.parse("Mon-Fri 08:00-18:00; Sat 09:00-13:00", "Europe/London")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_open_inside_weekday_hours_in_local_time() -> None:
    # 2026-07-01 is a Wednesday; 07:30 UTC is 08:30 BST.
    assert HOURS.is_open(utc(2026, 7, 1, 7, 30))
    assert not HOURS.is_open(utc(2026, 7, 1, 6, 30))  # 07:30 BST
    assert not HOURS.is_open(utc(2026, 7, 1, 17, 0))  # 18:00 BST: closed at the end time


def test_next_opening_after_friday_evening_is_saturday_morning() -> None:
    friday_evening = utc(2026, 7, 3, 19, 0)  # 20:00 BST Friday
    opening = HOURS.next_opening(friday_evening)
    assert (opening.strftime("%A"), opening.hour) == ("Saturday", 9)
    assert when_text(opening, friday_evening) == "tomorrow at 9am"


def test_next_opening_after_saturday_closing_is_monday() -> None:
    saturday_afternoon = utc(2026, 7, 4, 14, 0)
    opening = HOURS.next_opening(saturday_afternoon)
    assert when_text(opening, saturday_afternoon) == "on Monday at 8am"


def test_early_morning_opens_today() -> None:
    early = utc(2026, 7, 1, 5, 0)
    assert when_text(HOURS.next_opening(early), early) == "at 8am today"


def test_describe() -> None:
    assert HOURS.describe() == "Monday to Friday 8am to 6pm, Saturday 9am to 1pm"


@pytest.mark.parametrize("spec", ["", "Mon-Fri", "Mon-Fri 18:00-08:00", "Funday 08:00-10:00", "Mon 25:00-26:00"])
def test_bad_specs_are_refused_clearly(spec: str) -> None:
    with pytest.raises(HoursError):
        StaffedHours.parse(spec)


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(HoursError, match="STAFFED_TIMEZONE"):
        StaffedHours.parse("Mon-Fri 08:00-18:00", "Mars/Olympus")


def test_settings_carry_staffed_hours_and_the_console_refuses_bad_ones(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from bot.console.__main__ import serve
    from bot.settings import load_settings

    env = {"VAR_DIR": str(tmp_path), "STAFFED_HOURS": "Sat 09:00-12:00", "STAFFED_TIMEZONE": "Europe/Dublin"}
    settings = load_settings(env)
    assert StaffedHours.parse(settings.staffed_hours, settings.staffed_timezone).describe() == "Saturday 9am to 12pm"
    bad = load_settings({**env, "STAFFED_HOURS": "weekdays", "CONSOLE_SECRET_KEY": "k", "RASA_API_TOKEN": "t"})
    assert serve(bad) == 2
    assert "STAFFED_HOURS" in capsys.readouterr().err

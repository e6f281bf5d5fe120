"""Staffed hours of the contact centre: is someone there, and if not, when?

STAFFED_HOURS is like "Mon-Fri 08:00-18:00" or "Mon-Fri 08:00-18:00; Sat 09:00-13:00"
in the council's time zone (STAFFED_TIMEZONE, default Europe/London).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Dict, List, Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import messages

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(
    r"^(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$"
)


class HoursError(ValueError):
    """STAFFED_HOURS or STAFFED_TIMEZONE cannot be understood."""


def _clock(raw: str) -> time:
    hours, minutes = (int(p) for p in raw.split(":"))
    if hours == 24 and minutes == 0:
        return time(23, 59, 59)
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise HoursError(f"{raw!r} is not a time of day")
    return time(hours, minutes)


@dataclass(frozen=True)
class StaffedHours:
    """Opening times per weekday (0 = Monday) in one time zone."""

    windows: Dict[int, Tuple[time, time]]
    timezone: ZoneInfo

    @classmethod
    def parse(cls, spec: str, timezone: str = "Europe/London") -> "StaffedHours":
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise HoursError(f"STAFFED_TIMEZONE {timezone!r} is not a known time zone") from None
        windows: Dict[int, Tuple[time, time]] = {}
        for part in filter(None, (p.strip().lower() for p in spec.split(";"))):
            match = _PART.match(part)
            if not match or match["first"] not in DAYS or (match["last"] and match["last"] not in DAYS):
                raise HoursError(f"STAFFED_HOURS part {part!r} should look like 'Mon-Fri 08:00-18:00'")
            first = DAYS.index(match["first"])
            last = DAYS.index(match["last"] or match["first"])
            start, end = _clock(match["start"]), _clock(match["end"])
            if end <= start:
                raise HoursError(f"STAFFED_HOURS part {part!r} ends before it starts")
            for day in range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]:
                windows[day] = (start, end)
        if not windows:
            raise HoursError("STAFFED_HOURS lists no opening times")
        return cls(windows, zone)

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(self.timezone)
        window = self.windows.get(local.weekday())
        return window is not None and window[0] <= local.time() < window[1]

    def next_opening(self, now: datetime) -> datetime:
        """When staff are next there (``now`` itself while open)."""
        if self.is_open(now):
            return now
        local = now.astimezone(self.timezone)
        for offset in range(0, 8):
            day = (local + timedelta(days=offset)).date()
            window = self.windows.get(day.weekday())
            if window is None:
                continue
            opening = datetime.combine(day, window[0], tzinfo=self.timezone)
            if opening > local:
                return opening
        raise HoursError("no opening time within a week")  # unreachable: parse() needs one window

    def describe(self, language: str = messages.DEFAULT_LANGUAGE) -> str:
        """e.g. "Monday to Friday 8am to 6pm" (for residents), in ``language``."""
        groups: List[Tuple[List[int], Tuple[time, time]]] = []
        for day in range(7):
            window = self.windows.get(day)
            if window is None:
                continue
            if groups and groups[-1][1] == window and groups[-1][0][-1] == day - 1:
                groups[-1][0].append(day)
            else:
                groups.append(([day], window))
        parts = []
        for days, (start, end) in groups:
            span = _day(days[0], language) if len(days) == 1 else messages.text(
                "hours.day_span", language, first=_day(days[0], language), last=_day(days[-1], language))
            parts.append(messages.text("hours.window", language, days=span, start=_friendly(start, language),
                                       end=_friendly(end, language)))
        return ", ".join(parts)


def _day(weekday: int, language: str = messages.DEFAULT_LANGUAGE) -> str:
    """The day's name (Monday is 0), from the catalogue rather than the machine's locale."""
    return messages.text(f"hours.day.{weekday}", language)


def _friendly(moment: time, language: str = messages.DEFAULT_LANGUAGE) -> str:
    hour = moment.hour % 12 or 12
    clock = str(hour) if moment.minute == 0 else f"{hour}:{moment.minute:02d}"
    return messages.text("hours.am" if moment.hour < 12 else "hours.pm", language, clock=clock)


def when_text(opening: datetime, now: datetime, language: str = messages.DEFAULT_LANGUAGE) -> str:
    """A resident-friendly "when": "at 8am today", "tomorrow at 8am", "on Monday at 8am", in ``language``."""
    local_now = now.astimezone(opening.tzinfo)
    clock = _friendly(opening.time(), language)
    days = (opening.date() - local_now.date()).days
    if days == 0:
        return messages.text("hours.today_at", language, clock=clock)
    if days == 1:
        return messages.text("hours.tomorrow_at", language, clock=clock)
    return messages.text("hours.day_at", language, day=_day(opening.weekday(), language), clock=clock)


def optional_hours(spec: Optional[str], timezone: str) -> Optional[StaffedHours]:
    return StaffedHours.parse(spec, timezone) if spec else None

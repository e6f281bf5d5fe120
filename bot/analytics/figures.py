"""The service's figures for a range of days: one computation for the console's dashboard and the CLI.

Every figure is a few SQL aggregates over the analytics rollups (conversations
summed per hour and channel, each conversation's staff reply time, each case's
acceptance and closure times: bot/analytics/rollup.py, which also marks the
conversations a resident came back to within 7 days) and
over our own tables (cases, escalations, outbox, notifications). Days are the
council's (STAFFED_TIMEZONE): rows are counted per UTC hour in SQL and the hours
are given to local days here, so summer time is right on SQLite and PostgreSQL
alike. Definitions: docs/analytics.md.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, cast, func, literal, null, select, union_all
from sqlalchemy.engine import Engine
from sqlalchemy.sql import ColumnElement

from bot.categories import CATEGORIES
from bot.conversations import REST_CHANNEL, SMS_CHANNEL, WEB_CHANNEL
from bot.storage.schema import analytics_conversations as conv
from bot.analytics.rollup import CASE_HOURS_WATERMARK
from bot.storage.schema import analytics_case_hours, analytics_cases, analytics_state, cases, escalations
from bot.storage.schema import notifications, outbox
from bot.storage.schema import analytics_hours as hours

DEFAULT_DAYS = 30
EPOCH_DAY = date(1970, 1, 1)
MAX_DAYS = 731
CHANNELS = (WEB_CHANNEL, SMS_CHANNEL, REST_CHANNEL)
CHANNEL_NAMES = {WEB_CHANNEL: "Web chat", SMS_CHANNEL: "SMS", REST_CHANNEL: "REST (developers)"}
CATEGORY_NAMES = {c.key: c.title[:1].upper() + c.title[1:] for c in CATEGORIES}
REASON_NAMES = {"talk_to_human": "Asked for a person", "repeated_fallback": "Not understood twice",
                "complaint": "Complaint", "urgent": "Urgent or safeguarding"}
NOTIFICATION_NAMES = {"sent": "Sent", "failed": "Failed", "no_push_channel": "No way to reach them",
                      "sending": "Being sent"}
# Time to first staff reply, in these bands (upper bounds in seconds).
REPLY_BANDS: Tuple[Tuple[str, float], ...] = (
    ("Under 5 minutes", 300), ("5 to 15 minutes", 900), ("15 to 60 minutes", 3600), ("1 to 4 hours", 4 * 3600),
    ("4 to 24 hours", 24 * 3600), ("Over a day", float("inf")),
)

# Column kinds: how a value is shown (the CSV has the raw number).
TEXT, COUNT, PERCENT, HOURS = "text", "count", "percent", "hours"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = COUNT


@dataclass(frozen=True)
class Chart:
    """What to draw: ``columns`` (one per label, series stacked) or ``bars`` (horizontal, series side by side)."""

    kind: str
    labels: List[str]
    series: List[Tuple[str, List[float]]]
    unit: str = ""


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    summary: str  # one sentence with the headline: the chart's description, and the CLI's first line
    columns: List[Column]
    rows: List[List[Any]]
    chart: Chart


@dataclass(frozen=True)
class Period:
    """Whole local days, first to last inclusive."""

    first: date
    last: date
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/London"))

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), self.zone).astimezone(timezone.utc)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), self.zone).astimezone(timezone.utc)

    @property
    def days(self) -> List[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @classmethod
    def parse(cls, args: Mapping[str, Optional[str]], zone: ZoneInfo,
              today: Optional[date] = None) -> Tuple["Period", List[str]]:
        """From ``from``/``to`` (YYYY-MM-DD); what cannot be used is named and the default kept."""
        today = today or datetime.now(zone).date()
        problems: List[str] = []

        def day(name: str) -> Optional[date]:
            value = (args.get(name) or "").strip()[:20]
            if not value:
                return None
            try:
                return date.fromisoformat(value)
            except ValueError:
                problems.append(f"'{value}' is not a date (YYYY-MM-DD): ignored.")
                return None

        last = day("to") or today
        first = day("from") or last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            first, last = last, first
            problems.append("The first day was after the last: swapped.")
        if (last - first).days + 1 > MAX_DAYS:
            first = last - timedelta(days=MAX_DAYS - 1)
            problems.append(f"At most {MAX_DAYS} days at once: starting {first.isoformat()}.")
        return cls(first, last, zone), problems


# ----- dialect-specific expressions (everything else is portable SQLAlchemy Core) -----------------

def _datetime_hour(column: Any, dialect: str) -> ColumnElement:
    """The UTC hour (hours since 1970) of a DateTime column (stored in UTC)."""
    if dialect == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / 3600), Integer)
    # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff'; strftime('%s') reads it as UTC.
    return cast(func.strftime("%s", column), Integer) / 3600


# ----- the figures --------------------------------------------------------------------------------

def percent(part: float, whole: float) -> Optional[float]:
    return round(100.0 * part / whole, 1) if whole else None


def _median(values: Sequence[float]) -> Optional[float]:
    return statistics.median(values) if values else None


def _quantile(values: Sequence[float], q: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _hours(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None else round(seconds / 3600.0, 2)


def duration_text(seconds: Optional[float]) -> str:
    """'45 min', '3 h 20 min', '2 days 4 h'; '-' when there is nothing to measure."""
    if seconds is None:
        return "-"
    minutes = int(round(seconds / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} days {hours % 24} h"


def _per_day(period: Period, counted: Sequence[Tuple[Any, str, int]],
             channels: Sequence[str]) -> Dict[date, Dict[str, int]]:
    """Counts per council day (days since 1970, from :func:`_local_day`) and channel, as a table of every day."""
    days: Dict[date, Dict[str, int]] = {d: {c: 0 for c in channels} for d in period.days}
    for day, channel, count in counted:
        row = days.get(EPOCH_DAY + timedelta(days=int(day)))
        if row is not None:
            row[channel if channel in row else REST_CHANNEL] += int(count)
    return days


def _local_day(hour: Any, period: Period) -> ColumnElement:
    """The council day (days since 1970) of a UTC hour column, in SQL: (hour + the zone's offset) / 24.

    The offset is a whole number of hours (as in the UK) and changes only at the summer time
    transitions: a CASE over the few hours where it changes within the period. Counting per day in SQL
    returns a few hundred rows for a year instead of every hour's.
    """
    def offset(at_hour: int) -> int:
        moment = datetime.fromtimestamp(at_hour * 3600, timezone.utc).astimezone(period.zone)
        return int((moment.utcoffset() or timedelta()).total_seconds() // 3600)

    starts = [int(datetime.combine(d, time(), period.zone).timestamp() // 3600) for d in period.days]
    starts.append(int(period.end.timestamp() // 3600))
    changes: List[Tuple[int, int]] = [(starts[0], offset(starts[0]))]
    for before, after in zip(starts, starts[1:]):
        if offset(after) != changes[-1][1]:
            low, high = before, after  # the offset changes at an hour in (low, high]: bisect for it
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == changes[-1][1] else (low, middle)
            changes.append((high, offset(high)))
    shift: Any = literal(changes[-1][1])
    if len(changes) > 1:
        shift = case(*[(hour < at, literal(changes[n - 1][1])) for n, (at, _) in enumerate(changes) if n],
                     else_=literal(changes[-1][1]))
    return (hour + shift) / 24


def _daily_figure(key: str, title: str, noun: str, period: Period, days: Dict[date, Dict[str, int]]) -> Figure:
    total = sum(sum(v.values()) for v in days.values())
    rows = [[d.isoformat(), *[days[d][c] for c in CHANNELS], sum(days[d].values())] for d in period.days]
    busiest = max(period.days, key=lambda d: sum(days[d].values()))
    summary = (f"{total} {noun} from {period.first:%d %b %Y} to {period.last:%d %b %Y}"
               + (f"; the busiest day was {busiest:%a %d %b} with {sum(days[busiest].values())}." if total else "."))
    return Figure(
        key, title, summary,
        [Column("Day", TEXT), *[Column(CHANNEL_NAMES[c]) for c in CHANNELS], Column("All")],
        rows,
        Chart("columns", [d.strftime("%d %b") for d in period.days],
              [(CHANNEL_NAMES[c], [float(days[d][c]) for d in period.days]) for c in CHANNELS], noun),
    )


def compute(engine: Engine, period: Period) -> List[Figure]:
    """Every figure for ``period``, in the dashboard's order."""
    dialect = engine.dialect.name
    start, end = period.start, period.end
    in_range = and_(conv.c.started_at >= start.timestamp(), conv.c.started_at < end.timestamp())
    cases_in_range = and_(cases.c.created_at >= start, cases.c.created_at < end)
    # The council's days begin on a UTC hour (whole-hour offsets, as in the UK).
    hours_in_range = and_(hours.c.hour >= int(start.timestamp() // 3600), hours.c.hour < int(end.timestamp() // 3600))
    with engine.connect() as conn:
        day = _local_day(hours.c.hour, period)
        conversation_days = conn.execute(select(day.label("day"), hours.c.channel, func.sum(hours.c.conversations))
                                         .where(hours_in_range).group_by("day", hours.c.channel)).all()
        case_days, categories = _case_counts(conn, dialect, period, cases_in_range)
        by_channel = {row.channel: row for row in conn.execute(
            select(hours.c.channel, *[func.sum(hours.c[name]).label(name) for name in (
                "conversations", "messages", "fallbacks", "escalated", "served", "came_back")],
                   *[func.sum(hours.c[f"confidence_{n}"]).label(f"c{n}") for n in range(10)])
            .where(hours_in_range).group_by(hours.c.channel)).all()}
        reply_waits = [float(w) for w, in _plain_rows(conn, select(conv.c.first_staff_reply_at - conv.c.escalated_at)
                                                      .where(in_range, conv.c.first_staff_reply_at.is_not(None)))]
        reasons = conn.execute(select(escalations.c.reason, func.count())
                               .where(escalations.c.created_at >= start, escalations.c.created_at < end)
                               .group_by(escalations.c.reason).order_by(func.count().desc(), escalations.c.reason)).all()
        in_days = and_(analytics_cases.c.created_at >= start.timestamp(), analytics_cases.c.created_at < end.timestamp())
        # Accepted whenever closed (closed is at or beyond open): one read gives both.
        accepted, closed = _case_medians(_plain_rows(conn, (
            select(analytics_cases.c.category, analytics_cases.c.accepted_after, analytics_cases.c.closed_after)
            .where(in_days, analytics_cases.c.accepted_after.is_not(None)))))
        deliveries = conn.execute(
            select(func.coalesce(cases.c.backoffice, "(not routed yet)"), outbox.c.state, func.count())
            .join(outbox, outbox.c.case_id == cases.c.id).where(cases_in_range)
            .group_by(cases.c.backoffice, outbox.c.state)).all()
        flagged = dict(conn.execute(
            select(func.coalesce(cases.c.backoffice, "(not routed yet)"), func.count())
            .where(cases_in_range, cases.c.needs_attention.is_(True)).group_by(cases.c.backoffice)).all())
        told = conn.execute(select(notifications.c.state, func.count())
                            .where(notifications.c.created_at >= start, notifications.c.created_at < end)
                            .group_by(notifications.c.state)).all()

    figures = [
        _daily_figure("conversations", "Conversations per day", "conversations", period,
                      _per_day(period, conversation_days, CHANNELS)),
        _daily_figure("cases", "Cases per day", "cases", period,
                      _per_day(period, case_days, CHANNELS)),
        _category_figure(categories),
        _containment_figure(by_channel),
        _escalation_figure(by_channel, reasons),
        _reply_figure(reply_waits, by_channel),
        _fallback_figure(by_channel),
        _confidence_figure(by_channel),
        _delivery_figure(deliveries, flagged),
        _notification_figure(told),
        _case_time_figure(dict(categories), accepted, closed),
    ]
    return figures


def _plain_rows(conn: Any, statement: Any) -> List[Tuple[Any, ...]]:
    """A statement's rows as the database driver returns them, fetched at once.

    For the reads of tens of thousands of numbers (a year's case times and staff reply waits): SQLAlchemy's
    result rows cost more CPU than the query. Only for columns that need no conversion (numbers, text)
    and parameters the driver takes as they are.
    """
    compiled = statement.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled), [params[name] for name in compiled.positiontup] if compiled.positional
                       else params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _case_counts(conn: Any, dialect: str, period: Period, cases_in_range: Any
                 ) -> Tuple[List[Tuple[int, str, int]], List[Tuple[str, int]]]:
    """Cases per council day and channel, and per category (most first), received in the period.

    The rollup's counts per hour, channel and category (``analytics_case_hours``) up to its mark, and
    the cases after the mark counted from ``cases``: in one statement, so both parts are read from the
    same moment whatever a refresh does meanwhile.
    """
    ch = analytics_case_hours
    mark = select(func.coalesce(func.max(analytics_state.c.value), literal(0))).where(
        analytics_state.c.name == CASE_HOURS_WATERMARK).scalar_subquery()
    hour = _datetime_hour(cases.c.created_at, dialect)
    counted = union_all(
        select(ch.c.hour, ch.c.channel, ch.c.category, ch.c.cases.label("n"))
        .where(ch.c.hour >= int(period.start.timestamp() // 3600), ch.c.hour < int(period.end.timestamp() // 3600)),
        select(hour.label("hour"), cases.c.channel, cases.c.category, func.count().label("n"))
        .where(cases_in_range, cases.c.id > mark).group_by(hour, cases.c.channel, cases.c.category),
    ).cte("counted")
    day = _local_day(counted.c.hour, period)
    both = union_all(
        select(literal("day").label("kind"), day.label("day"), counted.c.channel, null().label("category"),
               func.sum(counted.c.n)).group_by(day, counted.c.channel),
        select(literal("category"), null(), null(), counted.c.category, func.sum(counted.c.n))
        .group_by(counted.c.category),
    )
    days: List[Tuple[int, str, int]] = []
    per_category: List[Tuple[str, int]] = []
    for kind, day_value, channel, category, count in conn.execute(both):
        if kind == "day":
            days.append((int(day_value), channel, int(count)))
        else:
            per_category.append((category, int(count)))
    return days, sorted(per_category, key=lambda item: (-item[1], item[0]))


def _sum(by_channel: Mapping[str, Any], name: str) -> int:
    return int(sum(int(getattr(row, name) or 0) for row in by_channel.values()))


def _channels_present(by_channel: Mapping[str, Any]) -> List[str]:
    return [c for c in CHANNELS if c in by_channel] + sorted(c for c in by_channel if c not in CHANNELS)


def _category_figure(categories: Sequence[Tuple[str, int]]) -> Figure:
    total = sum(int(n) for _, n in categories)
    rows = [[CATEGORY_NAMES.get(c, c), int(n), percent(n, total)] for c, n in categories]
    top = f" The most common was {rows[0][0].lower()} ({rows[0][2]}%)." if rows else ""
    return Figure("categories", "Cases by category", f"{total} cases in {len(rows)} categories.{top}",
                  [Column("Category", TEXT), Column("Cases"), Column("Share", PERCENT)], rows,
                  Chart("bars", [r[0] for r in rows], [("Cases", [float(r[1]) for r in rows])], "cases"))


def _containment_figure(by_channel: Mapping[str, Any]) -> Figure:
    rows = []
    for channel in _channels_present(by_channel) + ["all"]:
        if channel == "all":
            total, escalated = _sum(by_channel, "conversations"), _sum(by_channel, "escalated")
            served, back = _sum(by_channel, "served"), _sum(by_channel, "came_back")
            name = "All channels"
        else:
            row = by_channel[channel]
            total, escalated = int(row.conversations), int(row.escalated)
            served, back = int(row.served or 0), int(row.came_back or 0)
            name = CHANNEL_NAMES.get(channel, channel)
        contained = served - back
        rows.append([name, total, served, escalated, back, contained, percent(contained, total)])
    overall = rows[-1]
    summary = (f"{overall[5]} of {overall[1]} conversations were contained ({overall[6]}%): a case or an answer, "
               f"no hand-over to staff, and no return about the same thing within 7 days." if overall[1]
               else "No conversations in this period.")
    return Figure(
        "containment", "Containment", summary,
        [Column("Channel", TEXT), Column("Conversations"), Column("Case or answer, not escalated"),
         Column("Escalated"), Column("Came back within 7 days"), Column("Contained"),
         Column("Containment", PERCENT)],
        rows, Chart("bars", [r[0] for r in rows], [("Containment %", [float(r[6] or 0) for r in rows])], "%"))


def _escalation_figure(by_channel: Mapping[str, Any], reasons: Sequence[Tuple[str, int]]) -> Figure:
    total, escalated = _sum(by_channel, "conversations"), _sum(by_channel, "escalated")
    handed = sum(int(n) for _, n in reasons)
    rows = [[REASON_NAMES.get(r, r), int(n), percent(n, handed)] for r, n in reasons]
    summary = (f"{escalated} of {total} conversations ({percent(escalated, total) or 0}%) were handed to staff; "
               f"{handed} hand-overs by reason below.")
    return Figure("escalations", "Escalations and their reasons", summary,
                  [Column("Reason", TEXT), Column("Escalations"), Column("Share", PERCENT)], rows,
                  Chart("bars", [r[0] for r in rows], [("Escalations", [float(r[1]) for r in rows])], "escalations"))


def _reply_figure(waits: Sequence[float], by_channel: Mapping[str, Any]) -> Figure:
    escalated = _sum(by_channel, "escalated")
    counts = [0] * len(REPLY_BANDS)
    uppers = [upper for _, upper in REPLY_BANDS]
    for wait in waits:
        counts[bisect_right(uppers, wait)] += 1
    rows = [[name, counts[i], percent(counts[i], len(waits))] for i, (name, _) in enumerate(REPLY_BANDS)]
    rows.append(["No staff reply yet", escalated - len(waits), None])
    summary = (f"Median time to the first staff reply {duration_text(_median(waits))}, 90th percentile "
               f"{duration_text(_quantile(waits, 0.9))}, over {len(waits)} escalated conversations "
               f"({escalated - len(waits)} without a staff reply).")
    return Figure("staff_reply", "Time to first staff reply", summary,
                  [Column("Waited", TEXT), Column("Conversations"), Column("Share", PERCENT)], rows,
                  Chart("columns", [r[0] for r in rows[:-1]], [("Conversations", [float(c) for c in counts])],
                        "conversations"))


def _fallback_figure(by_channel: Mapping[str, Any]) -> Figure:
    rows = []
    for channel in _channels_present(by_channel):
        row = by_channel[channel]
        rows.append([CHANNEL_NAMES.get(channel, channel), int(row.messages), int(row.fallbacks),
                     percent(int(row.fallbacks), int(row.messages))])
    messages, fallbacks = _sum(by_channel, "messages"), _sum(by_channel, "fallbacks")
    rows.append(["All channels", messages, fallbacks, percent(fallbacks, messages)])
    return Figure("fallbacks", "Messages not understood (fallback rate)",
                  f"{fallbacks} of {messages} resident messages ({percent(fallbacks, messages) or 0}%) were not "
                  "understood well enough to act on (nlu_fallback).",
                  [Column("Channel", TEXT), Column("Resident messages"), Column("Not understood"),
                   Column("Fallback rate", PERCENT)], rows,
                  Chart("bars", [r[0] for r in rows], [("Fallback rate %", [float(r[3] or 0) for r in rows])], "%"))


def _confidence_figure(by_channel: Mapping[str, Any]) -> Figure:
    counts = [_sum(by_channel, f"c{n}") for n in range(10)]
    total = sum(counts)
    rows = [[f"{n / 10:.1f} to {(n + 1) / 10:.1f}", counts[n], percent(counts[n], total)] for n in range(10)]
    below = percent(sum(counts[:5]), total)
    return Figure("confidence", "NLU confidence of the chosen intent",
                  f"{total} resident messages; {below or 0}% were classified with confidence below 0.5.",
                  [Column("Confidence", TEXT), Column("Messages"), Column("Share", PERCENT)], rows,
                  Chart("columns", [r[0] for r in rows], [("Messages", [float(c) for c in counts])], "messages"))


def _delivery_figure(deliveries: Sequence[Tuple[str, str, int]], flagged: Mapping[str, int]) -> Figure:
    table: Dict[str, Dict[str, int]] = {}
    for backoffice, state, count in deliveries:
        table.setdefault(backoffice, {}).update({state: int(count)})
    rows = [[name, states.get("pending", 0), states.get("delivered", 0), states.get("failed", 0),
             int(flagged.get(name, 0))] for name, states in sorted(table.items())]
    pending, failed = sum(r[1] for r in rows), sum(r[3] for r in rows)
    return Figure("deliveries", "Deliveries to back offices",
                  f"Of the cases received in this period, {pending} are waiting to be delivered and {failed} "
                  f"failed for good; {sum(r[4] for r in rows)} are flagged for staff.",
                  [Column("Back office", TEXT), Column("Pending"), Column("Delivered"), Column("Failed"),
                   Column("Flagged for staff")], rows,
                  Chart("bars", [r[0] for r in rows], [("Pending", [float(r[1]) for r in rows]),
                                                       ("Failed", [float(r[3]) for r in rows])], "cases"))


def _notification_figure(told: Sequence[Tuple[str, int]]) -> Figure:
    total = sum(int(n) for _, n in told)
    rows = [[NOTIFICATION_NAMES.get(s, s), int(n), percent(n, total)] for s, n in sorted(told)]
    failed = sum(int(n) for s, n in told if s == "failed")
    return Figure("notifications", "Messages to residents about their cases",
                  f"{total} status messages and updates; {failed} could not be sent.",
                  [Column("Outcome", TEXT), Column("Messages"), Column("Share", PERCENT)], rows,
                  Chart("bars", [r[0] for r in rows], [("Messages", [float(r[1]) for r in rows])], "messages"))


Medians = Dict[Optional[str], Tuple[int, Optional[float]]]


def _case_medians(rows: Iterable[Tuple[str, float, Optional[float]]]) -> Tuple[Medians, Medians]:
    """From (category, seconds to acceptance, seconds to closure or None), read once (a year is ~50,000):
    per category (and None: all) how many cases were accepted and closed, and the medians (values never
    negative: the rollup clamps them)."""
    accepted: Dict[Optional[str], List[float]] = defaultdict(list)
    closed: Dict[Optional[str], List[float]] = defaultdict(list)
    for category, took_accept, took_close in rows:
        accepted[category].append(took_accept)
        if took_close is not None:
            closed[category].append(took_close)
    return _medians(accepted), _medians(closed)


def _medians(values: Dict[Optional[str], List[float]]) -> Medians:
    values[None] = [seconds for found in list(values.values()) for seconds in found]
    return {key: (len(found), _median(found)) for key, found in values.items()}


def _case_time_figure(received: Mapping[str, int], accepted: Medians, closed: Medians) -> Figure:
    def row(name: str, key: Optional[str], cases: int) -> List[Any]:
        took_accept, took_close = accepted.get(key, (0, None)), closed.get(key, (0, None))
        return [name, cases, took_accept[0], _hours(took_accept[1]), took_close[0], _hours(took_close[1])]

    rows = [row("All categories", None, sum(received.values()))]
    for category in sorted(received, key=lambda c: -received[c]):
        rows.append(row(CATEGORY_NAMES.get(category, category), category, received[category]))
    every_accept, every_close = accepted.get(None, (0, None)), closed.get(None, (0, None))
    summary = (f"Median from report to acceptance by the back office {duration_text(every_accept[1])} "
               f"({every_accept[0]} cases accepted); to closure {duration_text(every_close[1])} "
               f"({every_close[0]} closed).")
    return Figure(
        "case_times", "Time from report to acceptance and to closure", summary,
        [Column("Category", TEXT), Column("Cases"), Column("Accepted"), Column("Median to acceptance", HOURS),
         Column("Closed"), Column("Median to closure", HOURS)],
        rows, Chart("bars", [r[0] for r in rows], [("Median hours to acceptance", [float(r[3] or 0) for r in rows]),
                                                   ("Median hours to closure", [float(r[5] or 0) for r in rows])],
                    "hours"))


def show(value: Any, kind: str) -> str:
    """A value as people read it (the CSV keeps the raw number)."""
    if value is None:
        return "-"
    if kind == PERCENT:
        return f"{value:.1f}%"
    if kind == HOURS:
        return duration_text(float(value) * 3600)
    if kind == COUNT:
        return f"{int(value):,}"
    return str(value)

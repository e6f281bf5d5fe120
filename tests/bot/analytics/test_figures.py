"""The analytics figures (bot/analytics/figures.py) over a real Rasa events table and our real tables, on
SQLite and on PostgreSQL, with constructed conversations: each metric, and containment's 7-day rule at its
edges."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, Iterator, Optional
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from bot.analytics import rollup
from bot.analytics.figures import Period, compute, duration_text
from bot.cases.model import CLOSED, IN_PROGRESS, OPEN, NewCase
from bot.storage.cases import CaseStore
from bot.storage.database import create_schema, make_engine
from bot.storage.escalations import EscalationStore
from bot.storage.schema import case_updates, cases, escalations, notifications, outbox
from tests.support.analytics import Conversations
from tests.support.postgres import module_cluster, new_database, ThrowawayPostgres

LONDON = ZoneInfo("Europe/London")
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
JUNE = Period(date(2026, 6, 1), date(2026, 6, 30), LONDON)
WEEK = timedelta(days=7)


class World:
    def __init__(self, case_store: CaseStore, tracker_url: str) -> None:
        self.cases = case_store
        self.engine = case_store.engine
        self.tracker = make_engine(tracker_url)
        self.talk = Conversations(self.tracker)
        self.made = 0

    def report(self, sender: str, at: datetime, category: str = "missed_bin", channel: str = "web",
               confidence: float = 0.95) -> str:
        """A whole report: the resident says what, the form runs, the case is made."""
        self.talk.session(sender, at)
        self.talk.says(sender, at + timedelta(seconds=5), f"report_{category}", confidence, channel=channel)
        self.talk.action(sender, at + timedelta(seconds=6), f"{category}_form", {"report_category": category})
        self.talk.says(sender, at + timedelta(seconds=30), "affirm", channel=channel)
        self.made += 1
        made = self.cases.create(NewCase(category=category, conversation_id=sender, channel=channel),
                                 idempotency_key=f"{sender}:{self.made}")
        with self.engine.begin() as conn:
            conn.execute(update(cases).where(cases.c.id == made.id).values(created_at=at + timedelta(seconds=31)))
        self.talk.action(sender, at + timedelta(seconds=32), "action_finish_report",
                         {"case_reference": made.reference})
        return made.reference

    def figures(self, period: Period = JUNE) -> Dict[str, object]:
        rollup.update(self.engine, self.tracker)
        return {f.key: f for f in compute(self.engine, period)}

    def containment(self, period: Period = JUNE) -> list:
        """The 'All channels' row: conversations, served, escalated, came back, contained, %."""
        return self.figures(period)["containment"].rows[-1][1:]


@pytest.fixture(scope="module")
def postgres() -> Iterator[Optional[ThrowawayPostgres]]:
    yield from module_cluster()


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path) -> World:
    """Our database and Rasa's tracker store, both on SQLite, or both on PostgreSQL for the tests marked
    ``BOTH`` (what is written differently there: hours, intervals, the return marks, the joins)."""
    if getattr(request, "param", "sqlite") == "sqlite":
        urls = [f"sqlite:///{tmp_path / 'council.db'}", f"sqlite:///{tmp_path / 'tracker.db'}"]
    else:
        urls = [new_database(request, "council"), new_database(request, "tracker")]
    engine = make_engine(urls[0])
    create_schema(engine)
    return World(CaseStore(engine), urls[1])


BOTH = pytest.mark.parametrize("world", ["sqlite", "postgresql"], indirect=True)


def web(n: int) -> str:
    return f"{n:032x}"


def test_a_report_with_nothing_after_it_is_contained(world: World) -> None:
    world.report(web(1), T0)
    assert world.containment() == [1, 1, 0, 0, 1, 100.0]


@BOTH
@pytest.mark.parametrize("later, contained", [
    (timedelta(days=6, hours=23, minutes=59), 0),  # back within the week: not contained
    (WEEK, 0),  # exactly 7 days after the last message still counts as coming back
    (WEEK + timedelta(minutes=1), 1),  # after the week: a new matter
])
def test_coming_back_about_the_same_thing_within_7_days_is_not_contained(world: World, later: timedelta,
                                                                          contained: int) -> None:
    world.report(web(1), T0)
    last_message = T0 + timedelta(seconds=30)
    world.report(web(1), last_message + later - timedelta(seconds=5))  # its first message 5 s after it opens
    rows = world.containment()
    # The second report has nothing after it, so it is contained itself.
    assert rows[0] == 2 and rows[4] == 1 + contained
    assert rows[3] == 1 - contained


def test_a_return_read_in_a_later_refresh_still_counts(world: World) -> None:
    world.report(web(1), T0)
    assert world.containment()[3:5] == [0, 1]  # contained, for now
    world.report(web(1), T0 + timedelta(days=2))
    assert world.containment()[3:5] == [1, 1]


def test_coming_back_about_something_else_or_being_someone_else_does_not_count(world: World) -> None:
    world.report(web(1), T0, "missed_bin")
    world.report(web(1), T0 + timedelta(days=2), "pothole")  # same resident, another matter
    world.report(web(2), T0 + timedelta(days=1), "missed_bin")  # another resident, same kind
    assert world.containment() == [3, 3, 0, 0, 3, 100.0]


@BOTH
def test_asking_after_the_case_within_the_week_is_coming_back_about_it(world: World) -> None:
    reference = world.report("sms-" + "a" * 20, T0, "flytipping", channel="sms")
    sender, at = "sms-" + "a" * 20, T0 + timedelta(days=3)
    world.talk.session(sender, at)
    world.talk.says(sender, at, "case_status", channel="sms")
    world.talk.action(sender, at + timedelta(seconds=1), "case_status_form", {"case_reference": reference})
    world.talk.action(sender, at + timedelta(seconds=2), "action_case_status")
    conversations, served, escalated, came_back, contained, _ = world.containment()
    assert (conversations, served, came_back) == (2, 2, 1)
    assert contained == 1  # the status answer itself is contained; the report is not


def test_escalated_or_unserved_conversations_are_not_contained(world: World) -> None:
    world.report(web(1), T0)
    world.talk.escalate(web(1), T0 + timedelta(minutes=2))  # same session: handed to staff after the case
    world.talk.session(web(2), T0)
    world.talk.says(web(2), T0, "greet")  # said hello and left
    world.talk.question(web(3), T0, "bin_day")  # got an answer
    assert world.containment() == [3, 1, 1, 0, 1, pytest.approx(33.3)]


def test_a_repeated_question_is_coming_back_too(world: World) -> None:
    world.talk.question(web(1), T0, "faq")
    world.talk.question(web(1), T0 + timedelta(days=1), "faq")
    assert world.containment()[3:5] == [1, 1]


@BOTH
def test_conversations_and_cases_per_council_day_and_channel(world: World) -> None:
    # 23:30 UTC on 1 June is 00:30 on 2 June in London (summer time).
    world.report(web(1), datetime(2026, 6, 1, 23, 30, tzinfo=timezone.utc))
    world.report("sms-" + "b" * 20, datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc), channel="sms")
    world.talk.session("dev-tester", datetime(2026, 6, 2, 8, 0, tzinfo=timezone.utc))
    world.talk.says("dev-tester", datetime(2026, 6, 2, 8, 0, tzinfo=timezone.utc), "greet")
    world.talk.session(web(9), T0)  # a widget opened, nobody wrote: not a conversation
    figures = world.figures()
    days = {row[0]: row[1:] for row in figures["conversations"].rows}
    assert days["2026-06-01"] == [0, 1, 0, 1]  # web, sms, rest, all
    assert days["2026-06-02"] == [1, 0, 1, 2]
    assert sum(row[-1] for row in figures["conversations"].rows) == 3 and len(days) == 30
    case_days = {row[0]: row[1:] for row in figures["cases"].rows}
    assert case_days["2026-06-01"] == [0, 1, 0, 1] and case_days["2026-06-02"] == [1, 0, 0, 1]
    assert figures["categories"].rows == [["Missed bin collection", 2, 100.0]]


def test_fallback_rate_and_confidence_distribution(world: World) -> None:
    sender = web(1)
    world.talk.session(sender, T0)
    for n, (intent, confidence) in enumerate([("nlu_fallback", 0.3), ("nlu_fallback", 0.42), ("greet", 0.97),
                                             ("report_pothole", 0.55)]):
        world.talk.says(sender, T0 + timedelta(seconds=n), intent, confidence)
    figures = world.figures()
    assert figures["fallbacks"].rows[-1] == ["All channels", 4, 2, 50.0]
    buckets = {row[0]: row[1] for row in figures["confidence"].rows}
    assert buckets == {"0.0 to 0.1": 0, "0.1 to 0.2": 0, "0.2 to 0.3": 0, "0.3 to 0.4": 1, "0.4 to 0.5": 1,
                       "0.5 to 0.6": 1, "0.6 to 0.7": 0, "0.7 to 0.8": 0, "0.8 to 0.9": 0, "0.9 to 1.0": 1}


@BOTH
def test_escalation_rate_reasons_and_time_to_first_staff_reply(world: World) -> None:
    queue = EscalationStore(world.engine)
    for n, (wait, reason) in enumerate([(timedelta(minutes=3), "talk_to_human"), (timedelta(minutes=10), "urgent"),
                                        (timedelta(hours=2), "talk_to_human"), (None, "complaint")]):
        sender = web(n)
        world.talk.session(sender, T0)
        world.talk.says(sender, T0, "talk_to_human")
        world.talk.escalate(sender, T0 + timedelta(seconds=1))
        queue.open(sender, "web", reason, "normal", "a person please")
        if wait:
            world.talk.staff_reply(sender, T0 + timedelta(seconds=1) + wait)
            world.talk.staff_reply(sender, T0 + timedelta(hours=5))  # later replies do not count
    world.talk.question(web(9), T0, "bin_day")
    world.talk.bot(web(9), T0 + timedelta(minutes=1))  # a status message without a hand-over: not staff's reply
    with world.engine.begin() as conn:
        conn.execute(update(escalations).values(created_at=T0))
    figures = world.figures()
    assert figures["escalations"].rows == [["Asked for a person", 2, 50.0], ["Complaint", 1, 25.0],
                                           ["Urgent or safeguarding", 1, 25.0]]
    assert "4 of 5 conversations (80.0%)" in figures["escalations"].summary
    bands = {row[0]: row[1] for row in figures["staff_reply"].rows}
    assert bands["Under 5 minutes"] == 1 and bands["5 to 15 minutes"] == 1 and bands["1 to 4 hours"] == 1
    assert bands["No staff reply yet"] == 1
    assert "Median time to the first staff reply 10 min" in figures["staff_reply"].summary


@BOTH
def test_median_times_to_acceptance_and_closure(world: World) -> None:
    def case(n: int, category: str, accepted: Optional[timedelta], closed: Optional[timedelta]) -> None:
        made = world.cases.create(NewCase(category=category, conversation_id=web(n), channel="web"), f"k{n}")
        created = T0 + timedelta(days=n)
        with world.engine.begin() as conn:
            conn.execute(update(cases).where(cases.c.id == made.id).values(created_at=created))
            conn.execute(case_updates.delete().where(case_updates.c.case_id == made.id))
            if accepted:
                conn.execute(case_updates.insert().values(case_id=made.id, status=OPEN, source="bo",
                                                          created_at=created + accepted))
                conn.execute(case_updates.insert().values(case_id=made.id, status=IN_PROGRESS, source="bo",
                                                          created_at=created + accepted * 2))
            if closed:
                conn.execute(case_updates.insert().values(case_id=made.id, status=CLOSED, source="bo",
                                                          created_at=created + closed))

    case(1, "pothole", timedelta(hours=1), timedelta(days=2))
    case(2, "pothole", timedelta(hours=3), None)
    case(3, "graffiti", timedelta(hours=5), timedelta(days=4))
    case(4, "graffiti", None, None)
    rows = {row[0]: row[1:] for row in world.figures()["case_times"].rows}
    assert rows["All categories"] == [4, 3, 3.0, 2, 72.0]
    assert rows["Pothole or damaged path"] == [2, 2, 2.0, 1, 48.0]
    assert rows["Graffiti"] == [2, 1, 5.0, 1, 96.0]


@BOTH
def test_deliveries_pending_failed_and_flagged_and_messages_not_sent(world: World) -> None:
    states = ["pending", "pending", "failed", "delivered"]
    for n, state in enumerate(states):
        made = world.cases.create(NewCase(category="pothole", conversation_id=web(n), channel="web"), f"d{n}")
        with world.engine.begin() as conn:
            conn.execute(update(cases).where(cases.c.id == made.id).values(
                created_at=T0, backoffice="highways", needs_attention=state == "failed"))
            conn.execute(update(outbox).where(outbox.c.case_id == made.id).values(state=state))
            conn.execute(notifications.insert().values(case_id=made.id, kind="accepted", channel="web",
                                                       state="failed" if n == 0 else "sent", created_at=T0))
    figures = world.figures()
    assert figures["deliveries"].rows == [["highways", 2, 1, 1, 1]]
    assert {r[0]: r[1] for r in figures["notifications"].rows} == {"Failed": 1, "Sent": 3}


def test_only_the_chosen_days_are_counted(world: World) -> None:
    world.report(web(1), datetime(2026, 5, 31, 22, 59, tzinfo=timezone.utc))  # 23:59 on 31 May in London
    world.report(web(2), datetime(2026, 6, 30, 23, 0, tzinfo=timezone.utc))  # 00:00 on 1 July
    world.report(web(3), T0)
    figures = world.figures()
    assert figures["containment"].rows[-1][1] == 1
    assert sum(row[-1] for row in figures["cases"].rows) == 1


def test_a_period_from_the_query_and_what_cannot_be_used() -> None:
    today = date(2026, 6, 30)
    period, problems = Period.parse({}, LONDON, today)
    assert (period.first, period.last, problems) == (date(2026, 6, 1), today, [])
    period, problems = Period.parse({"from": "2026-06-10", "to": "2026-06-01"}, LONDON, today)
    assert (period.first, period.last) == (date(2026, 6, 1), date(2026, 6, 10)) and "swapped" in problems[0]
    period, problems = Period.parse({"from": "<script>", "to": "2026-06-05"}, LONDON, today)
    assert period.last == date(2026, 6, 5) and "is not a date" in problems[0]
    period, problems = Period.parse({"from": "2020-01-01", "to": "2026-06-05"}, LONDON, today)
    assert (period.last - period.first).days == 730 and problems
    assert period.start == datetime(2024, 6, 4, 23, 0, tzinfo=timezone.utc)


def test_durations_read_naturally() -> None:
    assert [duration_text(s) for s in (None, 40, 600, 3 * 3600 + 60, 50 * 3600)] == [
        "-", "1 min", "10 min", "3 h 01 min", "2 days 2 h"]

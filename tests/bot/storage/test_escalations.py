"""The escalation queue and staff accounts on a real SQLite database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.storage.database import create_schema, make_engine
from bot.storage.escalations import EscalationStore
from bot.storage.staff import SignInResult, StaffError, StaffStore


@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'council.db'}")
    create_schema(engine)
    return engine


@pytest.fixture
def people(engine):  # type: ignore[no-untyped-def]
    store = StaffStore(engine)
    return store, [store.create(f"agent{n}@anytown.gov.uk", f"Agent {n}", "agent", "agent password 123") for n in range(4)]


def test_queue_puts_urgent_first_then_longest_waiting(engine) -> None:  # type: ignore[no-untyped-def]
    store = EscalationStore(engine)
    start = datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc)
    store.open("a", "sms", "talk_to_human", "normal", now=start)
    store.open("b", "web", "complaint", "normal", now=start + timedelta(minutes=1))
    store.open("c", "rest", "urgent", "urgent", urgent_category="gas", now=start + timedelta(minutes=2))
    assert [e.conversation_id for e in store.queue()] == ["c", "a", "b"]
    assert store.get(store.queue()[1].id).waiting_seconds(start + timedelta(minutes=5)) == 300


def test_only_one_of_many_staff_claiming_at_once_gets_it(engine, people) -> None:  # type: ignore[no-untyped-def]
    store = EscalationStore(engine)
    item = store.open("race", "sms", "talk_to_human", "normal")
    _, members = people
    with ThreadPoolExecutor(4) as pool:
        won = list(pool.map(lambda m: store.claim(item.id, m.id), members))
    assert won.count(True) == 1
    claimed = store.get(item.id)
    assert claimed.state == "claimed" and claimed.claimed_by == members[won.index(True)].id


def test_an_ended_escalation_cannot_be_claimed_or_ended_again(engine, people) -> None:  # type: ignore[no-untyped-def]
    store = EscalationStore(engine)
    _, members = people
    item = store.open("done", "web", "talk_to_human", "normal")
    assert store.claim(item.id, members[0].id)
    assert store.end(item.id, "closed")
    assert not store.end(item.id, "handed_back")
    assert not store.claim(item.id, members[1].id, take_over=True)
    # A new escalation for the same conversation is a new queue entry.
    assert store.open("done", "web", "complaint", "normal").id != item.id


def test_unknown_reason_is_refused(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        EscalationStore(engine).open("x", "rest", "bored", "normal")


def test_lock_out_expires(engine) -> None:  # type: ignore[no-untyped-def]
    store = StaffStore(engine, max_failures=5, lockout=timedelta(minutes=15))
    store.create("p@anytown.gov.uk", "P", "agent", "the right password")
    now = datetime.now(timezone.utc)
    results = [store.sign_in("p@anytown.gov.uk", "wrong", now=now)[0] for _ in range(5)]
    assert results == [SignInResult.WRONG] * 4 + [SignInResult.LOCKED]
    assert store.sign_in("p@anytown.gov.uk", "the right password", now=now + timedelta(minutes=14))[0] == SignInResult.LOCKED
    assert store.sign_in("p@anytown.gov.uk", "the right password", now=now + timedelta(minutes=16))[0] == SignInResult.OK


def test_passwords_are_argon2_hashed_and_sessions_stored_as_hashes(engine) -> None:  # type: ignore[no-untyped-def]
    store = StaffStore(engine)
    member = store.create("h@anytown.gov.uk", "H", "admin", "a secret password")
    token, csrf = store.start_session(member.id)
    with engine.connect() as conn:
        dump = "\n".join(str(tuple(r)) for t in ("staff", "staff_sessions")
                         for r in conn.exec_driver_sql(f"SELECT * FROM {t}"))
    assert "a secret password" not in dump and "$argon2" in dump and token not in dump
    assert store.session(token).staff.email == "h@anytown.gov.uk"
    store.update(member.id, active=False)  # deactivating signs out everywhere
    assert store.session(token) is None


@pytest.mark.parametrize("email, role, password", [
    ("not-an-email", "agent", "a long enough password"),
    ("x@anytown.gov.uk", "overlord", "a long enough password"),
    ("x@anytown.gov.uk", "agent", "short"),
])
def test_bad_accounts_are_refused_with_a_reason(engine, email, role, password) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StaffError):
        StaffStore(engine).create(email, "X", role, password)


def test_waiting_summary_counts_only_waiting_conversations_per_priority(engine, people) -> None:  # type: ignore[no-untyped-def]
    store = EscalationStore(engine)
    start = datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc)
    assert store.waiting_summary(start) == {"urgent": (0, 0.0), "normal": (0, 0.0)}
    store.open("a", "sms", "talk_to_human", "normal", now=start)
    store.open("b", "web", "complaint", "normal", now=start + timedelta(minutes=1))
    claimed = store.open("c", "rest", "urgent", "urgent", urgent_category="gas", now=start + timedelta(minutes=2))
    store.open("d", "rest", "urgent", "urgent", urgent_category="gas", now=start + timedelta(minutes=3))
    store.claim(claimed.id, people[1][0].id)
    assert store.waiting_summary(start + timedelta(minutes=10)) == {"urgent": (1, 420.0), "normal": (2, 600.0)}

"""Issuing, opening and using upload links, on a real SQLite database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import List

import pytest
from sqlalchemy import func, select

from bot.cases.model import NewCase
from bot.photo_links import token as tokens
from bot.photo_links.service import HTTP_STATUS, PATH_PREFIX, LinkState, PhotoLinks
from bot.settings import load_settings
from bot.storage.cases import CaseStore
from bot.storage.photo_links import MAX_CASE_PHOTOS
from bot.storage.schema import photo_links

SECRET = "photo link secret for tests"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_links(case_store: CaseStore, clock: Clock, **env: str) -> PhotoLinks:
    settings = load_settings({"PHOTO_LINK_SECRET": SECRET, "WEB_PUBLIC_URL": "https://www.anytown.gov.uk", **env})
    return PhotoLinks(case_store.engine, settings, clock=clock)


def a_case(case_store: CaseStore, key: str = "k1", media: List[str] = ()) -> int:
    new = NewCase(category="pothole", conversation_id="sms-abc", channel="sms", location_text="Mill Lane",
                  media_urls=list(media))
    return case_store.create(new, idempotency_key=key).id


def token_of(url: str) -> str:
    return url.rsplit(PATH_PREFIX, 1)[1]


def test_a_link_is_short_opaque_and_opens_for_its_case(case_store: CaseStore, clock: Clock):
    links = make_links(case_store, clock)
    case_id = a_case(case_store)
    url = links.issue(case_id)
    assert url.startswith("https://www.anytown.gov.uk/p/") and len(url) == len("https://www.anytown.gov.uk/p/") + 32
    reference = case_store.get(case_id).reference
    assert reference not in url and "sms-abc" not in url
    opened = links.open(token_of(url))
    assert opened.state is LinkState.USABLE and opened.row.case_id == case_id and opened.row.reference == reference


def test_photos_attach_to_the_case_once_and_the_link_is_then_used(case_store: CaseStore, clock: Clock):
    links = make_links(case_store, clock)
    case_id = a_case(case_store, media=["https://x/chat/uploads/first.jpg"])
    token = token_of(links.issue(case_id))
    row = links.open(token).row
    assert links.attach(row, ["https://x/chat/uploads/a.jpg", "https://x/chat/uploads/b.png"]) == [
        "https://x/chat/uploads/first.jpg", "https://x/chat/uploads/a.jpg", "https://x/chat/uploads/b.png"]
    assert case_store.get(case_id).media_urls[-2:] == ["https://x/chat/uploads/a.jpg", "https://x/chat/uploads/b.png"]
    # Used up: the page says so, and replaying the upload changes nothing.
    assert links.open(token).state is LinkState.USED and HTTP_STATUS[LinkState.USED] == 410
    assert links.attach(row, ["https://x/chat/uploads/c.jpg"]) is None
    assert "https://x/chat/uploads/c.jpg" not in case_store.get(case_id).media_urls


def test_a_link_expires_after_its_hours(case_store: CaseStore, clock: Clock):
    links = make_links(case_store, clock)
    token = token_of(links.issue(a_case(case_store)))
    row = links.open(token).row
    clock.now += timedelta(hours=23, minutes=59)
    assert links.open(token).state is LinkState.USABLE
    clock.now += timedelta(minutes=1)
    assert links.open(token).state is LinkState.EXPIRED and HTTP_STATUS[LinkState.EXPIRED] == 410
    # Opened before the deadline, sent after it: refused too.
    assert links.attach(row, ["https://x/chat/uploads/late.jpg"]) is None


def test_forged_altered_and_other_secrets_links_are_not_valid(case_store: CaseStore, clock: Clock):
    links = make_links(case_store, clock)
    token = token_of(links.issue(a_case(case_store)))
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    forged = tokens.sign("not our secret", tokens.new_link_id(), clock.now + timedelta(hours=24))
    # Genuinely signed, but for a link we never issued (e.g. a database restored from before it).
    unknown = tokens.sign(SECRET, tokens.new_link_id(), clock.now + timedelta(hours=24))
    for bad in (altered, forged, unknown, "", "x" * 32, "../../etc/passwd"):
        assert links.open(bad).state is LinkState.NOT_VALID
    assert HTTP_STATUS[LinkState.NOT_VALID] == 404


def test_links_per_case_are_rate_limited(case_store: CaseStore, clock: Clock):
    links = make_links(case_store, clock, PHOTO_LINKS_PER_CASE_PER_HOUR="2")
    first, second = a_case(case_store, "k1"), a_case(case_store, "k2")
    assert links.issue(first) and links.issue(first)
    assert links.issue(first) is None
    assert links.issue(second), "another case has its own allowance"


def test_no_secret_no_links(case_store: CaseStore, clock: Clock):
    settings = load_settings({})
    links = PhotoLinks(case_store.engine, settings, clock=clock)
    assert not links.enabled and links.issue(a_case(case_store)) is None
    assert links.open(tokens.sign(SECRET, tokens.new_link_id(), clock.now)).state is LinkState.NOT_VALID


def test_a_case_never_holds_more_than_its_fill_of_photos(case_store: CaseStore, clock: Clock):
    links = make_links(case_store, clock)
    case_id = a_case(case_store, media=[f"https://x/chat/uploads/{n}.jpg" for n in range(MAX_CASE_PHOTOS - 1)])
    token = token_of(links.issue(case_id))
    assert links.attach(links.open(token).row, ["https://x/chat/uploads/a.jpg", "https://x/chat/uploads/b.jpg"]) is None
    assert len(case_store.get(case_id).media_urls) == MAX_CASE_PHOTOS - 1
    assert links.open(token).state is LinkState.USABLE, "nothing attached, so the link was not used up"


def test_old_link_rows_are_forgotten_and_erasing_a_case_erases_its_links(case_store: CaseStore, clock: Clock):
    links = make_links(case_store, clock)
    case_id = a_case(case_store)
    links.issue(case_id)
    clock.now += timedelta(days=3)
    links.issue(case_id)  # forgets the first, expired two days ago

    def rows() -> int:
        with case_store.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(photo_links)).scalar()

    assert rows() == 1
    case_store.erase([case_id])
    assert rows() == 0

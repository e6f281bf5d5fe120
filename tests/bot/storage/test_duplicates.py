"""The duplicate lookup on real databases: SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.cases.model import CLOSED, IN_PROGRESS, NewCase
from bot.storage.cases import CaseStore
from bot.storage.database import create_schema, make_engine
from bot.storage.duplicates import DuplicateFinder
from bot.storage.schema import cases
from bot.storage.times import utcnow
from tests.support.postgres import module_cluster, new_database

LAT, LON = 52.486200, -1.890400
METRE_LAT = 1 / 111_195


def _case(store, key, category="pothole", lat=LAT, lon=LON, location="14 Mill Lane", days_ago=0, **extra):
    case = store.create(NewCase(category=category, conversation_id=f"c-{key}", channel="web",
                                location_text=location,
                                latitude=None if lat is None else f"{lat:.6f}",
                                longitude=None if lon is None else f"{lon:.6f}", **extra), idempotency_key=key)
    if days_ago:
        with store.engine.begin() as conn:
            conn.execute(update(cases).where(cases.c.id == case.id)
                         .values(created_at=utcnow() - timedelta(days=days_ago)))
    return case


@pytest.fixture(scope="module")
def postgres():  # type: ignore[no-untyped-def]
    yield from module_cluster()


@pytest.fixture(params=["sqlite", "postgresql"])
def case_store(request, tmp_path):
    """The case store on SQLite and on PostgreSQL (integer cell ranges must mean the same on both)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cases.db'}"
    else:
        url = new_database(request, "dup")
    engine = make_engine(url)
    create_schema(engine)
    yield CaseStore(engine)
    engine.dispose()


@pytest.fixture
def finder(case_store):
    return DuplicateFinder(case_store.engine)


def test_nearby_open_case_of_the_same_kind_is_found(case_store, finder):
    near = _case(case_store, "near", lat=LAT + 30 * METRE_LAT)
    match = finder.find("pothole", f"{LAT:.6f}", f"{LON:.6f}", "outside 20 Mill Lane")
    assert match.case.reference == near.reference
    assert match.how == "distance"
    assert 29 <= match.distance_m <= 31


def test_the_distance_setting_decides(case_store, finder):
    _case(case_store, "70m", lat=LAT + 70 * METRE_LAT, location="somewhere else")
    assert finder.find("pothole", LAT, LON, "x") is None
    assert finder.find("pothole", LAT, LON, "x", distance_m=100).how == "distance"


def test_nearest_wins(case_store, finder):
    _case(case_store, "40m", lat=LAT + 40 * METRE_LAT)
    ten = _case(case_store, "10m", lat=LAT - 10 * METRE_LAT)
    assert finder.find("pothole", LAT, LON).case.reference == ten.reference


def test_other_categories_are_not_duplicates(case_store, finder):
    _case(case_store, "light", category="streetlight")
    assert finder.find("pothole", LAT, LON, "14 Mill Lane") is None


def test_closed_cases_are_ignored(case_store, finder):
    closed = _case(case_store, "closed")
    case_store.record_status(closed.id, CLOSED, source="test")
    assert finder.find("pothole", LAT, LON, "14 Mill Lane") is None
    still_open = _case(case_store, "working")
    case_store.record_status(still_open.id, IN_PROGRESS, source="test")
    assert finder.find("pothole", LAT, LON, "14 Mill Lane").case.reference == still_open.reference


def test_the_period_decides(case_store, finder):
    old = _case(case_store, "old", days_ago=31)
    assert finder.find("pothole", LAT, LON, "14 Mill Lane") is None
    assert finder.find("pothole", LAT, LON, days=45).case.reference == old.reference
    assert finder.find("pothole", LAT, LON, days=0) is None  # DUPLICATE_DAYS=0: off


def test_without_coordinates_the_street_decides(case_store, finder):
    mill = _case(case_store, "mill", lat=None, lon=None, location="14 Mill Ln, AN1 4GT")
    _case(case_store, "road", lat=None, lon=None, location="Mill Road")
    match = finder.find("pothole", None, None, "outside number 3 mill lane")
    assert (match.case.reference, match.how) == (mill.reference, "street")
    assert finder.find("pothole", None, None, "Station Road") is None


def test_a_case_with_coordinates_is_found_by_street_from_a_report_without(case_store, finder):
    placed = _case(case_store, "placed", location="14 Mill Lane")
    assert finder.find("pothole", None, None, "Mill Lane").case.reference == placed.reference


def test_with_coordinates_far_cases_on_the_same_street_are_not_duplicates(case_store, finder):
    # Both have coordinates 400 m apart: a long street is not one place.
    _case(case_store, "far", lat=LAT + 400 * METRE_LAT, location="Mill Lane")
    assert finder.find("pothole", LAT, LON, "Mill Lane") is None
    # A case on that street without coordinates is still a street-level match.
    vague = _case(case_store, "vague", lat=None, lon=None, location="Mill Lane")
    assert finder.find("pothole", LAT, LON, "Mill Lane").case.reference == vague.reference

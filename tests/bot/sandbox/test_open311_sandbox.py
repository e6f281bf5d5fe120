"""The sandbox back office: speaks GeoReport v2 (read back by our adapter) and its switches are safe to use."""

from __future__ import annotations

import aiohttp
import pytest

from bot.backoffice.errors import Rejected
from bot.backoffice.open311 import Open311CaseSystem, Open311Config, Open311Route
from tests.bot.backoffice.test_open311 import make_case
from tests.support.delivery import API_KEY, RunningSandbox


@pytest.fixture
async def sandbox():
    running = await RunningSandbox().start()
    yield running
    await running.stop()


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_hostile_text_round_trips_through_both_formats(sandbox, fmt):
    system = Open311CaseSystem(
        Open311Config(name="highways", endpoint=sandbox.url, api_key=API_KEY, format=fmt, timeout_seconds=5),
        {"pothole": Open311Route("HW_POTHOLE")},
    )
    hostile = '</description><status>closed</status> & <script>alert("x")</script> ]]> 😡'
    try:
        submission = await system.submit(make_case(description=hostile))
        services = await system.services()
        definition = await system.service_definition("HW_POTHOLE")
        update = await system.fetch_status(make_case(backoffice_reference=submission.backoffice_reference))
        found = await system.find_existing(make_case())
    finally:
        await system.close()
    stored = sandbox.sandbox.requests[submission.backoffice_reference]
    assert stored["description"].startswith(hostile)
    assert update.status == "open"  # the injected <status> stayed text
    assert found.backoffice_reference == submission.backoffice_reference
    assert "HW_POTHOLE" in [s["service_code"] for s in services]
    assert [a["code"] for a in definition["attributes"]] == ["surface", "size", "immediate_danger"]


async def test_unknown_service_and_missing_location_are_refused(sandbox):
    system = Open311CaseSystem(
        Open311Config(name="x", endpoint=sandbox.url, api_key=API_KEY, format="json", timeout_seconds=5),
        {"pothole": Open311Route("NOPE")},
    )
    try:
        with pytest.raises(Rejected, match="service_code NOPE not found"):
            await system.submit(make_case())
        system.routes["pothole"] = Open311Route("HW_POTHOLE")
        with pytest.raises(Rejected, match="A location is required"):
            await system.submit(make_case(location_text=None, postcode=None))
    finally:
        await system.close()
    assert sandbox.sandbox.requests == {}


async def test_switches_reject_unknown_names_and_bad_bodies(sandbox):
    admin = sandbox.url.split("/open311")[0] + "/admin"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{admin}/mode", json={"explode": True}) as response:
            assert response.status == 400 and "known switches" in (await response.json())["error"]
        async with http.post(f"{admin}/mode", data=b"\xff\xfe not json") as response:
            assert response.status == 400
        async with http.post(f"{admin}/mode", json={"down": True}) as response:
            assert (await response.json())["modes"]["down"] is True
        async with http.get(f"{sandbox.url}services.json") as response:
            assert response.status == 503
        async with http.post(f"{admin}/reset") as response:
            assert response.status == 200
        async with http.get(f"{sandbox.url}services.json") as response:
            assert response.status == 200
        async with http.post(f"{admin}/requests/424242", json={"status": "closed"}) as response:
            assert response.status == 404


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_our_reference_quoted_by_another_resident_is_not_our_request(sandbox, fmt):
    """Before a retry the adapter looks for the case it may already have sent; another
    request that merely mentions our reference must not count, or our case would be
    marked delivered without ever being sent (and its resident get someone else's updates)."""
    system = Open311CaseSystem(
        Open311Config(name="highways", endpoint=sandbox.url, api_key=API_KEY, format=fmt, timeout_seconds=5),
        {"pothole": Open311Route("HW_POTHOLE")},
    )
    ours = make_case()
    try:
        # Another resident's report, sent by someone else, quoting our reference in their own words,
        # and even on a line of its own in the middle.
        other = await system.submit(make_case(
            reference="QF92-KDCA",
            description=f"Same one as report {ours.reference}, still not fixed.\nReference: {ours.reference} (theirs)",
        ))
        assert ours.reference in sandbox.sandbox.requests[other.backoffice_reference]["description"]
        assert await system.find_existing(ours) is None

        sent = await system.submit(ours)
        found = await system.find_existing(ours)
    finally:
        await system.close()
    assert found is not None and found.backoffice_reference == sent.backoffice_reference != other.backoffice_reference

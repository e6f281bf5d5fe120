"""Further reports ("me too") to an Open311 back office that has the comments extension
(routing option comments_path; GeoReport v2 itself has no such call), against the sandbox."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import List

import pytest

from bot.backoffice.base import FurtherReport
from bot.backoffice.errors import Rejected
from bot.backoffice.open311 import Open311CaseSystem, Open311Config, Open311Route, check_options
from tests.bot.backoffice.test_open311 import make_case
from tests.support.delivery import API_KEY, RunningSandbox

REPORT = FurtherReport(follower_id=3, channel="sms", reported_at=datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc),
                       location_text="by the bus stop", description="still there, bigger now", followers=2)


@pytest.fixture
async def sandbox():
    running = await RunningSandbox().start()
    yield running
    await running.stop()


def system(sandbox: RunningSandbox, **config) -> Open311CaseSystem:  # type: ignore[no-untyped-def]
    code = next(iter(sandbox.sandbox.services))
    return Open311CaseSystem(
        Open311Config(name="highways", endpoint=sandbox.url, api_key=API_KEY, format="json", timeout_seconds=2,
                      **config), {"pothole": Open311Route(code, {})})


async def test_a_further_report_is_a_comment_on_the_request(sandbox):
    open311 = system(sandbox, comments_path="requests/{service_request_id}/comments")
    try:
        assert open311.capabilities.adds_reports
        case = make_case()
        submission = await open311.submit(case)
        delivered = make_case(backoffice_reference=submission.backoffice_reference)
        await open311.add_report(delivered, REPORT)
    finally:
        await open311.close()
    [stored] = sandbox.requests_for(case.reference)
    [comment] = stored["comments"]
    assert "still there, bigger now" in comment["comment"] and "by the bus stop" in comment["comment"]
    assert "following this case: 2" in comment["comment"] and "AB7K-3FQ2" in comment["comment"]


async def test_a_refused_comment_is_a_rejection(sandbox):
    open311 = system(sandbox, comments_path="requests/{service_request_id}/comments")
    try:
        with pytest.raises(Rejected):
            await open311.add_report(make_case(backoffice_reference="999999"), REPORT)  # no such request
    finally:
        await open311.close()


def test_without_the_option_it_cannot_take_further_reports(sandbox):
    assert not system(sandbox).capabilities.adds_reports


def test_the_option_must_name_where_the_id_goes():
    problems: List[str] = []
    check_options("highways", {"endpoint": "https://x.example/open311/v2/", "comments_path": "comments"}, None,
                  problems)
    assert any("comments_path" in p for p in problems)
    problems = []
    check_options("highways", {"endpoint": "https://x.example/open311/v2/",
                               "comments_path": "requests/{service_request_id}/comments"}, None, problems)
    assert problems == []

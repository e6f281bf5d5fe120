"""The Open311 adapter against back offices as they really are (issue 12 item 6).

Each test switches one deviation on in the sandbox (bot/sandbox/open311.py),
which answers over real HTTP, so the adapter's own parsing meets the shapes
real GeoReport v2 servers send.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable, List

import pytest

from bot.backoffice.errors import TemporaryFailure, Uncertain, Vanished
from bot.backoffice.open311 import Open311CaseSystem, Open311Config, Open311Route, UnreadableReply, parse_body, records
from tests.bot.backoffice.test_open311 import Replay, make_case, replay  # noqa: F401  (the replay fixture)
from tests.support.delivery import API_KEY, RunningSandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    running = await RunningSandbox().start()
    yield running
    await running.stop()


@pytest.fixture
async def adapter(sandbox: RunningSandbox) -> AsyncIterator[Callable[..., Open311CaseSystem]]:
    made: List[Open311CaseSystem] = []

    def build(fmt: str = "xml", endpoint: str = "", **config: Any) -> Open311CaseSystem:
        system = Open311CaseSystem(
            Open311Config(name="highways", endpoint=endpoint or sandbox.url, api_key=API_KEY, format=fmt,
                          timeout_seconds=3, **config),
            {"pothole": Open311Route("HW_POTHOLE")},
        )
        made.append(system)
        return system

    yield build
    for system in made:
        await system.close()


@pytest.mark.parametrize("fmt, switches", [
    ("xml", {"xml_list_tag": "requests"}),  # <requests><request>… instead of <service_requests>
    ("json", {"json_shape": "object"}),  # a bare object instead of a one-item list
    ("json", {"json_shape": "wrapped"}),  # {"service_requests": [...]}
])
async def test_every_call_reads_the_common_wrappers_and_shapes(adapter, sandbox, fmt, switches):
    for key, value in switches.items():
        setattr(sandbox.sandbox.modes, key, value)
    system = adapter(fmt)
    submission = await system.submit(make_case())
    assert submission.backoffice_reference in sandbox.sandbox.requests
    found = await system.find_existing(make_case())  # the duplicate check reads the same shape
    assert found is not None and found.backoffice_reference == submission.backoffice_reference
    update = await system.fetch_status(make_case(backoffice_reference=submission.backoffice_reference))
    assert update.status == "open"


@pytest.mark.parametrize("fmt, switches", [
    ("xml", {"xml_list_tag": "requests"}),
    ("json", {"json_shape": "object"}),
    ("json", {"json_shape": "wrapped"}),
])
async def test_token_only_replies_in_every_shape(adapter, sandbox, fmt, switches):
    sandbox.sandbox.modes.token_only = True
    for key, value in switches.items():
        setattr(sandbox.sandbox.modes, key, value)
    system = adapter(fmt)
    submission = await system.submit(make_case())
    assert submission.backoffice_reference is None and submission.token
    assert await system.resolve_token(make_case(), submission.token) in sandbox.sandbox.requests


async def test_a_reply_nobody_can_read_after_storing_is_uncertain(adapter, sandbox):
    sandbox.sandbox.modes.reply_after_store = "garbage"
    with pytest.raises(Uncertain, match="neither a service_request_id nor a token|unreadable"):
        await adapter("json").submit(make_case())
    assert sandbox.sandbox.post_count == 1  # it was stored: sending it again would duplicate it


async def test_a_500_html_page_is_uncertain_and_says_so(adapter, sandbox):
    sandbox.sandbox.modes.html_500_services = ["HW_POTHOLE"]
    with pytest.raises(Uncertain) as raised:
        await adapter("json").submit(make_case())
    assert "HTTP 500" in raised.value.reason and "HTML error page" in raised.value.reason


async def test_a_gateway_error_is_only_temporary(adapter, sandbox):
    sandbox.sandbox.modes.error = 503
    with pytest.raises(TemporaryFailure) as raised:
        await adapter("json").submit(make_case())
    assert not isinstance(raised.value, Uncertain)  # nothing was stored: sending again is safe


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_a_request_that_vanished_or_is_held_for_moderation_is_reported(adapter, sandbox, fmt):
    system = adapter(fmt)
    gone = await system.submit(make_case())
    del sandbox.sandbox.requests[gone.backoffice_reference]
    with pytest.raises(Vanished, match="HTTP 404"):
        await system.fetch_status(make_case(backoffice_reference=gone.backoffice_reference))

    sandbox.sandbox.modes.moderation = True
    held = await system.submit(make_case(reference="CD7K-3FQ2"))
    assert await system.find_existing(make_case(reference="CD7K-3FQ2")) is None  # its search hides new requests
    with pytest.raises(Vanished):
        await system.fetch_status(make_case(backoffice_reference=held.backoffice_reference))


async def test_a_server_without_contact_fields_is_not_sent_them_and_says_so(adapter, sandbox):
    system = adapter("json", contact_fields=False)
    assert system.capabilities.stores_contact is False
    assert "email" not in system.request_fields(make_case()) and "phone" not in system.request_fields(make_case())
    assert adapter("json").capabilities.stores_contact is True


async def test_a_search_reply_in_an_unknown_shape_is_an_error_not_not_found(adapter, replay):  # noqa: F811
    # The real server's <requests> list, before we read it, looked like "no such request": the case was re-sent.
    replay.reply("GET", "requests", b'{"results": {"items": [{"id": 5, "ref": "AB7K-3FQ2"}]}}', fmt="json")
    with pytest.raises(TemporaryFailure, match="shape we cannot read"):
        await adapter("json", endpoint=replay.url).find_existing(make_case())


@pytest.mark.parametrize("body, expected", [
    (b"<requests><request><service_request_id>7</service_request_id></request></requests>", ["7"]),
    (b"<requests><request><service_request_id>7</service_request_id></request>"
     b"<request><service_request_id>8</service_request_id></request></requests>", ["7", "8"]),
    (b"<service_request><service_request_id>7</service_request_id></service_request>", ["7"]),
    (b"<service_requests><service_request><token>t1</token></service_request></service_requests>", [None]),
    (b"<service_requests/>", []),
    (b'{"service_request": {"service_request_id": 7}}', [7]),
    (b'{"requests": [{"service_request_id": 7}]}', [7]),
    (b'[{"request": {"service_request_id": 7}}]', [7]),
    (b'{"token": "t1"}', [None]),
])
def test_record_shapes(body, expected):
    found = records(parse_body(body), "service_requests")
    assert [r.get("service_request_id") for r in found] == expected


def test_shapes_that_are_not_records_are_unreadable():
    with pytest.raises(UnreadableReply):
        records(parse_body(b'{"requests": "accepted"}'), "service_requests")
    with pytest.raises(UnreadableReply):
        records(parse_body(b"[1, 2]"), "service_requests")

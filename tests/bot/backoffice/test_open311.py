"""The Open311 adapter against the spec's published example replies, deviations and broken servers.

A small replay server answers each call with a fixed body over real HTTP, so
the adapter's own aiohttp code, timeouts and parsing all run.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Dict, List, Tuple

import pytest
from aiohttp import web

from bot.cases.model import CLOSED, OPEN, SENT, Case
from bot.backoffice.errors import Rejected, TemporaryFailure, Uncertain
from bot.backoffice.open311 import (
    DESCRIPTION_MAX,
    Open311CaseSystem,
    Open311Config,
    Open311Route,
    build_description,
    errors_in,
    parse_body,
)
from tests.support.delivery import free_port

EXAMPLES = Path(__file__).parent / "georeport_v2"
TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


class Replay:
    """Answers ``(method, path)`` with a fixed reply and remembers what was asked."""

    def __init__(self) -> None:
        self.replies: Dict[Tuple[str, str], Tuple[int, bytes, str]] = {}
        self.seen: List[Dict[str, Any]] = []
        self.url = ""

    def reply(self, method: str, path: str, body: bytes, status: int = 200, fmt: str = "xml") -> None:
        self.replies[(method, path)] = (status, body, TYPES.get(fmt, fmt))

    async def handle(self, request: web.Request) -> web.Response:
        path = request.path.split("/v2/", 1)[1].rsplit(".", 1)[0]
        form = dict(await request.post()) if request.method == "POST" else {}
        self.seen.append({"method": request.method, "path": path, "query": dict(request.query), "form": form})
        status, body, ctype = self.replies.get((request.method, path), (404, b"", "text/plain"))
        return web.Response(status=status, body=body, headers={"Content-Type": ctype})


@pytest.fixture
async def replay() -> AsyncIterator[Replay]:
    server = Replay()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    server.url = f"http://127.0.0.1:{port}/open311/v2/"
    yield server
    await runner.cleanup()


def make_case(**changes: Any) -> Case:
    values: Dict[str, Any] = dict(
        id=7, reference="AB7K-3FQ2", category="pothole", conversation_id="c1", channel="rest",
        location_text="12 Mill Lane", postcode="AN1 4GT", description="Deep hole",
        details={"defect_surface": "road", "defect_size": "large"},
        contact_phone="07700 900123", contact_email="resident@example.com", contact_consent=True,
    )
    values.update(changes)
    return Case(**values)


@pytest.fixture
async def adapter(replay: Replay) -> AsyncIterator[Callable[..., Open311CaseSystem]]:
    """Builds adapters pointed at the replay server; closes their HTTP sessions afterwards."""
    made: List[Open311CaseSystem] = []

    def build(fmt: str = "xml", **config: Any) -> Open311CaseSystem:
        system = Open311CaseSystem(
            Open311Config(name="highways", endpoint=replay.url, api_key="secret-key", jurisdiction_id="anytown",
                          format=fmt, timeout_seconds=2, **config),
            {"pothole": Open311Route("HW1", {"surface": "defect_surface", "size": "defect_size"})},
        )
        made.append(system)
        return system

    yield build
    for system in made:
        await system.close()


# ----- the spec's example replies ----------------------------------------------------------
@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_service_discovery_reads_the_spec_examples(adapter, replay, fmt):
    replay.reply("GET", "services", example(f"services.{fmt}"), fmt=fmt)
    replay.reply("GET", "services/DMV66", example(f"service_definition.{fmt}"), fmt=fmt)
    system = adapter(fmt)
    services = await system.services()
    assert [s["service_code"] for s in services] == ["001", "002", "003"]
    assert services[0]["service_name"] == "Cans left out 24x7"
    definition = await system.service_definition("DMV66")
    attribute = definition["attributes"][0]
    assert attribute["code"] == "WHISHETN"
    assert [str(v["key"]) for v in attribute["values"]] == ["123", "124"]
    assert replay.seen[0]["query"] == {"jurisdiction_id": "anytown"}


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_submit_reads_the_spec_example_reply(adapter, replay, fmt):
    replay.reply("POST", "requests", example(f"post_request.{fmt}"), fmt=fmt)
    submission = await adapter(fmt).submit(make_case())
    assert submission.backoffice_reference == "293944"  # a number in JSON, text in XML: always a string
    assert submission.status == SENT and submission.token is None


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_a_token_reply_is_resolved_through_the_tokens_endpoint(adapter, replay, fmt):
    replay.reply("POST", "requests", example(f"post_request_token.{fmt}"), fmt=fmt)
    replay.reply("GET", "tokens/12345", example(f"token.{fmt}"), fmt=fmt)
    system = adapter(fmt)
    submission = await system.submit(make_case())
    assert submission.backoffice_reference is None and submission.token == "12345"
    assert await system.resolve_token(make_case(), "12345") == "638344"


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_status_reads_the_spec_example_reply(adapter, replay, fmt):
    replay.reply("GET", "requests/638344", example(f"request.{fmt}"), fmt=fmt)
    update = await adapter(fmt).fetch_status(make_case(backoffice_reference="638344"))
    assert update.status == CLOSED and update.note == "Duplicate request."
    assert update.backoffice_reference == "638344"


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_the_spec_error_list_explains_a_refused_api_key(adapter, replay, fmt):
    replay.reply("POST", "requests", example(f"errors.{fmt}"), status=403, fmt=fmt)
    with pytest.raises(Rejected) as refused:
        await adapter(fmt).submit(make_case())
    assert "HTTP 403" in refused.value.reason and "API key" in refused.value.reason
    assert "Invalid api_key received" in refused.value.reason and "Data not found" in refused.value.reason
    assert "secret-key" not in refused.value.reason


# ----- what we send ------------------------------------------------------------------------
async def test_request_fields_follow_the_spec(adapter, replay):
    replay.reply("POST", "requests", example("post_request.xml"))
    await adapter().submit(make_case(latitude="51.5", longitude="-0.12", media_urls=["http://x/1.jpg", "http://x/2.jpg"]))
    form = replay.seen[0]["form"]
    assert form["api_key"] == "secret-key" and form["jurisdiction_id"] == "anytown" and form["service_code"] == "HW1"
    assert form["lat"] == "51.5" and form["long"] == "-0.12"
    assert form["address_string"] == "12 Mill Lane, AN1 4GT"
    assert form["email"] == "resident@example.com" and form["phone"] == "07700 900123"
    assert form["media_url"] == "http://x/1.jpg" and "Photo: http://x/2.jpg" in form["description"]
    assert form["attribute[surface]"] == "road" and form["attribute[size]"] == "large"
    assert form["attribute[council_reference]"] == "AB7K-3FQ2"


async def test_without_a_shared_position_the_gazetteer_street_position_is_sent(adapter, replay):
    for _ in range(2):
        replay.reply("POST", "requests", example("post_request.xml"))
    await adapter().submit(make_case(usrn="38000001", place_latitude="52.209344", place_longitude="-1.477704"))
    await adapter().submit(make_case(latitude="51.5", longitude="-0.12", place_latitude="52.2", place_longitude="-1.4"))
    street, shared = replay.seen[0]["form"], replay.seen[1]["form"]
    assert (street["lat"], street["long"]) == ("52.209344", "-1.477704")
    assert (shared["lat"], shared["long"]) == ("51.5", "-0.12")  # the resident's own position wins


def test_a_long_description_is_cut_to_the_limit_but_keeps_our_reference():
    text = build_description(make_case(description="x" * 10_000))
    assert len(text) == DESCRIPTION_MAX
    assert text.endswith("\nReference: AB7K-3FQ2")


async def test_deviations_field_names_and_required_fields(adapter, replay):
    replay.reply("POST", "requests", example("post_request.json"), fmt="json")
    system = adapter("json", field_names={"address_string": "address"}, defaults={"email": "reports@anytown.gov.uk", "first_name": "Resident"})
    await system.submit(make_case(contact_consent=False, contact_email=None, contact_phone=None))
    form = replay.seen[0]["form"]
    assert form["address"] == "12 Mill Lane, AN1 4GT" and "address_string" not in form
    assert form["email"] == "reports@anytown.gov.uk" and form["first_name"] == "Resident"
    assert "phone" not in form


async def test_string_ids_and_errors_shaped_code_detail(adapter, replay):
    replay.reply("POST", "requests", b'[{"service_request_id": "SR-2024-00017"}]', fmt="json")
    assert (await adapter("json").submit(make_case())).backoffice_reference == "SR-2024-00017"
    replay.reply("POST", "requests", b'{"code": "invalid", "detail": "usrn is required"}', status=400, fmt="json")
    with pytest.raises(Rejected, match="usrn is required"):
        await adapter("json").submit(make_case())


async def test_without_a_tokens_endpoint_the_request_is_found_by_our_reference(adapter, replay):
    replay.reply("GET", "requests", b'[{"service_request_id": 11, "description": "other"},'
                 b' {"service_request_id": 12, "description": "Deep hole\\nReference: AB7K-3FQ2"}]', fmt="json")
    system = adapter("json", tokens=False)
    assert await system.resolve_token(make_case(), "t-1") == "12"
    query = replay.seen[0]["query"]
    assert query["service_code"] == "HW1" and "start_date" in query and "end_date" in query
    assert not any(s["path"].startswith("tokens") for s in replay.seen)


async def test_lookup_by_a_query_parameter_still_checks_the_reference(adapter, replay):
    replay.reply("GET", "requests", b'[{"service_request_id": 99, "description": "someone else"}]', fmt="json")
    system = adapter("json", lookup="param", lookup_param="external_id")
    assert await system.find_existing(make_case()) is None  # a server ignoring the filter is not trusted
    assert replay.seen[0]["query"]["external_id"] == "AB7K-3FQ2"


async def test_fixmystreet_states_and_custom_status_names(adapter, replay):
    replay.reply("GET", "requests/5", b'[{"service_request_id": 5, "status": "action_scheduled"}]', fmt="json")
    assert (await adapter("json").fetch_status(make_case(backoffice_reference="5"))).status == "in_progress"
    replay.reply("GET", "requests/5", b'[{"service_request_id": 5, "status": "Logged"}]', fmt="json")
    assert await adapter("json").fetch_status(make_case(backoffice_reference="5")) is None  # unknown: ignored, logged
    assert (await adapter("json", status_map={"Logged": OPEN}).fetch_status(make_case(backoffice_reference="5"))).status == OPEN


# ----- broken servers ------------------------------------------------------------------------
@pytest.mark.parametrize("status, body, fmt, error, says", [
    (500, b"<html>Internal Server Error</html>", "text/html", Uncertain, "HTTP 500"),
    (502, b"", "text/plain", TemporaryFailure, "HTTP 502, the back office is unavailable"),  # a gateway: not stored
    (429, b"", "text/plain", TemporaryFailure, "HTTP 429"),
    (404, b"", "text/plain", Rejected, "HTTP 404"),
    (400, example("errors.json"), "json", Rejected, "rejected the request"),
    (200, b"<service_requests><request><service_request_id>1", "xml", Uncertain, "malformed XML"),
    (200, b'[{"service_request_id": 1,', "json", Uncertain, "malformed JSON"),
    (200, b'{"weird": {"shape": [1, 2]}}', "json", Uncertain, "neither a service_request_id nor a token"),
    (200, b"", "json", Uncertain, "empty reply"),
    (200, b"\x00\xff\xfe binary", "application/octet-stream", Uncertain, "unreadable reply"),
])
async def test_broken_replies_become_clear_errors(adapter, replay, status, body, fmt, error, says):
    replay.reply("POST", "requests", body, status=status, fmt=fmt)
    with pytest.raises(error) as raised:
        await adapter("json").submit(make_case())
    assert says in raised.value.reason


async def test_a_500_with_an_error_list_is_a_rejection_only_when_configured(adapter, replay):
    replay.reply("POST", "requests", example("errors.json"), status=500, fmt="json")
    with pytest.raises(Uncertain):
        await adapter("json").submit(make_case())
    with pytest.raises(Rejected, match="treated as a rejection"):
        await adapter("json", server_error_is_rejection=True).submit(make_case())


async def test_unreadable_replies_are_logged_raw_without_personal_data(adapter, replay, caplog):
    replay.reply("POST", "requests", b"<oops>call 07700 900123 or mail jo@example.com about AN1 4GT", fmt="xml")
    with caplog.at_level(logging.WARNING), pytest.raises(Uncertain):
        await adapter().submit(make_case())
    logged = caplog.text
    assert "<oops>call" in logged
    assert "07700" not in logged and "jo@example.com" not in logged and "AN1 4GT" not in logged


async def test_an_entity_expansion_bomb_is_refused(adapter, replay):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b"<service_requests><request><service_request_id>&lol2;</service_request_id></request></service_requests>")
    replay.reply("POST", "requests", bomb)
    with pytest.raises(Uncertain, match="refused for safety"):
        await adapter().submit(make_case())


async def test_timeouts_and_refused_connections(adapter, replay):
    system = adapter()
    system.config = replace(system.config, endpoint=f"http://127.0.0.1:{free_port()}/")
    system.base = system.config.endpoint
    with pytest.raises(TemporaryFailure, match="cannot connect") as refused:
        await system.submit(make_case())
    assert not isinstance(refused.value, Uncertain)  # nothing was sent, so nothing can be stored


def test_error_shapes():
    assert errors_in(parse_body(example("errors.xml"))) == [
        ("403", "Invalid api_key received -- can't proceed with create_request."), ("404", "Data not found"),
    ]
    assert errors_in({"errors": [{"code": 1, "message": "bad"}]}) == [("1", "bad")]
    assert errors_in({"error": "Service unavailable"}) == [("", "Service unavailable")]
    assert errors_in([{"service_request_id": 1}]) == []


async def test_a_request_is_ours_only_by_our_attribute_or_our_last_line(adapter, replay):
    replay.reply("GET", "requests", b'[{"service_request_id": 1, "description": "see AB7K-3FQ2"},'
                 b' {"service_request_id": 2, "status_notes": "duplicate of AB7K-3FQ2"},'
                 b' {"service_request_id": 3, "description": "Reference: AB7K-3FQ2\\nmore"},'
                 b' {"service_request_id": 4, "attributes": [{"code": "other", "value": "AB7K-3FQ2"}]}]', fmt="json")
    assert await adapter("json").find_existing(make_case()) is None
    replay.reply("GET", "requests", b'[{"service_request_id": 5, "description": "x",'
                 b' "attributes": [{"code": "council_reference", "value": "AB7K-3FQ2"}]}]', fmt="json")
    assert (await adapter("json").find_existing(make_case())).backoffice_reference == "5"
    replay.reply("GET", "requests", b'[{"service_request_id": 6, "council_reference": "AB7K-3FQ2"}]', fmt="json")
    assert (await adapter("json").find_existing(make_case())).backoffice_reference == "6"

"""The one Rasa HTTP API client (worker and console), against a stand-in speaking Rasa's conversation API."""

from __future__ import annotations

from typing import Any, AsyncIterator, Dict, List

import pytest
from aiohttp import web

from bot.escalation.handoff import HandoffError, RasaConversations
from bot.rasa_api import RasaApi, RasaApiError
from tests.support.delivery import free_port

TOKEN = "rasa-token-xyz"


class FakeRasa:
    def __init__(self) -> None:
        self.calls: List[Dict[str, Any]] = []
        self.status = 200
        self.url = ""

    async def tracker(self, request: web.Request) -> web.Response:
        self.calls.append({"method": "GET", "path": request.path, "query": dict(request.query),
                           "auth": request.headers.get("Authorization")})
        if self.status != 200:
            return web.Response(status=self.status, text="nope")
        return web.json_response({"sender_id": request.match_info["id"], "latest_input_channel": "twilio"})

    async def events(self, request: web.Request) -> web.Response:
        self.calls.append({"method": "POST", "path": request.path, "query": dict(request.query),
                           "auth": request.headers.get("Authorization"), "body": await request.json()})
        if self.status != 200:
            return web.Response(status=self.status, text="Internal error")
        return web.json_response({})


@pytest.fixture
async def rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa()
    app = web.Application()
    app.add_routes([web.get("/conversations/{id}/tracker", fake.tracker),
                    web.post("/conversations/{id}/tracker/events", fake.events)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    fake.url = f"http://127.0.0.1:{port}"
    yield fake
    await runner.cleanup()


async def test_reads_the_channel_and_appends_events_with_the_token_in_a_header(rasa):
    api = RasaApi(rasa.url, TOKEN)
    try:
        assert await api.latest_channel("sms/+447700900123") == "twilio"
        await api.append("sms/+447700900123", [{"event": "bot", "text": "Hello"}])
    finally:
        await api.close()
    get, post = rasa.calls
    assert get["path"] == "/conversations/sms/+447700900123/tracker"  # the id is quoted as one path segment
    assert post["query"] == {"output_channel": "latest", "execute_side_effects": "true", "include_events": "NONE"}
    assert post["body"] == [{"event": "bot", "text": "Hello"}]
    assert get["auth"] == post["auth"] == f"Bearer {TOKEN}"
    assert all(TOKEN not in str(call["query"]) for call in rasa.calls)


async def test_refusals_and_outages_are_clear_errors_without_the_token(rasa):
    rasa.status = 500
    api = RasaApi(rasa.url, TOKEN)
    try:
        with pytest.raises(RasaApiError, match="HTTP 500 when asked for the conversation"):
            await api.latest_channel("c1")
        with pytest.raises(RasaApiError, match="HTTP 500 when sending: Internal error") as refused:
            await api.append("c1", [])
    finally:
        await api.close()
    assert TOKEN not in str(refused.value)
    gone = RasaApi(f"http://127.0.0.1:{free_port()}", TOKEN)
    with pytest.raises(RasaApiError, match="could not be reached"):
        await gone.append("c1", [])
    await gone.close()


async def test_the_console_speaks_through_the_same_client(rasa):
    console = RasaConversations(rasa.url, TOKEN)
    await console.reply("web-1", "Hello from the council", 3, "Anytown Council team")
    assert rasa.calls[0]["body"][0]["metadata"]["staff_name"] == "Anytown Council team"
    rasa.status = 503
    with pytest.raises(HandoffError, match="HTTP 503"):
        await console.hand_back("web-1")
    await console.api.close()

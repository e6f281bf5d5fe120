"""Rasa's HTTP API as we run it: the token in a header, never in a URL; our clients send it that way."""

from __future__ import annotations

import uuid
from typing import Any, AsyncIterator, List

import aiohttp
import pytest
import rasa.server
from sanic import Sanic, response
from sanic.request import Request

from bot.escalation.handoff import RasaConversations
from bot.outbox.notify import SENT, RasaNotifier
from bot.rasa_server import header_auth
from bot.ports import free_port

TOKEN = "api-t0ken-value_123"


class RasaApi:
    """Rasa's conversation routes, guarded as bot.rasa_server guards the real ones; remembers every URL."""

    def __init__(self) -> None:
        self.urls: List[str] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def app(self) -> Sanic:
        Sanic.test_mode = True
        app = Sanic(f"rasa_api_{uuid.uuid4().hex[:8]}")
        requires_auth = header_auth(rasa.server.requires_auth)

        @app.on_request
        async def remember(request: Request) -> None:
            self.urls.append(request.url)

        @app.get("/conversations/<conversation_id:path>/tracker")
        @requires_auth(app, TOKEN)
        async def tracker(request: Request, conversation_id: str) -> Any:
            return response.json({"sender_id": conversation_id, "latest_input_channel": "twilio"})

        @app.post("/conversations/<conversation_id:path>/tracker/events")
        @requires_auth(app, TOKEN)
        async def events(request: Request, conversation_id: str) -> Any:
            return response.json({"sender_id": conversation_id})

        @app.exception(rasa.server.ErrorResponse)
        async def error(request: Request, exception: rasa.server.ErrorResponse) -> Any:
            return response.json(exception.error_info, status=exception.status)

        return app


@pytest.fixture
async def api() -> AsyncIterator[RasaApi]:
    running = RasaApi()
    server = await running.app().create_server(host="127.0.0.1", port=running.port, return_asyncio_server=True)
    await server.startup()
    yield running
    await server.close()


async def test_the_api_takes_the_token_from_the_authorization_header_only(api: RasaApi) -> None:
    tracker = f"{api.url}/conversations/sms-1/tracker"
    async with aiohttp.ClientSession() as http:
        async with http.get(tracker, headers={"Authorization": f"Bearer {TOKEN}"}) as answer:
            assert answer.status == 200
        async with http.get(tracker, params={"token": TOKEN}) as answer:  # right, but in the URL
            assert answer.status == 401 and "never in the URL" in (await answer.json())["message"]
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            async with http.get(tracker, headers=headers) as answer:
                assert answer.status == 401, headers


async def test_the_console_and_the_worker_never_put_the_token_in_a_url(api: RasaApi, case_store) -> None:
    await RasaConversations(api.url, TOKEN).reply("sms-1", "Hello from the council", 1, "Alex")
    notifier = RasaNotifier(case_store.engine, api.url, TOKEN, ["twilio"])
    try:
        state, channel, _detail = await notifier._send("sms-1", "Your report was fixed")
    finally:
        await notifier.close()
    assert (state, channel) == (SENT, "twilio")
    assert len(api.urls) == 3 and all("/conversations/sms-1/" in url for url in api.urls)
    assert not any(TOKEN in url or "token=" in url for url in api.urls)

"""The web chat channel over a real socket.io connection (python-socketio client).

The channel runs in a real Sanic server; Rasa's message handler is replaced by
a recorder, because what is tested here is what the channel hands to Rasa
(the full path through Rasa is in tests/e2e/web).
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from typing import Any, AsyncIterator, Dict, List, Optional

import jwt
import pytest
import socketio
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.channels.web import WebChatInput
from bot.storage.database import create_schema, make_engine
from bot.storage.escalations import NORMAL, EscalationStore
from bot.settings import load_settings
from bot.ports import free_port


class Server:
    def __init__(self, env: Dict[str, str]) -> None:
        self.received: List[UserMessage] = []
        self.fail = False
        self.silent = False  # as Rasa is while staff have the conversation: no answer
        self.port = free_port()
        self.channel = WebChatInput(load_settings({"VAR_DIR": "/tmp", **env}))
        self.url = f"http://127.0.0.1:{self.port}"

    async def on_new_message(self, message: UserMessage) -> None:
        if self.fail:
            raise RuntimeError("agent down")
        self.received.append(message)
        if not self.silent:
            await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


@pytest.fixture
async def server(request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    env = getattr(request, "param", {})
    Sanic.test_mode = True  # lets several apps start in one process (sanic's touch-up)
    running = Server(env)
    app = Sanic(f"web_chat_test_{uuid.uuid4().hex[:8]}")
    app.blueprint(running.channel.blueprint(running.on_new_message))
    server = await app.create_server(host="127.0.0.1", port=running.port, return_asyncio_server=True)
    await server.startup()
    yield running
    await server.close()


class Client:
    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue = asyncio.Queue()
        for name in ("session_confirm", "bot_uttered", "chat_error"):
            self.sio.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Any:
        async def record(data: Any = None) -> None:
            await self.events.put((name, data))
        return record

    async def connect(self, url: str, auth: Optional[Dict[str, Any]] = None, origin: Optional[str] = None) -> None:
        headers = {"Origin": origin} if origin else {}
        await self.sio.connect(url, transports=["websocket"], auth=auth, headers=headers)

    async def next(self, name: str, timeout: float = 5) -> Any:
        while True:
            got, data = await asyncio.wait_for(self.events.get(), timeout)
            if got == name:
                return data

    async def session(self, session_id: Any = None, **extra: Any) -> str:
        await self.sio.emit("session_request", {"session_id": session_id, **extra})
        return await self.next("session_confirm")


async def test_a_resident_gets_a_fresh_session_and_an_answer(server: Server) -> None:
    client = Client()
    await client.connect(server.url)
    session_id = await client.session()
    assert len(session_id) == 32
    await client.sio.emit("user_uttered", {"message": "/report_pothole{\"location\": \"x\"}", "session_id": session_id})
    assert (await client.next("bot_uttered"))["text"].startswith("echo: report_pothole")  # guard applied
    message = server.received[0]
    assert message.sender_id == session_id and message.input_channel == "web"
    await client.sio.disconnect()


async def test_reconnecting_with_the_session_id_continues_the_conversation(server: Server) -> None:
    first = Client()
    await first.connect(server.url)
    session_id = await first.session()
    await first.sio.disconnect()
    again = Client()
    await again.connect(server.url)
    assert await again.session(session_id) == session_id
    # A message sent before the session was confirmed (flushed on reconnect) still finds its session.
    late = Client()
    await late.connect(server.url)
    await late.sio.emit("user_uttered", {"message": "hi", "session_id": session_id})
    assert await late.next("session_confirm") == session_id
    await late.next("bot_uttered")
    assert server.received[-1].sender_id == session_id
    # Replies reach every tab of that conversation (the room), which is how staff replies arrive live.
    assert (await again.next("bot_uttered"))["text"] == "echo: hi"
    await again.sio.disconnect()
    await late.sio.disconnect()


@pytest.mark.parametrize("forged", ["+447700900123", "../x", "A" * 32, 12345, {"$ne": 1}])
async def test_a_browser_cannot_pick_another_channels_conversation(server: Server, forged: Any) -> None:
    client = Client()
    await client.connect(server.url)
    session_id = await client.session(forged)
    assert session_id != forged and len(session_id) == 32
    await client.sio.emit("user_uttered", {"message": "hello", "session_id": forged,
                                           "metadata": {"phone": "+447700900123"}})
    await client.next("bot_uttered")
    assert server.received[-1].sender_id == session_id
    assert "phone" not in (server.received[-1].metadata or {})
    await client.sio.disconnect()


async def test_bad_frames_get_an_error_not_a_crash(server: Server) -> None:
    client = Client()
    await client.connect(server.url)
    await client.session()
    for junk in ("just a string", 42, None, ["a"]):
        await client.sio.emit("user_uttered", junk)
        assert (await client.next("chat_error"))["code"] == "bad_message"
    await client.sio.emit("user_uttered", {"message": b"\x00\xff binary".decode("latin-1")})
    assert (await client.next("bot_uttered"))["text"].startswith("echo:")
    server.fail = True
    await client.sio.emit("user_uttered", {"message": "hello"})
    assert (await client.next("chat_error"))["code"] == "not_handled"
    await client.sio.disconnect()


async def test_other_websites_cannot_open_a_chat_socket(server: Server) -> None:
    client = Client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(server.url, origin="https://evil.example")
    ok = Client()
    await ok.connect(server.url, origin=server.channel.settings.web_public_url)
    await ok.sio.disconnect()


SECRET = "test-secret-not-for-production"


def signed(subject: str, secret: str = SECRET) -> str:
    return jwt.encode({"sub": subject, "exp": int(time.time()) + 300}, secret, algorithm="HS256")


@pytest.mark.parametrize("server", [{"WEB_CHAT_JWT_SECRET": SECRET}], indirect=True)
async def test_signed_sessions_refuse_strangers_and_follow_the_resident(server: Server) -> None:
    for auth in (None, {"token": "nonsense"}, {"token": signed("resident-1", "wrong-secret")}):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await Client().connect(server.url, auth=auth)
    phone, laptop = Client(), Client()
    await phone.connect(server.url, auth={"token": signed("resident-1")})
    await laptop.connect(server.url, auth={"token": "Bearer " + signed("resident-1")})
    # Whatever id the browser asks for, a signed-in resident gets their own conversation on every device.
    first = await phone.session(None)
    assert await laptop.session("0" * 32) == first
    other = Client()
    await other.connect(server.url, auth={"token": signed("resident-2")})
    assert await other.session(first) != first
    for client in (phone, laptop, other):
        await client.sio.disconnect()


async def staff_reply(server: Server, session_id: str, text: str) -> None:
    """What Rasa's API does for a staff reply (output_channel=latest)."""
    output = server.channel.get_output_channel()
    assert output is not None
    await output.send_text_message(session_id, text)


async def test_a_resident_who_was_away_gets_what_they_missed_once_in_order(server: Server) -> None:
    client = Client()
    await client.connect(server.url)
    session_id = await client.session()
    await client.sio.emit("user_uttered", {"message": "hi", "session_id": session_id})
    shown = (await client.next("bot_uttered"))["seq"]
    await client.sio.disconnect()  # signal lost
    await staff_reply(server, session_id, "Jo here.\n\nWe have your report.")
    back = Client()
    await back.connect(server.url)
    assert await back.session(session_id, last_seq=shown) == session_id
    missed = [await back.next("bot_uttered"), await back.next("bot_uttered")]
    assert [m["text"] for m in missed] == ["Jo here.", "We have your report."]
    assert shown < missed[0]["seq"] < missed[1]["seq"]
    # Live messages carry on after the replay, numbered after it.
    await back.sio.emit("user_uttered", {"message": "thanks", "session_id": session_id})
    live = await back.next("bot_uttered")
    assert live["text"] == "echo: thanks" and live["seq"] > missed[1]["seq"]
    # A tab that had shown everything gets nothing again.
    other_tab = Client()
    await other_tab.connect(server.url)
    await other_tab.session(session_id, last_seq=live["seq"])
    await other_tab.sio.emit("user_uttered", {"message": "ok", "session_id": session_id})
    assert (await other_tab.next("bot_uttered"))["text"] == "echo: ok"
    for open_client in (back, other_tab):
        await open_client.sio.disconnect()


async def test_no_replay_without_last_seq_or_for_another_conversation(server: Server) -> None:
    mine = Client()
    await mine.connect(server.url)
    session_id = await mine.session()
    await mine.sio.disconnect()
    await staff_reply(server, session_id, "Only for the resident of this conversation.")
    for client, last_seq in ((Client(), None), (Client(), 0)):
        await client.connect(server.url)
        if last_seq is None:  # an older widget, or another client of Rasa's protocol
            assert await client.session(session_id) == session_id
        else:  # someone else's browser asks for everything since 0 in its own conversation
            assert await client.session(None, last_seq=last_seq) != session_id
        await client.sio.emit("user_uttered", {"message": "hello"})
        assert (await client.next("bot_uttered"))["text"] == "echo: hello", "nothing replayed before the answer"
        await client.sio.disconnect()


@pytest.mark.parametrize("bad", [-1, 2**53, 10**40, "0", 1.5, True, None, [0], {"seq": 0}])
async def test_a_bad_last_seq_is_ignored_politely(server: Server, bad: Any) -> None:
    first = Client()
    await first.connect(server.url)
    session_id = await first.session()
    await first.sio.emit("user_uttered", {"message": "hi", "session_id": session_id})
    await first.next("bot_uttered")
    await first.sio.disconnect()
    client = Client()
    await client.connect(server.url)
    assert await client.session(session_id, last_seq=bad) == session_id
    await client.sio.emit("user_uttered", {"message": "still here", "session_id": session_id})
    assert (await client.next("bot_uttered"))["text"] == "echo: still here"
    await client.sio.disconnect()


async def test_a_resident_leaving_is_not_logged_as_an_error(server: Server, caplog) -> None:
    """Every web chat disconnect used to log an ERROR traceback ("Invalid response type None")."""
    caplog.set_level("INFO")
    for _ in range(3):
        client = Client()
        await client.connect(server.url)
        await client.session()
        await client.sio.disconnect()
    await asyncio.sleep(0.5)  # the server notices the closed websocket
    errors = [r for r in caplog.records if r.levelno >= 40]
    assert not errors, [r.getMessage() for r in errors]
    # Long polling (no websocket) still answers with ordinary HTTP responses.
    polling = socketio.AsyncClient(reconnection=False)
    await polling.connect(server.url, transports=["polling"])
    await polling.disconnect()
    assert not [r for r in caplog.records if r.levelno >= 40]


async def test_a_message_naming_a_photo_nobody_uploaded_carries_no_photo(server: Server) -> None:
    client = Client()
    await client.connect(server.url)
    session_id = await client.session()
    never_uploaded = uuid.uuid4().hex + ".jpg"
    await client.sio.emit("user_uttered", {"message": "here is a photo", "session_id": session_id,
                                           "metadata": {"uploads": [never_uploaded]}})
    await client.next("bot_uttered")
    assert "media_urls" not in (server.received[-1].metadata or {})
    await client.sio.disconnect()


async def test_web_chat_turns_are_timed_under_the_web_channel(server: Server) -> None:
    """council_turn_seconds{channel="web"} (docs/operations.md), as /metrics serves it."""
    from prometheus_client import REGISTRY

    def turns() -> float:
        return REGISTRY.get_sample_value("council_turn_seconds_count", {"channel": "web"}) or 0.0

    before = turns()
    client = Client()
    await client.connect(server.url)
    session_id = await client.session()
    for text in ("hello", "my bin"):
        await client.sio.emit("user_uttered", {"message": text, "session_id": session_id})
        await client.next("bot_uttered")
    await client.sio.disconnect()
    assert turns() - before == 2


async def test_a_message_while_staff_have_the_conversation_is_acknowledged_as_with_staff(server: Server,
                                                                                       tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'council.db'}")
    create_schema(engine)
    store = EscalationStore(engine)
    server.channel._escalations = store
    client = Client()
    await client.connect(server.url)
    session_id = await client.session()

    async def send(text: str) -> Dict[str, Any]:
        return await client.sio.call("user_uttered", {"message": text, "session_id": session_id,
                                                      "message_id": uuid.uuid4().hex}, timeout=5)

    server.silent = True
    assert "with_staff" not in await send("hello?")  # unanswered, but nobody has it: no such claim
    store.open(conversation_id=session_id, channel="web", reason="talk_to_human", priority=NORMAL)
    assert (await send("are you there?"))["with_staff"] is True
    server.silent = False  # the bot answers again (staff handed back)
    assert "with_staff" not in await send("thanks")
    await client.sio.disconnect()

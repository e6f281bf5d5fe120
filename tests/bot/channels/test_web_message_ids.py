"""A web chat message sent again with its id is answered once (bot/channels/web.py + bot/rasa_retries.py).

Real socket.io clients and servers (one, or two replicas sharing Redis), and
what the channel hands a message to in the Rasa server: bot/rasa_retries.py's
check over a real tracker store. Only the turn itself (NLU and policies) is an
echo that records its events, as Rasa's does; the full path through Rasa is in
tests/e2e (test_web_chat.py, test_production_profile.py).
"""

from __future__ import annotations

import uuid
from typing import Any, AsyncIterator, Dict, List, Tuple

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from sanic import Sanic

from bot import rasa_retries
from bot.channels.message_ids import CLIENT_MESSAGE_ID, client_message_id
from tests.bot.channels.test_web_socket import Client, Server
from tests.bot.channels.test_web_replicas import start
from tests.support.redis_server import ThrowawayRedis


class Processor:
    """Rasa's MessageProcessor as far as bot/rasa_retries.py sees it: a tracker store, and a turn."""

    def __init__(self) -> None:
        self.tracker_store = InMemoryTrackerStore(Domain.empty())
        self.turns: List[UserMessage] = []

    async def turn(self, message: UserMessage) -> None:
        """Rasa's own turn, in short: the user's event, each action and the answer it sent, listening
        again at the end, saved."""
        self.turns.append(message)
        tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, message_id=message.message_id, metadata=message.metadata))
        for text in (f"echo: {message.text}", "Anything else?"):
            await message.output_channel.send_text_message(message.sender_id, text)
            tracker.update(ActionExecuted("utter_echo"))
            tracker.update(BotUttered(text))
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        await self.tracker_store.save(tracker)

    async def staff_reply(self, conversation_id: str, text: str, output: Any) -> None:
        """What the staff console does through Rasa's HTTP API: a bot event, sent to the resident."""
        tracker = await self.tracker_store.get_or_create_tracker(conversation_id)
        tracker.update(BotUttered(text, metadata={"from_staff": True}))
        await self.tracker_store.save(tracker)
        await output.send_text_message(conversation_id, text)


@pytest.fixture
def processor(monkeypatch: pytest.MonkeyPatch) -> Processor:
    made = Processor()

    async def original(_: Any, message: UserMessage) -> None:
        await made.turn(message)

    monkeypatch.setattr(rasa_retries, "_original_handle_message", original)
    return made


def with_rasa(server: Server, processor: Processor) -> Server:
    """The server's messages go through bot/rasa_retries.py's handle_message, as in the Rasa server."""
    async def on_new_message(message: UserMessage) -> None:
        server.received.append(message)
        await rasa_retries.handle_message(processor, message)  # type: ignore[arg-type]

    server.on_new_message = on_new_message  # type: ignore[method-assign]
    return server


@pytest.fixture
async def server(processor: Processor) -> AsyncIterator[Server]:
    Sanic.test_mode = True
    running = with_rasa(Server({}), processor)
    app = await start(running)
    yield running
    await app.close()  # type: ignore[attr-defined]


async def say(client: Client, session_id: str, text: str, **extra: Any) -> Dict[str, Any]:
    """Send like the widget does, with an acknowledgement; the acknowledgement."""
    return await client.sio.call("user_uttered", {"message": text, "session_id": session_id, **extra}, timeout=10)


async def answers(client: Client, count: int) -> List[Dict[str, Any]]:
    return [await client.next("bot_uttered") for _ in range(count)]


async def test_a_message_sent_again_with_its_id_is_one_turn_and_answered_again(
    server: Server, processor: Processor
) -> None:
    client = Client()
    await client.connect(server.url)
    session_id = await client.session()
    message_id = str(uuid.uuid4())
    assert await say(client, session_id, "my bin", message_id=message_id) == {"message_id": message_id,
                                                                              "handled": True}
    first = await answers(client, 2)
    # The widget heard nothing (its replica died, say) and sends the same message again.
    assert (await say(client, session_id, "my bin", message_id=message_id))["handled"] is True
    again = await answers(client, 2)
    assert len(processor.turns) == 1, "one turn, however often the message arrives"
    assert [m["text"] for m in again] == [m["text"] for m in first] == ["echo: my bin", "Anything else?"]
    # The same reply_to and part: the widget shows each answer once; new seqs: replay still works.
    assert [(m["reply_to"], m["part"]) for m in again] == [(m["reply_to"], m["part"]) for m in first] \
        == [(message_id, 0), (message_id, 1)]
    assert again[0]["seq"] > first[1]["seq"]
    # Rasa's message id is the widget's, marked as the client's own (the case key uses it).
    message = processor.turns[0]
    assert message.message_id == message_id and message.metadata[CLIENT_MESSAGE_ID] is True
    # A new message (a new id) is a new turn.
    await say(client, session_id, "thanks", message_id=str(uuid.uuid4()))
    assert (await client.next("bot_uttered"))["text"] == "echo: thanks" and len(processor.turns) == 2
    await client.sio.disconnect()


async def test_a_message_sent_again_after_a_staff_reply_is_answered_with_its_own_answers_only(
    server: Server, processor: Processor
) -> None:
    """The widget lost the acknowledgement, staff replied while it was away, and it sends the message
    again when it is back: the staff reply came after the turn, and was shown twice when sent with it."""
    from bot.channels.web import WebChatOutput

    client = Client()
    await client.connect(server.url)
    session_id = await client.session()
    message_id = str(uuid.uuid4())
    await say(client, session_id, "hello", message_id=message_id)
    await answers(client, 2)
    output = WebChatOutput(server.channel.sio, "bot_uttered", server.channel.replay)
    await processor.staff_reply(session_id, "Hi, this is Sam from the council.", output)
    assert (await client.next("bot_uttered"))["text"] == "Hi, this is Sam from the council."
    await say(client, session_id, "hello", message_id=message_id)
    again = await answers(client, 2)
    assert [m["text"] for m in again] == ["echo: hello", "Anything else?"]
    await client.sio.emit("user_uttered", {"message": "one more", "session_id": session_id,
                                           "message_id": str(uuid.uuid4())})
    assert (await client.next("bot_uttered"))["text"] == "echo: one more", "nothing else was sent again"
    assert len(processor.turns) == 2
    await client.sio.disconnect()


@pytest.mark.parametrize("bad", ["", "x" * 65, "a b", "<script>", "é", 7, 1.5, True, ["a"], {"a": 1}])
async def test_a_bad_message_id_is_ignored_and_the_message_still_answered(
    server: Server, processor: Processor, bad: Any
) -> None:
    client = Client()
    await client.connect(server.url)
    session_id = await client.session()
    for _ in range(2):
        ack = await say(client, session_id, "hello", message_id=bad)
        assert ack == {"message_id": None, "handled": True}
        got = await answers(client, 2)
        assert got[0]["text"] == "echo: hello" and not any("reply_to" in m for m in got)
    # Not the client's id: Rasa's own ids, nothing marked, so nothing answered from the record.
    assert len(processor.turns) == 2
    assert all(CLIENT_MESSAGE_ID not in (m.metadata or {}) for m in processor.turns)
    assert processor.turns[0].message_id != processor.turns[1].message_id
    await client.sio.disconnect()


async def test_an_older_widget_without_ids_still_works(server: Server, processor: Processor) -> None:
    client = Client()
    await client.connect(server.url)
    session_id = await client.session()
    # No acknowledgement asked for, no id, and a forged mark in the metadata (dropped by the allow-list).
    for _ in range(2):
        await client.sio.emit("user_uttered", {"message": "hello", "session_id": session_id,
                                               "metadata": {CLIENT_MESSAGE_ID: True}})
        got = await answers(client, 2)
        assert [m["text"] for m in got] == ["echo: hello", "Anything else?"] and "reply_to" not in got[0]
    assert len(processor.turns) == 2
    assert all(CLIENT_MESSAGE_ID not in (m.metadata or {}) for m in processor.turns)
    await client.sio.disconnect()


@pytest.fixture
async def replicas(redis_server: ThrowawayRedis, processor: Processor) -> AsyncIterator[Tuple[Server, Server]]:
    """Two Rasa replicas sharing Redis and one tracker store (the database)."""
    redis_server.flush()
    Sanic.test_mode = True
    pair = (with_rasa(Server({"REDIS_URL": redis_server.url}), processor),
            with_rasa(Server({"REDIS_URL": redis_server.url}), processor))
    running = [await start(server) for server in pair]
    yield pair
    for app in running:
        await app.close()  # type: ignore[attr-defined]


async def test_a_message_sent_again_through_the_other_replica_is_answered_there_once(
    replicas: Tuple[Server, Server], processor: Processor
) -> None:
    a, b = replicas
    before = Client()
    await before.connect(a.url)
    session_id = await before.session()
    message_id = str(uuid.uuid4())
    # Replica A takes the turn, but its answers never reach the browser: its socket is gone.
    await before.sio.disconnect()
    await say_without_socket(a, session_id, "my bin", message_id)
    after = Client()
    await after.connect(b.url)
    assert await after.session(session_id) == session_id
    assert (await say(after, session_id, "my bin", message_id=message_id))["handled"] is True
    got = await answers(after, 2)
    assert [m["text"] for m in got] == ["echo: my bin", "Anything else?"]
    assert [m["reply_to"] for m in got] == [message_id, message_id]
    assert len(processor.turns) == 1 and [m.sender_id for m in a.received + b.received] == [session_id] * 2
    await after.sio.disconnect()


async def say_without_socket(server: Server, session_id: str, text: str, message_id: str) -> None:
    """A message that reached ``server`` from a browser that has gone since (as the channel builds it)."""
    from bot.channels.web import WebChatOutput

    output = WebChatOutput(server.channel.sio, "bot_uttered", server.channel.replay, reply_to=message_id)
    await server.on_new_message(UserMessage(text, output, session_id, input_channel="web", message_id=message_id,
                                            metadata={CLIENT_MESSAGE_ID: True}))


@pytest.mark.parametrize("raw, kept", [
    ("7f3c2a90-1b2c-4d5e-8f90-0a1b2c3d4e5f", "7f3c2a90-1b2c-4d5e-8f90-0a1b2c3d4e5f"),
    ("a" * 64, "a" * 64), ("turn.12:x_y", "turn.12:x_y"),
    ("", None), ("a" * 65, None), ("a\n", None), ("a/b", None), (None, None), (12, None), (["a"], None),
])
def test_what_counts_as_a_client_message_id(raw: Any, kept: Any) -> None:
    assert client_message_id(raw) == kept

"""The web chat on two Rasa replicas sharing one Redis (REDIS_URL): real socket.io clients and servers.

What the load balancer does with sockets is the production profile's concern
(sticky routing, tests/e2e); here each socket talks to the replica it chose,
and what must hold is that the other replica's messages reach it and that a
browser coming back through the other replica is replayed what it missed.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import AsyncIterator, List, Tuple

import pytest
from sanic import Sanic

from tests.bot.channels.test_web_socket import Client, Server, staff_reply
from tests.support.redis_server import ThrowawayRedis


async def start(server: Server) -> object:
    app = Sanic(f"web_chat_replica_{uuid.uuid4().hex[:8]}")
    app.blueprint(server.channel.blueprint(server.on_new_message))
    running = await app.create_server(host="127.0.0.1", port=server.port, return_asyncio_server=True)
    await running.startup()
    return running


@pytest.fixture
async def replicas(redis_server: ThrowawayRedis) -> AsyncIterator[Tuple[Server, Server]]:
    redis_server.flush()
    Sanic.test_mode = True
    pair = (Server({"REDIS_URL": redis_server.url}), Server({"REDIS_URL": redis_server.url}))
    running = [await start(server) for server in pair]
    yield pair
    for server in running:
        await server.close()  # type: ignore[attr-defined]


async def test_a_message_sent_through_one_replica_reaches_a_socket_on_the_other(replicas) -> None:
    a, b = replicas
    client = Client()
    await client.connect(a.url)
    session_id = await client.session()
    # A staff reply arrives at replica B's API (Rasa's output_channel=latest).
    await staff_reply(b, session_id, "Jo here.")
    got = await client.next("bot_uttered")
    assert got["text"] == "Jo here." and isinstance(got["seq"], int)
    await client.sio.disconnect()


async def test_a_browser_back_through_the_other_replica_gets_what_it_missed_once_in_order(replicas) -> None:
    a, b = replicas
    client = Client()
    await client.connect(a.url)
    session_id = await client.session()
    await client.sio.emit("user_uttered", {"message": "hi", "session_id": session_id})
    shown = (await client.next("bot_uttered"))["seq"]
    await client.sio.disconnect()  # signal lost; the balancer picks replica B next time
    await staff_reply(a, session_id, "Jo here.\n\nWe have your report.")
    back = Client()
    await back.connect(b.url)
    assert await back.session(session_id, last_seq=shown) == session_id
    missed = [await back.next("bot_uttered"), await back.next("bot_uttered")]
    assert [m["text"] for m in missed] == ["Jo here.", "We have your report."]
    assert shown < missed[0]["seq"] < missed[1]["seq"]
    # Replica A keeps numbering after what B replayed, and its messages reach the socket on B.
    await staff_reply(a, session_id, "Anything else?")
    live = await back.next("bot_uttered")
    assert live["text"] == "Anything else?" and live["seq"] > missed[1]["seq"]
    await back.sio.disconnect()


async def test_messages_from_both_replicas_at_once_arrive_numbered_in_order(replicas) -> None:
    a, b = replicas
    client = Client()
    await client.connect(a.url)
    session_id = await client.session()
    await asyncio.gather(*(staff_reply(server, session_id, f"{name}{n}")
                           for n in range(10) for name, server in (("a", a), ("b", b))))
    got: List[dict] = [await client.next("bot_uttered") for _ in range(20)]
    seqs = [m["seq"] for m in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == 20, "the widget drops a seq lower than one it showed"
    await client.sio.disconnect()

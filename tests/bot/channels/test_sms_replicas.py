"""The SMS channel on two Rasa replicas sharing PostgreSQL and Redis (REDIS_URL), in one test process.

Each replica is the real channel in its own Sanic server; Rasa's message
handler is a recorder that takes a while, like a turn. Twilio's webhooks are
signed and posted to whichever replica a load balancer would pick.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import AsyncIterator, Dict, List, Optional, Tuple

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from twilio.request_validator import RequestValidator

from bot.channels.sms import SmsInput
from bot.settings import load_settings
from bot.shared_state import RedisKeyedLocks
from bot.storage.database import create_schema, make_engine
from bot.storage.sms import SmsStore
from tests.support.delivery import free_port
from tests.support.postgres import new_database
from tests.support.redis_server import ThrowawayRedis

TOKEN = "t" * 32
PHONE = "+447700900123"
BASE = "https://council.example"


class Replica:
    """One Rasa replica's SMS channel; ``turns`` records (replica, text, start, end) of each turn."""

    def __init__(self, name: str, env: Dict[str, str], turns: List[Tuple[str, str, float, float]]) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.channel = SmsInput(load_settings(env))
        self.turns = turns
        self.server: object = None

    async def on_new_message(self, message: UserMessage) -> None:
        started = time.monotonic()
        await asyncio.sleep(0.05)  # a turn takes a while: overlapping turns would show
        self.turns.append((self.name, message.text or "", started, time.monotonic()))

    async def start(self) -> "Replica":
        app = Sanic(f"sms_replica_{uuid.uuid4().hex[:8]}")
        app.blueprint(self.channel.blueprint(self.on_new_message))
        self.server = await app.create_server(host="127.0.0.1", port=self.port, return_asyncio_server=True)
        await self.server.startup()  # type: ignore[attr-defined]
        await self.server.after_start()  # type: ignore[attr-defined]  # the sweep for unfinished messages
        return self

    async def stop(self) -> None:
        await self.server.before_stop()  # type: ignore[attr-defined]
        self.server.close()  # type: ignore[attr-defined]

    async def text(self, session: aiohttp.ClientSession, body: str, sid: Optional[str] = None) -> None:
        """What Twilio posts when PHONE texts the council, signed as Twilio signs it."""
        sid = sid or "SM" + uuid.uuid4().hex
        form = {"Body": body, "From": PHONE, "MessageSid": sid, "NumMedia": "0", "SmsMessageSid": sid,
                "To": "+447700900000"}
        signature = RequestValidator(TOKEN).compute_signature(f"{BASE}/webhooks/sms/webhook", form)
        async with session.post(f"{self.url}/webhooks/sms/webhook", data=form,
                                headers={"X-Twilio-Signature": signature}) as response:
            assert response.status == 200, await response.text()


@pytest.fixture
async def setup(request, redis_server: ThrowawayRedis, tmp_path: Path) -> AsyncIterator[dict]:
    redis_server.flush()
    Sanic.test_mode = True
    env = {"DATABASE_URL": new_database(request, "sms_replicas"), "REDIS_URL": redis_server.url,
           "VAR_DIR": str(tmp_path), "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TOKEN,
           "TWILIO_NUMBER": "+447700900000", "PUBLIC_BASE_URL": BASE,
           "TWILIO_API_BASE_URL": f"http://127.0.0.1:{free_port()}"}
    turns: List[Tuple[str, str, float, float]] = []
    started: List[Replica] = []

    async def replica(name: str) -> Replica:
        started.append(await Replica(name, env, turns).start())
        return started[-1]

    engine = make_engine(env["DATABASE_URL"])
    create_schema(engine)
    async with aiohttp.ClientSession() as session:
        yield {"replica": replica, "turns": turns, "session": session, "store": SmsStore(engine)}
    for running in started:
        await running.stop()


async def settled(store: SmsStore, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while store.unfinished_inbound():
        assert time.monotonic() < deadline, "messages left unfinished"
        await asyncio.sleep(0.05)


async def test_one_numbers_texts_reaching_both_replicas_are_handled_one_at_a_time_in_order(setup) -> None:
    a, b = await setup["replica"]("a"), await setup["replica"]("b")
    for n in range(10):  # as a load balancer alternates: each acknowledged at once, in this order
        await (a, b)[n % 2].text(setup["session"], f"message {n}")
    await settled(setup["store"])
    turns = setup["turns"]
    assert [text for _replica, text, _start, _end in turns] == [f"message {n}" for n in range(10)]
    assert all(later[2] >= earlier[3] for earlier, later in zip(turns, turns[1:])), "turns overlapped"


async def test_a_twilio_retry_reaching_the_other_replica_is_one_turn(setup) -> None:
    a, b = await setup["replica"]("a"), await setup["replica"]("b")
    sid = "SM" + uuid.uuid4().hex
    await asyncio.gather(a.text(setup["session"], "my bin was missed", sid),
                         b.text(setup["session"], "my bin was missed", sid))
    await b.text(setup["session"], "thanks", sid)  # a later retry
    await settled(setup["store"])
    await asyncio.sleep(0.2)
    assert [text for _r, text, _s, _e in setup["turns"]] == ["my bin was missed"]


async def test_a_replica_starting_never_takes_a_turn_another_replica_is_still_taking(setup, redis_server) -> None:
    import redis

    store: SmsStore = setup["store"]
    inbound = store.accept_inbound("SM" + uuid.uuid4().hex, PHONE, "in flight on a", [])
    assert inbound is not None
    store.mark_inbound(inbound.id, "processing")
    # Replica A is mid-turn on it, holding (and renewing) the number's lock.
    lock = RedisKeyedLocks.redis_key("sms-number", PHONE)
    redis.Redis.from_url(redis_server.url).set(lock, "replica-a", px=15000)
    await setup["replica"]("b")  # B starts and sweeps for unfinished messages
    await asyncio.sleep(0.5)
    assert setup["turns"] == [], "B took A's turn"
    store.mark_inbound(inbound.id, "processed")  # A answers and lets go
    redis.Redis.from_url(redis_server.url).delete(lock)
    await asyncio.sleep(0.3)
    assert setup["turns"] == []


async def test_a_turn_left_by_a_stopped_replica_is_taken_again_before_the_next_text(setup, redis_server) -> None:
    import redis

    b = await setup["replica"]("b")
    store: SmsStore = setup["store"]
    stranded = store.accept_inbound("SM" + uuid.uuid4().hex, PHONE, "left by a", [])
    assert stranded is not None
    store.mark_inbound(stranded.id, "processing")
    # Replica A stopped mid-turn: nobody renews its lock, which lapses.
    redis.Redis.from_url(redis_server.url).set(RedisKeyedLocks.redis_key("sms-number", PHONE), "replica-a", px=300)
    await b.text(setup["session"], "hello?")
    await settled(store)
    assert [text for _r, text, _s, _e in setup["turns"]] == ["left by a", "hello?"]

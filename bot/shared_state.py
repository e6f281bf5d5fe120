"""State several replicas of a service must share: in Redis when REDIS_URL is set, else in memory.

One process (``make run``) keeps everything in its own memory, as before.
With several replicas behind a load balancer (``REDIS_URL`` set), anything
that decides what a resident gets must be the same whichever replica answers:

* ``RateLimiter``: how often one client may do something in a while (photo
  uploads, failed staff sign-ins, upload links issued per case). Clients are
  kept as hashes, so no IP address or id is readable in Redis.
* ``KeyedLocks``: one holder at a time per key across every replica (an SMS
  number's turns, one after another; a web chat's numbering and replay; keys
  hashed in Redis, as they may be phone numbers). A
  Redis lock is a lease, renewed while held, so a replica that dies frees its
  keys within ``LOCK_LEASE_SECONDS``.
* ``KeyValues``: a small value per key, bounded in memory, expiring in Redis
  (each conversation's language, bot/language/current.py).
* ``NumberedLog``: per key, the latest payloads numbered by one counter that
  only increases (the web chat's replay buffer, bot/channels/web_replay.py).
* ``socketio_manager``: socket.io's Redis manager, so a message emitted to a
  conversation's room on one replica (a staff reply through Rasa's API)
  reaches the resident's socket on another.

Duplicate Twilio webhooks need nothing here: the MessageSid is unique in the
shared database (bot/storage/sms.py). Redis failures raise: the service's
``/ready`` reports Redis unavailable (bot/health.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import threading
import time
import weakref
from collections import OrderedDict, deque
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, AsyncContextManager, AsyncIterator, Callable, Deque, Dict, List, Optional, Protocol

import redis
from redis import asyncio as aioredis

from bot.rate_limit import SlidingWindowLimiter
from bot.settings import Settings

logger = logging.getLogger(__name__)

PREFIX = "council"
# A replica that stops mid-turn frees its keys within this; held locks are
# renewed every third of it, so only a process stalled that long loses one.
LOCK_LEASE_SECONDS = 15.0
REDIS_TIMEOUT = 5.0


class RateLimiter(Protocol):
    def allow(self, client: str) -> bool:
        """Count one event for ``client`` if within the limit; False (not counted) otherwise."""

    def retry_after(self, client: str) -> int:
        """Whole seconds until ``client`` may try again (0 when it may now)."""


class KeyedLocks(Protocol):
    def hold(self, key: str) -> AsyncContextManager[None]:
        """``async with locks.hold(key):`` one holder per key at a time."""


class KeyValues(Protocol):
    def get(self, key: str) -> Optional[str]:
        """The value last set for ``key`` (None: never, or forgotten)."""

    def set(self, key: str, value: str) -> None:
        """Set ``key``'s value."""


class NumberedLog(Protocol):
    async def append(self, key: str, payload: Dict[str, Any]) -> Dict[str, Any]:
        """The payload with the next ``seq`` (higher than any given before), kept for a while."""

    async def since(self, key: str, last_seq: int) -> List[Dict[str, Any]]:
        """The kept payloads of ``key`` after ``last_seq``, oldest first."""


# -- in memory (one process) ---------------------------------------------------------
class MemoryKeyedLocks:
    """asyncio locks per key; each exists only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: "weakref.WeakValueDictionary[str, asyncio.Lock]" = weakref.WeakValueDictionary()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        async with lock:
            yield


class MemoryKeyValues:
    """At most ``max_keys`` values, the least recently set forgotten first; safe across threads."""

    def __init__(self, max_keys: int) -> None:
        self._max_keys = max_keys
        self._values: "OrderedDict[str, str]" = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Optional[str]:
        with self._lock:
            return self._values.get(key)

    def set(self, key: str, value: str) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self._max_keys:
                self._values.popitem(last=False)


@dataclass(frozen=True)
class _Kept:
    seq: int
    at: float
    payload: Dict[str, Any]


class MemoryNumberedLog:
    """Bounded and expiring: ``max_messages`` per key, ``max_keys`` keys (least recently active
    dropped first), nothing older than ``max_age`` seconds."""

    def __init__(self, max_messages: int, max_keys: int, max_age: float,
                 clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._max_messages = max_messages
        self._max_keys = max_keys
        self._max_age = max_age
        self._last_seq = 0
        self._kept: "OrderedDict[str, Deque[_Kept]]" = OrderedDict()  # least recently active first

    def __len__(self) -> int:
        return len(self._kept)

    async def append(self, key: str, payload: Dict[str, Any]) -> Dict[str, Any]:
        now = self._clock()
        self._last_seq = max(self._last_seq + 1, int(now * 1000))
        numbered = {**payload, "seq": self._last_seq}
        kept = self._kept.pop(key, None) or deque(maxlen=self._max_messages)
        kept.append(_Kept(self._last_seq, now, numbered))
        self._kept[key] = kept
        while self._kept:
            oldest_key, oldest = next(iter(self._kept.items()))
            if len(self._kept) <= self._max_keys and oldest[-1].at >= now - self._max_age:
                break
            del self._kept[oldest_key]
        return numbered

    async def since(self, key: str, last_seq: int) -> List[Dict[str, Any]]:
        oldest = self._clock() - self._max_age
        return [m.payload for m in self._kept.get(key, ()) if m.seq > last_seq and m.at >= oldest]


# -- Redis (several replicas) --------------------------------------------------------
def _hashed(client: str) -> str:
    return hashlib.sha256(client.encode("utf-8")).hexdigest()[:32]


# KEYS[1]: the client's sorted set of event times. ARGV: now, window, limit, member.
_ALLOW = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
  return 1
end
return 0
"""


class RedisRateLimiter:
    """At most ``limit`` events per client in any ``window_seconds``, counted in Redis by every replica."""

    def __init__(self, client: "redis.Redis", name: str, limit: int, window_seconds: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._client = client
        self._name = name
        self._clock = clock
        self._allow = client.register_script(_ALLOW)

    def _key(self, client: str) -> str:
        return f"{PREFIX}:rate:{self._name}:{_hashed(client)}"

    def allow(self, client: str) -> bool:
        now = self._clock()
        member = f"{now!r}:{secrets.token_hex(4)}"
        return bool(self._allow(keys=[self._key(client)], args=[repr(now), self.window_seconds, self.limit, member]))

    def retry_after(self, client: str) -> int:
        now = self._clock()
        recent = self._client.zrangebyscore(self._key(client), f"({now - self.window_seconds!r}", "+inf",
                                            withscores=True)
        if len(recent) < self.limit:
            return 0
        return max(1, int(recent[0][1] + self.window_seconds - now) + 1)


class RedisKeyValues:
    """The same values in Redis, each expiring ``ttl_seconds`` after it was last set."""

    def __init__(self, client: "redis.Redis", name: str, ttl_seconds: float) -> None:
        self._client = client
        self._name = name
        self._ttl_ms = int(ttl_seconds * 1000)

    def get(self, key: str) -> Optional[str]:
        found = self._client.get(f"{PREFIX}:kv:{self._name}:{key}")
        return found.decode("utf-8") if found is not None else None

    def set(self, key: str, value: str) -> None:
        self._client.set(f"{PREFIX}:kv:{self._name}:{key}", value, px=self._ttl_ms)


# KEYS[1]: the lock. ARGV: our token, lease in ms. Only the holder renews or releases.
_RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


class RedisKeyedLocks:
    """A lease per key in Redis (SET NX PX), renewed while held, released only by its holder."""

    def __init__(self, client: "aioredis.Redis", name: str, lease_seconds: float = LOCK_LEASE_SECONDS,
                 poll_seconds: float = 0.005) -> None:
        self._client = client
        self._name = name
        self._lease_ms = int(lease_seconds * 1000)
        self._poll = poll_seconds
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @staticmethod
    def redis_key(name: str, key: str) -> str:
        """The lock's Redis key: hashed, as keys may be phone numbers."""
        return f"{PREFIX}:lock:{name}:{_hashed(key)}"

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        name = self.redis_key(self._name, key)
        token = secrets.token_hex(16)
        delay = self._poll
        while not await self._client.set(name, token, nx=True, px=self._lease_ms):
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)
        renewing = asyncio.create_task(self._keep(name, token))
        try:
            yield
        finally:
            renewing.cancel()
            await self._release(keys=[name], args=[token])

    async def _keep(self, name: str, token: str) -> None:
        while True:
            await asyncio.sleep(self._lease_ms / 3000)
            try:
                if not await self._renew(keys=[name], args=[token, self._lease_ms]):
                    logger.warning("A shared lock (%s) expired while held; another replica may hold it now",
                                   self._name)
                    return
            except redis.RedisError as error:
                logger.warning("Could not renew a shared lock (%s): %s", self._name, type(error).__name__)


# KEYS[1]: the key's list, KEYS[2]: the counter. ARGV: now (ms), now (s), payload JSON, max messages, max age (ms).
# Entries are "<seq> <at> <payload JSON>", the payload without its seq.
_APPEND = """
local seq = math.max(tonumber(redis.call('GET', KEYS[2]) or '0') + 1, tonumber(ARGV[1]))
local text = string.format('%d', seq)
redis.call('SET', KEYS[2], text)
redis.call('RPUSH', KEYS[1], text .. ' ' .. ARGV[2] .. ' ' .. ARGV[3])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[4]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return text
"""


class RedisNumberedLog:
    """The same log in Redis: a list per key expiring ``max_age`` after its last message, one shared counter."""

    def __init__(self, client: "aioredis.Redis", name: str, max_messages: int, max_age: float,
                 clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._name = name
        self._max_messages = max_messages
        self._max_age = max_age
        self._clock = clock
        self._append = client.register_script(_APPEND)

    def _key(self, key: str) -> str:
        return f"{PREFIX}:log:{self._name}:{key}"

    async def append(self, key: str, payload: Dict[str, Any]) -> Dict[str, Any]:
        now = self._clock()
        seq = await self._append(
            keys=[self._key(key), f"{PREFIX}:log:{self._name}:seq"],
            args=[int(now * 1000), repr(now), json.dumps(payload, separators=(",", ":")), self._max_messages,
                  int(self._max_age * 1000)],
        )
        return {**payload, "seq": int(seq)}

    async def since(self, key: str, last_seq: int) -> List[Dict[str, Any]]:
        oldest = self._clock() - self._max_age
        found = []
        for entry in await self._client.lrange(self._key(key), 0, -1):
            seq, at, payload = entry.decode("utf-8").split(" ", 2)
            if int(seq) > last_seq and float(at) >= oldest:
                found.append({**json.loads(payload), "seq": int(seq)})
        return found


# -- chosen from settings ------------------------------------------------------------
class SharedState:
    """Makes each primitive for this process: Redis-backed with ``redis_url``, else in memory."""

    def __init__(self, redis_url: Optional[str]) -> None:
        self.redis_url = redis_url
        self._sync: Optional["redis.Redis"] = None
        self._async: Optional["aioredis.Redis"] = None

    @property
    def shared(self) -> bool:
        return bool(self.redis_url)

    def _sync_client(self) -> "redis.Redis":
        if self._sync is None:
            self._sync = redis.Redis.from_url(str(self.redis_url), socket_timeout=REDIS_TIMEOUT,
                                              socket_connect_timeout=REDIS_TIMEOUT)
        return self._sync

    def _async_client(self) -> "aioredis.Redis":
        # Connections are made lazily on the event loop that first uses them (the server's).
        if self._async is None:
            self._async = aioredis.Redis.from_url(str(self.redis_url), socket_timeout=REDIS_TIMEOUT,
                                                  socket_connect_timeout=REDIS_TIMEOUT)
        return self._async

    def rate_limiter(self, name: str, limit: int, window_seconds: float) -> RateLimiter:
        if not self.shared:
            return SlidingWindowLimiter(limit, window_seconds)
        return RedisRateLimiter(self._sync_client(), name, limit, window_seconds)

    def locks(self, name: str) -> KeyedLocks:
        if not self.shared:
            return MemoryKeyedLocks()
        return RedisKeyedLocks(self._async_client(), name)

    def key_values(self, name: str, max_keys: int, ttl_seconds: float) -> KeyValues:
        if not self.shared:
            return MemoryKeyValues(max_keys)
        return RedisKeyValues(self._sync_client(), name, ttl_seconds)

    def numbered_log(self, name: str, max_messages: int, max_keys: int, max_age: float) -> NumberedLog:
        if not self.shared:
            return MemoryNumberedLog(max_messages, max_keys, max_age)
        return RedisNumberedLog(self._async_client(), name, max_messages, max_age)

    def socketio_manager(self) -> Any:
        """socket.io's client manager: Redis pub/sub between replicas, or None (python-socketio's own)."""
        if not self.shared:
            return None
        from socketio import AsyncRedisManager

        return AsyncRedisManager(str(self.redis_url), channel=f"{PREFIX}:socketio")


def shared_state(settings: Settings) -> SharedState:
    """Shared state as ``settings`` says: Redis when REDIS_URL is set."""
    return SharedState(settings.redis_url)

"""Rasa's per-conversation lock in Redis, as leases: a replica that dies frees its conversations in seconds.

Rasa's ``RedisLockStore`` keeps a conversation's queue of tickets as one JSON
value that each server reads, changes and writes back (seven Redis round trips
for an uncontended turn, and two servers can overwrite each other's ticket), polls
once a second while it waits, and gives every ticket a fixed lifetime
(``TICKET_LOCK_LIFETIME``, 60 s) that must be longer than the slowest turn: when a
replica is killed mid-turn, the conversation it held waits out that minute
(issue 14's outage run: HTTP 504s and a 60 s turn).

Here the same first-come-first-served ticket lock is one Redis hash per
conversation (``ticket -> lease expiry``, and the ticket counter) changed only by
Lua scripts, so each step is atomic and costs one round trip: an uncontended turn
is two (take a ticket and find it served; give it back). Every ticket is a lease
of ``LEASE_SECONDS``: the holder renews its own while its turn runs, and a waiter
renews its own each time it looks, so only a process that stopped (or stalled
for the whole lease) loses its place. Expiry is judged by Redis's clock, so the
replicas' clocks need not agree. Turns of one conversation are still served in
the order their tickets were taken.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockError, LockStore

logger = logging.getLogger(__name__)

# A replica that dies mid-turn holds its conversations for at most this long. It only
# has to outlast the longest stall of a live replica's event loop (a turn's awaits let
# the renewal run; a turn takes tens of milliseconds), not the longest turn.
LEASE_SECONDS = 5.0
# How often a holder renews its lease while its turn runs.
RENEW_SECONDS = LEASE_SECONDS / 5
KEY_PREFIX = "council:conversation-lock:"
# Seconds a Redis call may take before the turn fails (as bot/shared_state.py's).
REDIS_TIMEOUT = 5.0

# Shared by the scripts: Redis's clock in ms, and the expired tickets removed.
_PURGE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local fields = redis.call('HGETALL', KEYS[1])
local first = nil
for i = 1, #fields, 2 do
  if fields[i] ~= 'n' then
    if tonumber(fields[i + 1]) < now then
      redis.call('HDEL', KEYS[1], fields[i])
    else
      local n = tonumber(fields[i])
      if first == nil or n < first then first = n end
    end
  end
end
"""
# KEYS[1]: the conversation's hash. ARGV: lease (ms). Returns {ticket, 1 if it is served now}.
_ISSUE = _PURGE + """
local ticket = redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('HSET', KEYS[1], ticket, now + tonumber(ARGV[1]))
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[1]))
if first == nil then return {ticket, 1} end
return {ticket, 0}
"""
# KEYS[1]: the hash. ARGV: ticket, lease (ms). Renews the ticket's lease; 1 if it is
# served now, 0 if it waits, -1 if it lapsed (its holder stalled beyond the lease).
_POLL = _PURGE + """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], now + tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[2]))
if first == tonumber(ARGV[1]) then return 1 end
return 0
"""
# KEYS[1]: the hash. ARGV: ticket. The key goes when no ticket is left.
_RELEASE = """
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) <= 1 then redis.call('DEL', KEYS[1]) end
return 1
"""


class RedisLeaseLockStore(LockStore):
    """One first-come-first-served lock per conversation, shared by every Rasa replica (see the module)."""

    def __init__(self, client: "redis.Redis", lease_seconds: float = LEASE_SECONDS,
                 renew_seconds: float = RENEW_SECONDS, first_poll_seconds: float = 0.002,
                 max_poll_seconds: float = 0.05) -> None:
        super().__init__()
        self.red = client
        self.lease_ms = int(lease_seconds * 1000)
        self.renew_seconds = renew_seconds
        self.first_poll = first_poll_seconds
        self.max_poll = max_poll_seconds
        self._issue = client.register_script(_ISSUE)
        self._poll = client.register_script(_POLL)
        self._release = client.register_script(_RELEASE)

    @staticmethod
    def key(conversation_id: str) -> str:
        return KEY_PREFIX + conversation_id

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = 0,
                   wait_time_in_seconds: float = 0) -> AsyncGenerator[Optional[TicketLock], None]:
        """Hold ``conversation_id``'s lock for the body (Rasa's signature; the lifetime is the lease's).

        ``wait_time_in_seconds``, if given, caps the pause between looks while waiting.
        """
        key = self.key(conversation_id)
        ticket = await self._take(key, wait_time_in_seconds or self.max_poll)
        renewing = asyncio.create_task(self._renew(key, ticket))
        try:
            yield None
        finally:
            renewing.cancel()
            try:
                self._release(keys=[key], args=[ticket])
            except redis.RedisError as error:
                # Not fatal: the ticket lapses by itself within the lease.
                logger.warning("Could not release a conversation lock: %s", type(error).__name__)

    async def _take(self, key: str, max_poll: float) -> int:
        try:
            ticket, served = self._issue(keys=[key], args=[self.lease_ms])
            delay = self.first_poll
            while not served:
                await asyncio.sleep(delay)
                delay = min(delay * 2, max_poll)
                state = self._poll(keys=[key], args=[ticket, self.lease_ms])
                if state == -1:
                    # This process stalled beyond its lease while waiting: queue again.
                    logger.warning("A waiting conversation lock lapsed; queueing again")
                    ticket, served = self._issue(keys=[key], args=[self.lease_ms])
                else:
                    served = state == 1
            return int(ticket)
        except redis.RedisError as error:
            raise LockError(f"Could not take a conversation lock: {type(error).__name__}") from error

    async def _renew(self, key: str, ticket: int) -> None:
        while True:
            await asyncio.sleep(self.renew_seconds)
            try:
                if self._poll(keys=[key], args=[ticket, self.lease_ms]) == -1:
                    logger.warning("A conversation lock lapsed while its turn ran (the process stalled "
                                   "beyond the lease); another replica may hold it now")
                    return
            except redis.RedisError as error:
                logger.warning("Could not renew a conversation lock: %s", type(error).__name__)

    # Rasa's ticket-lock interface, which nothing calls when lock() is overridden.
    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        raise NotImplementedError("RedisLeaseLockStore serves locks through lock() only")

    def delete_lock(self, conversation_id: str) -> None:
        raise NotImplementedError("RedisLeaseLockStore serves locks through lock() only")

    def save_lock(self, lock: Any) -> None:
        raise NotImplementedError("RedisLeaseLockStore serves locks through lock() only")

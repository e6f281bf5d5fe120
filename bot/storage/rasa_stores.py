"""Rasa's tracker store and lock store, configured from our settings module.

``endpoints.yml`` names these classes instead of spelling out connection
details, so the database and Redis addresses come from the environment
(``TRACKER_STORE_URL``, ``REDIS_URL``) like every other setting, and plain
``rasa run`` / ``rasa shell`` work on the embedded defaults.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Dict, List, Optional, Tuple, TypeVar

import redis
import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockStore
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from bot.settings import load_settings
from bot.storage.conversation_locks import REDIS_TIMEOUT, RedisLeaseLockStore

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _sqlite_engine(url: Any) -> sa.engine.Engine:
    """The tracker store's SQLite engine, set up for a write on every turn.

    * A small connection pool: SQLAlchemy 1.4 otherwise opens the file anew
      for every session (NullPool), three times a turn. Rasa calls the store
      from its event loop thread only, so sharing connections is safe.
    * WAL with ``synchronous=NORMAL``: a commit no longer waits for the disk
      (5% of the server's CPU time in the profile). The database cannot be
      corrupted by a crash; a power cut can lose the last turns written,
      which is acceptable for the embedded default (production sets
      ``TRACKER_STORE_URL`` to PostgreSQL).
    * A busy timeout, so a console or report reading the file never makes a
      turn fail.
    """
    engine = sa.create_engine(url, poolclass=QueuePool, pool_size=2, connect_args={"check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


# The conversation whose lock this task holds, and that hold's own token (CouncilLockStore.lock).
_HOLDING: "ContextVar[Optional[Tuple[str, object]]]" = ContextVar("council_conversation_lock", default=None)


def _hold_of(sender_id: str) -> Optional[object]:
    """The token of this task's hold on ``sender_id``'s lock, or None when it holds none."""
    holding = _HOLDING.get()
    return holding[1] if holding is not None and holding[0] == sender_id else None


@dataclass
class _KnownTracker:
    """A tracker this process last saved or loaded, and what the database holds of it."""

    tracker: DialogueStateTracker
    stored_events: int  # how many of tracker.events are in the database
    last_event_id: Optional[int]  # the sender's highest events.id at that moment
    # The lock hold during which the database was last seen to hold exactly this: within
    # that hold no other replica can add events (they take the lock first), so the
    # turn's later retrieves (Rasa's own, after bot/rasa_retries.py's) need no check.
    checked_in: Optional[object] = None


class CouncilTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store on ``TRACKER_STORE_URL`` (SQLite file by default),
    with the trackers of recent conversations kept in memory.

    Rasa retrieves and saves the whole tracker on every turn. Its SQL store
    rebuilds the tracker from every event row of the session (an ORM load, a
    JSON decode and a replay per event) and, on save, counts the stored events
    to work out which ones are new. Profiled on the benchmark that was 29% of
    the Rasa server's CPU, and it grows with the conversation.

    Here each save remembers the tracker object and how many of its events are
    stored. The next retrieve asks the database only for the sender's highest
    event id: when it is still the one we wrote (no other server or process
    has added events since) and the tracker holds no unsaved events (a turn
    that failed half-way), the remembered tracker is handed back; otherwise it
    is rebuilt from the database exactly as Rasa does. The database stays the
    record, so several Rasa servers sharing it (with the Redis lock store)
    still see each other's turns.
    """

    # Trackers of idle conversations are dropped oldest first beyond this.
    remembered_conversations = 200

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[str] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        settings = load_settings()
        url = make_url(settings.tracker_store_url)
        dialect = url.get_backend_name()
        if dialect == "sqlite" and url.database:
            settings.var_dir.mkdir(parents=True, exist_ok=True)
        # Logged without credentials: the URL's password never reaches a log.
        logger.info("Tracker store: %s database %s", dialect, url.database if dialect == "sqlite" else url.host)
        super().__init__(
            domain=domain,
            dialect=dialect,
            host=url.host,
            port=url.port,
            db=url.database,
            username=url.username,
            password=url.password,
            event_broker=event_broker,
            query=dict(url.query),
        )
        if dialect == "sqlite":
            self.engine.dispose()
            self.engine = _sqlite_engine(self.engine.url)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
            self._turn_engine = self._read_engine = self.engine
        else:
            # Rasa's engine hands out pooled connections unchecked: after PostgreSQL
            # restarts, each dead one would fail a resident's turn. Checked on checkout
            # for Rasa's own (rarer) paths.
            engine_url, kwargs = self.engine.url, create_engine_kwargs(self.engine.url)
            self.engine.dispose()
            self.engine = sa.create_engine(engine_url, pool_pre_ping=True, **kwargs)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
            # A turn's own statements (the check in retrieve, the insert in save) without
            # the ping's round trip on every checkout: a statement that finds its
            # connection dead is run once more on a fresh one instead (the first such
            # error empties the pool). Reads in autocommit: no BEGIN and ROLLBACK round
            # trips around a one-statement read. Measured: 12 -> 4 PostgreSQL round trips
            # per turn (docs/benchmarks.md, production profile).
            self._turn_engine = sa.create_engine(engine_url, pool_size=10, max_overflow=100)
            self._read_engine = sa.create_engine(engine_url, pool_size=10, max_overflow=100,
                                                 isolation_level="AUTOCOMMIT")
        self._returning = dialect == "postgresql"
        # A server database's statements wait for the network and the commit's flush to
        # disk, during which the event loop would serve no other conversation: they run
        # on a worker thread, each with a pooled connection of its own. SQLite's pooled
        # connections are shared on the understanding that only the loop's thread uses
        # them (_sqlite_engine), and its statements are local and short: they stay on the loop.
        self._off_loop = dialect != "sqlite"
        self._known: "OrderedDict[str, _KnownTracker]" = OrderedDict()
        # Built once: constructing the statement cost more than running it (py-spy).
        events = self.SQLEvent.__table__
        self._last_event_id_query = sa.select(sa.func.max(events.c.id)).where(
            events.c.sender_id == sa.bindparam("sender_id")
        )
        self._insert_events = sa.insert(events)
        self._insert_events_returning = sa.insert(events).returning(events.c.id)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The tracker of the sender's latest session (None for a new sender)."""
        known = self._known.get(sender_id)
        if known is not None and len(known.tracker.events) == known.stored_events:
            hold = _hold_of(sender_id)
            if hold is not None and known.checked_in is hold:
                self._known.move_to_end(sender_id)
                return known.tracker

            def check() -> Optional[int]:
                with self._read_engine.connect() as connection:
                    return self._last_event_id(connection, sender_id)

            if await self._blocking(_once_more_if_disconnected, check) == known.last_event_id:
                known.checked_in = hold
                self._known.move_to_end(sender_id)
                return known.tracker
        self._known.pop(sender_id, None)
        return await self._load(sender_id)

    async def _load(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """Rebuild the tracker from the database, as Rasa's SQL store does."""

        def read() -> List[Tuple[int, str]]:
            with self.session_scope() as session:
                query = self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
                return [(row.id, row.data) for row in query]

        rows = await self._blocking(read)
        if not rows or not self.domain:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, [json.loads(data) for _, data in rows], self.domain.slots)
        self._remember(_KnownTracker(tracker, len(tracker.events), rows[-1][0], _hold_of(sender_id)))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's new events and remember the tracker."""
        await self.stream_events(tracker)
        known = self._known.get(tracker.sender_id)
        if known is not None and known.tracker is tracker:
            # The usual turn: the new events are the ones after those we stored. A plain
            # transaction, without an ORM session (a tenth of the save's CPU).
            new_events = list(tracker.events)[known.stored_events :]
            sent = []

            def write() -> Optional[int]:
                with self._turn_engine.connect() as connection:
                    with connection.begin():
                        last = self._insert(connection, tracker.sender_id, new_events)
                        sent.append(True)  # a failure after this is the commit's: never written twice
                    return last

            last_event_id = await self._blocking(_once_more_if_disconnected, write, lambda: bool(sent))
        else:
            def store_unstored() -> Tuple[List[Any], Optional[int]]:
                with self.session_scope() as session:
                    unstored = list(self._additional_events(session, tracker))
                    last = self._insert(session, tracker.sender_id, unstored)
                    session.commit()
                    return unstored, last

            new_events, last_event_id = await self._blocking(store_unstored)

        stored_before = len(tracker.events) - len(new_events)
        if stored_before > 0 and any(isinstance(event, SessionStarted) for event in new_events):
            # A new session began on top of stored events: Rasa's retrieve
            # returns only the latest session, so the next turn reloads it.
            self._known.pop(tracker.sender_id, None)
        else:
            self._remember(_KnownTracker(tracker, len(tracker.events), last_event_id, _hold_of(tracker.sender_id)))

    async def _blocking(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)``: on a worker thread for a server database, on the loop for SQLite."""
        if self._off_loop:
            return await asyncio.to_thread(work, *args)
        return work(*args)

    def _insert(self, connection: Any, sender_id: str, events: List[Any]) -> Optional[int]:
        """Store ``events``; the sender's highest event id afterwards."""
        if events and self._returning:
            # Under the conversation's lock nobody else adds this sender's events, so the
            # highest id we were given is the sender's: no max(id) round trip.
            rows = [self._row(sender_id, e) for e in events]
            return max(connection.execute(self._insert_events_returning, rows).scalars())
        if events:
            connection.execute(self._insert_events, [self._row(sender_id, e) for e in events])
        return self._last_event_id(connection, sender_id)

    def _last_event_id(self, connection: Any, sender_id: str) -> Optional[int]:
        """The sender's highest event id: one indexed lookup, changed by any new event."""
        return connection.execute(self._last_event_id_query, {"sender_id": sender_id}).scalar()

    def _remember(self, known: _KnownTracker) -> None:
        sender_id = known.tracker.sender_id
        self._known[sender_id] = known
        self._known.move_to_end(sender_id)
        while len(self._known) > self.remembered_conversations:
            self._known.popitem(last=False)

    @staticmethod
    def _row(sender_id: str, event: Any) -> Dict[str, Any]:
        """The events-table row for one event (the columns Rasa's store writes)."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }


def _once_more_if_disconnected(work: Callable[[], T], unless: Callable[[], bool] = lambda: False) -> T:
    """``work()``; again once if its pooled connection had died (the database restarted), unless ``unless()``."""
    try:
        return work()
    except sa.exc.DBAPIError as error:
        if not error.connection_invalidated or unless():
            raise
        logger.info("Tracker store: a pooled connection had closed (database restarted?); trying a fresh one")
        return work()


class CouncilLockStore(LockStore):
    """Conversation locks in Redis when ``REDIS_URL`` is set (several Rasa servers), else in memory.

    The Redis one is bot/storage/conversation_locks.py's leases, not Rasa's
    ``RedisLockStore``: a killed replica's conversations are free again within
    seconds instead of Rasa's 60 s ticket lifetime, and a turn costs two Redis
    round trips instead of seven.
    """

    def __init__(self, endpoint_config: Any = None) -> None:
        settings = load_settings()
        self._inner: LockStore
        if settings.redis_url:
            self._inner = RedisLeaseLockStore(
                redis.Redis.from_url(settings.redis_url, socket_timeout=REDIS_TIMEOUT,
                                     socket_connect_timeout=REDIS_TIMEOUT)
            )
            logger.info("Lock store: Redis")
        else:
            self._inner = InMemoryLockStore()
            logger.info("Lock store: in-memory (one Rasa process)")

    @asynccontextmanager
    async def lock(self, conversation_id: str, *args: Any, **kwargs: Any) -> AsyncIterator[None]:
        """Rasa's ``lock``; the tracker store is told which conversation this task holds (``_HOLDING``)."""
        async with self._inner.lock(conversation_id, *args, **kwargs):
            token = _HOLDING.set((conversation_id, object()))
            try:
                yield None
            finally:
                _HOLDING.reset(token)

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        return self._inner.get_lock(conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        self._inner.delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        self._inner.save_lock(lock)

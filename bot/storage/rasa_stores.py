"""Rasa's tracker store and lock store, configured from our settings module.

``endpoints.yml`` names these classes instead of spelling out connection
details, so the database and Redis addresses come from the environment
(``TRACKER_STORE_URL``, ``REDIS_URL``) like every other setting, and plain
``rasa run`` / ``rasa shell`` work on the embedded defaults.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.engine import make_url

from bot.settings import load_settings

logger = logging.getLogger(__name__)


class CouncilTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store on ``TRACKER_STORE_URL`` (SQLite file by default)."""

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


class CouncilLockStore(LockStore):
    """Redis lock store when ``REDIS_URL`` is set (several Rasa servers), else in-memory."""

    def __init__(self, endpoint_config: Any = None) -> None:
        settings = load_settings()
        self._inner: LockStore
        if settings.redis_url:
            url = make_url(settings.redis_url)
            self._inner = RedisLockStore(
                host=url.host or "localhost",
                port=url.port or 6379,
                db=int(url.database or 1),
                password=url.password,
                use_ssl=url.get_backend_name() == "rediss",
            )
            logger.info("Lock store: Redis")
        else:
            self._inner = InMemoryLockStore()
            logger.info("Lock store: in-memory (one Rasa process)")

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        return self._inner.get_lock(conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        self._inner.delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        self._inner.save_lock(lock)

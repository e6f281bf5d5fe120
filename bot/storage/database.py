"""Engine creation for our own database (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool

from bot.storage.upgrade import SchemaTooNew, SchemaTooOld, upgrade_schema

__all__ = ["SchemaTooNew", "SchemaTooOld", "create_schema", "flush_deleted", "make_engine"]


def make_engine(url: str, pooled: bool = False) -> Engine:
    """An engine for ``url``, with SQLite set up for several processes at once.

    SQLite gets WAL (readers don't block the writer) and a busy timeout, so the
    action server, the outbox worker and the console can share one file.
    ``pooled``: on SQLite, keep a few connections open instead of opening one
    (and setting its PRAGMAs) for every query, as SQLite engines otherwise do;
    for frequent small reads in a long-lived process (the duplicate lookup:
    p95 8 -> 2 ms, docs/benchmarks.md). PostgreSQL engines are always pooled.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        if pooled:
            # A pooled connection may be used by another thread than the one that opened it
            # (never by two at once: the pool hands it to one user at a time).
            engine = create_engine(url, future=True, connect_args={"timeout": 30, "check_same_thread": False},
                                   poolclass=QueuePool, pool_size=2, max_overflow=4)
        else:
            engine = create_engine(url, future=True, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            # Deleted rows are overwritten, not just unlinked: an erased
            # resident's data does not linger in free pages of the file.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


def create_schema(engine: Engine) -> None:
    """Bring the database's schema to the newest migration: create it, adopt or upgrade it (idempotent).

    Every entry point calls this at start-up; several processes may call it at
    once and the migrations still run once (``bot/storage/upgrade.py``). A
    change that cannot be made automatically stops start-up with what to do
    (:class:`SchemaTooOld`, :class:`SchemaTooNew`).
    """
    upgrade_schema(engine)


def flush_deleted(engine: Engine) -> None:
    """After erasing, make sure the deleted rows are gone from the files too.

    SQLite in WAL mode keeps earlier versions of changed pages in the
    ``-wal`` file until a checkpoint; this checkpoints and empties it (best
    effort: a reader in the middle of a transaction can keep a few pages
    until the next checkpoint). PostgreSQL: its own VACUUM reclaims them.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

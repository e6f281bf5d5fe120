"""Engine creation for our own database (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool
from sqlalchemy.schema import CreateColumn

from bot.storage.schema import metadata

logger = logging.getLogger(__name__)


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
    """Create any missing tables, and add columns newer versions added (idempotent).

    Only additive changes are made automatically: a column that a newer
    version added to an existing table, when it may be empty (nullable) for
    the rows already there. Anything else stops start-up with what to do.
    """
    metadata.create_all(engine)
    existing = inspect(engine)
    for table in metadata.sorted_tables:
        present = {column["name"] for column in existing.get_columns(table.name)}
        missing = [column for column in table.columns if column.name not in present]
        for column in missing:
            if not column.nullable:
                raise SchemaTooOld(
                    f"The database's table {table.name} lacks the column {column.name}, which cannot be added "
                    "to existing rows automatically. Back up the database and recreate it (`make clean` for "
                    "the embedded SQLite files), or add the column by hand."
                )
            # The column's DDL is compiled by SQLAlchemy for this database, never pasted together from input.
            definition = CreateColumn(column).compile(dialect=engine.dialect)
            table_name = engine.dialect.identifier_preparer.format_table(table)
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {table_name} ADD COLUMN {definition}"))
            logger.info("Database: added column %s.%s", table.name, column.name)
    for index in (index for table in metadata.sorted_tables for index in table.indexes):
        index.create(engine, checkfirst=True)


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


class SchemaTooOld(RuntimeError):
    """The database predates a change that cannot be applied automatically."""

"""Bringing our database's schema to the newest migration (Alembic), once however many processes start.

The migrations are in ``bot/storage/migrations`` (``versions/0001_baseline.py``
is the schema as it was when migrations began). ``create_schema`` calls
:func:`upgrade_schema` at every start-up:

- already at the newest revision: one query, no lock;
- otherwise, under a lock every process takes (PostgreSQL: a transaction-level
  advisory lock; SQLite: an ``flock`` on ``<database>.schema-lock`` beside the
  file), it looks again and then
  - a new, empty database: every migration is run, as in production
    (about 140 ms for a new SQLite file, measured: the old ``create_all`` and
    column and index checks took 370-480 ms, so tests got no slower);
  - a database made before migrations (the old ``create_schema``: our tables,
    no ``alembic_version``): adopted (:func:`adopt_unversioned`), then upgraded;
  - an older revision: upgraded to the newest.

The process that waited for the lock finds the work done and does nothing.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from alembic import command
from alembic.config import Config
from alembic.operations import Operations
from alembic.operations.ops import CreateIndexOp, CreateTableOp, MigrateOperation
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Index, Table, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.schema import CreateColumn

from bot.storage.schema import metadata

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
# The first revision: the schema as the old create_schema left it.
BASELINE = "0001"
# pg_advisory_xact_lock's key for schema changes (any fixed 64-bit number no other code of ours uses).
ADVISORY_LOCK_KEY = 0x636F756E63696C31  # "council1"


# Alembic keeps the running migration's context and operations in module globals (alembic.context,
# alembic.op): two threads of one process migrating two databases at once would mix them up.
_ALEMBIC_GLOBALS = threading.Lock()


class SchemaTooOld(RuntimeError):
    """The database predates a change that cannot be applied automatically."""


class SchemaTooNew(RuntimeError):
    """The database was upgraded by a newer version of the assistant than this one."""


@lru_cache(maxsize=1)
def scripts() -> ScriptDirectory:
    """The migration scripts (read once per process)."""
    return ScriptDirectory(str(MIGRATIONS))


def alembic_config(connection: Optional[Connection] = None) -> Config:
    """Alembic's configuration without alembic.ini; ``connection``: migrate on it (env.py uses it)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def compare_options() -> Dict[str, Any]:
    """How Alembic compares our schema with a database (env.py for autogenerate and ``alembic check``, and the tests)."""
    return {
        "target_metadata": metadata,
        "include_name": _only_ours,
        "compare_type": True,
        # Every revision must run on SQLite and PostgreSQL alike. SQLite can add columns but not alter
        # or drop them, so autogenerate writes batch operations (SQLite: copy the table and its rows;
        # PostgreSQL: plain ALTER), wherever the developer generates the revision.
        "render_as_batch": True,
    }


def _only_ours(name: Optional[str], type_: str, _parents: Any) -> bool:
    # Rasa's tracker store may share the database: autogenerate must not offer to drop its tables.
    return type_ != "table" or name in metadata.tables


# SQLite can answer "database is locked" at once, without waiting out its busy timeout, while
# another process creates a new database file (setting WAL mode on connect, or reading the
# revision as the creator commits). Seen once in CI with 4 processes x 2 threads starting
# together: one thread failed while another created the schema. The work is idempotent under
# the lock, so it is tried again.
LOCKED_RETRIES = 5
LOCKED_RETRY_SECONDS = 0.2


def upgrade_schema(engine: Engine) -> Optional[str]:
    """Bring the database to the newest revision; safe to call from many processes at once.

    Returns what this call did: None (nothing: already there, or another
    process did it), ``"created"``, ``"adopted"`` or ``"upgraded"``.
    """
    for attempt in range(LOCKED_RETRIES):
        try:
            return _upgrade_schema(engine)
        except OperationalError as error:
            if engine.dialect.name != "sqlite" or "locked" not in str(error):
                raise
            logger.info("Database: locked by another process starting up; trying again")
            time.sleep(LOCKED_RETRY_SECONDS * (attempt + 1))
    return _upgrade_schema(engine)  # the last try: its error, if any, stops start-up


def _upgrade_schema(engine: Engine) -> Optional[str]:
    head = scripts().get_current_head()
    with engine.connect() as conn:
        if MigrationContext.configure(conn).get_current_revision() == head:
            return None
    with _ALEMBIC_GLOBALS, schema_lock(engine) as conn:
        # Looked at again under the lock: another process may have done it meanwhile.
        current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            return None
        if current is None and ours(conn):
            adopt_unversioned(conn)
            done = "adopted"
        elif current is None:
            done = "created"
        elif not _known(current):
            raise SchemaTooNew(
                f"The database is at schema revision {current}, which this version does not know: a newer "
                "version of the assistant upgraded it. Run that version, or downgrade the database with that "
                "version's `alembic downgrade` (docs/operations.md, Upgrades)."
            )
        else:
            done = "upgraded"
        command.upgrade(alembic_config(conn), "head")
        logger.info("Database: schema %s, now at revision %s", done, head)
        return done


def ours(conn: Connection) -> List[str]:
    """Which of our tables the database already has (others, such as Rasa's, may share it)."""
    return sorted(set(inspect(conn).get_table_names()) & set(metadata.tables))


def _known(revision: str) -> bool:
    try:
        return scripts().get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for an unknown id
        return False


@contextmanager
def schema_lock(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that only one process at a time holds, for changing the schema.

    PostgreSQL: an advisory lock held until the transaction ends (committed, or
    rolled back on an error), so a crashed process never leaves it taken; the
    whole upgrade is one transaction, PostgreSQL's DDL being transactional.
    SQLite: an exclusive ``flock`` on a file beside the database, which the
    kernel releases when the process dies, and inside it a ``BEGIN IMMEDIATE``
    transaction (SQLite's write lock; Python's driver no longer commits before
    DDL, so the revision's check and the whole upgrade are one transaction).
    """
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            yield conn
        return
    path = _sqlite_lock_path(engine)
    if path is None:  # in memory, or another database: one connection's own transaction
        with engine.begin() as conn:
            yield conn
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        with engine.begin() as conn:
            # And SQLite's own write lock, from the first read: the revision is read and changed in one
            # transaction that no other writer can interleave with. (Once, in CI, two processes each
            # read "no revision" under the flock alone and both created the schema.)
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn
    finally:
        os.close(descriptor)  # releases the lock


def _sqlite_lock_path(engine: Engine) -> Optional[str]:
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return f"{database}.schema-lock"


def adopt_unversioned(conn: Connection) -> None:
    """Bring a database made before migrations to the baseline revision, and stamp it so.

    The old ``create_schema`` created missing tables and indexes and added
    missing nullable columns at every start-up; a database it made has some
    or all of the baseline's tables, perhaps without columns and indexes added
    since. This does what it would have done, to the baseline's own tables
    (read from ``0001_baseline.py``, so later changes to ``schema.py`` go
    through their migrations): rows are kept; a missing column that cannot be
    empty stops it with :class:`SchemaTooOld`.
    """
    tables, indexes = baseline_objects(conn)
    present = set(inspect(conn).get_table_names())
    for table in tables:
        if table.name not in present:
            table.create(conn)
            logger.info("Database: created table %s", table.name)
            continue
        columns = {column["name"] for column in inspect(conn).get_columns(table.name)}
        for column in (c for c in table.columns if c.name not in columns):
            if not column.nullable:
                raise SchemaTooOld(
                    f"The database's table {table.name} lacks the column {column.name}, which cannot be added "
                    "to existing rows automatically. Back up the database and recreate it (`make clean` for "
                    "the embedded SQLite files), or add the column by hand."
                )
            name = conn.dialect.identifier_preparer.format_table(table)
            conn.execute(text(f"ALTER TABLE {name} ADD COLUMN {_column_ddl(conn, column)}"))
            logger.info("Database: added column %s.%s", table.name, column.name)
    for index in indexes:
        existing = {i["name"] for i in inspect(conn).get_indexes(index.table.name)}
        if index.name not in existing:
            index.create(conn)
    MigrationContext.configure(conn).stamp(scripts(), BASELINE)
    logger.info("Database made before migrations: adopted at revision %s", BASELINE)


def _column_ddl(conn: Connection, column: Column) -> str:
    """A column's definition for ADD COLUMN, with its foreign key as a column constraint.

    Compiled by SQLAlchemy for this database, never pasted together from input.
    SQLite and PostgreSQL both take ``REFERENCES`` in ADD COLUMN (SQLite cannot
    add a constraint to an existing table any other way); the old code left it
    out, so the database differed from a new one.
    """
    compiler = conn.dialect.ddl_compiler(conn.dialect, None)
    preparer = conn.dialect.identifier_preparer
    definition = str(CreateColumn(column).compile(dialect=conn.dialect))
    for key in column.foreign_keys:
        remote = compiler.define_constraint_remote_table(key.constraint, key.column.table, preparer)
        definition += (f" REFERENCES {remote} ({preparer.format_column(key.column)})"
                       f"{compiler.define_constraint_cascades(key.constraint)}")
    return definition


def baseline_objects(conn: Connection) -> Tuple[List[Table], List[Index]]:
    """The tables and indexes the baseline revision creates, as SQLAlchemy objects, without creating them.

    Its ``upgrade()`` is run with Alembic's operations recorded instead of
    carried out.
    """
    recorded: List[MigrateOperation] = []
    context = MigrationContext.configure(conn)
    with Operations.context(context) as operations:
        operations.invoke = recorded.append  # type: ignore[method-assign,assignment]
        scripts().get_revision(BASELINE).module.upgrade()
    tables = [op.to_table(context) for op in recorded if isinstance(op, CreateTableOp)]
    by_name = {table.name: table for table in tables}
    indexes = []
    for op in (op for op in recorded if isinstance(op, CreateIndexOp)):
        index = op.to_index(context)
        # Bound to the recorded table itself, so its columns are the table's.
        indexes.append(Index(index.name, *(by_name[op.table_name].c[c.name] for c in index.columns),
                             unique=index.unique))
    unexpected = [type(op).__name__ for op in recorded if not isinstance(op, (CreateTableOp, CreateIndexOp))]
    if unexpected:
        raise RuntimeError(f"The baseline revision may only create tables and indexes, not {unexpected}")
    return tables, indexes

"""Alembic's environment: our database (DATABASE_URL, read by bot/settings.py) and our tables (bot/storage/schema.py).

At start-up ``create_schema`` (bot/storage/upgrade.py) passes a connection that
already holds the schema lock. By hand (``.venv/bin/alembic upgrade head``) this
connects to DATABASE_URL and takes the same lock, so it never races a starting
service; a database made before migrations is adopted first, as at start-up.
"""

from __future__ import annotations

from typing import Optional

from alembic import context
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, make_url

from bot.redaction import configure_logging
from bot.settings import load_settings
from bot.storage.database import make_engine
from bot.storage.upgrade import adopt_unversioned, compare_options, ours, schema_lock


def run(connection: Connection) -> None:
    context.configure(connection=connection, **compare_options())
    with context.begin_transaction():
        context.run_migrations()


def by_hand() -> None:
    """``alembic ...`` from a shell: DATABASE_URL, logging masked like our services', the schema lock."""
    configure_logging()
    url = load_settings().database_url
    if context.is_offline_mode():  # --sql: the SQL for this database's kind, printed, not run
        context.configure(dialect_name=make_url(url).get_backend_name(), literal_binds=True, **compare_options())
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    try:
        with schema_lock(engine) as connection:
            # upgrade, downgrade or stamp (not current, history, check) on a database the old code made.
            if _destination() is not None and ours(connection) and not _versioned(connection):
                adopt_unversioned(connection)
            run(connection)
    finally:
        engine.dispose()


def _destination() -> Optional[str]:
    try:
        return context.get_revision_argument()  # type: ignore[return-value]
    except KeyError:  # a command without one
        return None


def _versioned(connection: Connection) -> bool:
    return MigrationContext.configure(connection).get_current_revision() is not None


if "connection" in context.config.attributes:
    run(context.config.attributes["connection"])
else:
    by_hand()

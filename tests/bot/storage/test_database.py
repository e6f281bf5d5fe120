"""Creating our database schema: create_schema, which every entry point calls (migrations: test_upgrade.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import threading

from sqlalchemy import event, inspect, text
from sqlalchemy.pool import QueuePool

from bot.storage.database import SchemaTooOld, create_schema, make_engine
from bot.storage.schema import metadata
from bot.storage.upgrade import scripts
from tests.support.postgres import ThrowawayPostgres, server_bin_dir


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'council.db'}"
        return
    if server_bin_dir() is None:
        pytest.skip("PostgreSQL server binaries are not installed (.ci/services.sh installs them)")
    cluster = ThrowawayPostgres().start()
    try:
        yield cluster.url
    finally:
        cluster.stop()


def test_a_new_database_gets_every_table_at_the_newest_migration_and_a_second_start_keeps_its_rows(database_url: str):
    engine = make_engine(database_url)
    create_schema(engine)
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO analytics_state (name, value) VALUES ('events', 7)"))
    create_schema(engine)  # the next start-up
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [
            scripts().get_current_head()]
        assert conn.execute(text("SELECT value FROM analytics_state")).scalars().all() == [7]
    engine.dispose()


def test_a_change_that_cannot_be_made_automatically_stops_with_what_to_do(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'council.db'}")
    with engine.begin() as conn:  # made before migrations, by a release whose notifications had two columns
        conn.execute(text("CREATE TABLE notifications (id INTEGER PRIMARY KEY, detail TEXT)"))
    with pytest.raises(SchemaTooOld, match="notifications lacks the column case_id.*make clean"):
        create_schema(engine)


def _connections_opened(engine) -> list:
    opened: list = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    return opened


def test_a_pooled_sqlite_engine_keeps_its_connection_across_queries_and_threads(tmp_path: Path):
    # The action server, SMS channel and worker use pooled engines: an unpooled one
    # opened a connection and set its PRAGMAs for every query (docs/benchmarks.md).
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    pooled, unpooled = make_engine(url, pooled=True), make_engine(url)
    create_schema(pooled)
    opened_pooled, opened_unpooled = _connections_opened(pooled), _connections_opened(unpooled)
    for engine in (pooled, unpooled):
        for _ in range(5):
            with engine.connect() as connection:
                assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    worker = threading.Thread(target=lambda: pooled.connect().close())
    worker.start()
    worker.join()
    assert opened_pooled == []  # the one schema creation opened serves all, from any thread
    assert len(opened_unpooled) == 5


def test_the_action_servers_stores_share_one_pooled_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from actions import services

    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cases.db'}")
    for cached in (services.settings, services.case_store, services.escalation_store, services.duplicate_finder):
        cached.cache_clear()
    try:
        engine = services.case_store().engine
        assert isinstance(engine.pool, QueuePool)
        assert services.escalation_store().engine is engine and services.duplicate_finder().engine is engine
    finally:
        for cached in (services.settings, services.case_store, services.escalation_store, services.duplicate_finder):
            cached.cache_clear()

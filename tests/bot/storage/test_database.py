"""Creating our database schema: create_schema, which every entry point calls (migrations: test_upgrade.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import inspect, text

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

"""Creating and upgrading our database schema."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import inspect, text

from bot.storage.database import SchemaTooOld, create_schema, make_engine
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


def test_columns_a_newer_version_added_are_added_and_rows_kept(database_url: str):
    engine = make_engine(database_url)
    create_schema(engine)
    # The notifications table as the previous release created it.
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE notifications"))
        conn.execute(text(
            "CREATE TABLE notifications (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL, kind VARCHAR(20) NOT NULL,"
            " channel VARCHAR(30) NOT NULL, state VARCHAR(20) NOT NULL, detail TEXT,"
            " created_at TIMESTAMP NOT NULL, CONSTRAINT uq_notifications_case_kind UNIQUE (case_id, kind))"
        ))
        conn.execute(text("INSERT INTO notifications (id, case_id, kind, channel, state, created_at)"
                          " VALUES (1, 1, 'accepted', 'rest', 'sent', '2026-11-01 10:00:00')"))

    create_schema(engine)
    create_schema(engine)  # and again: nothing left to do

    columns = {c["name"] for c in inspect(engine).get_columns("notifications")}
    assert {"text", "attempts", "next_attempt_at"} <= columns
    assert "ix_notifications_retry" in {i["name"] for i in inspect(engine).get_indexes("notifications")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT kind, state, attempts FROM notifications")).all() == [("accepted", "sent", None)]
    engine.dispose()


def test_a_change_that_cannot_be_made_automatically_stops_with_what_to_do(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'council.db'}")
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE notifications"))
        conn.execute(text("CREATE TABLE notifications (id INTEGER PRIMARY KEY, detail TEXT)"))
    with pytest.raises(SchemaTooOld, match="notifications lacks the column case_id.*make clean"):
        create_schema(engine)

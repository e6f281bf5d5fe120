"""Schema migrations: new databases, databases the old create_schema made, several processes at once."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, ForeignKey, Index, MetaData, Table, UniqueConstraint, create_engine, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.schema import CreateColumn

from bot.settings import PROJECT_ROOT
from bot.storage.database import SchemaTooNew, SchemaTooOld, create_schema, make_engine
from bot.storage.schema import metadata
from bot.storage.upgrade import BASELINE, alembic_config, baseline_objects, compare_options, scripts, upgrade_schema
from tests.support.postgres import module_cluster, new_database, ThrowawayPostgres

HOW_TO_ADD_ONE = (
    "bot/storage/schema.py and the migrations in bot/storage/migrations/versions/ differ. Add a revision: "
    "bring a database to the newest revision (`DATABASE_URL=sqlite:////tmp/dev.db .venv/bin/alembic upgrade "
    "head`), then `.venv/bin/alembic revision --autogenerate -m \"what changed\"` with the same DATABASE_URL; "
    "review the new file (docs/operations.md, Upgrades) and commit it. Differences: "
)


@pytest.fixture(scope="module")
def postgres() -> Iterator[Optional[ThrowawayPostgres]]:
    yield from module_cluster()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or a new database in a throwaway PostgreSQL cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'council.db'}"
    return new_database(request, "council")


def differences(engine: Engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts=compare_options()), metadata)


def versions(engine: Engine) -> List[str]:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]


# ----- the old code path, as it was before migrations (bot/storage/database.py) ------------------

def old_create_schema(engine: Engine, tables: MetaData) -> None:
    """create_schema as it was before migrations: create_all, add missing nullable columns, create indexes."""
    tables.create_all(engine)
    existing = inspect(engine)
    for table in tables.sorted_tables:
        present = {column["name"] for column in existing.get_columns(table.name)}
        for column in [c for c in table.columns if c.name not in present]:
            assert column.nullable
            definition = CreateColumn(column).compile(dialect=engine.dialect)
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {engine.dialect.identifier_preparer.format_table(table)} "
                                  f"ADD COLUMN {definition}"))
    for index in (index for table in tables.sorted_tables for index in table.indexes):
        index.create(engine, checkfirst=True)


# What an earlier release had: cases without the gazetteer's columns (and their index), notifications
# without retries or followers, no photo links.
NEWER_COLUMNS = {
    "cases": {"usrn", "place_latitude", "place_longitude", "place_note"},
    "notifications": {"text", "attempts", "next_attempt_at", "follower_id"},
}
NEWER_TABLES = {"photo_links"}


def earlier_release(newer_columns: Optional[Dict[str, Set[str]]] = None,
                    newer_tables: Optional[Set[str]] = None) -> MetaData:
    """The tables as a release before migrations had them: the baseline's, less what came later.

    From the baseline revision, not today's schema.py: no database the old code made can have a
    column that a later migration adds.
    """
    newer_columns = NEWER_COLUMNS if newer_columns is None else newer_columns
    newer_tables = NEWER_TABLES if newer_tables is None else newer_tables
    recorder = create_engine("sqlite://")
    with recorder.connect() as conn:
        tables, indexes = baseline_objects(conn)
    recorder.dispose()
    earlier = MetaData()
    for table in tables:
        if table.name in newer_tables:
            continue
        newer = newer_columns.get(table.name, set())
        columns = [
            Column(c.name, c.type, *[ForeignKey(k.target_fullname, ondelete=k.ondelete) for k in c.foreign_keys],
                   primary_key=c.primary_key, nullable=c.nullable)
            for c in table.columns if c.name not in newer
        ]
        uniques = [UniqueConstraint(*[c.name for c in u.columns], name=u.name) for u in table.constraints
                   if isinstance(u, UniqueConstraint)]
        copy = Table(table.name, earlier, *columns, *uniques)
        for index in (i for i in indexes if i.table.name == table.name):
            if not {c.name for c in index.columns} & newer:
                Index(index.name, *[copy.c[c.name] for c in index.columns])
    return earlier


def test_the_earlier_release_really_lacks_something():
    earlier = earlier_release()
    assert "photo_links" not in earlier.tables
    assert "follower_id" not in earlier.tables["notifications"].c
    assert "ix_cases_usrn" not in {i.name for i in earlier.tables["cases"].indexes}


NOW = datetime(2026, 11, 1, 10, 0, tzinfo=timezone.utc)


def fill_old_rows(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO cases (id, reference, idempotency_key, category, status, details, contact_consent,"
            " media_urls, channel, conversation_id, needs_attention, created_at, updated_at, postcode)"
            " VALUES (1, 'AB7K3FQ2', 'k1', 'pothole', 'open', '{}', true, '[]', 'sms', 'sms-1', false, :now, :now,"
            " 'AN1 4GT')"), {"now": NOW})
        conn.execute(text("INSERT INTO notifications (id, case_id, kind, channel, state, created_at)"
                          " VALUES (1, 1, 'accepted', 'sms', 'sent', :now)"), {"now": NOW})


# ----- new databases ---------------------------------------------------------------------------

def test_a_new_database_gets_every_table_at_the_newest_revision_through_the_migrations(url: str):
    engine = make_engine(url)
    assert upgrade_schema(engine) == "created"
    assert versions(engine) == [scripts().get_current_head()]
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    assert differences(engine) == []
    assert upgrade_schema(engine) is None  # and again: nothing to do
    assert versions(engine) == [scripts().get_current_head()]
    engine.dispose()


def test_the_migrations_build_exactly_the_tables_of_schema_py(url: str):
    """A developer who changes schema.py without a migration is told how to add one."""
    engine = make_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    found = differences(engine)
    assert found == [], HOW_TO_ADD_ONE + repr(found)
    engine.dispose()


def test_the_migrations_go_down_and_up_again(url: str):
    engine = make_engine(url)
    create_schema(engine)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert not set(metadata.tables) & set(inspect(engine).get_table_names())
    create_schema(engine)
    assert differences(engine) == []
    engine.dispose()


def test_the_check_that_schema_and_migrations_match_fails_when_they_do_not(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'council.db'}")
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_cases_updated"))
    assert [d[0] for d in differences(engine)] == ["add_index"]
    engine.dispose()


# ----- databases the old create_schema made -------------------------------------------------------

def test_a_database_the_old_code_made_is_adopted_keeping_its_rows(url: str):
    engine = make_engine(url)
    old_create_schema(engine, earlier_release())
    fill_old_rows(engine)
    # Rasa's tracker store may share the database: never touched.
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, data TEXT)"))

    assert create_schema(engine) is None
    assert versions(engine) == [scripts().get_current_head()]
    # The columns with their foreign keys, the missing table and index: all there.
    assert differences_but_inline_keys(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT reference, postcode, usrn FROM cases")).all() == [("AB7K3FQ2", "AN1 4GT", None)]
        assert conn.execute(text("SELECT kind, state, attempts, follower_id FROM notifications")).all() == [
            ("accepted", "sent", None, None)]
    assert "events" in inspect(engine).get_table_names()
    assert upgrade_schema(engine) is None
    engine.dispose()


def differences_but_inline_keys(engine: Engine) -> list:
    """differences(), less SQLite's reading of a foreign key that ADD COLUMN added, checked here instead.

    SQLAlchemy reads a SQLite foreign key's ON DELETE only from a table-level
    FOREIGN KEY clause, and ALTER TABLE can only add one inline, so it reports
    the key as different; SQLite itself has it, ON DELETE and all.
    """
    found = differences(engine)
    if engine.dialect.name != "sqlite":
        return found
    with engine.connect() as conn:
        keys = conn.exec_driver_sql("PRAGMA foreign_key_list(notifications)").mappings().all()
    assert [(k["table"], k["to"], k["on_delete"]) for k in keys if k["from"] == "follower_id"] == [
        ("followers", "id", "CASCADE")]
    inline = [d for d in found if d[0] in ("add_fk", "remove_fk") and d[1].table.name == "notifications"
              and [c.name for c in d[1].columns] == ["follower_id"]]
    assert len(inline) in (0, 2)
    return [d for d in found if d not in inline]


def test_a_database_the_newest_old_code_made_is_only_stamped(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'council.db'}")
    old_create_schema(engine, earlier_release({}, set()))
    fill_old_rows(engine)
    assert upgrade_schema(engine) == "adopted"
    assert versions(engine) == [scripts().get_current_head()]
    assert differences(engine) == []
    engine.dispose()


def test_a_missing_column_that_cannot_be_empty_stops_with_what_to_do(url: str):
    engine = make_engine(url)
    old_create_schema(engine, earlier_release())
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE notifications"))
        conn.execute(text("CREATE TABLE notifications (id INTEGER PRIMARY KEY, detail TEXT)"))
    with pytest.raises(SchemaTooOld, match="notifications lacks the column case_id.*make clean"):
        create_schema(engine)
    assert "alembic_version" not in inspect(engine).get_table_names() or versions(engine) == []
    engine.dispose()


def test_a_database_a_newer_version_upgraded_is_refused_with_what_to_do(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'council.db'}")
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
    with pytest.raises(SchemaTooNew, match="f00dcafe.*newer version.*alembic downgrade"):
        create_schema(engine)
    engine.dispose()


def ours_now(conn) -> List[str]:  # type: ignore[no-untyped-def]
    return inspect(conn).get_table_names()


def test_an_upgrade_that_fails_part_way_changes_nothing(url: str, monkeypatch: pytest.MonkeyPatch):
    """One transaction on both databases: the next start finds the database as it was and tries again,
    instead of finding half a schema without a revision (SQLite's too, inside ``BEGIN IMMEDIATE``)."""
    from bot.storage import upgrade

    real_upgrade = command.upgrade
    made: List[str] = []

    def every_migration_then_a_failure(config, revision):  # type: ignore[no-untyped-def]
        real_upgrade(config, revision)
        made.extend(ours_now(config.attributes["connection"]))
        raise RuntimeError("the machine lost power")

    monkeypatch.setattr(upgrade.command, "upgrade", every_migration_then_a_failure)
    engine = make_engine(url)
    with pytest.raises(RuntimeError, match="lost power"):
        upgrade_schema(engine)
    assert "cases" in made  # the migrations had run
    assert inspect(engine).get_table_names() == []
    monkeypatch.undo()
    assert upgrade_schema(engine) == "created" and versions(engine) == [scripts().get_current_head()]
    engine.dispose()


def test_the_baseline_revision_is_the_one_adoption_stamps():
    assert scripts().get_base() == BASELINE


# ----- several processes starting together ----------------------------------------------------------

def _start(url: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    """One process starting up: two threads (a server and its worker pool, say) each call create_schema."""
    outcomes: list = []

    def one() -> None:
        engine = make_engine(url)
        barrier.wait(timeout=60)
        try:
            outcomes.append(upgrade_schema(engine))
        except Exception as error:  # reported to the test, which fails on it
            outcomes.append(f"error: {type(error).__name__}: {error}")
        finally:
            engine.dispose()

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for outcome in outcomes:
        results.put(outcome)


@pytest.mark.parametrize("made_by", ["nothing", "old code"])
def test_processes_starting_together_migrate_once(url: str, made_by: str):
    if made_by == "old code":
        engine = make_engine(url)
        old_create_schema(engine, earlier_release())
        fill_old_rows(engine)
        engine.dispose()
    processes = 4
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes * 2)
    results = context.Queue()
    started = [context.Process(target=_start, args=(url, barrier, results)) for _ in range(processes)]
    for process in started:
        process.start()
    for process in started:
        process.join(180)
    outcomes = sorted((results.get(timeout=10) for _ in range(processes * 2)), key=str)
    assert all(process.exitcode == 0 for process in started)

    done = "created" if made_by == "nothing" else "adopted"
    assert outcomes == sorted([done] + [None] * (processes * 2 - 1), key=str)
    engine = make_engine(url)
    assert versions(engine) == [scripts().get_current_head()]
    assert differences_but_inline_keys(engine) == []
    engine.dispose()


def test_sqlite_locked_by_another_starting_process_is_tried_again(tmp_path: Path, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from bot.storage import upgrade

    monkeypatch.setattr(upgrade, "LOCKED_RETRY_SECONDS", 0.01)
    real, calls = upgrade._upgrade_schema, []

    def locked_once(engine):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("PRAGMA journal_mode=WAL", {}, Exception("database is locked"))
        return real(engine)

    monkeypatch.setattr(upgrade, "_upgrade_schema", locked_once)
    engine = make_engine(f"sqlite:///{tmp_path / 'locked.db'}")
    assert upgrade_schema(engine) == "created" and len(calls) == 2
    # Any other error is not waited out.
    calls.clear()
    monkeypatch.setattr(upgrade, "_upgrade_schema", lambda engine: (_ for _ in ()).throw(
        OperationalError("SELECT", {}, Exception("disk I/O error"))))
    with pytest.raises(OperationalError):
        upgrade_schema(engine)
    engine.dispose()


# ----- by hand ---------------------------------------------------------------------------------

def alembic(*argv: str, database_url: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([str(Path(sys.executable).with_name("alembic")), *argv], cwd=PROJECT_ROOT,
                          env=environment, capture_output=True, text=True, timeout=120)


def test_alembic_upgrade_head_by_hand_adopts_an_old_database(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'council.db'}"
    engine = make_engine(url)
    old_create_schema(engine, earlier_release())
    fill_old_rows(engine)

    upgraded = alembic("upgrade", "head", database_url=url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert versions(engine) == [scripts().get_current_head()]
    assert differences_but_inline_keys(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notifications")).scalar() == 1
    engine.dispose()


def test_alembic_upgrade_head_by_hand_on_a_new_database_then_check_finds_nothing_to_add(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'council.db'}"
    upgraded = alembic("upgrade", "head", database_url=url)
    assert upgraded.returncode == 0, upgraded.stderr
    checked = alembic("check", database_url=url)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No new upgrade operations detected" in checked.stdout + checked.stderr
    current = alembic("current", database_url=url)
    assert f"{scripts().get_current_head()} (head)" in current.stdout

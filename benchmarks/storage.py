"""Database size per 1,000 conversations and per 1,000 cases, on SQLite and PostgreSQL.

``python -m benchmarks.storage --tracker PATH/tracker.db [PATH2/tracker.db ...] [--conversations 1000] [--cases 1000]``

For docs/capacity.md. Conversations: the real Rasa events of the conversations in
``--tracker`` (a tracker store left by ``make run``, an end-to-end test's stack or a
benchmark; only senders with at least one user message are used) are copied, each
under a new sender id, until ``--conversations`` conversations are stored in a fresh
``events`` table shaped as Rasa's SQL tracker store makes it (with its sender index).
Cases: ``benchmarks.cases.fill`` into a fresh database with ``create_schema``'s tables
and indexes (each case with its outbox row). Sizes are the SQLite file after VACUUM
and PostgreSQL's ``pg_total_relation_size`` (table, indexes and TOAST) after VACUUM.
Without ``--tracker`` only the cases are measured.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, text

from benchmarks.cases import fill
from bot.storage.database import create_schema, make_engine

EVENTS = MetaData()
# The table rasa.core.tracker_store.SQLTrackerStore creates (Rasa 3.6).
events = Table(
    "events", EVENTS,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def real_conversations(path: Path) -> List[List[Tuple]]:
    """Each sender's events (type, timestamp, intent, action, data), for senders with a user message."""
    by_sender: Dict[str, List[Tuple]] = defaultdict(list)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id"
        )
        for sender, *row in rows:
            by_sender[sender].append(tuple(row))
    return [rows for rows in by_sender.values() if any(r[0] == "user" for r in rows)]


def store_conversations(url: str, source: List[List[Tuple]], count: int) -> Tuple[int, int]:
    """Write ``count`` conversations; return (events written, user messages written)."""
    engine = create_engine(url)
    EVENTS.create_all(engine)
    written = users = 0
    with engine.begin() as conn:
        for n in range(count):
            rows = source[n % len(source)]
            conn.execute(events.insert(), [
                dict(sender_id=f"bench-{n:06d}", type_name=r[0], timestamp=r[1], intent_name=r[2],
                     action_name=r[3], data=r[4]) for r in rows
            ])
            written += len(rows)
            users += sum(1 for r in rows if r[0] == "user")
    engine.dispose()
    return written, users


def sqlite_size(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        conn.execute("VACUUM")
    return path.stat().st_size


def postgres_size(url: str, tables: List[str]) -> int:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
        total = sum(conn.execute(text(f"SELECT pg_total_relation_size('{t}')")).scalar() for t in tables)
    engine.dispose()
    return total


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tracker", type=Path, nargs="+", help="tracker.db files with real conversations")
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    postgres = None
    if not args.no_postgres:
        from tests.support.postgres import ThrowawayPostgres

        try:
            postgres = ThrowawayPostgres().start()
        except FileNotFoundError as error:
            print(f"PostgreSQL skipped: {error}")
    try:
        with tempfile.TemporaryDirectory() as scratch:
            if args.tracker:
                source = [c for path in args.tracker for c in real_conversations(path)]
                print(f"{len(source)} real conversations in {len(args.tracker)} tracker stores")
                db = Path(scratch) / "tracker.db"
                written, users = store_conversations(f"sqlite:///{db}", source, args.conversations)
                print(f"{args.conversations} conversations: {written} events, {users} user messages "
                      f"({users / args.conversations:.1f} per conversation)")
                print(f"  SQLite tracker store: {sqlite_size(db) / 1e6:.2f} MB")
                if postgres:
                    store_conversations(postgres.url, source, args.conversations)
                    print(f"  PostgreSQL tracker store: {postgres_size(postgres.url, ['events']) / 1e6:.2f} MB")
            db = Path(scratch) / "council.db"
            engine = make_engine(f"sqlite:///{db}")
            create_schema(engine)
            empty = sqlite_size(db)
            fill(engine, args.cases, random.Random(14))
            engine.dispose()
            print(f"{args.cases} cases with their outbox rows:")
            print(f"  SQLite case database: {(sqlite_size(db) - empty) / 1e6:.2f} MB (empty schema {empty / 1e6:.2f} MB)")
            if postgres:
                pg = make_engine(postgres.url)
                create_schema(pg)
                fill(pg, args.cases, random.Random(14))
                pg.dispose()
                size = postgres_size(postgres.url, ["cases", "outbox"])
                print(f"  PostgreSQL cases + outbox tables: {size / 1e6:.2f} MB")
    finally:
        if postgres:
            postgres.stop()


if __name__ == "__main__":
    main()

"""Copying a node's database, table by table, between engines (SQLite ⇄ PostgreSQL).

The copy reads every table of :mod:`acsa.store.tables` from one connection
— one transaction, so one consistent snapshot: ``REPEATABLE READ`` on
PostgreSQL, a read transaction on SQLite's WAL — and inserts the rows,
primary keys and all, into a database already migrated to the same schema,
parents before children. Arrival ids (``events.id``) are kept, so the order
events arrived in, which interpretation follows, is the same on arrival;
PostgreSQL's id sequences are then moved past the copied ids. The envelope
column is text copied as it is: the bytes that were hashed and signed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, func, insert, inspect, select, text

from acsa.store.tables import metadata

BATCH_ROWS = 1000
ALEMBIC = "alembic_version"


class UnknownTables(Exception):
    """The source holds tables this release does not know: a copy would miss them."""


def table_names() -> list[str]:
    """Every table of the schema, parents before children."""
    return [t.name for t in metadata.sorted_tables]


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only connection that sees one consistent state of the database throughout."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            conn.begin()
            conn.execute(text("SET TRANSACTION READ ONLY"))
        else:
            conn.begin()
        try:
            yield conn
        finally:
            conn.rollback()


def check_tables(conn: Connection) -> None:
    """Refuse a database holding tables the schema does not list."""
    found = set(inspect(conn).get_table_names()) - {ALEMBIC}
    extra = sorted(found - set(metadata.tables))
    if extra:
        raise UnknownTables(f"tables this release does not know: {', '.join(extra)}")


def counts(conn: Connection) -> dict[str, int]:
    """Rows per table."""
    return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in metadata.sorted_tables}


def is_empty(conn: Connection) -> bool:
    """Whether the database holds no table of ours at all (a new, empty database)."""
    found = set(inspect(conn).get_table_names())
    return not (found & (set(metadata.tables) | {ALEMBIC}))


def drop_tables(conn: Connection) -> None:
    """Drop the node's tables (and on PostgreSQL the log's trigger function): a database to
    restore into."""
    metadata.drop_all(conn)
    conn.execute(text(f"DROP TABLE IF EXISTS {ALEMBIC}"))
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP FUNCTION IF EXISTS acsa_refuse_change() CASCADE"))


def copy_rows(source: Connection, target: Connection) -> dict[str, int]:
    """Copy every row of every table from ``source`` into the empty tables of ``target``."""
    check_tables(source)
    copied = {}
    for table in metadata.sorted_tables:
        key = list(table.primary_key.columns)
        rows = source.execute(select(table).order_by(*key))
        copied[table.name] = 0
        while batch := rows.fetchmany(BATCH_ROWS):
            target.execute(insert(table), [dict(r._mapping) for r in batch])
            copied[table.name] += len(batch)
    if target.dialect.name == "postgresql":
        _move_sequences(target)
    return copied


def _move_sequences(conn: Connection) -> None:
    """After rows were inserted with their ids, the next id of each table follows them."""
    for table in metadata.sorted_tables:
        column = table.c.get("id")
        if column is None or not column.primary_key or column.type.python_type is not int:
            continue
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))


def sqlite_backup(source: Path, target: Path) -> None:
    """A consistent copy of the SQLite database ``source`` while it is in use.

    SQLite's online backup API copies every page in one step under a read
    lock, so writers in other processes wait a moment and the copy is one
    committed state. The copy is switched out of WAL mode: one self-contained
    file.
    """
    with closing(sqlite3.connect(source, timeout=30)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
        dst.commit()


def single_file(path: Path) -> None:
    """Fold a SQLite file's write-ahead log into it and leave it in rollback-journal mode."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")


def read_only_sqlite(path: Path) -> Engine:
    """An engine that reads the SQLite file ``path`` without ever writing to it."""
    uri = f"file:{path.resolve()}?mode=ro&immutable=1"
    return create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))

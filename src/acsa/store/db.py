"""Opening the database: engine options, SQLite pragmas, migrations.

SQLite is the embedded default (one file in the data directory) and
PostgreSQL the production engine. Each use case runs in one transaction; a
writing transaction on SQLite starts with ``BEGIN IMMEDIATE`` so that it
holds the write lock from its first statement, which is SQLite's equivalent
of the row locks taken on PostgreSQL (``SELECT … FOR UPDATE``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import Connection

log = logging.getLogger("acsa.store")

MIGRATIONS = Path(__file__).parent / "migrations"
IMMEDIATE = "acsa_immediate"
BUSY_TIMEOUT_S = 30
_WRITER = "acsa_writer"  # in a connection's info while it holds the process's write turn


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'acsa.db'}"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the options a ledger needs on every connection."""
    # hide_parameters: a database error names its statement but never the values bound to
    # it, which may be a session's CSRF token, a TOTP secret or a password hash.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    # pool_pre_ping: a node runs for weeks and its database may restart.
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is switched off so that the
        # BEGIN below is the only one; every pragma is set on every connection
        # because SQLite keeps them per connection, not per file.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets readers proceed while one writer commits.
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before it is acknowledged, the setting
        # for a ledger (NORMAL may lose the last commits on power loss).
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Wait up to 30 s for another writer rather than failing at once.
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    # One writing transaction at a time in this process, taken in turn here before SQLite's
    # own lock: a waiting thread is woken the moment the writer before it ends, where
    # SQLite's busy handler would have it sleep and poll (1, 2, 5 … 100 ms at a time),
    # which under many concurrent requests made waits of seconds. Other processes still
    # wait on SQLite's lock (busy_timeout). A plain lock, since a request's transaction
    # may end on another thread of the server's pool than the one that began it; after
    # the busy timeout a writer goes on to SQLite's lock as before, so a transaction
    # opened inside another one fails as it did rather than waiting forever.
    writer = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        if immediate and writer.acquire(timeout=BUSY_TIMEOUT_S):
            conn.info[_WRITER] = writer
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except BaseException:
            _release(conn)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _release(conn: Connection) -> None:
        held = conn.info.pop(_WRITER, None)
        if held is not None:
            held.release()


if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration's revision. A node whose schema is already there opens
# without loading Alembic and its migration scripts (~0.4 s of every command);
# tests check that this is Alembic's head.
SCHEMA_HEAD = "0015"


def schema_revision(engine: Engine) -> str | None:
    """The migration the database is at (``None`` for a new, empty database)."""
    with engine.connect() as connection:
        return _revision(connection)


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration, safely from any number of processes.

    Processes starting at once take turns: on PostgreSQL a session advisory lock
    (:data:`MIGRATION_LOCK`) is held, in the connection that runs the upgrade, from
    before the schema is read until the upgrade is committed; on SQLite the upgrade runs
    in one ``BEGIN IMMEDIATE`` transaction, which holds the database's write lock from
    its first statement. Whoever comes second finds the schema at the head and does
    nothing.
    """
    if schema_revision(engine) == SCHEMA_HEAD:
        return
    from alembic import command

    with (engine.connect() as connection, migration_lock(connection),
          connection.execution_options(**{IMMEDIATE: True}).begin()):
        found = _revision(connection)
        if found == SCHEMA_HEAD:
            log.info("schema at %s: brought there by another process meanwhile", found,
                     extra={"event": "schema_current", "revision": found})
            return
        started = time.monotonic()
        command.upgrade(alembic_config(connection), "head")
    log.info("schema upgraded from %s to %s", found or "nothing", SCHEMA_HEAD, extra={
        "event": "schema_upgraded", "revision": SCHEMA_HEAD, "previous": found,
        "duration_ms": round((time.monotonic() - started) * 1000, 1)})


# Keys of PostgreSQL advisory locks (one 64-bit number per purpose, per database).
MIGRATION_LOCK = 0x4143_5341_4D49_4752  # "ACSAMIGR"


@contextmanager
def migration_lock(connection: Connection) -> Iterator[None]:
    """Hold the migration lock on PostgreSQL for the block (SQLite: nothing to hold)."""
    if connection.dialect.name != "postgresql":
        yield
        return
    connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
    connection.commit()  # the lock is the session's: it outlives this transaction
    try:
        yield
    finally:
        _unlock(connection, MIGRATION_LOCK)


def _unlock(connection: Connection, key: int) -> None:
    try:
        connection.rollback()
        connection.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")
        connection.commit()
    except Exception:
        # A connection that cannot say so is closed: that releases its locks.
        connection.invalidate()


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    found = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return str(found) if found is not None else None

"""Opening the database: engine options, SQLite pragmas, migrations.

SQLite is the embedded default (one file in the data directory) and
PostgreSQL the production engine. Each use case runs in one transaction; a
writing transaction on SQLite starts with ``BEGIN IMMEDIATE`` so that it
holds the write lock from its first statement, which is SQLite's equivalent
of the row locks taken on PostgreSQL (``SELECT … FOR UPDATE``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).parent / "migrations"
IMMEDIATE = "acsa_immediate"


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
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration's revision. A node whose schema is already there opens
# without loading Alembic and its migration scripts (~0.4 s of every command);
# tests check that this is Alembic's head.
SCHEMA_HEAD = "0006"


def schema_revision(engine: Engine) -> str | None:
    """The migration the database is at (``None`` for a new, empty database)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        found = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return str(found) if found is not None else None


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration."""
    if schema_revision(engine) == SCHEMA_HEAD:
        return
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")

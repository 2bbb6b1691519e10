"""A node that has recorded events never starts on a database that holds none.

Pointing a node at the wrong database — a new PostgreSQL database after a
move, a missing SQLite file — would otherwise start it silently empty: a
node with no record, signing its streams again from seq 1. Its data
directory remembers that it had history: ``node.toml`` says so
(``recorded_events = true``, written the first time the node opens a
database holding events), and so does a high-water mark above zero
(:mod:`acsa.services.high_water`). Opening such a node on an empty
database is refused with what to do: restore a backup, or point
``ACSA_DATABASE_URL`` at the node's database.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from sqlalchemy import Engine, inspect, select
from sqlalchemy.engine import make_url

from acsa.domain.errors import N_, NodeHistoryMissing
from acsa.services import high_water
from acsa.store import tables as T

IDENTITY_FILE = "node.toml"
RECORDED = "recorded_events"


def recorded(data_dir: Path) -> bool:
    """Whether ``node.toml`` says this node's database has held events."""
    try:
        return bool(tomllib.loads((data_dir / IDENTITY_FILE).read_text()).get(RECORDED))
    except (OSError, tomllib.TOMLDecodeError):
        return False


def shows_history(data_dir: Path) -> str | None:
    """What in ``data_dir`` shows that this node recorded events, if anything does."""
    if recorded(data_dir):
        return f"{data_dir / IDENTITY_FILE} records that its database held events"
    marks = high_water.read_marks(data_dir)
    top = [f"{s} seq {m.seq}" for s, m in sorted(marks.streams.items()) if m.seq > 0]
    if top:
        return f"events of it have left the node (high-water mark {', '.join(top)})"
    return None


def holds_events(engine: Engine) -> bool:
    with engine.connect() as conn:
        if not inspect(conn).has_table(T.events.name):
            return False
        return conn.execute(select(T.events.c.id).limit(1)).first() is not None


def check_history(data_dir: Path, engine: Engine) -> None:
    """Refuse to open a node whose directory shows history on a database without events."""
    shown = shows_history(data_dir)
    if shown is None or holds_events(engine):
        return
    where = make_url(engine.url).render_as_string(hide_password=True)
    raise NodeHistoryMissing(
        N_("%(shown)s, but the database %(database)s holds no events: restore the node's backup "
           "(`acsa restore PATH`) or set ACSA_DATABASE_URL to the node's database"),
        field="database", database=where, shown=shown,
    )


def note_history(data_dir: Path, engine: Engine) -> None:
    """Write ``recorded_events = true`` into ``node.toml`` once the database holds events."""
    if recorded(data_dir) or not holds_events(engine):
        return
    identity = data_dir / IDENTITY_FILE
    text = identity.read_text()
    tmp = identity.with_name(identity.name + ".tmp")
    tmp.write_text(text + ("" if text.endswith("\n") else "\n") + f"{RECORDED} = true\n")
    tmp.replace(identity)

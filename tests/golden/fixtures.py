"""The golden fixtures: what they hold, how they are written, read and loaded.

``release-<version>/`` — the complete logs of a JPN and a PHL node, recorded
once by that release and never changed afterwards. For each node
(``jpn/``, ``phl/``):

- ``events.jsonl``: every stored event in arrival order, one per line,
  each column exactly as the ``events`` table held it — the canonical
  envelope text, hash, signature, key, stream, seq …;
- ``tree_heads.jsonl``: the signed tree heads the node held;
- ``keys.json``: the public keys the node checks signatures with, outside
  its log (its own keys, its peers' registered keys, the rotated keys its
  administrator confirmed); rotations and revocations are events in the log;
- ``projections.json``: the projections the release derived, as sorted JSON.

``worked-example.json`` — what the worked example (on its simulated
calendar) produces: each event's stream, seq, type, subject and hash, and
the final projections of both nodes.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Integer, insert, select

from acsa.devtools import worked_example
from acsa.events import SignedEvent
from acsa.services import peers
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from acsa.store.log import append

GOLDEN = Path(__file__).resolve().parent
ROOT = GOLDEN.parent.parent
WORKED_EXAMPLE = GOLDEN / "worked-example.json"

EVENTS_FILE = "events.jsonl"
TREE_HEADS_FILE = "tree_heads.jsonl"
KEYS_FILE = "keys.json"
PROJECTIONS_FILE = "projections.json"

REGENERATE_WORKED_EXAMPLE = ".venv/bin/python -m tests.golden.regenerate worked-example"
RECORD_RELEASE = ".venv/bin/python -m tests.golden.regenerate release"

# The projections recorded and derived again (docs/architecture.md, "Projections").
PROJECTION_TABLES = (
    "agreements", "appointments", "units", "activities", "rates", "catalogue",
    "orders", "order_lines", "verdicts", "postings", "balances", "in_kind", "due_items",
)  # fmt: skip


def release_version() -> str:
    """The version pyproject.toml gives this release."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return str(project["version"])


def release_directories() -> list[Path]:
    return sorted(p for p in GOLDEN.glob("release-*") if p.is_dir())


# -- rows as plain JSON ---------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A column value as JSON: dates as ISO text; text, numbers, booleans and null as they are."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"no JSON form for a column value of type {type(value).__name__}")


def row_key(row: Mapping[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, ensure_ascii=False)


def _counted_id(column: Any) -> bool:
    """An ``id`` that only numbers rows (postings, due items) is not part of what is derived."""
    return bool(column.name == "id" and isinstance(column.type, Integer))


def projections(conn: Connection, tables: Iterable[str] = PROJECTION_TABLES
                ) -> dict[str, list[dict[str, Any]]]:
    """Every row of the projections, as plain JSON, each table's rows in a fixed order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name in tables:
        table = T.metadata.tables[name]
        columns = [c for c in table.columns if not _counted_id(c)]
        rows = [{c.name: plain(v) for c, v in zip(columns, r, strict=True)}
                for r in conn.execute(select(*columns))]
        out[name] = sorted(rows, key=row_key)
    return out


def _rows(conn: Connection, table: Any, order: Any) -> list[dict[str, Any]]:
    columns = [c for c in table.columns if c.name != "id"]
    return [{c.name: plain(v) for c, v in zip(columns, r, strict=True)}
            for r in conn.execute(select(*columns).order_by(order))]


def log_rows(conn: Connection) -> list[dict[str, Any]]:
    """Every stored event in arrival order, each column exactly as the log holds it."""
    return _rows(conn, T.events, T.events.c.id)


def tree_head_rows(conn: Connection) -> list[dict[str, Any]]:
    """The signed tree heads the node holds, in the order it received them."""
    return _rows(conn, T.tree_heads, T.tree_heads.c.id)


def key_material(uow: UnitOfWork) -> dict[str, Any]:
    """What a node holds outside its log to check the log's signatures: public keys only."""
    confirmations = select(T.key_confirmations).order_by(T.key_confirmations.c.party,
                                                         T.key_confirmations.c.fingerprint)
    return {
        "party": uow.node.party,
        # This node's keys, oldest first: its own streams start from the first.
        "own_keys": peers.own_key_history(uow),
        "peers": [{"party": r.party, "fingerprint": r.fingerprint, "public_key": r.public_key}
                  for r in uow.conn.execute(select(T.peers).order_by(T.peers.c.party))],
        "key_confirmations": [
            {"party": r.party, "fingerprint": r.fingerprint, "confirmed_at": r.confirmed_at,
             "confirmed_by": r.confirmed_by}
            for r in uow.conn.execute(confirmations)
        ],
    }


# -- files ----------------------------------------------------------------------------------


def dumps(value: Any, indent: int = 0) -> str:
    """JSON for review: objects and lists of rows spread over lines, each row on one line."""
    pad = " " * (indent + 1)
    if isinstance(value, dict) and any(isinstance(v, dict | list) for v in value.values()):
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {dumps(v, indent + 1)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        items = [f"{pad}{dumps(v, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    return json.dumps(value, ensure_ascii=False)


def write_json(path: Path, value: Any) -> None:
    path.write_text(dumps(value) + "\n", encoding="utf-8")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_node(directory: Path, node: Node) -> dict[str, int]:
    """Write one node's log, tree heads, keys and projections; returns what was written."""
    directory.mkdir(parents=True)
    with UnitOfWork(node, write=False) as uow:
        events = log_rows(uow.conn)
        heads = tree_head_rows(uow.conn)
        write_jsonl(directory / EVENTS_FILE, events)
        write_jsonl(directory / TREE_HEADS_FILE, heads)
        write_json(directory / KEYS_FILE, key_material(uow))
        write_json(directory / PROJECTIONS_FILE, projections(uow.conn))
    return {"events": len(events), "tree_heads": len(heads)}


# -- loading a recorded log into a new node ---------------------------------------------------


def load_node(node: Node, directory: Path) -> int:
    """Put a recorded node's log, tree heads and keys into ``node``'s empty database.

    Each event goes in through the log's own append from its stored text: the
    envelope is parsed to be indexed, never re-serialised, so the row holds
    the recorded bytes. The projections are left for ``acsa rebuild`` to
    derive. Returns the number of events loaded.
    """
    keys = read_json(directory / KEYS_FILE)
    if keys["party"] != node.party:
        raise ValueError(f"{directory} is the log of a {keys['party']} node, not {node.party}")
    rows = read_jsonl(directory / EVENTS_FILE)
    with UnitOfWork(node) as uow:
        conn = uow.conn
        conn.execute(insert(T.node_info).values(key=peers.KEY_HISTORY,
                                                value=json.dumps(keys["own_keys"])))
        for peer in keys["peers"]:
            conn.execute(insert(T.peers).values(**peer, added_at=rows[0]["received_at"],
                                                status="active"))
        if keys["key_confirmations"]:
            conn.execute(insert(T.key_confirmations), keys["key_confirmations"])
        for row in rows:
            signed = SignedEvent.from_stored(row["envelope"], row["hash"], row["signature"],
                                             row["key"])
            append(conn, signed, origin=row["origin"], received_at=row["received_at"])
        heads = read_jsonl(directory / TREE_HEADS_FILE)
        if heads:
            conn.execute(insert(T.tree_heads), heads)
        uow.commit()
    return len(rows)


# -- the worked example -------------------------------------------------------------------------


def _stream_events(conn: Connection) -> dict[str, list[list[Any]]]:
    out: dict[str, list[list[Any]]] = {}
    query = select(T.events.c.stream, T.events.c.seq, T.events.c.type, T.events.c.subject,
                   T.events.c.hash).order_by(T.events.c.stream, T.events.c.seq)
    for r in conn.execute(query):
        out.setdefault(r.stream, []).append([r.seq, r.type, r.subject, r.hash])
    return out


def worked_example_outcome(base: Path) -> dict[str, Any]:
    """Run the worked example in ``base``: every stream's events and both nodes' projections."""
    x = worked_example.run(base, lambda _: None)
    try:
        streams: dict[str, dict[str, list[list[Any]]]] = {}
        result: dict[str, Any] = {"events": {}, "projections": {}}
        for node in (x.jpn, x.phl):
            with UnitOfWork(node, write=False) as uow:
                streams[node.party] = _stream_events(uow.conn)
                result["projections"][node.party] = projections(uow.conn)
        if streams["JPN"] != streams["PHL"]:
            raise AssertionError("the two nodes of the worked example hold different streams")
        result["events"] = streams["JPN"]
        return result
    finally:
        for node in (x.jpn, x.phl):
            node.engine.dispose()

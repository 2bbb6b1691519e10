"""The event log in the database: appending, reading, and turning rows into facts.

Appending takes the stream's row lock (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's writer already holds the database lock from
``BEGIN IMMEDIATE``), checks that the event continues the stream — next
sequence, ``prev`` equal to the head — and updates the head and the Merkle
tree's right edge in the same transaction, so a stream stays gapless with
several writers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from acsa.domain.errors import InvariantBroken
from acsa.domain.facts import MULTI_ORDER_TYPES, ORDER_EVENT_TYPES, Actor, Fact
from acsa.domain.parties import Role
from acsa.domain.streams import stream_agreement, stream_party
from acsa.events import CompactRange, Envelope, SignedEvent, leaf_hash
from acsa.store.prepared import Prepared
from acsa.store.tables import event_orders, events, streams

_STREAM_COLUMNS = ("stream", "agreement", "party", "head_seq", "head_hash", "compact_range")
_EVENT_COLUMNS = ("stream", "seq", "hash", "prev", "at", "type", "subject", "parent", "signer",
                  "key", "signature", "envelope", "received_at", "origin")
# The statements of every append, compiled once (acsa.store.prepared).
_READ_HEAD = Prepared(lambda: select(*(streams.c[c] for c in _STREAM_COLUMNS))
                      .where(streams.c.stream == bindparam("stream")))
_LOCK_HEAD = Prepared(lambda: select(*(streams.c[c] for c in _STREAM_COLUMNS))
                      .where(streams.c.stream == bindparam("stream")).with_for_update())
_INSERT_EVENT = Prepared(lambda: insert(events).returning(events.c.id), _EVENT_COLUMNS)
_INSERT_NAMED = Prepared(lambda: insert(event_orders), ("event_id", "order_number"))
_MOVE_HEAD = Prepared(lambda: update(streams).where(streams.c.stream == bindparam("s")),
                      ("head_seq", "head_hash", "compact_range"))


@dataclass(frozen=True)
class StoredEvent:
    id: int
    signed: SignedEvent
    origin: str
    received_at: str

    @property
    def envelope(self) -> Envelope:
        return self.signed.envelope

    @property
    def hash(self) -> str:
        return self.signed.hash


def orders_named(envelope: Envelope) -> list[str]:
    """The orders an event acts on (none for roster, registry and rate events)."""
    if envelope.type in MULTI_ORDER_TYPES:
        return sorted({str(p["order"]) for p in envelope.data.get("orders", ()) if "order" in p})
    if envelope.type in ORDER_EVENT_TYPES:
        return [envelope.subject]
    return []


def lock_stream(conn: Connection, stream: str) -> dict[str, Any]:
    """The stream's head row, locked for this transaction; created empty if new."""
    query = _LOCK_HEAD if conn.dialect.name == "postgresql" else _READ_HEAD
    row = query.run(conn, {"stream": stream}).first()
    if row is None:
        agreement, party = stream_agreement(stream), stream_party(stream)
        values = {"stream": stream, "agreement": agreement, "party": party, "head_seq": 0,
                  "head_hash": None, "compact_range": "[]"}
        # Two writers may create the same new stream at once: the loser's insert
        # does nothing and it then waits on the winner's row lock.
        if conn.dialect.name == "postgresql":
            # Imported here: the PostgreSQL dialect is loaded only where it is the engine's.
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            conn.execute(pg_insert(streams).values(**values).on_conflict_do_nothing())
        else:
            conn.execute(insert(streams).values(**values).prefix_with("OR IGNORE"))
        row = query.run(conn, {"stream": stream}).first()
    assert row is not None
    return dict(zip(_STREAM_COLUMNS, row, strict=True))


def append(conn: Connection, signed: SignedEvent, *, origin: str, received_at: str,
           head: Mapping[str, Any] | None = None) -> int:
    """Insert one event at the head of its stream; returns its arrival id.

    ``head`` is the stream's row as :func:`lock_stream` returned it in this
    transaction, when the caller locked it already.
    """
    return append_many(conn, [signed], origin=origin, received_at=received_at, head=head)[0]


def append_many(conn: Connection, run: Sequence[SignedEvent], *, origin: str,
                received_at: str, head: Mapping[str, Any] | None = None) -> list[int]:
    """Insert consecutive events of one stream at its head; returns their arrival ids.

    The stream is locked and its head row updated once; the events and the
    orders they name are inserted in one batch each.
    """
    if not run:
        return []
    stream = run[0].envelope.stream
    head = head if head is not None else lock_stream(conn, stream)
    seq, prev = head["head_seq"], head["head_hash"]
    tree = CompactRange.from_list(json.loads(head["compact_range"]), size=seq)
    rows = []
    for signed in run:
        env = signed.envelope
        if env.stream != stream or env.seq != seq + 1 or env.prev != prev:
            # Callers check continuity before appending; reaching here means a
            # defect, and nothing of this transaction may be committed.
            raise InvariantBroken(
                f"{env.stream}: seq {env.seq} (prev {str(env.prev)[:12]}) does not follow "
                f"{stream} seq {seq} ({str(prev)[:12]})"
            )
        seq, prev = env.seq, signed.hash
        tree.append(leaf_hash(bytes.fromhex(signed.hash)))
        rows.append({
            "stream": env.stream, "seq": env.seq, "hash": signed.hash, "prev": env.prev,
            "at": env.at, "type": env.type, "subject": env.subject, "parent": env.parent,
            "signer": stream_party(env.stream), "key": signed.key, "signature": signed.sig,
            # The very bytes that were hashed and signed, never a fresh serialisation.
            "envelope": signed.canonical.decode("utf-8"),
            "received_at": received_at, "origin": origin,
        })
    if len(rows) == 1:
        ids = [int(_INSERT_EVENT.run(conn, rows[0]).scalar_one())]
    else:
        ids = [int(i) for i in conn.scalars(
            insert(events).returning(events.c.id, sort_by_parameter_order=True), rows)]
    named = [{"event_id": i, "order_number": o}
             for i, signed in zip(ids, run, strict=True) for o in orders_named(signed.envelope)]
    if named:
        _INSERT_NAMED.run(conn, named if len(named) > 1 else named[0])
    _MOVE_HEAD.run(conn, {"s": stream, "head_seq": seq, "head_hash": prev,
                          "compact_range": json.dumps(tree.to_list())})
    return ids


def stored(row: Any) -> StoredEvent:
    """A database row back into a signed event that keeps the stored envelope bytes.

    Checking the event hashes those bytes, and serving or exporting it sends
    them: what goes out is what was signed, byte for byte.
    """
    signed = SignedEvent.from_stored(row.envelope, row.hash, row.signature, row.key)
    return StoredEvent(row.id, signed, row.origin, row.received_at)


def read_stream(conn: Connection, stream: str, after: int = 0, limit: int | None = None
                ) -> list[StoredEvent]:
    query = (
        select(events).where(events.c.stream == stream, events.c.seq > after)
        .order_by(events.c.seq)
    )
    if limit is not None:
        query = query.limit(limit)
    return [stored(r) for r in conn.execute(query)]


def read_orders(conn: Connection, orders: Iterable[str]) -> list[StoredEvent]:
    """Every event acting on any of ``orders``, in arrival order."""
    wanted = sorted(set(orders))
    if not wanted:
        return []
    query = (
        select(events)
        .where(events.c.id.in_(
            select(event_orders.c.event_id).where(event_orders.c.order_number.in_(wanted))
        ))
        .order_by(events.c.id)
    )
    return [stored(r) for r in conn.execute(query)]


def linked_orders(conn: Connection, orders: Iterable[str]) -> set[str]:
    """``orders`` and every order linked to them by a multi-order event, transitively."""
    found = set(orders)
    frontier = set(found)
    multi_types = frozenset(MULTI_ORDER_TYPES)
    while frontier:
        # The frontier's events by its orders (the index on order_number), their type
        # filtered here: a filter on type in the query leads SQLite to walk every
        # multi-order event of the log instead.
        acting = conn.execute(
            select(event_orders.c.event_id, events.c.type)
            .join(events, events.c.id == event_orders.c.event_id)
            .where(event_orders.c.order_number.in_(sorted(frontier)))
        )
        multi = sorted({r.event_id for r in acting if r.type in multi_types})
        if not multi:
            break
        rows = conn.execute(
            select(event_orders.c.order_number).where(event_orders.c.event_id.in_(multi))
        )
        new = {r.order_number for r in rows} - found
        found |= new
        frontier = new
    return found


def fact_of(event: SignedEvent) -> Fact:
    """The domain's view of a verified event."""
    return fact_from_document(event.envelope.to_dict(), event.hash)


def fact_from_document(env: Mapping[str, Any], hash: str) -> Fact:
    """The domain's view of an envelope document already verified on admission.

    Reading the node's own log for interpretation skips re-validating every
    envelope (``acsa verify`` re-checks the stored bytes separately).
    """
    actor = env["actor"]
    stream = env["stream"]
    return Fact(
        hash=hash,
        stream=stream,
        seq=env["seq"],
        at=env["at"],
        type=env["type"],
        subject=env["subject"],
        parent=env["parent"],
        signer=stream_party(stream),
        actor=Actor(
            user=str(actor.get("user", "")),
            name=str(actor.get("name", "")),
            role=Role(actor.get("role", "administrator")),
            party=str(actor.get("party", "")),
            unit=actor.get("unit"),
            appointment=actor.get("appointment"),
            paper=bool(actor.get("paper", False)),
        ),
        profile=env["profile"],
        data=env["data"],
        marking=env.get("marking") or {},
        version=int(env.get("v", 1)),
    )


def read_order_facts(conn: Connection, orders: Iterable[str]) -> list[Fact]:
    """Every event acting on ``orders`` or on orders linked to them, as facts, in arrival order.

    Linked orders come too: a payment, exchange or offset is judged on all
    its orders together, so an order cannot be folded without them.
    """
    return order_facts(conn, linked_orders(conn, orders))


def order_facts(conn: Connection, orders: Iterable[str]) -> list[Fact]:
    """Every event acting on any of ``orders`` (no others), as facts, in arrival order."""
    wanted = sorted(set(orders))
    if not wanted:
        return []
    query = (
        select(events.c.hash, events.c.envelope)
        .where(events.c.id.in_(
            select(event_orders.c.event_id).where(event_orders.c.order_number.in_(wanted))
        ))
        .order_by(events.c.id)
    )
    return [fact_from_document(json.loads(r.envelope), r.hash) for r in conn.execute(query)]


def _thaw(value: Any) -> Any:
    """Read-only envelope data (mapping proxies, tuples) as plain dicts and lists."""
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thaw(v) for v in value]
    return value


def facts_of(events_: Sequence[StoredEvent]) -> list[Fact]:
    return [fact_of(e.signed) for e in events_]

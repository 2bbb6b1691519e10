"""``acsa verify`` and ``acsa rebuild``: re-derive everything from the log.

Verification re-checks every stored event — its bytes against its hash,
its signature against the key of the node that recorded it, its place in
its stream's chain — recomputes every stream's Merkle root and checks the
signed tree heads held, then re-folds every order and compares the
projections with what the fold gives. It reports every finding, not the
first. Rebuild recreates the projections from the log.
"""

from __future__ import annotations

import heapq
import json
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, MetaData, Table, delete, insert, select

from acsa.domain.interpret import Context
from acsa.domain.keys import KeySchedule
from acsa.domain.streams import stream_party
from acsa.events import CompactRange, Envelope, SignedEvent, SignedTreeHead, TreeHead
from acsa.events.keys import fingerprint
from acsa.events.merkle import leaf_hash, range_pieces
from acsa.services.peers import party_keys, stream_schedule
from acsa.services.stale import PROJECTIONS_STALE
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.workers import Workers
from acsa.store import tables as T
from acsa.store.digests import DIGEST_TABLES, build_digests
from acsa.store.log import fact_of, stored
from acsa.store.projections import (
    CONTEXT_TYPES,
    ORDER_TABLES,
    BatchRows,
    apply_context,
    fold_batch,
    load_context,
    rebuild_orders,
)
from acsa.store.reader_totals import CLASS_TABLES, build_class_totals


@dataclass(frozen=True)
class Finding:
    """One problem: what kind, where, and what is wrong."""

    kind: str  # "event", "chain", "tree", "projection"
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.message}"


@dataclass(frozen=True)
class VerifyReport:
    events: int
    streams: int
    orders: int
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.findings


def _keys(uow: UnitOfWork) -> dict[str, bytes]:
    """Public keys by party: ours and our peers'."""
    keys = {uow.node.party: uow.node.key.public_key}
    for row in uow.conn.execute(select(T.peers)):
        if row.public_key:
            keys[row.party] = bytes.fromhex(row.public_key)
    return keys


LOG_PAGE = 2_000


@dataclass(frozen=True)
class _Chunk:
    """Up to ``limit`` events of a stream after seq ``after``, the first at ``start``."""

    stream: str
    party: str
    key: bytes | None
    schedule: KeySchedule | None
    start: int  # its position in the stream (from 1)
    after: int | None  # the seq of the event before it (None: from the start)
    prev: str | None  # the hash of the event before it
    limit: int
    marks: tuple[int, ...] = ()  # the sizes of tree heads that end inside it


@dataclass(frozen=True)
class _Checked:
    findings: list[Finding]
    pieces: list[tuple[int, bytes]]  # its Merkle leaves summed up (range_pieces)
    marked: dict[int, list[tuple[int, bytes]]]  # a mark: its leaves up to there, summed up
    last: str | None  # the hash of its last event
    count: int


def _leaf(event_hash: str) -> bytes:
    """The Merkle leaf of a stored event hash; one that is not a hash (a finding of its
    own) still gives a leaf, which no signed root can match."""
    try:
        data = bytes.fromhex(event_hash)
    except ValueError:
        data = b""
    return leaf_hash(data if len(data) == 32 else event_hash.encode("utf-8"))


def check_chunk(conn: Connection, chunk: _Chunk) -> _Checked:
    """Every problem with the events of ``chunk`` (each event, its place in the chain) and
    their Merkle leaves summed up in O(log n) hashes, whole and up to each of its marks:
    the work of a verification, done where ``conn`` is."""
    findings: list[Finding] = []
    leaves: list[bytes] = []
    expected_prev = chunk.prev
    schedule = chunk.schedule
    query = select(T.events).where(T.events.c.stream == chunk.stream)
    if chunk.after is not None:
        query = query.where(T.events.c.seq > chunk.after)
    rows = conn.execute(query.order_by(T.events.c.seq).limit(chunk.limit)).all()
    for i, row in enumerate(rows, start=chunk.start):
        where = f"{chunk.stream} seq {row.seq}"
        if row.seq != i:
            findings.append(Finding("chain", where, f"expected seq {i}: an event is "
                                    "missing, inserted or out of order"))
        row_key = schedule.public_key(row.key) if schedule is not None else None
        findings += _check_row(row, where, row_key or chunk.key, chunk.party)
        problem = schedule.problem(row.seq, row.key) if schedule is not None else None
        if problem:
            findings.append(Finding("event", where, problem))
        if row.prev != expected_prev:
            findings.append(Finding("chain", where, "prev does not link to the event "
                                    "before it"))
        expected_prev = row.hash
        leaves.append(_leaf(row.hash))
    offset = chunk.start - 1
    marked = {m: range_pieces(leaves[: m - offset], offset)
              for m in chunk.marks if m - offset <= len(leaves)}
    return _Checked(findings, range_pieces(leaves, offset), marked, expected_prev, len(rows))


def _chunks(uow: UnitOfWork, stream: str, page: int, key: bytes | None,
            schedule: KeySchedule | None, sizes: set[int]) -> Iterator[_Chunk]:
    """``stream`` cut into chunks of ``page`` events (seq and hash read to find where), each
    marked with the tree-head ``sizes`` that end inside it."""
    party = stream_party(stream)
    start, after, prev = 1, None, None
    query = (select(T.events.c.seq, T.events.c.hash).where(T.events.c.stream == stream)
             .order_by(T.events.c.seq))

    marks = sorted(sizes)

    def chunk() -> _Chunk:
        inside = marks[bisect_left(marks, start):bisect_left(marks, start + page)]
        return _Chunk(stream, party, key, schedule, start, after, prev, page, tuple(inside))

    n = 0
    for n, row in enumerate(uow.conn.execute(query), start=1):
        if n % page == 0:
            yield chunk()
            start, after, prev = n + 1, row.seq, row.hash
    if n % page or n == 0:
        yield chunk()


class LogCheck:
    """A verification of the stored events, chains and tree heads, started by
    :func:`start_log_check` (its chunks running in ``pool``) and ended by :meth:`finish`.

    Each chunk comes back with its Merkle leaves summed up in O(log n) hashes, whole and
    at each tree head's size inside it, so what is held here is O(log n) hashes a stream
    and the tree heads, never the events or their leaves."""

    def __init__(self, uow: UnitOfWork, pool: Workers, page: int) -> None:
        self.uow = uow
        keys = _keys(uow)
        self.heads = {r.stream: r for r in uow.conn.execute(select(T.streams))}
        self.tree_heads: dict[str, list[Any]] = {}
        for row in uow.conn.execute(select(T.tree_heads).order_by(T.tree_heads.c.id)):
            self.tree_heads.setdefault(row.stream, []).append(row)
        logged = set(uow.conn.scalars(select(T.events.c.stream).distinct()))
        self.streams = sorted(logged | set(self.heads))
        self.parts: dict[str, list[Future[_Checked]]] = {}
        for stream in self.streams:
            # Keys rotate: each event is checked with the key its stream's schedule
            # puts in force at its position (acsa.services.peers).
            schedule = stream_schedule(uow, stream)
            key = keys.get(stream_party(stream))
            sizes = {r.size for r in self.tree_heads.get(stream, [])}
            self.parts[stream] = [pool.submit(check_chunk, c)
                                  for c in _chunks(uow, stream, page, key, schedule, sizes)]

    def finish(self) -> tuple[list[Finding], int, int]:
        """Every problem found, the events checked and the streams held."""
        findings: list[Finding] = []
        count = 0
        for stream in self.streams:
            tree = CompactRange()
            roots = {0: tree.root()}  # the root of the log held at each tree head's size
            last: str | None = None
            held = 0
            for part in self.parts.pop(stream):
                checked = part.result()
                findings += checked.findings
                for size, pieces in checked.marked.items():
                    at = tree.copy()
                    at.extend(pieces)
                    roots[size] = at.root()
                tree.extend(checked.pieces)
                held += checked.count
                last = checked.last if checked.count else last
            count += held
            head = self.heads.get(stream)
            if head is None:
                findings.append(Finding("chain", stream, "events without a stream head"))
                continue
            if head.head_seq != held or head.head_hash != last:
                findings.append(Finding("chain", stream, f"stream head says seq "
                                        f"{head.head_seq}, the log holds {held}"))
            stored_root = _compact_root(head)
            if held and stored_root != tree.root().hex():
                findings.append(Finding("tree", stream, "the stored Merkle root does not "
                                        "match the events"))
            known = party_keys(self.uow, stream_party(stream))
            findings += _check_tree_heads(self.tree_heads.pop(stream, []), stream, roots,
                                          known.known if known else {})
        return findings, count, len(self.heads)


def start_log_check(uow: UnitOfWork, pool: Workers, page: int = LOG_PAGE) -> LogCheck:
    """Start checking every stored event in ``pool``: each stream is cut into chunks of
    ``page`` events, checked in the workers; what the caller holds is each stream's leaf
    hashes (for its tree heads), never its events."""
    return LogCheck(uow, pool, page)


def verify_log(uow: UnitOfWork, page: int = LOG_PAGE,
               workers: int = 1) -> tuple[list[Finding], int, int]:
    """Every problem with the stored events, chains and tree heads; the events and the
    streams counted."""
    with Workers(uow.conn, workers) as pool:
        return start_log_check(uow, pool, page).finish()


def _compact_root(head: Any) -> str:
    try:
        tree = CompactRange.from_list(json.loads(head.compact_range), size=head.head_seq)
        return tree.root().hex()
    except Exception:
        return ""


def _check_row(row: Any, where: str, key: bytes | None, party: str) -> list[Finding]:
    out: list[Finding] = []
    try:
        envelope = Envelope.from_dict(json.loads(row.envelope))
    except Exception as exc:
        return [Finding("event", where, f"the stored envelope is unreadable: {exc}")]
    if envelope.canonical().decode("utf-8") != row.envelope:
        out.append(Finding("event", where, "the stored bytes are not the canonical form "
                           "that was signed"))
    if key is None:
        out.append(Finding("event", where, f"no public key known for {party}"))
    else:
        try:
            signed = SignedEvent.from_stored(row.envelope, row.hash, row.signature, row.key,
                                             parsed=envelope)
            out += [Finding("event", where, p) for p in signed.check(key)]
        except Exception as exc:
            out.append(Finding("event", where, f"cannot be read as a signed event: {exc}"))
    for column in ("stream", "seq", "type", "subject", "parent", "prev", "at"):
        if getattr(envelope, column) != getattr(row, column):
            out.append(Finding("event", where, f"the indexed column {column} disagrees with "
                               "the signed envelope"))
    if key is not None and row.key != fingerprint(key):
        out.append(Finding("event", where, "signed by a key that is not its node's"))
    return out


def _check_tree_heads(rows: list[Any], stream: str, roots: dict[int, bytes],
                      keys: dict[str, bytes]) -> list[Finding]:
    """Every problem with a stream's signed tree heads: each signature, and each root
    against ``roots``, the root of the log held at each size it reaches."""
    out = []
    for row in rows:
        where = f"{stream} tree head size {row.size}"
        try:
            sth = SignedTreeHead.from_wire({
                "head": TreeHead(stream, row.size, row.root, row.at).to_dict(),
                "sig": row.signature, "key": row.key})
        except Exception as exc:
            out.append(Finding("tree", where, f"unreadable: {exc}"))
            continue
        key = keys.get(row.key)
        if key is None:
            out.append(Finding("tree", where, "signed by a key never in force for its party"))
        else:
            out += [Finding("tree", where, p) for p in sth.check(key)]
        held = roots.get(row.size)
        if held is None or held.hex() != row.root:
            out.append(Finding("tree", where, "the signed head does not match the log held: "
                               "history differs from what was signed"))
    return out


# -- projections ------------------------------------------------------------------------

CONTEXT_TABLES = (T.agreements, T.appointments, T.units, T.activities, T.rates, T.catalogue)


def _copy(uow: UnitOfWork, table: Any) -> tuple[Any, list[Any]]:
    """A temporary copy of ``table``'s rows (ids that only number rows left out), dropped
    with the transaction's rollback; the copy and the columns compared."""
    columns = [c for c in table.columns if c.name != "id"]
    copy = Table(f"verify_{table.name}", MetaData(),
                 *[Column(c.name, c.type) for c in columns], prefixes=["TEMPORARY"])
    copy.create(uow.conn)
    uow.conn.execute(insert(copy).from_select([c.name for c in columns], select(*columns)))
    return copy, columns


def _first(rows: Iterable[Any], n: int = 20) -> list[tuple[Any, ...]]:
    """The first ``n`` rows in the order of their text, read one at a time."""
    return heapq.nsmallest(n, (tuple(r) for r in rows), key=repr)


def verify_projections(uow: UnitOfWork, pool: Workers | None = None,
                       batch_orders: int = 2_000) -> tuple[list[Finding], int]:
    """Re-fold everything inside this transaction and compare; the transaction is rolled back.

    The stored rows are copied aside in the database and compared there (as sets), so
    memory is bounded by what a rebuild holds, not by the projections. The orders are
    folded in ``pool``'s workers, when given."""
    tables = sorted((*ORDER_TABLES, *CONTEXT_TABLES, T.balances, *DIGEST_TABLES,
                     *CLASS_TABLES),
                    key=lambda t: t.name)
    before = {t.name: _copy(uow, t) for t in tables}
    orders = rebuild_projections(uow, batch_orders, pool=pool)
    findings = []
    for table in tables:
        copy, columns = before[table.name]
        held = select(*[copy.c[c.name] for c in columns])
        derived = select(*columns)
        for row in _first(uow.conn.execute(held.except_(derived))):
            findings.append(Finding("projection", table.name, f"stored row not derived from "
                                    f"the log: {_short(row)}"))
        for row in _first(uow.conn.execute(derived.except_(held))):
            findings.append(Finding("projection", table.name, f"row the log derives is "
                                    f"missing or different: {_short(row)}"))
    uow.rollback()
    return findings, orders


def _short(row: tuple[Any, ...]) -> str:
    text = ", ".join(str(v) for v in row)
    return text if len(text) < 160 else text[:157] + "…"


def rebuild_projections(uow: UnitOfWork, batch_orders: int = 2_000, *, workers: int = 1,
                        pool: Workers | None = None) -> int:
    """Delete every projection and derive it again from the log; returns the order count.

    Orders are folded and written ``batch_orders`` at a time (with the orders linked to
    them), so memory is bounded by a batch, not by the log. With several ``workers`` (or a
    ``pool`` of them) the batches are folded in worker processes, each reading the log
    through its own connection, and their rows written here, in this transaction, in the
    same order: the result is the same as folding them here."""
    for table in (*reversed(ORDER_TABLES), *CONTEXT_TABLES, T.balances):  # lines first
        uow.conn.execute(delete(table))
    uow.context_changed()
    uow.node.count_cache.clear()  # counts are kept by the log's heads, which stay as they are
    for row in uow.conn.execute(
        select(T.events).where(T.events.c.type.in_(CONTEXT_TYPES)).order_by(T.events.c.id)
    ):
        apply_context(uow.conn, fact_of(stored(row).signed))
    ctx: Context = load_context(uow.conn)
    uow.context_changed()
    if pool is None:
        with Workers(uow.conn, workers) as own:
            count = _rebuild_orders(uow, ctx, batch_orders, own)
    else:
        count = _rebuild_orders(uow, ctx, batch_orders, pool)
    build_digests(uow.conn)  # from the order rows just written
    build_class_totals(uow.conn)
    return count


def _rebuild_orders(uow: UnitOfWork, ctx: Context, batch_orders: int, pool: Workers) -> int:
    if not pool.parallel:
        return rebuild_orders(uow.conn, ctx, batch_orders)

    def fold(batches: Iterable[list[str]]) -> Iterator[BatchRows]:
        # The context goes with each batch: the workers cannot read it, since this
        # transaction has just rewritten its tables.
        return pool.map(fold_batch, ((ctx, batch) for batch in batches))

    return rebuild_orders(uow.conn, ctx, batch_orders, fold=fold)


@use_case
def rebuild(uow: UnitOfWork, workers: int = 1) -> int:
    """``acsa rebuild``: every projection derived again from the log, and kept."""
    return rebuild_projections(uow, workers=workers)


def rebuild_if_stale(uow: UnitOfWork) -> int | None:
    """Rebuild the projections once after a migration marked them stale; the number of
    orders rebuilt, or None when they were current. The flag is deleted first, so of
    several processes opening the node at once one rebuilds and the others wait for it
    (the row's lock) and find nothing to do."""
    gone = uow.conn.execute(delete(T.node_info).where(T.node_info.c.key == PROJECTIONS_STALE))
    if not gone.rowcount:
        return None
    return rebuild_projections(uow)


def verify_node(uow: UnitOfWork, workers: int = 1, *, page: int = LOG_PAGE,
                batch_orders: int = 2_000) -> VerifyReport:
    """Check the log and re-derive the projections; with several ``workers`` the events are
    checked (by chunks of ``page`` events of each stream) and the orders folded (by batches
    of ``batch_orders``) in worker processes, the log's chunks first, and the findings are
    the same, in the same order."""
    with Workers(uow.conn, workers) as pool:
        log = start_log_check(uow, pool, page)
        projection_findings, orders = verify_projections(uow, pool, batch_orders)
        log_findings, events, streams = log.finish()
    return VerifyReport(events, streams, orders, log_findings + projection_findings)

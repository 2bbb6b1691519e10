"""Order digests for reconciliation, kept with the projections.

Each order of an agreement is reduced to a *summary* of the state two nodes
must agree on (status, version, currency, value, each line's quantities
delivered and received, the postings summed by account, the events it was
folded from and how many were ineffective) and its *digest*, the SHA-256 of
the summary's canonical JSON. ``order_digests`` holds each order's digest
beside the SHA-256 of its number (its *key*), written wherever the order's
projection rows are written and rebuilt with them.

The digest tree of an agreement is keyed by hex prefixes of the keys. The
hash of a tree node is the sum of its leaves' hashes (the SHA-256 of key and
digest, read as eight 32-bit lanes, each added modulo 2**31 - 1): a node's
sum is the sum of its children's, whatever their order, so a change to one
order adds its difference to one stored bucket instead of rehashing a
subtree. ``order_digest_buckets`` keeps the sum and count of each bucket (a
:data:`BUCKET_DIGITS`-digit prefix); the nodes above a bucket are summed
from the bucket rows (4,096 at most) by one aggregate query (the lanes are
small enough for the database to add them), those below from the leaves in
one indexed range. The sum detects an accidental difference as a hash does; it
proves nothing against a peer that lies, which no answer of a peer's can.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
    update,
)

from acsa.events import canonical_json
from acsa.store import tables as T
from acsa.store.prepared import Prepared

BUCKET_DIGITS = 3
LANES = 8
LANE_MODULUS = 2**31 - 1  # a sum of 4,096 lanes stays far inside a 64-bit integer
Lanes = tuple[int, ...]
ZERO: Lanes = (0,) * LANES
LANE_COLUMNS = tuple(f"lane{i}" for i in range(LANES))
DIGEST_TABLES = (T.order_digests, T.order_digest_buckets)
_IN_MAX = 500  # numbers bound in one IN (…)


def order_key(number: str) -> str:
    return hashlib.sha256(number.encode()).hexdigest()


def summary(order: Mapping[str, Any], lines: Iterable[Mapping[str, Any]],
            postings: Iterable[Mapping[str, Any]], verdicts: Iterable[Mapping[str, Any]],
            sums: Mapping[str, int] | None = None) -> dict[str, Any]:
    """One order's summary from its projection rows (``postings`` may be summed already, or
    given as ``sums`` by summary key)."""
    sums = dict(sums or {})
    for p in postings:
        sums[_posting_key(p)] = sums.get(_posting_key(p), 0) + p["amount_minor"]
    events, ineffective = [], 0
    for v in verdicts:
        events.append(v["event_hash"])
        ineffective += 0 if v["effective"] else 1
    return {
        "status": order["status"], "version": order["version"], "currency": order["currency"],
        "value_minor": order["value_minor"],
        "lines": [[str(ln["no"]), ln["quantity"], ln["unit_price"], ln["delivered"],
                   ln["received"]] for ln in sorted(lines, key=lambda ln: int(ln["no"]))],
        "postings": dict(sorted(sums.items())),
        "events": sorted(events), "ineffective": ineffective,
    }


def digest(summary_: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(dict(summary_))).hexdigest()


def leaf(key: str, digest_: str) -> Lanes:
    h = hashlib.sha256(bytes.fromhex(key) + bytes.fromhex(digest_)).digest()
    return tuple(int.from_bytes(h[i:i + 4], "big") % LANE_MODULUS for i in range(0, 32, 4))


def add(a: Lanes, b: Lanes, sign: int = 1) -> Lanes:
    return tuple((x + sign * y) % LANE_MODULUS for x, y in zip(a, b, strict=True))


def node_hash(lanes: Sequence[int]) -> str:
    return "".join(f"{x % LANE_MODULUS:08x}" for x in lanes)


Sums = dict[tuple[str, str], list[int]]  # (agreement, prefix) → lane sums, then the count


def tally(sums: Sums, agreement: str, key: str, digest_: str) -> None:
    """Add one leaf to the sums of its bucket."""
    acc = sums.get((agreement, key[:BUCKET_DIGITS]))
    if acc is None:
        acc = sums[(agreement, key[:BUCKET_DIGITS])] = [0] * (LANES + 1)
    for i, lane in enumerate(leaf(key, digest_)):
        acc[i] += lane
    acc[LANES] += 1


# -- summaries from the projection tables ----------------------------------------------------

_POSTING_KEY = (T.postings.c.order_number, T.postings.c.debtor, T.postings.c.creditor,
                T.postings.c.currency, T.postings.c.debit, T.postings.c.credit)


def _sum_column() -> Any:
    # PostgreSQL sums bigints as numeric: cast back to an integer.
    return cast(func.sum(T.postings.c.amount_minor), BigInteger).label("amount_minor")


def _posting_sums(conn: Connection, where: Any) -> Iterable[Any]:
    return conn.execute(select(*_POSTING_KEY, _sum_column()).where(where)
                        .group_by(*_POSTING_KEY))


def _assemble(orders: Iterable[Any], lines: Iterable[Any], postings: Iterable[Any],
              verdicts: Iterable[Any]) -> dict[str, dict[str, Any]]:
    by: dict[str, list[list[Any]]] = defaultdict(lambda: [[], [], []])
    for i, rows in enumerate((lines, postings, verdicts)):
        for r in rows:
            by[r.order_number][i].append(r._mapping)
    return {o.number: summary(o._mapping, *by.get(o.number, ([], [], []))) for o in orders}


def _order_columns() -> tuple[Any, ...]:
    o = T.orders.c
    return (o.number, o.agreement, o.status, o.version, o.currency, o.value_minor)


def summaries(conn: Connection, numbers: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The summaries of ``numbers`` (those with an order row), from the projections."""
    wanted = sorted(set(numbers))
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(wanted), _IN_MAX):
        chunk = wanted[i:i + _IN_MAX]
        out.update(_assemble(
            conn.execute(select(*_order_columns()).where(T.orders.c.number.in_(chunk))),
            conn.execute(select(T.order_lines).where(T.order_lines.c.order_number.in_(chunk))),
            _posting_sums(conn, T.postings.c.order_number.in_(chunk)),
            conn.execute(select(T.verdicts.c.order_number, T.verdicts.c.event_hash,
                                T.verdicts.c.effective)
                         .where(T.verdicts.c.order_number.in_(chunk)))))
    return out


# -- written with the order's projection rows -------------------------------------------------


@dataclass(frozen=True)
class Digested:
    """What an order's stored digest row holds — its agreement and digest, both ``None``
    while the order has no order row — and its postings summed by summary key, with how
    many postings each sum holds. Kept with an order's fold, it spares the write of the
    order's next event reading the digest and the posting sums back."""

    agreement: str | None
    digest: str | None
    sums: Mapping[str, tuple[int, int]]  # summary key → (amount_minor, postings)


NO_DIGEST = Digested(None, None, {})


def _posting_key(p: Mapping[str, Any]) -> str:
    return f"{p['debtor']}>{p['creditor']} {p['currency']} {p['debit']}/{p['credit']}"


def moved_sums(sums: Mapping[str, tuple[int, int]], added: Iterable[Mapping[str, Any]],
               removed: Iterable[Mapping[str, Any]] = ()) -> dict[str, tuple[int, int]]:
    """``sums`` with the postings ``added`` and ``removed``; a sum of no postings goes."""
    out = dict(sums)
    for rows, sign in ((added, 1), (removed, -1)):
        for p in rows:
            key = _posting_key(p)
            amount, n = out.get(key, (0, 0))
            out[key] = (amount + sign * p["amount_minor"], n + sign)
    return {k: v for k, v in out.items() if v[1]}


def write_order_digests(conn: Connection, numbers: Iterable[str],
                        rows: Mapping[str, Sequence[Mapping[str, Any]]], *,
                        known: Mapping[str, Digested | None] | None = None,
                        added: Sequence[Mapping[str, Any]] = (),
                        removed: Sequence[Mapping[str, Any]] = (),
                        complete: bool = False) -> dict[str, Digested]:
    """Keep the digests of ``numbers`` and their buckets in step with the projection rows
    just written for them (``rows`` by table name); returns what each digest now holds.

    An order's digest row held before and its posting sums come from ``known`` (what its
    fold kept), moved by the postings ``added`` and ``removed`` now; the postings of
    ``rows`` are all the order's when ``complete``. For the others they are read, every
    order in one statement. The digests, then the buckets, are written in one batch each.
    """
    wanted = sorted(set(numbers))
    held = _before(conn, wanted, known or {}, added, removed, complete=complete)
    by_order: dict[str, list[list[Mapping[str, Any]]]] = defaultdict(lambda: [[], [], []])
    for i, name in enumerate(("order_lines", "verdicts", "postings")):
        for r in rows.get(name, ()):
            by_order[r["order_number"]][i].append(r)
    orders = {r["number"]: r for r in rows.get("orders", ())}
    out: dict[str, Digested] = {}
    writes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    buckets: Sums = {}
    for n in wanted:
        old, order = held[n], orders.get(n)
        lines, verdicts, postings = by_order[n]
        if order is None:  # no terms (only ineffective events): no order row, no digest
            out[n] = NO_DIGEST
            if old.digest is not None:
                writes["delete"].append({"n": n})
                _tally(buckets, old.agreement, n, old.digest, -1)
            continue
        sums = moved_sums({}, postings) if complete else old.sums
        new = digest(summary(order, lines, (), verdicts, sums={k: v[0] for k, v in sums.items()}))
        out[n] = Digested(order["agreement"], new, sums)
        if old.digest is None:
            writes["insert"].append({"number": n, "agreement": order["agreement"],
                                     "key": order_key(n), "digest": new})
        elif old.digest != new or old.agreement != order["agreement"]:
            writes["update"].append({"n": n, "agreement": order["agreement"], "digest": new})
            _tally(buckets, old.agreement, n, old.digest, -1)
        else:
            continue
        _tally(buckets, order["agreement"], n, new, 1)
    for kind in ("delete", "update", "insert"):
        if writes[kind]:
            _DIGEST_WRITES[kind].run(conn, writes[kind])
    _write_bucket_changes(conn, buckets)
    return out


def _before(conn: Connection, wanted: Sequence[str], known: Mapping[str, Digested | None],
            added: Sequence[Mapping[str, Any]], removed: Sequence[Mapping[str, Any]], *,
            complete: bool) -> dict[str, Digested]:
    """What the digests of ``wanted`` held before, their sums moved by the postings (those
    not known read, sums as they are now stored unless ``complete``)."""
    unknown = [n for n in wanted if known.get(n) is None]
    held = _held(conn, unknown, read_sums=not complete)
    for n in wanted:
        h = known.get(n)
        if h is None:
            continue
        if not complete:
            mine = [p for p in added if p["order_number"] == n]
            gone = [p for p in removed if p["order_number"] == n]
            h = Digested(h.agreement, h.digest, moved_sums(h.sums, mine, gone))
        held[n] = h
    return held


def _held(conn: Connection, numbers: Sequence[str], *, read_sums: bool) -> dict[str, Digested]:
    """The digest rows of ``numbers`` as stored, and their posting sums (``read_sums``)."""
    if not numbers:
        return {}
    d = T.order_digests.c
    found = {r.number: r for r in conn.execute(
        select(d.number, d.agreement, d.digest).where(d.number.in_(numbers)))}
    sums: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    if read_sums:
        count = func.count().label("postings")
        for r in conn.execute(select(*_POSTING_KEY, _sum_column(), count)
                              .where(T.postings.c.order_number.in_(numbers))
                              .group_by(*_POSTING_KEY)):
            sums[r.order_number][_posting_key(dict(r._mapping))] = (r.amount_minor, r.postings)
    return {n: Digested(found[n].agreement, found[n].digest, sums.get(n, {}))
            if n in found else Digested(None, None, sums.get(n, {})) for n in numbers}


def _tally(buckets: Sums, agreement: str | None, number: str, digest_: str, sign: int) -> None:
    """Add (``sign`` 1) or take away (-1) one leaf to the change of its bucket."""
    assert agreement is not None
    key = order_key(number)
    acc = buckets.get((agreement, key[:BUCKET_DIGITS]))
    if acc is None:
        acc = buckets[(agreement, key[:BUCKET_DIGITS])] = [0] * (LANES + 1)
    for i, lane in enumerate(leaf(key, digest_)):
        acc[i] += sign * lane
    acc[LANES] += sign


def _write_bucket_changes(conn: Connection, changes: Sums) -> None:
    """Add each bucket's change to its row as it stands under its lock (one upsert for all,
    so concurrent writers commute); then the buckets left empty go, as a build never
    writes them."""
    moved = sorted((k, v) for k, v in changes.items() if any(v))
    if not moved:
        return
    _BUCKET_UPSERT[conn.dialect.name].run(conn, [
        {"agreement": a, "prefix": p, "count": v[LANES],
         **{c: v[i] % LANE_MODULUS for i, c in enumerate(LANE_COLUMNS)}}
        for (a, p), v in moved])
    emptied = [{"a": a, "p": p} for (a, p), v in moved if v[LANES] < 0]
    if emptied:
        _BUCKET_EMPTY.run(conn, emptied)


def put_digest(conn: Connection, number: str, agreement: str, new: str,
               old: Any | None = None) -> None:
    """Store ``number``'s digest and add its change to its bucket; ``old`` is the row held
    before (agreement, key, digest), or None for a new order."""
    d = T.order_digests.c
    key = order_key(number)
    if old is None:
        conn.execute(insert(T.order_digests).values(number=number, agreement=agreement,
                                                    key=key, digest=new))
        _adjust_bucket(conn, agreement, key, leaf(key, new), 1, 1)
        return
    if old.digest == new and old.agreement == agreement:
        return
    conn.execute(update(T.order_digests).where(d.number == number)
                 .values(agreement=agreement, digest=new))
    if old.agreement == agreement:
        _adjust_bucket(conn, agreement, key, add(leaf(key, new), leaf(key, old.digest), -1),
                       0, 1)
    else:
        _adjust_bucket(conn, old.agreement, key, leaf(key, old.digest), -1, -1)
        _adjust_bucket(conn, agreement, key, leaf(key, new), 1, 1)


def _adjust_bucket(conn: Connection, agreement: str, key: str, lanes: Lanes, count: int,
                   sign: int) -> None:
    """Add ``sign`` × ``lanes`` and ``count`` to the bucket of ``key``: one statement that
    adds to the row as it stands under its lock, so concurrent writers commute."""
    if sign < 0:
        lanes = add(ZERO, lanes, -1)
    prefix = key[:BUCKET_DIGITS]
    b = T.order_digest_buckets.c
    values = {"agreement": agreement, "prefix": prefix, "count": count,
              **dict(zip(LANE_COLUMNS, lanes, strict=True))}
    stmt = _upsert(conn, T.order_digest_buckets).values(values)
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[b.agreement, b.prefix],
        set_={"count": b.count + stmt.excluded.count,
              **{c: (b[c] + stmt.excluded[c]) % LANE_MODULUS for c in LANE_COLUMNS}}))
    if count < 0:  # an empty bucket is no bucket, as a build would never write it
        conn.execute(delete(T.order_digest_buckets).where(
            b.agreement == agreement, b.prefix == prefix, b.count == 0))


def _upsert(conn: Connection, table: Any) -> Any:
    """The engine's INSERT … ON CONFLICT (PostgreSQL's dialect is imported only there)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def _bucket_upsert(dialect: str) -> Any:
    b = T.order_digest_buckets.c
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(T.order_digest_buckets)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(T.order_digest_buckets)
    return stmt.on_conflict_do_update(
        index_elements=[b.agreement, b.prefix],
        set_={"count": b.count + stmt.excluded.count,
              **{c: (b[c] + stmt.excluded[c]) % LANE_MODULUS for c in LANE_COLUMNS}})


_BUCKET_COLUMNS = ("agreement", "prefix", "count", *LANE_COLUMNS)
_BUCKET_UPSERT = {d: Prepared(lambda d=d: _bucket_upsert(d), _BUCKET_COLUMNS)  # type: ignore[misc]
                  for d in ("sqlite", "postgresql")}
_BUCKET_EMPTY = Prepared(lambda: delete(T.order_digest_buckets).where(
    T.order_digest_buckets.c.agreement == bindparam("a"),
    T.order_digest_buckets.c.prefix == bindparam("p"), T.order_digest_buckets.c.count == 0))
_DIGEST_WRITES = {
    "delete": Prepared(lambda: delete(T.order_digests)
                       .where(T.order_digests.c.number == bindparam("n"))),
    "update": Prepared(lambda: update(T.order_digests)
                       .where(T.order_digests.c.number == bindparam("n")),
                       ("agreement", "digest")),
    "insert": Prepared(lambda: insert(T.order_digests), ("number", "agreement", "key", "digest")),
}


# -- built from scratch --------------------------------------------------------------------


def build_digests(conn: Connection, batch: int = 2_000) -> int:
    """Every order's digest and every bucket computed again from the projection tables;
    returns the count. Orders are read ``batch`` at a time in the order of their numbers."""
    for table in DIGEST_TABLES:
        conn.execute(delete(table))
    buckets: Sums = {}
    count = 0
    after: str | None = None
    while True:
        query = select(*_order_columns()).order_by(T.orders.c.number).limit(batch)
        if after is not None:
            query = query.where(T.orders.c.number > after)
        orders = conn.execute(query).all()
        if not orders:
            break
        first, last = orders[0].number, orders[-1].number
        made = _assemble(
            orders,
            conn.execute(select(T.order_lines)
                         .where(T.order_lines.c.order_number.between(first, last))),
            _posting_sums(conn, T.postings.c.order_number.between(first, last)),
            conn.execute(select(T.verdicts.c.order_number, T.verdicts.c.event_hash,
                                T.verdicts.c.effective)
                         .where(T.verdicts.c.order_number.between(first, last))))
        rows = []
        for o in orders:
            key, d = order_key(o.number), digest(made[o.number])
            rows.append({"number": o.number, "agreement": o.agreement, "key": key, "digest": d})
            tally(buckets, o.agreement, key, d)
        conn.execute(insert(T.order_digests), rows)
        count += len(rows)
        after = last
    write_buckets(conn, buckets)
    return count


def write_buckets(conn: Connection, sums: Sums) -> None:
    """Insert the bucket rows of ``sums``."""
    rows = [{"agreement": a, "prefix": p, "count": s[LANES],
             **{c: s[i] % LANE_MODULUS for i, c in enumerate(LANE_COLUMNS)}}
            for (a, p), s in sorted(sums.items()) if s[LANES]]
    for i in range(0, len(rows), 5_000):
        conn.execute(insert(T.order_digest_buckets), rows[i:i + 5_000])


# -- the tree of one agreement, read ---------------------------------------------------------

Node = dict[str, Any]  # {"hash": hex, "count": n}
Bucket = dict[str, dict[str, Any]]  # number → {"digest": hex, "summary": {…} or None}
Summaries = Callable[[Sequence[str]], Mapping[str, dict[str, Any]]]


class StoredTree:
    """The digest tree of ``agreement`` as the projections hold it, read in one transaction.

    ``summaries_of`` gives the summaries of the orders of an answered bucket (by default
    from the projections, for the explanation of a difference)."""

    def __init__(self, conn: Connection, agreement: str,
                 summaries_of: Summaries | None = None) -> None:
        self.conn = conn
        self.agreement = agreement
        self.summaries_of = summaries_of or (lambda numbers: summaries(conn, numbers))

    def count(self) -> int:
        return int(self._summed(0, [""])[""]["count"])

    def _summed(self, length: int, prefixes: Sequence[str]) -> dict[str, Node]:
        """The nodes at ``prefixes``, all ``length`` digits long, summed from the buckets by
        the database."""
        b = T.order_digest_buckets.c
        totals = [cast(func.sum(b[c]), BigInteger) for c in (*LANE_COLUMNS, "count")]
        found: dict[str, tuple[Any, ...]]
        if length:
            head = func.substr(b.prefix, 1, length)
            query = select(head, *totals).where(b.agreement == self.agreement,
                                                head.in_(prefixes)).group_by(head)
            found = {r[0]: tuple(r[1:]) for r in self.conn.execute(query)}
        else:
            query = select(*totals).where(b.agreement == self.agreement)
            found = {"": tuple(self.conn.execute(query).one())}
        out = {}
        for p in prefixes:
            row = found.get(p)
            if row is None or row[LANES] is None:
                row = (0,) * (LANES + 1)
            out[p] = {"hash": node_hash(row[:LANES]), "count": int(row[LANES])}
        return out

    def _leaves(self, prefix: str) -> list[Any]:
        d = T.order_digests.c
        return list(self.conn.execute(
            select(d.number, d.key, d.digest)
            .where(d.agreement == self.agreement, d.key >= prefix, d.key < prefix + "g")
            .order_by(d.key)))

    def nodes(self, prefixes: Sequence[str]) -> dict[str, Node]:
        out: dict[str, Node] = {}
        by_length: dict[int, list[str]] = defaultdict(list)
        for p in prefixes:
            if len(p) <= BUCKET_DIGITS:
                by_length[len(p)].append(p)
            else:
                total, leaves = ZERO, self._leaves(p)
                for r in leaves:
                    total = add(total, leaf(r.key, r.digest))
                out[p] = {"hash": node_hash(total), "count": len(leaves)}
        for length, same in by_length.items():
            out.update(self._summed(length, same))
        return {p: out[p] for p in prefixes}

    def buckets(self, prefixes: Sequence[str]) -> dict[str, Bucket]:
        leaves = {p: self._leaves(p) for p in prefixes}
        known = self.summaries_of([r.number for rows in leaves.values() for r in rows])
        return {p: {r.number: {"digest": r.digest, "summary": known.get(r.number)}
                    for r in rows} for p, rows in leaves.items()}

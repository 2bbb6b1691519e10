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
digest, read as four 64-bit lanes, each added modulo 2**61 - 1): a node's
sum is the sum of its children's, whatever their order, so a change to one
order adds its difference to one stored bucket instead of rehashing a
subtree. ``order_digest_buckets`` keeps the sum and count of each bucket (a
:data:`BUCKET_DIGITS`-digit prefix); the nodes above a bucket are summed
from the bucket rows (4,096 at most), those below from the leaves in one
indexed range. The sum detects an accidental difference as a hash does; it
proves nothing against a peer that lies, which no answer of a peer's can.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import BigInteger, Connection, cast, delete, func, insert, select, update

from acsa.events import canonical_json
from acsa.store import tables as T

BUCKET_DIGITS = 3
LANE_MODULUS = 2**61 - 1
Lanes = tuple[int, int, int, int]
ZERO: Lanes = (0, 0, 0, 0)
DIGEST_TABLES = (T.order_digests, T.order_digest_buckets)
_IN_MAX = 500  # numbers bound in one IN (…)


def order_key(number: str) -> str:
    return hashlib.sha256(number.encode()).hexdigest()


def summary(order: Mapping[str, Any], lines: Iterable[Mapping[str, Any]],
            postings: Iterable[Mapping[str, Any]], verdicts: Iterable[Mapping[str, Any]]
            ) -> dict[str, Any]:
    """One order's summary from its projection rows (``postings`` may be summed already)."""
    sums: dict[str, int] = defaultdict(int)
    for p in postings:
        sums[f"{p['debtor']}>{p['creditor']} {p['currency']} {p['debit']}/{p['credit']}"] += \
            p["amount_minor"]
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
    return (int.from_bytes(h[0:8], "big") % LANE_MODULUS,
            int.from_bytes(h[8:16], "big") % LANE_MODULUS,
            int.from_bytes(h[16:24], "big") % LANE_MODULUS,
            int.from_bytes(h[24:32], "big") % LANE_MODULUS)


def add(a: Lanes, b: Lanes, sign: int = 1) -> Lanes:
    m = LANE_MODULUS
    return ((a[0] + sign * b[0]) % m, (a[1] + sign * b[1]) % m, (a[2] + sign * b[2]) % m,
            (a[3] + sign * b[3]) % m)


def node_hash(lanes: Lanes) -> str:
    return "".join(f"{x:016x}" for x in lanes)


# -- summaries from the projection tables ----------------------------------------------------

_POSTING_KEY = (T.postings.c.order_number, T.postings.c.debtor, T.postings.c.creditor,
                T.postings.c.currency, T.postings.c.debit, T.postings.c.credit)


def _posting_sums(conn: Connection, where: Any) -> Iterable[Any]:
    # PostgreSQL sums bigints as numeric: cast back to an integer.
    total = cast(func.sum(T.postings.c.amount_minor), BigInteger).label("amount_minor")
    return conn.execute(select(*_POSTING_KEY, total).where(where).group_by(*_POSTING_KEY))


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


def write_order_digest(conn: Connection, number: str,
                       rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """Keep ``number``'s digest and its bucket in step with the projection rows just written
    for it (``rows`` by table name; its postings may be only the new ones: they are summed
    from the table)."""
    d = T.order_digests.c
    old = conn.execute(select(d.agreement, d.key, d.digest).where(d.number == number)).first()
    order = next((r for r in rows.get("orders", ()) if r["number"] == number), None)
    if order is None:  # no terms (only ineffective events): no order row, no digest
        if old is not None:
            conn.execute(delete(T.order_digests).where(d.number == number))
            _adjust_bucket(conn, old.agreement, old.key, leaf(old.key, old.digest), -1, -1)
        return
    mine = [r for r in rows.get("verdicts", ()) if r["order_number"] == number]
    lines = [r for r in rows.get("order_lines", ()) if r["order_number"] == number]
    postings = [r._mapping for r in _posting_sums(conn, T.postings.c.order_number == number)]
    new = digest(summary(order, lines, postings, mine))
    key = order_key(number)
    if old is None:
        conn.execute(insert(T.order_digests).values(number=number, agreement=order["agreement"],
                                                    key=key, digest=new))
        _adjust_bucket(conn, order["agreement"], key, leaf(key, new), 1, 1)
        return
    if old.digest == new and old.agreement == order["agreement"]:
        return
    conn.execute(update(T.order_digests).where(d.number == number)
                 .values(agreement=order["agreement"], digest=new))
    if old.agreement == order["agreement"]:
        _adjust_bucket(conn, old.agreement, key, add(leaf(key, new), leaf(key, old.digest), -1),
                       0, 1)
    else:
        _adjust_bucket(conn, old.agreement, key, leaf(key, old.digest), -1, -1)
        _adjust_bucket(conn, order["agreement"], key, leaf(key, new), 1, 1)


def _adjust_bucket(conn: Connection, agreement: str, key: str, lanes: Lanes, count: int,
                   sign: int) -> None:
    """Add ``sign`` × ``lanes`` and ``count`` to the bucket of ``key``: one statement that
    adds to the row as it stands under its lock, so concurrent writers commute."""
    if sign < 0:
        lanes = add(ZERO, lanes, -1)
    prefix = key[:BUCKET_DIGITS]
    b = T.order_digest_buckets.c
    values = {"agreement": agreement, "prefix": prefix, "count": count,
              **{f"lane{i}": lanes[i] for i in range(4)}}
    stmt = _upsert(conn, T.order_digest_buckets).values(values)
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[b.agreement, b.prefix],
        set_={"count": b.count + stmt.excluded.count,
              **{f"lane{i}": (b[f"lane{i}"] + stmt.excluded[f"lane{i}"]) % LANE_MODULUS
                 for i in range(4)}}))
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


# -- built from scratch --------------------------------------------------------------------


def build_digests(conn: Connection, batch: int = 2_000) -> int:
    """Every order's digest and every bucket computed again from the projection tables;
    returns the count. Orders are read ``batch`` at a time in the order of their numbers."""
    for table in DIGEST_TABLES:
        conn.execute(delete(table))
    buckets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
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
            acc = buckets[(o.agreement, key[:BUCKET_DIGITS])]
            lanes = leaf(key, d)
            for i in range(4):
                acc[i] += lanes[i]
            acc[4] += 1
        conn.execute(insert(T.order_digests), rows)
        count += len(rows)
        after = last
    write_buckets(conn, buckets)
    return count


def write_buckets(conn: Connection, sums: Mapping[tuple[str, str], Sequence[int]]) -> None:
    """Insert bucket rows from (agreement, prefix) → four lane sums and a count."""
    rows = [{"agreement": a, "prefix": p, "count": s[4],
             **{f"lane{i}": s[i] % LANE_MODULUS for i in range(4)}}
            for (a, p), s in sorted(sums.items()) if s[4]]
    for i in range(0, len(rows), 5_000):
        conn.execute(insert(T.order_digest_buckets), rows[i:i + 5_000])


# -- the tree of one agreement, read ---------------------------------------------------------

Node = dict[str, Any]  # {"hash": hex, "count": n}
Bucket = dict[str, dict[str, Any]]  # number → {"digest": hex, "summary": {…} or None}
Summaries = Callable[[Sequence[str]], Mapping[str, dict[str, Any]]]


class StoredTree:
    """The digest tree of ``agreement`` as the projections hold it, read in one transaction.

    ``summaries`` gives the summaries of the orders of an answered bucket (by default from
    the projections, for the explanation of a difference)."""

    def __init__(self, conn: Connection, agreement: str,
                 summaries_of: Summaries | None = None) -> None:
        self.conn = conn
        self.agreement = agreement
        self.summaries_of = summaries_of or (lambda numbers: summaries(conn, numbers))
        self._buckets: list[Any] | None = None

    def count(self) -> int:
        return sum(r.count for r in self._bucket_rows())

    def _bucket_rows(self) -> list[Any]:
        if self._buckets is None:
            b = T.order_digest_buckets.c
            self._buckets = list(self.conn.execute(
                select(b.prefix, b.count, b.lane0, b.lane1, b.lane2, b.lane3)
                .where(b.agreement == self.agreement)))
        return self._buckets

    def _leaves(self, prefix: str) -> list[Any]:
        d = T.order_digests.c
        return list(self.conn.execute(
            select(d.number, d.key, d.digest)
            .where(d.agreement == self.agreement, d.key >= prefix, d.key < prefix + "g")
            .order_by(d.key)))

    def nodes(self, prefixes: Sequence[str]) -> dict[str, Node]:
        out: dict[str, Node] = {}
        upper = [p for p in prefixes if len(p) <= BUCKET_DIGITS]
        if upper:
            sums: dict[str, list[int]] = {p: [0, 0, 0, 0, 0] for p in upper}
            lengths = {len(p) for p in upper}
            for r in self._bucket_rows():
                for n in lengths:
                    acc = sums.get(r.prefix[:n])
                    if acc is not None:
                        acc[0] += r.lane0
                        acc[1] += r.lane1
                        acc[2] += r.lane2
                        acc[3] += r.lane3
                        acc[4] += r.count
            for p, s in sums.items():
                m = LANE_MODULUS
                out[p] = {"hash": node_hash((s[0] % m, s[1] % m, s[2] % m, s[3] % m)),
                          "count": s[4]}
        for p in prefixes:
            if len(p) > BUCKET_DIGITS:
                total, leaves = ZERO, self._leaves(p)
                for r in leaves:
                    total = add(total, leaf(r.key, r.digest))
                out[p] = {"hash": node_hash(total), "count": len(leaves)}
        return out

    def buckets(self, prefixes: Sequence[str]) -> dict[str, Bucket]:
        leaves = {p: self._leaves(p) for p in prefixes}
        known = self.summaries_of([r.number for rows in leaves.values() for r in rows])
        return {p: {r.number: {"digest": r.digest, "summary": known.get(r.number)}
                    for r in rows} for p, rows in leaves.items()}

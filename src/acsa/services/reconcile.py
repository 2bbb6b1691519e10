"""Reconciliation: do both nodes hold the same state for every order of an agreement?

Each node reduces every order of the agreement to a *digest* of its state and
amounts (status, version, value, each line's delivered and received
quantities, the postings by account, and the events it was folded from).
The digests are placed in a 16-ary tree keyed by the SHA-256 of the order
number: a node of the tree at hex prefix ``p`` hashes the (key, digest)
pairs under it. The two nodes compare the root; where hashes differ they
descend into the 16 children of every differing node, level by level, one
request per level; a subtree small enough (:data:`BUCKET_ORDERS_MAX`) is
compared order by order. So the messages grow with the depth of the tree
(log16 of the ledger) and the bytes with the number of differences, never
with the size of the ledger: an identical ledger costs one message.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from acsa.events import canonical_json
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

BUCKET_ORDERS_MAX = 8  # a subtree this small is compared order by order
PREFIX_LENGTH_MAX = 16  # hex digits; no real ledger gets near this depth
NODES_PER_REQUEST_MAX = 512


def order_summaries(uow: UnitOfWork, agreement: str) -> dict[str, dict[str, Any]]:
    """Every order of ``agreement``: the state and amounts both nodes must agree on."""
    lines: dict[str, list[list[str]]] = defaultdict(list)
    orders = {r.number: r for r in uow.conn.execute(
        select(T.orders).where(T.orders.c.agreement == agreement))}
    numbers = sorted(orders)
    for r in uow.conn.execute(select(T.order_lines).order_by(T.order_lines.c.order_number,
                                                             T.order_lines.c.no)):
        if r.order_number in orders:
            lines[r.order_number].append([str(r.no), r.quantity, r.unit_price, r.delivered,
                                          r.received])
    postings: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in uow.conn.execute(select(T.postings)):
        if r.order_number in orders:
            key = f"{r.debtor}>{r.creditor} {r.currency} {r.debit}/{r.credit}"
            postings[r.order_number][key] += r.amount_minor
    events: dict[str, list[str]] = defaultdict(list)
    ineffective: dict[str, int] = defaultdict(int)
    for r in uow.conn.execute(select(T.verdicts.c.order_number, T.verdicts.c.event_hash,
                                     T.verdicts.c.effective)):
        if r.order_number in orders:
            events[r.order_number].append(r.event_hash)
            ineffective[r.order_number] += 0 if r.effective else 1
    out = {}
    for n in numbers:
        o = orders[n]
        out[n] = {
            "status": o.status, "version": o.version, "currency": o.currency,
            "value_minor": o.value_minor, "lines": lines[n],
            "postings": dict(sorted(postings[n].items())),
            "events": sorted(events[n]), "ineffective": ineffective[n],
        }
    return out


def digest(summary: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(dict(summary))).hexdigest()


@dataclass
class DigestTree:
    """(SHA-256 of number, digest, number) sorted by key, for prefix ranges."""

    keys: list[str]
    digests: list[str]
    numbers: list[str]
    summaries: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, summaries: dict[str, dict[str, Any]]) -> DigestTree:
        rows = sorted((hashlib.sha256(n.encode()).hexdigest(), digest(s), n)
                      for n, s in summaries.items())
        return cls([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], summaries)

    def _range(self, prefix: str) -> tuple[int, int]:
        lo = bisect.bisect_left(self.keys, prefix)
        hi = bisect.bisect_left(self.keys, prefix + "g")  # "g" sorts after every hex digit
        return lo, hi

    def node(self, prefix: str) -> dict[str, Any]:
        lo, hi = self._range(prefix)
        h = hashlib.sha256()
        for i in range(lo, hi):
            h.update(bytes.fromhex(self.keys[i]))
            h.update(bytes.fromhex(self.digests[i]))
        return {"hash": h.hexdigest(), "count": hi - lo}

    def bucket(self, prefix: str) -> dict[str, dict[str, Any]]:
        lo, hi = self._range(prefix)
        return {self.numbers[i]: {"digest": self.digests[i],
                                  "summary": self.summaries[self.numbers[i]]}
                for i in range(lo, hi)}


def _check_prefixes(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > NODES_PER_REQUEST_MAX:
        raise ValueError(f"prefixes must be a list of at most {NODES_PER_REQUEST_MAX}")
    for p in value:
        if not isinstance(p, str) or len(p) > PREFIX_LENGTH_MAX or \
                any(c not in "0123456789abcdef" for c in p):
            raise ValueError("a prefix is up to 16 lowercase hex digits")
    return value


def answer(uow: UnitOfWork, agreement: str, peer: str, body: Mapping[str, Any]
           ) -> dict[str, Any]:
    """The server side: tree nodes and buckets asked for by prefix."""
    return answer_from(DigestTree.of(order_summaries(uow, agreement)), body)


def answer_from(tree: DigestTree, body: Mapping[str, Any]) -> dict[str, Any]:
    nodes = _check_prefixes(body.get("nodes", []))
    buckets = _check_prefixes(body.get("buckets", []))
    return {"nodes": {p: tree.node(p) for p in nodes},
            "buckets": {p: tree.bucket(p) for p in buckets}}


Remote = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Difference:
    order: str
    reasons: list[str]


@dataclass
class Reconciliation:
    agreement: str
    peer: str
    orders_here: int
    differences: list[Difference] = field(default_factory=list)
    messages: int = 0
    bytes: int = 0


def reconcile_agreement(uow: UnitOfWork, agreement: str, peer: str,
                        remote: Remote) -> Reconciliation:
    """Compare this node's orders of ``agreement`` with the peer's through ``remote``."""
    tree = DigestTree.of(order_summaries(uow, agreement))
    return compare(tree, remote, agreement=agreement, me=uow.node.party, peer=peer)


def compare(tree: DigestTree, remote: Remote, *, agreement: str, me: str,
            peer: str) -> Reconciliation:
    """The Merkle comparison itself, over any ``remote`` that answers :func:`answer`'s way."""
    result = Reconciliation(agreement, peer, len(tree.numbers))
    level = [""]
    buckets: list[str] = []
    while level:
        theirs = _ask(remote, {"nodes": level}, result)["nodes"]
        next_level = []
        for p in level:
            mine, other = tree.node(p), theirs.get(p, {})
            if mine["hash"] == other.get("hash"):
                continue
            small = max(mine["count"], int(other.get("count", 0))) <= BUCKET_ORDERS_MAX
            if small or len(p) >= PREFIX_LENGTH_MAX:
                buckets.append(p)
            else:
                next_level += [p + c for c in "0123456789abcdef"]
        level = next_level
    for i in range(0, len(buckets), NODES_PER_REQUEST_MAX):
        chunk = buckets[i:i + NODES_PER_REQUEST_MAX]
        theirs_b = _ask(remote, {"buckets": chunk}, result)["buckets"]
        for p in chunk:
            mine_b, other_b = tree.bucket(p), theirs_b.get(p, {})
            for number in sorted(set(mine_b) | set(other_b)):
                a, b = mine_b.get(number), other_b.get(number)
                if a is not None and b is not None and a["digest"] == b["digest"]:
                    continue
                result.differences.append(Difference(number, explain(
                    a["summary"] if a else None, b["summary"] if b else None, me, peer)))
    result.differences.sort(key=lambda d: d.order)
    return result


def _ask(remote: Remote, body: dict[str, Any], result: Reconciliation) -> dict[str, Any]:
    # Level by level, a request may name more nodes than one request allows.
    key = "nodes" if "nodes" in body else "buckets"
    items = body[key]
    merged: dict[str, Any] = {}
    for i in range(0, max(1, len(items)), NODES_PER_REQUEST_MAX):
        request = {key: items[i:i + NODES_PER_REQUEST_MAX]}
        answer_ = remote(request)
        result.messages += 1
        result.bytes += len(json.dumps(request)) + len(json.dumps(answer_))
        merged.update(answer_.get(key, {}))
    return {key: merged}


def explain(mine: Mapping[str, Any] | None, theirs: Mapping[str, Any] | None, me: str,
            peer: str) -> list[str]:
    """Why one order differs, field by field, in words."""
    if mine is None:
        return [f"{peer} holds this order, {me} does not"]
    if theirs is None:
        return [f"{me} holds this order, {peer} does not"]
    out = []
    a_events, b_events = set(mine.get("events", [])), set(theirs.get("events", []))
    if a_events != b_events:
        only_here = sorted(a_events - b_events)
        only_there = sorted(b_events - a_events)
        if only_here:
            out.append(f"{len(only_here)} event(s) held only by {me}: "
                       + ", ".join(h[:12] for h in only_here[:5]))
        if only_there:
            out.append(f"{len(only_there)} event(s) held only by {peer}: "
                       + ", ".join(h[:12] for h in only_there[:5]))
    for key in ("status", "version", "currency", "value_minor", "ineffective", "lines",
                "postings"):
        if mine.get(key) != theirs.get(key):
            out.append(f"{key}: {me} has {mine.get(key)}, {peer} has {theirs.get(key)}")
    return out or ["the digests differ"]

"""Reconciliation: do both nodes hold the same state for every order of an agreement?

Each node reduces every order of the agreement to a *digest* of its state and
amounts (status, version, value, each line's delivered and received
quantities, the postings by account, and the events it was folded from),
kept in the projections (:mod:`acsa.store.digests`). The digests are placed
in a 16-ary tree keyed by the SHA-256 of the order number: the hash of the
tree node at hex prefix ``p`` is the sum of the hashes of the (key, digest)
pairs under it. The two nodes compare the root; where hashes differ they
descend into the 16 children of every differing node, level by level, one
request per level; a subtree small enough (:data:`BUCKET_ORDERS_MAX`) is
compared order by order. So the messages grow with the depth of the tree
(log16 of the ledger) and the bytes with the number of differences, never
with the size of the ledger: an identical ledger costs one message. The
local work is bounded too: a node's hash above the stored buckets is summed
from at most 4,096 bucket rows, below them from one indexed range of leaves.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select

from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from acsa.store.digests import ZERO, StoredTree, add, digest, leaf, node_hash, order_key, summaries

BUCKET_ORDERS_MAX = 8  # a subtree this small is compared order by order
PREFIX_LENGTH_MAX = 16  # hex digits; no real ledger gets near this depth
NODES_PER_REQUEST_MAX = 512

__all__ = ["DigestTree", "StoredTree", "answer", "answer_from", "compare", "digest",
           "order_summaries", "reconcile_agreement"]


def order_summaries(uow: UnitOfWork, agreement: str) -> dict[str, dict[str, Any]]:
    """Every order of ``agreement``: the state and amounts both nodes must agree on, computed
    afresh from the projections."""
    numbers = uow.conn.scalars(select(T.orders.c.number).where(T.orders.c.agreement == agreement))
    return dict(sorted(summaries(uow.conn, numbers).items()))


class Tree(Protocol):
    """What the comparison reads of one side's digest tree."""

    def nodes(self, prefixes: Sequence[str]) -> dict[str, dict[str, Any]]: ...

    def buckets(self, prefixes: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]: ...

    def count(self) -> int: ...


@dataclass
class DigestTree:
    """The same tree computed in memory from summaries: (key, digest, number) sorted by key."""

    keys: list[str]
    digests: list[str]
    numbers: list[str]
    summaries: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, summaries_: dict[str, dict[str, Any]]) -> DigestTree:
        rows = sorted((order_key(n), digest(s), n) for n, s in summaries_.items())
        return cls([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
                   summaries_)

    def _range(self, prefix: str) -> tuple[int, int]:
        lo = bisect.bisect_left(self.keys, prefix)
        hi = bisect.bisect_left(self.keys, prefix + "g")  # "g" sorts after every hex digit
        return lo, hi

    def count(self) -> int:
        return len(self.keys)

    def nodes(self, prefixes: Sequence[str]) -> dict[str, dict[str, Any]]:
        out = {}
        for p in prefixes:
            lo, hi = self._range(p)
            total = ZERO
            for i in range(lo, hi):
                total = add(total, leaf(self.keys[i], self.digests[i]))
            out[p] = {"hash": node_hash(total), "count": hi - lo}
        return out

    def buckets(self, prefixes: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]:
        out = {}
        for p in prefixes:
            lo, hi = self._range(p)
            out[p] = {self.numbers[i]: {"digest": self.digests[i],
                                        "summary": self.summaries.get(self.numbers[i])}
                      for i in range(lo, hi)}
        return out


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
    return answer_from(StoredTree(uow.conn, agreement), body)


def answer_from(tree: Tree, body: Mapping[str, Any]) -> dict[str, Any]:
    nodes = _check_prefixes(body.get("nodes", []))
    buckets = _check_prefixes(body.get("buckets", []))
    return {"nodes": tree.nodes(nodes) if nodes else {},
            "buckets": tree.buckets(buckets) if buckets else {}}


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
    return compare(StoredTree(uow.conn, agreement), remote, agreement=agreement,
                   me=uow.node.party, peer=peer)


def compare(tree: Tree, remote: Remote, *, agreement: str, me: str,
            peer: str) -> Reconciliation:
    """The Merkle comparison itself, over any ``remote`` that answers :func:`answer`'s way."""
    result = Reconciliation(agreement, peer, tree.count())
    level = [""]
    buckets: list[str] = []
    while level:
        theirs = _ask(remote, {"nodes": level}, result)["nodes"]
        next_level = []
        ours = tree.nodes(level)
        for p in level:
            mine, other = ours[p], theirs.get(p, {})
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
        ours_b = tree.buckets(chunk)
        for p in chunk:
            mine_b, other_b = ours_b[p], theirs_b.get(p, {})
            for number in sorted(set(mine_b) | set(other_b)):
                a, b = mine_b.get(number), other_b.get(number)
                if a is not None and b is not None and a["digest"] == b["digest"]:
                    continue
                result.differences.append(Difference(number, explain(a, b, me, peer)))
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


def explain(mine_entry: Mapping[str, Any] | None, theirs_entry: Mapping[str, Any] | None,
            me: str, peer: str) -> list[str]:
    """Why one order differs, field by field, in words (each entry a bucket's
    ``{"digest", "summary"}``)."""
    if mine_entry is None:
        return [f"{peer} holds this order, {me} does not"]
    if theirs_entry is None:
        return [f"{me} holds this order, {peer} does not"]
    mine, theirs = mine_entry.get("summary"), theirs_entry.get("summary")
    if not isinstance(mine, Mapping) or not isinstance(theirs, Mapping):
        return ["the digests differ"]
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

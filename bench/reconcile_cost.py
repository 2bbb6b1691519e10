"""Reconciliation cost: time, messages and bytes with 0, 1 and 100 differences.

Two parts, each side's wall and processor time measured apart (the peer's side is the
time spent inside its answers), every request and answer passing through JSON exactly
as over HTTP, so the counts are those of the protocol; rounds interleaved, medians:

- **stored digests, synthetic** (10k, 100k, 1M orders): two SQLite databases holding
  only the digest tables (``acsa.store.digests``), the first filled directly with
  synthetic rows (order numbers shaped as real ones, random digests) and its bucket
  sums, the second a copy in which the differing orders' digests are changed through
  the write path's own ``put_digest``. Generating a million orders through the signing
  path is too slow for a benchmark; the comparison reads only these two tables, and the
  summaries of the few orders of a differing bucket come from a synthetic source.
- **a real node** (``--dataset``: ``bench/dataset.py``'s node, 10k orders): two copies
  of its database, the second with the differing orders' status changed in its
  projection and their digests stored again from it; the comparison reads the
  projections as a node does. Also measured there: building every digest from scratch
  (``build_digests``, what ``acsa rebuild`` and migration 0014 run) and computing every
  digest from the projections, which each side did on every reconciliation before the
  digests were kept.

Run: ``PYTHONPATH=src:. python -m bench.reconcile_cost [--sizes 10000 100000 1000000]
[--dataset DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update

from acsa.services.reconcile import DigestTree, answer_from, compare
from acsa.store import tables as T
from acsa.store.db import make_engine, migrate, sqlite_url
from acsa.store.digests import (
    StoredTree,
    Sums,
    build_digests,
    digest,
    order_key,
    put_digest,
    summaries,
    tally,
    write_buckets,
)

AGREEMENT = "JPN-PHL-ACSA"
DIFFERENCES = (0, 1, 100)


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    now = clock()
    return now[0] - start[0], now[1] - start[1]


def synthetic_summary(number: str, changed: bool) -> dict[str, Any]:
    rng = random.Random(number)
    value = rng.randrange(10_000, 5_000_000)
    return {
        "status": "received" if changed else "settled", "version": 1, "currency": "JPY",
        "value_minor": value, "lines": [["1", "10000", "152.5", "10000", "10000"]],
        "postings": {"PHL>JPN JPY committed/receivable": value},
        "events": [f"{rng.getrandbits(256):064x}" for _ in range(6 - changed)],
        "ineffective": 0,
    }


def fill(path: Path, n: int) -> float:
    """A database of ``n`` synthetic digests and their bucket sums; returns the seconds."""
    started = time.perf_counter()
    for old in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        old.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    T.metadata.create_all(engine, tables=[T.order_digests, T.order_digest_buckets])
    rng = random.Random(n)
    sums: Sums = {}
    with engine.begin() as conn:
        rows = []
        for i in range(1, n + 1):
            number = f"JP-PH/PHL/FY2026/{i:07d}"
            key, d = order_key(number), f"{rng.getrandbits(256):064x}"
            rows.append({"number": number, "agreement": AGREEMENT, "key": key, "digest": d})
            tally(sums, AGREEMENT, key, d)
            if len(rows) == 50_000:
                conn.execute(insert(T.order_digests), rows)
                rows = []
        if rows:
            conn.execute(insert(T.order_digests), rows)
        write_buckets(conn, sums)
    engine.dispose()
    return time.perf_counter() - started


def run(mine: Engine, theirs: Engine, tree_of: Callable[[Any, bool], Any],
        expected: int) -> dict[str, Any]:
    """One comparison: this side reads ``mine``, the peer answers from ``theirs``."""
    peer = [0.0, 0.0]

    def remote(body: dict[str, Any]) -> dict[str, Any]:
        start = clock()
        with theirs.connect() as conn, conn.begin():
            answer = json.dumps(answer_from(tree_of(conn, True), json.loads(json.dumps(body))))
        wall, cpu = since(start)
        peer[0] += wall
        peer[1] += cpu
        return json.loads(answer)  # type: ignore[no-any-return]

    start = clock()
    with mine.connect() as conn, conn.begin():
        result = compare(tree_of(conn, False), remote, agreement=AGREEMENT, me="JPN",
                         peer="PHL")
    wall, cpu = since(start)
    assert len(result.differences) == expected, (len(result.differences), expected)
    return {"here_wall": wall - peer[0], "here_cpu": cpu - peer[1], "peer_wall": peer[0],
            "peer_cpu": peer[1], "messages": result.messages, "bytes": result.bytes}


def synthetic(directory: Path, n: int, rounds: int) -> list[dict[str, Any]]:
    base = directory / f"digests-{n}.db"
    filled = fill(base, n)
    print(f"  {n:,} synthetic digests and their buckets written in {filled:.1f} s", flush=True)
    numbers = [f"JP-PH/PHL/FY2026/{i:07d}" for i in range(1, n + 1)]
    sides: dict[int, tuple[Engine, Engine, set[str]]] = {}
    for d in DIFFERENCES:
        copy = directory / f"digests-{n}-{d}.db"
        shutil.copy(base, copy)
        changed = set(random.Random(d).sample(numbers, d))
        theirs = make_engine(f"sqlite:///{copy}")
        with theirs.begin() as conn:
            for number in sorted(changed):
                old = conn.execute(select(T.order_digests).where(
                    T.order_digests.c.number == number)).one()
                put_digest(conn, number, AGREEMENT, f"{random.getrandbits(256):064x}", old)
        sides[d] = (make_engine(f"sqlite:///{base}"), theirs, changed)

    def tree_of(changed: set[str]) -> Callable[[Any, bool], Any]:
        def make(conn: Any, peer: bool) -> StoredTree:
            return StoredTree(conn, AGREEMENT, lambda ns: {
                x: synthetic_summary(x, peer and x in changed) for x in ns})
        return make

    runs: dict[int, list[dict[str, Any]]] = {d: [] for d in DIFFERENCES}
    for _ in range(rounds):
        for d in DIFFERENCES:
            mine, theirs, changed = sides[d]
            runs[d].append(run(mine, theirs, tree_of(changed), d))
    for mine, theirs, _ in sides.values():
        mine.dispose()
        theirs.dispose()
    return [{"part": "synthetic", "orders": n, "differences": d, **medians(runs[d])}
            for d in DIFFERENCES]


def medians(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def real(directory: Path, dataset: Path, rounds: int) -> list[dict[str, Any]]:
    """The dataset's JPN node, copied twice; 0, 1 and 100 orders made to differ."""
    source = dataset / "jpn"
    copies = {}
    for name in ("here", *(f"there-{d}" for d in DIFFERENCES)):
        target = directory / f"node-{name}"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)
        copies[name] = make_engine(sqlite_url(target))
    migrate(copies["here"])  # a data set from before 0014 gets its digests here
    with copies["here"].connect() as conn:
        numbers = sorted(conn.scalars(select(T.orders.c.number)))
    for d in DIFFERENCES:
        engine = copies[f"there-{d}"]
        migrate(engine)
        with engine.begin() as conn:
            for number in random.Random(d).sample(numbers, d):
                conn.execute(update(T.orders).where(T.orders.c.number == number)
                             .values(status="disputed"))
                old = conn.execute(select(T.order_digests).where(
                    T.order_digests.c.number == number)).one()
                put_digest(conn, number, AGREEMENT,
                           digest(summaries(conn, [number])[number]), old)

    def tree_of(conn: Any, peer: bool) -> StoredTree:
        return StoredTree(conn, AGREEMENT)

    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for _ in range(rounds):
        for d in DIFFERENCES:
            runs[f"compare-{d}"].append(run(copies["here"], copies[f"there-{d}"], tree_of, d))
        with copies["here"].connect() as conn, conn.begin():
            start = clock()
            built = build_digests(conn)
            wall, cpu = since(start)
            conn.rollback()
        runs["build"].append({"wall": wall, "cpu": cpu, "orders": built})
        with copies["here"].connect() as conn, conn.begin():
            start = clock()
            DigestTree.of(summaries(conn, numbers))
            wall, cpu = since(start)
        runs["afresh"].append({"wall": wall, "cpu": cpu, "orders": len(numbers)})
    for engine in copies.values():
        engine.dispose()
    out = [{"part": "node", "orders": len(numbers), "differences": d,
            **medians(runs[f"compare-{d}"])} for d in DIFFERENCES]
    out.append({"part": "build from scratch", **medians(runs["build"])})
    out.append({"part": "every digest from the projections (before)",
                **medians(runs["afresh"])})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dataset", type=Path, help="bench/dataset.py's directory")
    parser.add_argument("--dir", type=Path,
                        default=Path(__file__).parent / "out" / "reconcile")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {os.getloadavg()}")
    rows: list[dict[str, Any]] = []
    print(f"{'part':<12} {'orders':>9} {'diff':>4} {'msgs':>4} {'bytes':>8} "
          f"{'here wall/cpu s':>16} {'peer wall/cpu s':>16}")
    parts: list[Callable[[], list[dict[str, Any]]]] = [
        partial(synthetic, args.dir, n, args.rounds) for n in args.sizes]
    if args.dataset:
        parts.append(partial(real, args.dir, args.dataset, args.rounds))
    for part in parts:
        for r in part():
            rows.append(r)
            show(r)
        (args.dir / "reconcile_cost.json").write_text(json.dumps(rows, indent=1))
    print(f"load average after: {os.getloadavg()}")


def show(r: dict[str, Any]) -> None:
    if "messages" in r:
        print(f"{r['part']:<12} {r['orders']:>9,} {r['differences']:>4} "
              f"{r['messages']:>4.0f} {r['bytes']:>8,.0f} "
              f"{r['here_wall']:>7.3f}/{r['here_cpu']:<8.3f} "
              f"{r['peer_wall']:>7.3f}/{r['peer_cpu']:<8.3f}", flush=True)
    else:
        print(f"{r['part']}: {r['orders']:,} orders, {r['wall']:.2f} s wall, "
              f"{r['cpu']:.2f} s CPU", flush=True)


if __name__ == "__main__":
    main()

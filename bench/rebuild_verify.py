"""``acsa rebuild`` and ``acsa verify`` against their bare floors, interleaved.

Each measurement runs in a fresh process (``--one NAME``) that reports its
wall time, CPU time (user + system) and peak RSS; the driver runs one of
each per round, in turn, and prints the medians. The floors are what the
issue names:

- ``read``: read every event of the log once and decode its envelope
  (``json.loads``), nothing else — the floor of a rebuild;
- ``hash-sign``: hash every stored envelope (SHA-256) and verify its
  Ed25519 signature once — the floor of a verification;
- ``ledger``: Debian's ``ledger balance`` reading the same books exported as
  a journal (``acsa export --format ledger``, once) — what a user might run instead.

``rebuild`` and ``verify`` run in one process (``--workers 1``);
``rebuild-N`` and ``verify-N`` in N worker processes (N: the processors), their
children's CPU time counted with theirs and the peak RSS the largest of any one
process.

    PYTHONPATH=src:. python -m bench.rebuild_verify --orders 10000 --rounds 3

The data set is ``bench/dataset.py``'s, built in ``--dir`` (reused when it
exists). These are measurements, never assertions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from acsa.bootstrap import open_node
from acsa.config import Settings
from acsa.events._schema import decode_signature
from acsa.events.keys import PURPOSE_EVENT, verify
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import rebuild, verify_node
from acsa.store import tables as T

WORKERS = os.cpu_count() or 1
NAMES = ("read", "rebuild", f"rebuild-{WORKERS}", "hash-sign", "verify", f"verify-{WORKERS}",
         "ledger")


def _read(uow: UnitOfWork) -> int:
    n = 0
    for row in uow.conn.execute(select(T.events.c.hash, T.events.c.envelope)
                                .order_by(T.events.c.id)).yield_per(5000):
        json.loads(row.envelope)
        n += 1
    return n


def _hash_sign(uow: UnitOfWork) -> int:
    keys = {uow.node.party: uow.node.key.public_key}
    for row in uow.conn.execute(select(T.peers)):
        if row.public_key:
            keys[row.party] = bytes.fromhex(row.public_key)
    n = 0
    query = select(T.events.c.envelope, T.events.c.signature, T.events.c.signer)
    for row in uow.conn.execute(query.order_by(T.events.c.id)).yield_per(5000):
        digest = hashlib.sha256(row.envelope.encode("utf-8")).digest()
        verify(keys[row.signer], PURPOSE_EVENT, digest, decode_signature(row.signature, "sig"))
        n += 1
    return n


def _journal(directory: Path) -> Path:
    """The data set's books as a ``ledger`` journal, written once by ``acsa export``."""
    journal = directory / "journal.ledger"
    if not journal.exists():
        env = {**os.environ, "ACSA_DATA_DIR": str(directory / "jpn"), "ACSA_USER": "jpn.finance"}
        with journal.with_suffix(".part").open("w") as out:
            subprocess.run([sys.executable, "-m", "acsa", "export", "--format", "ledger"],
                           env=env, stdout=out, check=True)
        journal.with_suffix(".part").rename(journal)
    return journal


def one(name: str, directory: Path) -> dict[str, Any]:
    if name == "ledger":
        journal = directory / "journal.ledger"  # written by the driver beforehand
        start = time.perf_counter()
        subprocess.run([shutil.which("ledger") or "ledger", "-f", str(journal), "balance"],
                       check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        child = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = child.ru_utime + child.ru_stime
        return {"name": name, "wall": wall, "cpu": cpu, "cpu_self": cpu, "cpu_children": 0.0,
                "rss_mb": child.ru_maxrss / 1024, "result": journal.stat().st_size}
    node = open_node(Settings(data_dir=directory / "jpn"))
    work, _, n = name.partition("-")
    workers = int(n) if n.isdigit() else 1
    start, cpu = time.perf_counter(), time.process_time()
    with UnitOfWork(node) as uow:
        if name == "read":
            result: Any = _read(uow)
        elif name == "hash-sign":
            result = _hash_sign(uow)
        elif work == "rebuild":
            result = rebuild(uow, workers=workers)
        elif work == "verify":
            report = verify_node(uow, workers)
            assert report.ok, report.findings[:5]
            result = report.events
        else:
            raise SystemExit(f"unknown measurement {name}")
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # The process's own CPU and its workers': on an idle machine a run in N workers takes
    # about the larger of its own and a worker's share (cpu_children / N).
    child_cpu = children.ru_utime + children.ru_stime
    return {"name": name, "wall": wall, "cpu": cpu + child_cpu, "cpu_self": cpu,
            "cpu_children": child_cpu, "rss_mb": max(own_rss, children.ru_maxrss) / 1024,
            "rss_own_mb": own_rss / 1024, "rss_workers_mb": children.ru_maxrss / 1024,
            "result": result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--one", choices=NAMES)
    parser.add_argument("--build", action="store_true")
    args = parser.parse_args()
    directory = args.dir / f"dataset-{args.orders}"
    if args.one:
        print(json.dumps(one(args.one, directory)))
        return
    if args.build:
        from bench.dataset import build

        directory.mkdir(parents=True, exist_ok=True)
        build(directory, args.orders, log=lambda m: print(m, flush=True)).engine.dispose()
        return
    # Built in a process of its own: a child inherits its parent's peak RSS across exec,
    # so this driver stays small.
    subprocess.run([sys.executable, "-m", "bench.rebuild_verify", "--build", "--orders",
                    str(args.orders), "--dir", str(args.dir)], check=True)
    _journal(directory)
    runs: dict[str, list[dict[str, Any]]] = {n: [] for n in NAMES}
    for _ in range(args.rounds):
        for name in NAMES:
            out = subprocess.run(
                [sys.executable, "-m", "bench.rebuild_verify", "--one", name,
                 "--orders", str(args.orders), "--dir", str(args.dir)],
                check=True, capture_output=True, text=True)
            runs[name].append(json.loads(out.stdout.splitlines()[-1]))
    keys = ("wall", "cpu", "cpu_self", "cpu_children", "rss_mb")
    med = {n: {k: statistics.median(r[k] for r in rs) for k in keys} for n, rs in runs.items()}
    print(f"{args.orders} orders, {args.rounds} rounds, medians:")
    for name in NAMES:
        m = med[name]
        print(f"  {name:10} wall {m['wall']:7.2f} s  cpu {m['cpu']:7.2f} s "
              f"(own {m['cpu_self']:6.2f}, workers {m['cpu_children']:6.2f})  "
              f"peak RSS {m['rss_mb']:6.0f} MB")
    for work, floor in (("rebuild", "read"), (f"rebuild-{WORKERS}", "read"),
                        ("rebuild", "ledger"), (f"rebuild-{WORKERS}", "ledger"),
                        ("verify", "hash-sign"), (f"verify-{WORKERS}", "hash-sign")):
        print(f"  {work} / {floor}: wall {med[work]['wall'] / med[floor]['wall']:.1f}×, "
              f"cpu {med[work]['cpu'] / med[floor]['cpu']:.1f}×")
    print(f"  load average {Path('/proc/loadavg').read_text().split()[:3]}")
    out = args.dir / f"rebuild_verify-{args.orders}.json"
    out.write_text(json.dumps({"orders": args.orders, "rounds": args.rounds, "medians": med,
                               "runs": runs}, indent=1))


if __name__ == "__main__":
    main()

"""Sync between two live nodes against the bare rate of checking the same events.

JPN runs as a real ``acsa serve`` process on loopback; it holds ``2 × orders``
events of its own stream (an acceptance and a delivery of each of PHL's
orders). PHL, which submitted those orders, pulls them through the real
online sync (``acsa.federation.sync.sync_peer``: the signed head witnessed,
pages of 500 fetched over HTTP, each page admitted and applied in one
transaction by the intake, the receipt sent back), starting each round
from the same copy of its database, in a fresh process. ``this tree, folds kept``
is the same pull by a process that has folded PHL's orders beforehand (untimed), as
a running node keeps the orders it recorded: the pages then extend those folds.

The **bare rate** is what no design can skip: the same stored envelopes'
SHA-256 recomputed and their Ed25519 signatures verified, once each, in one
process, nothing else. Bytes per event are those of the HTTP responses PHL
received, divided by the events applied.

Each round runs every puller (this source tree, and each ``--compare`` tree,
against the same JPN server) and the bare check one after another in fresh
processes; medians over the rounds, wall and processor time (user + system)::

    PYTHONPATH=src:. python -m bench.sync_rate --orders 1000 --rounds 3 \\
        [--compare /path/to/an/older/src]

These are measurements, never assertions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

OUT = Path(__file__).parent / "out"
ROOT = Path(__file__).resolve().parent.parent


def _prepare(base: Path, orders: int, port: int) -> tuple[Path, Path]:
    """JPN's and PHL's data directories: PHL's orders answered on JPN, not yet on PHL."""
    from acsa.bootstrap import init_node
    from acsa.config import Settings
    from acsa.devtools.exercise import Exercise
    from acsa.devtools.world import as_official, carry, exchange, introduce, staff_node
    from acsa.domain.parties import Role
    from acsa.profiles import shipped_profile
    from acsa.services import orders as order_cases
    from bench.run import Clock

    clock = Clock()
    jpn = init_node(Settings(data_dir=base / "jpn"), "JPN")
    phl = init_node(Settings(data_dir=base / "phl"), "PHL")
    for node in (jpn, phl):
        node.clock = clock
        staff_node(node, ["JPN-PHL-ACSA"])
    # PHL pulls from JPN's server; JPN has no address for PHL and pulls nothing.
    introduce(jpn, phl, a_url=f"http://127.0.0.1:{port}")
    exchange(jpn, phl, base / "bundles")
    x = Exercise(shipped_profile("JPN-PHL-ACSA"))
    terms = x.terms("PHL", "JPN", [("pol", "Diesel fuel F-76", "10000", "L", "152.5")])
    numbers = [as_official(phl, Role.ORDERING_OFFICIAL, order_cases.submit_order,
                           terms).envelope.subject for _ in range(orders)]
    carry(phl, jpn, base / "bundles")
    for number in numbers:
        as_official(jpn, Role.APPROVING_OFFICIAL, order_cases.accept, number,
                    supplying_unit="JMSDF-ESF1")
        # No delivery ticket: evidence files travel by their own requests, not in pages.
        as_official(jpn, Role.SUPPLY_OFFICER, order_cases.deliver, number, [(1, "10000")],
                    evidence=[])
    for node in (jpn, phl):
        node.engine.dispose()
    return base / "jpn", base / "phl"


def pull(data_dir: Path, warm: bool = False) -> dict[str, Any]:
    """One pull of everything new from JPN, in this process (``--pull``); ``warm``: with
    PHL's orders folded and kept by the node first (``--warm``)."""
    from acsa.bootstrap import open_node
    from acsa.config import Settings
    from acsa.federation.sync import sync_peer

    node = open_node(Settings(data_dir=data_dir))
    if warm:
        from sqlalchemy import select

        from acsa.services.recording import fold_orders
        from acsa.services.unit_of_work import UnitOfWork
        from acsa.store import tables as T

        with UnitOfWork(node) as uow:
            fold_orders(uow, list(uow.conn.scalars(select(T.orders.c.number))))
            uow.commit()
    wall, cpu = time.perf_counter(), time.process_time()
    report = sync_peer(node, "JPN")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    node.engine.dispose()
    return {"applied": report.applied, "bytes": report.bytes_received,
            "messages": report.messages, "ok": report.ok, "error": report.error,
            "wall_s": wall, "cpu_s": cpu}


def bare(data_dir: Path, last: int) -> dict[str, Any]:
    """SHA-256 and the Ed25519 signature of the ``last`` events of JPN's stream (those PHL
    pulls), once each (``--bare``)."""
    import sqlite3

    from acsa.events import NodeKey
    from acsa.events.envelope import PURPOSE_EVENT
    from acsa.events.keys import verify

    public = NodeKey.load(data_dir / "node.key").public_key
    db = sqlite3.connect(f"file:{data_dir / 'acsa.db'}?mode=ro", uri=True)
    rows = db.execute("SELECT envelope, hash, signature FROM events WHERE stream = "
                      "'JPN-PHL-ACSA/JPN' ORDER BY seq DESC LIMIT ?", (last,)).fetchall()
    db.close()
    import base64

    items = [(e.encode(), h, base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
             for e, h, s in rows]
    wall, cpu = time.perf_counter(), time.process_time()
    for raw, digest, signature in items:
        if hashlib.sha256(raw).hexdigest() != digest:
            raise SystemExit("hash mismatch")
        verify(public, PURPOSE_EVENT, bytes.fromhex(digest), signature)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"events": len(items), "envelope_bytes": sum(len(r) for r, _, _ in items) / len(items),
            "wall_s": wall, "cpu_s": cpu}


def _child(flag: str, path: Path, src: Path | None, *more: str) -> dict[str, Any]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = f"{src}{os.pathsep}{ROOT}"
    done = subprocess.run([sys.executable, "-m", "bench.sync_rate", flag, str(path), *more],
                          env=env,
                          cwd=ROOT, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _cpu_of(pid: int) -> float:
    """User + system seconds of a process and its waited-for children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def measure(orders: int, rounds: int, compare: list[Path]) -> dict[str, Any]:
    from acsa.devtools.serving import free_port, start, wait_ready

    base = Path(tempfile.mkdtemp(prefix="acsa-sync-rate-"))
    port = free_port()
    print(f"preparing {orders} orders ({2 * orders} events on JPN) …", flush=True)
    jpn_dir, phl_dir = _prepare(base, orders, port)
    served = start(jpn_dir, None, base / "logs", args=["--port", str(port)],
                   env={"ACSA_SYNC_INTERVAL_S": "3600"})[0]
    served.port = port
    pullers: dict[str, Path | None] = {"this tree": None, "this tree, folds kept": None}
    pullers.update({f"compare {i + 1}": Path(p).resolve() for i, p in enumerate(compare)})
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in [*pullers, "bare"]}
    try:
        wait_ready(served)
        for r in range(rounds):
            for name, src in pullers.items():
                copy = base / f"phl-{r}-{name.replace(' ', '-')}"
                shutil.copytree(phl_dir, copy)
                server_cpu = _cpu_of(served.proc.pid)
                got = _child("--pull", copy, src, *(["--warm"] if "kept" in name else []))
                got["server_cpu_s"] = _cpu_of(served.proc.pid) - server_cpu
                runs[name].append(got)
                shutil.rmtree(copy)
            runs["bare"].append(_child("--bare", jpn_dir, None, "--last", str(2 * orders)))
            print(f"  round {r + 1}: " + ", ".join(
                f"{n} {runs[n][-1]['wall_s']:.2f} s" for n in runs), flush=True)
    finally:
        served.stop()
    shutil.rmtree(base, ignore_errors=True)
    return summarise(runs, compare)


def summarise(runs: dict[str, list[dict[str, Any]]], compare: list[Path]) -> dict[str, Any]:
    bare_runs = runs.pop("bare")
    events = bare_runs[0]["events"]
    out: dict[str, Any] = {
        "events": events, "rounds": len(bare_runs),
        "envelope_bytes_per_event": bare_runs[0]["envelope_bytes"],
        "compare": [str(p) for p in compare],
        "bare": {"events_per_s_wall": events / statistics.median(b["wall_s"] for b in bare_runs),
                 "events_per_s_cpu": events / statistics.median(b["cpu_s"] for b in bare_runs)},
        "pullers": {},
    }
    for name, rs in runs.items():
        applied = rs[0]["applied"]
        if any(not r["ok"] or r["applied"] != events for r in rs):
            out["pullers"][name] = {"failed": [r.get("error") for r in rs]}
            continue
        out["pullers"][name] = {
            "events_per_s_wall": applied / statistics.median(r["wall_s"] for r in rs),
            "events_per_s_cpu": applied / statistics.median(r["cpu_s"] for r in rs),
            "server_cpu_s_per_1000": 1000 * statistics.median(r["server_cpu_s"] for r in rs)
            / applied,
            "bytes_per_event": statistics.median(r["bytes"] for r in rs) / applied,
            "messages": rs[0]["messages"],
        }
    return out


def show(result: dict[str, Any]) -> None:
    bare_rate = result["bare"]
    print(f"sync of {result['events']} events, medians of {result['rounds']} rounds "
          f"(load {Path('/proc/loadavg').read_text().split()[0]})")
    print(f"   {'':<22}{'ev/s wall':>11}{'ev/s cpu':>10}{'÷ bare (cpu)':>14}"
          f"{'bytes/ev':>10}{'server cpu ms/ev':>18}")
    for name, p in result["pullers"].items():
        if "failed" in p:
            print(f"   {name:<22} failed: {p['failed'][0]}")
            continue
        print(f"   {name:<22}{p['events_per_s_wall']:11.0f}{p['events_per_s_cpu']:10.0f}"
              f"{100 * p['events_per_s_cpu'] / bare_rate['events_per_s_cpu']:13.1f}%"
              f"{p['bytes_per_event']:10.0f}{p['server_cpu_s_per_1000']:18.2f}")
    print(f"   {'bare check':<22}{bare_rate['events_per_s_wall']:11.0f}"
          f"{bare_rate['events_per_s_cpu']:10.0f}   (SHA-256 + Ed25519 verify; envelope "
          f"{result['envelope_bytes_per_event']:.0f} bytes stored)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", action="append", default=[],
                        help="another source tree whose sync pulls in the same rounds")
    parser.add_argument("--pull", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--bare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--last", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pull is not None:
        print(json.dumps(pull(args.pull, args.warm)))
        return
    if args.bare is not None:
        print(json.dumps(bare(args.bare, args.last)))
        return
    result = measure(args.orders, args.rounds, args.compare)
    show(result)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "sync_rate.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

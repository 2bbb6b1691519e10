"""``make bench``: measurements side by side in one run, printed as ratios.

1. Signed lifecycle events per second through the service layer (submit,
   accept, deliver, receive — each judged, signed, appended, projected, one
   transaction each) against this run's bare floor: canonical JSON, SHA-256,
   an Ed25519 signature and one plain INSERT of the same row per transaction,
   on the same SQLite settings (WAL, synchronous=FULL).
2. ``acsa report balances`` and ``acsa report aging`` on ledgers of N orders
   (10,000 and 100,000; ``make bench-1m``: 1,000,000), for a reader of every
   order and one limited by need to know, against ``ledger balance``,
   beancount's loader and ``hledger balance`` (where installed) on the
   journals ``acsa export`` writes: whole commands, interleaved, medians,
   with each process's processor time and peak RSS (``bench/reports_scale.py``);
   ``--postgres URL`` runs the acsa commands on a PostgreSQL copy too.
3. A command's start-up (``bench/startup.py``): ``acsa report balances`` on an
   empty node against a bare ``python -c pass``, interleaved, medians.
4. ``rebuild``: ``acsa rebuild`` and ``acsa verify`` (in one process and in
   workers) against their floors and ``ledger balance`` (``bench/rebuild_verify.py``),
   on the same data sets as part 2.
5. ``reconcile``: two nodes' digest trees compared with 0, 1 and 100 differences
   (``bench/reconcile_cost.py``), at each size of part 2.
6. ``sync``: one live node pulling another's events over HTTP against the bare
   signature check (``bench/sync_rate.py``).
7. ``api``: the API at 32 clients against a bare endpoint on the same stack
   (``bench/api_load.py``; PostgreSQL too with ``--postgres``).

``--parts`` chooses among them (``lifecycle,reports,startup,rebuild,reconcile,sync,api``;
all by default; ``balances`` is the old name of ``reports``). Parts 4–7 run as
their own processes and print their own tables.

Figures are written to bench/out/results.json (and reports-N.json) and printed; docs/benchmarks.md
explains the method. These are measurements, never assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert

from acsa.bootstrap import init_node
from acsa.config import Settings
from acsa.devtools.exercise import Exercise
from acsa.devtools.world import as_official, carry, exchange, introduce, staff_node
from acsa.domain.parties import Role
from acsa.events import Envelope, NodeKey, seal
from acsa.profiles import shipped_profile
from acsa.services import orders
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from acsa.store.db import make_engine
from bench.reports_scale import reports
from bench.reports_scale import show as show_report_lines
from bench.startup import show as show_startup
from bench.startup import startup

OUT = Path(__file__).parent / "out"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 2, 3, 3, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


CPU: dict[str, float] = {}  # processor seconds (user + system) of the last timed call


def timed(fn: Callable[[], Any]) -> float:
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    CPU["last"] = time.process_time() - cpu
    return time.perf_counter() - start


def lifecycle(n: int, workdir: Path) -> dict[str, Any]:
    """Events per second through the services, and the bare floor for the same rows."""
    clock = Clock()
    jpn = init_node(Settings(data_dir=workdir / "jpn"), "JPN")
    phl = init_node(Settings(data_dir=workdir / "phl"), "PHL")
    for node in (jpn, phl):
        node.clock = clock
        staff_node(node, ["JPN-PHL-ACSA"])
    introduce(jpn, phl)
    exchange(jpn, phl, workdir / "bundles")
    x = Exercise(shipped_profile("JPN-PHL-ACSA"))
    terms = x.terms("PHL", "JPN", [("pol", "Diesel fuel F-76", "10000", "L", "152.5")])
    numbers: list[str] = []

    def submit() -> None:
        for _ in range(n):
            numbers.append(as_official(phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                                       terms).envelope.subject)

    def answer() -> None:
        for number in numbers:
            as_official(jpn, Role.APPROVING_OFFICIAL, orders.accept, number,
                        supplying_unit="JMSDF-ESF1")
            as_official(jpn, Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "10000")])

    def receive() -> None:
        for number in numbers:
            as_official(phl, Role.RECEIVING_OFFICIAL, orders.receive, number, "1")

    results: dict[str, Any] = {}
    service_time = service_cpu = 0.0
    seconds = timed(submit)
    service_time += seconds
    service_cpu += CPU["last"]
    results["submit (PHL)"] = n / seconds
    seconds = timed(lambda: carry(phl, jpn, workdir / "bundles"))
    results["bundle export+import (JPN)"] = n / seconds
    seconds = timed(answer)
    service_time += seconds
    service_cpu += CPU["last"]
    results["accept+deliver (JPN)"] = 2 * n / seconds
    seconds = timed(lambda: carry(jpn, phl, workdir / "bundles"))
    results["bundle export+import (PHL)"] = 2 * n / seconds
    seconds = timed(receive)
    service_time += seconds
    service_cpu += CPU["last"]
    results["receive (PHL)"] = n / seconds
    service_rate = 4 * n / service_time
    floor_rate = bare_floor(phl, workdir / "floor.db")
    floor_cpu_rate = CPU["floor"]
    return {"events": 4 * n, "service_events_per_s": service_rate,
            "floor_events_per_s": floor_rate, "ratio_floor_to_service": floor_rate / service_rate,
            "service_events_per_cpu_s": 4 * n / service_cpu,
            "floor_events_per_cpu_s": floor_cpu_rate,
            "phases_events_per_s": results}


def bare_floor(node: Node, path: Path) -> float:
    """Sign, hash and insert the same envelopes, one plain transaction each."""
    with UnitOfWork(node, write=False) as uow:
        rows = uow.conn.execute(T.events.select().order_by(T.events.c.id)).all()
    envelopes = [Envelope.from_dict(json.loads(r.envelope)) for r in rows if r.type.startswith(
        ("order.", "delivery.", "receipt."))]
    engine = make_engine(f"sqlite:///{path}")
    table = Table("events", MetaData(), Column("id", Integer, primary_key=True),
                  Column("hash", String(64)), Column("sig", String(100)),
                  Column("envelope", Text))
    table.metadata.create_all(engine)
    key = NodeKey.generate()
    start, cpu = time.perf_counter(), time.process_time()
    for envelope in envelopes:
        signed = seal(envelope, key)
        with engine.begin() as conn:
            conn.execute(insert(table).values(hash=signed.hash, sig=signed.to_wire()["sig"],
                                              envelope=envelope.canonical().decode()))
    seconds = time.perf_counter() - start
    CPU["floor"] = len(envelopes) / (time.process_time() - cpu)
    engine.dispose()
    return len(envelopes) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=150, help="orders in the lifecycle run")
    parser.add_argument("--orders", default="10000,100000",
                        help="orders in the ledgers of part 2, comma-separated")
    parser.add_argument("--postgres", default=None,
                        help="also run part 2's acsa commands on a PostgreSQL copy (URL)")
    parser.add_argument("--compare", default=None,
                        help="also run part 2's acsa commands from another source tree (its "
                        "src), on a copy of the node")
    parser.add_argument("--repeats", type=int, default=7, help="rounds of each measurement")
    parser.add_argument("--skip", default="",
                        help="references part 2 leaves out, comma-separated (ledger, "
                        "beancount, hledger): hledger needs ~22 GB at 1,000,000 orders")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help="which measurements, comma-separated")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
                               "machine": f"{os.cpu_count()} cores"}
    if "lifecycle" in parts:
        show_lifecycle(args.events, results)
    if parts & {"reports", "balances"}:
        skip = frozenset(r for r in args.skip.split(",") if r)
        show_reports([int(n) for n in args.orders.split(",")], args.repeats, args.postgres,
                     results, args.compare, skip)
    if "startup" in parts:
        print("3. start-up: a report on an empty node against a bare Python …", flush=True)
        results["startup"] = startup(rounds=3 * args.repeats)
        show_startup(results["startup"])
    sizes = [int(n) for n in args.orders.split(",")]
    for part in ("rebuild", "reconcile", "sync", "api"):
        if part in parts:
            for command in _commands(part, sizes, args.postgres):
                print(f"{PARTS.index(part) + 1}. {part}: {' '.join(command[2:])}", flush=True)
                subprocess.run(command, check=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print(f"written to {OUT / 'results.json'}")


PARTS = ("lifecycle", "reports", "startup", "rebuild", "reconcile", "sync", "api")


def _commands(part: str, sizes: list[int], postgres: str | None) -> list[list[str]]:
    """The processes of part 4–7 at each ledger size of part 2 (their data sets shared)."""
    py = [sys.executable, "-m"]
    if part == "rebuild":
        return [[*py, "bench.rebuild_verify", "--orders", str(n)] for n in sizes]
    if part == "reconcile":
        return [[*py, "bench.reconcile_cost", "--sizes", *map(str, sizes), "--dataset",
                 str(OUT / f"dataset-{min(sizes)}")]]
    if part == "sync":
        return [[*py, "bench.sync_rate"]]
    pg = ["--postgres", postgres] if postgres else ["--engines", "sqlite"]
    return [[*py, "bench.api_load", "--orders", str(min(sizes)), *pg]]


def show_lifecycle(events: int, results: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(f"1. lifecycle: {events} orders × 4 events through the services …", flush=True)
        results["lifecycle"] = lifecycle(events, Path(tmp))
    life = results["lifecycle"]
    print(f"   service layer  {life['service_events_per_s']:8.1f} signed events/s")
    for phase, rate in life["phases_events_per_s"].items():
        print(f"     {phase:<24}{rate:8.1f} events/s")
    print(f"   bare floor     {life['floor_events_per_s']:8.1f} events/s "
          f"(sign + hash + insert, one transaction each)")
    print(f"   ratio floor/service = {life['ratio_floor_to_service']:.1f}×")
    print(f"   per processor second: service {life['service_events_per_cpu_s']:.1f}, floor "
          f"{life['floor_events_per_cpu_s']:.1f} events (service = "
          f"{100 * life['service_events_per_cpu_s'] / life['floor_events_per_cpu_s']:.0f} % "
          f"of the floor)")


def show_reports(sizes: list[int], repeats: int, postgres: str | None,
                 results: dict[str, Any], compare: str | None = None,
                 skip: frozenset[str] = frozenset()) -> None:
    for n in sizes:
        print(f"2. reports on {n} orders: acsa report balances and aging (every order, and "
              f"a reader limited by need to know) against ledger, beancount, hledger …",
              flush=True)
        result = reports(n, repeats, OUT, postgres, compare, skip)
        results.setdefault("reports", {})[str(n)] = result
        (OUT / f"reports-{n}.json").write_text(json.dumps(result, indent=2))
        show_report_lines(result)


if __name__ == "__main__":
    main()

"""``make bench``: measurements side by side in one run, printed as ratios.

1. Signed lifecycle events per second through the service layer (submit,
   accept, deliver, receive — each judged, signed, appended, projected, one
   transaction each) against this run's bare floor: canonical JSON, SHA-256,
   an Ed25519 signature and one plain INSERT of the same row per transaction,
   on the same SQLite settings (WAL, synchronous=FULL).
2. ``acsa report balances`` and ``acsa report aging`` on a ledger of N orders
   against ``ledger balance`` (Debian's ledger) on the journal ``acsa export
   --format ledger`` writes, all as whole commands, interleaved, medians.
3. A command's start-up (``bench/startup.py``): ``acsa report balances`` on an
   empty node against a bare ``python -c pass``, interleaved, medians.

``--parts`` chooses among them (``lifecycle,balances,startup``; all by default).

Figures are written to bench/out/results.json and printed; docs/benchmarks.md
explains the method. These are measurements, never assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
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
from bench.dataset import build
from bench.startup import one_run, startup
from bench.startup import show as show_startup

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


def run_cli(args: list[str], env: dict[str, str], stdout: Any = subprocess.DEVNULL) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, stdout=stdout, check=True)
    return time.perf_counter() - start


def reports_vs_ledger(n: int, repeats: int) -> dict[str, Any]:
    """``acsa report balances`` and ``acsa report aging`` against ``ledger balance`` on the
    journal ``acsa export --format ledger`` writes of the same books: whole commands in
    fresh processes, one of each per round, medians over the rounds."""
    directory = OUT / f"dataset-{n}"
    directory.mkdir(parents=True, exist_ok=True)
    node = build(directory, n, log=lambda m: print(m, flush=True))
    node.engine.dispose()
    # The books as JPN's finance officer reads them: every order of the data set. Compiled
    # modules are kept, as an installed package keeps them.
    env = {**os.environ, "ACSA_DATA_DIR": str(directory / "jpn"), "ACSA_USER": "jpn.finance"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    acsa = [sys.executable, "-m", "acsa"]
    journal = directory / "journal.ledger"
    with journal.open("w") as out:
        export_seconds = run_cli([*acsa, "export", "--format", "ledger"], env, stdout=out)
    result: dict[str, Any] = {"orders": n, "acsa_export_ledger_s": export_seconds,
                              "journal_bytes": journal.stat().st_size, "rounds": repeats}
    lines = {"acsa report balances": [*acsa, "report", "balances"],
             "acsa report aging": [*acsa, "report", "aging"]}
    ledger = shutil.which("ledger")
    if ledger is None:
        result["ledger"] = "not installed (Debian package `ledger`)"
    else:
        lines["ledger balance"] = [ledger, "-f", str(journal), "balance"]
    for argv in lines.values():  # compiles what is not compiled yet; not counted
        one_run(argv, env)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in lines}
    for _ in range(repeats):
        for name, argv in lines.items():
            runs[name].append(one_run(argv, env))
    result["median_s"] = {name: statistics.median(w for w, _ in r) for name, r in runs.items()}
    result["median_cpu_s"] = {name: statistics.median(c for _, c in r)
                              for name, r in runs.items()}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=150, help="orders in the lifecycle run")
    parser.add_argument("--orders", type=int, default=100_000, help="orders in the ledger")
    parser.add_argument("--repeats", type=int, default=7, help="rounds of each measurement")
    parser.add_argument("--parts", default="lifecycle,balances,startup",
                        help="which measurements, comma-separated")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
                               "machine": f"{os.cpu_count()} cores"}
    if "lifecycle" in parts:
        show_lifecycle(args.events, results)
    if "balances" in parts:
        show_balances(args.orders, args.repeats, results)
    if "startup" in parts:
        print("3. start-up: a report on an empty node against a bare Python …", flush=True)
        results["startup"] = startup(rounds=3 * args.repeats)
        show_startup(results["startup"])
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print(f"written to {OUT / 'results.json'}")


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


def show_balances(orders: int, repeats: int, results: dict[str, Any]) -> None:
    print(f"2. reports on {orders} orders: acsa report balances and aging vs ledger balance …",
          flush=True)
    results["balances"] = reports_vs_ledger(orders, repeats)
    bal = results["balances"]
    print(f"   {'':<24}{'acsa':>8}{'ledger':>8}{'ledger/acsa':>13}")
    for label, key in (("wall s", "median_s"), ("cpu s", "median_cpu_s")):
        median = bal[key]
        reference = median.get("ledger balance")
        for name in ("acsa report balances", "acsa report aging"):
            if reference is None:
                print(f"   {name:<24}{median[name]:8.3f}  {label} (ledger is not installed)")
            else:
                print(f"   {name:<24}{median[name]:8.3f}{reference:8.3f}"
                      f"{reference / median[name]:12.1f}×  {label}")
    print(f"   (medians of {bal['rounds']} interleaved rounds; ledger balance on a "
          f"{bal['journal_bytes'] / 1e6:.1f} MB journal, exported in "
          f"{bal['acsa_export_ledger_s']:.1f} s)")

if __name__ == "__main__":
    main()

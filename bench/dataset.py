"""A large, valid ledger for benchmarks: a Japanese node with two partners and N orders.

The nodes (JPN, PHL, USA) are set up through the services (adoption, units,
appointments, peers, bundles, two activities, one cleared reader). The
orders' events are then written by :mod:`bench.dataset_mix` exactly as the
nodes would sign them — each in its party's stream, with its chain link,
parent and appointment — one process per agreement (JPN–PHL and JPN–USA,
whose streams never name each other's events), and stored in the Japanese
node's log a chunk at a time, one transaction a chunk, as they come: nothing
holds every order. The projections are then rebuilt from the log by the
node's own rebuild. Every event is genuine: ``acsa verify`` passes.

    PYTHONPATH=src:. python -m bench.dataset --orders 10000 [--dir bench/out] [--workers 2]

prints the time, the peak RSS of the generator and of its workers, and the
size of the database, and writes them to ``<dir>/dataset-N/build.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from acsa.bootstrap import init_node, open_node
from acsa.config import Settings
from acsa.devtools.world import exchange, in_force_profile, introduce, staff_node, user_id
from acsa.domain.parties import Role
from acsa.events import CompactRange
from acsa.services import admin, admin_views, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import rebuild_projections
from acsa.store import tables as T
from bench.dataset_mix import OPERATION, RELIEF, SECRET, Chain, Writer
from bench.dataset_mix import orders as write_orders

AGREEMENTS = {"JPN-PHL-ACSA": "PHL", "JPN-USA-ACSA": "USA"}
CHUNK = 2000  # orders per chunk: one transaction, one message from a worker
# Readers of the reports: the finance officer, cleared and assigned to the classified
# orders' operation, reads every order; the auditor, not cleared, reads all but those.
READER, LIMITED_READER = "jpn.finance", "jpn.auditor"
Log = Callable[[str], None]


def build(directory: Path, orders: int, *, log: Log = print, workers: int = 2) -> Node:
    """Create (or reuse) the data set in ``directory``; returns the JPN node."""
    marker = directory / f"complete-{orders}"
    settings = Settings(data_dir=directory / "jpn")
    if marker.exists():
        return open_node(settings)
    started, cpu = time.perf_counter(), time.process_time()
    jpn = setup(directory)
    split = {a: orders // len(AGREEMENTS) + (1 if i < orders % len(AGREEMENTS) else 0)
             for i, a in enumerate(AGREEMENTS)}
    writers = {a: _writer(jpn, a, directory) for a in AGREEMENTS}
    stored = _store(jpn, writers, split, workers, log)
    generated = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    generated_cpu = time.process_time() - cpu + children.ru_utime + children.ru_stime
    log(f"  signed and stored {stored['events']} events for {orders} orders in "
        f"{generated:.1f} s ({generated_cpu:.1f} s CPU, workers included)")
    t0, cpu0 = time.perf_counter(), time.process_time() + _children_cpu()
    with UnitOfWork(jpn) as uow:
        rebuild_projections(uow, workers=workers)
        uow.commit()
    rebuilt = time.perf_counter() - t0
    rebuilt_cpu = time.process_time() + _children_cpu() - cpu0
    log(f"  rebuilt the projections in {rebuilt:.1f} s ({rebuilt_cpu:.1f} s CPU, {workers} "
        f"worker(s))")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    db = directory / "jpn" / "acsa.db"
    figures = {
        "orders": orders, "events": stored["events"], "workers": workers,
        "generate_and_store_s": generated, "generate_and_store_cpu_s": generated_cpu,
        "rebuild_s": rebuilt, "rebuild_cpu_s": rebuilt_cpu,
        "total_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu + children.ru_utime + children.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024, "workers_peak_rss_mb": children.ru_maxrss / 1024,
        "database_bytes": _size(db), "mix": stored["mix"],
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }
    (directory / "build.json").write_text(json.dumps(figures, indent=2))
    log(f"  peak RSS {figures['peak_rss_mb']:.0f} MB (workers {figures['workers_peak_rss_mb']:.0f}"
        f" MB each at most); database {figures['database_bytes'] / 1e6:.0f} MB")
    marker.write_text(str(stored["events"]))
    return jpn


def _children_cpu() -> float:
    """Processor seconds of the worker processes that have ended."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def _size(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def setup(directory: Path) -> Node:
    """Three staffed nodes introduced to each other through the services; returns JPN's."""
    jpn = init_node(Settings(data_dir=directory / "jpn"), "JPN")
    staff_node(jpn, list(AGREEMENTS))
    for agreement, party in AGREEMENTS.items():
        partner = init_node(Settings(data_dir=directory / party.lower()), party)
        staff_node(partner, [agreement])
        introduce(jpn, partner)
        exchange(jpn, partner, directory / "bundles")
        partner.engine.dispose()
    with UnitOfWork(jpn) as uow:
        boss = users.get_user(uow, user_id("JPN", Role.ADMINISTRATOR))
        for agreement in AGREEMENTS:
            for activity, name, kind in ((OPERATION, "Operation Kestrel", "bilateral_training"),
                                         (RELIEF, "Typhoon Nina relief", "hadr")):
                admin.register_activity(uow, boss, agreement=agreement,
                                        activity_id=activity, name=name, type=kind,
                                        starts_on=date(2026, 2, 1))
        uow.commit()
    with UnitOfWork(jpn) as uow:
        security = users.get_user(uow, user_id("JPN", Role.SECURITY_OFFICER))
        admin_views.set_clearance(uow, security, READER, SECRET["JPN"])
        admin_views.assign(uow, security, READER, [OPERATION])
        uow.commit()
    return jpn


def _writer(jpn: Node, agreement: str, directory: Path) -> Writer:
    partner = AGREEMENTS[agreement]
    keys = {"JPN": jpn.key, partner: open_node(Settings(data_dir=directory / partner.lower())
                                               ).key}
    with UnitOfWork(jpn, write=False) as uow:
        chains = {}
        for party in ("JPN", partner):
            head = uow.conn.execute(T.streams.select().where(
                T.streams.c.stream == f"{agreement}/{party}")).mappings().one()
            chains[party] = Chain(head["stream"], keys[party], head["head_seq"],
                                  head["head_hash"], CompactRange.from_list(
                                      json.loads(head["compact_range"]),
                                      size=head["head_seq"]))
        roster = {}
        for party in ("JPN", partner):
            for a in uow.context.roster(f"{agreement}/{party}").appointments.values():
                roster[(a.party, a.role.value)] = a.id
    return Writer(in_force_profile(agreement), partner, chains, roster)


def _work(agreement: str, writer: Writer, count: int, queue: Any) -> None:
    """A worker: one agreement's orders, a chunk at a time onto ``queue``."""
    for rows, links in write_orders(writer, count, CHUNK // 2):
        queue.put(("rows", agreement, rows, links))
    heads = {p: (c.seq, c.prev, c.tree.to_list()) for p, c in writer.chains.items()}
    queue.put(("done", agreement, heads, writer.counts, writer.counters))


def _store(jpn: Node, writers: dict[str, Writer], split: dict[str, int], workers: int,
           log: Log) -> dict[str, Any]:
    """Write every agreement's orders, in worker processes when ``workers`` > 1, storing
    each chunk as it arrives; returns the count of events and the mix."""
    with UnitOfWork(jpn, write=False) as uow:
        next_id = int(uow.conn.execute(select(func.max(T.events.c.id))).scalar_one() or 0) + 1
    state = {"next_id": next_id, "events": 0, "mix": {}, "chunks": 0}

    def store(message: tuple[Any, ...]) -> bool:
        kind, agreement = message[0], message[1]
        with jpn.engine.begin() as conn:
            if kind == "rows":
                rows, links = message[2], message[3]
                base = state["next_id"]
                conn.execute(insert(T.events), [{**r, "id": base + i}
                                                for i, r in enumerate(rows)])
                if links:
                    conn.execute(insert(T.event_orders), [
                        {"event_id": base + i, "order_number": o} for i, o in links])
                state["next_id"] += len(rows)
                state["events"] += len(rows)
                state["chunks"] += 1
                if state["chunks"] % 25 == 0:
                    log(f"    {state['events']} events stored")
                return False
            for party, (seq, prev, tree) in message[2].items():
                conn.execute(update(T.streams).where(
                    T.streams.c.stream == f"{agreement}/{party}").values(
                    head_seq=seq, head_hash=prev, compact_range=json.dumps(tree)))
            # The Japanese node numbers its next order after the data set's.
            for key, value in message[4].items():
                if "/JPN/" in key:
                    conn.execute(delete(T.node_info).where(T.node_info.c.key == key))
                    conn.execute(insert(T.node_info).values(key=key, value=value))
            for what, n in message[3].items():
                state["mix"][what] = state["mix"].get(what, 0) + n
            return True

    if workers <= 1:
        for agreement, writer in writers.items():
            _work(agreement, writer, split[agreement], _Direct(store))
        return state
    context = mp.get_context("fork")
    channel = context.Queue(maxsize=4)
    processes = [context.Process(target=_work, args=(a, w, split[a], channel), daemon=True)
                 for a, w in writers.items()]
    jpn.engine.dispose()  # no connection crosses the fork
    for p in processes:
        p.start()
    finished = 0
    while finished < len(processes):
        finished += store(channel.get())
    for p in processes:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"a worker failed (exit code {p.exitcode})")
    return state


class _Direct:
    """The queue of a build without workers: each chunk stored as it is put."""

    def __init__(self, store: Callable[[tuple[Any, ...]], bool]) -> None:
        self.store = store

    def put(self, message: tuple[Any, ...]) -> None:
        self.store(message)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    directory = args.dir / f"dataset-{args.orders}"
    directory.mkdir(parents=True, exist_ok=True)
    build(directory, args.orders, log=lambda m: print(m, flush=True),
          workers=args.workers).engine.dispose()
    print(json.dumps(json.loads((directory / "build.json").read_text()), indent=2))


if __name__ == "__main__":
    main()

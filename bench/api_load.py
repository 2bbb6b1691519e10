"""The API under load: 32 clients over real HTTP on loopback, against a bare endpoint.

A node from :mod:`bench.dataset` is served by ``acsa serve``'s own app and server
(uvicorn, the same middleware and thread pool; :mod:`bench.api_server`), on SQLite
with one worker and on PostgreSQL (the same rows copied) with several. A bounded
load generator (``httpx.AsyncClient``, exactly ``--clients`` requests in flight,
each phase a fixed number of seconds) drives, in interleaved rounds:

- ``bare`` — ``GET /bench/bare``, a trivial route on the same stack: the floor;
- ``list`` — ``GET /api/v1/orders?limit=50`` (the first page, newest first);
- ``page`` — ``GET /api/v1/orders/{number}``, a random order each time;
- ``accept`` — ``POST /api/v1/orders/{number}/accept`` on orders submitted and
  waiting, each accepted once (the phase ends early if none are left);
- ``bare-write`` — ``POST /bench/bare-write``, one row in one transaction.

The API requests carry an API token of the supplier's approving official, as an
API client would. Each line gives requests/s, p50/p95/p99 latency, errors, the
server's processor time per request, and the ratios to ``bare`` (medians over
rounds); after the load, each worker's resident memory (now and peak).

    PYTHONPATH=src:. python -m bench.api_load [--orders 10000] [--seconds 10] [--rounds 3]
        [--postgres URL] [--pg-workers 2] [--engines sqlite,postgresql] [--profile]
        [--compare /path/to/older/src]

A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from acsa.bootstrap import open_node
from acsa.config import Settings
from acsa.devtools.serving import Served, environment, free_port, wait_ready
from acsa.devtools.world import user_id
from acsa.domain.parties import Role
from acsa.services import auth, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from bench.api_list import copy_to_postgres
from bench.dataset import build

OUT = Path("bench/out/api-load")
ENDPOINTS = ("bare", "list", "page", "accept", "bare-write")
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Target:
    """A prepared node to serve: where it is, and what the clients will ask of it."""

    engine: str
    label: str  # "now", or "before" for the source tree given with --compare
    pythonpath: str
    data_dir: Path
    database_url: str | None
    workers: int
    token: str
    numbers: list[str]
    submitted: list[tuple[str, str]]  # (number, head) of orders waiting for acceptance


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)  # seconds
    errors: int = 0
    samples: list[str] = field(default_factory=list)  # the first errors, for the reader
    seconds: float = 0.0
    server_cpu: float = 0.0  # seconds of every worker
    client_cpu: float = 0.0  # seconds of the load generator (this process)

    def stats(self) -> dict[str, float]:
        ordered = sorted(self.latencies)
        n = len(ordered)

        def q(p: float) -> float:
            return ordered[max(0, math.ceil(p * n) - 1)] * 1000 if n else float("nan")

        return {"n": n, "rps": n / self.seconds if self.seconds else 0.0, "p50": q(0.50),
                "p95": q(0.95), "p99": q(0.99), "errors": self.errors,
                "cpu_ms": self.server_cpu / n * 1000 if n else float("nan"),
                "client_cpu_ms": self.client_cpu / n * 1000 if n else float("nan")}


# -- the node ------------------------------------------------------------------------------


def prepare(engine: str, label: str, pythonpath: str, source_dir: Path, work: Path,
            postgres: str | None, workers: int) -> Target:
    """A fresh copy of the dataset's node for one engine, with a token and its orders."""
    work = work / label
    if engine == "sqlite":
        data_dir = work / "jpn-sqlite"
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.copytree(source_dir, data_dir)
        node = open_node(Settings(data_dir=data_dir))
        url = None
    else:
        assert postgres, "--postgres URL needed for postgresql"
        source = open_node(Settings(data_dir=source_dir))
        node = copy_to_postgres(source, postgres, work, suffix=f"api_load_{label}")
        source.engine.dispose()
        data_dir = node.data_dir
        url = node.engine.url.render_as_string(hide_password=False)
    try:
        token = _token(node)
        with UnitOfWork(node, write=False) as uow:
            o = T.orders.c
            numbers = list(uow.conn.execute(select(o.number).order_by(o.number)).scalars())
            submitted = [(r.number, r.head) for r in uow.conn.execute(
                select(o.number, o.head).where(o.status == "submitted", o.supplier == "JPN")
                .order_by(o.number))]
    finally:
        node.engine.dispose()
    return Target(engine, label, pythonpath, data_dir, url, workers, token, numbers, submitted)


def _token(node: Node) -> str:
    """An API token (read, act) of the supplier's approving official."""
    with UnitOfWork(node) as uow:
        official = users.get_user(uow, user_id(node.party, Role.APPROVING_OFFICIAL))
        secret = auth.create_token(uow, official, user_id=official.id, name="load",
                                   scopes=["read", "act"]).secret
        uow.commit()
    return secret


# -- the server ----------------------------------------------------------------------------


def serve(target: Target, logs: Path, profile: Path | None) -> Served:
    port = free_port()
    extra = {"ACSA_SYNC": "false"}
    if profile is not None:
        profile.mkdir(parents=True, exist_ok=True)
        extra["ACSA_BENCH_PROFILE"] = str(profile.resolve())
    env = environment(target.data_dir, target.database_url, extra)
    env["PYTHONPATH"] = target.pythonpath
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"serve-{target.engine}-{target.label}.log"
    with log.open("wb") as handle:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.api_server", str(port), str(target.workers)],
            env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    served = Served(proc, port, log)
    wait_ready(served)
    return served


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def workers_of(served: Served) -> list[int]:
    """The processes that serve requests: uvicorn's workers, or the one process."""
    found = [c for c in _children(served.proc.pid)
             if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
    return found or [served.proc.pid]


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def memory(pid: int) -> dict[str, int]:
    """Resident memory now and at its peak, in kB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


# -- the load ------------------------------------------------------------------------------

Request = Callable[[httpx.AsyncClient], Awaitable[httpx.Response] | None]


def requests_for(target: Target, rng: random.Random) -> dict[str, Request]:
    bearer = {"Authorization": f"Bearer {target.token}"}
    waiting = list(target.submitted)

    def bare(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return c.get("/bench/bare")

    def order_list(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return c.get("/api/v1/orders", params={"limit": 50}, headers=bearer)

    def page(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return c.get(f"/api/v1/orders/{rng.choice(target.numbers)}", headers=bearer)

    def accept(c: httpx.AsyncClient) -> Awaitable[httpx.Response] | None:
        if not waiting:
            return None
        number, head = waiting.pop(0)
        return c.post(f"/api/v1/orders/{number}/accept", json={"supplying_unit": "JMSDF-ESF1"},
                      headers={**bearer, "If-Match": f'"{head}"'})

    def bare_write(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return c.post("/bench/bare-write")

    return {"bare": bare, "list": order_list, "page": page, "accept": accept,
            "bare-write": bare_write}


async def drive(base: str, request: Request, clients: int, seconds: float,
                pids: list[int]) -> Phase:
    """``clients`` loops, each one request in flight, until ``seconds`` have passed."""
    phase = Phase()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        deadline = time.perf_counter() + seconds

        async def one_client() -> None:
            while time.perf_counter() < deadline:
                sent = request(client)
                if sent is None:
                    return
                t0 = time.perf_counter()
                try:
                    answer = await sent
                    ok = answer.status_code < 400
                    detail = f"{answer.status_code} {answer.text[:200]}"
                except httpx.HTTPError as exc:
                    ok, detail = False, f"{type(exc).__name__}: {exc}"
                phase.latencies.append(time.perf_counter() - t0)
                if not ok:
                    phase.errors += 1
                    if len(phase.samples) < 3:
                        phase.samples.append(detail)

        cpu0, own0, t0 = cpu_seconds(pids), time.process_time(), time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        phase.seconds = time.perf_counter() - t0
        phase.server_cpu = cpu_seconds(pids) - cpu0
        phase.client_cpu = time.process_time() - own0
    return phase


def measure(targets: list[Target], args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Every endpoint on every target's server, in interleaved rounds."""
    servers: list[tuple[Target, Served, list[int], dict[str, Request]]] = []
    endpoints = [e for e in ENDPOINTS if e in args.endpoints]
    rounds: dict[str, dict[str, list[dict[str, float]]]] = {
        t.label: {e: [] for e in endpoints} for t in targets}
    rss: dict[str, list[dict[str, int]]] = {}
    try:
        for t in targets:
            profile = work / f"profile-{t.engine}-{t.label}" if args.profile else None
            served = serve(t, work / "logs", profile)
            servers.append((t, served, workers_of(served), requests_for(t, random.Random(15))))
        for _t, served, pids, make in servers:
            for name in endpoints:  # warm-up: connections, caches, the first imports
                asyncio.run(drive(served.url(""), make[name], args.clients, 1.0, pids))
        for r in range(args.rounds):
            for name in endpoints:
                for t, served, pids, make in servers:
                    phase = asyncio.run(drive(served.url(""), make[name], args.clients,
                                              args.seconds, pids))
                    stats = phase.stats()
                    rounds[t.label][name].append(stats)
                    print(f"  {t.engine} {t.label} round {r + 1} {name:10} "
                          f"{stats['rps']:8.1f}/s p50 {stats['p50']:7.1f} p99 "
                          f"{stats['p99']:7.1f} ms cpu {stats['cpu_ms']:6.2f} ms/req (client "
                          f"{stats['client_cpu_ms']:.2f}) errors {phase.errors}"
                          + (f" e.g. {phase.samples[0]}" if phase.samples else ""), flush=True)
        for t, _, pids, _ in servers:
            rss[t.label] = [memory(pid) for pid in pids]
    finally:
        for _, served, _, _ in servers:
            served.stop()
    out: dict[str, Any] = {}
    for t in targets:
        summary = {name: {k: statistics.median(s[k] for s in found) for k in found[0]}
                   for name, found in rounds[t.label].items() if found}
        out[t.label] = {"workers": t.workers, "rounds": rounds[t.label], "median": summary,
                        "rss_kb": rss.get(t.label, []),
                        "profile": str(work / f"profile-{t.engine}-{t.label}")
                        if args.profile else None}
    return out


# -- the report ----------------------------------------------------------------------------


def report(engine: str, label: str, result: dict[str, Any], clients: int) -> None:
    median = result["median"]
    bare = median.get("bare")
    print(f"\n{engine} ({label}), {result['workers']} worker(s), {clients} clients "
          "(medians of rounds; ms):")
    print(f"{'endpoint':12}{'req/s':>9}{'p50':>9}{'p95':>9}{'p99':>9}{'p99/bare':>10}"
          f"{'rate/bare':>11}{'cpu ms/req':>12}{'errors':>8}")
    for name, s in median.items():
        ratio = f"{s['p99'] / bare['p99']:9.2f}×" if bare else ""
        rate = f"{s['rps'] / bare['rps'] * 100:9.1f} %" if bare else ""
        print(f"{name:12}{s['rps']:9.1f}{s['p50']:9.1f}{s['p95']:9.1f}{s['p99']:9.1f}"
              f"{ratio:>10}{rate:>11}{s['cpu_ms']:12.2f}{int(s['errors']):8d}")
    for m in result["rss_kb"]:
        print(f"  worker RSS {m.get('VmRSS', 0) / 1024:.0f} MB, "
              f"peak {m.get('VmHWM', 0) / 1024:.0f} MB")
    if result["profile"]:
        _print_profile(Path(result["profile"]))


def _print_profile(directory: Path) -> None:
    import pstats

    files = sorted(str(p) for p in directory.glob("worker-*.pstats"))
    if not files:
        print(f"  (no profile written under {directory})")
        return
    stats = pstats.Stats(*files)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--postgres", default=None, help="A PostgreSQL URL to measure too.")
    parser.add_argument("--pg-workers", type=int, default=2)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS))
    parser.add_argument("--profile", action="store_true",
                        help="Profile the workers with yappi (slows them; ratios then mean "
                             "little) and print the top entries.")
    parser.add_argument("--compare", default=None, metavar="SRC",
                        help="Another source tree's src/ (an older release): its server runs "
                             "beside this one's, in the same rounds.")
    parser.add_argument("--dir", type=Path, default=OUT)
    args = parser.parse_args()
    args.endpoints = args.endpoints.split(",")
    directory: Path = args.dir / str(args.orders)
    directory.mkdir(parents=True, exist_ok=True)
    print(f"building or reusing {args.orders} orders in {directory} …", flush=True)
    build(directory, args.orders, log=print).engine.dispose()
    print(f"load average before: {Path('/proc/loadavg').read_text().strip()}", flush=True)
    results: dict[str, Any] = {}
    here = os.environ.get("PYTHONPATH", "src:.")
    sources = [("now", here)]
    if args.compare:
        sources.insert(0, ("before", f"{args.compare}:."))
    for engine in args.engines.split(","):
        if engine == "postgresql" and not args.postgres:
            continue
        workers = 1 if engine == "sqlite" else args.pg_workers
        targets = [prepare(engine, label, path, directory / "jpn", directory / "load",
                           args.postgres, workers) for label, path in sources]
        print(f"{engine}: {len(targets[0].numbers)} orders, {len(targets[0].submitted)} "
              "waiting for acceptance", flush=True)
        results[engine] = measure(targets, args, directory / "load")
        print(f"load average after {engine}: {Path('/proc/loadavg').read_text().strip()}")
        for label, result in results[engine].items():
            report(engine, label, result, args.clients)
    (directory / "api_load.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""Killing writers at random moments and checking what survives.

A *run* is one node (SQLite, or a PostgreSQL database of its own) that a
writer is started on, killed with SIGKILL after a random delay, and started
again, ``kills`` times. After every kill the harness opens the node afresh
and checks that every acknowledged write is there, that every stream is
gapless from seq 1, and that ``verify`` finds nothing (the chain, every
signature, and the projections equal to a fresh fold); at the end of a run
the real ``acsa verify`` command must pass too. A run starts a new node every
``NODE_LIFE`` kills so that each check verifies a log of modest size.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Connection, make_url

from acsa.bootstrap import init_node, open_node
from acsa.config import Settings
from acsa.devtools.world import staff_node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import verify_node
from acsa.store import tables as T

WRITER = Path(__file__).with_name("writer.py")
NODE_LIFE = 10  # kills on one node before the next run starts a new one
DELAY_S = (0.05, 1.2)  # how long a writer lives after it is ready, at random


@dataclass
class Acknowledged:
    """What a writer said it had written, read from its output."""

    events: set[str] = field(default_factory=set)
    drafts: set[int] = field(default_factory=set)
    orders: set[str] = field(default_factory=set)

    @property
    def count(self) -> int:
        return len(self.events) + len(self.drafts) + len(self.orders)

    def take(self, line: str) -> None:
        kind, _, value = line.strip().partition(" ")
        if kind == "event":
            self.events.add(value)
        elif kind == "draft":
            self.drafts.add(int(value))
        elif kind == "order":
            self.orders.add(value)


@dataclass
class Tally:
    kills: int = 0
    acknowledged: int = 0
    nodes: int = 0


class Engine:
    """Where a run's nodes keep their data: a SQLite file, or new PostgreSQL databases."""

    def __init__(self, kind: str, base: Path, postgres_url: str | None) -> None:
        self.kind, self.base, self.postgres_url = kind, base, postgres_url
        self.databases: list[str] = []

    def new_node(self, name: str) -> Settings:
        url = None
        if self.kind == "postgresql":
            assert self.postgres_url
            db = f"acsa_crash_{uuid.uuid4().hex[:12]}"
            with self._admin() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{db}"')
            self.databases.append(db)
            url = make_url(self.postgres_url).set(database=db).render_as_string(
                hide_password=False)
        settings = Settings(data_dir=self.base / name, database_url=url)
        node = init_node(settings, "PHL")
        staff_node(node, ["JPN-PHL-ACSA"])
        node.engine.dispose()
        return settings

    def settle(self, settings: Settings) -> None:
        """On PostgreSQL, wait until the killed client's backend has finished: a COMMIT
        sent just before the kill may still land, and the check must see it."""
        if self.kind != "postgresql":
            return
        db = make_url(settings.database_url or "").database
        deadline = time.monotonic() + 30
        with self._admin() as conn:
            while time.monotonic() < deadline:
                busy = conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :db "
                    "AND pid <> pg_backend_pid()"), {"db": db}).scalar_one()
                if not busy:
                    return
                time.sleep(0.05)
        raise AssertionError(f"backends of {db} still running 30 s after the kill")

    @contextmanager
    def _admin(self) -> Iterator[Connection]:
        engine = create_engine(self.postgres_url or "", isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()

    def drop_all(self) -> None:
        for db in self.databases:
            with self._admin() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def environment(settings: Settings) -> dict[str, str]:
    env = {**os.environ, "ACSA_DATA_DIR": str(settings.data_dir)}
    env.pop("ACSA_DATABASE_URL", None)
    if settings.database_url:
        env["ACSA_DATABASE_URL"] = settings.database_url
    return env


def check(settings: Settings, acked: Acknowledged) -> None:
    """Every acknowledged write present, every stream gapless, verify clean."""
    node = open_node(settings)
    try:
        with UnitOfWork(node) as uow:
            hashes = set(uow.conn.execute(select(T.events.c.hash)).scalars())
            missing = acked.events - hashes
            assert not missing, f"{len(missing)} acknowledged events lost: {sorted(missing)[:3]}"
            drafts = set(uow.conn.execute(select(T.drafts.c.id)).scalars())
            assert acked.drafts <= drafts, f"drafts lost: {sorted(acked.drafts - drafts)}"
            numbers = set(uow.conn.execute(select(T.orders.c.number)).scalars())
            assert acked.orders <= numbers, f"orders lost: {sorted(acked.orders - numbers)}"
            seqs: dict[str, list[int]] = {}
            for stream, seq in uow.conn.execute(
                    select(T.events.c.stream, T.events.c.seq)
                    .order_by(T.events.c.stream, T.events.c.seq)):
                seqs.setdefault(stream, []).append(seq)
            for stream, held in seqs.items():
                assert held == list(range(1, len(held) + 1)), f"gap in {stream}"
            report = verify_node(uow)
            assert report.ok, [str(f) for f in report.findings[:5]]
    finally:
        node.engine.dispose()


def acsa_verify(settings: Settings) -> str:
    done = subprocess.run([sys.executable, "-m", "acsa", "verify"], env=environment(settings),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def read_lines(stream: IO[str], acked: Acknowledged) -> None:
    for line in iter(stream.readline, ""):
        acked.take(line)


Writer = Callable[[Settings, Acknowledged, random.Random], None]


def first_write(acked: Acknowledged, proc: subprocess.Popen[str]) -> None:
    """Wait until the writer has acknowledged a write: it is under way."""
    before = acked.count
    deadline = time.monotonic() + 60
    while acked.count == before and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the writer exited by itself"
    assert acked.count > before, "the writer acknowledged nothing in 60 s"


def kill_after(proc: subprocess.Popen[str], rng: random.Random) -> None:
    time.sleep(rng.uniform(*DELAY_S))
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)


def service_writer(settings: Settings, acked: Acknowledged, rng: random.Random) -> None:
    """The service layer in a process of its own, killed mid-act."""
    proc = subprocess.Popen([sys.executable, str(WRITER), str(settings.data_dir),
                             *([settings.database_url] if settings.database_url else [])],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    reader = threading.Thread(target=read_lines, args=(proc.stdout, acked))
    reader.start()
    try:
        first_write(acked, proc)
        kill_after(proc, rng)
        reader.join(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()


def run(engine: Engine, writer: Writer, kills: int, seed: int) -> Tally:
    """``kills`` kills of ``writer``, a check after each, ``acsa verify`` on each node."""
    rng = random.Random(seed)
    tally = Tally()
    settings: Settings | None = None
    acked = Acknowledged()
    for k in range(kills):
        if k % NODE_LIFE == 0:
            if settings is not None:
                acsa_verify(settings)
                tally.acknowledged += acked.count
            settings, acked = engine.new_node(f"node{tally.nodes}"), Acknowledged()
            tally.nodes += 1
        assert settings is not None
        writer(settings, acked, rng)
        tally.kills += 1
        engine.settle(settings)
        check(settings, acked)
    if settings is not None:
        acsa_verify(settings)
        tally.acknowledged += acked.count
    return tally

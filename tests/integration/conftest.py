"""Nodes on real databases: every storage test runs on SQLite and, when
ACSA_TEST_POSTGRES_URL is set (CI sets it), on PostgreSQL too. Each test gets
databases of its own, created and dropped here, so runs never share data."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from acsa.bootstrap import init_node
from acsa.config import Settings
from acsa.services.node import Node

POSTGRES_URL = os.environ.get("ACSA_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI") == "true"

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def postgres_or_skip() -> str:
    if not POSTGRES_URL:
        if IN_CI:
            pytest.fail("CI=true but ACSA_TEST_POSTGRES_URL is not set")
        pytest.skip("ACSA_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped")
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable under CI: {exc}")
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}")
    return POSTGRES_URL


class Databases:
    """Creates throw-away PostgreSQL databases and drops them afterwards."""

    def __init__(self, base_url: str) -> None:
        self.base = make_url(base_url)
        self.admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def new(self) -> str:
        name = f"acsa_t_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.base.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as c:
            for name in self.created:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


class FixedClock:
    """A clock tests can set and advance."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set_day(self, day: date, hour: int = 3) -> None:
        self.now = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture(params=ENGINES)
def engine_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_node(engine_kind: str, tmp_path: Path) -> Iterator[Callable[[str], Node]]:
    """``make_node("JPN")``: a fresh node with its own data directory and database."""
    databases: Databases | None = None
    if engine_kind == "postgresql":
        databases = Databases(postgres_or_skip())
    nodes: list[Node] = []

    def factory(party: str) -> Node:
        url = databases.new() if databases else None
        settings = Settings(data_dir=tmp_path / party.lower(), database_url=url)
        node = init_node(settings, party)
        node.clock = FixedClock(datetime(2026, 2, 2, 3, tzinfo=UTC))
        nodes.append(node)
        return node

    yield factory
    for node in nodes:
        node.engine.dispose()
    if databases:
        databases.drop_all()


class Pair:
    """Two staffed, introduced nodes of the Japan–Philippines agreement."""

    def __init__(self, jpn: Node, phl: Node, bundles: Path) -> None:
        self.jpn, self.phl, self.bundles = jpn, phl, bundles

    def carry(self, source: Node, target: Node):  # type: ignore[no-untyped-def]
        from acsa.devtools.world import carry

        return carry(source, target, self.bundles)

    def set_day(self, day: date) -> None:
        for n in (self.jpn, self.phl):
            n.clock.set_day(day)  # type: ignore[attr-defined]


@pytest.fixture
def pair(make_node: Callable[[str], Node], tmp_path: Path) -> Pair:
    from acsa.devtools.world import introduce, staff_node

    jpn, phl = make_node("JPN"), make_node("PHL")
    for n in (jpn, phl):
        staff_node(n, ["JPN-PHL-ACSA"])
    introduce(jpn, phl)
    p = Pair(jpn, phl, tmp_path / "bundles")
    p.carry(phl, jpn)
    p.carry(jpn, phl)
    return p

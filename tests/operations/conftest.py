"""Operating a node for years: backups, restores, catching up, moving engines.

The nodes of these tests are the integration tests' (each with its own data
directory and, on PostgreSQL, its own database); the live scenarios start
`acsa serve` processes as the federation tests do.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from acsa.bootstrap import open_node
from acsa.config import Settings
from acsa.devtools.exercise import Exercise
from acsa.devtools.world import as_official, in_force_profile
from acsa.domain.parties import Role
from acsa.services import orders
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from integration.conftest import (  # noqa: F401  (fixtures)
    Databases,
    FixedClock,
    engine_kind,
    make_node,
    pair,
    postgres_or_skip,
)

OWN = "JPN-PHL-ACSA/JPN"
THEIRS = "JPN-PHL-ACSA/PHL"


def terms(requester: str, supplier: str, agreement: str = "JPN-PHL-ACSA") -> dict:
    x = Exercise(in_force_profile(agreement))
    return x.terms(requester, supplier, [("pol", "Diesel fuel F-76", "10000", "L", "152.5")],
                   needed_by="2026-12-20")


def submit(node: Node, supplier: str | None = None, agreement: str = "JPN-PHL-ACSA") -> str:
    """An order submitted by ``node``'s ordering official: one event of its stream."""
    other = supplier or ("PHL" if node.party == "JPN" else "JPN")
    event = as_official(node, Role.ORDERING_OFFICIAL, orders.submit_order,
                        terms(node.party, other, agreement))
    return str(event.envelope.subject)


def url_of(node: Node) -> str:
    return node.engine.url.render_as_string(hide_password=False)


def reopen(node: Node) -> Node:
    """The node opened again from its settings, as the next command would open it."""
    database = None if node.engine.url.get_backend_name() == "sqlite" else url_of(node)
    return open_node(Settings(data_dir=node.data_dir, database_url=database),
                     clock=FixedClock(datetime(2026, 2, 2, 3, tzinfo=UTC)))


def held(node: Node) -> dict[str, list[tuple[int, str]]]:
    """Every stream the node holds: (seq, hash) of each event."""
    with UnitOfWork(node, write=False) as uow:
        out: dict[str, list[tuple[int, str]]] = {}
        for r in uow.conn.execute(T.events.select().order_by(T.events.c.stream,
                                                             T.events.c.seq)):
            out.setdefault(r.stream, []).append((r.seq, r.hash))
    return out


@pytest.fixture
def empty_database(engine_kind: str, tmp_path: Path) -> Iterator[str]:  # noqa: F811
    """A new, empty database of the test's engine, as a URL."""
    if engine_kind == "sqlite":
        (tmp_path / "empty").mkdir()
        yield f"sqlite:///{tmp_path / 'empty' / 'acsa.db'}"
        return
    databases = Databases(postgres_or_skip())
    try:
        yield databases.new()
    finally:
        databases.drop_all()

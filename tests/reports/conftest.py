"""Fixtures for documents, report tables, charts and translations.

``pair`` (two staffed nodes on SQLite and, when configured, PostgreSQL) comes
from the integration tests. ``world`` is one settled cash order plus one open
order in PHP, built once per module on SQLite, for the many read-only checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from acsa.bootstrap import init_node
from acsa.config import Settings
from acsa.devtools.world import as_official, introduce, staff_node
from acsa.domain.parties import Role
from acsa.i18n.catalogues import compile_catalogues
from acsa.services import orders
from integration.conftest import (  # noqa: F401 - fixtures used by the tests here
    FixedClock,
    Pair,
    engine_kind,
    make_node,
    pair,
)

from .lifecycle import CashOrder, run_cash_lifecycle


@pytest.fixture(scope="session", autouse=True)
def catalogues() -> None:
    compile_catalogues()


@dataclass
class World:
    pair: Pair
    cash: CashOrder
    open_order: str  # JPN asked PHL; accepted, half delivered and received; PHP


def open_php_order(p: Pair) -> str:
    p.set_day(date(2026, 3, 2))
    terms = {
        "agreement": "JPN-PHL-ACSA", "activity": "KAMANDAG-10",
        "activity_type": "bilateral_training", "requester": "JPN", "supplier": "PHL",
        "requesting_unit": "JGSDF-1HB", "method": "cash", "currency": "PHP",
        "needed_by": "2026-04-01", "deliver_to": "Fort Magsaysay", "poc": "Maj. Sato",
        "fund_citation": "JPN-FY25-GSDF-0117",
        "lines": [{"no": 1, "category": "billeting", "description": "Billeting, transient",
                   "quantity": "40", "unit": "NIGHT", "unit_price": "1234.75"}],
    }
    sub = as_official(p.jpn, Role.ORDERING_OFFICIAL, orders.submit_order, terms)
    number = sub.envelope.subject
    p.carry(p.jpn, p.phl)
    as_official(p.phl, Role.APPROVING_OFFICIAL, orders.accept, number,
                supplying_unit="AFP-1ID")
    p.set_day(date(2026, 3, 5))
    as_official(p.phl, Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "20")])
    p.carry(p.phl, p.jpn)
    as_official(p.jpn, Role.RECEIVING_OFFICIAL, orders.receive, number, "1")
    p.carry(p.jpn, p.phl)
    return number


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("world")
    nodes = []
    for party in ("JPN", "PHL"):
        node = init_node(Settings(data_dir=base / party.lower()), party)
        node.clock = FixedClock(datetime(2026, 2, 2, 3, tzinfo=UTC))
        staff_node(node, ["JPN-PHL-ACSA"])
        nodes.append(node)
    introduce(*nodes)
    p = Pair(nodes[0], nodes[1], base / "bundles")
    p.carry(p.phl, p.jpn)
    p.carry(p.jpn, p.phl)
    cash = run_cash_lifecycle(p)
    open_order = open_php_order(p)
    yield World(p, cash, open_order)
    for node in nodes:
        node.engine.dispose()


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path

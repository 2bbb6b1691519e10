"""Japan's settlement methods per kind, and an exchange that closes as a whole, on two nodes.

Under the JPN–PHL profile 2026.2 a supply (water) is refused an equal-value exchange at
submission, naming the field ``method``; an exchange links services of one category each
way, or is refused naming ``orders``. Trucks for trucks with a PHP 22,000.00 residual:
neither order is settled on either node until the residual invoice is paid and the payment
confirmed; then both are, identically on both nodes, after a rebuild and verify too.
"""

from __future__ import annotations

from datetime import date

import pytest

from acsa.domain.errors import DomainError
from acsa.services import admin, orders, settlement
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import rebuild, verify_node

from .test_order_services import (
    FIN,
    ORD,
    delivered_and_received,
    refused,
    status,
    terms,
)
from .twonodes import AGREEMENT, act, set_day, setup_pair, sync

D = date
TRUCKS_PHP = ("transportation", "Truck, 5 t", "10", "TRIP", "25000.00")  # PHP 250,000.00
TRUCKS_JPY = ("transportation", "Truck, 3½ t", "12", "TRIP", "50000")  # JPY 600,000
BILLETING_JPY = ("billeting", "Barracks, Camp Aguinaldo", "40", "NIGHT", "15000")


@pytest.fixture
def nodes(make_node):  # type: ignore[no-untyped-def]
    jpn, phl = make_node("JPN"), make_node("PHL")
    setup_pair(jpn, phl)
    return jpn, phl


def both(jpn: Node, phl: Node, *numbers: str) -> list[tuple[str, str]]:
    """Each order's status on the JPN node and on the PHL node."""
    return [(status(jpn, n), status(phl, n)) for n in numbers]


def rebuilt_and_verified(*pair: Node) -> None:
    for n in pair:
        with UnitOfWork(n) as uow:
            rebuild(uow)
            uow.commit()
        with UnitOfWork(n) as uow:
            report = verify_node(uow)
        assert report.ok, report.findings


def test_a_supply_is_refused_an_equal_value_exchange(nodes):  # type: ignore[no-untyped-def]
    jpn, phl = nodes
    set_day(D(2026, 2, 3), jpn, phl)
    water = terms(lines=[("water", "Potable water", "20000", "L", "30")], method="eve")
    error: DomainError = refused(phl, ORD, orders.submit_order, water, code="not_eligible")
    assert error.field == "method"
    assert error.message == ("Water may not be settled by eve under JPN-PHL-ACSA "
                             "2026.3+2026-02-01: "
                             "only by cash, rik")


def test_an_exchange_of_services_of_another_category_is_refused(nodes):  # type: ignore[no-untyped-def]
    jpn, phl = nodes
    a = delivered_and_received(jpn, phl, terms("JPN", "PHL", [TRUCKS_PHP], method="eve"))
    b = delivered_and_received(jpn, phl, terms(lines=[BILLETING_JPY], method="eve"))
    set_day(D(2026, 3, 1), jpn, phl)
    act(jpn, FIN, admin.record_rate, agreement=AGREEMENT, on=D(2026, 3, 1), base="JPY",
        quote="PHP", rate="0.38")
    error = refused(jpn, FIN, settlement.link_exchange, [a, b], currency="PHP",
                    code="not_eligible")
    assert error.field == "orders"
    assert error.message == (
        f"{b} is not all Transportation (including airlift): an exchange under JPN-PHL-ACSA "
        "2026.3+2026-02-01 links services of one category, the same each way")


def test_an_exchange_with_a_residual_closes_as_a_whole_on_both_nodes(nodes):  # type: ignore[no-untyped-def]
    jpn, phl = nodes
    a = delivered_and_received(jpn, phl, terms("JPN", "PHL", [TRUCKS_PHP], method="eve"))
    b = delivered_and_received(jpn, phl, terms(lines=[TRUCKS_JPY], method="eve"))
    set_day(D(2026, 3, 1), jpn, phl)
    act(jpn, FIN, admin.record_rate, agreement=AGREEMENT, on=D(2026, 3, 1), base="JPY",
        quote="PHP", rate="0.38")
    link = act(jpn, FIN, settlement.link_exchange, [a, b], currency="PHP")
    # B is worth JPY 600,000 × 0.38 = PHP 228,000.00; A PHP 250,000.00: PHP 22,000.00 more.
    assert link.envelope.data["category"] == "transportation"
    assert link.envelope.data["residual"] == {"creditor": "PHL", "amount": "22000.00"}
    sync(jpn, phl)
    set_day(D(2026, 3, 2), jpn, phl)
    act(phl, FIN, settlement.sign_exchange, link.hash[:12])
    sync(phl, jpn)
    # Nothing is owed on B itself; the residual is billed on A. Neither is settled.
    assert both(jpn, phl, a, b) == [("settling", "settling")] * 2

    act(phl, FIN, settlement.issue_invoice, a, kind="residual")
    sync(phl, jpn)
    act(jpn, FIN, settlement.record_payment, [(a, "1", "22000.00")], reference="MUFG-9")
    sync(jpn, phl)
    assert both(jpn, phl, a, b) == [("settling", "settling")] * 2  # paid, not yet confirmed
    rebuilt_and_verified(jpn, phl)
    assert both(jpn, phl, a, b) == [("settling", "settling")] * 2

    act(phl, FIN, settlement.confirm_payment, "PAY/JPN/00001")
    # PHL has the confirmation, JPN not yet: each node completes what it holds.
    assert both(jpn, phl, a, b) == [("settling", "settled"), ("settling", "settled")]
    sync(phl, jpn)
    assert both(jpn, phl, a, b) == [("settled", "settled")] * 2
    rebuilt_and_verified(jpn, phl)
    assert both(jpn, phl, a, b) == [("settled", "settled")] * 2

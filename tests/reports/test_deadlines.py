"""Deadlines on two real nodes: aging and the worklists read the profile's due dates.

Under the JPN–PHL profile 2026.2 support is settled within twelve months of delivery
and invoiced within 30 days of its receipt; a delivery not yet acknowledged is listed
with no deadline. An order recorded under a profile without ``[[deadlines]]`` (2026.1)
keeps its due dates, on ``acsa rebuild`` too. Figures by hand:

- PHL asks JPN for 10,000 L of diesel at JPY 152.5 (1,525,000) and 2,000 L of water at
  JPY 0.75 (1,500); JPN delivers all of it on 10 February 2026, PHL acknowledges it on
  12 February.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from acsa.devtools.world import adopt_in_force, as_official, introduce, staff_node, user_id
from acsa.domain.agreement import AgreementProfile, profile_from_document
from acsa.domain.money import Money
from acsa.domain.parties import Role, Side
from acsa.domain.worklist import roles_for
from acsa.services import admin, orders, reports, users, worklist
from acsa.services import verify as verification
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from in_force import JPN_PHL_IN_FORCE
from integration.conftest import Pair

from .lifecycle import terms

D = date
R = Role


def delivered(pair: Any, *, method: str = "cash", received: bool = True) -> str:
    """PHL's order, accepted by JPN on 3 February and delivered in full on 10 February;
    acknowledged on 12 February when ``received``."""
    jpn, phl = pair.jpn, pair.phl
    pair.set_day(D(2026, 2, 3))
    number: str = as_official(phl, R.ORDERING_OFFICIAL, orders.submit_order,
                              {**terms(), "method": method}).envelope.subject
    pair.carry(phl, jpn)
    as_official(jpn, R.APPROVING_OFFICIAL, orders.accept, number, supplying_unit="JMSDF-ESF1")
    pair.set_day(D(2026, 2, 10))
    as_official(jpn, R.SUPPLY_OFFICER, orders.deliver, number, [(1, "10000"), (2, "2000")])
    pair.carry(jpn, phl)
    if received:
        pair.set_day(D(2026, 2, 12))
        as_official(phl, R.RECEIVING_OFFICIAL, orders.receive, number, "1")
        pair.carry(phl, jpn)
    return number


def aging_on(node: Node, day: date, number: str) -> list[tuple[Any, ...]]:
    """The live aging of ``number`` on ``node``, its clock set to ``day``."""
    node.clock.set_day(day)  # type: ignore[attr-defined]
    with UnitOfWork(node, write=False) as uow:
        user = users.get_user(uow, user_id(node.party, R.FINANCE_OFFICER))
        rows = reports.aging(uow, user, uow.node.clock)
    return [(r.kind, r.reference, r.debtor, r.due_on, r.days, r.bucket, r.amount)
            for r in rows if r.order == number]


def tasks_on(node: Node, day: date, key: str, side: Side) -> tuple[int, int]:
    """(orders waiting, of them overdue) in the worklist of the official who does ``key``."""
    node.clock.set_day(day)  # type: ignore[attr-defined]
    role = sorted(roles_for(key, side), key=lambda r: r.value)[0]
    with UnitOfWork(node, write=False) as uow:
        user = users.get_user(uow, user_id(node.party, role))
        [task] = [t for t in worklist.worklist(uow, user) if t.key == key]
    return task.count, task.overdue


def test_settle_by_twelve_months_from_delivery_goes_overdue_the_day_after(pair):
    number = delivered(pair, method="rik")
    owed = ("in_kind", number, "PHL", D(2027, 2, 10))
    value = Money("JPY", 1526500)
    assert aging_on(pair.phl, D(2027, 2, 10), number) == [(*owed, 0, "current", value)]
    assert tasks_on(pair.phl, D(2027, 2, 10), "return", Side.REQUESTER) == (1, 0)
    assert aging_on(pair.phl, D(2027, 2, 11), number) == [(*owed, 1, "1-30", value)]
    assert tasks_on(pair.phl, D(2027, 2, 11), "return", Side.REQUESTER) == (1, 1)
    # The supplier's finance officer may convert it to cash from that day on.
    assert tasks_on(pair.jpn, D(2027, 2, 10), "convert", Side.SUPPLIER) == (0, 0)
    assert tasks_on(pair.jpn, D(2027, 2, 11), "convert", Side.SUPPLIER) == (1, 1)


def test_an_uninvoiced_delivery_past_its_invoice_by_date(pair):
    number = delivered(pair)
    # Received on 12 February: to be invoiced by 14 March 2026, by JPN.
    due = ("uninvoiced", number, "PHL", D(2026, 3, 14))  # PHL owes it; JPN must invoice
    value = Money("JPY", 1526500)
    assert aging_on(pair.jpn, D(2026, 3, 14), number) == [(*due, 0, "current", value)]
    assert tasks_on(pair.jpn, D(2026, 3, 14), "invoice", Side.SUPPLIER) == (1, 0)
    assert aging_on(pair.jpn, D(2026, 3, 15), number) == [(*due, 1, "1-30", value)]
    assert tasks_on(pair.jpn, D(2026, 3, 15), "invoice", Side.SUPPLIER) == (1, 1)
    assert aging_on(pair.jpn, D(2026, 4, 20), number) == [(*due, 37, "31-60", value)]


def test_an_unacknowledged_delivery_is_listed_with_no_deadline(pair):
    number = delivered(pair, received=False)
    assert aging_on(pair.phl, D(2026, 2, 20), number) == [
        ("unacknowledged", "delivery 1", "PHL", None, 10, "1-30", None)]
    assert tasks_on(pair.phl, D(2026, 2, 20), "receive", Side.REQUESTER) == (1, 0)


def without_deadlines() -> AgreementProfile:
    """The shipped profile as version 2026.1 had it, without ``[[deadlines]]``."""
    text = JPN_PHL_IN_FORCE
    document = json.loads(json.dumps(tomllib.loads(text), default=date.isoformat))
    del document["deadlines"]
    document.pop("separation_of_duties", None)
    document["version"] = "2026.1"
    return profile_from_document(document, "jpn-phl-acsa-2026.1.toml")


@pytest.fixture
def old_pair(make_node: Callable[[str], Node], tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Pair:
    """Two nodes that adopted the JPN–PHL profile 2026.1, without deadlines."""
    monkeypatch.setattr(admin, "shipped_profile", lambda _: without_deadlines())
    jpn, phl = make_node("JPN"), make_node("PHL")
    for n in (jpn, phl):
        staff_node(n, ["JPN-PHL-ACSA"])
    introduce(jpn, phl)
    monkeypatch.undo()
    p = Pair(jpn, phl, tmp_path / "bundles")
    p.carry(phl, jpn)
    p.carry(jpn, phl)
    return p


def test_an_order_under_a_profile_without_the_section_keeps_its_dates(old_pair):
    pair = old_pair
    before = delivered(pair)
    unacknowledged = delivered(pair, received=False)
    # As before deadlines: support not yet invoiced has no date and ages from its
    # receipt; a delivery not yet acknowledged is no item.
    expected = [("uninvoiced", before, "PHL", None, 15, "1-30", Money("JPY", 1526500))]
    assert aging_on(pair.jpn, D(2026, 2, 27), before) == expected
    assert aging_on(pair.jpn, D(2026, 2, 27), unacknowledged) == []
    # Both nodes then adopt 2026.2: a new order follows it, the earlier ones keep theirs.
    for node in (pair.jpn, pair.phl):
        with UnitOfWork(node) as uow:
            adopt_in_force(uow, users.get_user(uow, user_id(node.party, R.ADMINISTRATOR)),
                           "JPN-PHL-ACSA")
    pair.carry(pair.jpn, pair.phl)
    pair.carry(pair.phl, pair.jpn)
    after = delivered(pair)
    assert aging_on(pair.jpn, D(2026, 2, 27), after) == [
        ("uninvoiced", after, "PHL", D(2026, 3, 14), 0, "current", Money("JPY", 1526500))]
    with UnitOfWork(pair.jpn) as uow:
        verification.rebuild(uow)
    assert aging_on(pair.jpn, D(2026, 2, 27), before) == expected
    assert aging_on(pair.jpn, D(2026, 2, 27), unacknowledged) == []
    # On 20 March: two orders to invoice (the third is not yet acknowledged); the 2026.2
    # one is past its date, 14 March.
    assert tasks_on(pair.jpn, D(2026, 3, 20), "invoice", Side.SUPPLIER) == (2, 1)

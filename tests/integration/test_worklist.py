"""Worklists: each officer's tasks follow an order from request to settlement, and every
count equals the list it opens, on both nodes and both engines."""

from __future__ import annotations

from datetime import date
from typing import Any

from acsa.devtools.world import as_official, user_id
from acsa.domain.parties import Role
from acsa.services import orders, queries, settlement, users, worklist
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from reports.lifecycle import terms

from .test_cli_orders import Cli, own_nodes

__all__ = ["own_nodes"]  # the fixture, used by name

R = Role
D = date


def board(node: Node, role: Role) -> dict[str, int]:
    """The official's worklist, each count checked against the list it opens."""
    with UnitOfWork(node, write=False) as uow:
        user = users.get_user(uow, user_id(node.party, role))
        tasks = worklist.worklist(uow, user)
        for t in tasks:
            listed = queries.list_orders(uow, user, queries.OrderFilter(todo=t.key, limit=200))
            assert listed.count == t.count == len(listed.data), (node.party, role, t)
    return {t.key: t.count for t in tasks if t.count}


def test_the_worklists_follow_a_cash_order_to_settlement(pair: Any) -> None:
    jpn, phl = pair.jpn, pair.phl
    pair.set_day(D(2026, 2, 3))
    number = as_official(phl, R.ORDERING_OFFICIAL, orders.submit_order,
                         terms()).envelope.subject
    pair.carry(phl, jpn)
    assert board(jpn, R.APPROVING_OFFICIAL) == {"accept": 1}
    assert board(phl, R.APPROVING_OFFICIAL) == {}  # the partner's turn, not PHL's

    as_official(jpn, R.APPROVING_OFFICIAL, orders.accept, number, supplying_unit="JMSDF-ESF1")
    assert board(jpn, R.APPROVING_OFFICIAL) == {}
    assert board(jpn, R.SUPPLY_OFFICER) == {"deliver": 1}

    pair.set_day(D(2026, 2, 10))
    as_official(jpn, R.SUPPLY_OFFICER, orders.deliver, number, [(1, "6000")])
    pair.carry(jpn, phl)
    # Part delivered: more to deliver, and a delivery to acknowledge at once.
    assert board(jpn, R.SUPPLY_OFFICER) == {"deliver": 1}
    assert board(phl, R.RECEIVING_OFFICIAL) == {"receive": 1}
    as_official(jpn, R.SUPPLY_OFFICER, orders.deliver, number, [(1, "4000"), (2, "2000")])
    pair.carry(jpn, phl)
    assert board(jpn, R.SUPPLY_OFFICER) == {}
    as_official(phl, R.RECEIVING_OFFICIAL, orders.receive, number, "1")
    as_official(phl, R.RECEIVING_OFFICIAL, orders.receive, number, "2")
    pair.carry(phl, jpn)
    assert board(phl, R.RECEIVING_OFFICIAL) == {}
    assert board(jpn, R.FINANCE_OFFICER) == {"invoice": 1}

    pair.set_day(D(2026, 2, 16))
    invoice = as_official(jpn, R.FINANCE_OFFICER, settlement.issue_invoice, number)
    pair.carry(jpn, phl)
    assert board(jpn, R.FINANCE_OFFICER) == {}
    assert board(phl, R.FINANCE_OFFICER) == {"pay": 1}

    pair.set_day(D(2026, 4, 20))  # past the invoice's due date
    with UnitOfWork(phl, write=False) as uow:
        user = users.get_user(uow, user_id("PHL", R.FINANCE_OFFICER))
        overdue = {t.key: t.overdue for t in worklist.worklist(uow, user)}
    assert overdue["pay"] == 1

    total = invoice.envelope.data["total"]
    payment = as_official(phl, R.FINANCE_OFFICER, settlement.record_payment,
                          [(number, invoice.envelope.data["number"], str(total))],
                          reference="TT-2026-0420")
    pair.carry(phl, jpn)
    # Paid and on its way: no longer PHL's to pay, now JPN's to confirm.
    assert board(phl, R.FINANCE_OFFICER) == {}
    assert board(jpn, R.FINANCE_OFFICER) == {"confirm_payment": 1}

    as_official(jpn, R.FINANCE_OFFICER, settlement.confirm_payment, payment.hash[:12])
    pair.carry(jpn, phl)
    for node in (jpn, phl):
        for role in (R.ORDERING_OFFICIAL, R.APPROVING_OFFICIAL, R.SUPPLY_OFFICER,
                     R.RECEIVING_OFFICIAL, R.FINANCE_OFFICER):
            assert board(node, role) == {}, (node.party, role)


def test_acsa_todo_prints_the_worklist_that_order_list_opens(pair: Any, own_nodes: Any) -> None:
    for n in (pair.jpn, pair.phl):
        own_nodes[n.data_dir.resolve()] = n
    pair.set_day(D(2026, 2, 3))
    number = as_official(pair.phl, R.ORDERING_OFFICIAL, orders.submit_order,
                         terms()).envelope.subject
    pair.carry(pair.phl, pair.jpn)
    jpn = Cli(pair.jpn)
    tasks = jpn.json("todo", "--as", "jpn.approving")
    assert [(t["task"], t["count"]) for t in tasks if t["count"]] == [("accept", 1)]
    assert "Orders to accept" in jpn("todo", "--as", "jpn.approving")
    listed = jpn.json("order", "list", "--todo", "accept", "--as", "jpn.approving")
    assert [o["number"] for o in listed] == [number]
    assert jpn.json("order", "list", "--todo", "accept", "--as", "jpn.finance") == []
    refused = jpn.fails("order", "list", "--todo", "banana", "--as", "jpn.approving")
    assert "todo" in refused and "'banana' is not a task" in refused


def test_an_in_kind_debt_past_its_deadline_is_the_suppliers_to_convert(pair: Any) -> None:
    jpn, phl = pair.jpn, pair.phl
    pair.set_day(D(2026, 2, 3))
    rik = {**terms(), "method": "rik", "lines": [
        {"no": 1, "category": "food", "description": "Ration, MRE", "quantity": "500",
         "unit": "EA", "unit_price": "1200"}]}
    number = as_official(phl, R.ORDERING_OFFICIAL, orders.submit_order, rik).envelope.subject
    pair.carry(phl, jpn)
    as_official(jpn, R.APPROVING_OFFICIAL, orders.accept, number, supplying_unit="JMSDF-ESF1")
    pair.set_day(D(2026, 2, 10))
    as_official(jpn, R.SUPPLY_OFFICER, orders.deliver, number, [(1, "500")])
    pair.carry(jpn, phl)
    as_official(phl, R.RECEIVING_OFFICIAL, orders.receive, number, "1")
    pair.carry(phl, jpn)
    # Twelve months from the first delivery (the JPN-PHL profile's in-kind window).
    pair.set_day(D(2027, 2, 10))  # the last day to return: not yet the supplier's to convert
    assert "convert" not in board(jpn, R.FINANCE_OFFICER)
    assert board(phl, R.SUPPLY_OFFICER) == {"return": 1}
    pair.set_day(D(2027, 2, 11))
    assert board(jpn, R.FINANCE_OFFICER) == {"convert": 1}
    with UnitOfWork(phl, write=False) as uow:
        user = users.get_user(uow, user_id("PHL", R.SUPPLY_OFFICER))
        assert {t.key: t.overdue for t in worklist.worklist(uow, user)}["return"] == 1
    as_official(jpn, R.FINANCE_OFFICER, settlement.convert_to_cash, number)
    assert "convert" not in board(jpn, R.FINANCE_OFFICER)
    assert board(jpn, R.FINANCE_OFFICER) == {"invoice": 1}  # the converted amount, in cash

"""Acts whose figures cover orders a user may not read.

A balance statement sums every order between the two parties in its currency, and an
offset nets the invoices it names: only an officer who may read each of those orders
signs or answers one (``clearance_required``, 403), and the refusal names none of them.
Nor are such statements listed to them. A ceiling counts every accepted order whoever
acts, but its refusal states no total when orders the actor may not read count toward it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from acsa.devtools.exercise import Exercise
from acsa.devtools.world import as_official, carry, in_force_profile, introduce, staff_node
from acsa.domain.errors import CeilingExceeded, NeedToKnow, UnknownReference
from acsa.domain.parties import Role
from acsa.services import admin, admin_views, orders, settlement, statements, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.problems import problem_of, status_of
from integration.conftest import Pair

D = date
ORD, APP = Role.ORDERING_OFFICIAL, Role.APPROVING_OFFICIAL
SUPPLY, RCV, FIN = Role.SUPPLY_OFFICER, Role.RECEIVING_OFFICIAL, Role.FINANCE_OFFICER
ACTIVITY = "KAMANDAG-10"
X = Exercise(in_force_profile("JPN-PHL-ACSA"))


def register(node: Node, agreement: str, activity: str = ACTIVITY) -> None:
    with UnitOfWork(node) as uow:
        boss = users.get_user(uow, f"{node.party.lower()}.administrator")
        admin.register_activity(uow, boss, agreement=agreement, activity_id=activity,
                                name=activity, type="bilateral_training",
                                starts_on=D(2026, 1, 15))
        uow.commit()


def clear(node: Node, who: str, level: str | None, activity: str = ACTIVITY) -> None:
    """What a security officer does: a clearance, and (once) the assignment."""
    as_official(node, Role.SECURITY_OFFICER, admin_views.set_clearance, who, level)
    with UnitOfWork(node, write=False) as uow:
        assigned = activity in users.get_user(uow, who).activities
    if not assigned:
        as_official(node, Role.SECURITY_OFFICER, admin_views.assign, who, [activity])


def through_invoice(p: Pair, requester: Node, supplier: Node, lines: list[tuple[str, ...]],
                    marking: dict[str, Any] | None = None) -> str:
    terms = X.terms(requester.party, supplier.party, lines)
    number = as_official(requester, ORD, orders.submit_order, terms,
                         marking=marking).envelope.subject
    p.carry(requester, supplier)
    unit = "JMSDF-ESF1" if supplier.party == "JPN" else "AFP-NFL"
    as_official(supplier, APP, orders.accept, number, supplying_unit=unit)
    as_official(supplier, SUPPLY, orders.deliver, number, [(1, lines[0][2])])
    p.carry(supplier, requester)
    as_official(requester, RCV, orders.receive, number, "1")
    p.carry(requester, supplier)
    as_official(supplier, FIN, settlement.issue_invoice, number)
    p.carry(supplier, requester)
    return str(number)


def listed(node: Node, lister: Callable[..., list[Any]], who: str) -> list[Any]:
    """What ``lister`` shows ``who``: statements only of orders they may read."""
    with UnitOfWork(node, write=False) as uow:
        return lister(uow, users.get_user(uow, who))


def refused_for_need_to_know(act: Callable[[], Any], secret: str) -> None:
    with pytest.raises(NeedToKnow) as caught:
        act()
    assert caught.value.code == "clearance_required" and status_of(caught.value) == 403
    assert secret not in str(problem_of(caught.value).model_dump())


@pytest.fixture
def classified(pair: Pair) -> tuple[Pair, str]:
    """A SECRET order PHL asked of JPN, invoiced; JPN's officials who act on it cleared,
    the finance officers of both nodes not."""
    pair.set_day(D(2026, 2, 3))
    for node in (pair.jpn, pair.phl):
        register(node, "JPN-PHL-ACSA")
    for who in ("phl.ordering", "phl.receiving"):
        clear(pair.phl, who, "SECRET")
    for who in ("jpn.approving", "jpn.supply", "jpn.finance"):
        clear(pair.jpn, who, "極秘")
    number = through_invoice(pair, pair.phl, pair.jpn,
                             [("spare_parts", "Radar module", "1", "EA", "4444444")],
                             {"level": "SECRET"})
    clear(pair.jpn, "jpn.finance", None)  # the clearance withdrawn: still assigned
    return pair, number


def test_a_balance_statement_is_signed_and_answered_only_with_every_order_readable(
        classified: tuple[Pair, str]) -> None:
    p, number = classified

    def sign() -> Any:
        return as_official(p.jpn, FIN, statements.sign_balance, agreement="JPN-PHL-ACSA",
                           counterparty="PHL", currency="JPY", as_of=D(2026, 2, 3))

    refused_for_need_to_know(sign, number)
    clear(p.jpn, "jpn.finance", "極秘")
    signed = sign()
    p.carry(p.jpn, p.phl)

    def answer() -> Any:
        return as_official(p.phl, FIN, statements.answer_balance, signed.hash[:16], agree=True)

    refused_for_need_to_know(answer, number)
    assert listed(p.phl, statements.list_statements, "phl.finance") == []
    clear(p.phl, "phl.finance", "CONFIDENTIAL")  # assigned, but below SECRET
    refused_for_need_to_know(answer, number)
    clear(p.phl, "phl.finance", "SECRET")
    assert answer().envelope.data["answer"] == "agreed"
    [agreed] = listed(p.phl, statements.list_statements, "phl.finance")
    assert agreed.id == signed.hash and agreed.status == "agreed"


def test_an_offset_is_proposed_and_signed_only_with_every_order_readable(
        classified: tuple[Pair, str]) -> None:
    p, number = classified
    rice = through_invoice(p, p.jpn, p.phl, [("food", "Rice", "300", "KG", "100.00")])
    rates = [("JPY", "PHP", "0.38")]
    with pytest.raises(UnknownReference) as unknown:  # as if it did not exist
        as_official(p.phl, FIN, settlement.propose_offset, [(number, "1"), (rice, "1")],
                    currency="PHP", rates=rates)
    assert unknown.value.field == "invoices[0].order"
    clear(p.jpn, "jpn.finance", "極秘")
    proposal = as_official(p.jpn, FIN, settlement.propose_offset,
                           [(number, "1"), (rice, "1")], currency="PHP", rates=rates)
    p.carry(p.jpn, p.phl)
    subject = proposal.envelope.subject

    def sign() -> Any:
        return as_official(p.phl, FIN, settlement.sign_offset, subject)

    refused_for_need_to_know(sign, number)
    assert listed(p.phl, settlement.list_offsets, "phl.finance") == []
    clear(p.phl, "phl.finance", "SECRET")
    assert sign().envelope.data["offset"] == proposal.hash
    [signed] = listed(p.phl, settlement.list_offsets, "phl.finance")
    assert (signed["subject"], signed["state"]) == (subject, "signed")


# -- ceilings ---------------------------------------------------------------------------------


def usd_order(requesting_unit: str, amount: str) -> dict[str, Any]:
    return {"agreement": "JPN-USA-ACSA", "activity": ACTIVITY,
            "activity_type": "bilateral_training", "requester": "JPN", "supplier": "USA",
            "requesting_unit": requesting_unit, "method": "cash", "currency": "USD",
            "needed_by": "2026-03-01", "deliver_to": "Misawa", "poc": "Maj. Sato",
            "fund_citation": "JPN-FY25-0042",
            "lines": [{"no": 1, "category": "pol", "description": "JP-8 fuel",
                       "quantity": "1", "unit": "EA", "unit_price": amount}]}


def test_a_ceiling_refusal_states_no_total_its_reader_may_not_read(
        make_node: Callable[[str], Node], tmp_path: Path) -> None:
    """USA's credits ceiling toward Japan (USD 60 million a fiscal year) counts a SECRET
    order of USD 59,999,000 its approving official no longer may read."""
    jpn, usa = make_node("JPN"), make_node("USA")
    bundles = tmp_path / "bundles"
    for node in (jpn, usa):
        node.clock.set_day(D(2026, 2, 3))  # type: ignore[attr-defined]
        staff_node(node, ["JPN-USA-ACSA"])
    introduce(jpn, usa)
    carry(jpn, usa, bundles)
    carry(usa, jpn, bundles)
    for node in (jpn, usa):
        register(node, "JPN-USA-ACSA")
    clear(jpn, "jpn.ordering", "極秘")
    clear(usa, "usa.approving", "SECRET")
    big = as_official(jpn, ORD, orders.submit_order, usd_order("JGSDF-1HB", "59999000.00"),
                      marking={"level": "極秘"}).envelope.subject
    carry(jpn, usa, bundles)
    as_official(usa, APP, orders.accept, big, supplying_unit="USFJ-374AW")
    small = as_official(jpn, ORD, orders.submit_order, usd_order("JGSDF-1HB", "2000.00")
                        ).envelope.subject
    carry(jpn, usa, bundles)

    def accept() -> Any:
        return as_official(usa, APP, orders.accept, small, supplying_unit="USFJ-374AW")

    with pytest.raises(CeilingExceeded) as told:
        accept()
    assert "60001000" in str(problem_of(told.value).model_dump()).replace(",", "")
    clear(usa, "usa.approving", "CONFIDENTIAL")  # below SECRET: the big order is hidden
    with pytest.raises(CeilingExceeded) as untold:
        accept()
    problem = problem_of(untold.value)
    assert "total" not in (problem.params or {}) and "would be exceeded" in problem.detail
    assert "60000000" in problem.detail.replace(",", "")  # the cap is the agreement's
    shown = str(problem.model_dump()).replace(",", "")
    assert "60001000" not in shown and "59999000" not in shown and big not in shown


def test_an_act_on_an_order_the_official_may_not_read_finds_no_order(classified):
    """Acting needs reading: to an uncleared official a classified order does not exist,
    whether the act names it alone or among others (a payment, an exchange)."""
    pair, number = classified
    clear(pair.phl, "phl.finance", None)
    with pytest.raises(UnknownReference) as single:
        as_official(pair.jpn, FIN, settlement.void_invoice, number, "1", reason="typed twice")
    assert (single.value.code, single.value.field) == ("unknown_reference", "order")
    with pytest.raises(UnknownReference) as multi:
        as_official(pair.phl, FIN, settlement.record_payment, [(number, "1", "4444444")],
                    reference="PNB-TT-2026-0042")
    assert multi.value.code == "unknown_reference"
    assert number in str(multi.value)  # the number typed, nothing more

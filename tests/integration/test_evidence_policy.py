"""The evidence policy on two real nodes (SQLite, and PostgreSQL when available).

Japan delivers 10,000 L of diesel to the Philippines without its delivery ticket.
Under profile 2026.2 Japan's invoice is refused on its own node — in English and in
Japanese, naming the document and the step — and, signed by a faulty node that did not
judge it, ruled ineffective with the same reason on both nodes. The exception report
lists the delivery on both nodes; the supply officer attaches the ticket later, the
report empties and the invoice goes through. An order begun under 2026.1 is never
judged by the policy, and rebuild and verify agree.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from acsa.devtools.world import adopt_in_force
from acsa.domain.errors import EvidenceMissing
from acsa.domain.parties import Role
from acsa.i18n.refusals import refusal
from acsa.services import (
    attachments,
    evidence,
    missing_evidence,
    orders,
    recording,
    settlement,
)
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import get_user
from acsa.store.projections import refresh_orders

from .test_separation_of_duties import (
    old_profile,  # noqa: F401 - a fixture, used by name
    status,
    verdicts,
    verified,
)
from .twonodes import AGREEMENT, UNITS, act, read, set_day, setup_pair, sync, user_id

D = date
ORD, APP, SUPPLY, RCV, FIN = (Role.ORDERING_OFFICIAL, Role.APPROVING_OFFICIAL,
                              Role.SUPPLY_OFFICER, Role.RECEIVING_OFFICIAL,
                              Role.FINANCE_OFFICER)
REASON = ("evidence: the delivery of 2026-02-10 lacks a delivery-ticket: under JPN-PHL-ACSA "
          "2026.3+2026-02-01 a delivery needs one before the invoice")
ENGLISH = ("The delivery of Feb 10, 2026 lacks a delivery ticket: under JPN-PHL-ACSA "
           "2026.3+2026-02-01 a "
           "delivery needs one before the invoice.")
JAPANESE = ("2026/02/10の引渡しに引渡票がありません：JPN-PHL-ACSA "
            "2026.3+2026-02-01では、請求書の前に"
            "、引渡しにはその書類が必要です。")


def received_without_ticket(jpn: Node, phl: Node) -> tuple[str, str]:
    """Diesel the Philippines ordered, delivered by Japan with no ticket, and received; the
    order's number and the delivery's event hash."""
    set_day(D(2026, 2, 3), jpn, phl)
    terms = {"agreement": AGREEMENT, "activity": "KAMANDAG-10",
             "activity_type": "bilateral_training", "requester": "PHL", "supplier": "JPN",
             "requesting_unit": "AFP-TOG1", "method": "cash", "currency": "JPY",
             "needed_by": "2026-03-01", "deliver_to": "Subic Bay, Pier 3",
             "poc": "Capt. Reyes", "fund_citation": "PHL-FY26-OPS-0042",
             "lines": [{"no": 1, "category": "pol", "description": "Diesel fuel F-76",
                        "quantity": "10000", "unit": "L", "unit_price": "152.5"}]}
    number = str(act(phl, ORD, orders.submit_order, terms).envelope.subject)
    sync(phl, jpn)
    act(jpn, APP, orders.accept, number, supplying_unit=UNITS["JPN"][0][0])
    set_day(D(2026, 2, 10), jpn, phl)
    delivery = act(jpn, SUPPLY, orders.deliver, number, [(1, "10000")], evidence=[])
    sync(jpn, phl)
    set_day(D(2026, 2, 11), jpn, phl)
    act(phl, RCV, orders.receive, number, "1")
    sync(phl, jpn)
    return number, str(delivery.hash)


def report(node: Node, role: Role) -> list[tuple[str, str, str, str, str, str]]:
    def rows(uow: UnitOfWork) -> Any:
        user = get_user(uow, user_id(node.party, role))
        return [(r.order, r.step, r.event, r.document, r.before, r.party)
                for r in missing_evidence.missing_evidence(uow, user)]
    return read(node, rows)  # type: ignore[no-any-return]


def attach_ticket(uow: UnitOfWork, user: Any, number: str, **kw: Any) -> Any:
    ticket = evidence.store_evidence(uow, "ticket-0210.pdf", b"%PDF delivery ticket 0210",
                                     "application/pdf")
    return attachments.attach_evidence(uow, user, number, to="1", kind="delivery-ticket",
                                       evidence=[ticket], **kw)


def unjudged_invoice(node: Node, monkeypatch: pytest.MonkeyPatch, number: str) -> str:
    """What a faulty node would sign: the invoice recorded without being judged first; the
    node then folds its orders again as it does for any event it holds."""
    with monkeypatch.context() as m:
        m.setattr(recording, "_judge_locally", lambda *a: None)
        m.setattr(recording, "_project", lambda uow, fact, before: refresh_orders(
            uow.conn, list(before), uow.context))
        event = act(node, FIN, settlement.issue_invoice, number)
    return str(event.hash)


@pytest.fixture
def nodes(make_node):  # type: ignore[no-untyped-def]
    jpn, phl = make_node("JPN"), make_node("PHL")
    setup_pair(jpn, phl)
    return jpn, phl


def test_the_invoice_waits_for_the_delivery_ticket_on_both_nodes(nodes, monkeypatch):  # type: ignore[no-untyped-def]
    jpn, phl = nodes
    number, delivery = received_without_ticket(jpn, phl)
    set_day(D(2026, 2, 12), jpn, phl)
    with pytest.raises(EvidenceMissing) as refused:
        act(jpn, FIN, settlement.issue_invoice, number)
    assert (refused.value.code, str(refused.value)) == ("evidence_missing", REASON)
    assert refusal(refused.value, "en") == ENGLISH
    assert refusal(refused.value, "ja") == JAPANESE
    assert status(jpn, number) == "received"

    # A faulty node signs it anyway: both nodes rule it ineffective, for the same reason.
    bad = unjudged_invoice(jpn, monkeypatch, number)
    sync(jpn, phl)
    assert verdicts(jpn, number) == verdicts(phl, number)
    assert (bad, False, "evidence_missing", REASON) in verdicts(phl, number)
    assert status(jpn, number) == status(phl, number) == "received"

    # The exception report, on both nodes: the delivery, its missing ticket, Japan to attach.
    missing = [(number, "deliver", delivery, "delivery-ticket", "invoice", "JPN")]
    assert report(jpn, FIN) == report(phl, FIN) == missing

    # The supply officer attaches the ticket; the report empties and the invoice goes through.
    set_day(D(2026, 2, 13), jpn, phl)
    act(jpn, SUPPLY, attach_ticket, number)
    sync(jpn, phl)
    assert report(jpn, FIN) == report(phl, FIN) == []
    act(jpn, FIN, settlement.issue_invoice, number)
    sync(jpn, phl)
    assert status(jpn, number) == status(phl, number) == "settling"
    assert verdicts(jpn, number) == verdicts(phl, number)
    verified(jpn, phl)
    assert verdicts(jpn, number) == verdicts(phl, number)  # the same after rebuild


def test_an_order_under_2026_1_is_invoiced_without_a_ticket(make_node, old_profile,  # noqa: F811
                                                            monkeypatch):  # type: ignore[no-untyped-def]
    jpn, phl = make_node("JPN"), make_node("PHL")
    setup_pair(jpn, phl)
    old, _ = received_without_ticket(jpn, phl)
    act(jpn, FIN, settlement.issue_invoice, old)
    sync(jpn, phl)
    assert status(jpn, old) == status(phl, old) == "settling"
    assert report(jpn, FIN) == []

    # Both nodes adopt the shipped 2026.2: the old order keeps its verdicts; a new one waits.
    monkeypatch.undo()
    for n in (jpn, phl):
        with UnitOfWork(n) as uow:
            adopt_in_force(uow, get_user(uow, user_id(n.party, Role.ADMINISTRATOR)), AGREEMENT)
            uow.commit()
    sync(jpn, phl)
    before = verdicts(jpn, old)
    new, _ = received_without_ticket(jpn, phl)
    with pytest.raises(EvidenceMissing):
        act(jpn, FIN, settlement.issue_invoice, new)
    assert [r[0] for r in report(jpn, FIN)] == [new]
    verified(jpn, phl)
    assert verdicts(jpn, old) == verdicts(phl, old) == before
    assert all(effective for _, effective, _, _ in before)

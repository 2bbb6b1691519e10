"""Worked examples of an order's life up to settlement, with the figures checked beside them.

Most examples are the Philippines (requester, pays in JPY) asking Japan (supplier) for
diesel: 10,000 L of F-76 at JPY 152.5 a litre, JPY 1,525,000 in all, petroleum being
delivered within ±10 % under the Japan–Philippines profile.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from acsa.devtools.exercise import UNITS, Exercise
from acsa.domain import aging
from acsa.domain import facts as F
from acsa.domain.agreement import AgreementProfile
from acsa.domain.facts import Fact
from acsa.domain.figures import accounts, delivered, received
from acsa.domain.parties import Role
from acsa.domain.roster import Appointment
from acsa.domain.rules import Status
from acsa.domain.state import Verdict

D = date
DIESEL = ("pol", "Diesel F-76", "10000", "L", "152.5")
RATIONS = ("food", "Combat ration, 24 h", "100", "EA", "1000")
SUBMITTED_ON = D(2026, 2, 3)
EMERGENCY_ON = D(2026, 5, 10)  # in Japan's fiscal year 2026, which began on 1 April

ORD = Role.ORDERING_OFFICIAL
APP = Role.APPROVING_OFFICIAL
SUPPLY = Role.SUPPLY_OFFICER
RCV = Role.RECEIVING_OFFICIAL
FIN = Role.FINANCE_OFFICER

EVIDENCE = [{"sha256": "ab" * 32, "name": "form-15.pdf", "media_type": "application/pdf",
             "size": 48213}]


def verdict(x: Exercise, number: str, fact: Fact) -> Verdict:
    """The verdict on ``fact`` as the order's interpretation left it."""
    return next(v for v in x.state(number).verdicts if v.event == fact.hash)


def refused(x: Exercise, number: str, fact: Fact) -> str:
    """The code of an ineffective event (fails if it took effect)."""
    v = verdict(x, number, fact)
    assert not v.effective, f"{fact.type} took effect"
    return v.code


def diesel_order(x: Exercise, on: date = SUBMITTED_ON, *lines: tuple[str, ...]) -> str:
    return x.submit(x.terms("PHL", "JPN", list(lines) or [DIESEL]), on)


def accepted_order(x: Exercise, on: date = SUBMITTED_ON, *lines: tuple[str, ...]) -> str:
    n = diesel_order(x, on, *lines)
    x.accept(n, on)
    return n


# -- request and acceptance --------------------------------------------------------------


def test_propose_confirm_accept_binds_the_confirmed_version(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = diesel_order(x)
    assert n == "JP-PH/PHL/FY2026/00001"  # the Philippines number by calendar year
    assert (x.status(n), x.state(n).version) == (Status.SUBMITTED, 1)

    # Japan can spare 8,000 L only, at JPY 155.
    terms = x.terms("PHL", "JPN", [("pol", "Diesel F-76", "8000", "L", "155")])
    x.propose(n, terms, D(2026, 2, 4))
    assert x.status(n) is Status.PROPOSED
    assert x.state(n).terms.lines[0].quantity == Decimal(10000)  # nothing binding changed yet
    early = x.accept(n, D(2026, 2, 4))
    assert refused(x, n, early) == "transition_not_allowed"  # the requester must confirm first

    x.confirm(n, D(2026, 2, 5))
    st = x.state(n)
    assert (x.status(n), st.version, st.proposal) == (Status.SUBMITTED, 2, None)
    assert st.terms.value().minor == 1_240_000  # 8,000 × 155

    old = x.accept(n, D(2026, 2, 6), version=1)
    assert refused(x, n, old) == "invalid_value"
    assert "accepts version 1, but the requester signed version 2" in verdict(x, n, old).reason
    assert x.status(n) is Status.SUBMITTED

    x.accept(n, D(2026, 2, 6), version=2)
    st = x.state(n)
    assert x.status(n) is Status.ACCEPTED
    assert st.accepted is not None and st.accepted.supplying_unit == "JGSDF-1HB"
    assert accounts(st, jp_ph).commitment == 1_240_000


def test_confirming_a_proposal_that_does_not_exist_is_ineffective(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = diesel_order(x)
    x.propose(n, x.terms("PHL", "JPN", [("pol", "Diesel F-76", "8000", "L", "155")]),
              D(2026, 2, 4))
    wrong = x.do("PHL", ORD, F.ORDER_CONFIRMED, n, {"proposal": "f" * 64}, D(2026, 2, 5))
    assert refused(x, n, wrong) == "unknown_reference"
    assert x.status(n) is Status.PROPOSED


def test_a_proposal_may_not_change_the_parties_or_the_method(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = diesel_order(x)
    proposal = x.propose(n, x.terms("PHL", "JPN", [DIESEL], method="rik"), D(2026, 2, 4))
    assert refused(x, n, proposal) == "invalid_value"
    assert "method cannot be changed" in verdict(x, n, proposal).reason


def test_only_the_requesters_official_submits_and_only_the_suppliers_records_an_emergency(
    jp_ph: AgreementProfile,
) -> None:
    # Japan's ordering official cannot place the Philippines' order, nor the Philippine
    # approving official record an emergency order Japan supplies: the table refuses
    # the side, whatever the role.
    x = Exercise(jp_ph)
    terms = x.terms("PHL", "JPN", [DIESEL])
    number = x.s.number("PHL", SUBMITTED_ON)
    wrong_side = x.do("JPN", ORD, F.ORDER_SUBMITTED, number, {"terms": terms}, SUBMITTED_ON)
    assert refused(x, number, wrong_side) == "transition_not_allowed"
    assert "the supplier never may submit" in verdict(x, number, wrong_side).reason
    emergency = x.s.number("JPN", EMERGENCY_ON, emergency=True)
    by_requester = x.do("PHL", APP, F.ORDER_EMERGENCY_RECORDED, emergency, {"terms": terms},
                        EMERGENCY_ON)
    assert refused(x, emergency, by_requester) == "transition_not_allowed"
    # A payment naming an order nobody submitted is refused the same way.
    pay = x.do("PHL", FIN, F.PAYMENT_RECORDED, "PAY/PHL/00001",
               {"currency": "JPY", "amount": "1", "orders": [
                   {"order": "JP-PH/PHL/FY2026/09999", "invoice": "0" * 64, "amount": "1"}]},
               SUBMITTED_ON)
    assert refused(x, "JP-PH/PHL/FY2026/09999", pay) == "transition_not_allowed"


def test_reject_with_a_reason(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = diesel_order(x)
    x.reject(n, D(2026, 2, 4), reason="no F-76 at Subic until March")
    st = x.state(n)
    assert x.status(n) is Status.REJECTED
    assert (st.rejected_on, st.rejection_reason) == (D(2026, 2, 4), "no F-76 at Subic until March")
    assert refused(x, n, x.accept(n, D(2026, 2, 5))) == "transition_not_allowed"
    assert accounts(st, jp_ph).commitment == 0


def test_a_rejection_needs_a_reason(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = diesel_order(x)
    assert refused(x, n, x.reject(n, D(2026, 2, 4), reason="")) == "missing_field"
    assert x.status(n) is Status.SUBMITTED


def test_withdraw_before_acceptance_cancels(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = diesel_order(x)
    x.withdraw(n, D(2026, 2, 4))
    assert x.status(n) is Status.CANCELLED
    assert x.state(n).withdrawn_on == D(2026, 2, 4)
    assert refused(x, n, x.accept(n, D(2026, 2, 4))) == "transition_not_allowed"


def test_withdraw_while_a_proposal_is_pending_cancels(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = diesel_order(x)
    x.propose(n, x.terms("PHL", "JPN", [("pol", "Diesel F-76", "8000", "L", "155")]),
              D(2026, 2, 4))
    x.withdraw(n, D(2026, 2, 5))
    assert x.status(n) is Status.CANCELLED


# -- the one race ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "withdrawal_first", [True, False], ids=["withdrawn-first", "accepted-first"]
)
def test_acceptance_crossing_a_withdrawal_wins(
    jp_ph: AgreementProfile, withdrawal_first: bool
) -> None:
    # Both act on the submitted order, neither having seen the other's act.
    x = Exercise(jp_ph, auto_sync=False)
    n = diesel_order(x)
    x.s.sync()
    submitted = x.state(n).verdicts[0].event
    if withdrawal_first:
        withdrawal = x.withdraw(n, D(2026, 2, 4))
        acceptance = x.accept(n, D(2026, 2, 4))
        assert withdrawal.at < acceptance.at
    else:
        acceptance = x.accept(n, D(2026, 2, 4))
        withdrawal = x.withdraw(n, D(2026, 2, 4))
        assert acceptance.at < withdrawal.at
    assert acceptance.parent == withdrawal.parent == submitted
    x.s.sync()

    st = x.state(n)
    assert x.status(n) is Status.ACCEPTED
    assert st.accepted is not None and st.accepted.id == acceptance.hash
    assert verdict(x, n, acceptance).effective and verdict(x, n, withdrawal).effective
    (request,) = st.changes
    assert (request.kind, request.side.value, request.pending) == ("cancel", "requester", True)
    assert request.from_withdrawal and request.id == withdrawal.hash
    assert request.reason == "no longer needed"  # the withdrawal's own reason, either way
    # The event applied second explains what the rule decided.
    second = acceptance if withdrawal_first else withdrawal
    assert "acceptance stands" in verdict(x, n, second).note
    assert "cancellation request" in verdict(x, n, second).note
    assert accounts(st, jp_ph).commitment == 1_525_000

    # Nothing delivered: the supplier answers the request, and the order is cancelled.
    answer = x.do("JPN", APP, F.CHANGE_ANSWERED, n,
                  {"request": request.id, "answer": "accepted"}, D(2026, 2, 5))
    x.s.sync()
    assert verdict(x, n, answer).effective
    assert x.status(n) is Status.CANCELLED
    assert accounts(x.state(n), jp_ph).commitment == 0


def test_the_race_gives_the_same_state_on_both_nodes_whatever_arrives_first(
    jp_ph: AgreementProfile,
) -> None:
    x = Exercise(jp_ph, auto_sync=False)
    n = diesel_order(x)
    x.s.sync()
    x.withdraw(n, D(2026, 2, 4))
    x.accept(n, D(2026, 2, 4))
    x.s.sync()
    jpn_view = x.s.state(n, list(x.s.nodes["JPN"].seen))
    phl_view = x.s.state(n, list(x.s.nodes["PHL"].seen))
    assert jpn_view == phl_view


# -- delivery ----------------------------------------------------------------------------


def test_two_partial_deliveries_recorded_concurrently_both_count(jp_ph: AgreementProfile) -> None:
    # Two depots record their deliveries, each on the order as accepted.
    x = Exercise(jp_ph, auto_sync=False)
    n = diesel_order(x)
    x.s.sync()
    acceptance = x.accept(n, D(2026, 2, 4))
    x.s.sync()
    second_officer = x.s.appoint("JPN", "jpn.supply.depot2", SUPPLY)
    first = x.do("JPN", SUPPLY, F.DELIVERY_RECORDED, n,
                 {"lines": [{"line": 1, "quantity": "4000"}]}, D(2026, 2, 10),
                 parents={n: acceptance.hash})
    second = x.s.act(second_officer, F.DELIVERY_RECORDED, n,
                     {"lines": [{"line": 1, "quantity": "5000"}]}, on=D(2026, 2, 10),
                     parents={n: acceptance.hash})
    assert first.parent == second.parent == acceptance.hash
    x.s.sync()
    st = x.state(n)
    assert verdict(x, n, first).effective and verdict(x, n, second).effective
    assert delivered(st, 1) == Decimal(9000)  # 4,000 + 5,000: within 10 % of 10,000
    assert x.status(n) is Status.DELIVERED


def test_concurrent_deliveries_are_judged_together_against_the_tolerance(
    jp_ph: AgreementProfile,
) -> None:
    # Each is within tolerance alone; the later one in its stream sees the first.
    x = Exercise(jp_ph)
    n = accepted_order(x)
    acceptance = x.state(n).accepted
    assert acceptance is not None
    first = x.do("JPN", SUPPLY, F.DELIVERY_RECORDED, n,
                 {"lines": [{"line": 1, "quantity": "6000"}]}, D(2026, 2, 10),
                 parents={n: acceptance.id})
    second = x.do("JPN", SUPPLY, F.DELIVERY_RECORDED, n,
                  {"lines": [{"line": 1, "quantity": "5000.001"}]}, D(2026, 2, 10),
                  parents={n: acceptance.id})
    assert verdict(x, n, first).effective
    assert refused(x, n, second) == "tolerance_exceeded"
    assert delivered(x.state(n), 1) == Decimal(6000)


@pytest.mark.parametrize(
    ("quantities", "status"),
    [
        (["9000"], Status.DELIVERED),  # 10,000 − 10 %: completes the line
        (["8999.999"], Status.IN_DELIVERY),  # a thousandth of a litre short of the band
        (["11000"], Status.DELIVERED),  # 10,000 + 10 %: the most allowed
        (["8999.999", "2000.001"], Status.DELIVERED),  # 11,000 in two deliveries
    ],
)
def test_tolerance_edges_on_ten_thousand_litres(
    jp_ph: AgreementProfile, quantities: list[str], status: Status
) -> None:
    x = Exercise(jp_ph)
    n = accepted_order(x)
    for q in quantities:
        assert verdict(x, n, x.deliver(n, [(1, q)], D(2026, 2, 10))).effective
    assert x.status(n) is status
    assert delivered(x.state(n), 1) == sum(Decimal(q) for q in quantities)


@pytest.mark.parametrize("quantities", [["11000.001"], ["8999.999", "2000.002"]])
def test_more_than_the_tolerance_is_ineffective(
    jp_ph: AgreementProfile, quantities: list[str]
) -> None:
    x = Exercise(jp_ph)
    n = accepted_order(x)
    facts = [x.deliver(n, [(1, q)], D(2026, 2, 10)) for q in quantities]
    assert refused(x, n, facts[-1]) == "tolerance_exceeded"
    assert "at most 11000" in verdict(x, n, facts[-1]).reason
    assert delivered(x.state(n), 1) == sum(Decimal(q) for q in quantities[:-1])


def test_a_delivery_of_a_line_the_order_does_not_have_is_ineffective(
    jp_ph: AgreementProfile,
) -> None:
    x = Exercise(jp_ph)
    n = accepted_order(x)
    assert refused(x, n, x.deliver(n, [(2, "100")], D(2026, 2, 10))) == "invalid_value"
    assert refused(x, n, x.deliver(n, [(1, "0")], D(2026, 2, 10))) == "invalid_value"
    assert x.status(n) is Status.ACCEPTED


def test_no_delivery_before_acceptance(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = diesel_order(x)
    assert refused(x, n, x.deliver(n, [(1, "100")], D(2026, 2, 3))) == "transition_not_allowed"


# -- receipt -----------------------------------------------------------------------------


def test_receipt_with_shortfall_and_damage(jp_ph: AgreementProfile) -> None:
    # 100 rations delivered; 95 arrive in good order, 3 damaged, 2 missing.
    x = Exercise(jp_ph)
    n = accepted_order(x, D(2026, 2, 3), RATIONS)
    d = x.deliver(n, [(1, "100")], D(2026, 2, 10))
    receipt = x.do("PHL", RCV, F.RECEIPT_RECORDED, n,
                   {"delivery": d.hash, "lines": [{"line": 1, "quantity": "95", "damaged": "3"}],
                    "note": "3 cartons crushed, 2 missing", "evidence": EVIDENCE},
                   D(2026, 2, 11))
    v = verdict(x, n, receipt)
    assert v.effective and v.note == "line 1: 5 short"
    st = x.state(n)
    (r,) = st.receipts
    assert (r.lines[0].quantity, r.lines[0].damaged) == (Decimal(95), Decimal(3))
    assert r.evidence[0].name == "form-15.pdf"
    assert received(st, 1) == Decimal(95)
    assert x.status(n) is Status.RECEIVED
    a = accounts(st, jp_ph)
    assert (a.commitment, a.receivable) == (0, 95_000)  # billed on what was received
    invoice = x.invoice(n, D(2026, 2, 12))
    assert invoice.data["total"] == "95000"


def test_a_receipt_may_not_count_more_than_was_delivered(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = accepted_order(x, D(2026, 2, 3), RATIONS)
    d = x.deliver(n, [(1, "100")], D(2026, 2, 10))
    over = x.do("PHL", RCV, F.RECEIPT_RECORDED, n,
                {"delivery": d.hash, "lines": [{"line": 1, "quantity": "98", "damaged": "3"}]},
                D(2026, 2, 11))
    assert refused(x, n, over) == "invalid_value"
    assert "101 received and damaged exceeds 100 delivered" in verdict(x, n, over).reason


def test_a_receipt_for_a_delivery_that_does_not_exist(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = accepted_order(x)
    x.deliver(n, [(1, "4000")], D(2026, 2, 10))
    ghost = x.do("PHL", RCV, F.RECEIPT_RECORDED, n,
                 {"delivery": "0" * 64, "lines": [{"line": 1, "quantity": "4000"}]},
                 D(2026, 2, 11))
    assert refused(x, n, ghost) == "unknown_reference"
    assert x.state(n).receipts == ()


def test_a_second_receipt_for_the_same_delivery(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = accepted_order(x)
    d = x.deliver(n, [(1, "4000")], D(2026, 2, 10))  # partial: the order is in delivery
    x.receive(n, d, D(2026, 2, 10))
    again = x.receive(n, d, D(2026, 2, 11), lines=[(1, "3900")])
    assert refused(x, n, again) == "already_recorded"
    assert received(x.state(n), 1) == Decimal(4000)
    # Once everything delivered is received the table itself refuses a receipt.
    rest = x.deliver(n, [(1, "6000")], D(2026, 2, 12))
    x.receive(n, rest, D(2026, 2, 12))
    assert x.status(n) is Status.RECEIVED
    third = x.receive(n, d, D(2026, 2, 13), lines=[(1, "4000")])
    assert refused(x, n, third) == "transition_not_allowed"


# -- disputes ----------------------------------------------------------------------------


def disputed_diesel(x: Exercise) -> tuple[str, Fact, Fact]:
    """10,000 L delivered, 9,500 acknowledged; Japan disputes the receipt."""
    n = accepted_order(x)
    d = x.deliver(n, [(1, "10000")], D(2026, 2, 10))
    x.receive(n, d, D(2026, 2, 10), lines=[(1, "9500")])
    dispute = x.do("JPN", SUPPLY, F.DISPUTE_OPENED, n,
                   {"reason": "the bowser's meter read 10,000 L", "about": d.hash},
                   D(2026, 2, 11))
    return n, d, dispute


def test_opening_a_dispute_makes_the_order_disputed(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n, d, dispute = disputed_diesel(x)
    assert verdict(x, n, dispute).effective
    assert x.status(n) is Status.DISPUTED
    (open_dispute,) = x.state(n).disputes
    assert (open_dispute.side.value, open_dispute.about, open_dispute.open) == (
        "supplier", d.hash, True)
    # No invoice while the receipt is disputed.
    inv = x.do("JPN", FIN, F.INVOICE_ISSUED, n,
               {"number": "INV-1", "kind": "goods", "currency": "JPY", "due_on": "2026-03-14",
                "lines": [], "total": "1"}, D(2026, 2, 12))
    assert refused(x, n, inv) == "transition_not_allowed"


def test_a_dispute_about_something_not_on_the_order_is_ineffective(
    jp_ph: AgreementProfile,
) -> None:
    x = Exercise(jp_ph)
    n = accepted_order(x)
    d = x.deliver(n, [(1, "10000")], D(2026, 2, 10))
    x.receive(n, d, D(2026, 2, 10))
    bad = x.do("PHL", RCV, F.DISPUTE_OPENED, n, {"reason": "?", "about": "e" * 64},
               D(2026, 2, 11))
    assert refused(x, n, bad) == "unknown_reference"
    assert x.status(n) is Status.RECEIVED


def test_a_resolution_takes_both_sides(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n, d, dispute = disputed_diesel(x)
    # Japan proposes to count 9,800 L as received (the meter, less a drain-down).
    proposal = x.do("JPN", APP, F.DISPUTE_RESOLUTION_PROPOSED, n,
                    {"dispute": dispute.hash, "resolution": "count 9,800 L received",
                     "adjustments": [{"delivery": d.hash, "line": 1, "quantity": "9800"}]},
                    D(2026, 2, 12))
    assert verdict(x, n, proposal).effective
    assert x.status(n) is Status.DISPUTED

    own = x.do("JPN", APP, F.DISPUTE_RESOLVED, n,
               {"dispute": dispute.hash, "proposal": proposal.hash}, D(2026, 2, 12))
    assert refused(x, n, own) == "not_authorized"
    assert x.status(n) is Status.DISPUTED
    assert received(x.state(n), 1) == Decimal(9500)

    other = x.do("PHL", ORD, F.DISPUTE_RESOLVED, n,
                 {"dispute": dispute.hash, "proposal": proposal.hash}, D(2026, 2, 13))
    assert verdict(x, n, other).effective
    st = x.state(n)
    assert st.disputes[0].resolved_by == proposal.hash
    assert st.disputes[0].resolved_on == D(2026, 2, 13)
    assert x.status(n) is Status.RECEIVED
    assert received(st, 1) == Decimal(9800)
    assert accounts(st, jp_ph).receivable == 1_494_500  # 9,800 × 152.5
    invoice = x.invoice(n, D(2026, 2, 14))
    assert invoice.data["lines"][0]["quantity"] == "9800"
    assert invoice.data["total"] == "1494500"


def test_a_resolution_may_not_count_more_than_was_delivered(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n, d, dispute = disputed_diesel(x)
    proposal = x.do("PHL", RCV, F.DISPUTE_RESOLUTION_PROPOSED, n,
                    {"dispute": dispute.hash, "resolution": "count 10,001 L",
                     "adjustments": [{"delivery": d.hash, "line": 1, "quantity": "10001"}]},
                    D(2026, 2, 12))
    assert refused(x, n, proposal) == "invalid_value"


def test_after_invoicing_a_dispute_is_settled_by_a_credit_note_not_a_recount(
    jp_ph: AgreementProfile,
) -> None:
    # 10,000 L received and invoiced (JPY 1,525,000); then the Philippines finds 1,000 L
    # of water in the tank. Counting 9,000 L received would leave the invoice billing
    # more than is owed (a negative receivable no payment could clear), so the recount
    # is refused and the difference is credited instead.
    x = Exercise(jp_ph)
    n = received_diesel(x)
    invoice = x.invoice(n, D(2026, 2, 12))
    d = x.state(n).deliveries[0]
    dispute = x.do("PHL", RCV, F.DISPUTE_OPENED, n,
                   {"reason": "1,000 L of water in the tank", "about": d.id}, D(2026, 2, 13))
    assert x.status(n) is Status.DISPUTED
    recount = x.do("PHL", RCV, F.DISPUTE_RESOLUTION_PROPOSED, n,
                   {"dispute": dispute.hash, "resolution": "count 9,000 L",
                    "adjustments": [{"delivery": d.id, "line": 1, "quantity": "9000"}]},
                   D(2026, 2, 13))
    assert refused(x, n, recount) == "invalid_value"
    assert "invoiced for 10000" in verdict(x, n, recount).reason
    credit = x.do("PHL", RCV, F.DISPUTE_RESOLUTION_PROPOSED, n,
                  {"dispute": dispute.hash, "resolution": "JPN credits 1,000 L"},
                  D(2026, 2, 13))
    x.do("JPN", APP, F.DISPUTE_RESOLVED, n, {"dispute": dispute.hash, "proposal": credit.hash},
         D(2026, 2, 14))
    x.credit_note(n, invoice, "152500", D(2026, 2, 14))  # 1,000 L × 152.5
    a = accounts(x.state(n), jp_ph)
    assert (a.receivable, a.invoiced) == (0, 1_372_500)
    pay = x.pay("PHL", [(n, invoice, "1372500")], D(2026, 3, 1))
    x.confirm_payment("JPN", pay, [(n, invoice, "1372500")], D(2026, 3, 2))
    assert x.status(n) is Status.SETTLED


def test_a_recount_crossing_an_invoice_is_refused_when_signed(jp_ph: AgreementProfile) -> None:
    # Japan invoices while, unseen, the Philippines disputes the receipt and proposes a
    # recount. Japan's signature comes after its own invoice, so the recount is judged
    # against it and refused: the invoice stands and nothing goes negative.
    x = Exercise(jp_ph, auto_sync=False)
    n = diesel_order(x)
    x.s.sync()
    x.accept(n, D(2026, 2, 4))
    x.s.sync()
    d = x.deliver(n, [(1, "10000")], D(2026, 2, 10))
    x.s.sync()
    x.receive(n, d, D(2026, 2, 10))
    x.s.sync()
    invoice = x.invoice(n, D(2026, 2, 12))
    dispute = x.do("PHL", RCV, F.DISPUTE_OPENED, n, {"reason": "water", "about": d.hash},
                   D(2026, 2, 12))
    recount = x.do("PHL", RCV, F.DISPUTE_RESOLUTION_PROPOSED, n,
                   {"dispute": dispute.hash, "resolution": "count 9,000 L",
                    "adjustments": [{"delivery": d.hash, "line": 1, "quantity": "9000"}]},
                   D(2026, 2, 12))
    x.s.sync()
    assert verdict(x, n, invoice).effective and verdict(x, n, recount).effective
    signed = x.do("JPN", APP, F.DISPUTE_RESOLVED, n,
                  {"dispute": dispute.hash, "proposal": recount.hash}, D(2026, 2, 13))
    assert refused(x, n, signed) == "invalid_value"
    a = accounts(x.state(n), jp_ph)
    assert (a.receivable, a.invoiced) == (0, 1_525_000)
    assert x.status(n) is Status.DISPUTED


# -- a payment crossing a void -------------------------------------------------------------


def invoiced_rations(x: Exercise) -> tuple[str, Fact]:
    """100 rations delivered and received, invoiced at JPY 100,000, both nodes in step."""
    n = diesel_order(x, SUBMITTED_ON, RATIONS)
    x.s.sync()
    x.accept(n, D(2026, 2, 4))
    x.s.sync()
    d = x.deliver(n, [(1, "100")], D(2026, 2, 10))
    x.s.sync()
    x.receive(n, d, D(2026, 2, 10))
    x.s.sync()
    invoice = x.invoice(n, D(2026, 2, 11))
    x.s.sync()
    return n, invoice


@pytest.mark.parametrize(
    "reissued_first", [False, True], ids=["confirmed-first", "reissued-first"]
)
def test_money_paid_against_a_voided_invoice_counts_on_its_reissue(
    jp_ph: AgreementProfile, reissued_first: bool
) -> None:
    # Japan voids its invoice while the Philippines, unaware, pays JPY 40,000 of it.
    # Whether Japan reissues before or after confirming the money, the reissue asks for
    # the remaining JPY 60,000, never the whole JPY 100,000 again.
    x = Exercise(jp_ph, auto_sync=False)
    n, invoice = invoiced_rations(x)
    x.void(n, invoice, D(2026, 2, 12))
    pay = x.pay("PHL", [(n, invoice, "40000")], D(2026, 2, 12))
    x.s.sync()
    assert verdict(x, n, pay).effective  # the invoice was live at the payment's parent
    if reissued_first:
        reissue = x.invoice(n, D(2026, 2, 13), replaces=invoice.hash)
        x.s.sync()
        confirm = x.confirm_payment("JPN", pay, [(n, invoice, "40000")], D(2026, 2, 14))
        assert "counts as paid on its reissue" in verdict(x, n, confirm).note
    else:
        x.confirm_payment("JPN", pay, [(n, invoice, "40000")], D(2026, 2, 13))
        x.s.sync()
        assert accounts(x.state(n), jp_ph).receivable == 60_000  # the debt, less the money
        reissue = x.invoice(n, D(2026, 2, 14), replaces=invoice.hash)
        assert verdict(x, n, reissue).note == (
            "40000 JPY received against the voided invoice counts as paid on this one")
    x.s.sync()
    st = x.state(n)
    assert reissue.data["total"] == "100000"
    assert st.invoice(reissue.hash).outstanding == 60_000  # type: ignore[union-attr]
    a = accounts(st, jp_ph)
    assert (a.receivable, a.invoiced, a.settled) == (0, 60_000, 40_000)
    # The reissue, paid in part by the crossing payment, cannot be voided in turn.
    assert refused(x, n, x.void(n, reissue, D(2026, 2, 15))) == "invalid_value"
    rest = x.pay("PHL", [(n, reissue, "60000")], D(2026, 3, 1))
    x.s.sync()
    x.confirm_payment("JPN", rest, [(n, reissue, "60000")], D(2026, 3, 2))
    x.s.sync()
    assert x.status(n) is Status.SETTLED
    assert accounts(x.state(n), jp_ph).settled == 100_000


# -- changes after acceptance ------------------------------------------------------------


def request(x: Exercise, party: str, number: str, kind: str, on: date, **data: Any) -> Fact:
    role = ORD if party == x.state(number).requester else APP
    return x.do(party, role, F.CHANGE_REQUESTED, number,
                {"kind": kind, "reason": data.pop("reason", "plans changed"), **data}, on)


def answer(x: Exercise, party: str, number: str, req: Fact, reply: str, on: date) -> Fact:
    role = ORD if party == x.state(number).requester else APP
    return x.do(party, role, F.CHANGE_ANSWERED, number, {"request": req.hash, "answer": reply},
                on)


def test_an_amendment_takes_effect_when_the_other_side_accepts_it(
    jp_ph: AgreementProfile,
) -> None:
    x = Exercise(jp_ph)
    n = accepted_order(x)
    more = x.terms("PHL", "JPN", [("pol", "Diesel F-76", "12000", "L", "152.5")],
                   deliver_to="Subic Bay, Pier 5", needed_by="2026-03-10")
    req = request(x, "PHL", n, "amend", D(2026, 2, 5), terms=more)
    st = x.state(n)
    assert st.changes[0].pending and st.terms.lines[0].quantity == Decimal(10000)
    assert accounts(st, jp_ph).commitment == 1_525_000  # unchanged until Japan agrees
    # The requester cannot answer its own request.
    assert refused(x, n, answer(x, "PHL", n, req, "accepted", D(2026, 2, 5))) == "not_authorized"

    assert verdict(x, n, answer(x, "JPN", n, req, "accepted", D(2026, 2, 6))).effective
    st = x.state(n)
    assert (st.version, st.terms.lines[0].quantity) == (2, Decimal(12000))
    assert (st.terms.deliver_to, st.terms.needed_by) == ("Subic Bay, Pier 5", D(2026, 3, 10))
    assert accounts(st, jp_ph).commitment == 1_830_000  # 12,000 × 152.5
    assert x.status(n) is Status.ACCEPTED


def test_an_amendment_may_not_drop_a_delivered_line_below_its_deliveries(
    jp_ph: AgreementProfile,
) -> None:
    x = Exercise(jp_ph)
    n = accepted_order(x)
    x.deliver(n, [(1, "4000")], D(2026, 2, 10))
    less = x.terms("PHL", "JPN", [("pol", "Diesel F-76", "3000", "L", "152.5")])
    req = request(x, "JPN", n, "amend", D(2026, 2, 11), terms=less)
    assert refused(x, n, req) == "invalid_value"


def test_an_amendment_declined_changes_nothing(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = accepted_order(x)
    dearer = x.terms("PHL", "JPN", [("pol", "Diesel F-76", "10000", "L", "160")])
    req = request(x, "JPN", n, "amend", D(2026, 2, 5), terms=dearer)
    answer(x, "PHL", n, req, "declined", D(2026, 2, 6))
    st = x.state(n)
    assert (st.version, st.changes[0].answer) == (1, "declined")
    assert st.terms.lines[0].unit_price == Decimal("152.5")


def test_close_short_after_a_partial_delivery(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = accepted_order(x)
    d = x.deliver(n, [(1, "4000")], D(2026, 2, 10))
    req = request(x, "PHL", n, "close_short", D(2026, 2, 11), reason="exercise ended early")
    assert x.status(n) is Status.IN_DELIVERY  # a request alone closes nothing
    answer(x, "JPN", n, req, "accepted", D(2026, 2, 12))
    st = x.state(n)
    assert st.closed_short_on == D(2026, 2, 12)
    assert x.status(n) is Status.DELIVERED  # at what was delivered: 4,000 L
    x.receive(n, d, D(2026, 2, 12))
    a = accounts(x.state(n), jp_ph)
    assert (a.commitment, a.receivable) == (0, 610_000)  # 4,000 × 152.5
    assert x.status(n) is Status.RECEIVED
    assert x.invoice(n, D(2026, 2, 13)).data["total"] == "610000"
    # The rest will not be delivered, even once settlement has begun.
    assert x.status(n) is Status.SETTLING
    late = x.deliver(n, [(1, "100")], D(2026, 2, 14))
    assert refused(x, n, late) == "amount_exceeds_outstanding"
    assert "closed short on 2026-02-12" in verdict(x, n, late).reason


def test_the_requester_cannot_cancel_alone_after_acceptance(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = accepted_order(x)
    assert refused(x, n, x.withdraw(n, D(2026, 2, 4))) == "transition_not_allowed"
    req = request(x, "PHL", n, "cancel", D(2026, 2, 4), reason="typhoon diverted the unit")
    assert x.status(n) is Status.ACCEPTED and x.state(n).changes[0].pending
    # The supplier may not ask to cancel (only the requester may).
    assert refused(x, n, request(x, "JPN", n, "cancel", D(2026, 2, 4))) == (
        "transition_not_allowed")
    # A second cancel request while the first is pending is refused.
    assert refused(x, n, request(x, "PHL", n, "cancel", D(2026, 2, 4))) == "already_recorded"

    answer(x, "JPN", n, req, "declined", D(2026, 2, 5))
    st = x.state(n)
    assert x.status(n) is Status.ACCEPTED
    assert (st.changes[0].answer, st.cancelled_on) == ("declined", None)
    assert accounts(st, jp_ph).commitment == 1_525_000

    again = request(x, "PHL", n, "cancel", D(2026, 2, 6))
    answer(x, "JPN", n, again, "accepted", D(2026, 2, 6))
    assert x.status(n) is Status.CANCELLED
    assert accounts(x.state(n), jp_ph).commitment == 0


def test_a_cancellation_answered_after_deliveries_began_closes_the_rest(
    jp_ph: AgreementProfile,
) -> None:
    # The requester asks to cancel an accepted order; before Japan answers, a first
    # delivery is made. Accepting the request then closes the rest: what was
    # delivered stands and is owed.
    x = Exercise(jp_ph)
    n = accepted_order(x)
    req = request(x, "PHL", n, "cancel", D(2026, 2, 5))
    x.deliver(n, [(1, "4000")], D(2026, 2, 10))
    reply = answer(x, "JPN", n, req, "accepted", D(2026, 2, 11))
    assert verdict(x, n, reply).note == "deliveries already made stand; the rest is closed"
    st = x.state(n)
    assert (st.cancelled_on, st.closed_short_on) == (None, D(2026, 2, 11))
    assert x.status(n) is Status.DELIVERED
    # A cancellation is asked for before any delivery.
    late = request(x, "PHL", n, "cancel", D(2026, 2, 12))
    assert refused(x, n, late) == "transition_not_allowed"


# -- emergency orders --------------------------------------------------------------------


def emergency_order(x: Exercise, on: date = EMERGENCY_ON) -> str:
    return x.emergency(x.terms("PHL", "JPN", [DIESEL], activity_type="hadr"), on)


def test_an_emergency_order_is_numbered_by_the_supplier_and_accepted_at_once(
    jp_ph: AgreementProfile,
) -> None:
    x = Exercise(jp_ph)
    n = emergency_order(x)
    assert n == "JP-PH/JPN/FY2026/E00001"  # Japan's range; its FY2026 began on 1 April
    st = x.state(n)
    (v,) = st.verdicts
    assert v.effective
    assert st.emergency and st.accepted is not None and st.accepted.id == v.event
    assert st.emergency_confirmation_due == D(2026, 5, 17)  # 7 days under JPN-PHL
    assert x.status(n) is Status.ACCEPTED
    assert accounts(st, jp_ph).commitment == 1_525_000
    # Deliveries start at once.
    assert verdict(x, n, x.deliver(n, [(1, "5000")], D(2026, 5, 10))).effective


def test_an_emergency_order_numbered_in_the_requesters_range_is_ineffective(
    jp_ph: AgreementProfile,
) -> None:
    x = Exercise(jp_ph)
    terms = x.terms("PHL", "JPN", [DIESEL], activity_type="hadr")
    fact = x.do("JPN", APP, F.ORDER_EMERGENCY_RECORDED, "JP-PH/PHL/FY2026/E00001",
                {"terms": terms}, D(2026, 5, 10))
    assert refused(x, fact.subject, fact) == "invalid_value"
    unmarked = x.do("JPN", APP, F.ORDER_EMERGENCY_RECORDED, "JP-PH/JPN/FY2026/00001",
                    {"terms": terms}, D(2026, 5, 10))
    assert refused(x, unmarked.subject, unmarked) == "invalid_value"


@pytest.mark.parametrize(
    ("confirmed_on", "note"),
    [
        (D(2026, 5, 16), ""),  # the day before the window closes
        (D(2026, 5, 17), ""),  # the last day of the window
        (D(2026, 5, 18), "confirmed late: 1 day(s) after the window closed on 2026-05-17"),
    ],
)
def test_emergency_confirmation_window_edges(
    jp_ph: AgreementProfile, confirmed_on: date, note: str
) -> None:
    x = Exercise(jp_ph)
    n = emergency_order(x)
    fact = x.confirm_emergency(n, confirmed_on)
    v = verdict(x, n, fact)
    assert v.effective and v.note == note
    assert x.state(n).emergency_confirmed_on == confirmed_on
    assert [i.kind for i in aging.due_items(x.state(n), jp_ph)] == []
    again = x.confirm_emergency(n, confirmed_on)
    assert refused(x, n, again) == "already_recorded"


def test_an_unconfirmed_emergency_order_is_due(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = emergency_order(x)
    (item,) = aging.due_items(x.state(n), jp_ph)
    assert (item.kind, item.reference, item.debtor, item.creditor) == (
        "emergency_confirmation", n, "PHL", "JPN")
    assert (item.since, item.due_on, item.amount) == (D(2026, 5, 10), D(2026, 5, 17), None)
    zones = {p.code: p.time_zone for p in jp_ph.parties}
    (aged,) = aging.age([item], lambda: datetime(2026, 5, 20, 3, tzinfo=UTC), zones)
    assert (aged.days, aged.bucket, aged.overdue) == (3, "1-30", True)


def test_only_an_emergency_order_is_confirmed_in_writing(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = accepted_order(x)
    assert refused(x, n, x.confirm_emergency(n, D(2026, 2, 4))) == "not_eligible"


# -- third-party transfer ----------------------------------------------------------------


def received_diesel(x: Exercise) -> str:
    n = accepted_order(x)
    d = x.deliver(n, [(1, "10000")], D(2026, 2, 10))
    x.receive(n, d, D(2026, 2, 10))
    return n


def transfer_request(x: Exercise, n: str, quantity: str = "2000") -> Fact:
    return x.do("PHL", ORD, F.TRANSFER_REQUESTED, n,
                {"to": "USA", "lines": [{"line": 1, "quantity": quantity}],
                 "reason": "refuel USMC vehicles during the trilateral phase"}, D(2026, 2, 15))


def transfer(x: Exercise, n: str, req: Fact) -> Fact:
    return x.do("PHL", SUPPLY, F.TRANSFER_RECORDED, n, {"request": req.hash}, D(2026, 2, 17))


def transfer_answer(x: Exercise, n: str, req: Fact, reply: str) -> Fact:
    return x.do("JPN", APP, F.TRANSFER_ANSWERED, n, {"request": req.hash, "answer": reply},
                D(2026, 2, 16))


def test_a_transfer_without_consent_is_refused(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = received_diesel(x)
    req = transfer_request(x, n)
    assert verdict(x, n, req).effective
    t = transfer(x, n, req)
    assert refused(x, n, t) == "consent_missing"
    assert "JPN has not consented in writing to a transfer to USA" in verdict(x, n, t).reason


def test_a_transfer_after_consent_is_recorded(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = received_diesel(x)
    req = transfer_request(x, n)
    transfer_answer(x, n, req, "consented")
    t = transfer(x, n, req)
    assert verdict(x, n, t).effective
    (rec,) = x.state(n).transfers
    assert (rec.to, rec.answer, rec.done_on) == ("USA", "consented", D(2026, 2, 17))
    assert refused(x, n, transfer(x, n, req)) == "already_recorded"


def test_a_transfer_after_refusal_is_refused(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = received_diesel(x)
    req = transfer_request(x, n)
    transfer_answer(x, n, req, "refused")
    assert refused(x, n, transfer(x, n, req)) == "consent_missing"
    # An answer is given once.
    assert refused(x, n, transfer_answer(x, n, req, "consented")) == "already_recorded"


def test_a_transfer_request_is_for_what_was_received_and_to_a_third_party(
    jp_ph: AgreementProfile,
) -> None:
    x = Exercise(jp_ph)
    n = received_diesel(x)
    assert refused(x, n, transfer_request(x, n, "10000.5")) == "invalid_value"
    to_supplier = x.do("PHL", ORD, F.TRANSFER_REQUESTED, n,
                       {"to": "JPN", "lines": [{"line": 1, "quantity": "1"}], "reason": "r"},
                       D(2026, 2, 15))
    assert refused(x, n, to_supplier) == "invalid_value"


# -- appointments ------------------------------------------------------------------------


def submit_as(x: Exercise, appointment: Appointment, on: date, *lines: tuple[str, ...],
              requester: str = "PHL", supplier: str = "JPN") -> tuple[str, Fact]:
    terms = x.terms(requester, supplier, list(lines) or [DIESEL])
    number = x.s.number(requester, on)
    return number, x.s.act(appointment, F.ORDER_SUBMITTED, number, {"terms": terms}, on=on)


def test_an_act_without_an_appointment_is_ineffective(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    stranger = Appointment(id="9" * 64, party="PHL", user="phl.stranger", name="Stranger",
                           role=ORD, valid_from=D(2026, 1, 15))
    n, fact = submit_as(x, stranger, D(2026, 2, 3))
    assert refused(x, n, fact) == "not_appointed"
    assert "cites no known appointment" in verdict(x, n, fact).reason
    assert x.status(n) is Status.DRAFT


def test_an_act_citing_someone_elses_appointment_is_ineffective(
    jp_ph: AgreementProfile,
) -> None:
    x = Exercise(jp_ph)
    borrowed = dataclasses.replace(x.official("PHL", ORD), user="phl.clerk")
    n, fact = submit_as(x, borrowed, D(2026, 2, 3))
    assert refused(x, n, fact) == "not_appointed"
    assert "is not phl.clerk (PHL)'s" in verdict(x, n, fact).reason


def test_an_act_for_a_unit_the_appointment_does_not_cover(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    navy_only = x.s.appoint("PHL", "phl.navy.ordering", ORD, units=frozenset({"PN-NAVFORWEST"}))
    n, fact = submit_as(x, navy_only, D(2026, 2, 3))  # for the AFP-TOG1
    assert refused(x, n, fact) == "not_appointed"
    assert "not appointed for unit AFP-TOG1" in verdict(x, n, fact).reason
    both = x.s.appoint("PHL", "phl.j4", ORD, units=frozenset({"PN-NAVFORWEST", UNITS["PHL"]}))
    n, fact = submit_as(x, both, D(2026, 2, 3))
    assert verdict(x, n, fact).effective


@pytest.mark.parametrize(
    ("price", "code"),
    [
        ("10000.00", ""),  # PHP 10,000.00: exactly the limit
        ("10000.01", "limit_exceeded"),  # one centavo more
    ],
)
def test_an_appointments_limit(jp_ph: AgreementProfile, price: str, code: str) -> None:
    # Japan asks the Philippines for billeting, priced in PHP; the official may sign
    # orders up to PHP 10,000.00 (1,000,000 centavos).
    x = Exercise(jp_ph)
    limited = x.s.appoint("JPN", "jpn.limited", ORD, limits={"PHP": 1_000_000})
    n, fact = submit_as(x, limited, D(2026, 2, 3), ("billeting", "Barracks", "1", "NIGHT", price),
                        requester="JPN", supplier="PHL")
    v = verdict(x, n, fact)
    assert (v.effective, v.code) == (code == "", code)


def test_a_limit_in_another_currency_gives_no_authority(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    yen_only = x.s.appoint("JPN", "jpn.yen", ORD, limits={"JPY": 50_000_000})
    n, fact = submit_as(x, yen_only, D(2026, 2, 3), ("billeting", "Barracks", "1", "NIGHT", "1"),
                        requester="JPN", supplier="PHL")
    assert refused(x, n, fact) == "limit_exceeded"
    assert "states no limit in PHP" in verdict(x, n, fact).reason


def test_an_acceptance_above_the_approvers_limit(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = diesel_order(x)  # JPY 1,525,000
    approver = x.s.appoint("JPN", "jpn.junior.approver", APP, limits={"JPY": 1_524_999})
    fact = x.s.act(approver, F.ORDER_ACCEPTED, n,
                   {"version": 1, "supplying_unit": UNITS["JPN"]}, on=D(2026, 2, 4))
    assert refused(x, n, fact) == "limit_exceeded"
    senior = x.s.appoint("JPN", "jpn.senior.approver", APP, limits={"JPY": 1_525_000})
    fact = x.s.act(senior, F.ORDER_ACCEPTED, n,
                   {"version": 1, "supplying_unit": UNITS["JPN"]}, on=D(2026, 2, 4))
    assert verdict(x, n, fact).effective


def test_an_act_before_the_appointment_is_valid(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    from_march = x.s.appoint("PHL", "phl.new.ordering", ORD, valid_from=D(2026, 3, 1))
    n, fact = submit_as(x, from_march, D(2026, 2, 28))
    assert refused(x, n, fact) == "not_appointed"
    assert "not in force on 2026-02-28" in verdict(x, n, fact).reason
    n, fact = submit_as(x, from_march, D(2026, 3, 1))
    assert verdict(x, n, fact).effective


def test_an_act_after_revocation_by_stream_position(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    official = x.s.appoint("PHL", "phl.leaving", ORD)
    before, fact_before = submit_as(x, official, D(2026, 2, 3))
    x.s.revoke(official)
    after, fact_after = submit_as(x, official, D(2026, 2, 3))  # same day, later in the stream
    assert fact_before.seq < x.s.seqs[x.s.stream("PHL")] - 1 < fact_after.seq
    assert verdict(x, before, fact_before).effective  # earlier events keep their effect
    assert refused(x, after, fact_after) == "not_appointed"
    assert "has been revoked" in verdict(x, after, fact_after).reason


# -- who signed --------------------------------------------------------------------------


def test_an_acceptance_signed_by_the_requesters_node_is_ineffective(
    jp_ph: AgreementProfile,
) -> None:
    x = Exercise(jp_ph)
    n = diesel_order(x)
    forged = x.s.act(x.official("JPN", APP), F.ORDER_ACCEPTED, n,
                     {"version": 1, "supplying_unit": UNITS["JPN"]}, on=D(2026, 2, 4),
                     signer="PHL")
    assert refused(x, n, forged) == "not_authorized"
    assert "an act of JPN signed by PHL's node" in verdict(x, n, forged).reason
    assert x.status(n) is Status.SUBMITTED


def paper_acceptance(x: Exercise, n: str, *, evidence: bool) -> Fact:
    # Japan's approving official signed form 1 on paper; the Philippine node records it,
    # so the appointment it cites is recorded in the Philippine stream too.
    approver = x.s.appoint("JPN", "jpn.approving.paper", APP, recorded_by="PHL")
    data: dict[str, Any] = {"version": 1, "supplying_unit": UNITS["JPN"]}
    if evidence:
        data["evidence"] = EVIDENCE
    return x.s.act(approver, F.ORDER_ACCEPTED, n, data, on=D(2026, 2, 4), signer="PHL",
                   paper=True)


def paper_profile(profile: AgreementProfile, party: str) -> AgreementProfile:
    parties = tuple(
        dataclasses.replace(p, signs="paper") if p.code == party else p for p in profile.parties
    )
    return dataclasses.replace(profile, parties=parties, digest=profile.digest + "+paper")


def test_a_paper_signed_step_is_refused_when_the_party_runs_a_node(
    jp_ph: AgreementProfile,
) -> None:
    x = Exercise(jp_ph)
    n = diesel_order(x)
    fact = paper_acceptance(x, n, evidence=True)
    assert refused(x, n, fact) == "not_authorized"
    assert "JPN runs its own node" in verdict(x, n, fact).reason


def test_a_paper_signed_step_is_accepted_when_the_party_signs_on_paper(
    jp_ph: AgreementProfile,
) -> None:
    paper = paper_profile(jp_ph, "JPN")
    assert paper.party("JPN").signs == "paper" and paper.party("PHL").signs == "node"
    x = Exercise(paper)
    assert x.s.context().profiles == {paper.digest: paper}
    n = diesel_order(x)
    without = paper_acceptance(x, n, evidence=False)
    assert refused(x, n, without) == "not_authorized"
    assert "needs the signed form attached as evidence" in verdict(x, n, without).reason
    with_form = paper_acceptance(x, n, evidence=True)
    assert verdict(x, n, with_form).effective
    assert x.status(n) is Status.ACCEPTED
    assert x.state(n).accepted.id == with_form.hash  # type: ignore[union-attr]


def test_paper_marks_only_an_act_recorded_by_the_other_node(jp_ph: AgreementProfile) -> None:
    x = Exercise(paper_profile(jp_ph, "JPN"))
    n = diesel_order(x)
    own = x.s.act(x.official("JPN", APP), F.ORDER_ACCEPTED, n,
                  {"version": 1, "supplying_unit": UNITS["JPN"], "evidence": EVIDENCE},
                  on=D(2026, 2, 4), paper=True)
    assert refused(x, n, own) == "not_authorized"


# -- dates -------------------------------------------------------------------------------


def test_a_business_date_after_the_recording_day_plus_one(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = diesel_order(x)
    # Recorded on 10 February (UTC); Tokyo is a day ahead for nine hours of it.
    ahead = x.do("JPN", APP, F.ORDER_ACCEPTED, n,
                 {"on": "2026-02-12", "version": 1, "supplying_unit": UNITS["JPN"]},
                 D(2026, 2, 10))
    assert ahead.at.startswith("2026-02-10")
    assert refused(x, n, ahead) == "invalid_value"
    assert "after the day the event was recorded (2026-02-10)" in verdict(x, n, ahead).reason
    grace = x.do("JPN", APP, F.ORDER_ACCEPTED, n,
                 {"on": "2026-02-11", "version": 1, "supplying_unit": UNITS["JPN"]},
                 D(2026, 2, 10))
    assert verdict(x, n, grace).effective


def test_a_business_date_before_the_order_began(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = diesel_order(x, D(2026, 2, 10))
    early = x.do("JPN", APP, F.ORDER_ACCEPTED, n,
                 {"on": "2026-02-09", "version": 1, "supplying_unit": UNITS["JPN"]},
                 D(2026, 2, 10))
    assert refused(x, n, early) == "invalid_value"


# -- aging -------------------------------------------------------------------------------


def invoiced_diesel(x: Exercise) -> tuple[str, aging.DueItem]:
    n = received_diesel(x)
    x.invoice(n, D(2026, 2, 4))  # due 30 days later: 6 March 2026
    (item,) = aging.due_items(x.state(n), x.profile)
    return n, item


@pytest.mark.parametrize(
    ("instant", "days", "bucket"),
    [
        (datetime(2026, 3, 5, 4, 0, tzinfo=UTC), 0, "current"),  # 5 March, noon in Manila
        (datetime(2026, 3, 6, 4, 0, tzinfo=UTC), 0, "current"),  # the due date
        (datetime(2026, 3, 7, 4, 0, tzinfo=UTC), 1, "1-30"),  # the day after
        # 23:30 on 6 March in Manila, already 00:30 on 7 March in Tokyo: the debtor's day.
        (datetime(2026, 3, 6, 15, 30, tzinfo=UTC), 0, "current"),
        (datetime(2026, 3, 6, 16, 0, tzinfo=UTC), 1, "1-30"),  # midnight in Manila
    ],
)
def test_invoice_due_date_edges_in_the_debtors_time_zone(
    jp_ph: AgreementProfile, instant: datetime, days: int, bucket: str
) -> None:
    x = Exercise(jp_ph)
    _, item = invoiced_diesel(x)
    assert (item.kind, item.debtor, item.due_on) == ("invoice", "PHL", D(2026, 3, 6))
    assert item.amount is not None and item.amount.minor == 1_525_000
    zones = {p.code: p.time_zone for p in jp_ph.parties}
    (aged,) = aging.age([item], lambda: instant, zones)
    assert (aged.days, aged.bucket, aged.overdue) == (days, bucket, days > 0)


def test_the_tokyo_day_does_not_age_a_manila_debt(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    _, item = invoiced_diesel(x)
    instant = datetime(2026, 3, 6, 15, 30, tzinfo=UTC)
    assert aging.local_date(instant, "Asia/Tokyo") == D(2026, 3, 7)
    assert aging.local_date(instant, "Asia/Manila") == D(2026, 3, 6)
    zones = {"JPN": "Asia/Tokyo", "PHL": "Asia/Manila"}
    (by_debtor,) = aging.age([item], lambda: instant, zones)
    (by_creditor,) = aging.age([item], lambda: instant, {"PHL": "Asia/Tokyo"})
    assert (by_debtor.days, by_creditor.days) == (0, 1)


def test_a_naive_clock_is_refused(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    _, item = invoiced_diesel(x)
    with pytest.raises(ValueError, match="aware"):
        aging.age([item], lambda: datetime(2026, 3, 6, 12), {"PHL": "Asia/Manila"})

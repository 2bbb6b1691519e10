"""Worked examples of replacement in kind, equal-value exchange and offset, figures by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from acsa.devtools.exercise import Exercise
from acsa.domain.figures import accounts, in_kind_due_on, owed_in_kind
from acsa.domain.ledger import order_entries
from acsa.domain.rules import Status

D = date
FEB_10 = D(2026, 2, 10)


def last(x: Exercise, number: str):
    return x.state(number).verdicts[-1]


def delivered_and_received(x, requester, supplier, lines, method, on=FEB_10):
    n = x.submit(x.terms(requester, supplier, lines, method=method), D(2026, 2, 3))
    x.accept(n, D(2026, 2, 4))
    d = x.deliver(n, [(i + 1, q) for i, (_, _, q, _, _) in enumerate(lines)], on)
    x.receive(n, d, on)
    return n


# -- replacement in kind ---------------------------------------------------------------


@pytest.fixture
def rik(jp_ph):
    # 500 rations at 1,200 JPY = 600,000 JPY owed in kind; first delivery 10 February 2026,
    # so the 365-day return period ends on 10 February 2027.
    x = Exercise(jp_ph)
    n = delivered_and_received(x, "PHL", "JPN", [("food", "Ration, MRE", "500", "EA", "1200")],
                               "rik")
    return x, n


def test_rik_partial_returns_then_conversion_after_the_deadline(rik, jp_ph):
    x, n = rik
    assert in_kind_due_on(x.state(n), jp_ph) == D(2027, 2, 10)
    assert accounts(x.state(n), jp_ph).in_kind == 600_000

    r1 = x.return_in_kind(n, [(1, "200")], D(2026, 6, 1))
    assert x.status(n) is Status.SETTLING
    x.answer_return(n, r1, D(2026, 6, 2))
    a = accounts(x.state(n), jp_ph)
    assert (a.in_kind, a.settled) == (360_000, 240_000)  # 600,000 × 300/500 still owed

    r2 = x.return_in_kind(n, [(1, "100")], D(2027, 2, 9))
    x.answer_return(n, r2, D(2027, 2, 9))
    assert owed_in_kind(x.state(n), 1, jp_ph) == Decimal(200)

    # Conversion: not the day before the deadline, not on the day, only the day after.
    for too_early in (D(2027, 2, 9), D(2027, 2, 10)):
        x.convert(n, too_early, prices={1: "1350"})
        assert last(x, n).code == "deadline_not_reached"
    conversion = x.convert(n, D(2027, 2, 11), prices={1: "1350"})
    assert last(x, n).effective
    assert conversion.data["amount"] == "270000"  # 200 × 1,350, the supplier's price that day
    a = accounts(x.state(n), jp_ph)
    assert (a.in_kind, a.receivable, a.settled) == (0, 270_000, 360_000)

    inv = x.invoice(n, D(2027, 2, 11), kind="conversion", reference=conversion.hash)
    assert inv.data["due_on"] == "2027-03-13"
    pay = x.pay("PHL", [(n, inv, "270000")], D(2027, 3, 1))
    x.confirm_payment("JPN", pay, [(n, inv, "270000")], D(2027, 3, 2))
    assert x.status(n) is Status.SETTLED
    assert accounts(x.state(n), jp_ph).settled == 630_000


def test_rik_returns_settle_exactly_despite_rounding(jp_ph):
    # 3 units worth 1,000 JPY in all: each third is 333.33…; the last return clears it exactly.
    x = Exercise(jp_ph)
    n = delivered_and_received(x, "PHL", "JPN", [("food", "Kit", "3", "EA", "333.34")], "rik")
    assert accounts(x.state(n), jp_ph).in_kind == 1000  # 3 × 333.34 = 1,000.02 → 1,000
    for day in (1, 2, 3):
        r = x.return_in_kind(n, [(1, "1")], D(2026, 3, day))
        x.answer_return(n, r, D(2026, 3, day))
    a = accounts(x.state(n), jp_ph)
    assert (a.in_kind, a.settled) == (0, 1000)
    assert x.status(n) is Status.SETTLED
    _postings, entries = order_entries(x.state(n), x.s.facts, x.s.context())
    assert sum(e.quantity for e in entries) == 0  # owed 3, returned 3


def test_returning_more_than_is_owed_is_refused(rik):
    x, n = rik
    x.return_in_kind(n, [(1, "501")], D(2026, 6, 1))
    assert last(x, n).code == "amount_exceeds_outstanding"


def test_rejected_return_leaves_the_debt(rik, jp_ph):
    x, n = rik
    r = x.return_in_kind(n, [(1, "500")], D(2026, 6, 1))
    x.answer_return(n, r, D(2026, 6, 2), answer="rejected")
    assert accounts(x.state(n), jp_ph).in_kind == 600_000
    assert x.status(n) is Status.SETTLING


def test_rik_is_for_supplies_only(jp_ph):
    x = Exercise(jp_ph)
    n = x.submit(x.terms("PHL", "JPN", [("billeting", "Barracks", "30", "NIGHT", "5000")],
                         method="rik"), D(2026, 2, 3))
    v = x.state(n).verdicts[0]
    assert not v.effective and v.code == "not_eligible" and "cannot be returned" in v.reason


# -- equal-value exchange -------------------------------------------------------------


@pytest.fixture
def eve(jp_ph):
    x = Exercise(jp_ph)
    # A: the Philippines transports for Japan, 10 trips × PHP 25,000.00 = PHP 250,000.00.
    a = delivered_and_received(x, "JPN", "PHL", [("transportation", "Truck, 5 t", "10", "TRIP",
                                                   "25000.00")], "eve")
    # B: Japan transports for the Philippines, 12 trips × JPY 50,000 = JPY 600,000 (under
    # JPN-PHL 2026.2 an exchange links services of the same category each way).
    b = delivered_and_received(x, "PHL", "JPN", [("transportation", "Truck, 3½ t", "12",
                                                   "TRIP", "50000")], "eve")
    return x, a, b


def test_eve_valued_in_php_residual_billed_in_cash(eve, jp_ph):
    x, a, b = eve
    # At 1 JPY = 0.38 PHP, B is worth PHP 228,000.00; A is PHP 250,000.00.
    # The Philippines supplied PHP 22,000.00 more: billed in cash on A.
    link = x.link_exchange("JPN", [a, b], D(2026, 3, 1), "PHP", [("JPY", "PHP", "0.38")])
    parts = {p["order"]: p for p in link.data["orders"]}
    assert parts[b]["valued"] == "228000.00"
    assert parts[a]["valued"] == "250000.00"
    assert parts[a]["to_cash"] == "22000.00" and parts[b]["to_cash"] == "0"
    assert link.data["residual"] == {"creditor": "PHL", "amount": "22000.00"}
    assert x.status(a) is Status.SETTLING  # linked, not yet signed by both

    x.sign_exchange("PHL", link, D(2026, 3, 2))
    # Nothing is owed on B itself, but the exchange closes as a whole: B is settled only
    # once the residual billed on A is paid.
    assert x.status(b) is Status.SETTLING
    acc_a = accounts(x.state(a), jp_ph)
    assert (acc_a.in_kind, acc_a.settled, acc_a.receivable) == (0, 22_800_000, 2_200_000)

    inv = x.invoice(a, D(2026, 3, 3), kind="residual", reference=link.hash)
    assert inv.data["total"] == "22000.00"
    pay = x.pay("JPN", [(a, inv, "22000.00")], D(2026, 3, 20))
    assert (x.status(a), x.status(b)) == (Status.SETTLING, Status.SETTLING)
    x.confirm_payment("PHL", pay, [(a, inv, "22000.00")], D(2026, 3, 21))
    assert (x.status(a), x.status(b)) == (Status.SETTLED, Status.SETTLED)


def test_eve_valued_in_jpy_converts_the_residual_back(eve):
    x, a, b = eve
    # Valued in JPY at the inverse of 0.38: A = 250,000.00 / 0.38 = 657,894.74 → 657,895 JPY.
    # Residual 657,895 − 600,000 = 57,895 JPY, billed on A as 57,895 × 0.38 = PHP 22,000.10.
    link = x.link_exchange("PHL", [a, b], D(2026, 3, 1), "JPY", [("JPY", "PHP", "0.38")])
    parts = {p["order"]: p for p in link.data["orders"]}
    assert parts[a]["valued"] == "657895"
    assert link.data["residual"]["amount"] == "57895"
    assert parts[a]["to_cash"] == "22000.10"


def test_eve_needs_the_other_partys_signature(eve):
    x, a, b = eve
    link = x.link_exchange("JPN", [a, b], D(2026, 3, 1), "PHP", [("JPY", "PHP", "0.38")])
    x.sign_exchange("JPN", link, D(2026, 3, 2))
    assert last(x, a).code == "not_authorized"


def test_eve_window_edges(eve):
    # First delivery 10 February 2026; the 365-day window closes on 10 February 2027.
    x, a, b = eve
    link = x.link_exchange("JPN", [a, b], D(2027, 2, 9), "PHP", [("JPY", "PHP", "0.38")])
    x.sign_exchange("PHL", link, D(2027, 2, 11))
    assert last(x, a).code == "deadline_passed"
    x.sign_exchange("PHL", link, D(2027, 2, 10))
    assert last(x, a).effective and last(x, b).effective


def test_exchange_with_a_misstated_value_is_ineffective_on_every_order(eve):
    x, a, b = eve
    link = x.link_exchange("JPN", [a, b], D(2026, 3, 1), "PHP", [("JPY", "PHP", "0.38")])
    forged = dict(link.data)
    forged["orders"] = [dict(p, value="1.00") if p["order"] == b else dict(p)
                        for p in link.data["orders"]]
    x.do("JPN", link.actor.role, "exchange.proposed", "EVE/JPN/99999", forged, D(2026, 3, 1))
    # B's part misstates what is owed on B; the valuation no longer follows either, so
    # neither order is touched.
    assert last(x, b).code == "invalid_value"
    assert not last(x, a).effective
    assert x.state(a).exchanges[-1].exchange == link.hash


# -- offset -----------------------------------------------------------------------------------


def test_offset_nets_invoices_each_way_across_currencies(jp_ph):
    x = Exercise(jp_ph)
    # X: Japan supplied the Philippines, invoice JPY 100,000.
    # Y: the Philippines supplied Japan, invoice PHP 30,000.00.
    xo = delivered_and_received(x, "PHL", "JPN", [("food", "Rations", "100", "EA", "1000")],
                                "cash")
    yo = delivered_and_received(x, "JPN", "PHL", [("food", "Rice", "300", "KG", "100.00")],
                                "cash")
    inv_x = x.invoice(xo, D(2026, 2, 20))
    inv_y = x.invoice(yo, D(2026, 2, 20))
    # In PHP at 0.38: X is worth PHP 38,000.00, Y PHP 30,000.00; PHP 30,000.00 nets each way,
    # which on X is 30,000.00 / 0.38 = 78,947.37 → JPY 78,947.
    proposal = x.offset("PHL", [(xo, inv_x), (yo, inv_y)], D(2026, 3, 31), "PHP",
                        [("JPY", "PHP", "0.38")])
    assert proposal.data["net"] == "30000.00"
    parts = {p["order"]: p for p in proposal.data["orders"]}
    assert parts[xo]["amount"] == "78947" and parts[yo]["amount"] == "30000.00"
    x.sign_offset("JPN", proposal, D(2026, 4, 1))
    assert x.state(xo).invoice(inv_x.hash).outstanding == 21_053
    assert x.status(yo) is Status.SETTLED
    assert x.status(xo) is Status.SETTLING


def test_offset_signed_by_its_proposer_is_refused(jp_ph):
    x = Exercise(jp_ph)
    xo = delivered_and_received(x, "PHL", "JPN", [("food", "Rations", "100", "EA", "1000")],
                                "cash")
    yo = delivered_and_received(x, "JPN", "PHL", [("food", "Rice", "300", "KG", "100.00")],
                                "cash")
    inv_x = x.invoice(xo, D(2026, 2, 20))
    inv_y = x.invoice(yo, D(2026, 2, 20))
    proposal = x.offset("PHL", [(xo, inv_x), (yo, inv_y)], D(2026, 3, 31), "PHP",
                        [("JPY", "PHP", "0.38")])
    x.sign_offset("PHL", proposal, D(2026, 4, 1))
    assert last(x, xo).code == "not_authorized"

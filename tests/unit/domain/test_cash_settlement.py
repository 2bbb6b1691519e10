"""Worked examples of settlement in cash, with the figures checked by hand beside them."""

from __future__ import annotations

from datetime import date

import pytest

from acsa.devtools.exercise import Exercise
from acsa.domain.errors import NothingDue
from acsa.domain.figures import accounts
from acsa.domain.rules import Status

D = date
FEB_3 = D(2026, 2, 3)


def last(x: Exercise, number: str):
    return x.state(number).verdicts[-1]


def received_order(x: Exercise, requester: str, supplier: str, lines, on=FEB_3):
    """An order accepted, delivered whole and received whole; returns (number, delivery)."""
    n = x.submit(x.terms(requester, supplier, lines), on)
    x.accept(n, on)
    delivery = x.deliver(n, [(i + 1, q) for i, (_, _, q, _, _) in enumerate(lines)], on)
    x.receive(n, delivery, on)
    return n


def test_jpy_line_totals_round_half_even(jp_ph):
    # 3 × 100.5 = 301.5 → 302 (even); 5 × 100.5 = 502.5 → 502 (even). Total 804 JPY.
    x = Exercise(jp_ph)
    n = received_order(x, "PHL", "JPN", [("food", "Ration A", "3", "EA", "100.5"),
                                          ("food", "Ration B", "5", "EA", "100.5")])
    invoice = x.invoice(n, D(2026, 2, 4))
    assert [line["amount"] for line in invoice.data["lines"]] == ["302", "502"]
    assert invoice.data["total"] == "804"
    assert invoice.data["due_on"] == "2026-03-06"  # 30 calendar days after 4 February


def test_php_line_totals_round_half_even(jp_ph):
    # 3 × 10.005 = 30.015 → 30.02 (even cent); 1 × 10.005 = 10.005 → 10.00. Total 40.02 PHP.
    x = Exercise(jp_ph)
    n = received_order(x, "JPN", "PHL", [("water", "Bottled water", "3", "L", "10.005"),
                                          ("water", "Bottled water", "1", "L", "10.005")])
    invoice = x.invoice(n, D(2026, 2, 4))
    assert [line["amount"] for line in invoice.data["lines"]] == ["30.02", "10.00"]
    assert invoice.data["total"] == "40.02"
    assert x.state(n).currency == "PHP"


def test_invoice_on_received_quantity_after_shortfall(jp_ph):
    # 10,000 L ordered at 152.5 JPY; 9,800 delivered, 9,700 received: billed 9,700 × 152.5.
    x = Exercise(jp_ph)
    n = x.submit(x.terms("PHL", "JPN", [("pol", "Diesel F-76", "10000", "L", "152.5")]),
                 D(2026, 2, 3))
    x.accept(n, D(2026, 2, 3))
    d = x.deliver(n, [(1, "9800")], D(2026, 2, 10))
    x.receive(n, d, D(2026, 2, 10), lines=[(1, "9700")])
    assert last(x, n).note == "line 1: 100 short"
    invoice = x.invoice(n, D(2026, 2, 11))
    assert invoice.data["total"] == "1479250"  # 9,700 × 152.5


def test_partial_payments_and_one_payment_over_two_orders(jp_ph):
    x = Exercise(jp_ph)
    a = received_order(x, "PHL", "JPN", [("food", "Rations", "10", "EA", "1000")])
    b = received_order(x, "PHL", "JPN", [("water", "Water", "100", "L", "30")])
    inv_a = x.invoice(a, D(2026, 2, 4))
    inv_b = x.invoice(b, D(2026, 2, 4))
    first = x.pay("PHL", [(a, inv_a, "4000")], D(2026, 2, 20))
    x.confirm_payment("JPN", first, [(a, inv_a, "4000")], D(2026, 2, 21))
    assert x.status(a) is Status.SETTLING
    assert accounts(x.state(a), jp_ph).invoiced == 6000
    # One payment settles the rest of A and the whole of B.
    both = x.pay("PHL", [(a, inv_a, "6000"), (b, inv_b, "3000")], D(2026, 3, 1))
    x.confirm_payment("JPN", both, [(a, inv_a, "6000"), (b, inv_b, "3000")], D(2026, 3, 2))
    assert x.status(a) is Status.SETTLED
    assert x.status(b) is Status.SETTLED


def test_overpaying_an_invoice_is_refused(jp_ph):
    x = Exercise(jp_ph)
    n = received_order(x, "PHL", "JPN", [("food", "Rations", "10", "EA", "1000")])
    inv = x.invoice(n, D(2026, 2, 4))
    x.pay("PHL", [(n, inv, "10001")], D(2026, 2, 20))
    v = last(x, n)
    assert not v.effective and v.code == "amount_exceeds_outstanding"


def test_two_allocations_to_one_invoice_may_not_together_overpay_it(jp_ph):
    # 10 × 1,000 = 10,000 JPY invoiced; 6,000 + 6,000 named against it in one payment.
    x = Exercise(jp_ph)
    n = received_order(x, "PHL", "JPN", [("food", "Rations", "10", "EA", "1000")])
    inv = x.invoice(n, D(2026, 2, 4))
    x.pay("PHL", [(n, inv, "6000"), (n, inv, "6000")], D(2026, 2, 20))
    v = last(x, n)
    assert not v.effective and v.code == "amount_exceeds_outstanding"
    # 4,000 + 6,000 is exactly the invoice: takes effect.
    x.pay("PHL", [(n, inv, "4000"), (n, inv, "6000")], D(2026, 2, 21))
    assert last(x, n).effective


def test_payment_over_two_orders_takes_effect_on_both_or_neither(jp_ph):
    x = Exercise(jp_ph)
    a = received_order(x, "PHL", "JPN", [("food", "Rations", "10", "EA", "1000")])
    b = received_order(x, "PHL", "JPN", [("water", "Water", "100", "L", "30")])
    inv_a = x.invoice(a, D(2026, 2, 4))
    inv_b = x.invoice(b, D(2026, 2, 4))
    # 5,000 is fine on A, but 3,001 is more than B's 3,000: the whole payment fails.
    x.pay("PHL", [(a, inv_a, "5000"), (b, inv_b, "3001")], D(2026, 2, 20))
    va, vb = last(x, a), last(x, b)
    assert not vb.effective and vb.code == "amount_exceeds_outstanding"
    assert not va.effective and va.code == "part_ineffective"
    assert x.state(a).payments == ()


def test_short_payment_written_off_within_the_limit(jp_ph):
    # Write-off limit JPY 10,000. 1,494,500 invoiced, 1,494,000 arrives: 500 written off.
    x = Exercise(jp_ph)
    n = received_order(x, "PHL", "JPN", [("pol", "Diesel", "9800", "L", "152.5")])
    inv = x.invoice(n, D(2026, 2, 4))
    pay = x.pay("PHL", [(n, inv, "1494500")], D(2026, 3, 1))
    x.confirm_payment("JPN", pay, [(n, inv, "1494000")], D(2026, 3, 2))
    assert accounts(x.state(n), jp_ph).invoiced == 500
    x.write_off(n, inv, "500", D(2026, 3, 2))
    a = accounts(x.state(n), jp_ph)
    assert (a.settled, a.written_off, a.invoiced) == (1494000, 500, 0)
    assert x.status(n) is Status.SETTLED


def test_short_payment_above_the_limit_is_invoiced_not_written_off(jp_ph):
    x = Exercise(jp_ph)
    n = received_order(x, "PHL", "JPN", [("pol", "Diesel", "9800", "L", "152.5")])
    inv = x.invoice(n, D(2026, 2, 4))
    pay = x.pay("PHL", [(n, inv, "1494500")], D(2026, 3, 1))
    x.confirm_payment("JPN", pay, [(n, inv, "1484499")], D(2026, 3, 2))  # 10,001 short
    x.write_off(n, inv, "10001", D(2026, 3, 2))
    v = last(x, n)
    assert not v.effective and v.code == "limit_exceeded"
    x.write_off(n, inv, "10000", D(2026, 3, 2))  # exactly the limit: allowed
    assert last(x, n).effective
    diff = x.invoice(n, D(2026, 3, 3), kind="difference", reference=inv.hash)
    assert diff.data["total"] == "1"
    pay2 = x.pay("PHL", [(n, diff, "1")], D(2026, 3, 10))
    x.confirm_payment("JPN", pay2, [(n, diff, "1")], D(2026, 3, 11))
    assert x.status(n) is Status.SETTLED


def test_void_and_reissue(jp_ph):
    x = Exercise(jp_ph)
    n = received_order(x, "PHL", "JPN", [("food", "Rations", "10", "EA", "1000")])
    inv = x.invoice(n, D(2026, 2, 4))
    x.void(n, inv, D(2026, 2, 5))
    assert accounts(x.state(n), jp_ph).invoiced == 0
    assert accounts(x.state(n), jp_ph).receivable == 10000
    again = x.invoice(n, D(2026, 2, 5), replaces=inv.hash)
    assert last(x, n).effective and again.data["replaces"] == inv.hash
    # A payment against the voided invoice is refused.
    x.pay("PHL", [(n, inv, "10000")], D(2026, 2, 20))
    assert last(x, n).code == "unknown_reference"


def test_credit_note_reduces_what_is_owed(jp_ph):
    x = Exercise(jp_ph)
    n = received_order(x, "PHL", "JPN", [("food", "Rations", "10", "EA", "1000")])
    inv = x.invoice(n, D(2026, 2, 4))
    x.credit_note(n, inv, "1500", D(2026, 2, 6))
    assert x.state(n).invoice(inv.hash).outstanding == 8500
    x.credit_note(n, inv, "8501", D(2026, 2, 6))
    assert last(x, n).code == "amount_exceeds_outstanding"
    pay = x.pay("PHL", [(n, inv, "8500")], D(2026, 3, 1))
    x.confirm_payment("JPN", pay, [(n, inv, "8500")], D(2026, 3, 1))
    assert x.status(n) is Status.SETTLED


def test_invoicing_twice_is_refused(jp_ph):
    x = Exercise(jp_ph)
    n = received_order(x, "PHL", "JPN", [("food", "Rations", "10", "EA", "1000")])
    inv = x.invoice(n, D(2026, 2, 4))
    with pytest.raises(NothingDue, match="nothing on this order is due"):
        x.invoice(n, D(2026, 2, 5))
    # A hand-made duplicate of the same lines is ineffective when interpreted.
    data = dict(inv.data, number="INV-DUP")
    x.do("JPN", x.official("JPN", inv.actor.role).role, "invoice.issued", n, data, D(2026, 2, 5))
    assert last(x, n).code == "invalid_value"

"""Deadlines declared in the agreement profile (``[[deadlines]]``), with figures by hand.

The Japan–Philippines profile 2026.2 declares settlement within twelve months of
delivery (Japan's agreements, supplies and services alike) and an invoice-by deadline
of 30 days from receipt (a placeholder); it declares no receipt-by deadline, so a
delivery not yet acknowledged is due with no deadline. An order begun under a profile
without the section (2026.1) keeps today's due dates.
"""

from __future__ import annotations

import copy
import tomllib
from datetime import UTC, date, datetime
from typing import Any

import pytest

from acsa.devtools.exercise import Exercise
from acsa.domain import aging
from acsa.domain.agreement import AgreementProfile, profile_from_document
from acsa.domain.deadlines import add_months
from acsa.domain.errors import ProfileInvalid
from acsa.domain.figures import in_kind_due_on
from acsa.domain.interpret import Context, interpret_orders
from acsa.domain.parties import Side
from acsa.domain.roster import Roster
from acsa.domain.worklist import OpenTask, open_tasks
from in_force import JPN_PHL_IN_FORCE

D = date
DIESEL = ("pol", "Diesel F-76", "10000", "L", "152.5")  # JPY 1,525,000
WATER = ("water", "Drinking water", "2000", "L", "0.75")  # JPY 1,500
SHIPPED = tomllib.loads(JPN_PHL_IN_FORCE)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def profile(deadlines: list[dict[str, Any]] | None = None, *, none: bool = False,
            **settlement: Any) -> AgreementProfile:
    """The shipped profile; ``deadlines`` replaces its section, ``none`` leaves it out (as
    version 2026.1 did), ``settlement`` overrides settlement periods."""
    document = _plain(copy.deepcopy(SHIPPED))
    if none:
        del document["deadlines"]
        document.pop("separation_of_duties", None)
        document["version"] = "2026.1"
    elif deadlines is not None:
        document["deadlines"] = deadlines
    document["settlement"].update(settlement)
    return profile_from_document(document, "test.toml")


def age_on(x: Exercise, number: str, day: date) -> list[tuple[Any, ...]]:
    items = aging.due_items(x.state(number), x.profile)
    return [(a.item.kind, a.item.reference, a.item.debtor, a.item.due_on, a.days, a.bucket,
             a.item.amount.text() if a.item.amount else None, a.overdue)
            for a in aging.age_on(items, day)]


def task(x: Exercise, number: str, key: str) -> OpenTask | None:
    return next((t for t in open_tasks(x.state(number), x.profile) if t.task == key), None)


def ordered(x: Exercise, *lines: tuple[str, ...], method: str = "cash") -> str:
    n = x.submit(x.terms("PHL", "JPN", list(lines) or [DIESEL], method=method), D(2026, 2, 3))
    x.accept(n, D(2026, 2, 4))
    return n


# -- the profile section -------------------------------------------------------------------


def test_the_shipped_profile_declares_twelve_months_from_delivery(
        jp_ph: AgreementProfile) -> None:
    assert jp_ph.version == "2026.3+2026-02-01" and jp_ph.deadlines is not None
    settle, invoice = jp_ph.deadlines
    assert (settle.step, settle.counts_from, settle.months, settle.methods,
            settle.categories) == ("settle", "delivery", 12, frozenset(), frozenset())
    assert (invoice.step, invoice.counts_from, invoice.days) == ("invoice", "receipt", 30)
    # Twelve months is in the public text; the invoice-by figure is not.
    assert "deadlines.invoice" in jp_ph.placeholders
    assert profile(none=True).deadlines is None


@pytest.mark.parametrize(("entry", "problem"), [
    ({"step": "ship", "from": "delivery", "days": 5}, "deadlines[0].step: must be one of"),
    ({"step": "receive", "from": "receipt", "days": 5},
     "deadlines[0].from: must be one of delivery, got 'receipt'"),
    ({"step": "settle", "from": "invoice", "days": 5}, "deadlines[0].from: must be one of"),
    ({"step": "pay", "from": "invoice", "days": 5, "months": 1},
     "deadlines[0].days: give either days or months"),
    ({"step": "pay", "from": "invoice"}, "deadlines[0].days: give either days or months"),
    ({"step": "pay", "from": "invoice", "days": 0}, "deadlines[0].days: must be at least 1"),
    ({"step": "pay", "from": "invoice", "days": 5, "methods": ["barter"]},
     "deadlines[0].methods: 'barter' is not a settlement method of this agreement"),
    ({"step": "pay", "from": "invoice", "days": 5, "categories": ["weapons"]},
     "deadlines[0].categories: weapons is not a category of this agreement"),
    ({"step": "pay", "from": "invoice", "days": 5, "categories": []},
     "deadlines[0].categories: must not be empty"),
    ({"step": "pay", "from": "invoice", "weeks": 2, "days": 14},
     "deadlines[0].weeks: unknown key"),
])
def test_a_deadline_is_validated(entry: dict[str, Any], problem: str) -> None:
    with pytest.raises(ProfileInvalid) as caught:
        profile([entry])
    assert problem in str(caught.value)


def test_an_empty_section_is_refused() -> None:
    with pytest.raises(ProfileInvalid, match="deadlines: names no deadline"):
        profile([])


@pytest.mark.parametrize(("day", "months", "expected"), [
    (D(2026, 2, 10), 12, D(2027, 2, 10)),
    (D(2026, 1, 31), 1, D(2026, 2, 28)),  # no 31 February: the month's last day
    (D(2028, 2, 29), 12, D(2029, 2, 28)),
    (D(2026, 11, 30), 3, D(2027, 2, 28)),
])
def test_months_are_calendar_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


# -- a deadline counted from delivery going overdue --------------------------------------


def test_settle_by_twelve_months_from_delivery_goes_overdue_the_day_after() -> None:
    # rik_return_days of 400 would allow until 17 March 2027; twelve months from the
    # delivery of 10 February 2026 end on 10 February 2027, and govern.
    x = Exercise(profile(rik_return_days=400))
    n = ordered(x, WATER, method="rik")
    d = x.deliver(n, [(1, "2000")], D(2026, 2, 10))
    x.receive(n, d, D(2026, 2, 12))
    assert in_kind_due_on(x.state(n), x.profile) == D(2027, 2, 10)
    owed = ("in_kind", n, "PHL", D(2027, 2, 10))
    assert age_on(x, n, D(2027, 2, 10)) == [(*owed, 0, "current", "1500", False)]
    assert age_on(x, n, D(2027, 2, 11)) == [(*owed, 1, "1-30", "1500", True)]
    assert task(x, n, "return") == OpenTask("return", Side.REQUESTER, D(2027, 2, 10))
    assert task(x, n, "convert") == OpenTask("convert", Side.SUPPLIER, D(2027, 2, 10))


def test_an_invoice_by_deadline_from_delivery_goes_overdue_the_day_after() -> None:
    x = Exercise(profile([{"step": "invoice", "from": "delivery", "days": 10}]))
    n = ordered(x)
    d = x.deliver(n, [(1, "10000")], D(2026, 2, 10))
    x.receive(n, d, D(2026, 2, 12))
    due = ("uninvoiced", n, "JPN", D(2026, 2, 20))  # the supplier must act
    assert age_on(x, n, D(2026, 2, 20)) == [(*due, 0, "current", "1525000", False)]
    assert age_on(x, n, D(2026, 2, 21)) == [(*due, 1, "1-30", "1525000", True)]
    assert task(x, n, "invoice") == OpenTask("invoice", Side.SUPPLIER, D(2026, 2, 20))


def test_an_uninvoiced_delivery_past_its_invoice_by_date(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = ordered(x)
    d = x.deliver(n, [(1, "10000")], D(2026, 2, 10))
    x.receive(n, d, D(2026, 2, 12))  # 30 days from receipt: 14 March 2026
    assert age_on(x, n, D(2026, 3, 20)) == [
        ("uninvoiced", n, "JPN", D(2026, 3, 14), 6, "1-30", "1525000", True)]
    assert task(x, n, "invoice") == OpenTask("invoice", Side.SUPPLIER, D(2026, 3, 14))
    # Invoiced on 20 March: payable 30 days later, 19 April, within twelve months.
    x.invoice(n, D(2026, 3, 20))
    [row] = age_on(x, n, D(2026, 3, 20))
    assert row[0] == "invoice" and row[3] == D(2026, 4, 19)


def test_a_settle_by_deadline_bounds_the_invoice_and_its_payment() -> None:
    x = Exercise(profile(cash_payment_days=400))
    n = ordered(x)
    d = x.deliver(n, [(1, "10000")], D(2026, 2, 10))
    x.receive(n, d, D(2026, 2, 12))
    fact = x.invoice(n, D(2026, 3, 1))
    # 400 days after 1 March 2026 would be 5 April 2027; twelve months from the delivery
    # end on 10 February 2027.
    assert fact.data["due_on"] == "2027-02-10"
    assert x.state(n).invoices[0].due_on == D(2027, 2, 10)


def test_an_invoice_with_another_due_date_is_refused(jp_ph: AgreementProfile) -> None:
    from acsa.domain import commands
    from acsa.domain import facts as F
    from acsa.domain.parties import Role

    x = Exercise(jp_ph)
    n = ordered(x)
    d = x.deliver(n, [(1, "10000")], D(2026, 2, 10))
    x.receive(n, d, D(2026, 2, 12))
    data = commands.invoice_data(x.state(n), jp_ph, on=D(2026, 3, 1), number="INV-1")
    assert data["due_on"] == "2026-03-31"
    fact = x.do("JPN", Role.FINANCE_OFFICER, F.INVOICE_ISSUED, n,
                {**data, "due_on": "2026-04-30"}, D(2026, 3, 1))
    [v] = [v for v in x.state(n).verdicts if v.event == fact.hash]
    assert (v.effective, v.reason) == (False, "due_on: falls due on 2026-03-31 under the "
                                       "deadlines of JPN-PHL-ACSA 2026.3+2026-02-01")


# -- deliveries not acknowledged ------------------------------------------------------------


def test_an_unacknowledged_delivery_is_listed_with_no_deadline(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = ordered(x)
    x.deliver(n, [(1, "4000")], D(2026, 2, 10))
    x.deliver(n, [(1, "6000")], D(2026, 2, 15))
    assert age_on(x, n, D(2026, 2, 20)) == [
        ("unacknowledged", "delivery 1", "PHL", None, 10, "1-30", None, False),
        ("unacknowledged", "delivery 2", "PHL", None, 5, "1-30", None, False)]
    assert task(x, n, "receive") == OpenTask("receive", Side.REQUESTER, None)


def test_a_receipt_by_deadline_dates_each_delivery() -> None:
    x = Exercise(profile([{"step": "receive", "from": "delivery", "days": 3}]))
    n = ordered(x)
    first = x.deliver(n, [(1, "4000")], D(2026, 2, 10))
    x.deliver(n, [(1, "6000")], D(2026, 2, 15))
    assert age_on(x, n, D(2026, 2, 14)) == [
        ("unacknowledged", "delivery 1", "PHL", D(2026, 2, 13), 1, "1-30", None, True),
        ("unacknowledged", "delivery 2", "PHL", D(2026, 2, 18), 0, "current", None, False)]
    assert task(x, n, "receive") == OpenTask("receive", Side.REQUESTER, D(2026, 2, 13))
    x.receive(n, first, D(2026, 2, 14))
    assert task(x, n, "receive") == OpenTask("receive", Side.REQUESTER, D(2026, 2, 18))


def test_deadlines_per_method_and_category() -> None:
    rules = [{"step": "invoice", "from": "receipt", "days": 5, "categories": ["water"]},
             {"step": "invoice", "from": "receipt", "days": 20, "methods": ["cash"]},
             {"step": "invoice", "from": "receipt", "days": 1, "methods": ["rik"]}]
    x = Exercise(profile(rules))
    n = ordered(x, DIESEL, WATER)
    d = x.deliver(n, [(1, "10000")], D(2026, 2, 10))
    x.receive(n, d, D(2026, 2, 10))
    assert task(x, n, "invoice") == OpenTask("invoice", Side.SUPPLIER, D(2026, 3, 2))
    water = x.deliver(n, [(2, "2000")], D(2026, 2, 11))
    x.receive(n, water, D(2026, 2, 11))
    assert task(x, n, "invoice") == OpenTask("invoice", Side.SUPPLIER, D(2026, 2, 16))


# -- new rules never apply backwards ------------------------------------------------------------


def test_an_order_under_a_profile_without_the_section_is_unchanged(
        jp_ph: AgreementProfile) -> None:
    old = profile(none=True)
    x = Exercise(old)
    n = ordered(x)
    d = x.deliver(n, [(1, "6000")], D(2026, 2, 10))
    x.receive(n, d, D(2026, 2, 12))
    x.deliver(n, [(1, "4000")], D(2026, 2, 15))  # not acknowledged
    before = age_on(x, n, D(2026, 6, 1))
    # As before deadlines existed: the uninvoiced support has no date and ages from its
    # receipt; the delivery not yet acknowledged is no item.
    assert before == [("uninvoiced", n, "JPN", None, 109, "over 90", "915000", False)]
    assert task(x, n, "invoice") == OpenTask("invoice", Side.SUPPLIER, None)
    # The agreement then adopts 2026.2: a new order follows it, the old one keeps its dates.
    x.s.profile = x.profile = jp_ph
    m = ordered(x)
    x.deliver(m, [(1, "10000")], D(2026, 2, 20))
    context = Context(profiles={old.digest: old, jp_ph.digest: jp_ph},
                      rosters={s: Roster.of(a) for s, a in x.s.appointments.items()})
    states = interpret_orders(x.s.facts, context)
    assert states[n].profile == old.digest and states[m].profile == jp_ph.digest
    items = aging.age_on(aging.due_items(states[n], old), D(2026, 6, 1))
    assert [(a.item.kind, a.item.due_on, a.days) for a in items] == [("uninvoiced", None, 109)]
    [new] = aging.due_items(states[m], jp_ph)
    assert (new.kind, new.due_on) == ("unacknowledged", None)


def test_the_clock_ages_a_deadline_in_the_debtors_time_zone(jp_ph: AgreementProfile) -> None:
    x = Exercise(jp_ph)
    n = ordered(x)
    d = x.deliver(n, [(1, "10000")], D(2026, 2, 10))
    x.receive(n, d, D(2026, 2, 12))
    [item] = aging.due_items(x.state(n), jp_ph)
    zones = {p.code: p.time_zone for p in jp_ph.parties}
    # JPN invoices: 15:30 UTC on 14 March is 00:30 on 15 March in Tokyo, a day late.
    [aged] = aging.age([item], lambda: datetime(2026, 3, 14, 15, 30, tzinfo=UTC), zones)
    assert (aged.days, aged.overdue) == (1, True)

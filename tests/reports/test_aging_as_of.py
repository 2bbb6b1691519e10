"""Aging as of a cut-off date: what was open at the end of that day, aged at that date.

The world's cash order (PHL owes JPN) was received on 12 February 2026, invoiced
on 16 February for JPY 1,526,500 due 18 March, paid on 10 March and confirmed on
12 March; its PHP order (JPN asked PHL) was received on 5 March, PHP 24,695.00 not
yet invoiced. Under the JPN–PHL profile 2026.2 an invoice is due 30 days after the
receipt (4 April 2026 for the PHP order), and a delivery not yet acknowledged is due
with no deadline.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from acsa.domain.money import Money
from acsa.domain.parties import Role
from acsa.reports.tables import build_table, to_csv
from acsa.services import reports, users
from acsa.services.unit_of_work import UnitOfWork
from api.conftest import bearer, client_for, official, problem, token_for

from .test_tables import read_csv

D = date


def rows_as_of(world, day: date) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    with UnitOfWork(world.pair.jpn, write=False) as uow:
        user = users.get_user(uow, "jpn.finance")
        found = reports.aging(uow, user, uow.node.clock, as_of=day)
    return [(r.order, r.kind, r.reference, r.debtor, r.due_on, r.days, r.bucket, r.amount)
            for r in found]


def test_before_anything_was_received_only_the_delivery_waited(world):
    # Delivered on 10 February, acknowledged on the 12th: on the 11th it was listed.
    assert rows_as_of(world, D(2026, 2, 11)) == [
        (world.cash.number, "unacknowledged", "delivery 1", "PHL", None, 1, "1-30", None)]
    assert rows_as_of(world, D(2026, 2, 9)) == []


def test_the_invoice_is_open_until_the_payment_is_confirmed(world):
    invoice = (world.cash.number, "invoice", "INV/JPN/FY2025/00001", "PHL", D(2026, 3, 18))
    assert rows_as_of(world, D(2026, 2, 20)) == [
        (*invoice, 0, "current", Money("JPY", 1526500))]
    # Paid on 10 March, confirmed on the 12th: on the 11th the invoice was still open,
    # and the PHP support received on the 5th was to be invoiced by 4 April.
    # Owed by JPN, the requester (PHL is the one to invoice it).
    uninvoiced = (world.open_order, "uninvoiced", world.open_order, "JPN", D(2026, 4, 4))
    assert rows_as_of(world, D(2026, 3, 11)) == [
        (*uninvoiced, 0, "current", Money("PHP", 2469500)),
        (*invoice, 0, "current", Money("JPY", 1526500))]
    assert rows_as_of(world, D(2026, 3, 12)) == [
        (*uninvoiced, 0, "current", Money("PHP", 2469500))]


def test_ages_count_to_the_cut_off_date(world):
    # Past its invoice-by date: 4 April is the last day, 5 April the first overdue.
    [row] = rows_as_of(world, D(2026, 4, 4))
    assert row[4:] == (D(2026, 4, 4), 0, "current", Money("PHP", 2469500))
    [row] = rows_as_of(world, D(2026, 4, 5))
    assert row[4:] == (D(2026, 4, 4), 1, "1-30", Money("PHP", 2469500))
    [row] = rows_as_of(world, D(2026, 5, 5))  # 31 days after 4 April
    assert row[5:] == (31, "31-60", Money("PHP", 2469500))


def test_as_of_the_clock_date_it_is_the_aging_of_now(world):
    now = datetime(2026, 4, 20, 3, tzinfo=UTC)
    with UnitOfWork(world.pair.jpn, write=False) as uow:
        user = users.get_user(uow, "jpn.finance")
        live = reports.aging(uow, user, lambda: now)
        cut = reports.aging(uow, user, lambda: now, as_of=D(2026, 4, 20))
    assert live == cut and [r.days for r in cut] == [16]  # due on 4 April


def test_the_download_takes_the_cut_off_date(world):
    with UnitOfWork(world.pair.jpn, write=False) as uow:
        table = build_table(uow, users.get_user(uow, "jpn.finance"), "aging",
                            as_of=D(2026, 2, 20))
    assert table.parameters == {"as of": "2026-02-20"}
    [row] = read_csv(to_csv(table, keys=True))
    assert (row["order"], row["due_on"], row["days"], row["amount"], row["currency"]) == (
        world.cash.number, "2026-03-18", "0", "1526500", "JPY")


def test_the_api_report_takes_the_cut_off_date(world):
    node = world.pair.jpn
    headers = bearer(token_for(node, official(node, Role.FINANCE_OFFICER), ("read",)))
    with client_for(node) as client:
        r = client.get("/api/v1/reports/aging", params={"as_of": "2026-03-11"},
                       headers=headers)
        assert r.status_code == 200, r.text
        found = {(x["kind"], x["days"], x["bucket"], x["amount"]) for x in r.json()["data"]}
        assert found == {("invoice", 0, "current", "1526500"),
                         ("uninvoiced", 0, "current", "24695.00")}
        jpy = next(s for s in r.json()["summary"] if s["currency"] == "JPY")
        assert jpy["buckets"]["current"] == "1526500"
        r = client.get("/api/v1/reports/aging", params={"as_of": "11 March"}, headers=headers)
        assert (r.status_code, problem(r)["field"]) == (422, "as_of")

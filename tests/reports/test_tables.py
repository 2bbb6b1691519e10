"""Report tables: CSV and XLSX round trips, exact money, and each register's figures."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from acsa.domain.errors import InvalidValue
from acsa.domain.money import Money
from acsa.reports.tables import (
    MONEY,
    REPORT_KINDS,
    TEXT,
    Column,
    ReportTable,
    build_table,
    money_format,
    render,
    to_csv,
    to_xlsx,
)
from acsa.services import report_tables as rt
from acsa.services import users
from acsa.services.unit_of_work import UnitOfWork


def reader(uow: UnitOfWork) -> users.LocalUser:
    """JPN's finance officer: every order of these nodes is theirs to read."""
    return users.get_user(uow, "jpn.finance")


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def read_xlsx(data: bytes) -> tuple[list[str], list[tuple[object, ...]]]:
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return [str(h) for h in rows[0]], rows[1:]


@pytest.fixture(scope="module")
def tables(world):  # type: ignore[no-untyped-def]
    clock = lambda: datetime(2026, 4, 20, 3, tzinfo=UTC)  # noqa: E731
    with UnitOfWork(world.pair.jpn, write=False) as uow:
        return {
            "statement": build_table(uow, reader(uow), "statement", partner="PHL"),
            "open-orders": build_table(uow, reader(uow), "open-orders"),
            "invoices": build_table(uow, reader(uow), "invoices"),
            "aging": build_table(uow, reader(uow), "aging", clock=clock),
            "obligations": build_table(uow, reader(uow), "obligations"),
            "ceilings": build_table(uow, reader(uow), "ceilings", on=date(2026, 3, 1)),
            "activities": build_table(uow, reader(uow), "activities"),
            "year-end": build_table(uow, reader(uow), "year-end", year=2025, party="JPN"),
            "balances": build_table(uow, reader(uow), "balances"),
            "annual": build_table(uow, reader(uow), "annual", year=2025),
            "missing-evidence": build_table(uow, reader(uow), "missing-evidence"),
        }


def test_every_report_kind_builds(tables):
    assert set(tables) == set(REPORT_KINDS)


@pytest.mark.parametrize("kind", REPORT_KINDS)
def test_csv_round_trip_keeps_every_figure_exactly(tables, kind):
    table = tables[kind]
    rows = read_csv(to_csv(table, keys=True))
    assert len(rows) == len(table.rows)
    header = to_csv(table).decode("utf-8-sig").splitlines()[0]
    assert header.split(",")[0] == table.columns[0].title.split(",")[0]
    for row, original in zip(rows, table.as_dicts(), strict=True):
        for column in table.columns:
            value = original[column.key]
            if column.kind == MONEY and value is not None:
                assert row[column.key] == value.text()
                assert Money.parse(row[column.key], value.currency) == value
                assert row["currency"] == value.currency


@pytest.mark.parametrize("kind", REPORT_KINDS)
def test_xlsx_round_trip(tables, kind):
    table = tables[kind]
    header, rows = read_xlsx(to_xlsx(table, "ja"))
    assert header[0] and len(header) == len(table.columns)
    assert len(rows) == len(table.rows)
    for row, original in zip(rows, table.rows, strict=True):
        for column, cell, value in zip(table.columns, row, original, strict=True):
            if column.kind == MONEY and value is not None:
                # A number, exactly the ledger's figure in major units.
                assert isinstance(cell, int | float) and not isinstance(cell, bool)
                assert Decimal(str(cell)) == value.as_decimal()
            if column.kind == "date" and value is not None:
                assert isinstance(cell, datetime) and cell.date() == value


def test_the_invoice_register(world, tables):
    [row] = read_csv(to_csv(tables["invoices"], keys=True))
    assert (row["invoice"], row["order"], row["currency"]) == (
        world.cash.invoice_number, world.cash.number, "JPY")
    assert (row["total"], row["paid"], row["outstanding"]) == ("1526500", "1526500", "0")
    assert (row["issued_on"], row["due_on"]) == ("2026-02-16", "2026-03-18")


def test_the_statement_of_account_charges_and_credits_to_zero(world, tables):
    rows = read_csv(to_csv(tables["statement"], keys=True))
    assert [(r["entry"], r["charge"], r["credit"], r["balance"]) for r in rows] == [
        ("Invoice issued", "1526500", "", "1526500"),
        ("Payment confirmed", "", "1526500", "0"),
    ]
    assert rows[0]["reference"] == world.cash.invoice_number
    assert rows[1]["reference"] == "PNB-TT-2026-0317"


def test_the_open_orders_register_in_pesos(world, tables):
    rows = read_csv(to_csv(tables["open-orders"], keys=True))
    row = next(r for r in rows if r["order"] == world.open_order)
    assert world.cash.number not in {r["order"] for r in rows}  # settled
    assert (row["status"], row["currency"], row["value"]) == ("In delivery", "PHP", "49390.00")
    assert (row["committed"], row["outstanding"]) == ("24695.00", "24695.00")


def test_the_year_end_cut_off(world, tables):
    with UnitOfWork(world.pair.jpn, write=False) as uow:
        assert rt.fiscal_year_end(uow, "JPN", 2025) == date(2026, 3, 31)
        assert rt.fiscal_year_end(uow, "PHL", 2026) == date(2026, 12, 31)
        before = build_table(uow, reader(uow), "year-end", as_of=date(2026, 2, 28))
    rows = {(r["debtor"], r["currency"]): r for r in read_csv(to_csv(tables["year-end"],
                                                                     keys=True))}
    assert rows[("PHL", "JPY")]["outstanding"] == "0"
    assert rows[("PHL", "JPY")]["settled"] == "1526500"
    assert rows[("JPN", "PHP")]["receivable"] == "24695.00"
    # At the end of February the invoice was issued and not yet paid.
    early = {(r["debtor"], r["currency"]): r for r in read_csv(to_csv(before, keys=True))}
    assert early[("PHL", "JPY")]["invoiced"] == "1526500"
    assert ("JPN", "PHP") not in early


def test_totals_per_activity(world, tables):
    rows = read_csv(to_csv(tables["activities"], keys=True))
    jpy = next(r for r in rows if r["currency"] == "JPY")
    assert (jpy["activity"], jpy["requester"], jpy["supplier"]) == ("KAMANDAG-10", "PHL", "JPN")
    assert int(jpy["orders"]) >= 1 and jpy["settled"] == "1526500"


def test_aging_lists_what_is_not_yet_invoiced(world, tables):
    rows = read_csv(to_csv(tables["aging"], keys=True))
    uninvoiced = next(r for r in rows if r["order"] == world.open_order)
    assert (uninvoiced["kind"], uninvoiced["currency"], uninvoiced["amount"]) == (
        "Received, not invoiced", "PHP", "24695.00")


def test_titles_follow_the_locale(tables):
    header_ja = to_csv(tables["invoices"], "ja").decode("utf-8-sig").splitlines()[0]
    assert header_ja.startswith("請求書番号,要請番号")
    header_en = to_csv(tables["invoices"], "en").decode("utf-8-sig").splitlines()[0]
    assert header_en.startswith("Invoice number,Order number")
    sheet = load_workbook(io.BytesIO(to_xlsx(tables["invoices"], "ja"))).worksheets[0]
    assert sheet.title == "請求書台帳"


def test_text_that_looks_like_a_formula_stays_text():
    table = ReportTable("obligations", (Column("item", "Description", TEXT),
                                        Column("amount", "Amount", MONEY),
                                        Column("currency", "Currency")),
                        [("=HYPERLINK(\"http://x\")", Money("PHP", -150), "PHP")])
    [row] = read_csv(to_csv(table, keys=True))
    assert row["item"] == "'=HYPERLINK(\"http://x\")"
    assert row["amount"] == "-1.50"  # a negative amount is a figure, not a formula
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).worksheets[0]
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == "=HYPERLINK(\"http://x\")"


def test_quantities_are_exact_decimal_text(tables):
    table = ReportTable("obligations", (Column("owed", "Quantity owed", "quantity"),), [
        (Decimal("1234.567"),)])
    assert read_csv(to_csv(table, keys=True)) == [{"owed": "1234.567"}]


def test_unknown_report_or_format_is_refused(world):
    with UnitOfWork(world.pair.jpn, write=False) as uow:
        with pytest.raises(InvalidValue):
            build_table(uow, reader(uow), "everything")
        with pytest.raises(InvalidValue):
            render(build_table(uow, reader(uow), "balances"), "pdf")
        with pytest.raises(InvalidValue):
            build_table(uow, reader(uow), "statement")


def _sheet(data: bytes):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(data)).worksheets[0]


def _column(sheet, title: str) -> int:  # type: ignore[no-untyped-def]
    for row in sheet.iter_rows(max_row=3):
        for cell in row:
            if cell.value == title:
                return int(cell.column)
    raise AssertionError(title)


def test_xlsx_amounts_are_numbers_with_the_currency_format(world, tables):
    sheet = _sheet(to_xlsx(tables["invoices"]))
    total = _column(sheet, "Total")
    cell = sheet.cell(row=2, column=total)
    assert cell.data_type == "n" and cell.value == 1526500
    assert cell.number_format.startswith('#,##0 "JPY"')
    orders_sheet = _sheet(to_xlsx(tables["open-orders"]))
    value = _column(orders_sheet, "Order value")
    pesos = next(orders_sheet.iter_cols(min_col=value, max_col=value, min_row=2))
    php = next(c for c in pesos if c.value == 49390)
    assert php.data_type == "n" and php.number_format.startswith('#,##0.00 "PHP"')


def test_money_formats_follow_the_currency_digits():
    assert money_format("JPY") == '#,##0 "JPY";-#,##0 "JPY"'
    assert money_format("PHP") == '#,##0.00 "PHP";-#,##0.00 "PHP"'
    assert money_format("USD").startswith('#,##0.00 "USD"')


def test_a_sum_formula_over_an_xlsx_column_is_the_reports_total():
    """Amounts written exactly from minor units add up in a spreadsheet's SUM."""
    amounts = [Money("PHP", 123_456_789), Money("PHP", 1), Money("PHP", 10), Money("PHP", -5)]
    table = ReportTable("invoices", (Column("currency", "Currency"),
                                     Column("total", "Total", MONEY)),
                        [("PHP", a) for a in amounts])
    sheet = _sheet(to_xlsx(table))
    last = 1 + len(amounts)
    sheet.cell(row=last + 1, column=2, value=f"=SUM(B2:B{last})")
    buffer = io.BytesIO()
    sheet.parent.save(buffer)
    again = _sheet(buffer.getvalue())
    formula = again.cell(row=last + 1, column=2).value
    assert formula == f"=SUM(B2:B{last})"
    # What the formula adds up: the cells of its range, as numbers.
    cells = [again.cell(row=r, column=2) for r in range(2, last + 1)]
    assert all(c.data_type == "n" for c in cells)
    summed = sum((Decimal(str(c.value)) for c in cells), Decimal(0))
    assert summed == sum(amounts, Money.zero("PHP")).as_decimal() == Decimal("1234567.95")
    assert all(c.number_format.startswith('#,##0.00 "PHP"') for c in cells)


def test_the_register_total_sums_in_the_workbook(world, tables):
    """The invoice register's Paid column summed by a SUM formula equals the ledger's total."""
    table = tables["invoices"]
    sheet = _sheet(to_xlsx(table))
    paid = _column(sheet, "Paid")
    letter = sheet.cell(row=1, column=paid).column_letter
    last = 1 + len(table.rows)
    sheet.cell(row=last + 1, column=paid, value=f"=SUM({letter}2:{letter}{last})")
    cells = [sheet.cell(row=r, column=paid) for r in range(2, last + 1)]
    summed = sum((Decimal(str(c.value)) for c in cells), Decimal(0))
    expected = sum((r["paid"] for r in table.as_dicts()), Money.zero("JPY"))
    assert summed == expected.as_decimal() == Decimal(1526500)


def test_xlsx_quantities_are_numbers():
    table = ReportTable("obligations", (Column("owed", "Quantity owed", "quantity"),), [
        (Decimal("1234.567"),), (Decimal("40"),)])
    sheet = _sheet(to_xlsx(table))
    assert sheet["A2"].data_type == "n" and Decimal(str(sheet["A2"].value)) == Decimal("1234.567")
    assert sheet["A2"].number_format == "#,##0.000"
    assert sheet["A3"].value == 40 and sheet["A3"].number_format == "#,##0"


def test_the_statement_runs_one_balance_per_currency_block(monkeypatch):
    """Movements in yen and pesos, interleaved by date, come out as one block per currency
    (each in date order), so no balance column runs across currencies."""
    from acsa.reports import tables as report_tables

    rows = [
        rt.StatementRow(date(2026, 1, d), "O", "invoice_issued", "R", "PHL", "JPN", cur,
                        Money(cur, 100), None, Money(cur, bal))
        for d, cur, bal in ((1, "PHP", 100), (2, "JPY", 100), (3, "PHP", 200), (4, "JPY", 200))
    ]
    monkeypatch.setattr(rt, "statement", lambda *a, **k: rows)
    table = report_tables.BUILDERS["statement"](None, None, {"partner": "PHL"})  # type: ignore[arg-type]
    assert [(r["currency"], r["on"].day, r["balance"].minor) for r in table.as_dicts()] == [
        ("JPY", 2, 100), ("JPY", 4, 200), ("PHP", 1, 100), ("PHP", 3, 200)]

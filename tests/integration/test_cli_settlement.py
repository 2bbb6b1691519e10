"""Settlement from the command line: paying with clear options, the payments awaiting
confirmation, and ``order show`` naming every part of an order's settlement.

The nodes, the runner and the order helpers are those of ``test_cli_orders``.
"""

from __future__ import annotations

import json
from datetime import date

from . import test_cli_orders as base
from .test_cli_orders import (
    OPTIONS,
    X,
    copy,
    day,
    received,
    submit,
    ticket,
    truck_trips_each_way,
)

D = date
pair, own_nodes = base.pair, base.own_nodes  # the fixtures: two staffed nodes, their clocks


def invoiced(jpn, phl, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """PHL's diesel order, received (10,000 L at JPY 152.5) and invoiced by JPN on 12 Feb."""
    day(D(2026, 2, 10), jpn, phl)
    number = received(jpn, phl, tmp_path)
    day(D(2026, 2, 12), jpn, phl)
    jpn("order", "invoice", number, "--as", "jpn.finance")
    copy(jpn, phl)
    return number


def test_pay_by_order_invoice_and_amount_then_confirm_what_arrived(pair, tmp_path):
    jpn, phl = pair
    number = invoiced(jpn, phl, tmp_path)
    day(D(2026, 3, 2), jpn, phl)
    paid = phl("order", "pay", number, "--invoice", "INV/JPN/FY2025/00001", "--amount",
               "1,525,000", "--currency", "JPY", "--reference", "LBP-0302", "--as",
               "phl.finance")
    assert paid.startswith("recorded payment PAY/PHL/00001 (event ")
    assert paid.rstrip().endswith("; 1,525,000 JPY, reference LBP-0302")
    copy(phl, jpn)

    shown = jpn("order", "show", number)
    assert ("payment PAY/PHL/00001 on 2026-03-02: 1,525,000 JPY for invoice "
            "INV/JPN/FY2025/00001, reference LBP-0302; awaiting confirmation") in shown
    [part] = jpn.json("order", "show", number)["payments"]
    assert (part["number"], part["invoice_number"], part["amount"], part["state"]) == (
        "PAY/PHL/00001", "INV/JPN/FY2025/00001", "1525000", "awaiting confirmation")

    # The supplier finds the payment by its number and amount: in the worklist and the list.
    todo = jpn("todo", "--as", "jpn.finance")
    assert "Payments to confirm (acsa order confirm-payment PAY/…):" in todo
    row = next(line for line in todo.splitlines() if line.startswith("PAY/PHL/00001"))
    assert "PHL→JPN" in row and "1,525,000 JPY" in row and "awaiting confirmation" in row
    [task] = [t for t in jpn.json("todo", "--as", "jpn.finance")
              if t["task"] == "confirm_payment"]
    assert [(p["number"], p["amount"], p["currency"]) for p in task["payments"]] == [
        ("PAY/PHL/00001", "1525000", "JPY")]
    listed = jpn("order", "payments", "--awaiting", "--as", "jpn.finance")
    assert "PAY/PHL/00001" in listed and "1,525,000 JPY" in listed and "1 payment(s)" in listed
    assert "PAY/PHL/00001" in jpn("order", "payments", "--to-confirm", "--as", "jpn.finance")
    assert "0 payment(s)" in phl("order", "payments", "--to-confirm", "--as", "phl.finance")

    confirmed = jpn("order", "confirm-payment", "PAY/PHL/00001", "--amount", "1,524,500",
                    "--as", "jpn.finance")
    assert confirmed.startswith("confirmed payment PAY/PHL/00001")
    shown = jpn("order", "show", number)
    assert ("payment PAY/PHL/00001 on 2026-03-02: 1,525,000 JPY for invoice "
            "INV/JPN/FY2025/00001, reference LBP-0302; confirmed 2026-03-02, received "
            "1,524,500 JPY") in shown
    assert "0 payment(s)" in jpn("order", "payments", "--awaiting", "--as", "jpn.finance")
    [done] = jpn.json("order", "payments", "--as", "jpn.finance")
    assert (done["state"], done["received"], done["allocations"][0]["received"]) == (
        "confirmed", "1524500", "1524500")
    assert "Payments to confirm" not in jpn("todo", "--as", "jpn.finance")


def test_pay_refusals_name_the_option(pair, tmp_path):
    jpn, phl = pair
    number = invoiced(jpn, phl, tmp_path)
    fin = ("--reference", "LBP-1", "--as", "phl.finance")
    assert phl.fails("order", "pay", number, "--amount", "1525000", "--currency", "PHP",
                     *fin).startswith("error: currency_mismatch: currency: ")
    assert phl.fails("order", "pay", number, "--amount", "15,25,000", *fin).startswith(
        "error: invalid_value: amount: ")
    assert phl.fails("order", "pay", number, "--amount", "12.5", *fin).startswith(
        "error: invalid_value: amount: ")
    assert phl.fails("order", "pay", number, "--invoice", "1", *fin).startswith(
        "error: missing_field: amount: ")
    assert phl.fails("order", "pay", number, "--invoice", "7", "--amount", "1", *fin
                     ).startswith("error: unknown_reference: invoice: ")
    assert phl.fails("order", "pay", number, "--invoice", "1", "--invoice", "1", "--amount",
                     "1", *fin).startswith("error: invalid_value: amount: ")
    assert phl.fails("order", "pay", "--amount", "1", *fin).startswith(
        "error: missing_field: order: ")
    assert phl.fails("order", "pay", number, "--amount", "0", *fin).startswith(
        "error: invalid_value: amount: ")
    assert phl.fails("order", "pay", "--allocate", f"{number}:1:0", *fin).startswith(
        "error: invalid_value: allocate: ")
    # The older form still pays, and the invoice may be left out when only one is open.
    assert phl("order", "pay", "--allocate", f"{number}:1:1,000,000", *fin).startswith(
        "recorded payment PAY/PHL/00001")
    assert phl("order", "pay", number, "--amount", "525000", *fin).startswith(
        "recorded payment PAY/PHL/00002")
    assert "has 0 invoices to pay" in phl.fails("order", "pay", number, "--amount", "1", *fin)
    copy(phl, jpn)
    assert jpn.fails("order", "confirm-payment", "PAY/PHL/00001", "--invoice", "2",
                     "--amount", "1", "--as", "jpn.finance").startswith(
        "error: invalid_value: invoice: PAY/PHL/00001 pays no invoice '2'")
    jpn("order", "confirm-payment", "PAY/PHL/00001", "--invoice", "INV/JPN/FY2025/00001",
        "--amount", "1,000,000", "--as", "jpn.finance")
    jpn("order", "confirm-payment", "PAY/PHL/00002", "--as", "jpn.finance")
    assert jpn.json("order", "show", number)["status"] == "settled"


def test_order_show_names_returns_and_conversions(pair, tmp_path):
    jpn, phl = pair
    day(D(2026, 2, 10), jpn, phl)
    r = received(jpn, phl, tmp_path, quantity="500", method="rik",
                 lines=[("food", "Ration, MRE", "500", "EA", "1200")])
    day(D(2026, 6, 1), jpn, phl)
    phl("order", "return-in-kind", r, "--line", "1=200", "--description", "same grade",
        "--as", "phl.supply")
    copy(phl, jpn)
    shown = jpn("order", "show", r)
    assert "return 1 on 2026-06-01: line 1 200 (same grade); awaiting answer" in shown
    jpn("order", "accept-return", r, "--as", "jpn.receiving")
    day(D(2027, 2, 11), jpn, phl)
    jpn("order", "convert-to-cash", r, "--price", "1=1350", "--as", "jpn.finance")
    shown = jpn("order", "show", r)
    assert "return 1 on 2026-06-01: line 1 200 (same grade); accepted 2026-06-01" in shown
    assert ("conversion 1 on 2027-02-11: line 1 300 at 1,350; 405,000 JPY owed in cash "
            "instead of 360,000 JPY in kind") in shown


def test_order_show_names_exchanges_and_offsets(pair, tmp_path):
    jpn, phl = pair
    day(D(2027, 3, 1), jpn, phl)
    a, b = truck_trips_each_way(jpn, phl, tmp_path)
    jpn("order", "link-exchange", a, b, "--currency", "PHP", "--rate", "JPY/PHP=0.38",
        "--as", "jpn.finance")
    assert ("exchange EVE/JPN/00001 proposed by the supplier on 2027-03-01: 600,000 JPY of "
            "this order exchanged, 0 JPY of it to invoice in cash; awaiting signature"
            ) in jpn("order", "show", a)
    copy(jpn, phl)
    phl("order", "sign-exchange", "EVE/JPN/00001", "--as", "phl.finance")
    assert ("exchange EVE/JPN/00001 proposed by the requester on 2027-03-01: 250,000.00 PHP "
            "of this order exchanged, 22,000.00 PHP of it to invoice in cash; signed "
            "2027-03-01") in phl("order", "show", b)

    x = received(jpn, phl, tmp_path, lines=[("food", "Rations", "100", "EA", "1000")],
                 quantity="100")
    y = submit(jpn, tmp_path, requester="JPN", supplier="PHL",
               lines=[("food", "Rice", "300", "KG", "100.00")])
    copy(jpn, phl)
    phl("order", "accept", y, "--unit", "AFP-TOG1", "--as", "phl.approving")
    phl("order", "deliver", y, "--line", "1=300", "--ticket", ticket(tmp_path),
        "--as", "phl.supply")
    copy(phl, jpn)
    jpn("order", "receive", y, "--delivery", "1", "--as", "jpn.receiving")
    jpn("order", "invoice", x, "--as", "jpn.finance")
    copy(jpn, phl)
    phl("order", "invoice", y, "--as", "phl.finance")
    phl("statement", "offset", "--invoice", f"{x}:1", "--invoice", f"{y}:1", "--currency",
        "PHP", "--rate", "JPY/PHP=0.38", "--as", "phl.finance")
    shown = phl("order", "show", x)
    assert ("offset OFS/PHL/00001 proposed by the requester as of 2027-03-01: 78,947 JPY of "
            "invoice INV/JPN/FY2026/00001; awaiting signature") in shown, shown
    [part] = phl.json("order", "show", x)["offsets"]
    assert (part["number"], part["invoice_number"]) == ("OFS/PHL/00001", "INV/JPN/FY2026/00001")


def test_submit_from_a_file_fills_the_currency_as_create_does(pair, tmp_path):
    jpn, phl = pair
    day(D(2026, 2, 3), jpn, phl)
    terms = X.terms("PHL", "JPN", [("pol", "Diesel fuel F-76", "10000", "L", "152.5")])
    del terms["currency"]
    path = tmp_path / "terms.json"
    path.write_text(json.dumps(terms))
    draft = phl.json("order", "create", "--file", str(path), "--as", "phl.ordering")
    assert draft["terms"]["currency"] == "JPY"
    submitted = phl.json("order", "submit", "--file", str(path), "--as", "phl.ordering")
    assert phl.json("order", "show", submitted["order"])["terms"]["currency"] == "JPY"
    made = phl("order", "create", *OPTIONS, "--supplier", "JPN", "--unit", "AFP-TOG1",
               "--line", "pol|Diesel fuel F-76|10|L|152.5", "--json", "--as", "phl.ordering")
    assert json.loads(made)["terms"]["currency"] == "JPY"


def test_aging_as_of_a_date_counts_what_was_open_then(pair, tmp_path):
    jpn, phl = pair
    number = invoiced(jpn, phl, tmp_path)  # JPY 1,525,000 due 2026-03-14
    day(D(2026, 3, 20), jpn, phl)
    phl("order", "pay", number, "--amount", "1525000", "--reference", "LBP-9", "--as",
        "phl.finance")
    copy(phl, jpn)
    day(D(2026, 3, 21), jpn, phl)
    jpn("order", "confirm-payment", "PAY/PHL/00001", "--as", "jpn.finance")

    def items(*extra: str) -> list[tuple[str, int, str, str]]:
        shown = jpn.json("report", "aging", "--as", "jpn.finance", *extra)
        return [(i["kind"], i["days"], i["bucket"], i["amount"]) for i in shown["items"]]

    assert items() == []  # settled on 21 March
    assert items("--as-of", "2026-03-14") == [("invoice", 0, "current", "1525000 JPY")]
    assert items("--as-of", "2026-03-18") == [("invoice", 4, "1-30", "1525000 JPY")]
    assert items("--as-of", "2026-03-20") == [("invoice", 6, "1-30", "1525000 JPY")]
    assert items("--as-of", "2026-03-21") == []
    shown = jpn("report", "aging", "--as-of", "2026-03-18", "--detail", "--as", "jpn.finance")
    assert shown.startswith("as of 2026-03-18\n")
    assert "PHL→JPN  JPY  0        1,525,000" in shown and "2026-03-14  4" in shown
    out = tmp_path / "aging.csv"
    jpn("report", "export", "aging", "--format", "csv", "--out", str(out), "--as-of",
        "2026-03-18", "--as", "jpn.finance")
    [_, row] = out.read_text(encoding="utf-8-sig").splitlines()
    assert row.endswith(",2026-03-14,4,1–30 days overdue,JPY,1525000"), row
    assert jpn.fails("report", "aging", "--as-of", "18/03/2026", "--as", "jpn.finance"
                     ).startswith("error: invalid_value: as_of: ")

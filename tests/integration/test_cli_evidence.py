"""``acsa order attach``, ``acsa report missing-evidence`` and an invoice refused for a missing
delivery ticket, from the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from .test_cli_orders import X, copy, day, own_nodes, pair, ticket  # noqa: F401

REFUSED = ("error: evidence_missing: evidence: the delivery of 2026-02-10 lacks a "
           "delivery-ticket: under JPN-PHL-ACSA "
           "2026.3+2026-02-01 a delivery needs one before the invoice")


def test_an_invoice_waits_for_the_ticket_attached_later(pair, tmp_path: Path):  # type: ignore[no-untyped-def]  # noqa: F811
    jpn, phl = pair
    day(date(2026, 2, 3), jpn, phl)
    path = tmp_path / "terms.json"
    path.write_text(json.dumps(X.terms("PHL", "JPN", [("pol", "Diesel fuel F-76", "10000", "L",
                                                        "152.5")])))
    number = phl.json("order", "submit", "--file", str(path), "--as", "phl.ordering")["order"]
    copy(phl, jpn)
    jpn("order", "accept", number, "--unit", "JGSDF-1HB", "--as", "jpn.approving")
    day(date(2026, 2, 10), jpn, phl)
    delivery = jpn.json("order", "deliver", number, "--line", "1=10000", "--as",
                        "jpn.supply")["event"]
    copy(jpn, phl)
    phl("order", "receive", number, "--delivery", "1", "--as", "phl.receiving")
    copy(phl, jpn)

    assert jpn.fails("order", "invoice", number, "--as", "jpn.finance") == REFUSED
    [row] = jpn.json("report", "missing-evidence", "--as", "jpn.finance")
    assert (row["order"], row["step"], row["event"], row["document"], row["before"],
            row["party"]) == (number, "deliver", delivery, "delivery-ticket", "invoice", "JPN")
    assert phl.json("report", "missing-evidence", "--as", "phl.finance") == [row]

    # Only the supplier's side documents its delivery; a kind must be one the rules know.
    assert "not_authorized" in phl.fails("order", "attach", number, "--to", "1", "--kind",
                                         "delivery-ticket", "--file", ticket(tmp_path),
                                         "--as", "phl.receiving")
    assert "invalid_value" in jpn.fails("order", "attach", number, "--to", "1", "--kind",
                                        "waybill", "--file", ticket(tmp_path),
                                        "--as", "jpn.supply")
    line = jpn("order", "attach", number, "--to", delivery[:12], "--kind", "delivery-ticket",
               "--file", ticket(tmp_path, "ticket-0210.pdf"), "--as", "jpn.supply")
    assert line.startswith(f"attached evidence on {number} (event ")
    assert jpn.json("report", "missing-evidence", "--as", "jpn.finance") == []
    jpn("order", "invoice", number, "--as", "jpn.finance")
    shown = jpn.json("order", "show", number)
    [attached] = shown["deliveries"][0]["evidence"]
    assert (attached["name"], attached["kind"]) == ("ticket-0210.pdf", "delivery-ticket")
    assert shown["status"] == "settling"

"""The evidence policy through the API: an invoice refused as a problem document naming the
missing delivery ticket, the ticket attached with ``POST /orders/{number}/attach-evidence``
(``If-Match``), and the exception report ``GET /reports/missing-evidence``."""

from __future__ import annotations

from datetime import date

from acsa.domain.parties import Role

from .conftest import problem
from .test_orders import submitted, upload

D = date
R = Role
DETAIL = ("the delivery of 2026-02-10 lacks a delivery-ticket: under JPN-PHL-ACSA "
          "2026.3+2026-02-01 a "
          "delivery needs one before the invoice")
JAPANESE = ("2026/02/10の引渡しに引渡票がありません：JPN-PHL-ACSA "
            "2026.3+2026-02-01では、請求書の前に"
            "、引渡しにはその書類が必要です。")


def test_the_invoice_waits_for_the_ticket_attached_through_the_api(pair):  # type: ignore[no-untyped-def]
    jpn, phl, number = submitted(pair)
    assert jpn.act(R.APPROVING_OFFICIAL, number, "accept",
                   {"supplying_unit": "JMSDF-ESF1"}).status_code == 200
    pair.set_day(D(2026, 2, 10))
    r = jpn.act(R.SUPPLY_OFFICER, number, "deliver", {"lines": [{"line": 1, "quantity": "10000"}]})
    assert r.status_code == 200, r.text
    delivery = r.json()["deliveries"][0]["id"]
    pair.carry(pair.jpn, pair.phl)
    assert phl.act(R.RECEIVING_OFFICIAL, number, "receive", {"delivery": "1"}).status_code == 200
    pair.carry(pair.phl, pair.jpn)

    p = problem(jpn.act(R.FINANCE_OFFICER, number, "invoice"))
    assert (p["status"], p["code"], p["field"], p["detail"]) == (
        409, "evidence_missing", "evidence", DETAIL)
    r = jpn.client.post(f"/api/v1/orders/{number}/invoice", json={},
                        headers={**jpn.as_(R.FINANCE_OFFICER), "Accept-Language": "ja",
                                 "If-Match": jpn.order(R.FINANCE_OFFICER, number)[1]})
    assert problem(r)["detail"] == JAPANESE

    missing = jpn.get(R.FINANCE_OFFICER, "/reports/missing-evidence").json()
    assert missing["count"] == 1
    row = missing["data"][0]
    assert (row["order"], row["step"], row["event"], row["document"], row["before"],
            row["party"]) == (number, "deliver", delivery, "delivery-ticket", "invoice", "JPN")

    # Attached with a stale If-Match: a conflict; with the order's head: recorded.
    _, etag = jpn.order(R.SUPPLY_OFFICER, number)
    ticket = upload(jpn, b"%PDF-1.4 delivery ticket 0210", "ticket-0210.pdf")
    body = {"to": "1", "kind": "delivery-ticket", "evidence": [ticket]}
    assert jpn.act(R.SUPPLY_OFFICER, number, "attach-evidence", body, etag="0" * 64
                   ).status_code in (409, 412)
    assert problem(jpn.act(R.SUPPLY_OFFICER, number, "attach-evidence",
                           {**body, "kind": "waybill"}, etag))["status"] == 422
    r = jpn.act(R.SUPPLY_OFFICER, number, "attach-evidence", body, etag)
    assert r.status_code == 200, r.text
    order = r.json()
    assert order["timeline"][-1]["type"] == "evidence.attached"
    assert [e["kind"] for e in order["deliveries"][0]["evidence"]] == ["delivery-ticket"]
    assert jpn.get(R.FINANCE_OFFICER, "/reports/missing-evidence").json()["count"] == 0
    r = jpn.act(R.FINANCE_OFFICER, number, "invoice")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "settling"

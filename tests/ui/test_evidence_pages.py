"""Source documents on the order page: a delivery recorded without its ticket, the invoice
refused beside its form (English and Japanese) while the report of missing documents lists
the delivery, the ticket attached from the page — kept after a refused try like any action's
files — and the invoice issued; the delivery form names its files a delivery ticket."""

from __future__ import annotations

import re
from datetime import date

from acsa.devtools.world import as_official
from acsa.domain.parties import Role
from acsa.services import orders, users
from acsa.services.unit_of_work import UnitOfWork

from .test_order_pages import act_on_page, head_of, logged_in, submitted  # noqa: F401

EN = ("The delivery of Feb 10, 2026 lacks a delivery ticket: under JPN-PHL-ACSA "
      "2026.3+2026-02-01 a "
      "delivery needs one before the invoice.")
JA = ("2026/02/10の引渡しに引渡票がありません：JPN-PHL-ACSA 2026.3+2026-02-01では、請求書の前に"
      "、引渡しにはその書類が必要です。")
TICKET = b"%PDF-1.4 delivery ticket 0210, 10,000 L F-76\n"


def test_a_ticket_attached_from_the_page_lets_the_invoice_through(submitted):  # type: ignore[no-untyped-def]  # noqa: F811
    pair, number, approving, csrf = submitted
    jpn, phl = pair.jpn, pair.phl
    act_on_page(approving, csrf, number, "accept", supplying_unit="JMSDF-ESF1")
    pair.set_day(date(2026, 2, 10))
    as_official(jpn, Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "10000")], evidence=[])
    pair.carry(jpn, phl)
    as_official(phl, Role.RECEIVING_OFFICIAL, orders.receive, number, "1")
    pair.carry(phl, jpn)

    finance, fin_csrf = logged_in(jpn, Role.FINANCE_OFFICER)
    page = finance.get(f"/orders/{number}").text
    r = finance.post(f"/orders/{number}/act/invoice", follow_redirects=False,
                     data={"csrf_token": fin_csrf, "head": head_of(page), "bill": "goods:"})
    assert r.status_code == 409 and JA in r.text  # a Japanese officer reads Japanese
    report = finance.get("/reports/missing-evidence").text
    assert number in report and "引渡票" in report
    r = finance.get("/reports/missing-evidence.csv")
    assert r.status_code == 200 and number in r.content.decode("utf-8-sig")

    supply, sup_csrf = logged_in(jpn, Role.SUPPLY_OFFICER)
    page = supply.get(f"/orders/{number}").text
    assert '/act/attach-evidence"' in page and 'value="delivery:1"' in page
    # No kind of document chosen: refused beside the form, the file kept for the next try.
    r = supply.post(f"/orders/{number}/act/attach-evidence", follow_redirects=False,
                    files={"evidence_file": ("ticket-0210.pdf", TICKET, "application/pdf")},
                    data={"csrf_token": sup_csrf, "head": head_of(page), "step": "delivery:1"})
    assert r.status_code == 422
    held = re.search(r'<input type="checkbox" name="(held\.0)" value="([0-9a-f]{64})" checked> '
                     r'ticket-0210\.pdf', r.text)
    assert held, r.text[r.text.find('id="act-attach-evidence"'):][:2000]
    page = act_on_page(supply, sup_csrf, number, "attach-evidence", step="delivery:1",
                       kind="delivery-ticket", **{held.group(1): held.group(2)})
    assert "ticket-0210.pdf" in page
    assert number not in finance.get("/reports/missing-evidence").text
    page = act_on_page(finance, fin_csrf, number, "invoice", bill="goods:")
    assert '<span class="badge settling">' in page


def test_the_refusal_reads_in_english(submitted):  # type: ignore[no-untyped-def]  # noqa: F811
    pair, number, approving, csrf = submitted
    jpn, phl = pair.jpn, pair.phl
    act_on_page(approving, csrf, number, "accept", supplying_unit="JMSDF-ESF1")
    pair.set_day(date(2026, 2, 10))
    as_official(jpn, Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "10000")], evidence=[])
    pair.carry(jpn, phl)
    as_official(phl, Role.RECEIVING_OFFICIAL, orders.receive, number, "1")
    pair.carry(phl, jpn)
    with UnitOfWork(jpn) as uow:
        users.set_preferences(uow, users.get_user(uow, "jpn.finance"), locale="en",
                              time_zone="Asia/Tokyo")
        uow.commit()
    finance, fin_csrf = logged_in(jpn, Role.FINANCE_OFFICER)
    page = finance.get(f"/orders/{number}").text
    r = finance.post(f"/orders/{number}/act/invoice", follow_redirects=False,
                     data={"csrf_token": fin_csrf, "head": head_of(page), "bill": "goods:"})
    assert r.status_code == 409 and EN in r.text, r.text[r.text.find('class="errors"'):][:600]


def test_the_delivery_form_names_its_files_a_delivery_ticket(submitted):  # type: ignore[no-untyped-def]  # noqa: F811
    pair, number, approving, csrf = submitted
    act_on_page(approving, csrf, number, "accept", supplying_unit="JMSDF-ESF1")
    supply, sup_csrf = logged_in(pair.jpn, Role.SUPPLY_OFFICER)
    form = supply.get(f"/orders/{number}").text
    assert '<option value="delivery-ticket" selected>' in form
    act_on_page(supply, sup_csrf, number, "deliver",
                files={"evidence_file": ("t.pdf", TICKET, "application/pdf")},
                evidence_kind="delivery-ticket",
                **{"lines.0.line": "1", "lines.0.quantity": "10000"})
    order = supply.get(f"/api/v1/orders/{number}").json()
    assert [e["kind"] for e in order["deliveries"][0]["evidence"]] == ["delivery-ticket"]

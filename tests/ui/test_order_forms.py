"""Forms that prevent the error instead of reporting it, through the real app on both
engines: the new-order form offers only what the agreement allows (the only supplier
preselected, the currency the agreement's and not typed, the fund citation marked
required, only the supplier's items in that currency) and previews the order's value
and dates before signing; the invoice form offers only what can be invoiced, with its
amount and due date; actions are offered only to those who may take them and only
while there is something to do; a file attached to a refused form is kept.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from acsa.devtools.world import as_official
from acsa.domain.parties import Role
from acsa.services import admin, orders, settlement
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from integration.test_order_services import terms

from .test_order_pages import act_on_page, event_count, head_of, logged_in, new_order_form
from .test_refusal_language import register_activity

pytestmark = pytest.mark.postgres


def set_price(node: Any, item: str, price: str) -> None:
    """A price in ``node``'s party's catalogue (in its own currency)."""
    as_official(node, Role.FINANCE_OFFICER, admin.set_catalogue_price,
                agreement="JPN-PHL-ACSA", category="pol", item=item, unit="L",
                unit_price=price, valid_from=date(2026, 1, 1))


def form_of(html: str) -> str:
    return html[html.find('<form method="post" action="/new-order"'):]


@pytest.fixture
def phl_orders(pair):  # type: ignore[no-untyped-def]
    """PHL's ordering official at the new-order form; JPN and PHL each price an item."""
    pair.set_day(date(2026, 2, 3))
    register_activity(pair.phl)
    set_price(pair.jpn, "Diesel fuel F-76 (JMSDF stock)", "152.5")
    set_price(pair.phl, "Diesel fuel (AFP depot)", "61.75")
    pair.carry(pair.jpn, pair.phl)
    client, csrf = logged_in(pair.phl, Role.ORDERING_OFFICIAL)
    return pair, client, csrf


def test_the_new_order_form_asks_only_what_the_agreement_leaves_open(phl_orders):  # type: ignore[no-untyped-def]
    _pair, client, _csrf = phl_orders
    page = form_of(client.get("/new-order").text)
    # The only party that can supply PHL under the agreement comes preselected, with no
    # blank to choose instead.
    supplier = re.search(r'<select id="supplier".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="([^"]*)"', supplier) == ["JPN"]
    assert '<option value="JPN" selected>' in supplier
    # The currency is JPN's invoice currency by the agreement: shown, not typed.
    assert re.search(r'<output id="currency"[^>]*>JPY</output>', page)
    assert 'name="currency"' not in page
    # The fund citation is required of PHL by the agreement's profile: marked so.
    assert re.search(r'<label for="fund_citation">[^<]*<span aria-hidden="true">\*</span>',
                     page)
    assert re.search(r'<input id="fund_citation"[^>]* required', page)
    for column in ("Category", "Description", "Quantity", "Unit of issue"):
        assert re.search(rf"<th scope=\"col\">{column} <span aria-hidden=\"true\">\*</span>",
                         page), column
    # Suggestions are JPN's items in JPY only, never PHL's own in PHP.
    catalogue = re.search(r'<datalist id="catalogue">(.*?)</datalist>', page, re.S).group(1)
    assert "Diesel fuel F-76 (JMSDF stock)" in catalogue and 'data-currency="JPY"' in catalogue
    assert "AFP depot" not in catalogue and "PHP" not in catalogue
    assert re.findall(r'<option value="(\w+)">', re.search(
        r'<select id="method".*?</select>', page, re.S).group(0)) == ["cash", "rik", "eve"]


def test_a_preview_shows_value_and_dates_and_signs_nothing(phl_orders):  # type: ignore[no-untyped-def]
    pair, client, csrf = phl_orders
    form = new_order_form(csrf, intent="preview")
    form.pop("currency")
    before = event_count(pair.phl)
    r = client.post("/new-order", data=form)
    assert r.status_code == 200, r.text[r.text.find('class="errors"'):][:600]
    preview = r.text[r.text.find('id="preview-h"'):]
    assert "¥762,500" in preview  # 5,000 L × ¥152.5, in the order's currency
    assert "Each invoice falls due 30 days after its date." in preview
    assert "Feb 20, 2026" in preview  # needed by
    assert event_count(pair.phl) == before
    # What was typed stays in the form, ready to sign.
    assert 'value="Clark Air Base, Pampanga"' in r.text
    form["intent"] = "submit"
    r = client.post("/new-order", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:600]
    with UnitOfWork(pair.phl, write=False) as uow:
        assert uow.conn.execute(T.orders.select()).one().currency == "JPY"


def test_a_preview_finds_what_signing_would_refuse(phl_orders):  # type: ignore[no-untyped-def]
    pair, client, csrf = phl_orders
    # A stock number of supply class 1005 (guns): prohibited under the agreement.
    form = new_order_form(csrf, intent="preview", **{"lines.0.nsn": "1005-01-123-4567"})
    before = event_count(pair.phl)
    r = client.post("/new-order", data=form)
    assert r.status_code == 422 and 'id="err-lines-0-nsn"' in r.text
    assert "preview-h" not in r.text and event_count(pair.phl) == before


def test_who_may_not_sign_an_order_is_not_offered_one(pair):  # type: ignore[no-untyped-def]
    pair.set_day(date(2026, 2, 3))
    client, _csrf = logged_in(pair.phl, Role.RECEIVING_OFFICIAL)
    home = client.get("/").text
    assert 'href="/new-order"' not in home and 'href="/new-emergency"' not in home
    page = client.get("/new-order").text
    assert 'value="submit"' not in page and 'role="note"' in page  # may prepare a draft
    approving, _ = logged_in(pair.jpn, Role.APPROVING_OFFICIAL)
    home = approving.get("/").text
    assert 'href="/new-emergency"' in home and 'href="/new-order"' not in home
    ordering, _ = logged_in(pair.phl, Role.ORDERING_OFFICIAL)
    assert 'href="/new-emergency"' not in ordering.get("/new-order").text


def delivered_and_received(pair: Any) -> str:
    pair.set_day(date(2026, 2, 3))
    number = as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                         terms()).envelope.subject
    pair.carry(pair.phl, pair.jpn)
    as_official(pair.jpn, Role.APPROVING_OFFICIAL, orders.accept, number,
                supplying_unit="JMSDF-ESF1")
    as_official(pair.jpn, Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "10000")])
    pair.carry(pair.jpn, pair.phl)
    as_official(pair.phl, Role.RECEIVING_OFFICIAL, orders.receive, number, "1")
    pair.carry(pair.phl, pair.jpn)
    return str(number)


def test_the_invoice_form_offers_what_can_be_invoiced_with_amount_and_due_date(pair):  # type: ignore[no-untyped-def]
    number = delivered_and_received(pair)
    client, csrf = logged_in(pair.jpn, Role.FINANCE_OFFICER)
    page = client.get(f"/orders/{number}").text
    form = page[page.find('id="act-invoice"'):]
    form = form[:form.find("</details>")]
    # No reference to type: what the invoice bills is chosen, with what it will carry.
    assert 'name="reference"' not in form and "自国側" not in form
    assert re.search(r'<input type="radio" name="bill" value="goods:" checked', form)
    assert "￥1,525,000" in form and "2026/03/05" in form  # due 30 days after today
    assert "convert-to-cash" not in re.findall(r'/act/([a-z-]+)"', page)  # a cash order
    act_on_page(client, csrf, number, "invoice", bill="goods:")
    page = client.get(f"/orders/{number}").text
    assert "/act/invoice" not in page  # nothing more to invoice
    assert "INV/JPN/FY2025/00001" in page or "INV/JPN/FY2026/00001" in page


def test_pay_is_not_offered_again_while_a_payment_is_on_its_way(pair):  # type: ignore[no-untyped-def]
    number = delivered_and_received(pair)
    as_official(pair.jpn, Role.FINANCE_OFFICER, settlement.issue_invoice, number)
    pair.carry(pair.jpn, pair.phl)
    client, csrf = logged_in(pair.phl, Role.FINANCE_OFFICER)
    page = client.get(f"/orders/{number}").text
    invoice = re.search(r'name="allocations\.0\.invoice" value="([^"]+)"', page).group(1)
    assert re.search(r'name="allocations\.0\.amount"[^>]*value="1525000"', page)
    act_on_page(client, csrf, number, "pay", reference="SWIFT PH-0301-07",
                **{"allocations.0.order": number, "allocations.0.invoice": invoice,
                   "allocations.0.amount": "1000000"})
    page = client.get(f"/orders/{number}").text
    # Part paid and on its way: what is left is offered, not the whole invoice again.
    assert re.search(r'name="allocations\.0\.amount"[^>]*value="525000"', page)
    act_on_page(client, csrf, number, "pay", reference="SWIFT PH-0302-01",
                **{"allocations.0.order": number, "allocations.0.invoice": invoice,
                   "allocations.0.amount": "525000"})
    assert "/act/pay" not in client.get(f"/orders/{number}").text


def test_a_file_attached_to_a_refused_delivery_is_kept(pair):  # type: ignore[no-untyped-def]
    pair.set_day(date(2026, 2, 3))
    number = as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                         terms()).envelope.subject
    pair.carry(pair.phl, pair.jpn)
    as_official(pair.jpn, Role.APPROVING_OFFICIAL, orders.accept, number,
                supplying_unit="JMSDF-ESF1")
    client, csrf = logged_in(pair.jpn, Role.SUPPLY_OFFICER)
    head = head_of(client.get(f"/orders/{number}").text)
    ticket = b"%PDF-1.4 delivery ticket 0042\n"
    before = event_count(pair.jpn)
    r = client.post(f"/orders/{number}/act/deliver",
                    files={"evidence_file": ("ticket-0042.pdf", ticket, "application/pdf")},
                    data={"csrf_token": csrf, "head": head, "lines.0.line": "1",
                          "lines.0.quantity": ""})
    assert r.status_code == 422 and event_count(pair.jpn) == before
    held = re.search(r'<input type="checkbox" name="(held\.0)" value="([0-9a-f]{64})" checked> '
                     r'ticket-0042\.pdf', r.text)
    assert held, r.text[r.text.find('id="act-deliver"'):][:3000]
    # Signed again with the quantity, without choosing the file again: the file is cited.
    page = act_on_page(client, csrf, number, "deliver", **{
        "lines.0.line": "1", "lines.0.quantity": "10000", held.group(1): held.group(2)})
    assert "ticket-0042.pdf" in page
    assert not (pair.jpn.data_dir / "held").exists() or not any(
        (pair.jpn.data_dir / "held").iterdir())

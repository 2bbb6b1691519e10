"""An equal-value exchange linked on one node's order page and signed on the other's."""

from __future__ import annotations

import re
from datetime import date

import pytest

from acsa.domain.parties import Role
from acsa.services import admin
from api.conftest import client_for, enrol, official
from integration.test_order_services import FIN, delivered_and_received, status, terms
from integration.twonodes import AGREEMENT, act, set_day, sync
from ui.test_order_pages import browser_login, head_of

pytestmark = pytest.mark.postgres


def test_an_exchange_linked_and_signed_through_the_pages(nodes):  # type: ignore[no-untyped-def]
    jpn, phl = nodes
    # The Philippines transports for Japan (PHP 250,000.00); Japan transports for the
    # Philippines (JPY 600,000): services of the same category each way.
    a = delivered_and_received(jpn, phl, terms("JPN", "PHL", [
        ("transportation", "Truck, 5 t", "10", "TRIP", "25000.00")], method="eve"))
    b = delivered_and_received(jpn, phl, terms(lines=[
        ("transportation", "Truck, 3½ t", "12", "TRIP", "50000")], method="eve"))
    set_day(date(2026, 3, 1), jpn, phl)
    act(jpn, FIN, admin.record_rate, agreement=AGREEMENT, on=date(2026, 3, 1), base="JPY",
        quote="PHP", rate="0.38")

    finance = client_for(jpn)
    csrf = browser_login(finance, jpn, enrol(jpn, official(jpn, Role.FINANCE_OFFICER)))
    page = finance.get(f"/orders/{a}").text
    assert f'value="{b}"' in page  # the order the other way is offered
    r = finance.post(f"/orders/{a}/act/link-exchange", follow_redirects=False, data={
        "csrf_token": csrf, "head": head_of(page), "orders.0": a, "orders.1": b,
        "currency": "PHP"})
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:500]
    page = finance.get(r.headers["location"]).text
    assert 'id="other-h"' in page and "/act/sign-exchange" not in page  # not ours to sign

    sync(jpn, phl)
    set_day(date(2026, 3, 2), jpn, phl)
    phl_finance = client_for(phl)
    csrf = browser_login(phl_finance, phl, enrol(phl, official(phl, Role.FINANCE_OFFICER)))
    page = phl_finance.get(f"/orders/{a}").text
    offered = re.search(r'id="sign-exchange-exchange".*?<option value="([^"]+)"', page, re.S)
    assert offered is not None  # the exchange JPN proposed, for PHL to sign
    r = phl_finance.post(f"/orders/{a}/act/sign-exchange", follow_redirects=False, data={
        "csrf_token": csrf, "head": head_of(page), "exchange": offered.group(1)})
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:500]
    sync(phl, jpn)
    for node in (jpn, phl):
        # The PHP 22,000.00 residual is billed in cash on a; the exchange closes as a whole.
        assert status(node, b) == "settling"
        assert status(node, a) == "settling"

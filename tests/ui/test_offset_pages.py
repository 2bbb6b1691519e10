"""Offset statements through the pages: proposed (after a preview of the net) by one
node's finance officer, signed on the other node's, listed on both; the statement of
account then cites the offset by its number."""

from __future__ import annotations

import re
from datetime import date

import pytest

from acsa.domain.parties import Role
from acsa.services import admin, settlement
from acsa.services import report_tables as rt
from acsa.services.users import get_user
from api.conftest import client_for, enrol, official
from integration.test_order_services import FIN, delivered_and_received, status, terms
from integration.twonodes import AGREEMENT, act, read, set_day, sync
from ui.test_order_pages import browser_login

pytestmark = pytest.mark.postgres


def invoiced_each_way(jpn, phl):  # type: ignore[no-untyped-def]
    """JPN supplies rations to PHL (JPY 100,000) and PHL rice to JPN (PHP 30,000.00),
    each invoiced and carried to the other node, with a JPY/PHP rate recorded."""
    xo = delivered_and_received(jpn, phl, terms(lines=[("food", "Rations", "100", "EA",
                                                          "1000")]))
    yo = delivered_and_received(jpn, phl, terms("JPN", "PHL", [("food", "Rice", "300", "KG",
                                                                  "100.00")]))
    set_day(date(2026, 2, 20), jpn, phl)
    act(jpn, FIN, settlement.issue_invoice, xo)
    act(phl, FIN, settlement.issue_invoice, yo)
    act(phl, FIN, admin.record_rate, agreement=AGREEMENT, on=date(2026, 2, 20), base="JPY",
        quote="PHP", rate="0.38")
    sync(jpn, phl)
    return xo, yo


def test_an_offset_previewed_proposed_and_signed_through_the_pages(nodes):  # type: ignore[no-untyped-def]
    jpn, phl = nodes
    xo, yo = invoiced_each_way(jpn, phl)
    set_day(date(2026, 3, 31), jpn, phl)

    finance = client_for(phl)
    csrf = browser_login(finance, phl, enrol(phl, official(phl, Role.FINANCE_OFFICER)))
    assert 'href="/offsets"' in finance.get("/").text  # in the navigation
    page = finance.get("/offsets/new?partner=JPN").text
    boxes = re.findall(r'name="invoices" value="([^"]+)"', page)
    assert sorted(b.split(":")[0] for b in boxes) == sorted([xo, yo])  # one each way
    form = {"csrf_token": csrf, "partner": "JPN", "currency": "PHP", "invoices": boxes}

    too_few = finance.post("/offsets/new", data={**form, "invoices": boxes[:1],
                                                 "step": "preview"})
    assert too_few.status_code == 422 and 'id="err-invoices"' in too_few.text

    preview = finance.post("/offsets/new", data={**form, "step": "preview"})
    assert preview.status_code == 200, preview.text[preview.text.find('class="errors"'):][:500]
    assert "30,000.00" in preview.text and 'value="propose"' in preview.text
    assert read(phl, settlement.list_offsets, read(phl, get_user, "phl.finance")) == []

    r = finance.post("/offsets/new", data={**form, "step": "propose"},
                     follow_redirects=False)
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:500]
    assert r.headers["location"].startswith("/offsets/OFS/PHL/00001")
    page = finance.get(r.headers["location"]).text
    assert "awaiting the other party" in page and "/sign" not in page  # not ours to sign

    sync(phl, jpn)
    set_day(date(2026, 4, 1), jpn, phl)
    jpn_finance = client_for(jpn)
    csrf = browser_login(jpn_finance, jpn, enrol(jpn, official(jpn, Role.FINANCE_OFFICER)))
    listed = jpn_finance.get("/offsets").text
    assert "OFS/PHL/00001" in listed and "awaiting your signature" in listed
    page = jpn_finance.get("/offsets/OFS/PHL/00001").text
    assert 'action="/offsets/OFS/PHL/00001/sign"' in page
    r = jpn_finance.post("/offsets/OFS/PHL/00001/sign", data={"csrf_token": csrf},
                         follow_redirects=False)
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:500]
    assert "signed by both parties" in jpn_finance.get(r.headers["location"]).text

    sync(jpn, phl)
    for node in (jpn, phl):
        assert status(node, yo) == "settled" and status(node, xo) == "settling"
    # The statement of account cites the offset by its number.
    rows = read(phl, rt.statement, read(phl, get_user, "phl.finance"), "JPN")
    offset_rows = [r for r in rows if r.event_type == "offset.signed"]
    assert offset_rows and {r.reference for r in offset_rows} == {"OFS/PHL/00001"}


def test_an_unknown_offset_and_a_japanese_page(nodes):  # type: ignore[no-untyped-def]
    jpn, _ = nodes
    client = client_for(jpn)
    browser_login(client, jpn, enrol(jpn, official(jpn, Role.FINANCE_OFFICER)))
    assert client.get("/offsets/OFS/PHL/00009").status_code == 404
    client.post("/preferences", data={"csrf_token": re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/preferences").text).group(1),
        "locale": "ja", "time_zone": "Asia/Tokyo"})
    for url in ("/offsets", "/offsets/new?partner=PHL"):
        page = client.get(url).text
        assert "Offset statements" not in page and "Propose an offset statement" not in page

"""The price catalogue: listed for anyone, set by a finance officer through the page, the
API and the CLI; refusals name the field as the form labels it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from acsa.domain.parties import Role
from acsa.services import catalogue
from acsa.services.orders import catalogue_price
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from api.conftest import bearer, client_for, enrol, official, problem, token_for
from integration.test_cli_users import Shell
from integration.twonodes import AGREEMENT, read, set_day
from ui.test_order_pages import browser_login

pytestmark = pytest.mark.postgres


def prices(node):  # type: ignore[no-untyped-def]
    return read(node, catalogue.list_prices)


def test_a_finance_officer_sets_a_price_on_the_page(nodes):  # type: ignore[no-untyped-def]
    jpn, _ = nodes
    set_day(date(2026, 3, 1), jpn)
    browser = client_for(jpn)
    csrf = browser_login(browser, jpn, enrol(jpn, official(jpn, Role.FINANCE_OFFICER)))
    page = browser.get("/catalogue").text
    assert 'href="/catalogue"' in page and 'method="post" action="/catalogue"' in page
    form = {"csrf_token": csrf, "agreement": AGREEMENT, "category": "pol",
            "item": "Diesel fuel F-76", "unit": "L", "unit_price": "152.5",
            "valid_from": "2026-04-01"}
    r = browser.post("/catalogue", data={**form, "unit_price": "0"})
    assert r.status_code == 422 and 'id="err-unit_price"' in r.text
    assert '<a href="#unit_price">Unit price</a>' in r.text and prices(jpn) == []
    r = browser.post("/catalogue", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:500]
    [price] = prices(jpn)
    assert (price.party, price.unit_price, price.currency) == ("JPN", "152.5", "JPY")
    listed = browser.get(r.headers["location"]).text
    assert "Diesel fuel F-76" in listed and "152.5 JPY" in listed
    assert read(jpn, catalogue_price, AGREEMENT, "JPN", "pol", "Diesel fuel F-76", "L",
                date(2026, 4, 2)) == "152.5"


def test_only_a_finance_officer_sets_prices(nodes):  # type: ignore[no-untyped-def]
    jpn, _ = nodes
    browser = client_for(jpn)
    csrf = browser_login(browser, jpn, enrol(jpn, official(jpn, Role.ADMINISTRATOR)))
    page = browser.get("/catalogue").text
    assert 'method="post" action="/catalogue"' not in page  # reads, gets no form
    r = browser.post("/catalogue", data={
        "csrf_token": csrf, "agreement": AGREEMENT, "category": "pol", "item": "Diesel",
        "unit": "L", "unit_price": "150", "valid_from": "2026-04-01"})
    assert r.status_code == 403 and prices(jpn) == []


def test_prices_through_the_api(nodes):  # type: ignore[no-untyped-def]
    jpn, _ = nodes
    api = client_for(jpn)
    headers = bearer(token_for(jpn, official(jpn, Role.FINANCE_OFFICER)))
    body = {"agreement": AGREEMENT, "category": "food", "item": "Ration, MRE", "unit": "EA",
            "unit_price": "1350", "valid_from": "2026-04-01", "valid_to": "2027-03-31"}
    r = api.post("/api/v1/catalogue", json={**body, "unit": "CRATE"}, headers=headers)
    assert r.status_code == 422 and problem(r)["field"] == "unit"
    r = api.post("/api/v1/catalogue", json={**body, "valid_to": "2026-01-01"}, headers=headers)
    assert r.status_code == 422 and problem(r)["field"] == "valid_to"
    # A 30-digit price is one clear refusal on the field, nothing stored.
    r = api.post("/api/v1/catalogue", json={**body, "unit_price": "9" * 30}, headers=headers)
    assert r.status_code == 422 and problem(r)["field"] == "unit_price", r.text
    assert prices(jpn) == []
    r = api.post("/api/v1/catalogue", json=body, headers=headers)
    assert r.status_code == 201, r.text
    assert (r.json()["currency"], r.json()["party"]) == ("JPY", "JPN")
    listed = api.get("/api/v1/catalogue?agreement=JPN-PHL-ACSA", headers=headers).json()
    assert listed["count"] == 1 and listed["data"][0]["valid_to"] == "2027-03-31"


def test_prices_from_the_shell(nodes, monkeypatch):  # type: ignore[no-untyped-def]
    from acsa.cli import common

    jpn, _ = nodes
    monkeypatch.setattr(common, "open_node", lambda settings, **kw: jpn)
    shell = Shell(jpn)
    out = shell("catalogue", "set", "--agreement", AGREEMENT, "--category", "water",
                "--item", "Potable water", "--unit", "l", "--price", "30", "--from",
                "2026-04-01", "--as", "jpn.finance")
    assert out.startswith("Potable water: 30 JPY per L from 2026-04-01")
    [row] = shell.json("catalogue", "list", "--party", "JPN")
    assert (row["item"], row["unit_price"], row["valid_to"]) == ("Potable water", "30", None)
    refused = shell.invoke("catalogue", "set", "--agreement", AGREEMENT, "--category",
                           "weapons", "--item", "x", "--unit", "EA", "--price", "1",
                           "--from", "2026-04-01", "--as", "jpn.finance", "--json")
    assert refused.exit_code == 1 and '"field": "category"' in refused.stderr
    with UnitOfWork(jpn, write=False) as uow:
        assert len(uow.conn.execute(select(T.catalogue)).all()) == 1

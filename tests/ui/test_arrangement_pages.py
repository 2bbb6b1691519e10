"""Implementing arrangements through the API and the pages: PHL's finance officer proposes,
JPN's countersigns; anyone reads the register; the new-order form offers those in effect;
refusals name the field as the form labels it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from acsa.domain.parties import Role
from acsa.services import arrangements
from api.conftest import bearer, client_for, enrol, official, problem, token_for
from integration.test_order_services import nodes  # noqa: F401 - the fixture, by name
from integration.twonodes import read, set_day, sync
from ui.test_order_pages import browser_login

pytestmark = pytest.mark.postgres

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "arrangement-jp-ph-ia-01.toml"
IA = "JP-PH/IA-01"


def body() -> dict:  # type: ignore[type-arg]
    doc = arrangements.parse_document(EXAMPLE.read_bytes(), "example")
    return doc


def test_proposed_listed_and_signed_through_the_api(nodes):  # type: ignore[no-untyped-def]  # noqa: F811
    jpn, phl = nodes
    set_day(date(2026, 2, 2), jpn, phl)
    api = client_for(phl)
    finance = bearer(token_for(phl, official(phl, Role.FINANCE_OFFICER)))
    r = api.post("/api/v1/arrangements", json={**body(), "valid_to": "2020-01-01"},
                 headers=finance)
    assert r.status_code == 422 and problem(r)["field"] == "valid_to"
    ordering = bearer(token_for(phl, official(phl, Role.ORDERING_OFFICIAL)))
    r = api.post("/api/v1/arrangements", json=body(), headers=ordering)
    assert r.status_code == 403, r.text
    r = api.post("/api/v1/arrangements", json=body(), headers=finance)
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["proposed_by"]) == ("proposed", "PHL")
    r = api.post(f"/api/v1/arrangements/{IA}/sign", headers=finance)
    assert r.status_code == 422 and problem(r)["field"] == "identifier"
    listed = api.get("/api/v1/arrangements", headers=ordering).json()
    assert listed["count"] == 1 and listed["data"][0]["in_effect"] is False
    assert api.get("/api/v1/arrangements/JP-PH/IA-77", headers=ordering).status_code == 404

    sync(phl, jpn)
    jpn_api = client_for(jpn)
    signed = jpn_api.post(f"/api/v1/arrangements/{IA}/sign",
                          headers=bearer(token_for(jpn, official(jpn, Role.FINANCE_OFFICER))))
    assert signed.status_code == 200, signed.text
    assert (signed.json()["status"], signed.json()["signed_by"]) == ("signed", "JPN")
    sync(jpn, phl)
    shown = api.get(f"/api/v1/arrangements/{IA}", headers=ordering).json()
    assert shown["in_effect"] is True
    assert shown["parties"][1]["remittance"]["office"] == (
        "Naval Finance Center, Roxas Boulevard, Manila")


def test_proposed_and_countersigned_on_the_pages(nodes):  # type: ignore[no-untyped-def]  # noqa: F811
    jpn, phl = nodes
    set_day(date(2026, 2, 2), jpn, phl)
    browser = client_for(phl)
    csrf = browser_login(browser, phl, enrol(phl, official(phl, Role.FINANCE_OFFICER)))
    page = browser.get("/arrangements").text
    assert 'href="/arrangements"' in page and 'method="post" action="/arrangements"' in page
    text = EXAMPLE.read_text()
    r = browser.post("/arrangements", data={"csrf_token": csrf, "agreement": "JPN-PHL-ACSA",
                                            "document": text.replace('title = "', 'titel = "')})
    assert r.status_code == 422 and 'id="err-document"' in r.text
    r = browser.post("/arrangements", data={"csrf_token": csrf, "agreement": "JPN-PHL-ACSA",
                                            "document": text}, follow_redirects=False)
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:500]
    detail = browser.get(r.headers["location"]).text
    assert "Naval Finance Center, Roxas Boulevard, Manila" in detail
    assert "countersigns this arrangement" in detail and f"/arrangements/{IA}/sign" not in detail

    sync(phl, jpn)
    jpn_browser = client_for(jpn)
    jpn_csrf = browser_login(jpn_browser, jpn, enrol(jpn, official(jpn, Role.FINANCE_OFFICER)))
    detail = jpn_browser.get(f"/arrangements/{IA}").text
    assert f'action="/arrangements/{IA}/sign"' in detail
    r = jpn_browser.post(f"/arrangements/{IA}/sign", data={"csrf_token": jpn_csrf},
                         follow_redirects=False)
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:500]
    assert "signed by both parties" in jpn_browser.get(r.headers["location"]).text
    assert read(jpn, arrangements.get_arrangement, IA).status == "signed"

    sync(jpn, phl)
    set_day(date(2026, 2, 3), jpn, phl)
    orderer = client_for(phl)
    browser_login(orderer, phl, enrol(phl, official(phl, Role.ORDERING_OFFICIAL)))
    form = orderer.get("/new-order").text
    assert f'<option value="{IA}"' in form
    jp = orderer.get(f"/arrangements/{IA}")
    assert jp.status_code == 200 and 'method="post"' not in jp.text.split("<main", 1)[-1] \
        .split("</main>", 1)[0].replace('action="/auth/logout"', "")

"""Exchange rates: recorded by a finance officer through the page, the API and the CLI,
each naming its official source (one the agreement's profile names) or none; every list
says which rates are official and from which source, in English and in Japanese. A source
the profile does not name is refused on the field, and nothing is kept. Rates recorded
before sources existed carry no ``source`` key and read as an officer's own.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from acsa.domain.parties import Role
from acsa.services import rates
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from api.conftest import bearer, client_for, enrol, official, problem, token_for
from integration.test_cli_users import Shell
from integration.twonodes import AGREEMENT, copy_events, read, set_day
from ui.test_order_pages import browser_login

pytestmark = pytest.mark.postgres


def listed(node):  # type: ignore[no-untyped-def]
    return [(r["rate"], r["official"], r["source"]) for r in read(node, rates.list_rates)]


def test_a_finance_officer_records_an_official_rate_on_the_page(nodes):  # type: ignore[no-untyped-def]
    jpn, phl = nodes
    set_day(date(2026, 3, 1), jpn, phl)
    browser = client_for(jpn)
    csrf = browser_login(browser, jpn, enrol(jpn, official(jpn, Role.FINANCE_OFFICER)))
    page = browser.get("/rates").text
    assert 'href="/rates"' in page and 'method="post" action="/rates"' in page
    # The select offers no source and every official one the agreements name.
    assert '<option value="mof-reporting">' in page and '<option value="bsp-reference">' in page
    form = {"csrf_token": csrf, "agreement": AGREEMENT, "on": "2026-03-01", "base": "jpy",
            "quote": "php", "rate": "0.3712", "source": "ecb-reference"}
    r = browser.post("/rates", data=form)
    assert r.status_code == 422 and 'id="err-source"' in r.text
    assert '<a href="#source">Rate source</a>' in r.text
    assert "is not an official rate source of JPN-PHL-ACSA (mof-reporting, bsp-reference)" in r.text
    assert listed(jpn) == []
    r = browser.post("/rates", data={**form, "source": "mof-reporting"}, follow_redirects=False)
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:500]
    r = browser.post("/rates", data={**form, "rate": "0.3700", "source": ""},
                     follow_redirects=False)
    assert r.status_code == 303
    assert sorted(listed(jpn)) == [("0.3700", False, None), ("0.3712", True, "mof-reporting")]
    shown = browser.get("/rates?agreement=JPN-PHL-ACSA").text
    assert "Official</strong>: Rate under the Ministerial Ordinance on Reports of Foreign " \
           "Exchange (Ministry of Finance, Japan (財務省))" in shown
    assert "An officer's own rate" in shown
    # The partner's node learns both, with their sources.
    copy_events(jpn, phl)
    assert sorted(listed(phl)) == sorted(listed(jpn))


def test_the_rates_page_in_japanese_shows_no_english(nodes):  # type: ignore[no-untyped-def]
    jpn, _ = nodes
    with UnitOfWork(jpn) as uow:
        uow.conn.execute(T.users.update().where(T.users.c.id == "jpn.finance")
                         .values(locale="ja"))
        uow.commit()
    browser = client_for(jpn)
    csrf = browser_login(browser, jpn, enrol(jpn, official(jpn, Role.FINANCE_OFFICER)))
    browser.post("/rates", data={"csrf_token": csrf, "agreement": AGREEMENT,
                                 "on": "2026-02-02", "base": "PHP", "quote": "JPY",
                                 "rate": "2.69", "source": "bsp-reference"})
    refused = browser.post("/rates", data={"csrf_token": csrf, "agreement": AGREEMENT,
                                           "on": "2026-02-02", "base": "XYZ", "quote": "JPY",
                                           "rate": "2.69"})
    assert refused.status_code == 422
    assert '<span class="field-error" id="err-base">' in refused.text
    said = refused.text.split('id="err-base">')[1].split("</span>")[0]
    assert "XYZ" in said and not re.search(r"[A-Za-z]{4,}", said), said
    page = browser.get("/rates").text
    assert "公式</strong>: フィリピン中央銀行参照レート" in page
    assert "<h1>為替レート" in page and "レートの出典" in page
    main = page[page.index("<main"):page.index("</main>")]
    text = re.sub(r"<[^>]+>", " ", main)
    words = set(re.findall(r"[A-Za-z]{4,}", text)) - {"JPY", "PHP", "ACSA"}
    assert words == set(), words


def test_rates_through_the_api(nodes):  # type: ignore[no-untyped-def]
    jpn, _ = nodes
    api = client_for(jpn)
    headers = bearer(token_for(jpn, official(jpn, Role.FINANCE_OFFICER)))
    body = {"agreement": AGREEMENT, "on": "2026-02-01", "base": "JPY", "quote": "PHP",
            "rate": "0.375"}
    r = api.post("/api/v1/rates", json={**body, "source": "treasury-reporting"},
                 headers=headers)
    assert r.status_code == 422 and problem(r)["field"] == "source", r.text
    r = api.post("/api/v1/rates", json={**body, "quote": "JPY"}, headers=headers)
    assert (r.status_code, problem(r)["field"]) == (422, "quote"), r.text
    assert problem(r)["detail"] == "must be another currency than JPY"
    assert listed(jpn) == []
    r = api.post("/api/v1/rates", json={**body, "source": "mof-reporting"}, headers=headers)
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["official"], made["source"], made["source_name_ja"]) == (
        True, "mof-reporting", "報告省令レート")
    r = api.post("/api/v1/rates", json=body, headers=headers)
    assert (r.status_code, r.json()["official"], r.json()["source"]) == (201, False, None)
    # A rate without a source is stored as rates always were: no "source" key at all.
    with UnitOfWork(jpn, write=False) as uow:
        envelope = uow.conn.execute(select(T.events.c.envelope).where(
            T.events.c.hash == r.json()["event"])).scalar_one()
    assert b'"source"' not in (envelope if isinstance(envelope, bytes) else envelope.encode())
    every = api.get("/api/v1/rates", headers=headers).json()
    assert every["count"] == 2
    sources = api.get("/api/v1/rates/sources", headers=headers).json()
    assert [(s["id"], s["party"], s["official_for"]) for s in sources] == [
        ("mof-reporting", "JPN", []), ("bsp-reference", "PHL", [])]


def test_rates_from_the_shell(nodes, monkeypatch):  # type: ignore[no-untyped-def]
    from acsa.cli import common

    jpn, _ = nodes
    monkeypatch.setattr(common, "open_node", lambda settings, **kw: jpn)
    shell = Shell(jpn)
    out = shell("rate", "add", "--agreement", AGREEMENT, "--base", "jpy", "--quote", "php",
                "--rate", "0.3712", "--source", "mof-reporting", "--on", "2026-02-01",
                "--as", "jpn.finance")
    assert out.startswith("recorded 1 JPY = 0.3712 PHP on 2026-02-01, official (mof-reporting)")
    out = shell("rate", "add", "--agreement", AGREEMENT, "--base", "jpy", "--quote", "php",
                "--rate", "0.37", "--on", "2026-02-01", "--as", "jpn.finance")
    assert "an officer's own rate" in out
    table = shell("rate", "list")
    assert "official: mof-reporting (Rate under the Ministerial Ordinance" in table
    assert "officer's own" in table
    [first, second] = sorted(shell.json("rate", "list", "--agreement", AGREEMENT),
                             key=lambda r: r["rate"])
    assert (first["source"], first["official"]) == (None, False)
    assert (second["source"], second["official"]) == ("mof-reporting", True)
    refused = shell.invoke("rate", "add", "--agreement", AGREEMENT, "--base", "JPY",
                           "--quote", "PHP", "--rate", "0.38", "--source", "mof",
                           "--as", "jpn.finance", "--json")
    assert refused.exit_code == 1 and '"field": "source"' in refused.stderr
    assert len(read(jpn, rates.list_rates)) == 2

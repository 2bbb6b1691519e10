"""The claim-notice page: receivables with their notice state, the notice PDF, and the form
on which a finance officer records a notice sent (on the module's world)."""

from __future__ import annotations

from datetime import date

from api.conftest import client_for, enrol
from ui.test_order_pages import browser_login

from .test_claim_notices import INVOICE


def test_a_finance_officer_prints_and_records_a_notice_on_the_page(world):
    jpn = world.pair.jpn
    world.pair.set_day(date(2026, 3, 5))
    browser = client_for(jpn)
    csrf = browser_login(browser, jpn, enrol(jpn, "jpn.finance"))
    page = browser.get("/claims")
    assert page.status_code == 200, page.text
    assert 'href="/claims"' in page.text  # in the navigation
    # JPN's officers read the pages in Japanese (their preference).
    assert "債権発生通知" in page.text
    assert INVOICE in page.text and "未送付" in page.text
    assert f'href="/claims/{INVOICE}/notice"' in page.text
    pdf = browser.get(f"/claims/{INVOICE}/notice")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    form = {"csrf_token": csrf, "invoice": INVOICE, "to": "", "on": "2026-03-05", "note": ""}
    r = browser.post("/claims/sent", data=form)
    assert r.status_code == 422 and 'id="err-to"' in r.text
    r = browser.post("/claims/sent", data={**form, "to": "歳入徴収官 (Yokosuka)"},
                     follow_redirects=False)
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:500]
    listed = browser.get(r.headers["location"]).text
    assert "に 歳入徴収官 (Yokosuka) へ送付" in listed
    pending = browser.get("/claims", params={"pending": "true"}).text
    assert f"<td>{INVOICE}</td>" not in pending


def test_an_auditor_reads_the_page_without_the_form(world):
    jpn = world.pair.jpn
    browser = client_for(jpn)
    browser_login(browser, jpn, enrol(jpn, "jpn.auditor"))
    page = browser.get("/claims").text
    assert INVOICE in page and 'action="/claims/sent"' not in page
    assert browser.get(f"/claims/{INVOICE}/notice").status_code == 403

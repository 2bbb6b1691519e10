"""Consent to release on the order page: JPN's security officer asks, PHL's consents, and
the section lists the marking, the request, each originator's answer and the send button;
refusals stand beside the field; the Japanese page reads in Japanese."""

from __future__ import annotations

from datetime import date

import pytest

from acsa.domain.parties import Role
from acsa.services import admin, consent, orders, users
from acsa.services.unit_of_work import UnitOfWork
from api.conftest import client_for, enrol
from integration.test_order_services import nodes, terms  # noqa: F401 - the fixture, by name
from integration.twonodes import AGREEMENT, UNITS, act, read, set_day, sync, user_id
from ui.test_order_pages import browser_login

pytestmark = pytest.mark.postgres


def security_officer(node) -> str:  # type: ignore[no-untyped-def]
    who = user_id(node.party, Role.SECURITY_OFFICER)
    units = [u for u, _ in UNITS[node.party]]
    with UnitOfWork(node) as uow:
        boss = users.get_user(uow, user_id(node.party, Role.ADMINISTRATOR))
        users.add_user(uow, boss, user_id=who, name=f"{node.party} security officer",
                       roles=[Role.SECURITY_OFFICER.value], units=units,
                       locale="ja" if node.party == "JPN" else "en")
        admin.appoint(uow, boss, agreement=AGREEMENT, user_id=who,
                      name=f"{node.party} security officer", role="security_officer",
                      units=units, valid_from=date(2026, 1, 15))
        uow.commit()
    return who


def test_asked_and_consented_on_the_order_page(nodes):  # type: ignore[no-untyped-def]  # noqa: F811
    jpn, phl = nodes
    set_day(date(2026, 2, 2), jpn, phl)
    jpn_so, phl_so = security_officer(jpn), security_officer(phl)
    number = act(phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms()).envelope.subject
    sync(phl, jpn)
    browser = client_for(phl)
    csrf = browser_login(browser, phl, enrol(phl, phl_so))
    page = browser.get(f"/orders/{number}").text
    assert "Marking, consent and release" in page
    assert "No one has asked to release this order to a third nation." in page
    r = browser.post(f"/orders/{number}/consents", data={
        "csrf_token": csrf, "recipient": "JPN", "reason": "exercise staff"})
    assert r.status_code == 422 and 'id="err-recipient"' in r.text
    r = browser.post(f"/orders/{number}/consents", data={
        "csrf_token": csrf, "recipient": "", "reason": "exercise staff"})
    said = r.text.split('id="err-recipient">')[1].split("</span>")[0]
    assert r.status_code == 422 and "ISO" not in said and "fill this in" in said, said
    r = browser.post(f"/orders/{number}/consents", data={
        "csrf_token": csrf, "recipient": "USA", "reason": "exercise staff"},
        follow_redirects=False)
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:500]
    page = browser.get(r.headers["location"]).text
    [request] = read(phl, lambda uow: consent.list_views(
        uow, users.get_user(uow, phl_so), number))
    assert f'/consents/{request["request"]}/grant' in page and "awaiting the answer" in page
    board = browser.get("/").text
    tile = board[board.index('data-task="consent-requests"'):][:200]
    assert '<span class="n">1</span>' in tile, tile
    listed = browser.get("/releases").text
    assert f'href="/orders/{number}#release-h"' in listed and "release to USA" in listed
    r = browser.post(f"/orders/{number}/consents/{request['request']}/grant",
                     data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    page = browser.get(r.headers["location"]).text
    assert "every originator consented" in page and f"/orders/{number}/release" in page
    assert "No request awaits your answer." in browser.get("/releases").text

    sync(phl, jpn)
    ja = client_for(jpn)
    browser_login(ja, jpn, enrol(jpn, jpn_so))
    page = ja.get(f"/orders/{number}").text
    section = page[page.index('id="release-h"'):page.index('id="act-h"')]
    assert "Marking, consent and release" not in section and "USA" in section
    assert "/grant" not in section  # JPN originated nothing of the order yet
    assert ja.get("/releases").status_code == 200

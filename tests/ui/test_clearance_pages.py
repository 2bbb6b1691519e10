"""Clearance and need to know on the administration pages, on the seeded demo's JPN node.

The security officer sets another user's clearance (the party's own levels or
none) and activities (the ones registered here) with forms posted with the
CSRF token; a refusal comes back beside its field with the API's status.
Administrators add users without them and are refused the forms. The demo's
JPN users read Japanese: no new words of these pages stay in English.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from acsa.services import users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

from . import _admin_fixtures as fx
from ._admin_fixtures import Browser
from .test_refusal_language import titled

demo_nodes, demo = fx.demo_nodes, fx.demo
administrator, ordering = fx.administrator, fx.ordering

LEVELS = ["特定秘密", "極秘", "秘"]
PAGE = "/admin/users/jpn.finance"


@pytest.fixture(scope="module")
def security(demo: Node) -> Iterator[Browser]:
    browser = fx.log_in(demo, "jpn.security")
    with browser.client:
        yield browser


def finance(demo: Node) -> users.LocalUser:
    with UnitOfWork(demo, write=False) as uow:
        return users.find_user(uow, "jpn.finance")


def access_lines(demo: Node) -> list[tuple[str, str]]:
    with UnitOfWork(demo, write=False) as uow:
        a = T.access_log.c
        return [(r.action, r.target) for r in uow.conn.execute(
            select(a.action, a.target).where(a.target.like("jpn.finance:%")).order_by(a.id))]


def test_the_security_officer_gets_the_level_select_and_the_activity_boxes(
        security: Browser) -> None:
    page = security.client.get(PAGE)
    assert page.status_code == 200
    html = page.text
    assert f'action="{PAGE}/clearance"' in html and f'action="{PAGE}/activities"' in html
    select_ = re.search(r'<select id="clearance" name="clearance"[^>]*>(.*?)</select>', html,
                        re.S)
    assert select_, html
    assert re.findall(r'<option value="([^"]*)"', select_.group(1)) == ["none", *LEVELS]
    boxes = re.findall(r'<input type="checkbox" name="activities" value="([^"]+)"', html)
    assert "KAMANDAG-10" in boxes
    # Japanese throughout: the new words are translated.
    for english in ("Clearance and need to know", "Set the clearance",
                    "Activities the user needs to know", "Save the assignments"):
        assert english not in html
    assert "秘密取扱資格を設定" in html and "知る必要がある活動" in html


def test_a_clearance_is_set_and_cleared(demo: Node, security: Browser) -> None:
    r = security.client.post(f"{PAGE}/clearance", data={"csrf_token": security.csrf,
                                                        "clearance": "極秘"},
                             follow_redirects=False)
    assert r.status_code == 303, r.text
    assert finance(demo).clearance == "極秘"
    page = security.client.get(PAGE).text
    assert re.search(r'<option value="極秘" selected>', page)
    r = security.client.post(f"{PAGE}/clearance", data={"csrf_token": security.csrf,
                                                        "clearance": "none"},
                             follow_redirects=False)
    assert r.status_code == 303 and finance(demo).clearance is None
    assert access_lines(demo)[-2:] == [("user.clearance", "jpn.finance: none → 極秘"),
                                       ("user.clearance", "jpn.finance: 極秘 → none")]


def test_an_unknown_level_is_shown_beside_the_select_and_nothing_is_kept(
        demo: Node, security: Browser) -> None:
    before = (finance(demo), access_lines(demo))
    r = security.client.post(f"{PAGE}/clearance", data={"csrf_token": security.csrf,
                                                        "clearance": "BANANA"})
    assert r.status_code == 422
    error = re.search(r'<span class="field-error" id="err-clearance">([^<]+)</span>', r.text)
    assert error and all(level in error.group(1) for level in LEVELS), r.text
    assert 'aria-describedby="err-clearance"' in r.text
    assert (finance(demo), access_lines(demo)) == before


def test_activities_are_assigned_and_taken_off(demo: Node, security: Browser) -> None:
    r = security.client.post(f"{PAGE}/activities", data={
        "csrf_token": security.csrf, "activities": ["KAMANDAG-10"]}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert finance(demo).activities == {"KAMANDAG-10"}
    page = security.client.get(PAGE).text
    assert re.search(r'value="KAMANDAG-10" checked', page)
    listing = security.client.get("/admin/users").text
    row = re.search(r'<a href="/admin/users/jpn.finance">.*?</tr>', listing, re.S)
    assert row and "1 件の活動" in row.group(0)
    r = security.client.post(f"{PAGE}/activities", data={"csrf_token": security.csrf},
                             follow_redirects=False)
    assert r.status_code == 303 and finance(demo).activities == frozenset()
    assert access_lines(demo)[-2:] == [("user.assigned", "jpn.finance: KAMANDAG-10"),
                                       ("user.unassigned", "jpn.finance: KAMANDAG-10")]


def test_an_unknown_activity_is_shown_beside_the_boxes(demo: Node, security: Browser) -> None:
    before = (finance(demo), access_lines(demo))
    r = security.client.post(f"{PAGE}/activities", data={
        "csrf_token": security.csrf, "activities": ["NO-SUCH"]})
    assert r.status_code == 422
    error = re.search(r'<span class="field-error" id="err-activity">([^<]+)</span>', r.text)
    assert error and "NO-SUCH" in error.group(1) and "KAMANDAG-10" in error.group(1)
    assert (finance(demo), access_lines(demo)) == before


def test_the_security_officer_gets_no_form_for_themselves(security: Browser) -> None:
    page = security.client.get("/admin/users/jpn.security").text
    assert 'action="/admin/users/jpn.security/clearance"' not in page
    r = security.client.post("/admin/users/jpn.security/clearance",
                             data={"csrf_token": security.csrf, "clearance": "特定秘密"})
    assert r.status_code == 403


def test_administrators_and_officials_are_refused(demo: Node, administrator: Browser,
                                                  ordering: Browser) -> None:
    before = (finance(demo), access_lines(demo))
    page = administrator.client.get(PAGE).text
    assert f'action="{PAGE}/clearance"' not in page
    add_form = administrator.client.get("/admin/users").text
    assert 'name="clearance"' not in add_form and 'name="activities"' not in add_form
    for browser in (administrator, ordering):
        r = browser.client.post(f"{PAGE}/clearance", data={"csrf_token": browser.csrf,
                                                           "clearance": "秘"})
        assert r.status_code == 403, r.text
        r = browser.client.post(f"{PAGE}/activities", data={
            "csrf_token": browser.csrf, "activities": ["KAMANDAG-10"]})
        assert r.status_code == 403
    r = administrator.client.post("/admin/users", data={
        "csrf_token": administrator.csrf, "id": "jpn.analyst", "name": "Analyst",
        "roles": "auditor", "clearance": "秘", "locale": "ja", "time_zone": "Asia/Tokyo"})
    assert r.status_code == 403
    assert (finance(demo), access_lines(demo)) == before


def test_a_form_without_the_csrf_token_is_refused(demo: Node, security: Browser) -> None:
    r = security.client.post(f"{PAGE}/clearance", data={"clearance": "秘"})
    assert r.status_code == 403 and titled(r.text, "csrf_rejected")
    assert finance(demo).clearance is None

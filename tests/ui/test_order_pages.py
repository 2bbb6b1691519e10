"""The order pages and the dashboard, through the real app on both engines.

Forms are posted as a browser without JavaScript posts them: url-encoded,
with the session's CSRF token and the order's head as the user saw it.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from acsa.devtools.world import as_official
from acsa.domain.parties import Role
from acsa.i18n import gettext
from acsa.services import admin, orders, users
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from acsa.web.ui.orders import CONFLICT_MESSAGE
from api.conftest import Officer, client_for, enrol, official
from integration.test_order_services import terms

pytestmark = pytest.mark.postgres


def browser_login(client, node, officer: Officer) -> str:  # type: ignore[no-untyped-def]
    """Log in through the HTML forms; returns the session's CSRF token from a page."""
    page = client.get("/auth/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/auth/login", data={"login_token": token, "next": "/", "user": officer.id,
                                         "password": "correct horse battery staple"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/auth/code")
    r = client.post("/auth/code", data={"code": officer.code(node), "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/").text)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def head_of(html: str) -> str:
    return re.search(r'name="head" value="([^"]*)"', html).group(1)


def event_count(node) -> int:  # type: ignore[no-untyped-def]
    with UnitOfWork(node, write=False) as uow:
        return int(uow.conn.execute(select(func.count()).select_from(T.events)).scalar_one())


@pytest.fixture
def submitted(pair):  # type: ignore[no-untyped-def]
    """An order PHL submitted to JPN, carried to JPN; JPN's approving official logged in."""
    pair.set_day(date(2026, 2, 3))
    number = as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                         terms()).envelope.subject
    pair.carry(pair.phl, pair.jpn)
    client = client_for(pair.jpn)
    officer = enrol(pair.jpn, official(pair.jpn, Role.APPROVING_OFFICIAL))
    csrf = browser_login(client, pair.jpn, officer)
    return pair, number, client, csrf


def test_pages_need_a_login(pair):  # type: ignore[no-untyped-def]
    client = client_for(pair.jpn)
    for path in ("/", "/orders", "/new-order", "/orders/JP-PH/PHL/FY2026/00001"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/auth/login?next=")


def test_list_filters_and_order_page_with_timeline_and_actions(submitted):  # type: ignore[no-untyped-def]
    pair, number, client, _ = submitted
    listed = client.get("/orders?status=submitted")
    assert listed.status_code == 200 and number in listed.text
    assert number not in client.get("/orders?status=settled").text
    assert number in client.get("/orders?q=diesel").text
    assert number not in client.get("/orders?q=helicopter").text
    page = client.get(f"/orders/{number}")
    assert page.status_code == 200
    assert "Diesel fuel F-76" in page.text and 'id="tl-h"' in page.text  # the timeline
    # The supplier's approving official may propose changes, accept or reject (or waive the
    # separation of duties for a small detachment): nothing else.
    assert re.findall(r'/act/([a-z-]+)"', page.text) == ["propose", "accept", "reject",
                                                          "waive-duties"]
    assert pair.phl.key.fingerprint[:24] in page.text  # the signing key of the submission


def test_accepting_through_the_form_signs_and_records(submitted):  # type: ignore[no-untyped-def]
    _pair, number, client, csrf = submitted
    page = client.get(f"/orders/{number}").text
    # The supplying unit comes preselected: the user's own.
    unit = re.search(r'id="accept-supplying_unit".*?<option value="([^"]+)" selected>', page,
                     re.S)
    assert unit is not None
    r = client.post(f"/orders/{number}/act/accept", follow_redirects=False,
                    data={"csrf_token": csrf, "head": head_of(page),
                          "supplying_unit": unit.group(1)})
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert 'class="notice"' in page.text  # "Done: Accept …", in the user's language
    assert '<span class="badge accepted">' in page.text


def test_a_stale_form_is_a_conflict_and_changes_nothing(submitted):  # type: ignore[no-untyped-def]
    pair, number, client, csrf = submitted
    stale = head_of(client.get(f"/orders/{number}").text)
    # Someone else on this node rejects the order first.
    as_official(pair.jpn, Role.APPROVING_OFFICIAL, orders.reject, number, reason="no stock")
    before = event_count(pair.jpn)
    r = client.post(f"/orders/{number}/act/accept", data={"csrf_token": csrf, "head": stale})
    assert r.status_code == 409
    assert gettext(CONFLICT_MESSAGE, "ja") in r.text  # JPN's officials read Japanese
    assert '<span class="badge rejected">' in r.text  # the order as it now stands
    assert event_count(pair.jpn) == before


def test_a_form_without_its_csrf_token_is_refused(submitted):  # type: ignore[no-untyped-def]
    pair, number, client, _ = submitted
    head = head_of(client.get(f"/orders/{number}").text)
    before = event_count(pair.jpn)
    r = client.post(f"/orders/{number}/act/accept", data={"head": head})
    assert r.status_code == 403
    assert event_count(pair.jpn) == before


def test_a_refused_action_shows_the_reason_beside_the_form(submitted):  # type: ignore[no-untyped-def]
    _pair, number, client, csrf = submitted
    head = head_of(client.get(f"/orders/{number}").text)
    r = client.post(f"/orders/{number}/act/reject",
                    data={"csrf_token": csrf, "head": head, "reason": ""})
    assert r.status_code == 422
    assert 'id="err-reason"' in r.text  # required reason, named at its field
    assert '<details class="action" id="act-reject" open>' in r.text


def new_order_form(csrf: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf, "intent": "submit", "agreement": "JPN-PHL-ACSA",
        "activity": "KAMANDAG-10", "supplier": "JPN", "requesting_unit": "AFP-TOG1",
        "method": "cash", "currency": "JPY", "needed_by": "2026-02-20",
        "deliver_to": "Clark Air Base, Pampanga", "poc": "Maj. Santos +63 45 599 0000",
        "fund_citation": "AFP-GAA-2026-OPS-0142",
        "lines.0.category": "pol", "lines.0.description": "Diesel fuel F-76",
        "lines.0.quantity": "5000", "lines.0.unit": "L", "lines.0.unit_price": "152.5",
    }
    form.update(changes)
    return form


def test_new_order_shows_each_problem_beside_its_field_and_keeps_the_input(pair):  # type: ignore[no-untyped-def]
    pair.set_day(date(2026, 2, 3))
    with UnitOfWork(pair.phl) as uow:
        boss = users.get_user(uow, official(pair.phl, Role.ADMINISTRATOR))
        admin.register_activity(uow, boss, agreement="JPN-PHL-ACSA", activity_id="KAMANDAG-10",
                                name="Exercise KAMANDAG 10", type="bilateral_training",
                                starts_on=date(2026, 2, 2), ends_on=date(2026, 3, 27))
        uow.commit()
    client = client_for(pair.phl)
    csrf = browser_login(client, pair.phl,
                         enrol(pair.phl, official(pair.phl, Role.ORDERING_OFFICIAL)))
    form = client.get("/new-order")
    assert form.status_code == 200 and 'name="lines.0.unit_price"' in form.text
    before = event_count(pair.phl)
    r = client.post("/new-order", data=new_order_form(csrf, **{"lines.0.quantity": "lots"}))
    assert r.status_code == 422
    assert 'id="err-lines-0-quantity"' in r.text
    assert 'value="Clark Air Base, Pampanga"' in r.text  # what was typed is kept
    # Several problems at once: each is shown beside its field.
    r = client.post("/new-order", data=new_order_form(
        csrf, deliver_to="", **{"lines.0.quantity": "lots", "lines.0.unit": "BARREL"}))
    assert r.status_code == 422
    for field in ("deliver_to", "lines-0-quantity"):
        assert f'id="err-{field}"' in r.text, field
    assert "2 problems" in r.text
    assert event_count(pair.phl) == before
    r = client.post("/new-order", data=new_order_form(csrf), follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/orders/JP-PH/PHL/")
    assert event_count(pair.phl) == before + 1


def test_dashboard_counts_what_waits_for_the_user(submitted):  # type: ignore[no-untyped-def]
    _pair, _number, client, _ = submitted
    page = client.get("/")
    assert page.status_code == 200
    # Nothing but the node's own scripts, no framing by another site.
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["content-encoding"] == "gzip"  # light on a slow field link
    tile = re.search(r'href="/orders\?todo=accept" data-task="accept">\s*'
                     r'<span class="n">(\d+)</span>([^<]*)<', page.text)
    assert tile and tile.group(1) == "1"
    assert tile.group(2).strip() == gettext("Orders to accept", "ja")  # the official's language
    listed = client.get("/orders?todo=accept")
    assert listed.status_code == 200 and _number in listed.text
    assert '<small class="muted">1 件</small>' in listed.text  # the count the tile showed


def logged_in(node, role: Role):  # type: ignore[no-untyped-def]
    client = client_for(node)
    return client, browser_login(client, node, enrol(node, official(node, role)))


def act_on_page(client, csrf: str, number: str, action: str,  # type: ignore[no-untyped-def]
                files=None, **fields: str) -> str:
    """Post ``action``'s form as the order page offers it; returns the page after it."""
    page = client.get(f"/orders/{number}").text
    assert f'/act/{action}"' in page, f"{action} is not offered"
    r = client.post(f"/orders/{number}/act/{action}", files=files, follow_redirects=False,
                    data={"csrf_token": csrf, "head": head_of(page), **fields})
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:600]
    return str(client.get(r.headers["location"]).text)


def test_cash_settlement_through_the_pages_of_both_nodes(submitted):  # type: ignore[no-untyped-def]
    pair, number, approving, csrf = submitted
    jpn, phl = pair.jpn, pair.phl
    act_on_page(approving, csrf, number, "accept", supplying_unit="JMSDF-ESF1")
    supply, csrf = logged_in(jpn, Role.SUPPLY_OFFICER)
    ticket = b"%PDF-1.4 delivery ticket 0042, 10,000 L F-76\n"
    page = act_on_page(supply, csrf, number, "deliver",
                       files={"evidence_file": ("ticket-0042.pdf", ticket, "application/pdf")},
                       **{"lines.0.line": "1", "lines.0.quantity": "10000"})
    assert "ticket-0042.pdf" in page  # the evidence file, with its content hash
    pair.carry(jpn, phl)
    receiving, csrf = logged_in(phl, Role.RECEIVING_OFFICIAL)
    act_on_page(receiving, csrf, number, "receive", delivery="1")
    pair.carry(phl, jpn)
    jpn_finance, jpn_csrf = logged_in(jpn, Role.FINANCE_OFFICER)
    page = act_on_page(jpn_finance, jpn_csrf, number, "invoice")
    assert '<span class="badge settling">' in page or '<span class="badge received">' in page
    pair.carry(jpn, phl)
    phl_finance, phl_csrf = logged_in(phl, Role.FINANCE_OFFICER)
    pay_form = phl_finance.get(f"/orders/{number}").text
    invoice = re.search(r'name="allocations\.0\.invoice" value="([^"]+)"', pay_form)
    assert invoice is not None
    act_on_page(phl_finance, phl_csrf, number, "pay", reference="SWIFT PH-0301-07",
                **{"allocations.0.order": number, "allocations.0.invoice": invoice.group(1),
                   "allocations.0.amount": "1525000"})
    pair.carry(phl, jpn)
    confirm_form = jpn_finance.get(f"/orders/{number}").text
    payment = re.search(r'id="confirm-payment-payment".*?<option value="([^"]+)"', confirm_form,
                        re.S)
    assert payment is not None
    page = act_on_page(jpn_finance, jpn_csrf, number, "confirm-payment",
                       payment=payment.group(1))
    assert '<span class="badge settled">' in page


def test_an_emergency_request_is_recorded_by_the_supplier_from_its_page(pair):  # type: ignore[no-untyped-def]
    pair.set_day(date(2026, 10, 20))
    with UnitOfWork(pair.jpn) as uow:
        boss = users.get_user(uow, official(pair.jpn, Role.ADMINISTRATOR))
        admin.register_activity(uow, boss, agreement="JPN-PHL-ACSA", activity_id="TYPHOON-HADR",
                                name="Typhoon relief", type="hadr", starts_on=date(2026, 10, 18))
        uow.commit()
    client, csrf = logged_in(pair.jpn, Role.APPROVING_OFFICIAL)
    page = client.get("/new-emergency")
    assert page.status_code == 200 and 'name="requested_by"' in page.text
    assert 'value="AFP-TOG1"' in page.text  # the partner's units to request for
    form = {
        "csrf_token": csrf, "intent": "submit", "agreement": "JPN-PHL-ACSA",
        "activity": "TYPHOON-HADR", "requester": "PHL", "requesting_unit": "AFP-TOG1",
        "supplying_unit": "JMSDF-ESF1", "method": "cash", "currency": "JPY",
        "needed_by": "2026-10-21", "deliver_to": "Tacloban", "poc": "Maj. Santos (radio)",
        "fund_citation": "AFP-HADR-2026-0007",
        "lines.0.category": "water", "lines.0.description": "Drinking water",
        "lines.0.quantity": "8000", "lines.0.unit": "L", "lines.0.unit_price": "30",
    }
    r = client.post("/new-emergency", data=form)
    assert r.status_code == 422 and 'id="err-requested_by"' in r.text  # who asked, and how
    r = client.post("/new-emergency", data={**form, "requested_by": "Maj. Santos, radio 14:20"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:500]
    assert r.headers["location"].startswith("/orders/JP-PH/JPN/FY2026/E")
    page = client.get(r.headers["location"]).text
    assert "Drinking water" in page and "badge flag" in page  # marked as an emergency order

"""A refusal has one HTTP status, whether a page or the API meets it.

Each test makes the same refusal happen once through the order page's form and
once through the API, on the same node, and compares the two answers. The API is
asked in Japanese (``Accept-Language: ja``), the language of JPN's officials: its
``detail`` is then the sentence the page shows, while ``code``, ``field`` and
``params`` stay what they are in every language.
"""

from __future__ import annotations

import html
from datetime import date
from typing import Any

import pytest

from acsa.devtools.world import as_official
from acsa.domain.parties import Role
from acsa.services import orders, queries
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.problems import status_of
from api.conftest import client_for, enrol, official, problem
from api.test_orders import Nation
from integration.test_order_services import terms
from ui.test_order_pages import browser_login, head_of

pytestmark = pytest.mark.postgres

R = Role
UNKNOWN = "JP-PH/PHL/FY2026/99999"


class Page:
    """One official at the order pages, logged in through the forms."""

    def __init__(self, node: Any, role: Role) -> None:
        self.client = client_for(node)
        self.csrf = browser_login(self.client, node, enrol(node, official(node, role)))

    def head(self, number: str) -> str:
        return head_of(self.client.get(f"/orders/{number}").text)

    def act(self, number: str, action: str, head: str | None = None, **fields: str) -> Any:
        head = self.head(number) if head is None else head
        return self.client.post(f"/orders/{number}/act/{action}",
                                data={"csrf_token": self.csrf, "head": head, **fields})


def submitted(pair: Any) -> str:
    """An order PHL submitted to JPN, carried to JPN."""
    pair.set_day(date(2026, 2, 3))
    number = as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                         terms()).envelope.subject
    pair.carry(pair.phl, pair.jpn)
    return str(number)


def in_japanese(node: Any) -> Nation:
    """The node's API as a client asking for Japanese."""
    nation = Nation(node)
    nation.client.headers["Accept-Language"] = "ja"
    return nation


def same(page: Any, api: Any, status: int, code: str) -> dict[str, Any]:
    """The page and the API answered ``status``; the API's problem has ``code``, and the
    page shows its words, in Japanese."""
    p = problem(api)
    assert (page.status_code, p["status"], p["code"]) == (status, status, code), p
    assert api.status_code == status and api.headers["content-language"] == "ja"
    assert not p["detail"].isascii(), p["detail"]
    assert html.escape(p["detail"], quote=True) in page.text or p["detail"] in page.text
    return p


def test_not_appointed_is_403_on_the_order_page_as_in_the_api(pair) -> None:  # type: ignore[no-untyped-def]
    number = submitted(pair)
    unit = {"supplying_unit": "JMSDF-ESF1"}
    jpn = in_japanese(pair.jpn)
    _, etag = jpn.order(R.SUPPLY_OFFICER, number)
    # The page offers a supply officer no accept form; the form is posted all the same.
    page = Page(pair.jpn, R.SUPPLY_OFFICER).act(number, "accept", head=etag.strip('"'), **unit)
    api = jpn.act(R.SUPPLY_OFFICER, number, "accept", unit, etag)
    p = same(page, api, 403, "not_appointed")  # the page answered 422 before
    assert p["field"] == "user"


def test_an_act_the_status_does_not_allow_is_409_on_the_page_as_in_the_api(pair) -> None:  # type: ignore[no-untyped-def]
    number = submitted(pair)
    jpn = in_japanese(pair.jpn)
    r = jpn.act(R.APPROVING_OFFICIAL, number, "accept", {"supplying_unit": "JMSDF-ESF1"})
    assert r.status_code == 200, r.text
    page = Page(pair.jpn, R.APPROVING_OFFICIAL).act(number, "reject", reason="changed our mind")
    api = jpn.act(R.APPROVING_OFFICIAL, number, "reject", {"reason": "changed our mind"})
    p = same(page, api, 409, "transition_not_allowed")
    assert p["field"] == "status"
    assert p["params"] == {"action": "reject", "side": "supplier",
                           "role": "approving_official", "status": "accepted"}


def test_a_stale_head_is_409_on_the_page_as_in_the_api(pair) -> None:  # type: ignore[no-untyped-def]
    number = submitted(pair)
    jpn = in_japanese(pair.jpn)
    browser = Page(pair.jpn, R.APPROVING_OFFICIAL)
    stale_head = browser.head(number)
    _, stale_etag = jpn.order(R.APPROVING_OFFICIAL, number)
    as_official(pair.jpn, Role.APPROVING_OFFICIAL, orders.reject, number, reason="no stock")
    page = browser.act(number, "accept", head=stale_head, supplying_unit="JMSDF-ESF1")
    api = jpn.act(R.APPROVING_OFFICIAL, number, "accept", {"supplying_unit": "JMSDF-ESF1"},
                  stale_etag)
    p = problem(api)
    assert (page.status_code, api.status_code, p["code"]) == (409, 409, "conflict")


def test_an_order_not_on_the_node_is_404_on_the_page_as_in_the_api(pair) -> None:  # type: ignore[no-untyped-def]
    submitted(pair)
    jpn = in_japanese(pair.jpn)
    browser = Page(pair.jpn, R.APPROVING_OFFICIAL)
    page = browser.client.get(f"/orders/{UNKNOWN}")
    api = jpn.get(R.APPROVING_OFFICIAL, f"/orders/{UNKNOWN}")
    p = same(page, api, 404, "unknown_reference")
    assert p["field"] == "order"
    page = browser.act(UNKNOWN, "accept", head="0" * 64, supplying_unit="JMSDF-ESF1")
    api = jpn.act(R.APPROVING_OFFICIAL, UNKNOWN, "accept", {"supplying_unit": "JMSDF-ESF1"},
                  '"' + "0" * 64 + '"')
    same(page, api, 404, "unknown_reference")


def test_a_refusal_on_an_administration_page_takes_the_api_status(pair) -> None:  # type: ignore[no-untyped-def]
    """The administration pages have no API twin: their refusals take the API's statuses
    all the same (they all answered 422 before)."""
    auditor = Page(pair.jpn, R.AUDITOR)
    form = {"csrf_token": auditor.csrf, "agreement": "JPN-PHL-ACSA", "id": "JGSDF-WAiR",
            "name": "Amphibious Rapid Deployment Brigade, JGSDF"}
    r = auditor.client.post("/admin/units", data=form)
    assert r.status_code == 403  # not_permitted: only an administrator registers units
    with UnitOfWork(pair.jpn, write=False) as uow:
        assert "JGSDF-WAiR" not in {u.id for u in queries.list_units(uow)}
    administrator = Page(pair.jpn, R.ADMINISTRATOR)
    r = administrator.client.post("/admin/units", data={**form, "csrf_token": administrator.csrf,
                                                        "name": ""})
    assert r.status_code == 422 and 'id="err-name"' in r.text  # the form's own content


def test_status_of_is_the_one_mapping() -> None:
    from acsa.domain import errors as E

    assert status_of(E.NotAppointed("x", field="user")) == 403
    assert status_of(E.TransitionNotAllowed("x", field="status")) == 409
    assert status_of(E.TransitionNotAllowed("x", field="role")) == 403
    assert status_of(E.UnknownReference("x", field="evidence")) == 404
    assert status_of(E.UnknownReference("x", field="invoice")) == 422
    assert status_of(E.ReportTooLarge("x", field="report")) == 422
    assert status_of(E.InvalidValue("x", field="name")) == 422

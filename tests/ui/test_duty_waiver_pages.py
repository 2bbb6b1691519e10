"""Separation of duties through the API and the order page: a combined-duty act refused as a
problem (403, ``duties_combined``) in the reader's language, and an approving official's
waiver, recorded by ``POST /api/v1/orders/{number}/waive-duties`` or the page's form and
shown on the order page."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from acsa.devtools.world import as_official
from acsa.domain.parties import Role
from acsa.services import orders
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import get_user
from api.conftest import bearer, client_for, token_for
from integration.test_order_services import terms
from integration.test_separation_of_duties import MULTI, add_multi

from .test_order_pages import act_on_page, logged_in

pytestmark = pytest.mark.postgres

EN = ("phl.multi already took 'submit' on this order: under JPN-PHL-ACSA "
      "2026.3+2026-02-01 one person may "
      "not also take 'receive' (separation of duties)")
JA = ("phl.multi はこの要請で既に「署名して提出」を行っているため、JPN-PHL-ACSA "
      "2026.3+2026-02-01 の職務分離"
      "により「受領を確認」を行うことはできません。")


def delivered(pair: Any) -> str:
    """Diesel phl.multi ordered, accepted and delivered by Japan, carried to both nodes."""
    add_multi(pair.phl)
    pair.set_day(date(2026, 2, 3))
    with UnitOfWork(pair.phl) as uow:
        number = str(orders.submit_order(uow, get_user(uow, MULTI), terms()).envelope.subject)
        uow.commit()
    pair.carry(pair.phl, pair.jpn)
    as_official(pair.jpn, Role.APPROVING_OFFICIAL, orders.accept, number,
                supplying_unit="JMSDF-ESF1")
    as_official(pair.jpn, Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "10000")])
    pair.carry(pair.jpn, pair.phl)
    return number


def receive(client: Any, number: str, secret: str, **headers: str) -> Any:
    etag = client.get(f"/api/v1/orders/{number}", headers=bearer(secret)).headers["ETag"]
    return client.post(f"/api/v1/orders/{number}/receive", json={"delivery": "1"},
                       headers={**bearer(secret), "If-Match": etag, **headers})


def test_the_api_refuses_a_combined_duty_and_the_waiver_lets_it_through(pair):  # type: ignore[no-untyped-def]
    number = delivered(pair)
    client = client_for(pair.phl)
    multi = token_for(pair.phl, MULTI)
    r = receive(client, number, multi)
    problem = r.json()
    assert (r.status_code, problem["code"], problem["field"]) == (403, "duties_combined",
                                                                  "actor.user")
    assert problem["detail"] == EN
    assert receive(client, number, multi, **{"Accept-Language": "ja"}).json()["detail"] == JA

    approving = token_for(pair.phl, "phl.approving")
    url = f"/api/v1/orders/{number}/waive-duties"
    assert client.post(url, json={"reason": "four of us"},
                       headers=bearer(approving)).status_code == 428  # If-Match required
    etag = client.get(f"/api/v1/orders/{number}", headers=bearer(approving)).headers["ETag"]
    r = client.post(url, json={"reason": ""}, headers={**bearer(approving), "If-Match": etag})
    assert r.status_code == 422
    r = client.post(url, json={"reason": "detachment of four at Subic"},
                    headers={**bearer(approving), "If-Match": etag})
    assert r.status_code == 200, r.text
    order = r.json()
    [waiver] = order["separation_of_duties"]["waivers"]
    assert (waiver["side"], waiver["party"], waiver["by"], waiver["reason"]) == (
        "requester", "PHL", "phl.approving", "detachment of four at Subic")
    assert ["submit", "receive"] in order["separation_of_duties"]["incompatible"]
    assert order["timeline"][-1]["type"] == "duties.waived"
    again = client.post(url, json={"reason": "again"},
                        headers={**bearer(approving), "If-Match": r.headers["ETag"]})
    assert (again.status_code, again.json()["code"]) == (409, "already_recorded")
    r = receive(client, number, multi)
    assert r.status_code == 200 and r.json()["status"] == "received"
    paths = json.loads(client.get("/api/v1/openapi.json").text)["paths"]
    assert any(p.endswith("/waive-duties") and "post" in v for p, v in paths.items())


def test_an_approving_official_waives_on_the_order_page(pair):  # type: ignore[no-untyped-def]
    number = delivered(pair)
    client, csrf = logged_in(pair.phl, Role.APPROVING_OFFICIAL)
    page = act_on_page(client, csrf, number, "waive-duties",
                       reason="detachment of four at Subic: one officer orders and receives")
    assert 'id="duties-h"' in page and "detachment of four at Subic" in page
    assert "/act/waive-duties" not in page  # not offered twice
    as_json = client.get(f"/api/v1/orders/{number}").json()
    assert as_json["separation_of_duties"]["waivers"][0]["by"] == "phl.approving"
    # The other side has not waived: the Japanese approving official is still offered it.
    jpn, _ = logged_in(pair.jpn, Role.APPROVING_OFFICIAL)
    assert "/act/waive-duties" in jpn.get(f"/orders/{number}").text

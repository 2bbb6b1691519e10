"""Offset statements over the API: preview (nothing signed), propose, list, one by its
number, sign."""

from __future__ import annotations

from datetime import date

import pytest

from acsa.domain.parties import Role
from api.conftest import bearer, client_for, official, problem, token_for
from integration.test_order_services import nodes  # noqa: F401 - the fixture, by name
from integration.twonodes import set_day, sync
from ui.test_offset_pages import invoiced_each_way

pytestmark = pytest.mark.postgres


def test_offsets_previewed_proposed_listed_and_signed(nodes):  # type: ignore[no-untyped-def]  # noqa: F811
    jpn, phl = nodes
    xo, yo = invoiced_each_way(jpn, phl)
    set_day(date(2026, 3, 31), jpn, phl)
    api = client_for(phl)
    headers = bearer(token_for(phl, official(phl, Role.FINANCE_OFFICER)))
    body = {"invoices": [{"order": xo, "invoice": "1"}, {"order": yo, "invoice": "1"}],
            "currency": "PHP"}

    preview = api.post("/api/v1/offsets/preview", json=body, headers=headers)
    assert preview.status_code == 200, preview.text
    assert preview.json()["net"] == "30000.00"
    assert {p["invoice_number"][:8] for p in preview.json()["orders"]} == {"INV/JPN/",
                                                                         "INV/PHL/"}
    assert api.get("/api/v1/offsets", headers=headers).json()["count"] == 0  # nothing signed

    refused = api.post("/api/v1/offsets/preview", headers=headers, json={
        **body, "invoices": [{"order": xo, "invoice": "1"}, {"order": xo, "invoice": "9"}]})
    assert refused.status_code >= 400 and problem(refused)["field"].startswith("invoices")

    made = api.post("/api/v1/offsets", json=body, headers=headers)
    assert made.status_code == 201 and made.json()["subject"] == "OFS/PHL/00001"
    [listed] = api.get("/api/v1/offsets", headers=headers).json()["data"]
    assert (listed["state"], listed["net"], listed["currency"]) == ("proposed", "30000.00", "PHP")
    one = api.get("/api/v1/offsets/OFS/PHL/00001", headers=headers)
    assert one.status_code == 200 and one.json()["hash"] == listed["hash"]
    assert api.get("/api/v1/offsets/OFS/PHL/00002", headers=headers).status_code == 404

    sync(phl, jpn)
    set_day(date(2026, 4, 1), jpn, phl)
    jpn_api = client_for(jpn)
    jpn_headers = bearer(token_for(jpn, official(jpn, Role.FINANCE_OFFICER)))
    signed = jpn_api.post("/api/v1/offsets/OFS/PHL/00001/sign", json={}, headers=jpn_headers)
    assert signed.status_code == 200, signed.text
    shown = jpn_api.get("/api/v1/offsets/OFS/PHL/00001", headers=jpn_headers).json()
    assert (shown["state"], shown["signed_by"], shown["signed_on"]) == ("signed", "JPN",
                                                                         "2026-04-01")

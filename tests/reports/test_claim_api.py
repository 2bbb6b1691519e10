"""The claims API: receivables with their notice state, the exception report, the notice PDF,
recording it sent, and the export for the nation's accounting system (on the module's
world: JPN invoiced INV/JPN/FY2025/00001 for 1,526,500 JPY on 2026-02-16)."""

from __future__ import annotations

import json
from datetime import date

import jsonschema_rs

from api.conftest import bearer, client_for, problem, token_for

from .test_claim_notices import INVOICE, SCHEMA


def test_claims_through_the_api(world):
    jpn = world.pair.jpn
    world.pair.set_day(date(2026, 3, 5))
    client = client_for(jpn)
    finance = bearer(token_for(jpn, "jpn.finance"))
    r = client.get("/api/v1/claims", params={"pending": "true"}, headers=finance)
    assert r.status_code == 200, r.text
    [row] = [c for c in r.json()["data"] if c["invoice"] == INVOICE]
    assert (row["state"], row["days_since_invoice"], row["amount"], row["currency"]) == (
        "not_sent", 17, "1526500", "JPY")
    assert r.json()["as_of"] == "2026-03-05"
    r = client.get("/api/v1/claims", headers=bearer(token_for(jpn, "jpn.ordering")))
    assert r.status_code == 403 and problem(r)["code"] == "not_permitted"

    r = client.get(f"/api/v1/claims/{INVOICE}/notice", headers=finance)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    r = client.get("/api/v1/claims/INV/JPN/FY2025/99999/notice", headers=finance)
    assert r.status_code == 404 and problem(r)["code"] == "unknown_reference"

    sent = {"to": "歳入徴収官 (MSDF Yokosuka)", "on": "2026-03-05", "note": "letter 17"}
    r = client.post(f"/api/v1/claims/{INVOICE}/sent", json={**sent, "to": ""}, headers=finance)
    assert r.status_code == 422
    r = client.post(f"/api/v1/claims/{INVOICE}/sent", json=sent, headers=finance)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "sent" and r.json()["notice"]["sent_to"] == sent["to"]
    r = client.post(f"/api/v1/claims/{INVOICE}/sent", json=sent, headers=finance)
    assert r.status_code == 409 and problem(r)["code"] == "already_recorded"
    r = client.get("/api/v1/claims", params={"pending": "true"}, headers=finance)
    assert INVOICE not in {c["invoice"] for c in r.json()["data"]}

    r = client.get("/api/v1/claims/export", headers=bearer(token_for(jpn, "jpn.auditor")))
    assert r.status_code == 200, r.text
    jsonschema_rs.validator_for(json.loads(SCHEMA.read_text())).validate(r.json())
    [inv] = [i for i in r.json()["invoices"] if i["invoice"] == INVOICE]
    assert inv["claim_notice"]["sent_to"] == sent["to"]


def test_the_api_documents_the_claims_routes(world):
    doc = client_for(world.pair.jpn).get("/api/v1/openapi.json").json()
    assert {"/claims", "/claims/export", "/claims/{invoice}/notice",
            "/claims/{invoice}/sent"} <= set(doc["paths"])
    notice = doc["paths"]["/claims/{invoice}/notice"]["get"]
    assert "application/pdf" in notice["responses"]["200"]["content"]

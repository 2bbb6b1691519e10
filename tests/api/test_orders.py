"""An order's life through the API on two nodes, conflicts, and refusals as problem documents."""

from __future__ import annotations

from datetime import date
from typing import Any

from acsa.devtools.exercise import Exercise
from acsa.devtools.world import in_force_profile
from acsa.domain.parties import Role

from .conftest import bearer, client_for, official, problem, token_for

D = date
R = Role


def order_terms(**changes: Any) -> dict[str, Any]:
    x = Exercise(in_force_profile("JPN-PHL-ACSA"))
    terms = x.terms("PHL", "JPN", [("pol", "Diesel fuel F-76", "10000", "L", "152.5")])
    terms.pop("requester")
    return {**terms, **changes}


class Nation:
    """One node's API as its officials use it, each with a token of their own."""

    def __init__(self, node: Any) -> None:
        self.node = node
        self.client = client_for(node)
        self.tokens: dict[Role, str] = {}

    def as_(self, role: Role) -> dict[str, str]:
        if role not in self.tokens:
            self.tokens[role] = token_for(self.node, official(self.node, role))
        return bearer(self.tokens[role])

    def get(self, role: Role, path: str, headers: dict[str, str] | None = None,
            **kw: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers={**self.as_(role), **(headers or {})},
                               **kw)

    def order(self, role: Role, number: str) -> tuple[dict[str, Any], str]:
        r = self.get(role, f"/orders/{number}")
        assert r.status_code == 200, r.text
        return r.json(), r.headers["etag"]

    def act(self, role: Role, number: str, action: str, body: dict[str, Any] | None = None,
            etag: str | None = None) -> Any:
        if etag is None:
            etag = self.order(role, number)[1]
        return self.client.post(f"/api/v1/orders/{number}/{action}", json=body or {},
                                headers={**self.as_(role), "If-Match": etag})

    def post(self, role: Role, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(f"/api/v1{path}", json=body, headers=self.as_(role))


def upload(nation: Nation, content: bytes, name: str, kind: str = "delivery-ticket",
           role: Role = R.SUPPLY_OFFICER) -> dict[str, Any]:
    """An evidence file uploaded (``POST /evidence``), cited as a document of ``kind``."""
    r = nation.client.post("/api/v1/evidence", files={"file": (name, content, "application/pdf")},
                           headers=nation.as_(role))
    assert r.status_code == 201, r.text
    return {**r.json(), "kind": kind}


def submitted(pair: Any) -> tuple[Nation, Nation, str]:
    pair.set_day(D(2026, 2, 3))
    jpn, phl = Nation(pair.jpn), Nation(pair.phl)
    r = phl.post(R.ORDERING_OFFICIAL, "/orders", order_terms())
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    assert r.headers["location"] == f"/api/v1/orders/{number}"
    pair.carry(pair.phl, pair.jpn)
    return jpn, phl, number


def test_a_cash_order_runs_its_whole_life_through_the_api_on_two_nodes(pair):
    jpn, phl, number = submitted(pair)
    order, _ = phl.order(R.ORDERING_OFFICIAL, number)
    assert (order["status"], order["currency"], order["figures"]["value"]) == (
        "submitted", "JPY", "1525000")
    assert "withdraw" in order["actions"] and "accept" not in order["actions"]
    first = order["timeline"][0]
    assert first["type"] == "order.submitted" and first["verdict"]["effective"] is True
    assert (first["actor"]["user"], first["actor"]["role"], first["actor"]["unit"]) == (
        "phl.ordering", "ordering_official", "AFP-TOG1")
    assert first["key"] == pair.phl.key.fingerprint

    order, etag = jpn.order(R.APPROVING_OFFICIAL, number)
    assert order["actions"] == ["propose", "accept", "reject", "waive-duties"]
    r = jpn.act(R.APPROVING_OFFICIAL, number, "accept", {"supplying_unit": "JMSDF-ESF1"}, etag)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted" and r.headers["etag"] != etag
    pair.set_day(D(2026, 2, 5))
    ticket = upload(jpn, b"%PDF-1.4 delivery ticket, Subic pier 3", "ticket.pdf")
    r = jpn.act(R.SUPPLY_OFFICER, number, "deliver", {"lines": [{"line": 1, "quantity": "10000"}],
                                                      "note": "at Subic, pier 3",
                                                      "evidence": [ticket]})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "delivered"
    pair.carry(pair.jpn, pair.phl)

    r = phl.act(R.RECEIVING_OFFICIAL, number, "receive", {"delivery": "1"})
    assert r.status_code == 200 and r.json()["status"] == "received", r.text
    pair.carry(pair.phl, pair.jpn)

    pair.set_day(D(2026, 2, 6))
    r = jpn.act(R.FINANCE_OFFICER, number, "invoice")
    assert r.status_code == 200, r.text
    invoice = r.json()["invoices"][0]
    assert (invoice["total"], invoice["outstanding"]) == ("1525000", "1525000")
    pair.carry(pair.jpn, pair.phl)

    pair.set_day(D(2026, 2, 20))
    r = phl.post(R.FINANCE_OFFICER, "/payments", {
        "allocations": [{"order": number, "invoice": invoice["number"], "amount": "1525000"}],
        "reference": "LBP-2026-0211"})
    assert r.status_code == 201, r.text
    payment = r.json()
    assert payment["orders"] == [number] and payment["subject"].startswith("PAY/PHL/")
    pair.carry(pair.phl, pair.jpn)

    r = jpn.post(R.FINANCE_OFFICER, f"/payments/{payment['subject']}/confirm", {})
    assert r.status_code == 200, r.text
    pair.carry(pair.jpn, pair.phl)
    for nation in (jpn, phl):
        order, _ = nation.order(R.AUDITOR, number)
        assert order["status"] == "settled"
        assert order["figures"]["outstanding"] == "0"
        assert [e["type"] for e in order["timeline"]] == [
            "order.submitted", "order.accepted", "delivery.recorded", "receipt.recorded",
            "invoice.issued", "payment.recorded", "payment.confirmed"]
        assert all(e["verdict"]["effective"] for e in order["timeline"])
    listed = jpn.get(R.AUDITOR, "/orders", params={"status": "settled"}).json()
    assert [o["number"] for o in listed["data"]] == [number]
    balances = jpn.get(R.FINANCE_OFFICER, "/reports/balances").json()
    assert all(row["outstanding"] == "0" for row in balances["data"])
    verified = jpn.get(R.AUDITOR, "/ledger/verify").json()
    assert verified["ok"], verified["findings"]


def test_a_stale_if_match_is_a_conflict_and_a_missing_one_a_precondition(pair):
    jpn, _, number = submitted(pair)
    _, seen = jpn.order(R.APPROVING_OFFICIAL, number)
    # A second tab proposes a change first …
    r = jpn.act(R.APPROVING_OFFICIAL, number, "propose",
                {"quantities": [{"line": 1, "quantity": "8000"}], "reason": "stock limited"},
                seen)
    assert r.status_code == 200, r.text
    # … so the first tab's acceptance, on what it saw before, is refused.
    r = jpn.act(R.APPROVING_OFFICIAL, number, "accept", {}, seen)
    p = problem(r)
    assert (p["status"], p["code"], p["field"]) == (409, "conflict", "parent")
    r = jpn.client.post(f"/api/v1/orders/{number}/reject", json={"reason": "x"},
                        headers=jpn.as_(R.APPROVING_OFFICIAL))
    p = problem(r)
    assert (p["status"], p["code"], p["field"]) == (428, "precondition_required", "If-Match")
    # Reading again gives the current ETag, which also answers a conditional GET.
    _, current = jpn.order(R.APPROVING_OFFICIAL, number)
    r = jpn.get(R.APPROVING_OFFICIAL, f"/orders/{number}", headers={"If-None-Match": current})
    assert r.status_code == 304


def test_a_forbidden_action_is_a_problem_document(pair):
    jpn, _, number = submitted(pair)
    r = jpn.act(R.SUPPLY_OFFICER, number, "accept", {"supplying_unit": "JMSDF-ESF1"})
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json() == {
        "type": "tag:acsa-ledger,2026:problem:not_appointed",
        "title": "Not appointed",
        "status": 403,
        "detail": "jpn.supply is not appointed as approving_official for unit JMSDF-ESF1 "
                  "on 2026-02-03",
        "code": "not_appointed",
        "field": "user",
        "params": {"user": "jpn.supply", "role": "approving_official", "unit": "JMSDF-ESF1",
                   "date": "2026-02-03"},
        "instance": f"/api/v1/orders/{number}/accept",
    }


def test_an_order_in_the_wrong_status_is_a_conflict_and_an_unknown_one_not_found(pair):
    jpn, phl, number = submitted(pair)
    r = jpn.act(R.APPROVING_OFFICIAL, number, "accept", {"supplying_unit": "JMSDF-ESF1"})
    assert r.status_code == 200, r.text
    r = jpn.act(R.APPROVING_OFFICIAL, number, "reject", {"reason": "changed our mind"})
    p = problem(r)
    assert (p["status"], p["code"], p["field"]) == (409, "transition_not_allowed", "status")
    assert p["detail"] == "cannot reject an order that is accepted"
    p = problem(phl.get(R.AUDITOR, "/orders/JP-PH/PHL/FY2026/99999"))
    assert (p["status"], p["code"], p["field"]) == (404, "unknown_reference", "order")


def test_a_submission_missing_a_required_element_names_it(pair):
    phl = Nation(pair.phl)
    pair.set_day(D(2026, 2, 3))
    terms = order_terms()
    terms.pop("fund_citation")
    p = problem(phl.post(R.ORDERING_OFFICIAL, "/orders", terms))
    assert (p["status"], p["code"], p["field"]) == (422, "missing_field", "fund_citation")


def test_drafts_stay_with_their_author(pair):
    phl = Nation(pair.phl)
    r = phl.client.post("/api/v1/orders?draft=true",
                        json={"agreement": "JPN-PHL-ACSA", "note": "ask J4 first"},
                        headers=phl.as_(R.ORDERING_OFFICIAL))
    assert r.status_code == 201, r.text
    draft = r.json()
    assert (draft["note"], draft["submitted_as"]) == ("ask J4 first", None)
    assert phl.get(R.ORDERING_OFFICIAL, "/drafts").json()["count"] == 1
    assert phl.get(R.FINANCE_OFFICER, "/drafts").json()["count"] == 0
    assert phl.get(R.FINANCE_OFFICER, f"/drafts/{draft['id']}").status_code == 404
    assert phl.get(R.AUDITOR, f"/drafts/{draft['id']}").status_code == 200
    r = phl.client.put(f"/api/v1/drafts/{draft['id']}", json={**order_terms(), "note": "ok"},
                       headers=phl.as_(R.ORDERING_OFFICIAL))
    assert r.status_code == 200, r.text
    pair.set_day(D(2026, 2, 3))
    r = phl.post(R.ORDERING_OFFICIAL, f"/drafts/{draft['id']}/submit", {})
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    assert phl.get(R.ORDERING_OFFICIAL, f"/drafts/{draft['id']}").json()["submitted_as"] == number


def test_evidence_is_uploaded_then_cited_by_its_hash(pair):
    import hashlib

    jpn, _, number = submitted(pair)
    assert jpn.act(R.APPROVING_OFFICIAL, number, "accept",
                   {"supplying_unit": "JMSDF-ESF1"}).status_code == 200
    ticket = b"%PDF-1.4 delivery ticket 0042: 10000 L F-76, Subic pier 3"
    r = jpn.client.post("/api/v1/evidence", files={"file": ("ticket-0042.pdf", ticket,
                                                            "application/pdf")},
                        headers=jpn.as_(R.SUPPLY_OFFICER))
    assert r.status_code == 201, r.text
    cited = r.json()
    assert cited == {"sha256": hashlib.sha256(ticket).hexdigest(), "name": "ticket-0042.pdf",
                     "media_type": "application/pdf", "size": len(ticket)}
    r = jpn.act(R.SUPPLY_OFFICER, number, "deliver",
                {"lines": [{"line": 1, "quantity": "10000"}], "evidence": [cited]})
    assert r.status_code == 200, r.text
    assert r.json()["deliveries"][0]["evidence"] == [{**cited, "kind": None}]

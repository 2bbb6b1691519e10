"""The paper-partner API: a partner's written appointment and its steps recorded from
signed forms uploaded first, with If-Match, problems and nothing kept on a refusal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from integration.paper_world import AGREEMENT, US_UNIT, paper_node

from .conftest import bearer, client_for, problem, token_for

ADMIN = ("read", "act", "admin")


class Api:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.client = client_for(node)
        self.admin = bearer(token_for(node, "phl.administrator", ADMIN))
        self.attester = bearer(token_for(node, "phl.ordering"))

    def upload(self, name: str, content: bytes = b"%PDF-1.4 signed") -> dict[str, Any]:
        r = self.client.post("/api/v1/evidence", files={"file": (name, content,
                                                                 "application/pdf")},
                             headers=self.attester)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def appoint(self, user: str, role: str, **extra: Any) -> Any:
        return self.client.post("/api/v1/paper-appointments", headers=self.admin, json={
            "agreement": AGREEMENT, "user": user, "name": f"Officer {user}", "role": role,
            "units": [US_UNIT], "valid_from": "2026-01-15",
            "letter": self.upload(f"{user}.pdf", user.encode()), **extra})

    def etag(self, number: str) -> str:
        return str(self.client.get(f"/api/v1/orders/{number}", headers=self.attester)
                   .headers["etag"])

    def step(self, number: str, body: dict[str, Any], etag: str | None = None) -> Any:
        return self.client.post(f"/api/v1/orders/{number}/paper-steps", json=body, headers={
            **self.attester, "If-Match": etag if etag is not None else self.etag(number)})

    def counts(self) -> tuple[int, int]:
        with UnitOfWork(self.node, write=False) as uow:
            return (uow.conn.execute(select(func.count()).select_from(T.events)).scalar_one(),
                    uow.conn.execute(select(func.count()).select_from(T.appointments))
                    .scalar_one())


@pytest.fixture
def api(make_node: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Api, str]:
    node, number = paper_node(make_node, tmp_path, monkeypatch)
    return Api(node), number


def test_a_paper_appointment_then_the_partners_steps(api: tuple[Api, str]) -> None:
    a, number = api
    r = a.appoint("usa.hayes", "approving_official", limits={"USD": "250000"})
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["party"], made["user"], made["limits"]) == ("USA", "usa.hayes",
                                                             {"USD": "25000000"})
    listed = a.client.get("/api/v1/paper-appointments", headers=a.attester).json()
    assert listed["partners"] == {AGREEMENT: ["USA"]} and listed["count"] == 1
    steps = a.client.get(f"/api/v1/paper-steps/{number}", headers=a.attester).json()
    assert steps == {"order": number, "partner": "USA", "steps": ["accept", "reject"]}

    form = a.upload("accepted.pdf")
    r = a.step(number, {"step": "accept", "official": "usa.hayes", "evidence": [form],
                        "supplying_unit": US_UNIT})
    assert r.status_code == 200, r.text
    order = r.json()
    assert order["status"] == "accepted" and r.headers["etag"] == f'"{order["head"]}"'
    actor = order["timeline"][-1]["actor"]
    assert (actor["user"], actor["party"], actor["paper"]) == ("usa.hayes", "USA", True)


def test_refusals_are_problems_and_keep_nothing(api: tuple[Api, str]) -> None:
    a, number = api
    assert a.appoint("usa.hayes", "approving_official").status_code == 201
    form = a.upload("form.pdf")
    before = a.counts()
    body = {"step": "accept", "official": "usa.hayes", "evidence": [form],
            "supplying_unit": US_UNIT}
    p = problem(a.step(number, body, etag=""))
    assert (p["status"], p["field"]) == (428, "If-Match")
    p = problem(a.step(number, body, etag='"' + "0" * 64 + '"'))
    assert (p["status"], p["code"]) == (409, "conflict")
    p = problem(a.step(number, {**body, "official": "usa.nobody"}))
    assert (p["status"], p["field"]) == (422, "official")
    p = problem(a.step(number, {**body, "evidence": [{**form, "sha256": "1" * 64}]}))
    assert (p["status"], p["field"]) == (404, "evidence")  # no such file here
    p = problem(a.step(number, {**body, "evidence": []}))
    assert p["status"] == 422
    p = problem(a.step(number, {**body, "step": "deliver", "lines": [
        {"line": 1, "quantity": "5"}]}))
    assert (p["status"], p["field"]) == (403, "official")  # usa.hayes is no supply officer
    p = problem(a.client.post("/api/v1/paper-appointments", headers=a.attester, json={
        "agreement": AGREEMENT, "user": "usa.kim", "name": "Kim", "role": "supply_officer",
        "valid_from": "2026-01-15", "letter": form}))
    assert p["status"] == 403
    p = problem(a.appoint("usa.kim", "captain"))
    assert (p["status"], p["field"]) == (422, "role")
    assert a.counts() == before
    assert a.client.get("/api/v1/paper-steps/US-PH/PHL/FY2026/09999",
                        headers=a.attester).status_code == 404

"""The pages for a partner that signs on paper: an administrator records its written
appointment with the letter; the order page offers its steps, and a local official
records one from the signed form. A refused form keeps the file attached and names the
field as the form labels it, in the page's language; nothing is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from acsa.domain.parties import Role
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from integration.paper_world import AGREEMENT, US_UNIT, paper_node

from .test_order_pages import event_count, head_of, logged_in

PDF = "application/pdf"


@pytest.fixture
def world(make_node: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    node, number = paper_node(make_node, tmp_path, monkeypatch)
    return node, number


def appoint_on_page(node: Any, **fields: str) -> Any:
    client, csrf = logged_in(node, Role.ADMINISTRATOR)
    data = {"csrf_token": csrf, "partner": f"{AGREEMENT}:USA", "user": "usa.hayes",
            "name": "Col. Linda Hayes", "role": "approving_official", "units": US_UNIT,
            "valid_from": "2026-01-15", **fields}
    return client, csrf, data


def test_an_appointment_then_a_step_from_the_signed_form(world: Any) -> None:
    node, number = world
    client, csrf, data = appoint_on_page(node)
    assert "/admin/paper" in client.get("/admin").text  # in the administration's menu
    r = client.post("/admin/paper", data=data, follow_redirects=False,
                    files={"letter_file": ("hayes.pdf", b"%PDF letter", PDF)})
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:600]
    assert "usa.hayes" in client.get("/admin/paper").text

    attester, csrf = logged_in(node, Role.ORDERING_OFFICIAL)
    # The partner's roster is an administration page: officials only, as /admin/appointments.
    assert attester.get("/admin/paper").status_code == 403
    page = attester.get(f"/orders/{number}").text
    assert "Steps USA signs on paper" in page
    assert f'href="/paper-steps/accept/{number}"' in page
    form = attester.get(f"/paper-steps/accept/{number}").text
    assert "Col. Linda Hayes (usa.hayes" in form
    r = attester.post(f"/paper-steps/accept/{number}", follow_redirects=False, data={
        "csrf_token": csrf, "head": head_of(page), "official": "usa.hayes",
        "supplying_unit": US_UNIT}, files={"form_file": ("accepted.pdf", b"%PDF ok", PDF)})
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:600]
    page = attester.get(r.headers["location"]).text
    assert "paper-signed" in page and "Col. Linda Hayes" in page


def test_a_refused_form_keeps_the_file_and_names_the_field(world: Any) -> None:
    node, number = world
    client, csrf, data = appoint_on_page(node)
    before = event_count(node)
    r = client.post("/admin/paper", data={**data, "role": "captain"},
                    files={"letter_file": ("hayes.pdf", b"%PDF letter", PDF)})
    assert r.status_code == 422
    assert "hayes.pdf" in r.text and 'name="held.0"' in r.text  # still attached
    assert "Role" in r.text[r.text.find('class="errors"'):][:600]
    r = client.post("/admin/paper", data=data)
    assert r.status_code == 422 and "Signed letter of appointment" in r.text
    assert event_count(node) == before

    client.post("/admin/paper", data=data, files={"letter_file": ("h.pdf", b"%PDF", PDF)})
    with UnitOfWork(node) as uow:  # the attester reads Japanese
        uow.conn.execute(update(T.users).where(T.users.c.id == "phl.ordering")
                         .values(locale="ja"))
        uow.commit()
    attester, csrf = logged_in(node, Role.ORDERING_OFFICIAL)
    page = attester.get(f"/paper-steps/accept/{number}").text
    before = event_count(node)
    r = attester.post(f"/paper-steps/accept/{number}", data={
        "csrf_token": csrf, "head": head_of(page), "official": "usa.hayes",
        "supplying_unit": US_UNIT})
    assert r.status_code == 422
    errors = r.text[r.text.find('class="errors"'):][:800]
    assert "署名された書式" in errors  # "Signed form (scan)", as the form labels it
    r = attester.post(f"/paper-steps/reject/{number}", data={
        "csrf_token": csrf, "head": head_of(page), "official": "usa.hayes"},
        files={"form_file": ("rejected.pdf", b"%PDF no", PDF)})
    assert r.status_code == 422 and "rejected.pdf" in r.text and 'name="held.0"' in r.text
    assert event_count(node) == before

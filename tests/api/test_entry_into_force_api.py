"""``POST /api/v1/agreements/{id}/entry-into-force``: an administrator records the entry
into force of an agreement that is only signed; refusals name the field, keep nothing and
read in Japanese under ``Accept-Language: ja``; the admin page shows the form and the state.
"""

from __future__ import annotations

from sqlalchemy import func, select

from acsa.devtools.world import staff_node
from acsa.domain.parties import Role
from acsa.services import users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

from .conftest import client_for, enrol, login, problem
from .test_users import headers_of

URL = "/api/v1/agreements/JPN-PHL-ACSA/entry-into-force"
BODY = {"on": "2026-02-01", "reference": "Exchange of notes of 1 February 2026"}


def events(node: Node) -> int:
    with UnitOfWork(node, write=False) as uow:
        return int(uow.conn.execute(select(func.count()).select_from(T.events)).scalar_one())


def test_an_administrator_records_the_entry_into_force(make_node):  # type: ignore[no-untyped-def]
    node = make_node("JPN")
    staff_node(node, ["JPN-PHL-ACSA"], in_force=False)
    admin = headers_of(node, Role.ADMINISTRATOR)
    with client_for(node) as client:
        [before] = client.get("/api/v1/agreements", headers=admin).json()["data"]
        assert (before["status"], before["in_force_on"]) == ("signed", None)

        kept = events(node)
        for body, field in (({**BODY, "on": "2026-01-01"}, "on"),
                            ({**BODY, "reference": " "}, "reference"),
                            ({**BODY, "version": "2026.3"}, "version")):
            r = client.post(URL, headers=admin, json=body)
            assert r.status_code == 422, r.text
            assert problem(r)["field"] == field
        r = client.post(URL, headers={**admin, "Accept-Language": "ja"},
                        json={**BODY, "on": "2026-01-01"})
        assert problem(r)["detail"] == "署名日（2026/01/15）より前にはできません。"
        r = client.post(URL, headers=headers_of(node, Role.ORDERING_OFFICIAL, ("read", "act")),
                        json=BODY)
        assert r.status_code == 403
        assert events(node) == kept

        r = client.post(URL, headers=admin, json=BODY)
        assert r.status_code == 201, r.text
        found = r.json()
        assert (found["version"], found["status"], found["in_force_on"],
                found["in_force_reference"], found["adopted_by"]) == (
            "2026.3+2026-02-01", "in_force", "2026-02-01", BODY["reference"], ["JPN"])
        assert events(node) == kept + 1
        r = client.post(URL, headers=admin, json={**BODY, "on": "2026-03-01"})
        assert r.status_code == 422 and problem(r)["field"] == "agreement"


def test_the_agreement_page_records_the_entry_into_force(make_node):  # type: ignore[no-untyped-def]
    node = make_node("JPN")
    staff_node(node, ["JPN-PHL-ACSA"], in_force=False)
    page_url = "/admin/agreements/JPN-PHL-ACSA"
    with client_for(node) as browser:
        csrf = login(browser, node, enrol(node, "jpn.administrator"))
        page = browser.get(page_url).text
        assert "Record the entry into force" in page and "signed, not yet in force" in page
        kept = events(node)
        r = browser.post(f"{page_url}/entry-into-force",
                         data={"csrf_token": csrf, "on": "2026-01-01", "reference": "Notes"})
        assert r.status_code == 422
        assert ('<a href="#on">Day it enters into force</a>: Cannot be before the signature, '
                'Jan 15, 2026.') in r.text
        assert events(node) == kept
        r = browser.post(f"{page_url}/entry-into-force", follow_redirects=False,
                         data={"csrf_token": csrf, **BODY})
        assert r.status_code == 303, r.text
        with UnitOfWork(node) as uow:  # the administrator reads Japanese from now on
            users.set_preferences(uow, users.get_user(uow, "jpn.administrator"), locale="ja",
                                  time_zone="Asia/Tokyo")
            uow.commit()
        page = browser.get(page_url).text
        assert "要請はPHLがこの版を採択するまで受け付けられません" in page
        assert "発効を記録" not in page and "Exchange of notes of 1 February 2026" in page

"""A loss or compromise report between two live nodes, and the transmission records the
sync writes: JPN's security officer reports (API) a loss of the Philippines' information,
the report reaches PHL over HTTP sync, PHL acknowledges (page), JPN assesses (CLI), PHL
closes (API); both nations' security officers read it and a logistics officer is refused on
the page, through the API and on the command line."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import patch

import pytest
from typer.testing import CliRunner

from acsa.cli import _register, app
from acsa.cli import security as cli_security
from acsa.devtools.world import appoint_security_officer
from acsa.domain.parties import Role
from acsa.services import compromise, orders, transmissions
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import get_user
from api.conftest import bearer, client_for, enrol, official, problem, token_for
from ui.test_order_pages import browser_login

from .test_online_sync import diesel, has_order

pytestmark = [pytest.mark.federation, pytest.mark.xdist_group("federation-net")]
AGREEMENT = "JPN-PHL-ACSA"
SO = Role.SECURITY_OFFICER


def acsa(node: Any, *args: str) -> Any:
    _register()
    with patch.object(cli_security, "node", lambda: node):
        return CliRunner().invoke(app, list(args))


def status_on(node: Any, report_id: str) -> str | None:
    with UnitOfWork(node, write=False) as uow:
        found = compromise.reports(uow).get(report_id)
    return found.status if found else None


def records(node: Any, peer: str) -> list[transmissions.Transmission]:
    with UnitOfWork(node, write=False) as uow:
        return transmissions.list_transmissions(uow, get_user(uow, official(node, SO)),
                                                peer=peer, limit=500)


def covered(found: list[transmissions.Transmission], stream: str, seq: int) -> bool:
    return any(r.channel == "sync" and s.stream == stream and s.first <= seq <= s.last
               for r in found for s in r.streams)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_report_reaches_the_originator_over_sync_and_is_closed_there(world, engine):
    w = world(("JPN", "PHL"), engine=engine)
    jpn, phl = w["JPN"], w["PHL"]
    for n in (jpn, phl):
        appoint_security_officer(n, AGREEMENT)
    number = w.act("PHL", Role.ORDERING_OFFICIAL, orders.submit_order, diesel()).envelope.subject
    w.wait(lambda: has_order(jpn, number), 10, "the order on JPN")

    rid = opened(w, jpn, phl)
    steps_taken(w, jpn, phl, rid)
    read_by_security_officers_only(jpn, phl, rid)
    transmissions_recorded(w, jpn, phl, rid)
    w.check()


def opened(w: Any, jpn: Any, phl: Any) -> str:
    """JPN's security officer reports through the API; the report reaches PHL."""
    number = _first_order(phl)
    jpn_api = client_for(jpn)
    jpn_so = bearer(token_for(jpn, official(jpn, SO)))
    r = jpn_api.post("/api/v1/compromise-reports", headers=jpn_so, json={
        "orders": [number], "what_happened": "A printed copy of the order left on a bus.",
        "discovered_on": "2099-01-01", "highest_marking": "SECRET"})
    assert r.status_code == 422 and problem(r)["field"] == "discovered_on", r.text
    r = jpn_api.post("/api/v1/compromise-reports", headers=jpn_so, json={
        "orders": [number], "what_happened": "A printed copy of the order left on a bus.",
        "discovered_on": "2026-12-01", "highest_marking": "SECRET"})
    assert r.status_code == 201, r.text
    report = r.json()
    rid = report["id"]
    assert (report["status"], report["originator"], report["reporter"]) == (
        "reported", "PHL", "JPN")
    w.wait(lambda: status_on(phl, rid) == "reported", 10, "the report on PHL")
    return str(rid)


def steps_taken(w: Any, jpn: Any, phl: Any, rid: str) -> None:
    """PHL's security officer acknowledges on the page (the reporting side may not), JPN's
    assesses on the command line, PHL's closes through the API."""
    jpn_api, phl_api = client_for(jpn), client_for(phl)
    jpn_so = bearer(token_for(jpn, official(jpn, SO)))
    phl_so = bearer(token_for(phl, official(phl, SO)))
    r = jpn_api.post(f"/api/v1/compromise-reports/{rid}/acknowledge", headers=jpn_so)
    assert r.status_code == 409 and problem(r)["code"] == "step_out_of_order"
    assert problem(r)["field"] == "report"
    browser = client_for(phl)
    csrf = browser_login(browser, phl, enrol(phl, official(phl, SO)))
    page = browser.get(f"/security/compromise-reports/{rid}")
    assert page.status_code == 200 and "A printed copy of the order left on a bus." in page.text
    assert f"/security/compromise-reports/{rid}/acknowledge" in page.text
    r = browser.post(f"/security/compromise-reports/{rid}/acknowledge",
                     data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text
    w.wait(lambda: status_on(jpn, rid) == "acknowledged", 10, "the acknowledgement on JPN")

    # JPN's security officer assesses on the command line; PHL's closes through the API.
    r = acsa(jpn, "security", "compromise", "close", rid, "--as", official(jpn, SO))
    assert r.exit_code != 0 and "only the originator (PHL)" in r.output, r.output
    r = acsa(jpn, "security", "compromise", "assess", rid, "--assessment",
             "Text of one order, no movement dates: low harm.", "--as", official(jpn, SO))
    assert r.exit_code == 0 and "now assessed" in r.output, r.output
    w.wait(lambda: status_on(phl, rid) == "assessed", 10, "the assessment on PHL")
    r = phl_api.post(f"/api/v1/compromise-reports/{rid}/close", headers=phl_so,
                     json={"note": "Accepted; copy recovered."})
    assert r.status_code == 200 and r.json()["status"] == "closed", r.text
    w.wait(lambda: status_on(jpn, rid) == "closed", 10, "the closing on JPN")


def read_by_security_officers_only(jpn: Any, phl: Any, rid: str) -> None:
    """Both nations' security officers read it; a logistics officer is refused on the page,
    through the API and on the command line."""
    phl_api = client_for(phl)
    phl_so = bearer(token_for(phl, official(phl, SO)))
    shown = json.loads(acsa(jpn, "security", "compromise", "show", rid, "--json", "--as",
                            official(jpn, SO)).output)
    assert [s["step"] for s in shown["steps"]] == ["acknowledged", "assessed", "closed"]
    assert [s["party"] for s in shown["steps"]] == ["PHL", "JPN", "PHL"]
    listed = phl_api.get("/api/v1/compromise-reports", headers=phl_so).json()
    assert [d["id"] for d in listed["data"]] == [rid] and listed["data"][0]["status"] == "closed"
    browser = client_for(phl)
    browser_login(browser, phl, enrol(phl, official(phl, SO)))
    assert browser.get("/security/compromise-reports").status_code == 200
    supply = official(phl, Role.SUPPLY_OFFICER)
    r = phl_api.get(f"/api/v1/compromise-reports/{rid}",
                    headers=bearer(token_for(phl, supply)))
    assert r.status_code == 403 and problem(r)["code"] == "not_permitted"
    r = phl_api.get("/api/v1/compromise-reports", headers=bearer(token_for(phl, supply)))
    assert r.status_code == 403
    r = acsa(jpn, "security", "compromise", "list", "--as",
             official(jpn, Role.SUPPLY_OFFICER))
    assert r.exit_code != 0 and "only security officers" in r.output
    logistics = client_for(phl)
    browser_login(logistics, phl, enrol(phl, supply))
    page = logistics.get(f"/security/compromise-reports/{rid}")
    assert page.status_code == 403 and "A printed copy" not in page.text


def transmissions_recorded(w: Any, jpn: Any, phl: Any, rid: str) -> None:
    """The sync served each step to the partner, and the records say which and when."""
    phl_api = client_for(phl)
    phl_so = bearer(token_for(phl, official(phl, SO)))
    supply = official(phl, Role.SUPPLY_OFFICER)
    w.settle()
    with UnitOfWork(jpn, write=False) as uow:
        rows = compromise.reports(uow)[rid]
    to_phl, to_jpn = records(jpn, "PHL"), records(phl, "JPN")
    report_seq = _seq(jpn, rows.event)
    assert covered(to_phl, f"{AGREEMENT}/JPN", report_seq)
    for step in rows.steps:
        holder, sent = (jpn, to_phl) if step.party == "JPN" else (phl, to_jpn)
        assert covered(sent, f"{AGREEMENT}/{step.party}", _seq(holder, step.event)), step
    assert all(r.route.startswith("http://127.0.0.1:") and r.initiated_by.startswith("PHL")
               for r in to_phl)
    assert all(r.highest == "UNCLASSIFIED" for r in to_phl)
    r = phl_api.get("/api/v1/transmissions", headers=phl_so, params={"peer": "JPN"})
    assert r.status_code == 200 and r.json()["count"] == len(to_jpn)
    assert "what_happened" not in r.text and "A printed copy" not in r.text
    r = phl_api.get("/api/v1/transmissions", headers=bearer(token_for(phl, supply)))
    assert r.status_code == 403


def _first_order(node: Any) -> str:
    from sqlalchemy import select

    from acsa.store import tables as T

    with UnitOfWork(node, write=False) as uow:
        return str(uow.conn.execute(select(T.orders.c.number)).scalars().first())


def _seq(node: Any, event: str) -> int:
    from sqlalchemy import select

    from acsa.store import tables as T

    with UnitOfWork(node, write=False) as uow:
        return int(uow.conn.execute(select(T.events.c.seq).where(
            T.events.c.hash == event)).scalar_one())

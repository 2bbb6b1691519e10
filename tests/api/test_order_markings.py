"""Classifying orders through the API: the marking given at creation, refused when it is not
one of the author's levels or one they could not read back, shown in both parties' schemes
on the order, its events and the list."""

from __future__ import annotations

from datetime import date
from typing import Any

from acsa.domain.parties import Role
from clearing import clear

from .conftest import problem
from .test_orders import Nation, order_terms

R = Role
PHL_LEVELS = "TOP SECRET, SECRET, CONFIDENTIAL, RESTRICTED"




def create(phl: Nation, **body: Any) -> Any:
    return phl.post(R.ORDERING_OFFICIAL, "/orders", {**order_terms(), **body})


def test_an_order_is_classified_at_creation_and_shown_in_both_schemes(pair):
    pair.set_day(date(2026, 2, 3))
    clear(pair.phl, R.ORDERING_OFFICIAL, "TOP SECRET")
    phl = Nation(pair.phl)
    r = create(phl, marking={"level": "SECRET", "caveats": ["NOFORN"]})
    assert r.status_code == 201, r.text
    order = r.json()
    marking = order["marking"]
    assert (marking["level"], marking["originator"], marking["rel"], marking["caveats"]) == (
        "SECRET", "PHL", ["JPN", "PHL"], ["NOFORN"])
    assert marking["display"] == "SECRET / 極秘"
    assert [(s["party"], s["level"]) for s in marking["schemes"]] == [
        ("PHL", "SECRET"), ("JPN", "極秘")]
    [submitted] = order["timeline"]
    assert submitted["marking"]["display"] == "SECRET / 極秘"
    listed = phl.get(R.ORDERING_OFFICIAL, "/orders").json()["data"]
    assert [(o["number"], o["marking"]["display"]) for o in listed] == [
        (order["number"], "SECRET / 極秘")]
    # A level with no equivalent in the other scheme says so, and how it is protected.
    r = create(phl, marking={"level": "RESTRICTED"})
    assert r.status_code == 201, r.text
    assert r.json()["marking"]["display"] == "RESTRICTED / (no JPN equivalent: protect as 秘)"
    assert r.json()["marking"]["schemes"][1] == {"party": "JPN", "level": None,
                                                 "protect_as": "秘"}
    # Unclassified by default.
    plain = create(phl).json()["marking"]
    assert (plain["level"], plain["display"]) == ("UNCLASSIFIED", "UNCLASSIFIED")


def test_a_marking_the_author_may_not_give_is_refused_naming_the_field(pair):
    pair.set_day(date(2026, 2, 3))
    phl = Nation(pair.phl)
    before = phl.get(R.ORDERING_OFFICIAL, "/orders").json()["count"]
    p = problem(create(phl, marking={"level": "極秘"}))  # Japan's word, not a PHL level
    assert (p["status"], p["code"], p["field"]) == (422, "invalid_value", "marking.level")
    assert PHL_LEVELS in p["detail"]
    p = problem(create(phl, marking={"level": "SECRET", "colour": "red"}))
    assert p["status"] == 422  # an unknown field of the marking: a typo is not ignored
    p = problem(create(phl, marking={"level": "SECRET", "caveats": ["x" * 41]}))
    assert p["status"] == 422
    # A user who could not read the order back is refused before it is signed.
    p = problem(create(phl, marking={"level": "SECRET"}))
    assert (p["status"], p["field"]) == (422, "marking.level")
    assert "clearance" in p["detail"]
    clear(pair.phl, R.ORDERING_OFFICIAL, "SECRET", activities=())
    p = problem(create(phl, marking={"level": "SECRET"}))
    assert "KAMANDAG-10" in p["detail"]
    clear(pair.phl, R.ORDERING_OFFICIAL, "SECRET")
    p = problem(create(phl, marking={"level": "", "caveats": []}))
    assert p["status"] == 422
    assert phl.get(R.ORDERING_OFFICIAL, "/orders").json()["count"] == before


def test_a_draft_keeps_its_marking_until_it_is_submitted(pair):
    pair.set_day(date(2026, 2, 3))
    clear(pair.phl, R.ORDERING_OFFICIAL, "SECRET")
    phl = Nation(pair.phl)
    r = phl.client.post("/api/v1/orders", params={"draft": "true"},
                        json={**order_terms(), "marking": {"level": "CONFIDENTIAL"}},
                        headers=phl.as_(R.ORDERING_OFFICIAL))
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["terms"]["marking"] == {"level": "CONFIDENTIAL"}
    r = phl.post(R.ORDERING_OFFICIAL, f"/drafts/{draft['id']}/submit", {})
    assert r.status_code == 201, r.text
    assert r.json()["marking"]["display"] == "CONFIDENTIAL / 秘"
    p = problem(phl.client.post(
        "/api/v1/orders", params={"draft": "true"},
        json={**order_terms(), "marking": {"level": "UNKNOWN"}},
        headers=phl.as_(R.ORDERING_OFFICIAL)))
    assert (p["status"], p["field"]) == (422, "marking.level")


def test_a_delivery_classified_above_its_order_raises_the_order_s_marking(pair):
    pair.set_day(date(2026, 2, 3))
    phl, jpn = Nation(pair.phl), Nation(pair.jpn)
    number = create(phl).json()["number"]
    pair.carry(pair.phl, pair.jpn)
    r = jpn.act(R.APPROVING_OFFICIAL, number, "accept", {"supplying_unit": "JMSDF-ESF1"})
    assert r.status_code == 200, r.text
    delivery = {"lines": [{"line": 1, "quantity": "5000"}], "note": "berth 7, night",
                "marking": {"level": "極秘"}}
    p = problem(jpn.act(R.SUPPLY_OFFICER, number, "deliver", delivery))
    assert (p["status"], p["field"]) == (422, "marking.level")  # not cleared for it
    clear(pair.jpn, R.SUPPLY_OFFICER, "極秘")
    r = jpn.act(R.SUPPLY_OFFICER, number, "deliver", delivery)
    assert r.status_code == 200, r.text
    order = r.json()
    assert (order["marking"]["originator"], order["marking"]["display"]) == (
        "JPN", "極秘 / SECRET")
    assert [e["marking"]["level"] for e in order["timeline"]] == [
        "UNCLASSIFIED", "UNCLASSIFIED", "極秘"]

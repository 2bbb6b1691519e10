"""Separation of duties on two real nodes (SQLite, and PostgreSQL when available).

A Philippine officer appointed both ordering and receiving official (a small
detachment) orders diesel from Japan. Under profile 2026.2 their receipt is
refused on their own node, and — sent by a faulty node that did not judge it —
ruled ineffective with the same reason on both nodes. The approving official's
waiver lets it through. An order begun under 2026.1 is not judged by the rule,
before or after both nodes adopt 2026.2, and rebuild and verify agree.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from acsa.devtools.world import adopt_in_force
from acsa.domain.agreement import AgreementProfile, profile_from_document
from acsa.domain.errors import DutiesCombined
from acsa.domain.parties import Role
from acsa.profiles import shipped_profile
from acsa.services import admin, duties, order_view, orders, recording, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import get_user
from acsa.services.verify import rebuild, verify_node
from acsa.store import tables as T
from acsa.store.projections import refresh_orders
from in_force import JPN_PHL_IN_FORCE

from .twonodes import AGREEMENT, UNITS, act, read, set_day, setup_pair, sync, user_id

D = date
ORD, APP, SUPPLY, RCV = (Role.ORDERING_OFFICIAL, Role.APPROVING_OFFICIAL, Role.SUPPLY_OFFICER,
                         Role.RECEIVING_OFFICIAL)
MULTI = "phl.multi"
REASON = ("actor.user: phl.multi already took 'submit' on this order: under JPN-PHL-ACSA "
          "2026.3+2026-02-01 one person may not also take 'receive' (separation of duties)")


def version_2026_1() -> AgreementProfile:
    """The shipped profile as version 2026.1 was: without the separation of duties or the
    evidence policy."""
    text = JPN_PHL_IN_FORCE
    document: dict[str, Any] = tomllib.loads(text)
    del document["separation_of_duties"]
    del document["evidence"]
    document["version"] = "2026.1"
    for key in ("signed_on", "in_force_on"):
        document[key] = document[key].isoformat()
    return profile_from_document(document, "jpn-phl-acsa-2026.1")


@pytest.fixture
def old_profile(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Nodes staffed while 2026.1 was the shipped profile."""
    monkeypatch.setattr(admin, "shipped_profile", lambda _id: version_2026_1())
    yield


def add_multi(phl: Node) -> None:
    """One Philippine officer appointed ordering and receiving official."""
    units = [u for u, _ in UNITS["PHL"]]
    with UnitOfWork(phl) as uow:
        boss = get_user(uow, user_id("PHL", Role.ADMINISTRATOR))
        users.add_user(uow, boss, user_id=MULTI, name="Lt. Dela Cruz",
                       roles=[ORD.value, RCV.value], units=units)
        for role in (ORD, RCV):
            admin.appoint(uow, boss, agreement=AGREEMENT, user_id=MULTI, name="Lt. Dela Cruz",
                          role=role.value, units=units, valid_from=D(2026, 1, 15))
        uow.commit()


def as_multi(phl: Node, use_case: Any, *args: Any, **kw: Any) -> Any:
    with UnitOfWork(phl) as uow:
        result = use_case(uow, get_user(uow, MULTI), *args, **kw)
        uow.commit()
    return result


def delivered_order(jpn: Node, phl: Node) -> str:
    """Diesel ordered by phl.multi, accepted and delivered in full by Japan."""
    set_day(D(2026, 2, 3), jpn, phl)
    terms = {"agreement": AGREEMENT, "activity": "KAMANDAG-10",
             "activity_type": "bilateral_training", "requester": "PHL", "supplier": "JPN",
             "requesting_unit": "AFP-TOG1", "method": "cash", "currency": "JPY",
             "needed_by": "2026-03-01", "deliver_to": "Subic Bay, Pier 3",
             "poc": "Capt. Reyes", "fund_citation": "PHL-FY26-OPS-0042",
             "lines": [{"no": 1, "category": "pol", "description": "Diesel fuel F-76",
                        "quantity": "10000", "unit": "L", "unit_price": "152.5"}]}
    number = str(as_multi(phl, orders.submit_order, terms).envelope.subject)
    sync(phl, jpn)
    act(jpn, APP, orders.accept, number, supplying_unit=UNITS["JPN"][0][0])
    set_day(D(2026, 2, 10), jpn, phl)
    act(jpn, SUPPLY, orders.deliver, number, [(1, "10000")])
    sync(jpn, phl)
    return number


def verdicts(node: Node, number: str) -> list[tuple[str, bool, str, str]]:
    with UnitOfWork(node, write=False) as uow:
        rows = uow.conn.execute(select(T.verdicts).where(T.verdicts.c.order_number == number)
                                .order_by(T.verdicts.c.position)).all()
    return [(r.event_hash, bool(r.effective), r.code or "", r.reason or "") for r in rows]


def status(node: Node, number: str) -> str:
    return read(node, order_view.status_of, number)


def recorded_unjudged(node: Node, monkeypatch: pytest.MonkeyPatch, use_case: Any,
                      *args: Any) -> str:
    """What a faulty node would sign: ``use_case`` by phl.multi recorded without being judged
    first; the node then folds its orders again as it does for any event it holds."""
    with monkeypatch.context() as m:
        m.setattr(recording, "_judge_locally", lambda *a: None)
        m.setattr(recording, "_project", lambda uow, fact, before: refresh_orders(
            uow.conn, list(before), uow.context))
        event = as_multi(node, use_case, *args)
    return str(event.hash)


def verified(*nodes: Node) -> None:
    for n in nodes:
        with UnitOfWork(n) as uow:
            rebuild(uow)
            uow.commit()
        with UnitOfWork(n) as uow:
            report = verify_node(uow)
        assert report.ok, report.findings


@pytest.fixture
def nodes(make_node):  # type: ignore[no-untyped-def]
    jpn, phl = make_node("JPN"), make_node("PHL")
    setup_pair(jpn, phl)
    add_multi(phl)
    sync(phl, jpn)
    return jpn, phl


def test_who_ordered_may_not_receive_on_either_node_until_waived(nodes, monkeypatch):  # type: ignore[no-untyped-def]
    jpn, phl = nodes
    number = delivered_order(jpn, phl)
    # Refused on the officer's own node: nothing is kept.
    with pytest.raises(DutiesCombined) as refused:
        as_multi(phl, orders.receive, number, "1")
    assert (refused.value.code, str(refused.value)) == ("duties_combined", REASON)
    assert status(phl, number) == "delivered"

    # A faulty node signs it anyway: both nodes rule it ineffective, for the same reason.
    bad = recorded_unjudged(phl, monkeypatch, orders.receive, number, "1")
    sync(phl, jpn)
    assert verdicts(jpn, number) == verdicts(phl, number)
    assert (bad, False, "duties_combined", REASON) in verdicts(jpn, number)
    assert status(jpn, number) == status(phl, number) == "delivered"

    # The approving official waives it for the Philippine side on this order.
    set_day(D(2026, 2, 11), jpn, phl)
    act(phl, APP, duties.waive_duties, number,
        reason="detachment of four at Subic: one officer orders and receives")
    as_multi(phl, orders.receive, number, "1")
    sync(phl, jpn)
    assert status(jpn, number) == status(phl, number) == "received"
    shown = read(jpn, order_view.show_order, number)
    [waiver] = shown["separation_of_duties"]["waivers"]
    assert (waiver["side"], waiver["party"], waiver["by"]) == ("requester", "PHL",
                                                               "phl.approving")
    assert verdicts(jpn, number) == verdicts(phl, number)
    verified(jpn, phl)
    assert verdicts(jpn, number) == verdicts(phl, number)  # the same after rebuild


def test_an_order_under_2026_1_keeps_its_verdicts_after_2026_2_is_adopted(
        make_node, old_profile, monkeypatch):  # type: ignore[no-untyped-def]
    jpn, phl = make_node("JPN"), make_node("PHL")
    setup_pair(jpn, phl)
    add_multi(phl)
    sync(phl, jpn)
    old = delivered_order(jpn, phl)
    as_multi(phl, orders.receive, old, "1")  # no rule under 2026.1
    sync(phl, jpn)
    assert status(jpn, old) == status(phl, old) == "received"

    # Both nodes adopt the shipped 2026.2.
    monkeypatch.undo()
    for n in (jpn, phl):
        with UnitOfWork(n) as uow:
            adopt_in_force(uow, get_user(uow, user_id(n.party, Role.ADMINISTRATOR)), AGREEMENT)
            uow.commit()
    sync(jpn, phl)
    newest = read(phl, lambda uow: recording.adopted_profile(uow, AGREEMENT))
    assert newest.version == "2026.3+2026-02-01"
    new = delivered_order(jpn, phl)
    with pytest.raises(DutiesCombined):
        as_multi(phl, orders.receive, new, "1")
    before = verdicts(jpn, old)
    verified(jpn, phl)
    assert verdicts(jpn, old) == verdicts(phl, old) == before
    assert all(effective for _, effective, _, _ in before)
    assert status(jpn, old) == "received"
    assert shipped_profile(AGREEMENT).version == "2026.3"

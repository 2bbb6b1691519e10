"""Classifying orders from the command line: ``--marking`` and ``--caveat`` on ``order create``,
``submit``, ``emergency`` and ``deliver`` (and ``marking`` in an order file), refusals that
name the field and the levels allowed, both schemes in ``order show`` and ``order list``, and
the marking kept by ``acsa rebuild``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, update

from acsa.devtools.world import as_official
from acsa.domain import facts as F
from acsa.domain.errors import InvalidValue
from acsa.domain.parties import Role
from acsa.services.need_to_know import marking_of
from acsa.services.node import Node
from acsa.services.recording import Act, record
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from clearing import clear

from . import test_cli_orders as cli_orders
from .test_cli_orders import OPTIONS, X, copy, day, events

D = date
# The command line's fixtures: two staffed nodes, each command opening the test's own.
own_nodes = cli_orders.own_nodes
pair = cli_orders.pair




def projected(node: Node, number: str) -> tuple[str, str, list[str], list[str]]:
    """The marking columns of an order's projection."""
    with UnitOfWork(node, write=False) as uow:
        row = uow.conn.execute(select(T.orders).where(T.orders.c.number == number)).one()
        m = marking_of(row)
        return m.level, m.originator, list(m.rel), list(m.caveats)


def test_an_order_classified_from_its_draft_shows_both_schemes(pair):  # type: ignore[no-untyped-def]
    jpn, phl = pair
    day(D(2026, 2, 3), jpn, phl)
    clear(phl.node, "phl.ordering", "SECRET")
    create = ["order", "create", *OPTIONS, "--supplier", "JPN", "--unit", "AFP-TOG1",
              "--line", "pol|Diesel fuel F-76|10000|L|152.5", "--as", "phl.ordering"]
    refused = phl.fails(*create, "--marking", "極秘")
    assert "invalid_value: marking.level:" in refused
    assert "TOP SECRET, SECRET, CONFIDENTIAL, RESTRICTED" in refused
    assert "marking.caveats" in phl.fails(*create, "--caveat", "NOFORN")  # no level
    saved = phl.json(*create, "--marking", "SECRET", "--caveat", "NOFORN")
    assert saved["terms"]["marking"] == {"level": "SECRET", "caveats": ["NOFORN"]}
    done = phl.json("order", "submit", str(saved["draft"]), "--as", "phl.ordering")
    number = done["order"]
    shown = phl.json("order", "show", number)
    assert (shown["marking"]["display"], shown["marking"]["caveats"]) == (
        "SECRET / 極秘", ["NOFORN"])
    assert "marking SECRET / 極秘 // NOFORN (originated by PHL; releasable to JPN, PHL)" in phl(
        "order", "show", number)
    assert "SECRET / 極秘 // NOFORN" in phl("order", "list", "--as", "phl.ordering")
    # A download of it is logged with the marking the file carries.
    phl("report", "export", "open-orders", "--format", "csv", "--out",
        str(phl.node.data_dir / "open.csv"), "--as", "phl.ordering")
    phl("user", "add", "phl.aud", "--name", "A. Cruz", "--role", "auditor",
        "--as", "phl.administrator")
    logged = phl.json("access-log", "--as", "phl.aud")
    assert any(e["target"] == "open-orders.csv open.csv [SECRET / 極秘 // NOFORN]"
               for e in logged), logged
    # The partner's node protects it as its equivalent, from the same signed marking.
    copy(phl, jpn)
    assert projected(jpn.node, number) == ("SECRET", "PHL", ["JPN", "PHL"], ["NOFORN"])


def test_a_user_who_could_not_read_it_back_may_not_classify_it(pair, tmp_path: Path):  # type: ignore[no-untyped-def]
    jpn, phl = pair
    day(D(2026, 2, 3), jpn, phl)
    path = tmp_path / "terms.json"
    path.write_text(json.dumps({**X.terms("PHL", "JPN", [("pol", "Diesel", "100", "L", "152")]),
                                "marking": {"level": "CONFIDENTIAL"}}))
    before = events(phl.node)
    assert "clearance" in phl.fails("order", "submit", "--file", str(path), "--as",
                                    "phl.ordering")
    clear(phl.node, "phl.ordering", "CONFIDENTIAL", activities=())
    assert "KAMANDAG-10" in phl.fails("order", "submit", "--file", str(path), "--as",
                                      "phl.ordering")
    assert events(phl.node) == before
    clear(phl.node, "phl.ordering", "CONFIDENTIAL")
    number = phl.json("order", "submit", "--file", str(path), "--as", "phl.ordering")["order"]
    assert projected(phl.node, number)[0] == "CONFIDENTIAL"
    # --marking on submit overrides the file's (and "" leaves it unclassified).
    plain = phl.json("order", "submit", "--file", str(path), "--marking", "", "--as",
                     "phl.ordering")["order"]
    assert projected(phl.node, plain)[0] == "UNCLASSIFIED"


def test_emergency_and_delivery_markings_survive_a_rebuild(pair, tmp_path: Path):  # type: ignore[no-untyped-def]
    jpn, phl = pair
    day(D(2026, 2, 3), jpn, phl)
    clear(jpn.node, "jpn.approving", "極秘")
    number = jpn.json(
        "order", "emergency", *OPTIONS, "--requester", "PHL", "--unit", "AFP-TOG1",
        "--supplying-unit", "JMSDF-ESF1", "--line", "water|Drinking water|8000|L|30",
        "--requested-by", "Maj. Santos, radio 14:20", "--marking", "秘", "--as",
        "jpn.approving")["order"]
    assert projected(jpn.node, number) == ("秘", "JPN", ["JPN", "PHL"], [])
    # A delivery classified above its order: the order is protected by the stronger.
    assert "clearance" in jpn.fails("order", "deliver", number, "--line", "1=8000",
                                    "--marking", "極秘", "--as", "jpn.supply")
    clear(jpn.node, "jpn.supply", "極秘")
    jpn("order", "deliver", number, "--line", "1=8000", "--note", "berth 7",
        "--marking", "極秘", "--caveat", "ORCON", "--as", "jpn.supply")
    assert projected(jpn.node, number) == ("極秘", "JPN", ["JPN", "PHL"], ["ORCON"])
    listed = {o["number"]: o["marking"] for o in jpn.json("order", "list", "--as",
                                                            "jpn.supply")}
    assert listed[number]["display"] == "極秘 / SECRET"
    with UnitOfWork(jpn.node) as uow:  # the projection, as if damaged
        uow.conn.execute(update(T.orders).values(marking="UNCLASSIFIED",
                                                 marking_originator=None))
        uow.commit()
    assert "rebuilt projections of 1 orders" in jpn("rebuild")
    assert projected(jpn.node, number) == ("極秘", "JPN", ["JPN", "PHL"], ["ORCON"])


def test_an_event_not_released_to_every_party_is_refused_when_recorded(pair):  # type: ignore[no-untyped-def]
    jpn, phl = pair
    day(D(2026, 2, 3), jpn, phl)
    clear(phl.node, "phl.ordering", "SECRET")
    before = events(phl.node)
    with pytest.raises(InvalidValue) as refused:
        as_official(phl.node, Role.ORDERING_OFFICIAL, lambda uow, user: record(uow, user, Act(
            agreement="JPN-PHL-ACSA", type=F.ORDER_SUBMITTED, subject="JP-PH/PHL/FY2026/00001",
            data={"terms": X.terms("PHL", "JPN", [("pol", "Diesel", "100", "L", "152")])},
            role=Role.ORDERING_OFFICIAL, on=D(2026, 2, 3), unit="AFP-TOG1",
            marking={"level": "SECRET", "originator": "PHL", "rel": ["PHL"]})))
    assert refused.value.field == "marking.rel" and "JPN" in refused.value.message
    assert events(phl.node) == before

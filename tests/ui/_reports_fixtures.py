"""A seeded demo node for the report, document, scan and evidence pages.

``demo`` is the ``make demo`` data set (JPN and PHL nodes, two dozen orders in
every status; SQLite), seeded once per module, with a fixed clock. On the JPN
node it adds two deliveries carrying evidence files: one on an order every
JPN officer may read, one classified 極秘 (SECRET) by JPN, which only the
auditor — cleared 特定秘密 and, by role, with a need to know across every
activity — may read. Two officers are logged in: the finance officer (no
clearance) and the auditor.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import update

from acsa.devtools.demo import seed
from acsa.devtools.world import as_official
from acsa.domain.parties import Role
from acsa.services import evidence, orders, report_tables, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.store import tables as T
from api.conftest import client_for, enrol, login, official

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 3, tzinfo=UTC)  # noon in Tokyo, 11:00 in Manila
PNG = bytes.fromhex(  # a 1×1 transparent PNG
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082")
HTML = b"<html><script>alert(1)</script></html>"
SECRET = b"classified delivery ticket\n"




@dataclass
class Demo:
    jpn: Node
    phl: Node
    visible: str  # an order JPN supplies, with a delivery citing PNG and HTML
    hidden: str  # a classified order, with a delivery citing SECRET
    files: dict[str, str]  # file name -> sha256
    finance: TestClient  # jpn.finance: no clearance, so not the hidden order
    auditor: TestClient  # jpn.auditor: reads everything of JPN
    csrf: str  # the finance officer's session token


def _deliver_with(number: str, files: list[tuple[str, bytes, str]],
                  marking: dict[str, Any] | None = None) -> Any:
    def act(uow: UnitOfWork, user: LocalUser) -> Any:
        cited = [evidence.store_evidence(uow, name, content, media)
                 for name, content, media in files]
        return orders.deliver(uow, user, number, [(1, "1")], evidence=cited,
                              note="partial delivery with a ticket", on=TODAY,
                              marking=marking)
    return act


@pytest.fixture(scope="module", name="demo")
def demo_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    base = tmp_path_factory.mktemp("demo")
    jpn, phl = seed(base, out=lambda *a: None)
    for node in (jpn, phl):
        node.clock = lambda: NOW
    with UnitOfWork(jpn, write=False) as uow:
        reader = users.get_user(uow, official(jpn, Role.FINANCE_OFFICER))
        open_ = [r.order for r in report_tables.open_orders(uow, reader)
                 if r.supplier == "JPN" and r.status in ("accepted", "in_delivery")]
    assert len(open_) >= 2, open_
    visible, hidden = open_[0], open_[1]
    shas: dict[str, str] = {}
    for number, files, marking in (
        (visible, [("ticket.png", PNG, "image/png"), ("note.html", HTML, "text/html")], None),
        # The delivery names where the ship berths: JPN classifies it 極秘 (SECRET).
        (hidden, [("secret.txt", SECRET, "text/plain")], {"level": "極秘"}),
    ):
        event = as_official(jpn, Role.SUPPLY_OFFICER, _deliver_with(number, files, marking))
        for cited in event.envelope.data["evidence"]:
            shas[cited["name"]] = cited["sha256"]
    with UnitOfWork(jpn) as uow:  # the auditor's clearance, as a security officer sets it
        uow.conn.execute(update(T.users).where(T.users.c.id == official(jpn, Role.AUDITOR))
                         .values(clearance="特定秘密"))
        uow.commit()
    finance = client_for(jpn).__enter__()
    auditor = client_for(jpn).__enter__()
    csrf = login(finance, jpn, enrol(jpn, official(jpn, Role.FINANCE_OFFICER)))
    login(auditor, jpn, enrol(jpn, official(jpn, Role.AUDITOR)))
    yield Demo(jpn, phl, visible, hidden, shas, finance, auditor, csrf)
    for client in (finance, auditor):
        client.__exit__(None, None, None)
    for node in (jpn, phl):
        node.engine.dispose()


def report_path(kind: str) -> str:
    """The page of ``kind`` with the parameters it needs to show rows of the demo."""
    return {"statement": "/reports/statement?partner=PHL",
            "year-end": "/reports/year-end?year=2026",
            "annual": "/reports/annual?year=2025"}.get(kind, f"/reports/{kind}")

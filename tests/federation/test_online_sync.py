"""Two and three live nodes: online sync, push latency, isolation, idempotence."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from acsa.devtools.exercise import Exercise
from acsa.domain.parties import Role
from acsa.profiles import shipped_profile
from acsa.services import orders
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

pytestmark = pytest.mark.federation


def diesel(requester: str = "PHL", supplier: str = "JPN", agreement: str = "JPN-PHL-ACSA"
           ) -> dict:
    x = Exercise(shipped_profile(agreement))
    return x.terms(requester, supplier, [("pol", "Diesel fuel F-76", "10000", "L", "152.5")],
                   needed_by="2026-12-20")


def has_order(node, number: str) -> bool:  # type: ignore[no-untyped-def]
    with UnitOfWork(node, write=False) as uow:
        return uow.conn.execute(select(T.orders.c.number)
                                .where(T.orders.c.number == number)).first() is not None


def status(node, number: str) -> str | None:  # type: ignore[no-untyped-def]
    with UnitOfWork(node, write=False) as uow:
        return uow.conn.execute(select(T.orders.c.status)
                                .where(T.orders.c.number == number)).scalar_one_or_none()


def test_an_order_reaches_the_peer_within_a_second_of_the_push(world):
    w = world(("JPN", "PHL"))
    w.settle()
    event = w.act("PHL", Role.ORDERING_OFFICIAL, orders.submit_order, diesel())
    number = event.envelope.subject
    took = w.wait(lambda: has_order(w["JPN"], number), 5, "the order on JPN")
    assert took < 1.5
    w.act("JPN", Role.APPROVING_OFFICIAL, orders.accept, number, supplying_unit="JMSDF-ESF1")
    w.wait(lambda: status(w["PHL"], number) == "accepted", 5, "acceptance on PHL")
    w.settle()
    w.check()

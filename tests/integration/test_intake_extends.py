"""A partner's events extend the folds a node kept, instead of folding the orders again:
the projections and digests written equal a fresh fold (``verify``), on both engines.

The orders a node submitted are kept folded; the partner's acceptance and delivery of
them arrive in one bundle and extend those folds. An order the node acted on meanwhile
(its own event the partner's did not follow) is folded again from all its events.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from acsa.devtools.exercise import Exercise
from acsa.devtools.world import as_official
from acsa.domain.parties import Role
from acsa.profiles import shipped_profile
from acsa.services import intake, orders
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import verify_node
from acsa.store import tables as T

from .test_order_digests import fresh, stored


def test_a_page_extends_the_kept_folds(pair: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    jpn, phl = pair.jpn, pair.phl
    x = Exercise(shipped_profile("JPN-PHL-ACSA"))
    terms = x.terms("PHL", "JPN", [("pol", "Diesel fuel F-76", "10000", "L", "152.5")])
    numbers = [as_official(phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms)
               .envelope.subject for _ in range(3)]
    pair.carry(phl, jpn)
    for number in numbers:
        as_official(jpn, Role.APPROVING_OFFICIAL, orders.accept, number,
                    supplying_unit="JMSDF-ESF1")
        as_official(jpn, Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "10000")])
    # PHL forgets one order's fold: it is folded again from its events.
    phl.fold_cache.pop(numbers[2])
    extended: list[str] = []
    real = intake._extend_kept

    def spy(uow: Any, touched: set[str], facts: list[Any]) -> Any:
        found = real(uow, touched, facts)
        extended.extend(found)
        return found

    monkeypatch.setattr(intake, "_extend_kept", spy)
    pair.carry(jpn, phl)
    assert sorted(extended) == sorted(numbers[:2])
    # The act on an order extended that way uses the digest its fold kept.
    as_official(phl, Role.RECEIVING_OFFICIAL, orders.receive, numbers[0], "1")
    pair.carry(phl, jpn)
    for node in (jpn, phl):
        with UnitOfWork(node, write=False) as uow:
            statuses = {r.number: r.status for r in uow.conn.execute(
                select(T.orders.c.number, T.orders.c.status))}
            report = verify_node(uow)
        assert report.ok, report
        assert [statuses[n] for n in numbers] == ["received", "delivered", "delivered"]
        assert stored(node) == fresh(node)

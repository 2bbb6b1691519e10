"""How many SQL statements one signed act sends to the database: an upper bound.

An act (submit, accept, deliver, receive) reads what it acts on once, appends
its event and writes only the projection rows that change, each table's
change as one batched statement. The bounds below are what it takes today
plus a little room; a change that sends more (a projection rewritten whole,
a read repeated, rows inserted one by one) fails here rather than only
slowing the benchmarks down (docs/benchmarks.md, section 1). A count, not a
time: it does not depend on the machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select

from acsa.devtools.exercise import Exercise
from acsa.devtools.world import as_official
from acsa.domain.parties import Role
from acsa.profiles import shipped_profile
from acsa.services import orders
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import verify_node
from acsa.store import tables as T

# Statements per act, BEGIN included. SQLite; PostgreSQL may add the row locks of the
# order (SELECT … FOR UPDATE). Two of each are the order's reconciliation digest
# (acsa.store.digests: the digest and its bucket written; what it held before is kept
# with the order's fold). An act that posts or changes due items also moves the totals
# per reader class (acsa.store.reader_totals: up to two upserts and their zero-deletes).
BOUNDS = {"submit": 19, "accept": 21, "deliver": 21, "receive": 26}
POSTGRES_EXTRA = 2


@contextmanager
def counting(node: Node) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(node.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(node.engine, "before_cursor_execute", count)


def test_each_act_sends_at_most_its_bound_of_statements(pair: Any) -> None:
    jpn, phl = pair.jpn, pair.phl
    x = Exercise(shipped_profile("JPN-PHL-ACSA"))
    terms = x.terms("PHL", "JPN", [("pol", "Diesel fuel F-76", "10000", "L", "152.5")])
    counts: dict[str, int] = {}

    def measured(name: str, node: Node, act: Callable[[], Any]) -> Any:
        with counting(node) as seen:
            result = act()
        counts[name] = len(seen)
        return result

    # A first order warms the caches a node keeps between transactions (the context).
    first = as_official(phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms)
    number = measured("submit", phl, lambda: as_official(
        phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms)).envelope.subject
    pair.carry(phl, jpn)
    as_official(jpn, Role.APPROVING_OFFICIAL, orders.accept, first.envelope.subject,
                supplying_unit="JMSDF-ESF1")
    measured("accept", jpn, lambda: as_official(
        jpn, Role.APPROVING_OFFICIAL, orders.accept, number, supplying_unit="JMSDF-ESF1"))
    measured("deliver", jpn, lambda: as_official(
        jpn, Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "10000")]))
    pair.carry(jpn, phl)
    measured("receive", phl, lambda: as_official(
        phl, Role.RECEIVING_OFFICIAL, orders.receive, number, "1"))

    extra = POSTGRES_EXTRA if jpn.engine.dialect.name == "postgresql" else 0
    over = {name: (n, BOUNDS[name] + extra) for name, n in counts.items()
            if n > BOUNDS[name] + extra}
    assert not over, f"statements per act over their bound (sent, bound): {over}"
    # Writing only what changed leaves the projections equal to a fresh fold.
    pair.carry(phl, jpn)
    for node in (jpn, phl):
        with UnitOfWork(node, write=False) as uow:
            status = uow.conn.execute(select(T.orders.c.status)
                                      .where(T.orders.c.number == number)).scalar_one()
            report = verify_node(uow)
        assert status == "received"
        assert report.ok, report

"""Order digests kept in the projections: equal to a fresh computation after every act and
after a rebuild, compared by verify, and what a reconciliation between two nodes reads
(SQLite, and PostgreSQL when available)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from acsa.domain.parties import Role
from acsa.federation.http import Server
from acsa.services import orders, settlement
from acsa.services.outgoing import NotAParty
from acsa.services.reconcile import answer, digest, order_summaries, reconcile_agreement
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import rebuild_projections, verify_node
from acsa.store import tables as T
from acsa.store.digests import LANE_COLUMNS, LANE_MODULUS, Sums, order_key, tally

from .test_order_services import terms
from .twonodes import AGREEMENT, UNITS, act, set_day, setup_pair, sync

D = date
ORD, APP = Role.ORDERING_OFFICIAL, Role.APPROVING_OFFICIAL
SUPPLY, RCV, FIN = Role.SUPPLY_OFFICER, Role.RECEIVING_OFFICIAL, Role.FINANCE_OFFICER


@pytest.fixture
def nodes(make_node):  # type: ignore[no-untyped-def]
    jpn, phl = make_node("JPN"), make_node("PHL")
    setup_pair(jpn, phl)
    return jpn, phl


def stored(node: Any) -> tuple[dict[str, tuple[str, str, str]], dict[tuple[str, str], tuple]]:
    with UnitOfWork(node, write=False) as uow:
        leaves = {r.number: (r.agreement, r.key, r.digest)
                  for r in uow.conn.execute(select(T.order_digests))}
        buckets = {(r.agreement, r.prefix): (*[r._mapping[c] for c in LANE_COLUMNS], r.count)
                   for r in uow.conn.execute(select(T.order_digest_buckets))}
    return leaves, buckets


def fresh(node: Any) -> tuple[dict[str, tuple[str, str, str]], dict[tuple[str, str], tuple]]:
    """The digests computed afresh from the order projections, as reconciliation did before
    they were kept, and the bucket sums from them."""
    with UnitOfWork(node, write=False) as uow:
        agreements = set(uow.conn.scalars(select(T.orders.c.agreement)))
        leaves = {n: (a, order_key(n), digest(s)) for a in agreements
                  for n, s in order_summaries(uow, a).items()}
    sums: Sums = {}
    for a, key, d in leaves.values():
        tally(sums, a, key, d)
    return leaves, {k: (*[x % LANE_MODULUS for x in v[:-1]], v[-1]) for k, v in sums.items()}


def check(*nodes: Any) -> None:
    for node in nodes:
        assert stored(node) == fresh(node), node.party


def test_the_digests_follow_every_act_and_a_rebuild(nodes):
    jpn, phl = nodes

    def step(node: Any, role: Role, use_case: Any, *args: Any, **kw: Any) -> Any:
        result = act(node, role, use_case, *args, **kw)
        check(node)
        sync(jpn, phl)
        check(jpn, phl)
        return result

    set_day(D(2026, 2, 3), jpn, phl)
    first = step(phl, ORD, orders.submit_order, terms()).envelope.subject
    second = step(phl, ORD, orders.submit_order, terms(
        lines=[("water", "Potable water", "2000", "L", "30")])).envelope.subject
    third = step(phl, ORD, orders.submit_order, terms()).envelope.subject
    for number in (first, second):
        step(jpn, APP, orders.accept, number, supplying_unit=UNITS["JPN"][0][0])
    step(phl, ORD, orders.withdraw, third, reason="not needed")
    set_day(D(2026, 2, 10), jpn, phl)
    step(jpn, SUPPLY, orders.deliver, first, [(1, "9800")])
    step(jpn, SUPPLY, orders.deliver, second, [(1, "2000")])
    step(phl, RCV, orders.receive, first, "1", lines=[(1, "9700", "100")])
    step(phl, RCV, orders.receive, second, "1")
    set_day(D(2026, 2, 12), jpn, phl)
    step(jpn, FIN, settlement.issue_invoice, first)
    step(jpn, FIN, settlement.void_invoice, first, "1", reason="wrong delivery note")
    step(jpn, FIN, settlement.issue_invoice, first, replaces="INV/JPN/FY2025/00001")
    step(jpn, FIN, settlement.issue_credit_note, first, "INV/JPN/FY2025/00002", "1000",
         reason="price corrected")
    step(jpn, FIN, settlement.issue_invoice, second)
    set_day(D(2026, 3, 1), jpn, phl)
    step(phl, FIN, settlement.record_payment,
         [(first, "2", "1478250"), (second, "1", "60000")], reference="SWIFT-1")
    step(jpn, FIN, settlement.confirm_payment, "PAY/PHL/00001",
         [(first, "2", "1477250"), (second, "1", "60000")])
    step(jpn, FIN, settlement.write_off, first, "2", "1000", reason="bank charges")

    before = stored(jpn)
    assert len(before[0]) == 3
    for node in (jpn, phl):
        with UnitOfWork(node) as uow:
            rebuild_projections(uow)
            uow.commit()
    assert stored(jpn) == before
    check(jpn, phl)
    assert stored(jpn)[0] == stored(phl)[0]  # both nodes hold the same states


def test_verify_finds_a_digest_the_log_does_not_give_and_rebuild_repairs_it(nodes):
    jpn, phl = nodes
    set_day(D(2026, 2, 3), jpn, phl)
    number = act(phl, ORD, orders.submit_order, terms()).envelope.subject
    with phl.engine.begin() as conn:
        conn.execute(update(T.order_digests).where(T.order_digests.c.number == number)
                     .values(digest="0" * 64))
    with UnitOfWork(phl) as uow:
        found = [str(f) for f in verify_node(uow).findings]
    assert any("order_digests" in f for f in found), found
    with UnitOfWork(phl) as uow:
        rebuild_projections(uow)
        uow.commit()
    with UnitOfWork(phl) as uow:
        assert verify_node(uow).ok
    check(phl)


def through_json(node: Any, peer: str) -> Any:
    """The peer's side of a reconciliation, each request and answer through JSON."""
    def remote(body: dict[str, Any]) -> dict[str, Any]:
        with UnitOfWork(node, write=False) as uow:
            return json.loads(json.dumps(answer(uow, AGREEMENT, peer, json.loads(
                json.dumps(body)))))
    return remote


def reconciled(jpn: Any, phl: Any) -> Any:
    with UnitOfWork(jpn, write=False) as uow:
        return reconcile_agreement(uow, AGREEMENT, "PHL", through_json(phl, "JPN"))


def test_reconcile_finds_the_differences_injected_between_two_nodes(nodes):
    jpn, phl = nodes
    set_day(D(2026, 2, 3), jpn, phl)
    numbers = [act(phl, ORD, orders.submit_order, terms()).envelope.subject
               for _ in range(20)]
    sync(jpn, phl)
    clean = reconciled(jpn, phl)
    assert clean.differences == [] and clean.messages == 1 and clean.orders_here == 20
    act(jpn, APP, orders.accept, numbers[7], supplying_unit=UNITS["JPN"][0][0])  # not carried
    only_phl = act(phl, ORD, orders.submit_order, terms()).envelope.subject
    found = reconciled(jpn, phl)
    assert [d.order for d in found.differences] == sorted([numbers[7], only_phl])
    why = {d.order: " ".join(d.reasons) for d in found.differences}
    assert "status: JPN has accepted, PHL has submitted" in why[numbers[7]]
    assert why[only_phl] == "PHL holds this order, JPN does not"
    sync(jpn, phl)
    assert reconciled(jpn, phl).differences == []


def test_a_reconcile_answers_only_a_party_and_only_for_its_agreement(nodes):
    jpn, phl = nodes
    set_day(D(2026, 2, 3), jpn, phl)
    act(phl, ORD, orders.submit_order, terms())
    sync(jpn, phl)
    # An order of another agreement JPN holds: never in the JPN-PHL tree.
    with jpn.engine.begin() as conn:
        conn.execute(insert(T.order_digests).values(
            number="JP-US/USA/FY2026/00001", agreement="JPN-USA-ACSA",
            key=order_key("JP-US/USA/FY2026/00001"), digest="1" * 64))
    with UnitOfWork(jpn, write=False) as uow:
        root = answer(uow, AGREEMENT, "PHL", {"nodes": [""]})["nodes"][""]
        bucket = answer(uow, AGREEMENT, "PHL", {"buckets": [""]})["buckets"][""]
    assert root["count"] == 1 and len(bucket) == 1
    assert not any(n.startswith("JP-US") for n in bucket)
    with pytest.raises(NotAParty):
        Server(jpn).post_reconcile("USA", AGREEMENT, {"nodes": [""]})

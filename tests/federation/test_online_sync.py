"""Two and three live nodes: online sync, push latency, isolation, idempotence."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from acsa.devtools.exercise import Exercise
from acsa.devtools.world import in_force_profile
from acsa.domain.parties import Role
from acsa.services import orders
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

pytestmark = pytest.mark.federation


def diesel(requester: str = "PHL", supplier: str = "JPN", agreement: str = "JPN-PHL-ACSA"
           ) -> dict:
    x = Exercise(in_force_profile(agreement))
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


def countersigned_sizes(node, stream: str) -> list[int]:  # type: ignore[no-untyped-def]
    """Sizes of our own heads for which we keep the partner's countersignature (a receipt)."""
    with UnitOfWork(node, write=False) as uow:
        return list(uow.conn.execute(
            select(T.tree_heads.c.size).where(T.tree_heads.c.stream == stream,
                                              T.tree_heads.c.countersignature.is_not(None))
        ).scalars())


def test_the_partner_countersigns_our_head_and_we_keep_its_receipt(world):
    w = world(("JPN", "PHL"))
    event = w.act("PHL", Role.ORDERING_OFFICIAL, orders.submit_order, diesel())
    stream = event.envelope.stream
    w.wait(lambda: has_order(w["JPN"], event.envelope.subject), 5, "the order on JPN")
    # JPN verified PHL's head and sent its countersignature back with the round.
    w.wait(lambda: event.envelope.seq in countersigned_sizes(w["PHL"], stream), 10,
           "PHL to keep JPN's receipt for its head")
    assert not any("receipt" in r for q in w.quarantine("PHL") for r in q.reasons)


def test_three_nations_share_each_agreement_only_with_its_parties(world):
    from acsa.federation.client import PeerClient, PeerRefused
    from acsa.federation.protocol import stream_path
    from acsa.services.peers import party_keys

    w = world(("JPN", "PHL", "USA"))
    w.settle()
    jp_ph = w.act("PHL", Role.ORDERING_OFFICIAL, orders.submit_order, diesel())
    us_jp = w.act("JPN", Role.ORDERING_OFFICIAL, orders.submit_order,
                  diesel("JPN", "USA", "JPN-USA-ACSA"))
    ph_us = w.act("PHL", Role.ORDERING_OFFICIAL, orders.submit_order,
                  diesel("PHL", "USA", "USA-PHL-MLSA"))
    w.wait(lambda: has_order(w["JPN"], jp_ph.envelope.subject)
           and has_order(w["USA"], us_jp.envelope.subject)
           and has_order(w["USA"], ph_us.envelope.subject), 10, "every order at its supplier")
    w.settle()
    w.check()
    with UnitOfWork(w["USA"], write=False) as uow:
        leaked = uow.conn.execute(select(func.count()).select_from(T.events).where(
            T.events.c.stream.like("JPN-PHL-ACSA/%"))).scalar_one()
        orders_seen = set(uow.conn.execute(select(T.orders.c.agreement)).scalars())
        profiles = set(uow.conn.execute(select(T.agreements.c.id)).scalars())
    assert leaked == 0
    assert orders_seen == {"JPN-USA-ACSA", "USA-PHL-MLSA"}
    assert "JPN-PHL-ACSA" not in profiles
    # A valid signature from the wrong party: USA asks JPN for the JPN–PHL stream.
    with UnitOfWork(w["USA"], write=False) as uow:
        keys = party_keys(uow, "JPN")
    assert keys is not None
    with PeerClient(w["USA"], "JPN", w.proxy("USA", "JPN").url, trusted=keys.usable,
                    registered=keys.registered) as client, \
            pytest.raises(PeerRefused) as refused:
        client.get(stream_path("JPN-PHL-ACSA", "JPN"), {"after": 0})
    assert refused.value.code == "not_a_party"
    assert any("USA is not a party to JPN-PHL-ACSA" in q.reasons for q in w.quarantine("JPN"))


def test_reconcile_finds_nothing_then_exactly_the_order_that_differs(world):
    from acsa.federation.sync import reconcile_peer

    w = world(("JPN", "PHL"))
    w.settle()
    numbers = [w.act("PHL", Role.ORDERING_OFFICIAL, orders.submit_order, diesel()
                     ).envelope.subject for _ in range(12)]
    w.settle()
    [clean] = reconcile_peer(w["JPN"], "PHL")
    assert clean.differences == [] and clean.messages == 1 and clean.orders_here == 12
    w.proxy("PHL", "JPN").mode = "partition"  # JPN's news cannot reach PHL
    w.act("JPN", Role.APPROVING_OFFICIAL, orders.accept, numbers[3],
          supplying_unit="JMSDF-ESF1")
    [diff] = reconcile_peer(w["JPN"], "PHL")
    assert [d.order for d in diff.differences] == [numbers[3]]
    why = " ".join(diff.differences[0].reasons)
    assert "held only by JPN" in why and "status: JPN has accepted, PHL has submitted" in why
    w.proxy("PHL", "JPN").mode = "pass"
    w.settle()
    assert reconcile_peer(w["JPN"], "PHL")[0].differences == []
    w.check()


@pytest.mark.postgres
def test_quick_pass_on_postgresql(world):
    w = world(("JPN", "PHL"), engine="postgresql")
    w.settle()
    number = w.act("PHL", Role.ORDERING_OFFICIAL, orders.submit_order, diesel()
                   ).envelope.subject
    w.wait(lambda: has_order(w["JPN"], number), 10, "the order on JPN")
    w.proxy("JPN", "PHL").mode = "duplicate"
    w.act("JPN", Role.APPROVING_OFFICIAL, orders.accept, number, supplying_unit="JMSDF-ESF1")
    w.act("JPN", Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "10000")])
    w.wait(lambda: status(w["PHL"], number) == "delivered", 10, "delivery on PHL")
    w.proxy("JPN", "PHL").mode = "pass"
    w.settle()
    w.check()

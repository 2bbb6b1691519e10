"""A peer's head checked against the size its proof was asked for.

Two syncs of the same stream can run at once on a node: its own loop and an operator's
``acsa sync now``. One asks the peer for a proof from the 1 event it holds; before it
checks the answer, the other admits a second event. The proof runs from 1, not 2, and
must be checked from there, not taken for a rewritten history (a false alarm stops sync
with that peer until an administrator clears it).
"""

from __future__ import annotations

from sqlalchemy import select

from acsa.devtools.world import as_official
from acsa.domain.parties import Role
from acsa.events import SignedTreeHead, TreeHead, consistency_proof, leaf_hash
from acsa.events.merkle import root as merkle_root
from acsa.services import orders, witness
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

from .test_bundles import terms

STREAM = "JPN-PHL-ACSA/PHL"


def leaves(node) -> list[bytes]:  # type: ignore[no-untyped-def]
    with UnitOfWork(node, write=False) as uow:
        hashes = uow.conn.execute(select(T.events.c.hash).where(T.events.c.stream == STREAM)
                                  .order_by(T.events.c.seq)).scalars()
        return [leaf_hash(bytes.fromhex(h)) for h in hashes]


def peer_status(node) -> str:  # type: ignore[no-untyped-def]
    with UnitOfWork(node, write=False) as uow:
        return str(uow.conn.execute(select(T.peers.c.status)
                                    .where(T.peers.c.party == "PHL")).scalar_one())


def test_a_proof_from_what_we_held_when_asking_passes_after_a_concurrent_sync(pair):  # type: ignore[no-untyped-def]
    as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms())
    pair.carry(pair.phl, pair.jpn)
    asked = len(leaves(pair.jpn))  # what JPN held when it asked PHL for its head
    as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms())
    pair.carry(pair.phl, pair.jpn)  # meanwhile, another sync admitted the next event
    assert len(leaves(pair.jpn)) == asked + 1
    as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms())
    phl_leaves = leaves(pair.phl)
    assert len(phl_leaves) == asked + 2
    sth = SignedTreeHead.sign(TreeHead(STREAM, len(phl_leaves), merkle_root(phl_leaves).hex(),
                                       "2026-02-03T03:00:00.000Z"), pair.phl.key)
    proof = consistency_proof(phl_leaves, asked)

    with UnitOfWork(pair.jpn) as uow:
        check = witness.check_head(uow, "PHL", sth, proof, proof_from=asked)
        uow.commit()
    assert check.ok, check.message
    assert peer_status(pair.jpn) != witness.ALARM

    # The same proof read as running from what JPN holds now does not verify: that is
    # what raised the false alarm.
    with UnitOfWork(pair.jpn) as uow:
        assert not witness.check_head(uow, "PHL", sth, proof).ok

    # A proof that does not lead from JPN's events to the head is still a rewrite.
    with UnitOfWork(pair.jpn) as uow:
        wrong = consistency_proof(phl_leaves, asked + 1)
        check = witness.check_head(uow, "PHL", sth, wrong, proof_from=asked)
    assert not check.ok
    assert "no valid consistency proof from the" in check.message

"""Two real nodes in one test: staff both, then copy each one's new events to the other.

Copying reads the new rows of the source's own streams (``read_stream``)
and appends them to the target as a peer's events, then updates the
context tables and re-folds the orders they touch, in one transaction —
the same sequence :mod:`acsa.services.recording` and bundle import follow.
It checks no signature: the events come straight from the other node's
database, and the federation tests cover admission.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import insert, select, update

from acsa.devtools.world import adopt_in_force, scripted
from acsa.domain.parties import Role
from acsa.services import admin, users
from acsa.services.node import Node
from acsa.services.peers import add_peer
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import get_user
from acsa.store import tables as T
from acsa.store.log import StoredEvent, append, fact_of, read_stream
from acsa.store.projections import apply_context, refresh_orders

AGREEMENT = "JPN-PHL-ACSA"
_T = TypeVar("_T")

# Each force's units; every official is appointed for all of them.
UNITS = {
    "JPN": [("JGSDF-1HB", "1st Helicopter Brigade, JGSDF"),
            ("JMSDF-ESF1", "Escort Flotilla 1, JMSDF")],
    "PHL": [("AFP-TOG1", "Tactical Operations Group 1, PAF"),
            ("AFP-NFL", "Naval Forces Luzon, PN")],
}
SIGNING_ROLES = (Role.ORDERING_OFFICIAL, Role.APPROVING_OFFICIAL, Role.SUPPLY_OFFICER,
                 Role.RECEIVING_OFFICIAL, Role.FINANCE_OFFICER)


def user_id(party: str, role: Role) -> str:
    """``phl.ordering`` for the Philippine ordering official, and so on."""
    return f"{party.lower()}.{role.value.split('_')[0]}"


def staff(node: Node, *, valid_from: date = date(2026, 1, 15)) -> None:
    """Adopt the agreement, register units and appoint one official per signing role."""
    party = node.party
    unit_ids = [u for u, _ in UNITS[party]]
    with UnitOfWork(node) as uow:
        boss = users.add_user(uow, None, user_id=user_id(party, Role.ADMINISTRATOR),
                              name=f"{party} administrator", roles=[Role.ADMINISTRATOR.value])
        adopt_in_force(uow, boss, AGREEMENT)
        for unit, name in UNITS[party]:
            admin.register_unit(uow, boss, agreement=AGREEMENT, unit_id=unit, name=name)
        for role in SIGNING_ROLES:
            name = f"{party} {role.value.replace('_', ' ')}"
            users.add_user(uow, boss, user_id=user_id(party, role), name=name,
                           roles=[role.value], units=unit_ids)
            admin.appoint(uow, boss, agreement=AGREEMENT, user_id=user_id(party, role),
                          name=name, role=role.value, units=unit_ids, valid_from=valid_from)
        uow.commit()


def introduce(a: Node, b: Node) -> None:
    """Register each node as the other's peer, its key already known (as a bundle teaches it),
    so that ``verify`` can check the peer's signatures."""
    for me, other in ((a, b), (b, a)):
        with UnitOfWork(me) as uow:
            boss = get_user(uow, user_id(me.party, Role.ADMINISTRATOR))
            add_peer(uow, boss, party=other.party, key_fingerprint=other.key.fingerprint)
            uow.conn.execute(update(T.peers).where(T.peers.c.party == other.party)
                             .values(public_key=other.key.public_key.hex()))
            uow.commit()


def copy_events(source: Node, target: Node) -> int:
    """Append to ``target`` every event of ``source``'s own streams it does not hold yet."""
    with UnitOfWork(target, write=False) as uow:
        held = {r.stream: r.head_seq for r in uow.conn.execute(select(T.streams))}
    new: list[StoredEvent] = []
    evidence: list[Any] = []
    with UnitOfWork(source, write=False) as uow:
        mine = uow.conn.execute(
            select(T.streams.c.stream).where(T.streams.c.party == source.party)
            .order_by(T.streams.c.stream)
        ).scalars().all()
        for stream in mine:
            new += read_stream(uow.conn, stream, after=held.get(stream, 0))
        cited = {str(x["sha256"]) for e in new for x in e.envelope.data.get("evidence", ())}
        if cited:
            evidence = uow.conn.execute(
                select(T.evidence_files).where(T.evidence_files.c.sha256.in_(sorted(cited)))
            ).all()
    if not new:
        return 0
    with UnitOfWork(target) as uow:
        touched: set[str] = set()
        for e in new:
            append(uow.conn, e.signed, origin="peer", received_at=uow.node.now_at())
            fact = fact_of(e.signed)
            if fact.orders():
                touched |= set(fact.orders())
            else:
                apply_context(uow.conn, fact)
                uow.context_changed()
        for f in evidence:
            exists = uow.conn.execute(select(T.evidence_files.c.sha256)
                                      .where(T.evidence_files.c.sha256 == f.sha256)).first()
            if exists is None:
                uow.conn.execute(insert(T.evidence_files).values(**f._asdict()))
        if touched:
            refresh_orders(uow.conn, touched, uow.context)
        uow.commit()
    return len(new)


def sync(a: Node, b: Node) -> None:
    """Copy both ways."""
    copy_events(a, b)
    copy_events(b, a)


def setup_pair(jpn: Node, phl: Node) -> None:
    """Staff both nodes for the Japan–Philippines agreement, introduce them, share rosters."""
    for n in (jpn, phl):
        staff(n)
    introduce(jpn, phl)
    sync(jpn, phl)


def act(node: Node, role: Role, use_case: Callable[..., _T], *args: Any, **kw: Any) -> _T:
    """Run ``use_case`` as ``node``'s official in ``role``, committed."""
    with UnitOfWork(node) as uow:
        result = scripted(use_case, kw)(uow, get_user(uow, user_id(node.party, role)), *args,
                                       **kw)
        uow.commit()
    return result


def read(node: Node, use_case: Callable[..., _T], *args: Any, **kw: Any) -> _T:
    """Run a read-only use case on ``node``."""
    with UnitOfWork(node, write=False) as uow:
        return use_case(uow, *args, **kw)


def set_day(day: date, *nodes: Node) -> None:
    for n in nodes:
        n.clock.set_day(day)  # type: ignore[attr-defined]

"""Recording a local act as a signed event: the one path every local change takes.

1. Take the stream's lock (and the order rows' locks) for this transaction.
2. Check the expected parent the user saw (a stale screen gets a conflict).
3. Find the appointment that authorises the user for this role and unit.
4. Build the envelope, seal it with the node key.
5. Judge it exactly as the peer will — against the order as it stands —
   and refuse it, naming the field, if it would be ineffective.
6. Append it and rewrite the projections it touches, in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from acsa.domain import facts as F
from acsa.domain.agreement import AgreementProfile, profile_from_document
from acsa.domain.errors import (
    Conflict,
    DomainError,
    InvariantBroken,
    NotAppointed,
    UnknownReference,
)
from acsa.domain.interpret import interpret_orders, judge
from acsa.domain.parties import Role
from acsa.domain.state import OrderState
from acsa.events import Envelope, seal
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.store import tables as T
from acsa.store.log import StoredEvent, append, fact_of, lock_stream, read_order_facts
from acsa.store.log import stream_name as _stream_name
from acsa.store.projections import apply_context, parse_profile, refresh_orders

CONTEXT_TYPES = frozenset({
    F.AGREEMENT_ADOPTED, F.APPOINTMENT_GRANTED, F.APPOINTMENT_REVOKED, F.UNIT_REGISTERED,
    F.ACTIVITY_REGISTERED, F.RATE_RECORDED, F.CATALOGUE_PRICE_SET,
})

# "Any parent is fine": the caller did not say what it saw.
ANY_PARENT = object()


def adopted_profile(uow: UnitOfWork, agreement: str) -> AgreementProfile:
    """The profile this node adopted for ``agreement`` most recently."""
    rows = uow.conn.execute(
        select(T.agreements).where(T.agreements.c.id == agreement)
    ).all()
    mine = [r for r in rows if uow.node.party in json.loads(r.adopted_by)]
    if not mine:
        raise UnknownReference(
            f"this node has not adopted {agreement}: run `acsa agreement adopt {agreement}`",
            field="agreement",
        )
    newest = max(mine, key=lambda r: r.version)
    return parse_profile(newest.document, newest.id)


def stream_of(uow: UnitOfWork, agreement: str) -> str:
    return _stream_name(agreement, uow.node.party)


def order_state(uow: UnitOfWork, number: str) -> OrderState:
    """An order as the log's fold has it now (``UnknownReference`` if never seen)."""
    states = interpret_orders(read_order_facts(uow.conn, [number]), uow.context, [number])
    state = states.get(number)
    if state is None or state.terms is None:
        raise UnknownReference(f"no order {number} on this node", field="order")
    return state


def order_head(uow: UnitOfWork, number: str, *, lock: bool) -> str | None:
    query = select(T.orders.c.head).where(T.orders.c.number == number)
    if lock and uow.conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return uow.conn.execute(query).scalar_one_or_none()


@dataclass(frozen=True)
class Act:
    """What a user asks to record."""

    agreement: str
    type: str
    subject: str
    data: Mapping[str, Any]
    role: Role
    on: date
    unit: str | None = None  # the unit the appointment must cover
    expected_parent: object = ANY_PARENT  # str | None, or ANY_PARENT
    needs_appointment: bool = True
    marking: Mapping[str, Any] | None = None


def record(uow: UnitOfWork, user: LocalUser, act: Act) -> StoredEvent:
    """Record ``act`` by ``user`` as the next event of this node's stream."""
    if act.type == F.AGREEMENT_ADOPTED:
        profile = profile_from_document(act.data["profile"], act.agreement)
    else:
        profile = adopted_profile(uow, act.agreement)
    stream = stream_of(uow, act.agreement)
    head = lock_stream(uow.conn, stream)
    data = dict(act.data)
    data["on"] = act.on.isoformat()
    multi = act.type in F.MULTI_ORDER_TYPES
    parent: str | None = None
    if act.type in F.ORDER_EVENT_TYPES:
        if multi:
            parts = []
            for part in data.get("orders", []):
                p = dict(part)
                p["parent"] = order_head(uow, str(p["order"]), lock=True)
                parts.append(p)
            data["orders"] = parts
            if act.expected_parent is not ANY_PARENT:
                raise DomainError("a multi-order act takes no expected parent", field="parent")
        else:
            parent = order_head(uow, act.subject, lock=True)
            if act.expected_parent is not ANY_PARENT and act.expected_parent != parent:
                raise Conflict(
                    f"{act.subject} changed since you saw it: reload and try again",
                    field="parent",
                )
    appointment = None
    if act.needs_appointment:
        roster = uow.context.roster(stream)
        found = roster.find(party=user.party, user=user.id, role=act.role, unit=act.unit,
                            on=act.on)
        if found is None:
            where = f" for unit {act.unit}" if act.unit else ""
            raise NotAppointed(
                f"{user.id} holds no appointment as {act.role.value}{where} on {act.on}",
                field="user",
            )
        appointment = found.id
    envelope = Envelope(
        v=1,
        stream=stream,
        seq=head["head_seq"] + 1,
        prev=head["head_hash"],
        at=uow.node.now_at(),
        profile=profile.digest,
        type=act.type,
        subject=act.subject,
        parent=parent,
        actor={
            "user": user.id, "name": user.name, "role": act.role.value, "party": user.party,
            "unit": act.unit, "appointment": appointment,
        },
        marking=dict(act.marking or {
            "level": "UNCLASSIFIED", "originator": uow.node.party,
            "rel": sorted(profile.party_codes),
        }),
        data=data,
    )
    signed = seal(envelope, uow.node.key)
    fact = fact_of(signed)
    named = fact.orders()
    if named:
        _judge_locally(uow, fact, named)
    event_id = append(uow.conn, signed, origin="local", received_at=envelope.at)
    if act.type in CONTEXT_TYPES:
        apply_context(uow.conn, fact)
        uow.context_changed()
    if named:
        states = refresh_orders(uow.conn, named, uow.context)
        for number in named:
            verdict = next(v for v in states[number].verdicts if v.event == signed.hash)
            if not verdict.effective:
                raise InvariantBroken(f"{signed.hash[:12]} judged valid, then ineffective on "
                                      f"{number}: {verdict.reason}")
    return StoredEvent(event_id, signed, "local", envelope.at)


def _judge_locally(uow: UnitOfWork, fact: F.Fact, orders: Sequence[str]) -> None:
    """Refuse, with the rule's own error, an act the peer would rule ineffective."""
    facts = read_order_facts(uow.conn, orders)
    states = interpret_orders(facts, uow.context, orders)
    for number in orders:
        state = states.get(number, OrderState(number=number))
        if state.terms is None and fact.type not in F.ORDER_ROOT_TYPES:
            raise UnknownReference(f"no order {number} on this node", field="order")
        try:
            judge(fact, state, uow.context)
        except DomainError as exc:
            if len(orders) > 1 and exc.field and not exc.field.startswith("orders"):
                exc.field = f"orders[{number}].{exc.field}"
            raise

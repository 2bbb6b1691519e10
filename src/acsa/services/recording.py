"""Recording a local act as a signed event: the one path every local change takes.

1. Lock the rows of the orders the act names and fold them — once per
   transaction: the use case that prepared the act has usually folded them
   already (:func:`fold_orders`) — then take the stream's lock. A stream
   behind its high-water mark (a restored backup) signs nothing until the
   events that left the node are fetched back (:mod:`acsa.services.high_water`).
2. Check the expected parent the user saw (a stale screen gets a conflict).
3. Find the appointment that authorises the user for this role and unit.
4. Build the envelope, seal it with the node key.
5. Judge it exactly as the peer will — against the order as it stands —
   and refuse it, naming the field, if it would be ineffective.
6. Append it, and extend each order's state by the event: the state it was
   judged on is the state its projection is rewritten from and the state
   the caller shows (:class:`Recorded`). All in the same transaction.

The twin path, for a partner's events, is :mod:`acsa.services.intake`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from acsa.domain import facts as F
from acsa.domain.agreement import AgreementProfile, profile_from_document
from acsa.domain.errors import (
    N_,
    Conflict,
    DomainError,
    InvalidValue,
    InvariantBroken,
    NotAppointed,
    UnknownReference,
)
from acsa.domain.event_schema import check_data, check_event_data
from acsa.domain.interpret import Context, extend, follows_all, interpret_orders, judge
from acsa.domain.marking import (
    UNCLASSIFIED,
    Marking,
    is_unclassified,
    protection_level,
    strongest,
)
from acsa.domain.parties import Role
from acsa.domain.state import OrderState
from acsa.domain.streams import stream_id
from acsa.events import Envelope, seal
from acsa.events.envelope import ENVELOPE_VERSION
from acsa.services.high_water import check_may_sign
from acsa.services.unit_of_work import Folded, UnitOfWork
from acsa.services.users import LocalUser
from acsa.store import tables as T
from acsa.store.log import StoredEvent as StoredEvent  # what entry points are handed
from acsa.store.log import append, fact_of, lock_stream, read_order_facts
from acsa.store.projections import (
    apply_context,
    lock_orders,
    parse_profile,
    refresh_orders,
    write_order_after,
)

CONTEXT_TYPES = frozenset({
    F.AGREEMENT_ADOPTED, F.APPOINTMENT_GRANTED, F.APPOINTMENT_REVOKED, F.UNIT_REGISTERED,
    F.ACTIVITY_REGISTERED, F.RATE_RECORDED, F.CATALOGUE_PRICE_SET,
})

# "Any parent is fine": the caller did not say what it saw.
ANY_PARENT = object()


def adopted_profile(uow: UnitOfWork, agreement: str) -> AgreementProfile:
    """The profile this node adopted for ``agreement`` most recently."""
    rows = [r for r in uow.agreements if r.id == agreement]
    mine = [r for r in rows if uow.node.party in json.loads(r.adopted_by)]
    if not mine:
        raise UnknownReference(
            N_("this node has not adopted %(agreement)s: run `acsa agreement adopt "
               "%(agreement)s`"),
            field="agreement", agreement=agreement,
        )
    newest = max(mine, key=lambda r: r.version)
    return parse_profile(newest.document, newest.id)


def require_partner_adoption(uow: UnitOfWork, profile: AgreementProfile) -> None:
    """A profile version governs new orders once each party that runs a node adopted it.

    A partner that has adopted an earlier version of the agreement, but not this one,
    has not signed the update yet (an entry into force, new rules): orders wait for it.
    A partner whose adoptions this node has not yet received at all is not judged.
    """
    rows = [r for r in uow.agreements if r.id == profile.id]
    here = next((r for r in rows if r.version == profile.version), None)
    signed = set(json.loads(here.adopted_by)) if here is not None else set()
    for party in profile.parties:
        if party.code == uow.node.party or party.signs != "node" or party.code in signed:
            continue
        if any(party.code in json.loads(r.adopted_by) for r in rows):
            raise InvalidValue(
                N_("%(party)s has not yet adopted %(agreement)s %(version)s: orders under it "
                   "wait until both parties have signed it"),
                field="agreement", party=party.code, agreement=profile.id,
                version=profile.version,
            )


def stream_of(uow: UnitOfWork, agreement: str) -> str:
    return stream_id(agreement, uow.node.party)


def fold_orders(uow: UnitOfWork, numbers: Sequence[str]) -> dict[str, Folded]:
    """The orders as the log's fold has them now: read and folded once per transaction.

    In a writing transaction their rows are locked first (in one order), so
    that the state an act is judged on is the state it is recorded on. An
    order the node folded in an earlier transaction is reused when its head
    (its newest event) and the context are unchanged: its fold is then the
    same (:meth:`UnitOfWork.commit` keeps only orders whose events name no
    other order).
    """
    missing = sorted({n for n in numbers if n not in uow.folds})
    if missing:
        if uow.write:
            lock_orders(uow.conn, missing)
        uow.folds.update(_reused(uow, missing))
        missing = [n for n in missing if n not in uow.folds]
    if missing:
        facts = tuple(read_order_facts(uow.conn, missing))
        states = interpret_orders(facts, uow.context, missing)
        for n in missing:
            uow.folds[n] = Folded(facts, states.get(n, OrderState(number=n)))
    return {n: uow.folds[n] for n in numbers}


def _reused(uow: UnitOfWork, numbers: Sequence[str]) -> dict[str, Folded]:
    """The folds kept by the node for ``numbers`` whose head the database still shows."""
    kept = {n: uow.node.fold_cache[n] for n in numbers if n in uow.node.fold_cache}
    if not kept:
        return {}
    heads = {r.number: r.head for r in uow.conn.execute(
        select(T.orders.c.number, T.orders.c.head).where(T.orders.c.number.in_(sorted(kept))))}
    ctx = uow.context
    return {n: folded for n, (context, folded) in kept.items()
            if context is ctx and heads.get(n) is not None and heads[n] == folded.head(n)}


def order_state(uow: UnitOfWork, number: str) -> OrderState:
    """An order as the log's fold has it now (``UnknownReference`` if never seen)."""
    state = fold_orders(uow, [number])[number].state
    if state.terms is None:
        raise UnknownReference(N_("no order %(number)s on this node"), field="order", number=number)
    return state


def order_head(uow: UnitOfWork, number: str) -> str | None:
    return uow.conn.execute(
        select(T.orders.c.head).where(T.orders.c.number == number)
    ).scalar_one_or_none()


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
    # A paper partner's official, whose step this node records from a signed form:
    # the actor as the event names it (``paper`` true), instead of the acting user.
    paper_actor: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Recorded(StoredEvent):
    """A local act as recorded, with each order it acts on as it now stands."""

    states: Mapping[str, OrderState] = field(default_factory=dict)


def record(uow: UnitOfWork, user: LocalUser, act: Act) -> Recorded:
    """Record ``act`` by ``user`` as the next event of this node's stream (steps above)."""
    profile = (profile_from_document(act.data["profile"], act.agreement)
               if act.type == F.AGREEMENT_ADOPTED else adopted_profile(uow, act.agreement))
    named = _orders_named(act)
    before = fold_orders(uow, named)
    stream = stream_of(uow, act.agreement)
    head = lock_stream(uow.conn, stream)
    check_may_sign(uow, stream, head["head_seq"])
    actor = dict(act.paper_actor) if act.paper_actor else _actor(uow, user, act, stream)
    marking = dict(act.marking or _inherited(uow, profile, before))
    # The envelope's own texts obey the event schema too (no U+0000), named by field.
    check_data({"subject": act.subject, "actor": actor, "marking": marking})
    envelope = Envelope(
        v=ENVELOPE_VERSION, stream=stream, seq=head["head_seq"] + 1, prev=head["head_hash"],
        at=uow.node.now_at(), profile=profile.digest, type=act.type, subject=act.subject,
        parent=_parent(uow, act), actor=actor, marking=marking, data=_data(uow, act),
    )
    signed = seal(envelope, uow.node.key)
    fact = fact_of(signed)
    _judge_locally(fact, before, uow.context)
    event_id = append(uow.conn, signed, origin="local", received_at=envelope.at, head=head)
    if act.type in CONTEXT_TYPES:
        apply_context(uow.conn, fact)
        uow.context_changed()
    states = _project(uow, fact, before) if named else {}
    return Recorded(event_id, signed, "local", envelope.at, states=states)


def _inherited(uow: UnitOfWork, profile: AgreementProfile,
               before: Mapping[str, Folded]) -> dict[str, Any]:
    """The marking of an act on existing orders: the strongest of theirs, as this node's
    party protects it (an event's originator is the party that signs it); unclassified,
    released to every party, for anything else."""
    me = uow.node.party
    everyone = sorted(profile.party_codes)
    markings = [f.state.marking for f in before.values() if f.state.marking is not None]
    held = strongest(markings, profile, me)
    if held is None or is_unclassified(held):
        return {"level": UNCLASSIFIED, "originator": me, "rel": everyone}
    level = held.level if held.originator == me else protection_level(held, profile, me)
    return Marking(level, me, tuple(everyone), held.caveats).as_data()


def _orders_named(act: Act) -> list[str]:
    """The orders ``act`` acts on, each once, in the order it names them."""
    if act.type in F.MULTI_ORDER_TYPES:
        return list(dict.fromkeys(str(p["order"]) for p in act.data.get("orders", ())
                                  if isinstance(p, Mapping) and "order" in p))
    return [act.subject] if act.type in F.ORDER_EVENT_TYPES else []


def _parent(uow: UnitOfWork, act: Act) -> str | None:
    """The order's newest event, which the act follows; a stale screen is a conflict."""
    if act.type not in F.ORDER_EVENT_TYPES or act.type in F.MULTI_ORDER_TYPES:
        if act.expected_parent is not ANY_PARENT and act.type in F.MULTI_ORDER_TYPES:
            raise InvalidValue(N_("a multi-order act takes no expected parent"), field="parent")
        return None
    parent = fold_orders(uow, [act.subject])[act.subject].head(act.subject)
    if act.expected_parent is not ANY_PARENT and act.expected_parent != parent:
        raise Conflict(
            N_("%(subject)s changed since you saw it: reload and try again"),
            field="parent", subject=act.subject,
        )
    return parent


def _data(uow: UnitOfWork, act: Act) -> dict[str, Any]:
    """The act's data with its business date, and each part's parent on a multi-order act."""
    data = dict(act.data)
    data["on"] = act.on.isoformat()
    if act.type in F.MULTI_ORDER_TYPES:
        folds = fold_orders(uow, [str(part["order"]) for part in data.get("orders", [])])
        data["orders"] = [{**part, "parent": folds[str(part["order"])].head(str(part["order"]))}
                          for part in data.get("orders", [])]
    return data


def _actor(uow: UnitOfWork, user: LocalUser, act: Act, stream: str) -> dict[str, Any]:
    """Who acts, in which role and unit, under which appointment."""
    appointment = None
    if act.needs_appointment:
        found = uow.context.roster(stream).find(party=user.party, user=user.id, role=act.role,
                                                unit=act.unit, on=act.on)
        if found is None:
            raise NotAppointed(
                N_("%(user)s holds no appointment as %(role)s for unit %(unit)s on %(date)s")
                if act.unit else N_("%(user)s holds no appointment as %(role)s on %(date)s"),
                field="user", user=user.id, role=act.role.value, unit=act.unit, date=act.on,
            )
        appointment = found.id
    return {"user": user.id, "name": user.name, "role": act.role.value, "party": user.party,
            "unit": act.unit, "appointment": appointment}


def _judge_locally(fact: F.Fact, before: Mapping[str, Folded], ctx: Context) -> None:
    """Refuse, with the rule's own error, an act the peer would rule ineffective."""
    check_event_data(fact.data, fact.version)  # every act, those on no order too
    for number, folded in before.items():
        if folded.state.terms is None and fact.type not in F.ORDER_ROOT_TYPES:
            raise UnknownReference(
                N_("no order %(number)s on this node"),
                field="order", number=number,
            )
        try:
            judge(fact, folded.state, ctx)
        except DomainError as exc:
            if len(before) > 1 and exc.field and not exc.field.startswith("orders"):
                exc.field = f"orders[{number}].{exc.field}"
            raise


def _project(uow: UnitOfWork, fact: F.Fact, before: Mapping[str, Folded]
             ) -> dict[str, OrderState]:
    """Each order after ``fact``, from the state it was judged on, and its projection.

    A local act follows every event of its orders, so one step extends the
    fold; should it not (an event of a third stream it never saw), the
    orders are folded again from all their events.
    """
    ctx = uow.context
    # An order in an exchange shows a status completed from the orders it links (an
    # exchange closes as a whole): they are re-folded and rewritten with it.
    linked = any(f.state.exchanges for f in before.values())
    if linked or not all(follows_all(n, fact, f.facts) for n, f in before.items()):
        states = refresh_orders(uow.conn, list(before), ctx)
        for number in before:
            verdict = next(v for v in states[number].verdicts if v.event == fact.hash)
            if not verdict.effective:
                raise InvariantBroken(f"{fact.hash[:12]} judged valid, then ineffective on "
                                      f"{number}: {verdict.reason}")
        uow.folds.clear()
        return {n: states[n] for n in before}
    after = {}
    for number, folded in before.items():
        after[number] = extend(folded.state, fact, ctx)
        digested = write_order_after(uow.conn, folded.state, folded.head(number), after[number],
                                     fact, ctx, folded.digested)
        uow.folds[number] = Folded((*folded.facts, fact), after[number], digested)
    return after

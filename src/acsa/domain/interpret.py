"""Interpretation: folding an order's events into its state, the same on every node.

Each event is judged against the order *as it stood at the event's parent*
— the state made by the events in its causal past — and against the dates
inside the event, never a clock. A valid event takes effect; an invalid one
is kept, marked ineffective with its reason. The causal past of an event is
its parent, the events before it on this order in its own stream, and
(recursively) their pasts.

Effects are applied in one canonical order: a topological order of the
causal graph, ties broken by recording time, stream and sequence. Because
the canonical order and each event's past depend only on the set of
events, any arrival order of the same events yields the same state.

Events that act on several orders (payments, exchanges, offsets) take
effect on all of them or on none: :func:`interpret_orders` rules such an
event ineffective everywhere as soon as one of its parts is invalid.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from acsa.domain.agreement import AgreementProfile
from acsa.domain.consent import MarkingChange
from acsa.domain.duties import check_separation, remember
from acsa.domain.errors import (
    N_,
    DomainError,
    InvalidValue,
    NotAuthorized,
    PartIneffective,
    UnknownReference,
)
from acsa.domain.event_schema import check_event_data
from acsa.domain.evidence import check_evidence
from acsa.domain.facts import MULTI_ORDER_TYPES, ORDER_ROOT_TYPES, ORDER_SUBMITTED, Fact
from acsa.domain.figures import status
from acsa.domain.marking import Marking, check_event_marking, marking_from_data, strongest
from acsa.domain.money import Money
from acsa.domain.parties import Side
from acsa.domain.roster import Roster
from acsa.domain.rules import Action, check_permitted
from acsa.domain.state import OrderState, Verdict
from acsa.domain.streams import stream_party


@dataclass(frozen=True)
class Context:
    """What interpretation reads besides the order's own events."""

    profiles: Mapping[str, AgreementProfile] = field(default_factory=dict)  # by digest
    rosters: Mapping[str, Roster] = field(default_factory=dict)  # by stream
    # Orders whose originators all consented to a new (lower) marking (domain/consent.py).
    markings: Mapping[str, MarkingChange] = field(default_factory=dict)  # by order

    def profile(self, digest: str) -> AgreementProfile:
        try:
            return self.profiles[digest]
        except KeyError:
            raise UnknownReference(
                N_("unknown agreement profile %(digest)s"),
                field="profile", digest=digest,
            ) from None

    def roster(self, stream: str) -> Roster:
        return self.rosters.get(stream, Roster())


@dataclass(frozen=True)
class Step:
    """How one event type is judged and applied.

    ``judge`` raises a :class:`DomainError` when the event may not take
    effect on the state at its parent; ``apply`` returns the new state (and
    a note for users when a rule decided something) and never fails, because
    the state it is applied to may hold effects that crossed the event.
    """

    action: Callable[[Fact], Action]
    judge: Callable[[Fact, OrderState, AgreementProfile, Side], None]
    apply: Callable[[Fact, OrderState, AgreementProfile, Side], tuple[OrderState, str]]
    amount: Callable[[Fact, OrderState], Money | None] = lambda fact, state: None
    unit: Callable[[Fact, OrderState, Side], str | None] | None = None


STEPS: dict[str, Step] = {}


def step(event_type: str, s: Step) -> None:
    """Register how ``event_type`` is interpreted (called by the lifecycle modules)."""
    STEPS[event_type] = s


def acting_side(fact: Fact, state: OrderState) -> Side:
    side = state.side_of(fact.actor.party)
    if side is None:
        raise NotAuthorized(
            N_("%(party)s is neither the requester nor the supplier of this order"),
            field="actor.party", party=fact.actor.party,
        )
    return side


def acting_unit(state: OrderState, side: Side) -> str | None:
    """The unit that acts for ``side`` on this order, as far as the order names it."""
    if state.terms is None:
        return None
    if side is Side.REQUESTER:
        return state.terms.requesting_unit
    if state.accepted is not None and state.accepted.supplying_unit:
        return state.accepted.supplying_unit
    return state.terms.supplying_unit


def default_unit(fact: Fact, state: OrderState, side: Side) -> str | None:
    """The unit an official must be appointed for to act on this order: the order's own,
    or — for a supplier before acceptance names one — the unit the actor names."""
    if state.terms is None:
        return None
    unit = acting_unit(state, side)
    return unit if unit or side is Side.REQUESTER else fact.actor.unit


def root_side(fact: Fact) -> Side:
    """The side an event acts for on an order that does not exist yet.

    An order's first event names both parties in its terms: the actor acts for
    whichever is theirs, so that a supplier's official submitting (or a
    requester's official recording an emergency order) is refused by the
    permission table like any other action of the wrong side. An actor of
    neither party, or any other event on an unknown order, is taken to act for
    the side its event type implies; the rules refuse it either way.
    """
    terms = fact.data.get("terms")
    if fact.type in ORDER_ROOT_TYPES and isinstance(terms, Mapping):
        if terms.get("requester") == fact.actor.party:
            return Side.REQUESTER
        if terms.get("supplier") == fact.actor.party:
            return Side.SUPPLIER
    return Side.REQUESTER if fact.type == ORDER_SUBMITTED else Side.SUPPLIER


def check_signer(fact: Fact, profile: AgreementProfile) -> None:
    """The node that signed must be the actor's own, unless the actor's party signs on paper."""
    if fact.signer != stream_party(fact.stream):
        raise NotAuthorized(
            N_("%(signer)s signed an event in %(stream)s"),
            field="signer", signer=fact.signer, stream=fact.stream,
        )
    if fact.signer == fact.actor.party:
        if fact.actor.paper:
            raise NotAuthorized(
                N_("an event signed by the actor's own node is not paper-signed"),
                field="actor.paper",
            )
        return
    if not fact.actor.paper:
        raise NotAuthorized(
            N_("an act of %(party)s signed by %(signer)s's node"),
            field="signer", party=fact.actor.party, signer=fact.signer,
        )
    if fact.actor.party not in profile.party_codes:
        raise NotAuthorized(
            N_("%(party)s is not a party"),
            field="actor.party", party=fact.actor.party,
        )
    if profile.party(fact.actor.party).signs != "paper":
        raise NotAuthorized(
            N_("%(party)s runs its own node under %(agreement)s; its steps cannot be recorded from "
               "paper"),
            field="actor.paper", party=fact.actor.party, agreement=profile.id,
        )
    if not fact.data.get("evidence"):
        raise NotAuthorized(
            N_("a paper-signed step needs the signed form attached as evidence"),
            field="evidence",
        )


def check_dates(fact: Fact, state: OrderState) -> None:
    """A business date falls on or after the order began and not after the recording day."""
    on = fact.on
    recorded = date.fromisoformat(fact.at[:10])
    # One day of grace: the business date is local to the actor, the
    # recording time is UTC, and Tokyo is nine hours ahead of UTC.
    if on > recorded + timedelta(days=1):
        raise InvalidValue(
            N_("%(on)s is after the day the event was recorded (%(recorded)s)"),
            field="on", on=on, recorded=recorded,
        )
    if state.submitted_on is not None and on < state.submitted_on:
        raise InvalidValue(
            N_("%(on)s is before the order began (%(submitted_on)s)"),
            field="on", on=on, submitted_on=state.submitted_on,
        )


def judge(fact: Fact, state: OrderState, ctx: Context) -> None:
    """Raise unless ``fact`` may take effect on ``state`` (the order at the fact's parent)."""
    # First, so that no later reason quotes a text or figure the event may not carry.
    check_event_data(fact.data, fact.version)
    s = STEPS.get(fact.type)
    if s is None:
        raise InvalidValue(N_("%(type)s does not act on an order"), field="type", type=fact.type)
    root = state.terms is None
    profile = ctx.profile(fact.profile if root else state.profile)
    check_signer(fact, profile)
    if fact.marking:
        check_event_marking(fact.marking, profile)
    side = root_side(fact) if root else acting_side(fact, state)
    check_dates(fact, state)
    action = s.action(fact)
    check_permitted(action, side, fact.actor.role, status(state, profile))
    if root and fact.type not in ORDER_ROOT_TYPES:
        # Unreachable while the table allows nothing but a root event in draft;
        # kept so that no step is ever judged on an order without terms.
        raise UnknownReference(
            N_("names an order that is not in the shared record"),
            field="subject",
        )
    s.judge(fact, state, profile, side)
    check_evidence(action, state, profile)
    # The appointment is checked after the step's own rules, so that the
    # terms (and so the unit and amount) of a new order are known.
    unit_of = s.unit or default_unit
    probe = state
    if root:
        probe, _ = s.apply(fact, state, profile, side)
    ctx.roster(fact.stream).authorize(
        fact.actor.appointment,
        party=fact.actor.party,
        user=fact.actor.user,
        role=fact.actor.role,
        unit=unit_of(fact, probe, side),
        on=fact.on,
        amount=s.amount(fact, probe),
        position=fact.seq,
    )
    # Last, so that it refuses only an act that every other rule allows.
    check_separation(fact, action, side, state, profile)


def apply(fact: Fact, state: OrderState, ctx: Context) -> tuple[OrderState, str]:
    s = STEPS[fact.type]
    root = state.terms is None
    profile = ctx.profile(fact.profile if root else state.profile)
    side = root_side(fact) if root else acting_side(fact, state)
    after, note = s.apply(fact, state, profile, side)
    return remember(fact, s.action(fact), after), note


# -- causal order ---------------------------------------------------------


def _predecessors(order: str, facts: Mapping[str, Fact]) -> dict[str, set[str]]:
    """For each event: its parent on ``order`` and its predecessor in its own stream."""
    last_in_stream: dict[str, Fact] = {}
    preds: dict[str, set[str]] = {}
    for f in sorted(facts.values(), key=lambda f: (f.stream, f.seq)):
        p: set[str] = set()
        parent = f.parent_for(order)
        if parent is not None and parent in facts:
            p.add(parent)
        before = last_in_stream.get(f.stream)
        if before is not None:
            p.add(before.hash)
        last_in_stream[f.stream] = f
        preds[f.hash] = p
    return preds


def canonical_order(
    order: str, facts: Mapping[str, Fact]
) -> tuple[list[Fact], dict[str, frozenset[str]]]:
    """The events in causal order (ties by time, stream, sequence) and each one's past."""
    preds = _predecessors(order, facts)
    children: dict[str, list[str]] = {h: [] for h in facts}
    waiting = {h: len(p) for h, p in preds.items()}
    for h, p in preds.items():
        for q in p:
            children[q].append(h)

    def key(h: str) -> tuple[str, str, int, str]:
        f = facts[h]
        return (f.at, f.stream, f.seq, f.hash)

    ready = [key(h) for h, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    ordered: list[Fact] = []
    past: dict[str, frozenset[str]] = {}
    while ready:
        h = heapq.heappop(ready)[3]
        f = facts[h]
        mine: set[str] = set()
        for q in preds[h]:
            mine.add(q)
            mine |= past[q]
        past[h] = frozenset(mine)
        ordered.append(f)
        for c in children[h]:
            waiting[c] -= 1
            if waiting[c] == 0:
                heapq.heappush(ready, key(c))
    # A cycle cannot be built without breaking SHA-256; were one met, its
    # events still get a place (and are ruled ineffective below).
    for h in sorted(set(facts) - set(past), key=key):
        past[h] = frozenset(set(facts) - {h})
        ordered.append(facts[h])
    return ordered, past


# Each effective event of a fold with the order's state before and after it, in the order
# they took effect: what an order's postings are derived from (acsa.domain.ledger).
Trail = list[tuple[Fact, OrderState, OrderState]]


def interpret(
    order: str,
    facts: Iterable[Fact],
    ctx: Context,
    excluded: Mapping[str, str] | None = None,
    trail: Trail | None = None,
) -> OrderState:
    """Fold every event of ``order`` into its state.

    ``excluded`` maps multi-order events already ruled ineffective elsewhere
    to the reason, so that they are ineffective here too. ``trail``, when
    given, receives each effective event with the states before and after it.
    """
    excluded = excluded or {}
    mine = {f.hash: f for f in facts if order in f.orders()}
    ordered, past = canonical_order(order, mine)
    state = OrderState(number=order)
    effective: list[Fact] = []
    seen: set[str] = set()
    verdicts: list[Verdict] = []
    for f in ordered:
        before = state
        if len(past[f.hash]) != len(seen):
            before = _replay(order, [e for e in effective if e.hash in past[f.hash]], ctx)
        if before.verdicts:
            before = before.evolve(verdicts=())
        verdict, note = _judge(order, f, before, ctx, mine, excluded)
        if verdict.effective:
            was = state
            state, note = apply(f, state, ctx)
            if trail is not None:
                trail.append((f, was, state))
            if note != verdict.note:
                verdict = replace(verdict, note=note)
            effective.append(f)
        verdicts.append(verdict)
        seen.add(f.hash)
    return state.judged(tuple(verdicts), order_marking(state, ordered, ctx))


def _judge(
    order: str,
    f: Fact,
    before: OrderState,
    ctx: Context,
    known: Mapping[str, Fact],
    excluded: Mapping[str, str],
) -> tuple[Verdict, str]:
    base = Verdict(event=f.hash, type=f.type, seq=f.seq, stream=f.stream, effective=True)
    parent = f.parent_for(order)
    try:
        if parent is not None and parent not in known:
            raise UnknownReference(
                N_("its parent %(parent)s… is not an event of %(order)s"),
                field="parent", parent=parent[:12], order=order,
            )
        if parent is None and before.terms is not None:
            raise InvalidValue(N_("it names no parent on %(order)s"), field="parent", order=order)
        # An event on an order not yet known (a payment naming an unknown order
        # …) is refused by the permission table: nothing but a root event may
        # act on an order in draft.
        judge(f, before, ctx)
        if f.hash in excluded:
            raise PartIneffective(excluded[f.hash], field="orders")
    except DomainError as exc:
        return replace(base, effective=False, code=exc.code, reason=str(exc)), ""
    return base, ""


def follows_all(order: str, fact: Fact, facts: Iterable[Fact]) -> bool:
    """Whether every other event of ``order`` in ``facts`` is in the causal past of ``fact``.

    A local act names the order's newest event as its parent, so it normally
    does: it then comes last in the canonical order, and :func:`extend` gives
    the same state as folding every event again.
    """
    mine = {f.hash: f for f in facts if order in f.orders()}
    mine[fact.hash] = fact
    preds = _predecessors(order, mine)
    seen: set[str] = set()
    stack = [fact.hash]
    while stack:
        for p in preds[stack.pop()]:
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return len(seen) == len(mine) - 1


def extend(state: OrderState, fact: Fact, ctx: Context) -> OrderState:
    """The order after one more event, judged valid, that follows all it holds.

    Equal to interpreting every event again when :func:`follows_all` holds.
    """
    after, note = apply(fact, state.evolve(verdicts=()), ctx)
    verdict = Verdict(event=fact.hash, type=fact.type, seq=fact.seq, stream=fact.stream,
                      effective=True, note=note)
    marking = order_marking(after, [fact], ctx, state.marking)
    return after.judged((*state.verdicts, verdict), marking)


def order_marking(state: OrderState, facts: Iterable[Fact], ctx: Context,
                  held: Marking | None = None) -> Marking | None:
    """The marking an order is protected by: the strongest of ``held`` and its events'.

    Every event of the order counts, effective or not (its content is shown
    all the same); one whose marking the profile cannot read counts as none.
    Strength is the rank the requester's scheme protects it at, so that
    every node picks the same marking. The events whose originators all
    consented to a new marking (``ctx.markings``) count at that marking instead.
    """
    if state.terms is None:
        return None
    profile = ctx.profile(state.profile)
    change = ctx.markings.get(state.number)
    markings: list[Marking | None] = [held]
    for f in facts:
        if change is not None and f.hash in change.covered:
            continue
        try:
            markings.append(marking_from_data(f.marking, profile) if f.marking else None)
        except DomainError:
            markings.append(None)
    if change is not None:
        parties = tuple(sorted(profile.party_codes))
        markings.append(Marking(change.level, change.party, parties))
    return strongest(markings, profile, state.terms.requester)


def _replay(order: str, facts: Sequence[Fact], ctx: Context) -> OrderState:
    """The state made by already-judged effective events, re-applied in canonical order."""
    state = OrderState(number=order)
    for f in facts:
        state, _ = apply(f, state, ctx)
    return state


def interpret_orders(
    facts: Iterable[Fact], ctx: Context, orders: Iterable[str] | None = None,
    trails: dict[str, Trail] | None = None,
) -> dict[str, OrderState]:
    """Interpret several orders at once, so multi-order events act on all or none.

    ``trails``, when given, receives each order's trail (see :func:`interpret`) of the
    fold whose states are returned."""
    all_facts = list({f.hash: f for f in facts}.values())
    by_order: dict[str, list[Fact]] = {}
    for f in all_facts:
        for o in f.orders():
            by_order.setdefault(o, []).append(f)
    wanted = set(orders) if orders is not None else set(by_order)
    # Orders linked to a wanted one by a multi-order event are judged together.
    linked = set(wanted)
    grew = True
    while grew:
        grew = False
        for f in all_facts:
            if f.type in MULTI_ORDER_TYPES and linked & set(f.orders()):
                extra = set(f.orders()) - linked
                if extra:
                    linked |= extra
                    grew = True
    excluded: dict[str, str] = {}
    while True:
        states = {}
        for o in sorted(linked):
            trail: Trail | None = None
            if trails is not None:
                trail = trails[o] = []
            states[o] = interpret(o, by_order.get(o, []), ctx, excluded, trail)
        newly: dict[str, str] = {}
        for o, st in states.items():
            for v in st.verdicts:
                if not v.effective and v.type in MULTI_ORDER_TYPES and v.event not in excluded:
                    newly.setdefault(v.event, f"its part on {o} is ineffective: {v.reason}")
        if not newly:
            return {o: st for o, st in states.items() if o in wanted}
        excluded.update(newly)


# How each event type is interpreted is registered by the lifecycle modules (``step``):
# they load with the fold that reads them, not with every module of the domain.
from acsa.domain import lifecycle, settlement  # noqa: E402, F401

"""Order use cases up to settlement: drafts, submission, answers, delivery, receipt,
disputes, changes to what both signed, third-party transfers; and reading orders.

Each function is one use case: it finds the acting side and the role the
one permission table gives that side for the action, the unit the
appointment must cover, builds the event's data and records it. Settlement
use cases are in :mod:`acsa.services.settlement`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import insert, select, update

from acsa.domain import facts as F
from acsa.domain import interpret, references
from acsa.domain.agreement import AgreementProfile
from acsa.domain.ceilings import CountedOrder, check_ceilings, scope_agreements
from acsa.domain.errors import (
    N_,
    DomainError,
    InvalidValue,
    MissingField,
    NotAppointed,
    NotAuthorized,
    UnknownReference,
)
from acsa.domain.marking import check_event_marking, is_unclassified
from acsa.domain.order import check_eligibility, order_number, terms_from_data
from acsa.domain.order import terms_problems as order_terms_problems
from acsa.domain.parties import Role, Side
from acsa.domain.rules import Action, permission
from acsa.domain.state import OrderState
from acsa.domain.streams import stream_id
from acsa.services import arrangements, markings, need_to_know, rates
from acsa.services.recording import (
    ANY_PARENT,
    Act,
    adopted_profile,
    order_state,
    record,
    require_partner_adoption,
)
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser
from acsa.store import tables as T
from acsa.store.log import StoredEvent, lock_stream


def side_of(state: OrderState, user: LocalUser) -> Side:
    side = state.side_of(user.party)
    if side is None:
        raise NotAuthorized(
            N_("%(party)s is not a party to %(number)s"),
            field="order", party=user.party, number=state.number,
        )
    return side


def role_for(uow: UnitOfWork, user: LocalUser, action: Action, side: Side, *,
             agreement: str, unit: str | None, on: date) -> Role:
    """The role in which ``user`` takes ``action``: the first the table allows that they hold."""
    row = permission(action, side)
    if row is None:
        raise NotAuthorized(N_("the %(side)s never may %(action)s"), field="action",
                            side=side, action=action)
    roster = uow.context.roster(stream_id(agreement, uow.node.party))
    for role in sorted(row.roles, key=lambda r: r.value):
        if roster.find(party=user.party, user=user.id, role=role, unit=unit, on=on):
            return role
    roles = sorted(r.value for r in row.roles)
    raise NotAppointed(
        N_("%(user)s is not appointed as %(role)s for unit %(unit)s on %(date)s") if unit else
        N_("%(user)s is not appointed as %(role)s on %(date)s"),
        field="user", user=user.id, role=" or ".join(roles), unit=unit, date=on,
        **({"roles": roles} if len(roles) > 1 else {}),
    )


def act_on_order(
    uow: UnitOfWork,
    user: LocalUser,
    number: str,
    action: Action,
    type: str,
    data: Mapping[str, Any],
    *,
    on: date | None = None,
    expected_parent: object = ANY_PARENT,
    unit: str | None = None,
    marking: Mapping[str, Any] | None = None,
) -> StoredEvent:
    """Record ``action`` on one order by ``user``, in the role and unit the rules give.

    An order ``user`` may not read is not admitted to exist (need to know).

    ``marking`` classifies this act above the order's own marking (a delivery
    note naming a berth, say), as ``submit_order`` takes it; by default the
    act is protected as the order is.
    """
    need_to_know.require_readable(uow, user, [number])
    state = order_state(uow, number)
    profile = uow.context.profile(state.profile)
    side = side_of(state, user)
    on = on or uow.node.today(profile)
    unit = unit or interpret.acting_unit(state, side) or own_unit(uow, user, action, side,
                                                         agreement=profile.id, on=on)
    role = role_for(uow, user, action, side, agreement=profile.id, unit=unit, on=on)
    return record(uow, user, Act(
        agreement=profile.id, type=type, subject=number, data=data, role=role, on=on,
        unit=unit, expected_parent=expected_parent,
        marking=originated(profile, user.party, marking),
    ))


def own_unit(uow: UnitOfWork, user: LocalUser, action: Action, side: Side, *,
             agreement: str, on: date) -> str | None:
    """The unit ``user`` acts for when the order names none for their side yet.

    Before acceptance an order may name no supplying unit; the supplier's
    official then acts for a unit of their own appointment, which the rules
    read from the event's actor. ``None`` when an appointment covers every unit.
    """
    row = permission(action, side)
    if row is None:
        return None
    roster = uow.context.roster(stream_id(agreement, uow.node.party))
    found = sorted(
        (a for a in roster.for_user(user.party, user.id)
         if a.role in row.roles and a.in_force(on, None)),
        key=lambda a: (a.granted_at, a.id),
    )
    if not found or not found[0].units:
        return None
    return min(found[0].units)


# -- drafts and submission ------------------------------------------------------------


@use_case
def save_draft(uow: UnitOfWork, user: LocalUser, terms: Mapping[str, Any], note: str = "",
               draft_id: int | None = None, *,
               marking: Mapping[str, Any] | None = None) -> int:
    """Keep an order being prepared. Drafts and their notes never leave this node.

    ``marking`` (or a ``marking`` in ``terms``) is checked now and kept with the
    terms; :func:`submit_order` classifies the order with it.
    """
    agreement = terms.get("agreement")
    if not isinstance(agreement, str) or not agreement:
        raise InvalidValue(N_("is required"), field="agreement")
    profile = adopted_profile(uow, agreement)
    terms, kept = split_marking(terms)
    marking = marking if marking is not None else kept
    if originated(profile, user.party, marking) is not None and marking is not None:
        terms["marking"] = dict(marking)
    now = uow.node.now_at()
    if draft_id is None:
        result = uow.conn.execute(insert(T.drafts).values(
            agreement=agreement, created_by=user.id, terms=json.dumps(dict(terms)), note=note,
            created_at=now, updated_at=now,
        ))
        return int(result.inserted_primary_key[0])  # type: ignore[index]
    _own_draft(uow, user, draft_id)
    uow.conn.execute(update(T.drafts).where(T.drafts.c.id == draft_id)
                     .values(terms=json.dumps(dict(terms)), note=note, updated_at=now))
    return draft_id


def _draft(uow: UnitOfWork, draft_id: int) -> Any:
    row = uow.conn.execute(select(T.drafts).where(T.drafts.c.id == draft_id)).first()
    if row is None:
        raise UnknownReference(N_("no draft %(draft_id)s"), field="draft", draft_id=draft_id)
    return row


def _own_draft(uow: UnitOfWork, user: LocalUser, draft_id: int) -> Any:
    """``user``'s own draft, not yet submitted: only its author changes or submits it."""
    draft = _draft(uow, draft_id)
    if draft.created_by != user.id:
        raise UnknownReference(N_("no draft %(draft_id)s"), field="draft", draft_id=draft_id)
    if draft.submitted_as:
        raise InvalidValue(
            N_("draft %(draft_id)s was submitted as %(submitted_as)s"),
            field="draft", draft_id=draft_id, submitted_as=draft.submitted_as,
        )
    return draft


def draft_terms(uow: UnitOfWork, draft_id: int) -> dict[str, Any]:
    """The terms kept in a draft not yet submitted."""
    draft = _draft(uow, draft_id)
    if draft.submitted_as:
        raise InvalidValue(
            N_("draft %(draft_id)s was submitted as %(submitted_as)s"),
            field="draft", draft_id=draft_id, submitted_as=draft.submitted_as,
        )
    terms = json.loads(draft.terms)
    if not isinstance(terms, dict):
        raise InvalidValue(
            N_("draft %(draft_id)s holds no terms"),
            field="draft", draft_id=draft_id,
        )
    return terms


def next_number(uow: UnitOfWork, profile: AgreementProfile, on: date, *,
                emergency: bool) -> str:
    """The next order number in this node's range for the fiscal year of ``on``."""
    party = uow.node.party
    # The stream's lock serialises numbering too: an absent counter row cannot
    # itself be locked, and numbers and events share the node's stream anyway.
    lock_stream(uow.conn, f"{profile.id}/{party}")
    fy = profile.party(party).fiscal_year(on)
    key = f"number:{profile.short_id}/{party}/FY{fy}/{'E' if emergency else ''}"
    query = select(T.node_info.c.value).where(T.node_info.c.key == key)
    if uow.conn.dialect.name == "postgresql":
        query = query.with_for_update()
    current = uow.conn.execute(query).scalar_one_or_none()
    sequence = int(current or 0) + 1
    if current is None:
        uow.conn.execute(insert(T.node_info).values(key=key, value=str(sequence)))
    else:
        uow.conn.execute(update(T.node_info).where(T.node_info.c.key == key)
                         .values(value=str(sequence)))
    return order_number(profile, party, on, sequence, emergency=emergency)


def counted_orders(uow: UnitOfWork, agreements: Sequence[str]) -> list[CountedOrder]:
    """Every accepted order of ``agreements``, as ceilings count them."""
    rows = uow.conn.execute(
        select(T.orders.c.number, T.orders.c.accepted_on)
        .where(T.orders.c.agreement.in_(agreements), T.orders.c.accepted_on.is_not(None))
    ).all()
    out = []
    for row in rows:
        state = order_state(uow, row.number)
        if state.terms is not None:
            out.append(CountedOrder(row.number, state.terms, row.accepted_on))
    return out


def check_order_ceilings(uow: UnitOfWork, user: LocalUser, profile: AgreementProfile,
                         state_terms: Any, number: str, on: date) -> None:
    """Refuse an order that would break a ceiling: every accepted order counts — those of
    every agreement this node holds with the partner, for a ceiling counted per country —
    and the refusal states no total when orders ``user`` may not read count toward it."""
    if not profile.ceilings:
        return
    held = rates.held_profiles(uow)
    agreements = sorted({a for c in profile.ceilings
                         for a in scope_agreements(c, profile, held)})
    check_ceilings(profile, CountedOrder(number, state_terms, on),
                   counted_orders(uow, agreements), rates.rate_book(uow, agreements),
                   hidden=need_to_know.unreadable(uow, user), held=held)


def with_activity_type(uow: UnitOfWork, terms: Mapping[str, Any]) -> dict[str, Any]:
    """``terms`` with the activity's type taken from the registry when it is not given:
    a registered activity has its type on record, so a form need not ask for it."""
    data = dict(terms)
    activity, agreement = data.get("activity"), data.get("agreement")
    if isinstance(activity, str) and isinstance(agreement, str) and not data.get(
            "activity_type"):
        found = uow.conn.execute(select(T.activities.c.type).where(
            T.activities.c.agreement == agreement, T.activities.c.id == activity)).first()
        if found is not None:
            data["activity_type"] = found.type
    return data


def complete_terms(uow: UnitOfWork, user: LocalUser, terms: Mapping[str, Any], *,
                   emergency: bool = False) -> dict[str, Any]:
    """``terms`` completed with what the record already says: the activity's type (from
    the registry), ``user``'s party as the requester (as the supplier of an emergency
    request), and, when not given, the currency the agreement prices an order between the
    two parties in (its invoice currency), so that no one need type it."""
    data = with_activity_type(uow, terms)
    data.setdefault("supplier" if emergency else "requester", user.party)
    agreement, requester, supplier = (data.get(k) for k in ("agreement", "requester",
                                                              "supplier"))
    if not data.get("currency") and isinstance(agreement, str) and agreement and \
            isinstance(requester, str) and isinstance(supplier, str):
        profile = adopted_profile(uow, agreement)
        if {requester, supplier} <= set(profile.party_codes):
            data["currency"] = profile.invoice_currency(supplier, requester)
    return data


def order_form_problems(uow: UnitOfWork, user: LocalUser, terms: Mapping[str, Any], *,
                        emergency: bool = False) -> list[DomainError]:
    """Every problem a form can show at once before :func:`submit_order` (or
    :func:`record_emergency`) would stop at the first: missing elements and bad lines."""
    agreement = terms.get("agreement")
    if not isinstance(agreement, str) or not agreement:
        return [MissingField(N_("is required"), field="agreement")]
    data = complete_terms(uow, user, terms, emergency=emergency)
    profile = adopted_profile(uow, agreement)
    found = order_terms_problems(data, profile)
    try:
        require_partner_adoption(uow, profile)
    except DomainError as exc:
        found.append(exc)
    try:
        arrangements.check_citation(uow, profile, data, uow.node.today(profile))
    except DomainError as exc:
        found.append(exc)
    return found


def originated(profile: AgreementProfile, party: str,
               marking: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A new order's marking as ``party`` gives it: a level of its own scheme and any
    caveats, released to every party of the agreement; ``None`` when unclassified.

    A level that is not one of ``party``'s, or caveats without a level, are
    refused naming the field (``marking.level``, ``marking.caveats``).
    """
    if not marking:
        return None
    found = markings.problems(profile, party, marking)
    if found:
        raise found[0].error()
    if not marking.get("level"):
        return None
    data = {"level": marking.get("level"), "originator": party,
            "rel": sorted(profile.party_codes)}
    if marking.get("caveats"):
        data["caveats"] = [str(c).strip() for c in marking["caveats"]]
    checked = check_event_marking(data, profile)
    return None if is_unclassified(checked) else checked.as_data()


def split_marking(terms: Mapping[str, Any]) -> tuple[dict[str, Any], Mapping[str, Any] | None]:
    """Terms without the ``marking`` a draft or an order file keeps beside them, and that
    marking (``level``, optional ``caveats``)."""
    data = dict(terms)
    marking = data.pop("marking", None)
    if marking is not None and not isinstance(marking, Mapping):
        raise InvalidValue(N_("must be an object with level and caveats"), field="marking")
    return data, marking


@use_case
def submit_order(uow: UnitOfWork, user: LocalUser, terms: Mapping[str, Any], *,
                 on: date | None = None, draft_id: int | None = None,
                 marking: Mapping[str, Any] | None = None) -> StoredEvent:
    """Sign and submit an order: it is numbered now and the supplier sees it.

    ``marking`` classifies it in the requester's scheme (``level``, optional
    ``caveats``); it is released to every party of the agreement. Without it,
    the ``marking`` kept in ``terms`` (a draft's, an order file's) is used.
    """
    terms, kept = split_marking(terms)
    marking = marking if marking is not None else kept
    agreement = terms.get("agreement")
    if not isinstance(agreement, str):
        raise InvalidValue(N_("is required"), field="agreement")
    profile = adopted_profile(uow, agreement)
    require_partner_adoption(uow, profile)
    data = complete_terms(uow, user, terms)
    if data["requester"] != user.party:
        raise NotAuthorized(
            N_("%(party)s submits its own orders only"),
            field="requester", party=user.party,
        )
    on = on or uow.node.today(profile)
    if draft_id is not None:
        _own_draft(uow, user, draft_id)
    parsed = terms_from_data(data, profile)
    check_eligibility(parsed, profile, on)
    arrangements.check_citation(uow, profile, data, on)
    number = next_number(uow, profile, on, emergency=False)
    check_order_ceilings(uow, user, profile, parsed, number, on)
    event = record(uow, user, Act(
        agreement=agreement, type=F.ORDER_SUBMITTED, subject=number,
        data={"terms": parsed.as_data()}, role=Role.ORDERING_OFFICIAL, on=on,
        unit=parsed.requesting_unit, marking=originated(profile, user.party, marking),
    ))
    if draft_id is not None:
        uow.conn.execute(update(T.drafts).where(T.drafts.c.id == draft_id)
                         .values(submitted_as=number))
    return event


@use_case
def record_emergency(uow: UnitOfWork, user: LocalUser, terms: Mapping[str, Any], *,
                     requested_by: str, on: date | None = None,
                     marking: Mapping[str, Any] | None = None) -> StoredEvent:
    """Record an oral or radio request at once, numbered in this (the supplier's) range,
    classified by ``marking`` in the supplier's scheme as ``submit_order`` takes it."""
    terms, kept = split_marking(terms)
    marking = marking if marking is not None else kept
    agreement = terms.get("agreement")
    if not isinstance(agreement, str):
        raise InvalidValue(N_("is required"), field="agreement")
    profile = adopted_profile(uow, agreement)
    require_partner_adoption(uow, profile)
    data = complete_terms(uow, user, terms, emergency=True)
    if data["supplier"] != user.party:
        raise NotAuthorized(N_("an emergency order is recorded by its supplier"), field="supplier")
    on = on or uow.node.today(profile)
    parsed = terms_from_data(data, profile)
    check_eligibility(parsed, profile, on)
    arrangements.check_citation(uow, profile, data, on)
    if not requested_by.strip():
        raise InvalidValue(N_("say who asked, and how (radio, telephone …)"), field="requested_by")
    number = next_number(uow, profile, on, emergency=True)
    return record(uow, user, Act(
        agreement=agreement, type=F.ORDER_EMERGENCY_RECORDED, subject=number,
        data={"terms": parsed.as_data(), "requested_by": requested_by},
        role=Role.APPROVING_OFFICIAL, on=on, unit=parsed.supplying_unit,
        marking=originated(profile, user.party, marking),
    ))


@use_case
def confirm_emergency(uow: UnitOfWork, user: LocalUser, number: str, *, on: date | None = None,
                      expected_parent: object = ANY_PARENT) -> StoredEvent:
    state = order_state(uow, number)
    return act_on_order(uow, user, number, Action.CONFIRM_EMERGENCY, F.ORDER_EMERGENCY_CONFIRMED,
                        {"version": state.version}, on=on, expected_parent=expected_parent)


# -- before acceptance -------------------------------------------------------------------


@use_case
def propose(uow: UnitOfWork, user: LocalUser, number: str, changes: Mapping[str, Any], *,
            reason: str, on: date | None = None,
            expected_parent: object = ANY_PARENT) -> StoredEvent:
    """The supplier proposes changed quantities, prices or dates before accepting."""
    state = order_state(uow, number)
    assert state.terms is not None
    terms = {**state.terms.as_data(), **changes}
    return act_on_order(uow, user, number, Action.PROPOSE, F.ORDER_PROPOSED,
                        {"terms": terms, "reason": reason}, on=on,
                        expected_parent=expected_parent)


@use_case
def confirm(uow: UnitOfWork, user: LocalUser, number: str, *, on: date | None = None,
            expected_parent: object = ANY_PARENT) -> StoredEvent:
    state = order_state(uow, number)
    if state.proposal is None:
        raise InvalidValue(
            N_("%(number)s has no proposal to confirm"),
            field="order", number=number,
        )
    return act_on_order(uow, user, number, Action.CONFIRM, F.ORDER_CONFIRMED,
                        {"proposal": state.proposal.id}, on=on, expected_parent=expected_parent)


@use_case
def withdraw(uow: UnitOfWork, user: LocalUser, number: str, *, reason: str,
             on: date | None = None, expected_parent: object = ANY_PARENT) -> StoredEvent:
    return act_on_order(uow, user, number, Action.WITHDRAW, F.ORDER_WITHDRAWN,
                        {"reason": reason}, on=on, expected_parent=expected_parent)


@use_case
def accept(uow: UnitOfWork, user: LocalUser, number: str, *, supplying_unit: str | None = None,
           on: date | None = None, expected_parent: object = ANY_PARENT) -> StoredEvent:
    """The approving official signs the version the requester signed: the order binds."""
    state = order_state(uow, number)
    profile = uow.context.profile(state.profile)
    on = on or uow.node.today(profile)
    side = side_of(state, user)
    # Authority first: someone who may not accept at all hears that, not a question
    # about the data.
    named = supplying_unit or (state.terms.supplying_unit if state.terms else None)
    role_for(uow, user, Action.ACCEPT, side, agreement=profile.id, unit=named, on=on)
    unit = named or own_unit(uow, user, Action.ACCEPT, side, agreement=profile.id, on=on)
    if not unit:
        raise InvalidValue(N_("name the supplying unit"), field="supplying_unit")
    assert state.terms is not None
    check_order_ceilings(uow, user, profile, state.terms, number, on)
    return act_on_order(uow, user, number, Action.ACCEPT, F.ORDER_ACCEPTED,
                        {"version": state.version, "supplying_unit": unit}, on=on,
                        expected_parent=expected_parent, unit=unit)


@use_case
def reject(uow: UnitOfWork, user: LocalUser, number: str, *, reason: str,
           on: date | None = None, expected_parent: object = ANY_PARENT) -> StoredEvent:
    return act_on_order(uow, user, number, Action.REJECT, F.ORDER_REJECTED, {"reason": reason},
                        on=on, expected_parent=expected_parent)


# -- delivery and receipt -------------------------------------------------------------------


def catalogue_price(uow: UnitOfWork, agreement: str, party: str, category: str, item: str,
                    unit: str, on: date) -> str | None:
    """The supplier's catalogue price for an item on a date, if it has one."""
    rows = uow.conn.execute(
        select(T.catalogue).where(
            T.catalogue.c.agreement == agreement, T.catalogue.c.party == party,
            T.catalogue.c.category == category, T.catalogue.c.item == item,
            T.catalogue.c.unit == unit, T.catalogue.c.valid_from <= on,
        ).order_by(T.catalogue.c.valid_from.desc())
    ).all()
    for row in rows:
        if row.valid_to is None or row.valid_to >= on:
            return str(row.unit_price)
    return None


@use_case
def deliver(uow: UnitOfWork, user: LocalUser, number: str, lines: Sequence[tuple[int, str]], *,
            evidence: Sequence[Mapping[str, Any]] = (), note: str = "", on: date | None = None,
            expected_parent: object = ANY_PARENT,
            marking: Mapping[str, Any] | None = None) -> StoredEvent:
    """Record a delivery (or performance), priced on the agreement's pricing date;
    ``marking`` classifies the delivery (its note, its tickets) above the order."""
    state = order_state(uow, number)
    profile = uow.context.profile(state.profile)
    on = on or uow.node.today(profile)
    assert state.terms is not None
    data_lines = []
    for no, quantity in lines:
        line = state.terms.line(no)
        entry: dict[str, Any] = {"line": no, "quantity": quantity}
        if profile.pricing.pricing_date == "delivery":
            price = catalogue_price(uow, profile.id, state.supplier, line.category,
                                    line.description, line.unit, on)
            entry["unit_price"] = price or str(line.unit_price)
        data_lines.append(entry)
    return act_on_order(uow, user, number, Action.DELIVER, F.DELIVERY_RECORDED,
                        {"lines": data_lines, "evidence": list(evidence), "note": note},
                        on=on, expected_parent=expected_parent, marking=marking)


@use_case
def receive(uow: UnitOfWork, user: LocalUser, number: str, delivery: str, *,
            lines: Sequence[tuple[int, str, str]] | None = None,
            evidence: Sequence[Mapping[str, Any]] = (), note: str = "",
            on: date | None = None, expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Acknowledge a delivery: ``lines`` as (line, received, damaged); all of it by default."""
    state = order_state(uow, number)
    delivery_id = references.find_delivery(state, delivery)
    found = state.delivery(delivery_id)
    assert found is not None
    if lines is None:
        lines = [(d.line, str(d.quantity), "0") for d in found.lines]
    data_lines = [{"line": n, "quantity": q, "damaged": dmg} for n, q, dmg in lines]
    return act_on_order(uow, user, number, Action.RECEIVE, F.RECEIPT_RECORDED,
                        {"delivery": delivery_id, "lines": data_lines,
                         "evidence": list(evidence), "note": note},
                        on=on, expected_parent=expected_parent)


# -- disputes -----------------------------------------------------------------------------------


@use_case
def open_dispute(uow: UnitOfWork, user: LocalUser, number: str, *, reason: str,
                 about: str | None = None, on: date | None = None,
                 expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Either side disputes a delivery, a receipt or an invoice; resolved only by both."""
    state = order_state(uow, number)
    data: dict[str, Any] = {"reason": reason}
    if about:
        data["about"] = references.find_about(state, about)
    return act_on_order(uow, user, number, Action.DISPUTE, F.DISPUTE_OPENED, data, on=on,
                        expected_parent=expected_parent)


@use_case
def propose_resolution(uow: UnitOfWork, user: LocalUser, number: str, dispute_ref: str | None,
                       resolution: str,
                       adjustments: Sequence[tuple[str, int, str]] = (), *,
                       on: date | None = None,
                       expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Propose how a dispute ends; ``adjustments`` as (delivery, line, quantity received)."""
    state = order_state(uow, number)
    dispute = references.find_dispute(state, dispute_ref)
    data_adjustments = [
        {"delivery": references.find_delivery(state, delivery), "line": line, "quantity": quantity}
        for delivery, line, quantity in adjustments
    ]
    return act_on_order(uow, user, number, Action.RESOLVE, F.DISPUTE_RESOLUTION_PROPOSED,
                        {"dispute": dispute, "resolution": resolution,
                         "adjustments": data_adjustments},
                        on=on, expected_parent=expected_parent)


@use_case
def sign_resolution(uow: UnitOfWork, user: LocalUser, number: str, dispute_ref: str | None,
                    proposal_ref: str | None = None, *, on: date | None = None,
                    expected_parent: object = ANY_PARENT) -> StoredEvent:
    """The other side signs a proposed resolution: the dispute is resolved."""
    state = order_state(uow, number)
    dispute = references.find_dispute(state, dispute_ref)
    proposal = references.find_resolution(state, dispute, proposal_ref)
    return act_on_order(uow, user, number, Action.RESOLVE, F.DISPUTE_RESOLVED,
                        {"dispute": dispute, "proposal": proposal}, on=on,
                        expected_parent=expected_parent)


# -- changes to what both signed -------------------------------------------------------------

_CHANGE_KINDS = {"amend": Action.AMEND, "close_short": Action.CLOSE_SHORT,
                 "close-short": Action.CLOSE_SHORT, "cancel": Action.CANCEL}


@use_case
def request_change(uow: UnitOfWork, user: LocalUser, number: str, kind: str, *, reason: str,
                   changes: Mapping[str, Any] | None = None, on: date | None = None,
                   expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Ask the other party to amend, close short or cancel a binding order."""
    action = _CHANGE_KINDS.get(kind)
    if action is None:
        raise InvalidValue(
            N_("'%(kind)s' is not amend, close_short or cancel"),
            field="kind", kind=kind,
        )
    kind = kind.replace("-", "_")
    data: dict[str, Any] = {"kind": kind, "reason": reason}
    if action is Action.AMEND:
        if not changes:
            raise MissingField(N_("an amendment says what changes"), field="changes")
        state = order_state(uow, number)
        assert state.terms is not None
        data["terms"] = {**state.terms.as_data(), **changes}
    elif changes:
        raise InvalidValue(
            N_("a %(kind)s request carries no changed terms"),
            field="changes", kind=kind,
        )
    return act_on_order(uow, user, number, action, F.CHANGE_REQUESTED, data, on=on,
                        expected_parent=expected_parent)


@use_case
def cancel_order(uow: UnitOfWork, user: LocalUser, number: str, *, reason: str,
                 on: date | None = None, expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Cancel: the requester withdraws an unaccepted order; after acceptance it is a request."""
    state = order_state(uow, number)
    if state.accepted is None and side_of(state, user) is Side.REQUESTER:
        return withdraw(uow, user, number, reason=reason, on=on, expected_parent=expected_parent)
    return request_change(uow, user, number, "cancel", reason=reason, on=on,
                          expected_parent=expected_parent)


@use_case
def respond(uow: UnitOfWork, user: LocalUser, number: str, request_ref: str | None,
            accept: bool, *, on: date | None = None,
            expected_parent: object = ANY_PARENT) -> StoredEvent:
    """The other party accepts or declines a request to amend, close short or cancel."""
    state = order_state(uow, number)
    request = references.find_request(state, request_ref)
    return act_on_order(uow, user, number, Action.RESPOND, F.CHANGE_ANSWERED,
                        {"request": request, "answer": "accepted" if accept else "declined"},
                        on=on, expected_parent=expected_parent)


# -- third-party transfer -----------------------------------------------------------------------


@use_case
def request_transfer(uow: UnitOfWork, user: LocalUser, number: str, *, to: str,
                     lines: Sequence[tuple[int, str]], reason: str, on: date | None = None,
                     expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Ask the supplier's written consent to pass received supplies to a third party."""
    return act_on_order(uow, user, number, Action.TRANSFER_REQUEST, F.TRANSFER_REQUESTED,
                        {"to": to, "lines": [{"line": n, "quantity": q} for n, q in lines],
                         "reason": reason},
                        on=on, expected_parent=expected_parent)


@use_case
def answer_transfer(uow: UnitOfWork, user: LocalUser, number: str, request_ref: str | None,
                    consent: bool, *, on: date | None = None,
                    expected_parent: object = ANY_PARENT) -> StoredEvent:
    state = order_state(uow, number)
    request = references.find_transfer(state, request_ref)
    return act_on_order(uow, user, number, Action.TRANSFER_CONSENT, F.TRANSFER_ANSWERED,
                        {"request": request, "answer": "consented" if consent else "refused"},
                        on=on, expected_parent=expected_parent)


@use_case
def record_transfer(uow: UnitOfWork, user: LocalUser, number: str,
                    request_ref: str | None = None, *, on: date | None = None,
                    expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Record the transfer itself; refused (``consent_missing``) without written consent."""
    state = order_state(uow, number)
    request = references.find_transfer(state, request_ref)
    return act_on_order(uow, user, number, Action.TRANSFER, F.TRANSFER_RECORDED,
                        {"request": request}, on=on, expected_parent=expected_parent)

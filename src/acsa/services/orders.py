"""Order use cases up to receipt: drafts, submission, answers, delivery, receipt, changes.

Each function is one use case: it finds the acting side and the role the
one permission table gives that side for the action, the unit the
appointment must cover, builds the event's data and records it. Settlement
use cases are in :mod:`acsa.services.settlement`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update

from acsa.domain import facts as F
from acsa.domain.agreement import AgreementProfile
from acsa.domain.ceilings import CountedOrder, check_ceilings
from acsa.domain.errors import InvalidValue, NotAppointed, NotAuthorized, UnknownReference
from acsa.domain.money import ExchangeRate, RateBook
from acsa.domain.order import check_eligibility, order_number, terms_from_data
from acsa.domain.parties import Role, Side
from acsa.domain.rules import Action, permission
from acsa.domain.state import OrderState
from acsa.services.admin import today
from acsa.services.recording import ANY_PARENT, Act, adopted_profile, order_state, record
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.store import tables as T
from acsa.store.log import StoredEvent, lock_stream


def side_of(state: OrderState, user: LocalUser) -> Side:
    side = state.side_of(user.party)
    if side is None:
        raise NotAuthorized(f"{user.party} is not a party to {state.number}", field="order")
    return side


def acting_unit(state: OrderState, side: Side) -> str | None:
    if state.terms is None:
        return None
    if side is Side.REQUESTER:
        return state.terms.requesting_unit
    if state.accepted is not None and state.accepted.supplying_unit:
        return state.accepted.supplying_unit
    return state.terms.supplying_unit


def role_for(uow: UnitOfWork, user: LocalUser, action: Action, side: Side, *,
             agreement: str, unit: str | None, on: date) -> Role:
    """The role in which ``user`` takes ``action``: the first the table allows that they hold."""
    row = permission(action, side)
    if row is None:
        raise NotAuthorized(f"the {side.value} never may {action.value}", field="action")
    roster = uow.context.roster(f"{agreement}/{uow.node.party}")
    for role in sorted(row.roles, key=lambda r: r.value):
        if roster.find(party=user.party, user=user.id, role=role, unit=unit, on=on):
            return role
    roles = " or ".join(sorted(r.value for r in row.roles))
    where = f" for unit {unit}" if unit else ""
    raise NotAppointed(f"{user.id} is not appointed as {roles}{where} on {on}", field="user")


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
) -> StoredEvent:
    """Record ``action`` on one order by ``user``, in the role and unit the rules give."""
    state = order_state(uow, number)
    profile = uow.context.profile(state.profile)
    side = side_of(state, user)
    on = on or today(uow, profile)
    unit = unit or acting_unit(state, side)
    role = role_for(uow, user, action, side, agreement=profile.id, unit=unit, on=on)
    return record(uow, user, Act(
        agreement=profile.id, type=type, subject=number, data=data, role=role, on=on,
        unit=unit, expected_parent=expected_parent,
    ))


# -- drafts and submission ------------------------------------------------------------


def save_draft(uow: UnitOfWork, user: LocalUser, terms: Mapping[str, Any], note: str = "",
               draft_id: int | None = None) -> int:
    """Keep an order being prepared. Drafts and their notes never leave this node."""
    agreement = terms.get("agreement")
    if not isinstance(agreement, str) or not agreement:
        raise InvalidValue("is required", field="agreement")
    adopted_profile(uow, agreement)
    now = uow.node.now_at()
    if draft_id is None:
        result = uow.conn.execute(insert(T.drafts).values(
            agreement=agreement, created_by=user.id, terms=json.dumps(dict(terms)), note=note,
            created_at=now, updated_at=now,
        ))
        return int(result.inserted_primary_key[0])  # type: ignore[index]
    draft = _draft(uow, draft_id)
    if draft.submitted_as:
        raise InvalidValue(f"draft {draft_id} was submitted as {draft.submitted_as}",
                           field="draft")
    uow.conn.execute(update(T.drafts).where(T.drafts.c.id == draft_id)
                     .values(terms=json.dumps(dict(terms)), note=note, updated_at=now))
    return draft_id


def _draft(uow: UnitOfWork, draft_id: int) -> Any:
    row = uow.conn.execute(select(T.drafts).where(T.drafts.c.id == draft_id)).first()
    if row is None:
        raise UnknownReference(f"no draft {draft_id}", field="draft")
    return row


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


def counted_orders(uow: UnitOfWork, agreement: str) -> list[CountedOrder]:
    """Every accepted order of ``agreement``, as ceilings count them."""
    rows = uow.conn.execute(
        select(T.orders.c.number, T.orders.c.accepted_on)
        .where(T.orders.c.agreement == agreement, T.orders.c.accepted_on.is_not(None))
    ).all()
    out = []
    for row in rows:
        state = order_state(uow, row.number)
        if state.terms is not None:
            out.append(CountedOrder(row.number, state.terms, row.accepted_on))
    return out


def rate_book(uow: UnitOfWork, agreement: str) -> RateBook:
    rows = uow.conn.execute(select(T.rates).where(T.rates.c.agreement == agreement)).all()
    return RateBook(tuple(ExchangeRate(r.on, r.base, r.quote, Decimal(r.rate)) for r in rows))


def check_order_ceilings(uow: UnitOfWork, profile: AgreementProfile, state_terms: Any,
                         number: str, on: date) -> None:
    if not profile.ceilings:
        return
    check_ceilings(profile, CountedOrder(number, state_terms, on),
                   counted_orders(uow, profile.id), rate_book(uow, profile.id))


def submit_order(uow: UnitOfWork, user: LocalUser, terms: Mapping[str, Any], *,
                 on: date | None = None, draft_id: int | None = None) -> StoredEvent:
    """Sign and submit an order: it is numbered now and the supplier sees it."""
    agreement = terms.get("agreement")
    if not isinstance(agreement, str):
        raise InvalidValue("is required", field="agreement")
    profile = adopted_profile(uow, agreement)
    data = dict(terms)
    data.setdefault("requester", user.party)
    if data["requester"] != user.party:
        raise NotAuthorized(f"{user.party} submits its own orders only", field="requester")
    on = on or today(uow, profile)
    parsed = terms_from_data(data, profile)
    check_eligibility(parsed, profile, on)
    number = next_number(uow, profile, on, emergency=False)
    check_order_ceilings(uow, profile, parsed, number, on)
    event = record(uow, user, Act(
        agreement=agreement, type=F.ORDER_SUBMITTED, subject=number,
        data={"terms": parsed.as_data()}, role=Role.ORDERING_OFFICIAL, on=on,
        unit=parsed.requesting_unit,
    ))
    if draft_id is not None:
        uow.conn.execute(update(T.drafts).where(T.drafts.c.id == draft_id)
                         .values(submitted_as=number))
    return event


def record_emergency(uow: UnitOfWork, user: LocalUser, terms: Mapping[str, Any], *,
                     requested_by: str, on: date | None = None) -> StoredEvent:
    """Record an oral or radio request at once, numbered in this (the supplier's) range."""
    agreement = terms.get("agreement")
    if not isinstance(agreement, str):
        raise InvalidValue("is required", field="agreement")
    profile = adopted_profile(uow, agreement)
    data = dict(terms)
    data.setdefault("supplier", user.party)
    if data["supplier"] != user.party:
        raise NotAuthorized("an emergency order is recorded by its supplier", field="supplier")
    on = on or today(uow, profile)
    parsed = terms_from_data(data, profile)
    check_eligibility(parsed, profile, on)
    if not requested_by.strip():
        raise InvalidValue("say who asked, and how (radio, telephone …)", field="requested_by")
    number = next_number(uow, profile, on, emergency=True)
    return record(uow, user, Act(
        agreement=agreement, type=F.ORDER_EMERGENCY_RECORDED, subject=number,
        data={"terms": parsed.as_data(), "requested_by": requested_by},
        role=Role.APPROVING_OFFICIAL, on=on, unit=parsed.supplying_unit,
    ))


def confirm_emergency(uow: UnitOfWork, user: LocalUser, number: str, *, on: date | None = None,
                      expected_parent: object = ANY_PARENT) -> StoredEvent:
    state = order_state(uow, number)
    return act_on_order(uow, user, number, Action.CONFIRM_EMERGENCY, F.ORDER_EMERGENCY_CONFIRMED,
                        {"version": state.version}, on=on, expected_parent=expected_parent)


# -- before acceptance -------------------------------------------------------------------


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


def confirm(uow: UnitOfWork, user: LocalUser, number: str, *, on: date | None = None,
            expected_parent: object = ANY_PARENT) -> StoredEvent:
    state = order_state(uow, number)
    if state.proposal is None:
        raise InvalidValue(f"{number} has no proposal to confirm", field="order")
    return act_on_order(uow, user, number, Action.CONFIRM, F.ORDER_CONFIRMED,
                        {"proposal": state.proposal.id}, on=on, expected_parent=expected_parent)


def withdraw(uow: UnitOfWork, user: LocalUser, number: str, *, reason: str,
             on: date | None = None, expected_parent: object = ANY_PARENT) -> StoredEvent:
    return act_on_order(uow, user, number, Action.WITHDRAW, F.ORDER_WITHDRAWN,
                        {"reason": reason}, on=on, expected_parent=expected_parent)


def accept(uow: UnitOfWork, user: LocalUser, number: str, *, supplying_unit: str | None = None,
           on: date | None = None, expected_parent: object = ANY_PARENT) -> StoredEvent:
    """The approving official signs the version the requester signed: the order binds."""
    state = order_state(uow, number)
    profile = uow.context.profile(state.profile)
    on = on or today(uow, profile)
    unit = supplying_unit or (state.terms.supplying_unit if state.terms else None)
    if not unit:
        units = sorted(user.units)
        if len(units) != 1:
            raise InvalidValue("name the supplying unit", field="supplying_unit")
        unit = units[0]
    assert state.terms is not None
    check_order_ceilings(uow, profile, state.terms, number, on)
    return act_on_order(uow, user, number, Action.ACCEPT, F.ORDER_ACCEPTED,
                        {"version": state.version, "supplying_unit": unit}, on=on,
                        expected_parent=expected_parent, unit=unit)


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


def deliver(uow: UnitOfWork, user: LocalUser, number: str, lines: Sequence[tuple[int, str]], *,
            evidence: Sequence[Mapping[str, Any]] = (), note: str = "", on: date | None = None,
            expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Record a delivery (or performance), priced on the agreement's pricing date."""
    state = order_state(uow, number)
    profile = uow.context.profile(state.profile)
    on = on or today(uow, profile)
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
                        on=on, expected_parent=expected_parent)


def find_delivery(state: OrderState, ref: str) -> str:
    """A delivery by its 1-based position on the order or a prefix of its hash."""
    if ref.isdigit() and 0 < int(ref) <= len(state.deliveries):
        return state.deliveries[int(ref) - 1].id
    matches = [d.id for d in state.deliveries if d.id.startswith(ref)]
    if len(matches) != 1:
        raise UnknownReference(f"no delivery {ref!r} on {state.number}", field="delivery")
    return matches[0]


def receive(uow: UnitOfWork, user: LocalUser, number: str, delivery: str, *,
            lines: Sequence[tuple[int, str, str]] | None = None,
            evidence: Sequence[Mapping[str, Any]] = (), note: str = "",
            on: date | None = None, expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Acknowledge a delivery: ``lines`` as (line, received, damaged); all of it by default."""
    state = order_state(uow, number)
    delivery_id = find_delivery(state, delivery)
    found = state.delivery(delivery_id)
    assert found is not None
    if lines is None:
        lines = [(d.line, str(d.quantity), "0") for d in found.lines]
    data_lines = [{"line": n, "quantity": q, "damaged": dmg} for n, q, dmg in lines]
    return act_on_order(uow, user, number, Action.RECEIVE, F.RECEIPT_RECORDED,
                        {"delivery": delivery_id, "lines": data_lines,
                         "evidence": list(evidence), "note": note},
                        on=on, expected_parent=expected_parent)

"""Order use cases up to settlement: drafts, submission, answers, delivery, receipt,
disputes, changes to what both signed, third-party transfers; and reading orders.

Each function is one use case: it finds the acting side and the role the
one permission table gives that side for the action, the unit the
appointment must cover, builds the event's data and records it. Settlement
use cases are in :mod:`acsa.services.settlement`.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import insert, select, update

from acsa.domain import facts as F
from acsa.domain.agreement import AgreementProfile
from acsa.domain.ceilings import CountedOrder, check_ceilings
from acsa.domain.errors import (
    InvalidValue,
    MissingField,
    NotAppointed,
    NotAuthorized,
    UnknownReference,
)
from acsa.domain.figures import accounts, delivered, in_kind_due_on, owed_in_kind, received
from acsa.domain.figures import status as figure_status
from acsa.domain.money import ExchangeRate, Money, RateBook, decimal_text
from acsa.domain.order import check_eligibility, order_number, terms_from_data
from acsa.domain.order import terms_problems as order_terms_problems
from acsa.domain.parties import Role, Side
from acsa.domain.rules import Action, permission
from acsa.domain.state import OrderState
from acsa.services.recording import (
    ANY_PARENT,
    Act,
    Recorded,
    adopted_profile,
    order_state,
    record,
)
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser
from acsa.store import tables as T
from acsa.store.log import StoredEvent, fact_from_document, lock_stream


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
    raise NotAppointed(f"{user.id} is not appointed as {roles}{where} on {on}", field="user",
                       user=user.id, role=roles, unit=unit, date=on)


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
    on = on or uow.node.today(profile)
    unit = unit or acting_unit(state, side) or own_unit(uow, user, action, side,
                                                         agreement=profile.id, on=on)
    role = role_for(uow, user, action, side, agreement=profile.id, unit=unit, on=on)
    return record(uow, user, Act(
        agreement=profile.id, type=type, subject=number, data=data, role=role, on=on,
        unit=unit, expected_parent=expected_parent,
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
    roster = uow.context.roster(f"{agreement}/{uow.node.party}")
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


def draft_terms(uow: UnitOfWork, draft_id: int) -> dict[str, Any]:
    """The terms kept in a draft not yet submitted."""
    draft = _draft(uow, draft_id)
    if draft.submitted_as:
        raise InvalidValue(f"draft {draft_id} was submitted as {draft.submitted_as}",
                           field="draft")
    terms = json.loads(draft.terms)
    if not isinstance(terms, dict):
        raise InvalidValue(f"draft {draft_id} holds no terms", field="draft")
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


def order_form_problems(uow: UnitOfWork, user: LocalUser, terms: Mapping[str, Any], *,
                        emergency: bool = False) -> list[tuple[str, str]]:
    """Every problem a form can show at once before :func:`submit_order` (or
    :func:`record_emergency`) would stop at the first: missing elements and bad lines."""
    agreement = terms.get("agreement")
    if not isinstance(agreement, str) or not agreement:
        return [("agreement", "is required")]
    data = with_activity_type(uow, terms)
    data.setdefault("supplier" if emergency else "requester", user.party)
    return order_terms_problems(data, adopted_profile(uow, agreement))


@use_case
def submit_order(uow: UnitOfWork, user: LocalUser, terms: Mapping[str, Any], *,
                 on: date | None = None, draft_id: int | None = None) -> StoredEvent:
    """Sign and submit an order: it is numbered now and the supplier sees it."""
    agreement = terms.get("agreement")
    if not isinstance(agreement, str):
        raise InvalidValue("is required", field="agreement")
    profile = adopted_profile(uow, agreement)
    data = with_activity_type(uow, terms)
    data.setdefault("requester", user.party)
    if data["requester"] != user.party:
        raise NotAuthorized(f"{user.party} submits its own orders only", field="requester")
    on = on or uow.node.today(profile)
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


@use_case
def record_emergency(uow: UnitOfWork, user: LocalUser, terms: Mapping[str, Any], *,
                     requested_by: str, on: date | None = None) -> StoredEvent:
    """Record an oral or radio request at once, numbered in this (the supplier's) range."""
    agreement = terms.get("agreement")
    if not isinstance(agreement, str):
        raise InvalidValue("is required", field="agreement")
    profile = adopted_profile(uow, agreement)
    data = with_activity_type(uow, terms)
    data.setdefault("supplier", user.party)
    if data["supplier"] != user.party:
        raise NotAuthorized("an emergency order is recorded by its supplier", field="supplier")
    on = on or uow.node.today(profile)
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
        raise InvalidValue(f"{number} has no proposal to confirm", field="order")
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
        raise InvalidValue("name the supplying unit", field="supplying_unit")
    assert state.terms is not None
    check_order_ceilings(uow, profile, state.terms, number, on)
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
            expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Record a delivery (or performance), priced on the agreement's pricing date."""
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
                        on=on, expected_parent=expected_parent)


def find_delivery(state: OrderState, ref: str) -> str:
    """A delivery by its 1-based position on the order or a prefix of its hash."""
    if ref.isdigit() and 0 < int(ref) <= len(state.deliveries):
        return state.deliveries[int(ref) - 1].id
    matches = [d.id for d in state.deliveries if d.id.startswith(ref)]
    if len(matches) != 1:
        raise UnknownReference(f"no delivery {ref!r} on {state.number}", field="delivery")
    return matches[0]


@use_case
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


# -- evidence ----------------------------------------------------------------------------------

# The same bound the federation applies to a file carried in a bundle: a file
# this node accepts must be one its peer will accept.
EVIDENCE_FILE_SIZE_MAX = 25 * 1024 * 1024


@use_case
def store_evidence(uow: UnitOfWork, name: str, content: bytes,
                   media_type: str | None = None) -> dict[str, Any]:
    """Keep an evidence file (delivery ticket, photo …) and return what the event cites of it.

    The bytes go into ``evidence_files`` in the caller's transaction, so a
    refused act keeps no orphan file; the event fixes the file by its hash.
    """
    if len(content) > EVIDENCE_FILE_SIZE_MAX:
        raise InvalidValue(f"{name} is larger than {EVIDENCE_FILE_SIZE_MAX} bytes",
                           field="evidence")
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not base:
        raise InvalidValue("an evidence file needs a name", field="evidence")
    media_type = media_type or mimetypes.guess_type(base)[0] or "application/octet-stream"
    digest = hashlib.sha256(content).hexdigest()
    exists = uow.conn.execute(
        select(T.evidence_files.c.sha256).where(T.evidence_files.c.sha256 == digest)
    ).first()
    if exists is None:
        uow.conn.execute(insert(T.evidence_files).values(
            sha256=digest, name=base[:200], media_type=media_type[:100], size=len(content),
            content=content, added_at=uow.node.now_at(),
        ))
    return {"sha256": digest, "name": base[:200], "media_type": media_type[:100],
            "size": len(content)}


# -- references -------------------------------------------------------------------------------

_Item = TypeVar("_Item")


def _pick(items: Sequence[_Item], ref: str, key: Callable[[_Item], str], *, what: str,
          number: str, field: str) -> _Item:
    """An item by 1-based position or by a unique prefix of its event hash."""
    ref = ref.strip()
    if ref.isdigit() and 0 < int(ref) <= len(items):
        return items[int(ref) - 1]
    matches = [x for x in items if ref and key(x).startswith(ref.lower())]
    if len(matches) == 1:
        return matches[0]
    more = " (several match: give more of the hash)" if matches else ""
    raise UnknownReference(f"no {what} {ref!r} on {number}{more}", field=field)


def find_invoice(state: OrderState, ref: str, *, field: str = "invoice") -> str:
    """An invoice by its number, its 1-based position on the order or a prefix of its hash."""
    for invoice in state.invoices:
        if invoice.number == ref.strip():
            return invoice.id
    return _pick(state.invoices, ref, lambda i: i.id, what="invoice", number=state.number,
                 field=field).id


def find_dispute(state: OrderState, ref: str | None, *, field: str = "dispute") -> str:
    """A dispute by position or hash prefix; with no reference, the one open dispute."""
    if ref is None:
        open_ = [d for d in state.disputes if d.open]
        if len(open_) != 1:
            raise MissingField(f"{state.number} has {len(open_)} open disputes: name one",
                               field=field)
        return open_[0].id
    return _pick(state.disputes, ref, lambda d: d.id, what="dispute", number=state.number,
                 field=field).id


def find_resolution(state: OrderState, dispute: str, ref: str | None, *,
                    field: str = "proposal") -> str:
    """A proposed resolution of ``dispute``; with no reference, its latest one."""
    found = state.dispute(dispute)
    assert found is not None
    if ref is None:
        if not found.proposals:
            raise MissingField("no resolution of that dispute has been proposed", field=field)
        return found.proposals[-1].id
    return _pick(found.proposals, ref, lambda p: p.id, what="proposed resolution",
                 number=state.number, field=field).id


def find_request(state: OrderState, ref: str | None, *, field: str = "request") -> str:
    """A change request by position or hash prefix; with no reference, the one pending."""
    if ref is None:
        pending = [c for c in state.changes if c.pending]
        if len(pending) != 1:
            raise MissingField(f"{state.number} has {len(pending)} pending requests: name one",
                               field=field)
        return pending[0].id
    return _pick(state.changes, ref, lambda c: c.id, what="request", number=state.number,
                 field=field).id


def find_return(state: OrderState, ref: str | None, *, field: str = "return") -> str:
    if ref is None:
        waiting = [r for r in state.returns if r.answer is None]
        if len(waiting) != 1:
            raise MissingField(f"{state.number} has {len(waiting)} returns awaiting an answer: "
                               "name one", field=field)
        return waiting[0].id
    return _pick(state.returns, ref, lambda r: r.id, what="return", number=state.number,
                 field=field).id


def find_transfer(state: OrderState, ref: str | None, *, field: str = "request") -> str:
    if ref is None:
        if len(state.transfers) != 1:
            raise MissingField(f"{state.number} has {len(state.transfers)} transfer requests: "
                               "name one", field=field)
        return state.transfers[0].id
    return _pick(state.transfers, ref, lambda t: t.id, what="transfer request",
                 number=state.number, field=field).id


def _about(state: OrderState, ref: str) -> str:
    """What a dispute concerns: ``delivery:REF``, ``invoice:REF``, an invoice number, a
    delivery's position, or a unique hash prefix among deliveries and invoices."""
    if ref.startswith("delivery:"):
        return find_delivery(state, ref.removeprefix("delivery:"))
    if ref.startswith("invoice:"):
        return find_invoice(state, ref.removeprefix("invoice:"), field="about")
    for invoice in state.invoices:
        if invoice.number == ref:
            return invoice.id
    if ref.isdigit() and 0 < int(ref) <= len(state.deliveries):
        return state.deliveries[int(ref) - 1].id
    ids = [d.id for d in state.deliveries] + [i.id for i in state.invoices]
    matches = [i for i in ids if ref and i.startswith(ref.lower())]
    if len(matches) != 1:
        raise UnknownReference(f"no delivery or invoice {ref!r} on {state.number}",
                               field="about")
    return matches[0]


def statuses_after(uow: UnitOfWork, event: StoredEvent, numbers: Sequence[str]
                   ) -> dict[str, str]:
    """The status of each order an act acted on, as the act left it."""
    states = event.states if isinstance(event, Recorded) else {}
    return {n: figure_status(states[n], uow.context.profile(states[n].profile)).value
            if n in states else status_of(uow, n) for n in numbers}


def status_of(uow: UnitOfWork, number: str) -> str:
    """The order's status as the projection holds it now."""
    found = uow.conn.execute(
        select(T.orders.c.status).where(T.orders.c.number == number)
    ).scalar_one_or_none()
    return str(found) if found is not None else "unknown"


# -- changed terms ------------------------------------------------------------------------------


def term_changes(state: OrderState, *, quantities: Mapping[int, str] | None = None,
                 prices: Mapping[int, str] | None = None, needed_by: str | None = None,
                 deliver_to: str | None = None, remarks: str | None = None,
                 add_lines: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The changes of a proposal or an amendment, as ``propose`` and ``request_change`` take.

    Quantities and prices are given per line number; added lines are numbered
    after the last line. Nothing else of the terms can change once submitted.
    """
    assert state.terms is not None
    changes: dict[str, Any] = {}
    quantities = quantities or {}
    prices = prices or {}
    known = {ln.no for ln in state.terms.lines}
    for key, per_line in (("quantity", quantities), ("unit_price", prices)):
        for no in per_line:
            if no not in known:
                raise InvalidValue(f"{state.number} has no line {no}", field=key)
    if quantities or prices or add_lines:
        lines = []
        for ln in state.terms.lines:
            data = ln.as_data()
            if ln.no in quantities:
                data["quantity"] = quantities[ln.no]
            if ln.no in prices:
                data["unit_price"] = prices[ln.no]
            lines.append(data)
        next_no = max(known, default=0) + 1
        for i, extra in enumerate(add_lines):
            lines.append({**extra, "no": next_no + i})
        changes["lines"] = lines
    if needed_by is not None:
        changes["needed_by"] = needed_by
    if deliver_to is not None:
        changes["deliver_to"] = deliver_to
    if remarks is not None:
        changes["remarks"] = remarks
    if not changes:
        raise MissingField("say what changes: quantities, prices, dates, place or lines",
                           field="changes")
    return changes


# -- disputes -----------------------------------------------------------------------------------


@use_case
def open_dispute(uow: UnitOfWork, user: LocalUser, number: str, *, reason: str,
                 about: str | None = None, on: date | None = None,
                 expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Either side disputes a delivery, a receipt or an invoice; resolved only by both."""
    state = order_state(uow, number)
    data: dict[str, Any] = {"reason": reason}
    if about:
        data["about"] = _about(state, about)
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
    dispute = find_dispute(state, dispute_ref)
    data_adjustments = [
        {"delivery": find_delivery(state, delivery), "line": line, "quantity": quantity}
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
    dispute = find_dispute(state, dispute_ref)
    proposal = find_resolution(state, dispute, proposal_ref)
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
        raise InvalidValue(f"{kind!r} is not amend, close_short or cancel", field="kind")
    kind = kind.replace("-", "_")
    data: dict[str, Any] = {"kind": kind, "reason": reason}
    if action is Action.AMEND:
        if not changes:
            raise MissingField("an amendment says what changes", field="changes")
        state = order_state(uow, number)
        assert state.terms is not None
        data["terms"] = {**state.terms.as_data(), **changes}
    elif changes:
        raise InvalidValue(f"a {kind} request carries no changed terms", field="changes")
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
    request = find_request(state, request_ref)
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
    request = find_transfer(state, request_ref)
    return act_on_order(uow, user, number, Action.TRANSFER_CONSENT, F.TRANSFER_ANSWERED,
                        {"request": request, "answer": "consented" if consent else "refused"},
                        on=on, expected_parent=expected_parent)


@use_case
def record_transfer(uow: UnitOfWork, user: LocalUser, number: str,
                    request_ref: str | None = None, *, on: date | None = None,
                    expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Record the transfer itself; refused (``consent_missing``) without written consent."""
    state = order_state(uow, number)
    request = find_transfer(state, request_ref)
    return act_on_order(uow, user, number, Action.TRANSFER, F.TRANSFER_RECORDED,
                        {"request": request}, on=on, expected_parent=expected_parent)


# -- reading ------------------------------------------------------------------------------------

def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def state_after(event: StoredEvent, number: str) -> OrderState | None:
    """``number`` as the act that recorded ``event`` left it, if the act says."""
    return event.states.get(number) if isinstance(event, Recorded) else None


def show_order(uow: UnitOfWork, number: str, state: OrderState | None = None
               ) -> dict[str, Any]:
    """Everything recorded about one order, as plain data, with its timeline of events.

    ``state`` is the order as an act just left it; without it the order is folded.
    """
    state = state or order_state(uow, number)
    terms = state.terms
    assert terms is not None  # order_state refuses an order without terms
    profile = uow.context.profile(state.profile)
    cur = state.currency

    def money(minor: int) -> str:
        return Money(cur, minor).text()

    acc = accounts(state, profile)
    head = uow.conn.execute(
        select(T.orders.c.head).where(T.orders.c.number == number)
    ).scalar_one_or_none()
    return {
        "number": number,
        "agreement": profile.id,
        "profile": state.profile,
        "status": figure_status(state, profile).value,
        "version": state.version,
        "emergency": state.emergency,
        "head": head,
        "terms": terms.as_data(),
        "submitted": {"on": _iso(state.submitted_on), "by": state.submitted_by},
        "proposal": None if state.proposal is None else {
            "id": state.proposal.id, "on": _iso(state.proposal.on),
            "reason": state.proposal.reason, "terms": state.proposal.terms.as_data(),
        },
        "accepted": None if state.accepted is None else {
            "id": state.accepted.id, "on": _iso(state.accepted.on),
            "supplying_unit": state.accepted.supplying_unit,
        },
        "rejected": None if state.rejected_on is None else {
            "on": _iso(state.rejected_on), "reason": state.rejection_reason,
        },
        "withdrawn_on": _iso(state.withdrawn_on),
        "cancelled_on": _iso(state.cancelled_on),
        "closed_short_on": _iso(state.closed_short_on),
        "emergency_confirmation": None if not state.emergency else {
            "due_on": _iso(state.emergency_confirmation_due),
            "confirmed_on": _iso(state.emergency_confirmed_on),
        },
        "figures": {
            "currency": cur,
            "value": terms.value().text(),
            "commitment": money(acc.commitment), "receivable": money(acc.receivable),
            "in_kind": money(acc.in_kind), "invoiced": money(acc.invoiced),
            "settled": money(acc.settled), "written_off": money(acc.written_off),
            "outstanding": money(acc.outstanding),
            "in_kind_due_on": _iso(in_kind_due_on(state, profile)),
            "lines": [
                {"line": ln.no, "ordered": decimal_text(ln.quantity),
                 "delivered": decimal_text(delivered(state, ln.no)),
                 "received": decimal_text(received(state, ln.no)),
                 "owed_in_kind": decimal_text(owed_in_kind(state, ln.no, profile))}
                for ln in terms.lines
            ],
        },
        "deliveries": [_delivery(state, i, d) for i, d in enumerate(state.deliveries, 1)],
        "receipts": [
            {"id": r.id, "delivery": r.delivery, "on": _iso(r.on), "note": r.note,
             "lines": [{"line": x.line, "quantity": decimal_text(x.quantity),
                        "damaged": decimal_text(x.damaged)} for x in r.lines],
             "evidence": [_evidence(e) for e in r.evidence]}
            for r in state.receipts
        ],
        "invoices": [
            {"position": i, "id": inv.id, "number": inv.number, "kind": inv.kind,
             "on": _iso(inv.on), "due_on": _iso(inv.due_on), "total": money(inv.total),
             "outstanding": money(inv.outstanding), "credited": money(inv.credited),
             "paid": money(inv.paid), "written_off": money(inv.written_off),
             "offset": money(inv.offset), "moved": money(inv.moved), "live": inv.live,
             "voided_on": _iso(inv.voided_on), "reference": inv.reference,
             "replaces": inv.replaces,
             "lines": [{"delivery": x.delivery, "line": x.line,
                        "quantity": decimal_text(x.quantity),
                        "unit_price": decimal_text(x.unit_price), "amount": money(x.amount)}
                       for x in inv.lines]}
            for i, inv in enumerate(state.invoices, 1)
        ],
        "payments": [
            {"payment": p.payment, "invoice": p.invoice, "amount": money(p.amount),
             "on": _iso(p.on), "reference": p.reference,
             "received": None if p.received is None else money(p.received),
             "confirmed_on": _iso(p.confirmed_on)}
            for p in state.payments
        ],
        "returns": [
            {"position": i, "id": r.id, "on": _iso(r.on), "description": r.description,
             "lines": [{"line": x.line, "quantity": decimal_text(x.quantity)} for x in r.lines],
             "answer": r.answer, "answered_on": _iso(r.answered_on),
             "evidence": [_evidence(e) for e in r.evidence]}
            for i, r in enumerate(state.returns, 1)
        ],
        "conversions": [
            {"position": i, "id": c.id, "on": _iso(c.on), "amount": money(c.amount),
             "in_kind_value": money(c.in_kind_value),
             "lines": [{"line": x.line, "quantity": decimal_text(x.quantity),
                        "unit_price": decimal_text(x.unit_price), "amount": money(x.amount)}
                       for x in c.lines]}
            for i, c in enumerate(state.conversions, 1)
        ],
        "exchanges": [
            {"exchange": x.exchange, "proposed_by": x.proposed_by.value,
             "proposed_on": _iso(x.proposed_on), "value": money(x.value),
             "to_cash": money(x.to_cash), "signed_on": _iso(x.signed_on)}
            for x in state.exchanges
        ],
        "offsets": [
            {"offset": o.offset, "invoice": o.invoice, "amount": money(o.amount),
             "proposed_by": o.proposed_by.value, "as_of": _iso(o.as_of),
             "signed_on": _iso(o.signed_on)}
            for o in state.offsets
        ],
        "changes": [
            {"position": i, "id": c.id, "kind": c.kind, "side": c.side.value, "on": _iso(c.on),
             "reason": c.reason, "terms": c.terms.as_data() if c.terms else None,
             "answer": c.answer, "answered_on": _iso(c.answered_on),
             "from_withdrawal": c.from_withdrawal}
            for i, c in enumerate(state.changes, 1)
        ],
        "disputes": [
            {"position": i, "id": d.id, "side": d.side.value, "on": _iso(d.on),
             "reason": d.reason, "about": d.about, "open": d.open,
             "resolved_by": d.resolved_by, "resolved_on": _iso(d.resolved_on),
             "proposals": [
                 {"position": j, "id": p.id, "side": p.side.value, "on": _iso(p.on),
                  "resolution": p.text,
                  "adjustments": [{"delivery": a.delivery, "line": a.line,
                                   "quantity": decimal_text(a.quantity)}
                                  for a in p.adjustments]}
                 for j, p in enumerate(d.proposals, 1)
             ]}
            for i, d in enumerate(state.disputes, 1)
        ],
        "transfers": [
            {"position": i, "id": t.id, "to": t.to, "on": _iso(t.on), "reason": t.reason,
             "lines": [{"line": x.line, "quantity": decimal_text(x.quantity)} for x in t.lines],
             "answer": t.answer, "answered_on": _iso(t.answered_on), "done_on": _iso(t.done_on)}
            for i, t in enumerate(state.transfers, 1)
        ],
        "timeline": timeline(uow, number, state),
    }


def _evidence(e: Any) -> dict[str, Any]:
    return {"sha256": e.sha256, "name": e.name, "media_type": e.media_type, "size": e.size}


def _delivery(state: OrderState, position: int, d: Any) -> dict[str, Any]:
    receipt = state.receipt_for(d.id)
    return {
        "position": position, "id": d.id, "on": _iso(d.on), "note": d.note,
        "lines": [{"line": x.line, "quantity": decimal_text(x.quantity),
                   "unit_price": decimal_text(x.unit_price)} for x in d.lines],
        "evidence": [_evidence(e) for e in d.evidence],
        "receipt": receipt.id if receipt else None,
    }


def timeline(uow: UnitOfWork, number: str, state: OrderState) -> list[dict[str, Any]]:
    """Every event of the order in arrival order, with who acted, the key that signed it and
    the verdict on it."""
    verdicts = {v.event: v for v in state.verdicts}
    e = T.events.c
    rows = uow.conn.execute(
        select(e.hash, e.envelope, e.key, e.origin)
        .join(T.event_orders, T.event_orders.c.event_id == e.id)
        .where(T.event_orders.c.order_number == number)
        .order_by(e.id)
    ).all()
    out = []
    for row in rows:
        fact = fact_from_document(json.loads(row.envelope), row.hash)
        v = verdicts.get(row.hash)
        out.append({
            "hash": row.hash, "type": fact.type, "subject": fact.subject, "at": fact.at,
            "on": fact.data.get("on"), "seq": fact.seq, "stream": fact.stream,
            "parent": fact.parent_for(number), "origin": row.origin,
            "actor": {"user": fact.actor.user, "name": fact.actor.name,
                      "role": fact.actor.role.value, "party": fact.actor.party,
                      "unit": fact.actor.unit, "paper": fact.actor.paper},
            "signer": fact.signer, "key": row.key,
            "verdict": {"effective": v.effective if v else False,
                        "code": v.code if v else "", "reason": v.reason if v else "",
                        "note": v.note if v else ""},
        })
    return out

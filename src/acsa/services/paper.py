"""A partner without a node: its steps recorded here from signed paper or scanned forms.

When an agreement's profile says a party signs on paper (``signs = "paper"``),
this node records that party's steps in its own stream:

- the partner's written appointments, published in this node's stream with
  the partner as party (:func:`appoint_paper_official`), so the authority of
  each paper signature is checked exactly like a node's;
- each step with ``actor.paper = true``, the signed form attached as
  evidence (fixed by its SHA-256 in the signed event) and the local official
  who attests the copy named in ``data.attested_by``
  (:func:`record_paper_step`). The domain (``interpret.check_signer``)
  refuses a paper step for a party that runs its own node, or without
  evidence, identically on every node.

When the partner later joins with a node (it becomes a registered peer), its
node receives the whole record, paper steps included, and takes over: from
then on this node refuses to record further paper steps for it.

The command line (``acsa paper``), the API (``/api/v1/paper-appointments``,
``/api/v1/orders/{number}/paper/{step}``) and the pages reach these through
:func:`appoint_from_letter` and :func:`record_from_form`: the steps of
:data:`STEPS`, each built from a few fields as the partner's form states them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from acsa.domain import facts as F
from acsa.domain import references
from acsa.domain.agreement import AgreementProfile
from acsa.domain.errors import (
    N_,
    InvalidValue,
    MissingField,
    NotAppointed,
    NotAuthorized,
    UnknownReference,
)
from acsa.domain.money import Money, minor_units
from acsa.domain.parties import Role, Side, check_identifier
from acsa.domain.rules import Action, Status, permission
from acsa.domain.state import OrderState
from acsa.services import evidence as evidence_files
from acsa.services import need_to_know, queries
from acsa.services.orders import catalogue_price
from acsa.services.recording import (
    ANY_PARENT,
    Act,
    adopted_profile,
    order_state,
    record,
    stream_of,
)
from acsa.services.registry import list_appointments
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser
from acsa.store import tables as T
from acsa.store.log import StoredEvent

EVIDENCE_BYTES_MAX = evidence_files.EVIDENCE_FILE_SIZE_MAX


def other_party(profile: AgreementProfile, me: str) -> str:
    """The party to ``profile`` that is not ``me`` (an agreement has two)."""
    others = [code for code in profile.party_codes if code != me]
    return others[0] if others else ""


def _paper_partner(uow: UnitOfWork, agreement: str, party: str) -> None:
    profile = adopted_profile(uow, agreement)
    if party not in profile.party_codes or party == uow.node.party:
        raise InvalidValue(
            N_("%(party)s is not the other party to %(agreement)s"),
            field="party", party=party, agreement=agreement,
        )
    if profile.party(party).signs != "paper":
        raise InvalidValue(
            N_("%(party)s signs with its own node under %(agreement)s"),
            field="party", party=party, agreement=agreement,
        )
    peer = uow.conn.execute(select(T.peers.c.party).where(T.peers.c.party == party)).first()
    if peer is not None:
        raise InvalidValue(
            N_("%(party)s now runs its own node, which records its steps"),
            field="party", party=party,
        )


@use_case
def attach_evidence(uow: UnitOfWork, name: str, media_type: str | None, content: bytes
                    ) -> dict[str, Any]:
    """Keep a scanned form; returns the evidence reference events carry."""
    if not content or len(content) > EVIDENCE_BYTES_MAX:
        raise InvalidValue(
            N_("the signed form is empty or larger than %(limit)s bytes"),
            field="evidence", limit=EVIDENCE_BYTES_MAX,
        )
    return evidence_files.store_evidence(uow, name, content, media_type)


def held_form(uow: UnitOfWork, ref: Mapping[str, Any]) -> dict[str, Any]:
    """A form already uploaded (``attach_evidence``, ``POST /evidence``), cited as this node
    holds it: a file it does not hold, or an empty one, is no signed form."""
    sha = str(ref.get("sha256", "")).strip().lower()
    row = uow.conn.execute(select(T.evidence_files).where(
        T.evidence_files.c.sha256 == sha)).first()
    if row is None:
        raise UnknownReference(N_("no such evidence file on this node: upload it first"),
                               field="evidence")
    if not row.size:
        raise InvalidValue(N_("the signed form is empty or larger than %(limit)s bytes"),
                           field="evidence", limit=EVIDENCE_BYTES_MAX)
    return {"sha256": row.sha256, "name": row.name, "media_type": row.media_type,
            "size": int(row.size)}


def _role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise InvalidValue(N_("'%(role)s' is not a role"), field="role", role=text) from None


def _limits(limits: Mapping[str, str] | None) -> dict[str, int] | None:
    """Signing limits per currency as minor units; ``None``: no limit."""
    if not limits:
        return None
    out = {}
    for currency, text in limits.items():
        minor_units(currency)
        amount = Money.parse(text, currency, field=f"limits.{currency}")
        if amount.minor <= 0:
            raise InvalidValue(N_("must be more than zero"), field=f"limits.{currency}")
        out[currency] = amount.minor
    return out


@use_case
def appoint_paper_official(uow: UnitOfWork, admin: LocalUser, *, agreement: str, party: str,
                           user_id: str, name: str, role: str, units: Sequence[str] = (),
                           valid_from: date, evidence: Mapping[str, Any],
                           valid_to: date | None = None,
                           limits: Mapping[str, str] | None = None) -> StoredEvent:
    """Publish a paper partner's written appointment, with the letter as evidence."""
    admin.require(Role.ADMINISTRATOR)
    _paper_partner(uow, agreement, party)
    profile = adopted_profile(uow, agreement)
    parsed = _role(role)
    if not name.strip():
        raise MissingField(N_("is required"), field="name")
    if valid_to is not None and valid_to < valid_from:
        raise InvalidValue(N_("cannot end before it starts"), field="valid_to")
    return record(uow, admin, Act(
        agreement=agreement, type=F.APPOINTMENT_GRANTED, subject=user_id,
        data={"party": party, "user": check_identifier(user_id, field="user"),
              "name": name.strip(), "role": parsed.value,
              "units": sorted({u.strip() for u in units if u.strip()}),
              "limits": _limits(limits), "valid_from": valid_from.isoformat(),
              "valid_to": valid_to.isoformat() if valid_to else None,
              "evidence": [dict(evidence)], "paper": True},
        role=Role.ADMINISTRATOR, on=uow.node.today(profile), needs_appointment=False))


@use_case
def appoint_from_letter(uow: UnitOfWork, admin: LocalUser, *, agreement: str,
                        party: str | None, user_id: str, name: str, role: str,
                        units: Sequence[str], valid_from: date, valid_to: date | None,
                        limits: Mapping[str, str] | None,
                        letter: Mapping[str, Any]) -> StoredEvent:
    """:func:`appoint_paper_official` with the party defaulting to the agreement's other one
    (a letter already kept, e.g. by :func:`attach_evidence`, in the same use case)."""
    admin.require(Role.ADMINISTRATOR)
    profile = adopted_profile(uow, agreement)
    return appoint_paper_official(
        uow, admin, agreement=profile.id, party=party or other_party(profile, uow.node.party),
        user_id=user_id, name=name, role=role, units=units, valid_from=valid_from,
        valid_to=valid_to, limits=limits, evidence=held_form(uow, letter))


def paper_appointments(uow: UnitOfWork, agreement: str | None = None) -> list[dict[str, Any]]:
    """The appointments of paper partners this node holds, newest last."""
    partners = paper_partners(uow)
    return [a for a in _roster_rows(uow, agreement)
            if a["party"] in partners.get(a["agreement"], ())]


def _roster_rows(uow: UnitOfWork, agreement: str | None) -> list[dict[str, Any]]:
    return [a for a in list_appointments(uow, agreement) if a["party"] != uow.node.party]


def paper_partners(uow: UnitOfWork) -> dict[str, list[str]]:
    """Per adopted agreement, the other parties that sign on paper and run no node yet."""
    peers = set(uow.conn.execute(select(T.peers.c.party)).scalars())
    out: dict[str, list[str]] = {}
    for agreement in sorted(set(uow.conn.execute(select(T.agreements.c.id)).scalars())):
        try:
            profile = adopted_profile(uow, agreement)
        except UnknownReference:
            continue
        if uow.node.party not in profile.party_codes:
            continue
        found = [p.code for p in profile.parties
                 if p.signs == "paper" and p.code != uow.node.party and p.code not in peers]
        if found:
            out[agreement] = found
    return out


# -- steps recorded from a signed form -------------------------------------------------------


def _appointment_for(uow: UnitOfWork, stream: str, party: str, official: str, on: date,
                     roles: frozenset[Role] | None, unit: str | None) -> Any:
    roster = uow.context.roster(stream)
    appointments = [a for a in roster.for_user(party, official) if a.in_force(on, None)]
    if not appointments:
        raise UnknownReference(
            N_("no paper appointment of %(party)s official %(official)s"),
            field="official", party=party, official=official,
        )
    if roles is not None:
        fitting = [a for a in appointments if a.role in roles and a.covers_unit(unit)]
        if not fitting:
            names = sorted(r.value for r in roles)
            raise NotAppointed(
                N_("%(user)s is not appointed as %(role)s on %(date)s"),
                field="official", user=official, role=" or ".join(names), date=on,
                **({"roles": names} if len(names) > 1 else {}),
            )
        appointments = fitting
    return min(appointments, key=lambda a: a.granted_at)


def _acting_unit(state: OrderState, party: str) -> str | None:
    if state.terms and state.terms.requester == party:
        return state.terms.requesting_unit
    return ((state.accepted.supplying_unit if state.accepted else None)
            or (state.terms.supplying_unit if state.terms else None))


@use_case
def record_paper_step(uow: UnitOfWork, attester: LocalUser, *, number: str, party: str,
                      official: str, type: str, data: Mapping[str, Any],
                      evidence: Sequence[Mapping[str, Any]], unit: str | None = None,
                      on: date | None = None, action: Action | None = None,
                      expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Record the paper partner's ``official``'s step on order ``number`` from a signed form.

    With ``action``, the official's appointment must be in a role the permission table
    gives the partner's side for it (and cover the acting unit); otherwise the first
    appointment in force is cited, and the domain judges it."""
    need_to_know.require_readable(uow, attester, [number])
    state = order_state(uow, number)
    profile = uow.context.profile(state.profile)
    _paper_partner(uow, profile.id, party)
    side = state.side_of(party)
    if side is None:
        raise InvalidValue(N_("%(party)s is not a party to %(number)s"), field="party",
                           party=party, number=number)
    if not evidence:
        raise InvalidValue(N_("attach the signed form"), field="evidence")
    stream = stream_of(uow, profile.id)
    roster = uow.context.roster(stream)
    on = on or uow.node.today(profile)
    if not any(a.in_force(on, None) for a in roster.for_user(attester.party, attester.id)):
        raise NotAppointed(
            N_("%(user)s holds no appointment to attest a copy"),
            field="attester", user=attester.id, date=on,
        )
    unit = unit or _acting_unit(state, party)
    roles = _roles_for(action, side)
    appointment = _appointment_for(uow, stream, party, official, on, roles, unit)
    body = {**dict(data), "evidence": [dict(e) for e in evidence],
            "attested_by": {"user": attester.id, "name": attester.name}}
    return record(uow, attester, Act(
        agreement=profile.id, type=type, subject=number, data=body, role=appointment.role,
        on=on, unit=unit, expected_parent=expected_parent,
        paper_actor={"user": official, "name": appointment.name,
                     "role": appointment.role.value, "party": party, "unit": unit,
                     "appointment": appointment.id, "paper": True}))


def _roles_for(action: Action | None, side: Side) -> frozenset[Role] | None:
    if action is None:
        return None
    row = permission(action, side)
    if row is None:
        raise NotAuthorized(N_("the %(side)s never may %(action)s"), field="step",
                            side=side, action=action)
    return row.roles


@dataclass(frozen=True)
class StepFields:
    """What a partner's signed form states, as far as its step needs (the rest is blank)."""

    supplying_unit: str | None = None
    reason: str = ""
    lines: Sequence[tuple[int, str]] = ()  # delivered: (line, quantity)
    delivery: str = ""  # received: a delivery's position or hash prefix
    received: Sequence[tuple[int, str, str]] | None = None  # (line, quantity, damaged)
    note: str = ""


Build = Any  # (uow, state, fields, on) -> (data, unit)


@dataclass(frozen=True)
class Step:
    name: str
    action: Action
    type: str
    build: Build = field(repr=False)


def _needs(value: str, name: str) -> str:
    if not value.strip():
        raise MissingField(N_("is required"), field=name)
    return value.strip()


def _accept(uow: UnitOfWork, state: OrderState, f: StepFields, on: date
            ) -> tuple[dict[str, Any], str | None]:
    unit = (f.supplying_unit or "").strip() or (state.terms.supplying_unit
                                                  if state.terms else None)
    if not unit:
        raise MissingField(N_("name the supplying unit"), field="supplying_unit")
    return {"version": state.version, "supplying_unit": unit}, unit


def _deliver(uow: UnitOfWork, state: OrderState, f: StepFields, on: date
             ) -> tuple[dict[str, Any], str | None]:
    if not f.lines:
        raise MissingField(N_("is required"), field="lines")
    assert state.terms is not None
    profile = uow.context.profile(state.profile)
    out = []
    for no, quantity in f.lines:
        line = state.terms.line(no)
        entry: dict[str, Any] = {"line": no, "quantity": quantity}
        if profile.pricing.pricing_date == "delivery":
            price = catalogue_price(uow, profile.id, state.supplier, line.category,
                                    line.description, line.unit, on)
            entry["unit_price"] = price or str(line.unit_price)
        out.append(entry)
    return {"lines": out, "note": f.note}, None


def _receive(uow: UnitOfWork, state: OrderState, f: StepFields, on: date
             ) -> tuple[dict[str, Any], str | None]:
    delivery_id = references.find_delivery(state, _needs(f.delivery, "delivery"))
    found = state.delivery(delivery_id)
    assert found is not None
    rows = f.received if f.received else [(d.line, str(d.quantity), "0") for d in found.lines]
    return {"delivery": delivery_id, "note": f.note,
            "lines": [{"line": n, "quantity": q, "damaged": d} for n, q, d in rows]}, None


def _confirm(uow: UnitOfWork, state: OrderState, f: StepFields, on: date
             ) -> tuple[dict[str, Any], str | None]:
    if state.proposal is None:
        raise InvalidValue(N_("%(number)s has no proposal to confirm"), field="order",
                           number=state.number)
    return {"proposal": state.proposal.id}, None


STEPS: Mapping[str, Step] = {s.name: s for s in (
    Step("accept", Action.ACCEPT, F.ORDER_ACCEPTED, _accept),
    Step("reject", Action.REJECT, F.ORDER_REJECTED,
         lambda uow, state, f, on: ({"reason": _needs(f.reason, "reason")}, None)),
    Step("withdraw", Action.WITHDRAW, F.ORDER_WITHDRAWN,
         lambda uow, state, f, on: ({"reason": _needs(f.reason, "reason")}, None)),
    Step("confirm", Action.CONFIRM, F.ORDER_CONFIRMED, _confirm),
    Step("confirm-emergency", Action.CONFIRM_EMERGENCY, F.ORDER_EMERGENCY_CONFIRMED,
         lambda uow, state, f, on: ({"version": state.version}, None)),
    Step("deliver", Action.DELIVER, F.DELIVERY_RECORDED, _deliver),
    Step("receive", Action.RECEIVE, F.RECEIPT_RECORDED, _receive),
)}


def step_named(name: str) -> Step:
    found = STEPS.get(name)
    if found is None:
        raise InvalidValue(N_("'%(step)s' is not a step recorded from paper (%(allowed)s)"),
                           field="step", step=name, allowed=", ".join(STEPS))
    return found


def order_partner(uow: UnitOfWork, user: LocalUser, number: str) -> str | None:
    """The other party of order ``number`` if it signs on paper (and runs no node yet)."""
    row = queries.order_row(uow, user, number)
    other = row.supplier if row.requester == uow.node.party else row.requester
    return other if other in paper_partners(uow).get(row.agreement, ()) else None


def steps_now(uow: UnitOfWork, user: LocalUser, number: str) -> list[str]:
    """The steps the paper partner's side may take on the order in its status now (empty
    when its partner runs a node)."""
    partner = order_partner(uow, user, number)
    if partner is None:
        return []
    row = queries.order_row(uow, user, number)
    side = Side.REQUESTER if row.requester == partner else Side.SUPPLIER
    status = Status(row.status)
    return [s.name for s in STEPS.values()
            if (p := permission(s.action, side)) is not None and status in p.statuses]


@use_case
def record_from_form(uow: UnitOfWork, attester: LocalUser, number: str, *, step: str,
                     official: str, forms: Sequence[Mapping[str, Any]],
                     fields: StepFields = StepFields(), party: str | None = None,
                     on: date | None = None,
                     expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Record the paper partner's ``step`` on order ``number`` as its signed ``forms``
    (already kept, e.g. by :func:`attach_evidence`) state it, attested by ``attester``."""
    chosen = step_named(step)
    need_to_know.require_readable(uow, attester, [number])
    if expected_parent is not ANY_PARENT:  # a stale screen hears that first
        queries.check_head(uow, attester, number, expected_parent)  # type: ignore[arg-type]
    state = order_state(uow, number)
    if party is None:
        party = state.supplier if state.requester == uow.node.party else state.requester
    if not official.strip():
        raise MissingField(N_("is required"), field="official")
    if not forms:
        raise InvalidValue(N_("attach the signed form"), field="evidence")
    on = on or uow.node.today(uow.context.profile(state.profile))
    forms = [held_form(uow, f) for f in forms]
    data, unit = chosen.build(uow, state, fields, on)
    return record_paper_step(
        uow, attester, number=number, party=party, official=official.strip(),
        type=chosen.type, data=data, evidence=forms, unit=unit, on=on,
        action=chosen.action, expected_parent=expected_parent)

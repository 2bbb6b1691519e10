"""The register of implementing arrangements: propose, countersign, read, cite.

A finance officer proposes an arrangement of their agreement; the other
party's finance officer countersigns it (:mod:`acsa.domain.arrangements`
holds the rules). Finance officers act here, not administrators: an
arrangement fixes where each party is paid and on what pricing basis — the
finance officer's business (DOMAIN.md: invoices, payments, statements) — and
a finance officer is appointed in the shared roster, so the other node checks
that whoever signed was appointed to sign, as for a balance statement; an
administrator is a local account the partner's node cannot check.

Arrangements are agreement-level and unclassified: any user of the node may
read the register (the new-order form offers those in effect).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select

from acsa.domain import facts as F
from acsa.domain.agreement import AgreementProfile
from acsa.domain.arrangements import (
    CITING_FIELD,
    Arrangement,
    cited,
    fold_arrangements,
    terms_from_data,
)
from acsa.domain.errors import N_, InvalidValue, NotAppointed, UnknownReference
from acsa.domain.parties import Role
from acsa.domain.streams import stream_agreement, stream_id
from acsa.reading import nested_deeper_than, text_of, too_large
from acsa.services.finance_records import facts_of, finance_officer_check
from acsa.services.recording import Act, adopted_profile, record
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser
from acsa.store import tables as T
from acsa.store.log import StoredEvent

TYPES = (F.ARRANGEMENT_PROPOSED, F.ARRANGEMENT_SIGNED)
DOCUMENT_BYTES_MAX = 64 * 1024
DOCUMENT_DEPTH_MAX = 4


def parse_document(raw: bytes, source: str) -> dict[str, Any]:
    """An arrangement file (TOML, as docs/examples/arrangement-jp-ph-ia-01.toml), read as
    every file from outside is: bounded in size and depth, UTF-8; dates become ISO text."""
    if len(raw) > DOCUMENT_BYTES_MAX:
        raise too_large(source, DOCUMENT_BYTES_MAX, "file")
    if nested_deeper_than(raw, DOCUMENT_DEPTH_MAX, toml=True):
        raise InvalidValue(N_("nested more than %(limit)s levels deep"), field="file",
                           limit=DOCUMENT_DEPTH_MAX)
    text = text_of(raw, source=source, field="file")
    try:
        document = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise InvalidValue(N_("not valid TOML: %(problem)s"), field="file",
                           problem=str(exc)) from None
    plain: dict[str, Any] = _plain(document)
    return plain


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def register(uow: UnitOfWork, agreement: str | None = None) -> dict[str, Arrangement]:
    """Every arrangement this node holds (of ``agreement``), by identifier."""
    return fold_arrangements(facts_of(uow, TYPES, agreement), finance_officer_check(uow))


def agreement_of(uow: UnitOfWork, identifier: str) -> str:
    """The agreement whose stream carries the arrangement's proposal."""
    rows = uow.conn.execute(select(T.events.c.stream, T.events.c.subject).where(
        T.events.c.type == F.ARRANGEMENT_PROPOSED, T.events.c.subject == subject(identifier)))
    found = {stream_agreement(r.stream) for r in rows}
    if len(found) != 1:
        raise UnknownReference(N_("no implementing arrangement %(reference)s in the register"),
                               field="arrangement", reference=identifier)
    return found.pop()


def get_arrangement(uow: UnitOfWork, identifier: str) -> Arrangement:
    found = register(uow, agreement_of(uow, identifier)).get(identifier)
    if found is None:
        raise UnknownReference(N_("no implementing arrangement %(reference)s in the register"),
                               field="arrangement", reference=identifier)
    return found


def in_effect(uow: UnitOfWork, agreement: str, on: date) -> list[Arrangement]:
    """The arrangements an order of ``agreement`` dated ``on`` may cite."""
    return [a for a in register(uow, agreement).values() if a.in_effect(on)]


def subject(identifier: str) -> str:
    return f"IA/{identifier}"


def _unit(uow: UnitOfWork, user: LocalUser, agreement: str, on: date) -> str | None:
    roster = uow.context.roster(stream_id(agreement, uow.node.party))
    for a in sorted(roster.for_user(user.party, user.id), key=lambda a: a.granted_at):
        if a.role is Role.FINANCE_OFFICER and a.in_force(on, None):
            return min(a.units) if a.units else None
    raise NotAppointed(
        N_("%(user)s is not appointed as finance officer under %(agreement)s"),
        field="user", user=user.id, role="finance_officer", agreement=agreement,
    )


def _agreement(document: Mapping[str, Any], agreement: str | None) -> str:
    named = agreement or document.get("agreement")
    if not isinstance(named, str) or not named:
        raise InvalidValue(N_("is required"), field="agreement")
    return named


@use_case
def propose_arrangement(uow: UnitOfWork, user: LocalUser, document: Mapping[str, Any], *,
                        agreement: str | None = None) -> StoredEvent:
    """A finance officer proposes an arrangement (the terms of ``document``)."""
    agreement = _agreement(document, agreement)
    profile = adopted_profile(uow, agreement)
    terms = terms_from_data({k: v for k, v in document.items() if k != "agreement"},
                            profile.party_codes)
    found = register(uow, agreement).get(terms.identifier)
    if found is not None and found.signature is not None:
        raise InvalidValue(N_("implementing arrangement %(reference)s is already signed by both "
                              "parties: propose a new identifier"),
                           field="identifier", reference=terms.identifier)
    on = uow.node.today(profile)
    unit = _unit(uow, user, agreement, on)
    return record(uow, user, Act(
        agreement=agreement, type=F.ARRANGEMENT_PROPOSED, subject=subject(terms.identifier),
        data={"arrangement": terms.as_data()}, role=Role.FINANCE_OFFICER, on=on, unit=unit))


@use_case
def sign_arrangement(uow: UnitOfWork, user: LocalUser, identifier: str) -> StoredEvent:
    """The other party's finance officer countersigns the newest proposal."""
    agreement = agreement_of(uow, identifier)
    found = get_arrangement(uow, identifier)
    if found.signature is not None:
        raise InvalidValue(N_("implementing arrangement %(reference)s is already signed by both "
                              "parties"), field="identifier", reference=identifier)
    if found.proposed_by == uow.node.party:
        raise InvalidValue(N_("a party cannot countersign its own proposal"),
                           field="identifier")
    profile = adopted_profile(uow, agreement)
    on = uow.node.today(profile)
    unit = _unit(uow, user, agreement, on)
    return record(uow, user, Act(
        agreement=agreement, type=F.ARRANGEMENT_SIGNED, subject=subject(identifier),
        data={"proposal": found.proposal}, role=Role.FINANCE_OFFICER, on=on, unit=unit))


def check_citation(uow: UnitOfWork, profile: AgreementProfile, terms: Mapping[str, Any],
                   on: date) -> Arrangement | None:
    """Under a profile that switches the register on, the order's implementing arrangement
    must be one in effect on ``on``; free text otherwise (and on older versions)."""
    reference = terms.get(CITING_FIELD)
    if not profile.arrangement_register or not isinstance(reference, str) \
            or not reference.strip():
        return None
    return cited(register(uow, profile.id), reference, on)


def for_order(uow: UnitOfWork, agreement: str, reference: str | None) -> Arrangement | None:
    """The countersigned arrangement an order's text names, if there is one."""
    if not reference:
        return None
    found = register(uow, agreement).get(reference.strip())
    return found if found is not None and found.signature is not None else None


def as_view(a: Arrangement, on: date | None = None) -> dict[str, Any]:
    """An arrangement as the CLI, the API and the pages show it."""
    view: dict[str, Any] = {
        **a.terms.as_data(), "status": a.status, "proposal": a.proposal,
        "proposed_by": a.proposed_by, "proposer_name": a.proposer_name,
        "proposed_on": a.proposed_on.isoformat(), "signed_by": a.signed_by,
        "signer_name": a.signer_name,
        "signed_on": a.signed_on.isoformat() if a.signed_on else None,
        "signature": a.signature,
        "ineffective": [{"event": e, "reason": r} for e, r in a.ineffective]}
    if on is not None:
        view["in_effect"] = a.in_effect(on)
    return view


def list_views(uow: UnitOfWork, agreement: str | None = None) -> list[dict[str, Any]]:
    """Every arrangement of the register, by identifier, with whether it is in effect on
    the node's today under its agreement."""
    out = []
    for a in sorted(register(uow, agreement).values(), key=lambda a: a.identifier):
        named = agreement or agreement_of(uow, a.identifier)
        out.append({"agreement": named, **as_view(a, _today(uow, named))})
    return out


def show_view(uow: UnitOfWork, identifier: str) -> dict[str, Any]:
    agreement = agreement_of(uow, identifier)
    return {"agreement": agreement,
            **as_view(get_arrangement(uow, identifier), _today(uow, agreement))}


def _today(uow: UnitOfWork, agreement: str) -> date | None:
    try:
        return uow.node.today(adopted_profile(uow, agreement))
    except UnknownReference:
        return None

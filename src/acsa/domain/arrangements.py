"""Implementing arrangements: how an agreement is carried out between two service branches.

An agreement is carried out under implementing arrangements (e.g. the Japan
Maritime Self-Defense Force and the Philippine Navy), each with its points of
contact, the payment office and remittance details of each party, and the
pricing basis. One party's finance officer proposes an arrangement
(``arrangement.proposed``); the other party's finance officer countersigns
that very proposal (``arrangement.signed``). Only a countersigned arrangement,
between its validity dates, is *in effect*: an order may cite it, and the
invoices of an order citing it print its payment office.

The register is a fold of those events, the same on every node: events in
recording order (time, stream, sequence); a later proposal of an identifier
not yet signed replaces the earlier one; an identifier once signed is never
replaced (a changed arrangement takes a new identifier); the first valid
countersignature decides; anything else is kept, ineffective, with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from acsa.domain.agreement import Remittance
from acsa.domain.errors import N_, InvalidValue, MissingField, UnknownReference
from acsa.domain.facts import ARRANGEMENT_PROPOSED, ARRANGEMENT_SIGNED, Fact

PROPOSED = "proposed"
SIGNED = "signed"
SUPERSEDED = "superseded"
REMITTANCE_KEYS = ("payee", "office", "bank", "account_number", "swift_bic", "instructions")
IDENTIFIER_MAX = 64
TEXT_MAX = 2000
# The order field that cites an arrangement, as forms and refusals name it.
CITING_FIELD = "implementing_arrangement"


@dataclass(frozen=True)
class ArrangementParty:
    """One party's part of an arrangement: its service branch, whom to call, where to pay."""

    party: str
    service_branch: str
    contacts: tuple[str, ...]
    remittance: Remittance | None = None

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"party": self.party, "service_branch": self.service_branch,
                                "contacts": list(self.contacts)}
        if self.remittance is not None:
            data["remittance"] = {k: getattr(self.remittance, k) for k in REMITTANCE_KEYS
                                  if getattr(self.remittance, k)}
        return data


@dataclass(frozen=True)
class ArrangementTerms:
    """What both parties sign."""

    identifier: str
    title: str
    parties: tuple[ArrangementParty, ...]
    pricing_basis: str
    valid_from: date
    valid_to: date | None = None

    def party(self, code: str) -> ArrangementParty | None:
        return next((p for p in self.parties if p.party == code), None)

    @property
    def party_codes(self) -> tuple[str, ...]:
        return tuple(p.party for p in self.parties)

    def as_data(self) -> dict[str, Any]:
        return {"identifier": self.identifier, "title": self.title,
                "pricing_basis": self.pricing_basis, "valid_from": self.valid_from.isoformat(),
                "valid_to": self.valid_to.isoformat() if self.valid_to else None,
                "parties": [p.as_data() for p in self.parties]}


def _text(data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise MissingField(N_("is required"), field=where + key)
        return ""
    if not isinstance(value, str):
        raise InvalidValue(N_("must be text, got '%(value)s'"), field=where + key, value=value)
    if len(value) > TEXT_MAX:
        raise InvalidValue(N_("must be at most %(limit)s characters"), field=where + key,
                           limit=TEXT_MAX)
    return value.strip()


def _day(data: Mapping[str, Any], key: str, *, required: bool = True) -> date | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise MissingField(N_("a date (YYYY-MM-DD) is required"), field=key)
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidValue(N_("'%(value)s' is not a date (YYYY-MM-DD)"), field=key,
                           value=value) from None


def _remittance(data: Mapping[str, Any], where: str) -> Remittance | None:
    value = data.get("remittance")
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidValue(N_("must be a table of remittance details"), field=where + "remittance")
    sub = where + "remittance."
    unknown = sorted(set(value) - set(REMITTANCE_KEYS))
    if unknown:
        raise InvalidValue(N_("unknown keys: %(keys)s"), field=sub + unknown[0],
                           keys=", ".join(unknown))
    optional = {k: _text(value, k, sub, required=False) or None for k in REMITTANCE_KEYS[1:]}
    return Remittance(payee=_text(value, "payee", sub), **optional)


def _party(data: Any, i: int) -> ArrangementParty:
    where = f"parties[{i}]."
    if not isinstance(data, Mapping):
        raise InvalidValue(N_("must be a table"), field=f"parties[{i}]")
    contacts = data.get("contacts")
    if not isinstance(contacts, list) or not contacts or not all(
            isinstance(c, str) and c.strip() for c in contacts):
        raise InvalidValue(N_("must list at least one point of contact"),
                           field=where + "contacts")
    return ArrangementParty(
        party=_text(data, "party", where), service_branch=_text(data, "service_branch", where),
        contacts=tuple(c.strip() for c in contacts), remittance=_remittance(data, where))


def terms_from_data(data: Mapping[str, Any],
                    agreement_parties: Sequence[str] | None = None) -> ArrangementTerms:
    """An arrangement's terms, each problem naming its field; ``agreement_parties``, when
    given, are the two parties the arrangement must name, each once."""
    identifier = _text(data, "identifier", "")
    if len(identifier) > IDENTIFIER_MAX or any(c.isspace() for c in identifier):
        raise InvalidValue(N_("must be at most %(limit)s characters, without spaces"),
                           field="identifier", limit=IDENTIFIER_MAX)
    raw = data.get("parties")
    if not isinstance(raw, list) or len(raw) != 2:
        raise InvalidValue(N_("must name the two parties"), field="parties")
    parties = tuple(_party(p, i) for i, p in enumerate(raw))
    codes = [p.party for p in parties]
    if len(set(codes)) != 2 or (agreement_parties is not None
                                and set(codes) != set(agreement_parties)):
        raise InvalidValue(N_("must name the two parties of the agreement, each once"),
                           field="parties")
    valid_from = _day(data, "valid_from")
    valid_to = _day(data, "valid_to", required=False)
    assert valid_from is not None
    if valid_to is not None and valid_to < valid_from:
        raise InvalidValue(N_("cannot be before valid_from"), field="valid_to")
    return ArrangementTerms(
        identifier=identifier, title=_text(data, "title", ""), parties=parties,
        pricing_basis=_text(data, "pricing_basis", ""), valid_from=valid_from,
        valid_to=valid_to)


def check_arrangement_data(type_: str, data: Mapping[str, Any]) -> None:
    """Refuse arrangement events whose data the register could not read."""
    if type_ == ARRANGEMENT_PROPOSED:
        terms = data.get("arrangement")
        if not isinstance(terms, Mapping):
            raise InvalidValue(N_("must be the arrangement's terms"), field="arrangement")
        terms_from_data(terms)
    elif type_ == ARRANGEMENT_SIGNED and not isinstance(data.get("proposal"), str):
        raise InvalidValue(N_("must be the hash of the proposal it signs"), field="proposal")


@dataclass(frozen=True)
class Arrangement:
    """One arrangement of the register: its newest proposal and the countersignature."""

    terms: ArrangementTerms
    proposal: str  # hash of the arrangement.proposed event
    proposed_by: str  # party
    proposer_name: str
    proposed_on: date
    signed_by: str | None = None  # party that countersigned
    signer_name: str | None = None
    signed_on: date | None = None
    signature: str | None = None  # hash of the arrangement.signed event
    ineffective: tuple[tuple[str, str], ...] = field(default=())  # (event, reason)

    @property
    def identifier(self) -> str:
        return self.terms.identifier

    @property
    def status(self) -> str:
        return SIGNED if self.signature else PROPOSED

    def in_effect(self, on: date) -> bool:
        """Signed by both, and ``on`` within its validity."""
        t = self.terms
        return (self.signature is not None and t.valid_from <= on
                and (t.valid_to is None or on <= t.valid_to))


Authorize = Callable[[Fact], str | None]  # a reason the actor may not sign, or None


def fold_arrangements(facts: Iterable[Fact], authorize: Authorize) -> dict[str, Arrangement]:
    """The register, by identifier, from its events (rules in the module's docstring)."""
    register: dict[str, Arrangement] = {}
    by_proposal: dict[str, str] = {}  # every proposal's hash -> identifier
    ordered = sorted(facts, key=lambda f: (f.at, f.stream, f.seq))
    proposals = {f.hash for f in ordered if f.type == ARRANGEMENT_PROPOSED}
    waiting: dict[str, list[Fact]] = {}  # a countersignature comes after what it signs
    for f in ordered:
        if f.type == ARRANGEMENT_PROPOSED:
            _propose(register, by_proposal, f, authorize)
            for signature in waiting.pop(f.hash, []):
                _sign(register, by_proposal, signature, authorize)
        elif f.type == ARRANGEMENT_SIGNED:
            target = str(f.data.get("proposal"))
            if target in proposals and target not in by_proposal:
                waiting.setdefault(target, []).append(f)
            else:
                _sign(register, by_proposal, f, authorize)
    return register


def _refuse(register: dict[str, Arrangement], identifier: str | None, f: Fact,
            reason: str) -> None:
    found = register.get(identifier or "")
    if found is not None:
        register[found.identifier] = replace(
            found, ineffective=(*found.ineffective, (f.hash, reason)))


def _propose(register: dict[str, Arrangement], by_proposal: dict[str, str], f: Fact,
             authorize: Authorize) -> None:
    try:
        terms = terms_from_data(f.data.get("arrangement") or {})
    except (InvalidValue, MissingField):
        by_proposal[f.hash] = ""  # admission refuses such data; nothing to register
        return
    by_proposal[f.hash] = terms.identifier
    before = register.get(terms.identifier)
    problem = _actor_problem(f, terms) or authorize(f)
    if problem is None and before is not None and before.signature is not None:
        problem = "this arrangement is already signed by both: propose a new identifier"
    if problem:
        _refuse(register, terms.identifier, f, problem)
        return
    register[terms.identifier] = Arrangement(
        terms, f.hash, f.signer, f.actor.name, f.on,
        ineffective=before.ineffective if before else ())


def _sign(register: dict[str, Arrangement], by_proposal: dict[str, str], f: Fact,
          authorize: Authorize) -> None:
    identifier = by_proposal.get(str(f.data.get("proposal")))
    found = register.get(identifier or "")
    problem = None
    if found is None:
        problem = "signs no known proposal"
    elif found.proposal != f.data.get("proposal"):
        problem = "signs a proposal that a later one replaced"
    elif found.signature is not None:
        problem = "the arrangement was already signed"
    elif f.signer == found.proposed_by:
        problem = "a party cannot countersign its own proposal"
    else:
        problem = _actor_problem(f, found.terms) or authorize(f)
    if problem or found is None:
        _refuse(register, identifier, f, problem or "")
        return
    register[found.identifier] = replace(found, signed_by=f.signer, signer_name=f.actor.name,
                                         signed_on=f.on, signature=f.hash)


def _actor_problem(f: Fact, terms: ArrangementTerms) -> str | None:
    if f.actor.party != f.signer or f.actor.paper:
        return f"an act of {f.actor.party} signed by {f.signer}'s node"
    if f.signer not in terms.party_codes:
        return f"{f.signer} is not a party to this arrangement"
    return None


def cited(register: Mapping[str, Arrangement], reference: str, on: date) -> Arrangement:
    """The arrangement ``reference`` names, in effect on ``on``; refused naming the order's
    field otherwise (unknown, not yet countersigned, or outside its validity)."""
    found = register.get(reference.strip())
    if found is None:
        raise UnknownReference(
            N_("no implementing arrangement %(reference)s in the register"),
            field=CITING_FIELD, reference=reference)
    if found.signature is None:
        raise InvalidValue(
            N_("implementing arrangement %(reference)s is not yet signed by both parties"),
            field=CITING_FIELD, reference=reference)
    if not found.in_effect(on):
        raise InvalidValue(
            N_("implementing arrangement %(reference)s is not in effect on %(date)s"),
            field=CITING_FIELD, reference=reference, date=on)
    return found

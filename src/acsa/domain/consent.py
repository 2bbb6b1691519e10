"""The originator's consent: asked for and given as signed events, the same verdict on every node.

The Security of Information Agreement gives the originator the last word:
nothing it originated goes to a third party without its prior written
consent. An order's events are signed by both parties (each signs its own
acts), so an order has up to two originators and each consents for its own.

- ``consent.requested`` — a party's security officer asks, in its own stream
  of the agreement, to release an order to a third nation (``recipient``),
  naming the ``originators`` whose consent it needs: every party that signed
  an event of the order when it asked.
- ``consent.granted`` — an originator's security officer (or approving
  official) consents for its own events: it lists their hashes (``events``),
  and restates the order, action and recipient it consents to, so that a
  grant read alone says what it allows.
- ``consent.refused`` — an originator refuses, with a reason.

The fold: requests first, then answers in recording order (time, stream,
sequence); for each originator of a request the first valid answer decides;
anything else is kept, ineffective, with its reason. A request is *granted*
once every originator named has granted, *refused* once one has refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from acsa.domain.errors import N_, InvalidValue
from acsa.domain.facts import CONSENT_GRANTED, CONSENT_REFUSED, CONSENT_REQUESTED, Fact
from acsa.domain.parties import Role

RELEASE = "release"
DOWNGRADE = "downgrade"
DECLASSIFY = "declassify"
ACTIONS = (RELEASE, DOWNGRADE, DECLASSIFY)
MARKING_ACTIONS = (DOWNGRADE, DECLASSIFY)
CONSENT_TYPES = (CONSENT_REQUESTED, CONSENT_GRANTED, CONSENT_REFUSED)
GRANTED = "granted"
REFUSED = "refused"
PENDING = "pending"
# Who may ask and answer: the security officer, whose job releases are (DOMAIN.md), or an
# approving official, who answers for the force's acts on an order.
CONSENTING_ROLES = (Role.SECURITY_OFFICER, Role.APPROVING_OFFICIAL)
REASON_MAX = 2000
EVENTS_MAX = 500  # an order has a few dozen events; a grant listing more is refused


def subject(order: str) -> str:
    """The subject of an order's consent events: not the order itself, whose fold they
    would otherwise enter."""
    return f"CONSENT/{order}"


def _party_list(value: object, key: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(
            isinstance(p, str) and len(p) == 3 and p.isupper() for p in value):
        raise InvalidValue(N_("must list party codes"), field=key)
    if len(set(value)) != len(value):
        raise InvalidValue(N_("must not repeat a party"), field=key)
    return value


def _hash_list(value: object, key: str) -> list[str]:
    if not isinstance(value, list) or len(value) > EVENTS_MAX or not all(
            isinstance(h, str) and len(h) == 64 for h in value):
        raise InvalidValue(N_("must list at most %(limit)s event hashes"), field=key,
                           limit=EVENTS_MAX)
    return value


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(N_("is required"), field=key)
    if len(value) > REASON_MAX:
        raise InvalidValue(N_("must be at most %(limit)s characters"), field=key,
                           limit=REASON_MAX)
    return value


def check_consent_data(type_: str, data: Mapping[str, Any]) -> None:
    """Refuse consent events whose data the fold could not read, naming the field."""
    _text(data, "order")
    if type_ in (CONSENT_REQUESTED, CONSENT_GRANTED):
        if data.get("action") not in ACTIONS:
            raise InvalidValue(N_("must be one of %(allowed)s"), field="action",
                               allowed=", ".join(ACTIONS))
        _text(data, "recipient" if data.get("action") == RELEASE else "level")
    if type_ == CONSENT_REQUESTED:
        _party_list(data.get("originators"), "originators")
        _text(data, "reason")
    else:
        request = data.get("request")
        if not isinstance(request, str) or len(request) != 64:
            raise InvalidValue(N_("must be the hash of the request it answers"), field="request")
    if type_ == CONSENT_GRANTED:
        _hash_list(data.get("events"), "events")
    if type_ == CONSENT_REFUSED:
        _text(data, "reason")


@dataclass(frozen=True)
class Answer:
    """One originator's answer to a request."""

    party: str
    answer: str  # GRANTED or REFUSED
    event: str  # hash of the consent.granted / consent.refused event
    name: str
    on: date
    events: tuple[str, ...] = ()  # the hashes a grant consents to
    reason: str = ""


@dataclass(frozen=True)
class Consent:
    """A request and the answers it has had."""

    request: str  # hash of the consent.requested event
    order: str
    action: str
    recipient: str  # the third nation a release goes to ("" for a change of marking)
    originators: tuple[str, ...]
    requested_by: str
    requester_name: str
    requested_on: date
    reason: str
    answers: tuple[Answer, ...] = ()
    ineffective: tuple[tuple[str, str], ...] = field(default=())  # (event, reason)
    # A downgrade's new level, of the requesting party's scheme (UNCLASSIFIED to declassify).
    level: str = ""

    def answer_of(self, party: str) -> Answer | None:
        return next((a for a in self.answers if a.party == party), None)

    @property
    def status(self) -> str:
        if any(a.answer == REFUSED for a in self.answers):
            return REFUSED
        if all((a := self.answer_of(p)) is not None and a.answer == GRANTED
               for p in self.originators):
            return GRANTED
        return PENDING

    @property
    def released(self) -> tuple[str, ...]:
        """The hashes every grant consents to, in the order the grants list them."""
        return tuple(h for a in self.answers if a.answer == GRANTED for h in a.events)


Authorize = Callable[[Fact], str | None]  # why the act is ineffective, or None


def fold_consents(facts: Iterable[Fact], authorize: Authorize) -> dict[str, Consent]:
    """Every request, by its hash, with its answers (rules in the module's docstring)."""
    ordered = sorted(facts, key=lambda f: (f.at, f.stream, f.seq))
    consents: dict[str, Consent] = {}
    for f in ordered:
        if f.type == CONSENT_REQUESTED:
            _request(consents, f, authorize)
    for f in ordered:
        if f.type in (CONSENT_GRANTED, CONSENT_REFUSED):
            _answer(consents, f, authorize)
    return consents


def _request(consents: dict[str, Consent], f: Fact, authorize: Authorize) -> None:
    d = f.data
    problem = _actor_problem(f) or authorize(f)
    if problem:
        return  # an ineffective request is no request: nothing can answer it
    consents[f.hash] = Consent(
        request=f.hash, order=str(d["order"]), action=str(d["action"]),
        recipient=str(d.get("recipient") or ""), originators=tuple(sorted(d["originators"])),
        requested_by=f.signer, requester_name=f.actor.name, requested_on=f.on,
        reason=str(d["reason"]), level=str(d.get("level") or ""))


def _answer(consents: dict[str, Consent], f: Fact, authorize: Authorize) -> None:
    d = f.data
    found = consents.get(str(d.get("request")))
    if found is None:
        return
    problem = _actor_problem(f)
    if problem is None and f.signer not in found.originators:
        problem = f"{f.signer} is not an originator this request asks"
    elif problem is None and found.answer_of(f.signer) is not None:
        problem = f"{f.signer} has already answered this request"
    elif problem is None and f.type == CONSENT_GRANTED and (
            d.get("order") != found.order or d.get("action") != found.action
            or (d.get("recipient") or "") != found.recipient
            or (d.get("level") or "") != found.level):
        problem = "the grant does not restate the request's order, action and recipient"
    problem = problem or authorize(f)
    if problem:
        consents[found.request] = replace(
            found, ineffective=(*found.ineffective, (f.hash, problem)))
        return
    answer = Answer(
        party=f.signer, answer=GRANTED if f.type == CONSENT_GRANTED else REFUSED,
        event=f.hash, name=f.actor.name, on=f.on,
        events=tuple(d.get("events") or ()), reason=str(d.get("reason") or ""))
    consents[found.request] = replace(found, answers=(*found.answers, answer))


def _actor_problem(f: Fact) -> str | None:
    if f.actor.party != f.signer or f.actor.paper:
        return f"an act of {f.actor.party} signed by {f.signer}'s node"
    return None


@dataclass(frozen=True)
class MarkingChange:
    """An order's events protected at a new marking, every originator having consented:
    ``covered`` are the events the grants list, now marked ``level`` of ``party``'s scheme."""

    level: str
    party: str
    covered: frozenset[str]
    request: str


def marking_changes(consents: Iterable[Consent]) -> dict[str, MarkingChange]:
    """By order, the newest downgrade or declassification every originator granted."""
    out: dict[str, MarkingChange] = {}
    for c in consents:  # in the fold's order: a later grant supersedes an earlier one
        if c.action in MARKING_ACTIONS and c.status == GRANTED:
            out[c.order] = MarkingChange(c.level, c.requested_by, frozenset(c.released),
                                         c.request)
    return out

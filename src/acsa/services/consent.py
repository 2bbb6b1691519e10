"""The originator's consent to release an order to a third nation: request, grant, refuse, read.

A security officer asks (``consent.requested``) in their party's stream of the
agreement; each originator of the order's events — the parties that signed
them — answers for its own events (``consent.granted`` listing their hashes,
or ``consent.refused``), signed by its security officer or an approving
official appointed under the agreement. The rules are in
:mod:`acsa.domain.consent`; this module adds what only the log knows: whether
the signer was appointed, and whether a grant lists exactly the signer's events
of the order that came before it in its own stream (a node holding the grant
holds every earlier event of that stream, so the check reads the same on
every node).

Events acting on several orders (payments, exchanges, offsets) are never
released: they name other orders that no one consented to release.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from acsa.domain import facts as F
from acsa.domain.consent import (
    ACTIONS,
    GRANTED,
    PENDING,
    REFUSED,
    RELEASE,
    Consent,
    fold_consents,
    subject,
)
from acsa.domain.errors import N_, DomainError, InvalidValue, NotAppointed, UnknownReference
from acsa.domain.parties import Role, check_party_code
from acsa.domain.streams import stream_id
from acsa.services.finance_records import facts_of
from acsa.services.queries import order_row
from acsa.services.recording import Act, adopted_profile, record
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser
from acsa.store import tables as T
from acsa.store.log import StoredEvent

TYPES = (F.CONSENT_REQUESTED, F.CONSENT_GRANTED, F.CONSENT_REFUSED)
# Who may ask and answer: the security officer, whose job releases are (DOMAIN.md), or an
# approving official, who answers for the force's acts on an order.
CONSENTING_ROLES = (Role.SECURITY_OFFICER, Role.APPROVING_OFFICIAL)


def own_events(uow: UnitOfWork, order: str, stream: str, before_seq: int | None = None
               ) -> list[str]:
    """The hashes of ``stream``'s events on ``order`` (before ``before_seq``), oldest first,
    leaving out events that act on several orders."""
    e, eo = T.events.c, T.event_orders.c
    query = (select(e.hash, e.type).join(T.event_orders, eo.event_id == e.id)
             .where(eo.order_number == order, e.stream == stream).order_by(e.seq))
    if before_seq is not None:
        query = query.where(e.seq < before_seq)
    return [r.hash for r in uow.conn.execute(query) if r.type not in F.MULTI_ORDER_TYPES]


def originators(uow: UnitOfWork, order: str) -> list[str]:
    """The parties that signed an event of ``order`` (events on several orders aside)."""
    e, eo = T.events.c, T.event_orders.c
    rows = uow.conn.execute(select(e.signer, e.type).join(T.event_orders, eo.event_id == e.id)
                            .where(eo.order_number == order))
    return sorted({r.signer for r in rows if r.type not in F.MULTI_ORDER_TYPES})


def consent_check(uow: UnitOfWork) -> Callable[[F.Fact], str | None]:
    """Why a consent event is ineffective (None when it is effective)."""
    ctx = uow.context

    def authorize(f: F.Fact) -> str | None:
        if f.actor.role not in CONSENTING_ROLES:
            return f"signed as {f.actor.role.value}, not security_officer or approving_official"
        try:
            ctx.roster(f.stream).authorize(
                f.actor.appointment, party=f.actor.party, user=f.actor.user,
                role=f.actor.role, unit=f.actor.unit, on=f.on, position=f.seq)
        except DomainError as exc:
            return str(exc)
        if f.type == F.CONSENT_GRANTED:
            listed = list(f.data.get("events") or [])
            held = own_events(uow, str(f.data.get("order")), f.stream, f.seq)
            if listed != held:
                return "the grant does not list exactly its signer's events of the order"
        return None

    return authorize


def consents(uow: UnitOfWork, order: str | None = None) -> list[Consent]:
    """Every request this node holds (on ``order``), oldest first, with its answers."""
    facts = facts_of(uow, TYPES)
    if order is not None:
        facts = [f for f in facts if f.subject == subject(order)]
    folded = fold_consents(facts, consent_check(uow))
    return sorted(folded.values(), key=lambda c: (c.requested_on, c.request))


def get_consent(uow: UnitOfWork, request: str) -> Consent:
    found = next((c for c in consents(uow) if c.request == request.strip()), None)
    if found is None:
        raise UnknownReference(N_("no consent request %(request)s on this node"),
                               field="request", request=request)
    return found


def _agreement_of(uow: UnitOfWork, user: LocalUser, order: str) -> str:
    row = order_row(uow, user, order)
    return str(row.agreement)


def _unit(uow: UnitOfWork, user: LocalUser, agreement: str) -> tuple[Role, str | None]:
    """The role and unit under which ``user`` may ask or answer for consent."""
    on = uow.node.today(adopted_profile(uow, agreement))
    roster = uow.context.roster(stream_id(agreement, uow.node.party))
    for role in CONSENTING_ROLES:
        for a in sorted(roster.for_user(user.party, user.id), key=lambda a: a.granted_at):
            if a.role is role and a.in_force(on, None):
                return role, (min(a.units) if a.units else None)
    raise NotAppointed(
        N_("%(user)s is not appointed as security officer or approving official under "
           "%(agreement)s"),
        field="user", user=user.id, role="security_officer", agreement=agreement)


@use_case
def request_consent(uow: UnitOfWork, user: LocalUser, order: str, *, recipient: str,
                    reason: str, action: str = RELEASE) -> StoredEvent:
    """Ask every originator of ``order``'s events to consent to releasing it to ``recipient``."""
    if action not in ACTIONS:
        raise InvalidValue(N_("must be one of %(allowed)s"), field="action",
                           allowed=", ".join(ACTIONS))
    agreement = _agreement_of(uow, user, order)
    profile = adopted_profile(uow, agreement)
    recipient = check_party_code(recipient.strip().upper(), field="recipient")
    if recipient in profile.party_codes:
        raise InvalidValue(N_("%(party)s is a party to %(agreement)s and holds the order "
                              "already: name a third nation"), field="recipient",
                           party=recipient, agreement=agreement)
    if not reason.strip():
        raise InvalidValue(N_("is required"), field="reason")
    role, unit = _unit(uow, user, agreement)
    return record(uow, user, Act(
        agreement=agreement, type=F.CONSENT_REQUESTED, subject=subject(order),
        data={"order": order, "action": action, "recipient": recipient,
              "originators": originators(uow, order), "reason": reason.strip()},
        role=role, on=uow.node.today(profile), unit=unit))


def _answerable(uow: UnitOfWork, user: LocalUser, request: str) -> tuple[Consent, str]:
    found = get_consent(uow, request)
    agreement = _agreement_of(uow, user, found.order)
    me = uow.node.party
    if me not in found.originators:
        raise InvalidValue(N_("%(party)s originated no event of %(order)s: only its "
                              "originators answer"), field="request", party=me,
                           order=found.order)
    if found.answer_of(me) is not None:
        raise InvalidValue(N_("%(party)s has already answered this request"),
                           field="request", party=me)
    return found, agreement


@use_case
def grant_consent(uow: UnitOfWork, user: LocalUser, request: str) -> StoredEvent:
    """Consent, for this node's party, to the request: for its own events of the order."""
    found, agreement = _answerable(uow, user, request)
    role, unit = _unit(uow, user, agreement)
    stream = stream_id(agreement, uow.node.party)
    return record(uow, user, Act(
        agreement=agreement, type=F.CONSENT_GRANTED, subject=subject(found.order),
        data={"request": found.request, "order": found.order, "action": found.action,
              "recipient": found.recipient, "events": own_events(uow, found.order, stream)},
        role=role, on=uow.node.today(adopted_profile(uow, agreement)), unit=unit))


@use_case
def refuse_consent(uow: UnitOfWork, user: LocalUser, request: str, *, reason: str
                   ) -> StoredEvent:
    """Refuse, for this node's party, the request: nothing of the order is released."""
    if not reason.strip():
        raise InvalidValue(N_("is required"), field="reason")
    found, agreement = _answerable(uow, user, request)
    role, unit = _unit(uow, user, agreement)
    return record(uow, user, Act(
        agreement=agreement, type=F.CONSENT_REFUSED, subject=subject(found.order),
        data={"request": found.request, "order": found.order, "reason": reason.strip()},
        role=role, on=uow.node.today(adopted_profile(uow, agreement)), unit=unit))


def as_view(c: Consent) -> dict[str, Any]:
    """A request as the CLI, the API and the pages show it."""
    return {
        "request": c.request, "order": c.order, "action": c.action, "recipient": c.recipient,
        "originators": list(c.originators), "requested_by": c.requested_by,
        "requester_name": c.requester_name, "requested_on": c.requested_on.isoformat(),
        "reason": c.reason, "status": c.status,
        "answers": [{"party": a.party, "answer": a.answer, "event": a.event, "name": a.name,
                     "on": a.on.isoformat(), "events": len(a.events), "reason": a.reason}
                    for a in c.answers],
        "ineffective": [{"event": e, "reason": r} for e, r in c.ineffective]}


def list_views(uow: UnitOfWork, user: LocalUser, order: str | None = None
               ) -> list[dict[str, Any]]:
    """The requests on orders ``user`` may read (on ``order``)."""
    if order is not None:
        order_row(uow, user, order)
    out = []
    for c in consents(uow, order):
        try:
            order_row(uow, user, c.order)
        except UnknownReference:
            continue
        out.append(as_view(c))
    return out


__all__ = ["GRANTED", "PENDING", "REFUSED", "consents", "grant_consent", "list_views",
           "refuse_consent", "request_consent"]

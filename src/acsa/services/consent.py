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

from typing import Any

from sqlalchemy import select

from acsa.domain import facts as F
from acsa.domain.agreement import AgreementProfile
from acsa.domain.consent import (
    ACTIONS,
    CONSENTING_ROLES,
    DECLASSIFY,
    GRANTED,
    MARKING_ACTIONS,
    PENDING,
    REFUSED,
    RELEASE,
    Consent,
    subject,
)
from acsa.domain.errors import N_, InvalidValue, NotAppointed, UnknownReference
from acsa.domain.marking import UNCLASSIFIED, Marking, required_rank
from acsa.domain.parties import Role, check_party_code
from acsa.domain.streams import stream_id
from acsa.services.need_to_know import marking_of
from acsa.services.queries import order_row
from acsa.services.recording import Act, adopted_profile, record
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser
from acsa.store import consents as store_consents
from acsa.store import tables as T
from acsa.store.log import StoredEvent
from acsa.store.projections import refresh_orders

TYPES = (F.CONSENT_REQUESTED, F.CONSENT_GRANTED, F.CONSENT_REFUSED)


def own_events(uow: UnitOfWork, order: str, stream: str) -> list[str]:
    """The hashes of ``stream``'s events on ``order``, oldest first (events acting on
    several orders aside)."""
    return store_consents.own_events(uow.conn, order, stream)


def originators(uow: UnitOfWork, order: str) -> list[str]:
    """The parties that signed an event of ``order`` (events on several orders aside)."""
    e, eo = T.events.c, T.event_orders.c
    rows = uow.conn.execute(select(e.signer, e.type).join(T.event_orders, eo.event_id == e.id)
                            .where(eo.order_number == order))
    return sorted({r.signer for r in rows if r.type not in F.MULTI_ORDER_TYPES})


def consents(uow: UnitOfWork, order: str | None = None) -> list[Consent]:
    """Every request this node holds (on ``order``), oldest first, with its answers."""
    folded = store_consents.fold(uow.conn, uow.context.rosters).values()
    found = [c for c in folded if order is None or c.order == order]
    return sorted(found, key=lambda c: (c.requested_on, c.request))


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
def request_consent(uow: UnitOfWork, user: LocalUser, order: str, *, reason: str,
                    recipient: str = "", action: str = RELEASE, level: str = ""
                    ) -> StoredEvent:
    """Ask every originator of ``order``'s events to consent: to releasing it to
    ``recipient`` (a third nation), or to protecting it at ``level`` of this party's scheme
    (``downgrade``), or as unclassified (``declassify``)."""
    if action not in ACTIONS:
        raise InvalidValue(N_("must be one of %(allowed)s"), field="action",
                           allowed=", ".join(ACTIONS))
    agreement = _agreement_of(uow, user, order)
    profile = adopted_profile(uow, agreement)
    data: dict[str, Any] = {"order": order, "action": action,
                            "originators": originators(uow, order)}
    if action == RELEASE:
        data["recipient"] = _third_nation(recipient, profile.party_codes, agreement)
    else:
        data["level"] = _lower_level(uow, order_row(uow, user, order), level, action, profile)
    if not reason.strip():
        raise InvalidValue(N_("is required"), field="reason")
    role, unit = _unit(uow, user, agreement)
    return record(uow, user, Act(
        agreement=agreement, type=F.CONSENT_REQUESTED, subject=subject(order),
        data={**data, "reason": reason.strip()}, role=role, on=uow.node.today(profile),
        unit=unit))


def _third_nation(recipient: str, parties: tuple[str, ...], agreement: str) -> str:
    recipient = check_party_code(recipient.strip().upper(), field="recipient")
    if recipient in parties:
        raise InvalidValue(N_("%(party)s is a party to %(agreement)s and holds the order "
                              "already: name a third nation"), field="recipient",
                           party=recipient, agreement=agreement)
    return recipient


def _lower_level(uow: UnitOfWork, row: Any, level: str, action: str,
                 profile: AgreementProfile) -> str:
    """The new level: one of this party's levels (unclassified to declassify), below the
    level this party protects the order at now."""
    me = uow.node.party
    current = marking_of(row)
    scheme = profile.party(me)
    level = UNCLASSIFIED if action == DECLASSIFY else level.strip()
    if level != UNCLASSIFIED and level not in scheme.classification_levels:
        raise InvalidValue(N_("'%(level)s' is not one of %(party)s's levels (%(known)s)"),
                           field="level", level=level, party=me,
                           known=", ".join(scheme.classification_levels))
    new = Marking(level, me, current.rel)
    if required_rank(new, profile, me) >= required_rank(current, profile, me):
        raise InvalidValue(N_("must be below the level %(party)s protects the order at now "
                              "(%(current)s)"), field="level", party=me,
                           current=current.level)
    return level
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
    restated = ({"recipient": found.recipient} if found.action == RELEASE
                else {"level": found.level})
    event = record(uow, user, Act(
        agreement=agreement, type=F.CONSENT_GRANTED, subject=subject(found.order),
        data={"request": found.request, "order": found.order, "action": found.action,
              **restated, "events": own_events(uow, found.order, stream)},
        role=role, on=uow.node.today(adopted_profile(uow, agreement)), unit=unit))
    if found.action in MARKING_ACTIONS:
        # The last grant puts the new marking into effect: the order is folded again with
        # the context that now holds it, as a partner's grant does on arrival.
        uow.context_changed()
        refresh_orders(uow.conn, [found.order], uow.context)
        uow.folds.clear()
    return event


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
        "level": c.level,
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


def awaiting(uow: UnitOfWork, user: LocalUser) -> list[dict[str, Any]]:
    """Pending requests on orders ``user`` may read that this node, as an originator, has
    not answered: what its security officers are asked to grant or refuse."""
    if Role.SECURITY_OFFICER not in user.roles:
        return []
    here = uow.node.party
    return [v for v in list_views(uow, user)
            if v["status"] == PENDING and here in v["originators"]
            and all(a["party"] != here for a in v["answers"])]


__all__ = ["GRANTED", "PENDING", "REFUSED", "awaiting", "consents", "grant_consent",
           "list_views",
           "refuse_consent", "request_consent"]

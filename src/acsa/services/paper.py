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
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import insert, select

from acsa.domain import facts as F
from acsa.domain.errors import N_, InvalidValue, NotAppointed, UnknownReference
from acsa.domain.parties import Role, check_identifier
from acsa.services.recording import Act, adopted_profile, order_state, record, stream_of
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser
from acsa.store import tables as T
from acsa.store.log import StoredEvent

EVIDENCE_BYTES_MAX = 25 * 1024 * 1024


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
def attach_evidence(uow: UnitOfWork, name: str, media_type: str, content: bytes
                    ) -> dict[str, Any]:
    """Keep a scanned form; returns the evidence reference events carry."""
    if not content or len(content) > EVIDENCE_BYTES_MAX:
        raise InvalidValue(
            N_("a form is 1 byte to %(limit)s bytes"),
            field="evidence", limit=EVIDENCE_BYTES_MAX,
        )
    sha = hashlib.sha256(content).hexdigest()
    if uow.conn.execute(select(T.evidence_files.c.sha256)
                        .where(T.evidence_files.c.sha256 == sha)).first() is None:
        uow.conn.execute(insert(T.evidence_files).values(
            sha256=sha, name=name[:200], media_type=media_type[:100], size=len(content),
            content=content, added_at=uow.node.now_at()))
    return {"sha256": sha, "name": name, "media_type": media_type, "size": len(content)}


@use_case
def appoint_paper_official(uow: UnitOfWork, admin: LocalUser, *, agreement: str, party: str,
                           user_id: str, name: str, role: str, units: Sequence[str] = (),
                           valid_from: date, evidence: Mapping[str, Any]) -> StoredEvent:
    """Publish a paper partner's written appointment, with the letter as evidence."""
    admin.require(Role.ADMINISTRATOR)
    _paper_partner(uow, agreement, party)
    profile = adopted_profile(uow, agreement)
    return record(uow, admin, Act(
        agreement=agreement, type=F.APPOINTMENT_GRANTED, subject=user_id,
        data={"party": party, "user": check_identifier(user_id, field="user"), "name": name,
              "role": Role(role).value, "units": sorted(units), "limits": None,
              "valid_from": valid_from.isoformat(), "valid_to": None,
              "evidence": [dict(evidence)], "paper": True},
        role=Role.ADMINISTRATOR, on=uow.node.today(profile), needs_appointment=False))


@use_case
def record_paper_step(uow: UnitOfWork, attester: LocalUser, *, number: str, party: str,
                      official: str, type: str, data: Mapping[str, Any],
                      evidence: Sequence[Mapping[str, Any]], unit: str | None = None,
                      on: date | None = None) -> StoredEvent:
    """Record the paper partner's ``official``'s step on order ``number`` from a signed form."""
    state = order_state(uow, number)
    profile = uow.context.profile(state.profile)
    _paper_partner(uow, profile.id, party)
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
    appointments = [a for a in roster.for_user(party, official) if a.in_force(on, None)]
    if not appointments:
        raise UnknownReference(
            N_("no paper appointment of %(party)s official %(official)s"),
            field="official", party=party, official=official,
        )
    appointment = min(appointments, key=lambda a: a.granted_at)
    unit = unit or (state.terms.requesting_unit if state.terms and
                    state.terms.requester == party else
                    (state.accepted.supplying_unit if state.accepted else None)
                    or (state.terms.supplying_unit if state.terms else None))
    body = {**dict(data), "evidence": [dict(e) for e in evidence],
            "attested_by": {"user": attester.id, "name": attester.name}}
    return record(uow, attester, Act(
        agreement=profile.id, type=type, subject=number, data=body, role=appointment.role,
        on=on, unit=unit,
        paper_actor={"user": official, "name": appointment.name,
                     "role": appointment.role.value, "party": party, "unit": unit,
                     "appointment": appointment.id, "paper": True}))

"""Reading the registry: adopted agreements, units, activities and appointments (rates:
:mod:`acsa.services.rates`).

Small reads for the command line, straight from the context tables the
log's context events feed (:func:`acsa.store.projections.apply_context`).
Nothing here writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import select

from acsa.domain.agreement import AgreementProfile
from acsa.domain.errors import N_, InvalidValue, UnknownReference
from acsa.domain.roster import Appointment
from acsa.domain.streams import stream_agreement, stream_id
from acsa.services.recording import adopted_profile
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from acsa.store.projections import appointment_of


def list_agreements(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every agreement profile known here, with the parties that adopted each version."""
    rows = uow.conn.execute(select(T.agreements).order_by(T.agreements.c.id,
                                                          T.agreements.c.version)).all()
    out = []
    for row in rows:
        document = json.loads(row.document)
        out.append({
            "id": row.id, "version": row.version, "digest": row.digest,
            "short_id": document.get("short_id"), "title": document.get("title"),
            "status": document.get("status"),
            "parties": [p.get("code") for p in document.get("parties", [])],
            "adopted_by": json.loads(row.adopted_by),
            "adopted_here": uow.node.party in json.loads(row.adopted_by),
        })
    return out


def agreement_profile(uow: UnitOfWork, agreement: str) -> AgreementProfile:
    """The profile this node adopted for ``agreement`` (newest version)."""
    return adopted_profile(uow, agreement)


def profile_items(document: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """A profile document as ``(dotted key, value)`` items, tables flattened, lists of tables
    numbered (``parties[0].code``), lists of plain values joined."""
    for key, value in document.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from profile_items(value, path + ".")
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for i, item in enumerate(value):
                yield from profile_items(item, f"{path}[{i}].")
        elif isinstance(value, list):
            yield path, ", ".join(str(v) for v in value)
        else:
            yield path, str(value)


def list_units(uow: UnitOfWork, party: str | None = None) -> list[dict[str, Any]]:
    query = select(T.units).order_by(T.units.c.party, T.units.c.id)
    if party:
        query = query.where(T.units.c.party == party)
    return [{"id": r.id, "party": r.party, "name": r.name, "parent": r.parent}
            for r in uow.conn.execute(query)]


def list_activities(uow: UnitOfWork, agreement: str | None = None) -> list[dict[str, Any]]:
    query = select(T.activities).order_by(T.activities.c.starts_on, T.activities.c.id)
    if agreement:
        query = query.where(T.activities.c.agreement == agreement)
    return [{"id": r.id, "agreement": r.agreement, "name": r.name, "type": r.type,
             "starts_on": r.starts_on.isoformat(),
             "ends_on": r.ends_on.isoformat() if r.ends_on else None,
             "registered_by": r.registered_by}
            for r in uow.conn.execute(query)]


def list_appointments(uow: UnitOfWork, agreement: str | None = None,
                      party: str | None = None) -> list[dict[str, Any]]:
    """The roster: every appointment granted in the agreement's streams, revoked or not."""
    a = T.appointments.c
    query = select(T.appointments).order_by(a.stream, a.granted_at)
    if agreement:
        query = query.where(a.stream.startswith(stream_id(agreement, ""), autoescape=True))
    if party:
        query = query.where(a.party == party)
    out = []
    for row in uow.conn.execute(query):
        ap = appointment_of(row)
        out.append({
            "id": ap.id, "agreement": stream_agreement(row.stream), "party": ap.party,
            "user": ap.user, "name": ap.name, "role": ap.role.value,
            "units": sorted(ap.units), "limits": dict(ap.limits) if ap.limits else None,
            "valid_from": ap.valid_from.isoformat(),
            "valid_to": ap.valid_to.isoformat() if ap.valid_to else None,
            "revoked": ap.revoked_at is not None,
        })
    return out


def find_appointment(uow: UnitOfWork, agreement: str, ref: str) -> Appointment:
    """One of this node's appointments under ``agreement`` by a prefix of its hash."""
    ref = ref.strip().lower()
    if len(ref) < 6:
        raise InvalidValue(
            N_("give at least 6 characters of the appointment's hash"),
            field="appointment",
        )
    roster = uow.context.roster(stream_id(agreement, uow.node.party))
    matches = [ap for ap in roster.appointments.values() if ap.id.startswith(ref)]
    if len(matches) != 1:
        raise UnknownReference(
            N_("no appointment '%(ref)s' of %(party)s under %(agreement)s (several match)")
            if matches else N_("no appointment '%(ref)s' of %(party)s under %(agreement)s"),
            field="appointment", ref=ref, party=uow.node.party, agreement=agreement,
        )
    return matches[0]

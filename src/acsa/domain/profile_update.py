"""Profile updates that record a fact about the agreement itself: its entry into force.

An agreement is signed long before it is in force: each government must first complete
its internal procedures (in Japan the Diet's approval, in the Philippines the Senate's
concurrence) and notify the other. Until then its profile says ``status = "signed"`` and
no order is accepted. The entry into force is a new version of the profile, derived from
the one both parties adopted: the same document with the status, the date and the
instrument that brought it into force. The derivation is deterministic, so the two
administrators who record the same date and instrument adopt the same document, with the
same digest, each in its own stream: that pair of signed adoptions is the update both
parties sign. Orders already recorded keep the version they cite.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from acsa.domain.agreement import AgreementProfile, profile_from_document
from acsa.domain.errors import N_, InvalidValue

VERSION_MAX = 20  # the agreements table's column
REFERENCE_MAX = 300


def in_force_version(base: AgreementProfile, on: date) -> str:
    """The version label an entry into force on ``on`` gives by default: ``2026.3+2026-05-01``."""
    return f"{base.version}+{on.isoformat()}"


def entry_into_force(base: AgreementProfile, *, on: date, reference: str,
                     version: str | None = None) -> AgreementProfile:
    """The profile ``base`` as in force from ``on`` by the instrument ``reference``."""
    if base.status != "signed":
        if base.status == "in_force" and base.in_force_on is not None:
            raise InvalidValue(
                N_("%(agreement)s %(version)s is already in force, since %(date)s"),
                field="agreement", agreement=base.id, version=base.version,
                date=base.in_force_on,
            )
        raise InvalidValue(
            N_("%(agreement)s %(version)s is %(status)s: only a signed agreement enters "
               "into force"),
            field="agreement", agreement=base.id, version=base.version, status=base.status,
        )
    if on < base.signed_on:
        raise InvalidValue(N_("cannot be before the signature, %(date)s"), field="on",
                           date=base.signed_on)
    reference = " ".join(reference.split())
    if not reference:
        raise InvalidValue(N_("is required"), field="reference")
    if len(reference) > REFERENCE_MAX:
        raise InvalidValue(N_("must be at most %(max)d characters"), field="reference",
                           max=REFERENCE_MAX)
    label = (version or in_force_version(base, on)).strip()
    if not label or len(label) > VERSION_MAX:
        raise InvalidValue(N_("must be 1 to %(max)d characters"), field="version",
                           max=VERSION_MAX)
    if label == base.version:
        raise InvalidValue(N_("must differ from the signed version's, %(version)s"),
                           field="version", version=base.version)
    document: dict[str, Any] = copy.deepcopy(dict(base.document))
    document.update(version=label, status="in_force", in_force_on=on.isoformat(),
                    in_force_reference=reference)
    placeholders = [p for p in document.get("placeholders", []) if p != "in_force_on"]
    if placeholders:
        document["placeholders"] = placeholders
    else:
        document.pop("placeholders", None)
    return profile_from_document(document, f"{base.id} {label}")

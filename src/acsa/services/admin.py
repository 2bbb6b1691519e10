"""Administration: agreements, appointments, units, activities, rates and catalogue prices.

Each of these is an event in the node's own stream for the agreement, so
the partner's node learns the profile this nation adopted, who may sign
for it, and the names of its units and activities.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from acsa.domain import facts as F
from acsa.domain.agreement import AgreementProfile
from acsa.domain.errors import N_, InvalidValue
from acsa.domain.money import Money, minor_units, parse_decimal
from acsa.domain.order import UNITS_OF_ISSUE
from acsa.domain.parties import ActivityType, Role, check_identifier
from acsa.domain.profile_update import entry_into_force
from acsa.domain.streams import stream_id
from acsa.profiles import load_file, shipped_profile
from acsa.services.recording import Act, adopted_profile, record
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser
from acsa.store import tables as T
from acsa.store.log import StoredEvent

CATALOGUE_ITEM_MAX = 200  # the catalogue table's column


def _adopt(uow: UnitOfWork, user: LocalUser, profile: AgreementProfile) -> AgreementProfile:
    """Sign this node's adoption of ``profile``: the document travels to the partner."""
    record(uow, user, Act(
        agreement=profile.id, type=F.AGREEMENT_ADOPTED, subject=profile.id,
        data={"profile": dict(profile.document)}, role=Role.ADMINISTRATOR,
        on=uow.node.today(profile), needs_appointment=False,
    ))
    return profile


@use_case
def adopt_agreement(uow: UnitOfWork, user: LocalUser, source: str) -> AgreementProfile:
    """Adopt a shipped profile (by id) or a profile file (by path)."""
    user.require(Role.ADMINISTRATOR)
    profile = load_file(Path(source)) if source.endswith(".toml") else shipped_profile(source)
    if uow.node.party not in profile.party_codes:
        raise InvalidValue(
            N_("%(party)s is not a party to %(agreement)s"),
            field="agreement", party=uow.node.party, agreement=profile.id,
        )
    return _adopt(uow, user, profile)


@use_case
def enter_into_force(uow: UnitOfWork, user: LocalUser, agreement: str, *, on: date,
                     reference: str, version: str | None = None) -> AgreementProfile:
    """Record the agreement's entry into force: adopt the signed profile as in force.

    Each party's administrator records the same date and instrument; the two signed
    adoptions of the one derived document are the update both parties sign.
    """
    user.require(Role.ADMINISTRATOR)
    profile = entry_into_force(adopted_profile(uow, agreement), on=on, reference=reference,
                               version=version)
    # An agreement enters into force once: another entry into force already recorded (by
    # the partner, say) must be matched, or the two parties would never sign one version.
    for row in uow.conn.execute(
        select(T.agreements.c.document, T.agreements.c.adopted_by)
        .where(T.agreements.c.id == profile.id, T.agreements.c.digest != profile.digest)
    ):
        theirs = json.loads(row.document)
        recorded = (theirs.get("in_force_on"), theirs.get("in_force_reference"))
        ours = (on.isoformat(), profile.in_force_reference)
        if recorded[1] and recorded != ours:
            raise InvalidValue(
                N_("%(parties)s recorded the entry into force on %(date)s by %(reference)s "
                   "(version %(version)s): record the same date and instrument"),
                field="on", parties=", ".join(json.loads(row.adopted_by)),
                date=theirs.get("in_force_on"), reference=theirs["in_force_reference"],
                version=theirs.get("version"),
            )
    return _adopt(uow, user, profile)


@use_case
def appoint(
    uow: UnitOfWork,
    admin: LocalUser,
    *,
    agreement: str,
    user_id: str,
    name: str,
    role: str,
    units: Iterable[str] = (),
    limits: Mapping[str, str] | None = None,
    valid_from: date,
    valid_to: date | None = None,
) -> StoredEvent:
    """Publish a written appointment: who may sign what, for which units, up to what, when."""
    admin.require(Role.ADMINISTRATOR)
    profile = adopted_profile(uow, agreement)
    try:
        parsed_role = Role(role)
    except ValueError:
        raise InvalidValue(N_("'%(role)s' is not a role"), field="role", role=role) from None
    if valid_to is not None and valid_to < valid_from:
        raise InvalidValue(N_("cannot end before it starts"), field="valid_to")
    limit_data = None
    if limits is not None:
        limit_data = {}
        for currency, text in limits.items():
            minor_units(currency)
            amount = Money.parse(text, currency, field=f"limits.{currency}")
            if amount.minor <= 0:
                raise InvalidValue(N_("must be more than zero"), field=f"limits.{currency}")
            limit_data[currency] = amount.minor
    return record(uow, admin, Act(
        agreement=agreement, type=F.APPOINTMENT_GRANTED, subject=user_id,
        data={
            "party": uow.node.party, "user": check_identifier(user_id, field="user"),
            "name": name, "role": parsed_role.value, "units": sorted(units),
            "limits": limit_data, "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None,
        },
        role=Role.ADMINISTRATOR, on=uow.node.today(profile), needs_appointment=False,
    ))


@use_case
def revoke_appointment(uow: UnitOfWork, admin: LocalUser, *, agreement: str,
                       appointment: str) -> StoredEvent:
    admin.require(Role.ADMINISTRATOR)
    profile = adopted_profile(uow, agreement)
    roster = uow.context.roster(stream_id(agreement, uow.node.party))
    found = roster.appointments.get(appointment)
    if found is None:
        raise InvalidValue(N_("no such appointment of this node"), field="appointment")
    return record(uow, admin, Act(
        agreement=agreement, type=F.APPOINTMENT_REVOKED, subject=found.user,
        data={"appointment": appointment}, role=Role.ADMINISTRATOR, on=uow.node.today(profile),
        needs_appointment=False,
    ))


@use_case
def register_unit(uow: UnitOfWork, admin: LocalUser, *, agreement: str, unit_id: str,
                  name: str, parent: str | None = None) -> StoredEvent:
    admin.require(Role.ADMINISTRATOR)
    profile = adopted_profile(uow, agreement)
    check_identifier(unit_id, field="id")
    if not name.strip():
        raise InvalidValue(N_("is required"), field="name")
    return record(uow, admin, Act(
        agreement=agreement, type=F.UNIT_REGISTERED, subject=unit_id,
        data={"name": name.strip(), "parent": parent}, role=Role.ADMINISTRATOR,
        on=uow.node.today(profile), needs_appointment=False,
    ))


@use_case
def register_activity(uow: UnitOfWork, admin: LocalUser, *, agreement: str, activity_id: str,
                      name: str, type: str, starts_on: date,
                      ends_on: date | None = None) -> StoredEvent:
    admin.require(Role.ADMINISTRATOR)
    profile = adopted_profile(uow, agreement)
    check_identifier(activity_id, field="id")
    try:
        ActivityType(type)
    except ValueError:
        raise InvalidValue(
            N_("'%(type)s' is not an activity type"),
            field="type", type=type,
        ) from None
    if type not in profile.activity_types:
        raise InvalidValue(
            N_("%(type)s is not eligible under %(agreement)s"),
            field="type", type=type, agreement=agreement,
        )
    if ends_on is not None and ends_on < starts_on:
        raise InvalidValue(N_("cannot end before it starts"), field="ends_on")
    return record(uow, admin, Act(
        agreement=agreement, type=F.ACTIVITY_REGISTERED, subject=activity_id,
        data={"name": name, "type": type, "starts_on": starts_on.isoformat(),
              "ends_on": ends_on.isoformat() if ends_on else None},
        role=Role.ADMINISTRATOR, on=uow.node.today(profile), needs_appointment=False,
    ))


@use_case
def record_rate(uow: UnitOfWork, user: LocalUser, *, agreement: str, on: date, base: str,
                quote: str, rate: str, source: str | None = None) -> StoredEvent:
    """A dated exchange rate entered and signed by a finance officer, taken from ``source``
    (an official source the agreement's profile names) or, without one, worked out by the
    officer. A source the profile does not name is refused, naming the field."""
    minor_units(base, field="base")
    minor_units(quote, field="quote")
    if base == quote:
        raise InvalidValue(N_("must be another currency than %(base)s"), field="quote",
                           base=base)
    value = parse_decimal(rate, field="rate")
    if value <= 0:
        raise InvalidValue(N_("must be positive"), field="rate")
    data = {"base": base, "quote": quote, "rate": str(Decimal(rate))}
    source = (source or "").strip() or None
    if source is not None:
        profile = adopted_profile(uow, agreement)
        if profile.rate_source(source) is None:
            raise InvalidValue(
                N_("'%(source)s' is not an official rate source of %(agreement)s (%(sources)s)")
                if profile.rate_sources else
                N_("'%(source)s' is not an official rate source of %(agreement)s, which "
                   "names none"),
                field="source", source=source, agreement=agreement,
                sources=[s.id for s in profile.rate_sources])
        # Only a rate with a source carries the key, so the data of a rate without one is
        # what it always was.
        data["source"] = source
    return record(uow, user, Act(
        agreement=agreement, type=F.RATE_RECORDED, subject=f"{base}/{quote}",
        data=data, role=Role.FINANCE_OFFICER, on=on,
    ))


@use_case
def set_catalogue_price(uow: UnitOfWork, user: LocalUser, *, agreement: str, category: str,
                        item: str, unit: str, unit_price: str, valid_from: date,
                        valid_to: date | None = None, on: date | None = None) -> StoredEvent:
    """The supplier's price for an item, in its own currency, from ``valid_from`` (to
    ``valid_to``): a finance officer of this node signs it, and it prices deliveries and
    conversions to cash dated within it."""
    user.require(Role.FINANCE_OFFICER)
    profile = adopted_profile(uow, agreement)
    if category not in profile.categories:
        raise InvalidValue(
            N_("'%(category)s' is not a category of %(agreement)s"),
            field="category", category=category, agreement=agreement,
        )
    item = item.strip()
    if not item or len(item) > CATALOGUE_ITEM_MAX:
        raise InvalidValue(N_("is required") if not item else
                           N_("use at most %(limit)s characters"), field="item",
                           limit=CATALOGUE_ITEM_MAX)
    if unit not in UNITS_OF_ISSUE:
        raise InvalidValue(N_("'%(unit)s' is not a unit of issue (%(units)s)"), field="unit",
                           unit=unit, units=UNITS_OF_ISSUE)
    if parse_decimal(unit_price, field="unit_price") <= 0:
        raise InvalidValue(N_("must be more than zero"), field="unit_price")
    if valid_to is not None and valid_to < valid_from:
        raise InvalidValue(N_("cannot end before it starts"), field="valid_to")
    currency = profile.party(uow.node.party).currency
    return record(uow, user, Act(
        agreement=agreement, type=F.CATALOGUE_PRICE_SET, subject=f"{category}/{item}",
        data={"category": category, "item": item, "unit": unit, "unit_price": unit_price,
              "currency": currency, "valid_from": valid_from.isoformat(),
              "valid_to": valid_to.isoformat() if valid_to else None},
        role=Role.FINANCE_OFFICER, on=on or uow.node.today(profile),
    ))


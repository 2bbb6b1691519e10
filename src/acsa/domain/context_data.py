"""The data of roster, registry, rate and catalogue events, checked before it is read.

A partner's event of these types feeds the tables every later judgement
reads (who is appointed, which units and activities exist, which rates and
prices hold), so its data must have the form those readers expect before
it is admitted. Each check raises :class:`~acsa.domain.errors.InvalidValue`
naming the data field at fault.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from acsa.domain import facts as F
from acsa.domain.agreement import canonical_digest, profile_from_document
from acsa.domain.arrangements import check_arrangement_data
from acsa.domain.compromise import TYPES as COMPROMISE_TYPES
from acsa.domain.compromise import check_compromise_data
from acsa.domain.consent import check_consent_data
from acsa.domain.errors import N_, InvalidValue
from acsa.domain.parties import Role
from acsa.domain.statements import check_statement_data


def is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class EventData:
    """One event's data with what its checks need to know besides it."""

    data: Mapping[str, Any]
    digest: str  # the envelope's profile digest
    party: str  # the party whose stream carries it
    on_paper: Collection[str]  # parties the profile says sign on paper

    def text(self, key: str, required: bool = True) -> None:
        value = self.data.get(key)
        if (value is None and required) or (value is not None and not isinstance(value, str)):
            raise InvalidValue(N_("must be text"), field=key)

    def day(self, key: str, required: bool = True) -> None:
        self.text(key, required)
        if self.data.get(key) is not None and not is_date(str(self.data[key])):
            raise InvalidValue(N_("must be a date"), field=key, value=self.data[key])


def _adopted(d: EventData) -> None:
    document = d.data.get("profile")
    if not isinstance(document, Mapping):
        raise InvalidValue(N_("must be the adopted profile"), field="profile")
    profile_from_document(document, "adopted profile")
    if canonical_digest(document) != d.digest:
        raise InvalidValue(
            N_("the envelope's profile digest is not this profile's"),
            field="profile",
        )


def _appointed(d: EventData) -> None:
    for key in ("user", "name", "role"):
        d.text(key)
    role = d.data.get("role")
    if role not in {r.value for r in Role}:
        raise InvalidValue(N_("'%(value)s' is not a role"), field="role", value=role)
    if d.data.get("party") != d.party and d.data.get("party") not in d.on_paper:
        raise InvalidValue(
            N_("%(party)s appoints its own officials only"),
            field="party", party=d.party,
        )
    d.day("valid_from")
    d.day("valid_to", required=False)
    units = d.data.get("units", [])
    if not isinstance(units, list) or not all(isinstance(u, str) for u in units):
        raise InvalidValue(N_("must be a list of unit ids"), field="units")
    limits = d.data.get("limits")
    if limits is not None and (
        not isinstance(limits, Mapping)
        or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                   for v in limits.values())
    ):
        raise InvalidValue(N_("must map currencies to positive minor units"), field="limits")


def _rate(d: EventData) -> None:
    """A rate: its pair, figure and date, and the official source it names, if any (events
    recorded before sources existed name none and read as before)."""
    _texts("base", "quote", "rate", days=("on",))(d)
    d.text("source", required=False)
    if "source" in d.data and d.data["source"] is None:
        raise InvalidValue(N_("must be text"), field="source")


def _texts(*keys: str, days: tuple[str, ...] = (), optional_days: tuple[str, ...] = ()
           ) -> Callable[[EventData], None]:
    def check(d: EventData) -> None:
        for key in keys:
            d.text(key)
        for key in days:
            d.day(key)
        for key in optional_days:
            d.day(key, required=False)
    return check


CHECKS: dict[str, Callable[[EventData], None]] = {
    F.AGREEMENT_ADOPTED: _adopted,
    F.APPOINTMENT_GRANTED: _appointed,
    F.APPOINTMENT_REVOKED: _texts("appointment"),
    F.UNIT_REGISTERED: _texts("name"),
    F.ACTIVITY_REGISTERED: _texts("name", "type", days=("starts_on",),
                                  optional_days=("ends_on",)),
    F.RATE_RECORDED: _rate,
    F.BALANCE_SIGNED: lambda d: check_statement_data(F.BALANCE_SIGNED, d.data),
    F.BALANCE_ANSWERED: lambda d: check_statement_data(F.BALANCE_ANSWERED, d.data),
    F.ARRANGEMENT_PROPOSED: lambda d: check_arrangement_data(F.ARRANGEMENT_PROPOSED, d.data),
    F.ARRANGEMENT_SIGNED: lambda d: check_arrangement_data(F.ARRANGEMENT_SIGNED, d.data),
    F.CONSENT_REQUESTED: lambda d: check_consent_data(F.CONSENT_REQUESTED, d.data),
    F.CONSENT_GRANTED: lambda d: check_consent_data(F.CONSENT_GRANTED, d.data),
    F.CONSENT_REFUSED: lambda d: check_consent_data(F.CONSENT_REFUSED, d.data),
    F.CATALOGUE_PRICE_SET: _texts("category", "item", "unit", "unit_price", "currency",
                                  days=("valid_from",)),
}


def _compromise(type_: str) -> Callable[[EventData], None]:
    return lambda d: check_compromise_data(type_, d.data)


CHECKS.update({t: _compromise(t) for t in COMPROMISE_TYPES})


def check_context_data(type_: str, data: Mapping[str, Any], digest: str, party: str,
                       on_paper: Collection[str] = ()) -> None:
    """Refuse roster, registry and rate events whose data other checks could not read.

    A party appoints its own officials, except that the node recording a
    paper partner's steps also publishes the appointments it holds on paper
    for that partner (``on_paper``: the parties the profile says sign on paper).
    """
    check = CHECKS.get(type_)
    if check is not None:
        check(EventData(data, digest, party, on_paper))

"""Parties, sides, roles, units, users and activities.

A *party* is a nation (ISO 3166 alpha-3 code). On one order the party that
asks is the *requester* and the party that provides is the *supplier*; those
are the order's two *sides*. A *role* is a job a user holds for their party.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from acsa.domain.errors import N_, InvalidValue, MissingField

_PARTY_CODE = re.compile(r"[A-Z]{3}")
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


class Side(StrEnum):
    REQUESTER = "requester"
    SUPPLIER = "supplier"

    @property
    def other(self) -> Side:
        return Side.SUPPLIER if self is Side.REQUESTER else Side.REQUESTER


class Role(StrEnum):
    ORDERING_OFFICIAL = "ordering_official"
    APPROVING_OFFICIAL = "approving_official"
    SUPPLY_OFFICER = "supply_officer"
    RECEIVING_OFFICIAL = "receiving_official"
    FINANCE_OFFICER = "finance_officer"
    SECURITY_OFFICER = "security_officer"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"


class ActivityType(StrEnum):
    """Activity types of Japan's recent agreements and the US ones."""

    BILATERAL_TRAINING = "bilateral_training"
    MULTILATERAL_EXERCISE = "multilateral_exercise"
    UN_PEACEKEEPING = "un_peacekeeping"
    INTERNATIONAL_OPERATION = "international_operation"
    HADR = "hadr"
    NEO = "neo"
    LIAISON_ROUTINE = "liaison_routine"
    OTHER_AGREED = "other_agreed"


def check_party_code(code: object, *, field: str = "party") -> str:
    if code is None or code == "":
        raise MissingField(N_("is required"), field=field)
    if not isinstance(code, str) or not _PARTY_CODE.fullmatch(code):
        raise InvalidValue(N_("'%(code)s' is not an ISO 3166 alpha-3 code"), field=field, code=code)
    return code


def check_identifier(value: object, *, field: str) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise InvalidValue(
            N_("'%(value)s' is not an identifier (letters, digits, . _ : -, at most 64)"),
            field=field, value=value,
        )
    return value


@dataclass(frozen=True)
class Unit:
    """A unit of one party's force (a squadron, a ship, a logistics group)."""

    id: str
    party: str
    name: str
    parent: str | None = None


@dataclass(frozen=True)
class User:
    """A person who acts for exactly one party on that party's node."""

    id: str
    party: str
    name: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    units: frozenset[str] = field(default_factory=frozenset)
    clearance: str | None = None
    activities: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Activity:
    """An exercise or operation under which orders are placed."""

    id: str
    agreement: str
    name: str
    type: ActivityType
    starts_on: date
    ends_on: date | None = None

    def __post_init__(self) -> None:
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise InvalidValue(N_("an activity cannot end before it starts"), field="ends_on")

"""Local users: the people who act on this node. They never leave it.

A user's *roles* say what the node lets them do locally (an administrator
manages users; an auditor reads); the authority to *sign* for their nation
comes only from an appointment in the roster, which does travel.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import insert, select, update

from acsa.domain.errors import DomainError, InvalidValue, UnknownReference
from acsa.domain.parties import Role
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.store import tables as T

_USER_ID = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


class NotPermitted(DomainError):
    code = "not_permitted"


@dataclass(frozen=True)
class LocalUser:
    id: str
    name: str
    party: str
    roles: frozenset[Role]
    units: frozenset[str]
    clearance: str | None
    activities: frozenset[str]
    locale: str
    time_zone: str
    active: bool

    def require(self, *roles: Role) -> None:
        if not self.roles & set(roles):
            wanted = " or ".join(r.value for r in roles)
            raise NotPermitted(f"{self.id} is not a {wanted} on this node", field="user")


def user_of(row: Any) -> LocalUser:
    return LocalUser(
        id=row.id, name=row.name, party=row.party,
        roles=frozenset(Role(r) for r in json.loads(row.roles)),
        units=frozenset(json.loads(row.units)), clearance=row.clearance,
        activities=frozenset(json.loads(row.activities)), locale=row.locale,
        time_zone=row.time_zone, active=row.active,
    )


def get_user(uow: UnitOfWork, user_id: str | None) -> LocalUser:
    """The acting user; refuses an unknown or deactivated one."""
    if not user_id:
        raise InvalidValue("say who acts: --as USER or ACSA_USER", field="user")
    row = uow.conn.execute(select(T.users).where(T.users.c.id == user_id)).first()
    if row is None:
        raise UnknownReference(f"no user {user_id!r} on this node", field="user")
    user = user_of(row)
    if not user.active:
        raise NotPermitted(f"{user_id} is deactivated", field="user")
    return user


def find_active_user(uow: UnitOfWork, user_id: str) -> LocalUser | None:
    """The active local user ``user_id``, or ``None``."""
    row = uow.conn.execute(select(T.users).where(T.users.c.id == user_id)).first()
    user = user_of(row) if row is not None else None
    return user if user is not None and user.active else None


def list_users(uow: UnitOfWork) -> list[LocalUser]:
    return [user_of(r) for r in uow.conn.execute(select(T.users).order_by(T.users.c.id))]


def count_users(uow: UnitOfWork) -> int:
    return len(uow.conn.execute(select(T.users.c.id)).all())


@use_case
def add_user(
    uow: UnitOfWork,
    actor: LocalUser | None,
    *,
    user_id: str,
    name: str,
    roles: Iterable[str],
    units: Iterable[str] = (),
    clearance: str | None = None,
    activities: Iterable[str] = (),
    locale: str = "en",
    time_zone: str = "UTC",
    password_hash: str | None = None,
) -> LocalUser:
    """Add a local user. The first user of a node may be added by nobody (bootstrap)."""
    if actor is None:
        if count_users(uow):
            raise NotPermitted("only an administrator adds users", field="user")
    else:
        actor.require(Role.ADMINISTRATOR)
    if not _USER_ID.fullmatch(user_id):
        raise InvalidValue("2–64 lowercase letters, digits, '.', '_' or '-'", field="id")
    if not name.strip():
        raise InvalidValue("is required", field="name")
    parsed = []
    for r in roles:
        try:
            parsed.append(Role(r))
        except ValueError:
            known = ", ".join(x.value for x in Role)
            raise InvalidValue(f"{r!r} is not a role ({known})", field="roles") from None
    if uow.conn.execute(select(T.users.c.id).where(T.users.c.id == user_id)).first():
        raise InvalidValue(f"user {user_id} already exists", field="id")
    check_locale(locale)
    check_time_zone(time_zone)
    uow.conn.execute(insert(T.users).values(
        id=user_id, name=name.strip(), party=uow.node.party,
        roles=json.dumps(sorted(r.value for r in parsed)), units=json.dumps(sorted(units)),
        clearance=clearance, activities=json.dumps(sorted(activities)), locale=locale,
        time_zone=time_zone, password_hash=password_hash, active=True,
        created_at=uow.node.now_at(),
    ))
    return get_user(uow, user_id)


@use_case
def set_password_hash(uow: UnitOfWork, user_id: str, password_hash: str) -> None:
    uow.conn.execute(update(T.users).where(T.users.c.id == user_id)
                     .values(password_hash=password_hash))


def check_time_zone(time_zone: str, field: str = "time_zone") -> str:
    """``time_zone`` if it is an IANA time zone; refused, naming ``field``, otherwise."""
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(f"{time_zone!r} is not a time zone (e.g. Asia/Tokyo)",
                           field=field) from None
    return time_zone


def check_locale(locale: str) -> str:
    if locale not in ("en", "ja"):
        raise InvalidValue("must be en or ja", field="locale")
    return locale


@use_case
def set_preferences(uow: UnitOfWork, user: LocalUser, *, locale: str, time_zone: str) -> LocalUser:
    """A user's own language and time zone (dates and times on pages follow them)."""
    check_locale(locale)
    check_time_zone(time_zone)
    uow.conn.execute(update(T.users).where(T.users.c.id == user.id)
                     .values(locale=locale, time_zone=time_zone))
    return get_user(uow, user.id)

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
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import insert, select, update

from acsa.domain.errors import N_, DomainError, InvalidValue, UnknownReference
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
            wanted = sorted(r.value for r in roles)
            raise NotPermitted(
                N_("%(user)s is not a %(role)s on this node"),
                field="user", user=self.id, role=" or ".join(wanted),
                **({"roles": wanted} if len(wanted) > 1 else {}),
            )


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
        raise InvalidValue(N_("say who acts: --as USER or ACSA_USER"), field="user")
    row = uow.conn.execute(select(T.users).where(T.users.c.id == user_id)).first()
    if row is None:
        raise UnknownReference(
            N_("no user '%(user_id)s' on this node"),
            field="user", user_id=user_id,
        )
    user = user_of(row)
    if not user.active:
        raise NotPermitted(N_("%(user_id)s is deactivated"), field="user", user_id=user_id)
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
    time_zone: str | None = None,
    password_hash: str | None = None,
) -> LocalUser:
    """Add a local user. The first user of a node may be added by nobody (bootstrap).

    Without ``time_zone`` the user starts in their party's (:func:`party_time_zone`).

    A clearance or an assignment to an activity given here is a security
    officer's decision (:func:`require_clearance_manager`), checked as
    :func:`check_clearance` and :func:`check_activities` check them later.
    """
    if actor is None:
        if count_users(uow):
            raise NotPermitted(N_("only an administrator adds users"), field="user")
    else:
        actor.require(Role.ADMINISTRATOR)
    if not _USER_ID.fullmatch(user_id):
        raise InvalidValue(N_("2–64 lowercase letters, digits, '.', '_' or '-'"), field="id")
    if not name.strip():
        raise InvalidValue(N_("is required"), field="name")
    parsed = []
    for r in roles:
        try:
            parsed.append(Role(r))
        except ValueError:
            raise InvalidValue(
                N_("'%(role)s' is not a role (%(allowed)s)"),
                field="roles", role=r, allowed=[x.value for x in Role],
            ) from None
    if uow.conn.execute(select(T.users.c.id).where(T.users.c.id == user_id)).first():
        raise InvalidValue(N_("user %(user_id)s already exists"), field="id", user_id=user_id)
    check_locale(locale)
    time_zone = check_time_zone(time_zone or party_time_zone(uow, uow.node.party))
    cleared, assigned = _security_at_start(uow, actor, user_id, clearance, activities)
    uow.conn.execute(insert(T.users).values(
        id=user_id, name=name.strip(), party=uow.node.party,
        roles=json.dumps(sorted(r.value for r in parsed)), units=json.dumps(sorted(units)),
        clearance=cleared, activities=json.dumps(assigned), locale=locale,
        time_zone=time_zone, password_hash=password_hash, active=True,
        created_at=uow.node.now_at(),
    ))
    return get_user(uow, user_id)


def _security_at_start(uow: UnitOfWork, actor: LocalUser | None, user_id: str,
                       clearance: str | None, activities: Iterable[str],
                       ) -> tuple[str | None, list[str]]:
    """A new user's clearance and activities: only a security officer gives them."""
    activities = [a for a in activities if a.strip()]
    if activities or not _means_none(clearance or ""):
        require_clearance_manager(actor, user_id)
    return check_clearance(uow, clearance), check_activities(uow, activities)


@use_case
def set_password_hash(uow: UnitOfWork, user_id: str, password_hash: str) -> None:
    uow.conn.execute(update(T.users).where(T.users.c.id == user_id)
                     .values(password_hash=password_hash))


def check_time_zone(time_zone: str, field: str = "time_zone") -> str:
    """``time_zone`` if it is an IANA time zone; refused, naming ``field``, otherwise."""
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(
            N_("'%(time_zone)s' is not a time zone (e.g. Asia/Tokyo)"),
            field=field, time_zone=time_zone,
        ) from None
    return time_zone


# A party's time zone where no adopted agreement profile names one.
PARTY_TIME_ZONES = {"JPN": "Asia/Tokyo", "PHL": "Asia/Manila", "USA": "America/New_York"}


def party_time_zone(uow: UnitOfWork, party: str) -> str:
    """The time zone a new user of ``party`` starts in: the one the adopted agreement
    profiles give the party (the first by agreement id), else the party's capital's, else UTC.
    """
    a = T.agreements.c
    for row in uow.conn.execute(select(a.document).order_by(a.id, a.version)):
        for entry in json.loads(row.document).get("parties", []):
            if entry.get("code") == party and entry.get("time_zone"):
                return str(entry["time_zone"])
    return PARTY_TIME_ZONES.get(party, "UTC")


def today_of(uow: UnitOfWork, user: LocalUser) -> date:
    """The user's "today": the date now where the user is (their time zone), which the
    pages they see count overdue days and default dates from."""
    return uow.node.today_in(user.time_zone)


def check_locale(locale: str) -> str:
    if locale not in ("en", "ja"):
        raise InvalidValue(N_("must be en or ja"), field="locale")
    return locale


@use_case
def set_preferences(uow: UnitOfWork, user: LocalUser, *, locale: str, time_zone: str) -> LocalUser:
    """A user's own language and time zone (dates and times on pages follow them)."""
    check_locale(locale)
    check_time_zone(time_zone)
    uow.conn.execute(update(T.users).where(T.users.c.id == user.id)
                     .values(locale=locale, time_zone=time_zone))
    return get_user(uow, user.id)


# -- clearance and need to know ------------------------------------------------------------
#
# A user's clearance is a level of their own party's classification scheme (the one the
# agreement profiles list for this node's party); their need to know is their assignment to
# activities registered on this node. The read rule (domain/marking.py) uses both. Only a
# security officer gives them, and never to themselves (docs/security.md).

NO_CLEARANCE = "none"  # what a user types to give no clearance, or to clear one
CLEARANCE_MANAGERS = frozenset({Role.SECURITY_OFFICER})


def may_manage_clearances(user: LocalUser) -> bool:
    """Whether ``user`` sets clearances and assigns users to activities."""
    return bool(user.roles & CLEARANCE_MANAGERS)


def require_clearance_manager(actor: LocalUser | None, user_id: str) -> None:
    """Refuse anyone but a security officer, and a security officer acting on themselves."""
    if actor is None or not may_manage_clearances(actor):
        raise NotPermitted(
            N_("only a security officer sets a clearance or assigns a user to an activity"),
            field="user", user=actor.id if actor else None, role=Role.SECURITY_OFFICER,
        )
    if actor.id == user_id:
        raise NotPermitted(
            N_("nobody sets their own clearance or need to know: another security officer does"),
            field="user", user=actor.id,
        )


def _adopted_schemes(uow: UnitOfWork) -> list[tuple[tuple[str, ...], str]]:
    """This node's party's scheme in each agreement it adopted (newest version of each):
    its levels, highest first, and its unclassified marking."""
    a = T.agreements.c
    newest: dict[str, Any] = {}
    for row in uow.conn.execute(select(a.id, a.version, a.digest, a.adopted_by)
                                .order_by(a.id, a.version)):
        if uow.node.party in json.loads(row.adopted_by):
            newest[row.id] = row  # ordered by version: the last one is the newest
    out = []
    for agreement in sorted(newest):
        scheme = uow.context.profile(newest[agreement].digest).party(uow.node.party)
        out.append((scheme.classification_levels, scheme.unclassified_marking))
    return out


def clearance_levels(uow: UnitOfWork) -> tuple[str, ...]:
    """The levels a clearance on this node may take, highest first: those of this node's
    party's own scheme, as the agreement profiles it adopted list them (a party's profiles
    list one scheme; should two differ, a level of either is offered)."""
    levels: dict[str, None] = {}
    for scheme, _ in _adopted_schemes(uow):
        levels.update(dict.fromkeys(scheme))
    return tuple(levels)


def _means_none(text: str) -> bool:
    return not text.strip() or text.strip().casefold() == NO_CLEARANCE


def check_clearance(uow: UnitOfWork, level: str | None) -> str | None:
    """``level`` as the scheme spells it, or ``None`` for no clearance (nothing, ``none`` or
    the party's unclassified marking); anything else is refused, naming the levels."""
    text = (level or "").strip()
    if _means_none(text):
        return None
    schemes = _adopted_schemes(uow)
    if any(text.casefold() == unclassified.casefold() for _, unclassified in schemes):
        return None
    levels = clearance_levels(uow)
    for known in levels:
        if known.casefold() == text.casefold():
            return known
    allowed = [*levels, NO_CLEARANCE]
    raise InvalidValue(
        N_("'%(level)s' is not a level of %(party)s's classification scheme; one of: "
           "%(allowed)s") if levels else
        N_("'%(level)s' is not a level of %(party)s's classification scheme; one of: "
           "%(allowed)s (this node has adopted no agreement profile yet)"),
        field="clearance", level=text, allowed=allowed, party=uow.node.party)


def registered_activities(uow: UnitOfWork) -> list[str]:
    """The ids of the activities registered on this node (by either party), sorted."""
    return sorted(uow.conn.execute(select(T.activities.c.id)).scalars())


def check_activities(uow: UnitOfWork, activities: Iterable[str]) -> list[str]:
    """``activities`` (sorted, without repeats) if each is registered on this node."""
    wanted = sorted({a.strip() for a in activities if a.strip()})
    if not wanted:
        return []
    known = registered_activities(uow)
    for activity in wanted:
        if activity not in known:
            raise UnknownReference(
                N_("'%(activity)s' is not an activity registered on this node; one of: "
                   "%(allowed)s") if known else
                N_("'%(activity)s' is not an activity registered on this node; none is "
                   "registered yet"),
                field="activity", activity=activity, allowed=known)
    return wanted


def find_user(uow: UnitOfWork, user_id: str) -> LocalUser:
    """A user of this node, active or not; refused when there is none."""
    row = uow.conn.execute(select(T.users).where(T.users.c.id == user_id)).first()
    if row is None:
        raise UnknownReference(N_("no user '%(user)s' on this node"), field="user", user=user_id)
    return user_of(row)

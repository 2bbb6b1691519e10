"""What the administration pages read and the few acts the other services lack.

Reads gather the node's registry, roster, peers, quarantine and access log
into plain values for the pages; the acts (adding a user with a first
password, appointing a local user, deactivating an account, confirming a
peer's announced key, setting a clearance, assigning a user to activities)
are thin use cases over :mod:`acsa.services.users`,
:mod:`acsa.services.admin`, :mod:`acsa.services.auth` and
:mod:`acsa.services.peers`, with the same role checks.

Who may read: administrators, auditors and security officers. Who may act:
administrators (each act checks it again in the service it calls), except
that clearances and need to know are a security officer's alone, given to
anyone but themselves (docs/security.md); each such change is a line of
the access log.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select, update

from acsa.domain.agreement import AgreementProfile
from acsa.domain.errors import N_, AlreadyRecorded, InvalidValue, MissingField, UnknownReference
from acsa.domain.money import Money
from acsa.domain.parties import Role
from acsa.events import short_fingerprint
from acsa.services import admin, auth, need_to_know, registry, users
from acsa.services.intake import Quarantined, quarantined
from acsa.services.peers import Peer, list_peers, pending_keys
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser, NotPermitted
from acsa.services.witness import Alarm, list_alarms
from acsa.store import tables as T
from acsa.store.log import StoredEvent

READERS = frozenset({Role.ADMINISTRATOR, Role.AUDITOR, Role.SECURITY_OFFICER})
LOG_READERS = frozenset({Role.AUDITOR, Role.SECURITY_OFFICER})
ACCESS_PAGE_MAX = 200
NO_ACTIVITY = "none"


def require_reader(user: LocalUser) -> None:
    """Administration pages are for administrators, auditors and security officers."""
    if not user.roles & READERS:
        raise NotPermitted(
            N_("%(user)s is not an administrator, auditor or security officer on this node"),
            field="user", user=user.id,
        )


def may_act(user: LocalUser) -> bool:
    return Role.ADMINISTRATOR in user.roles


def may_read_access_log(user: LocalUser) -> bool:
    return bool(user.roles & LOG_READERS)


# -- the overview -----------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    users: int
    active_users: int
    appointments: int
    units: int
    activities: int
    agreements: int
    peers: int
    keys_to_confirm: int
    open_alarms: int
    quarantined: int


def _count(uow: UnitOfWork, query: Any) -> int:
    return int(uow.conn.execute(query).scalar_one())


def overview(uow: UnitOfWork, user: LocalUser) -> Overview:
    require_reader(user)
    own = f"%/{uow.node.party}"
    peers = list_peers(uow)
    return Overview(
        users=_count(uow, select(func.count()).select_from(T.users)),
        active_users=_count(uow, select(func.count()).select_from(T.users)
                            .where(T.users.c.active.is_(True))),
        appointments=_count(uow, select(func.count()).select_from(T.appointments)
                            .where(T.appointments.c.stream.like(own))),
        units=_count(uow, select(func.count()).select_from(T.units)),
        activities=_count(uow, select(func.count()).select_from(T.activities)),
        agreements=sum(1 for a in registry.list_agreements(uow) if a["adopted_here"]),
        peers=len(peers),
        keys_to_confirm=sum(len(pending_keys(uow, p.party)) for p in peers),
        open_alarms=_count(uow, select(func.count()).select_from(T.peer_alarms)
                           .where(T.peer_alarms.c.resolved_at.is_(None))),
        quarantined=_count(uow, select(func.count()).select_from(T.quarantine)
                           .where(T.quarantine.c.resolved.is_(False))),
    )


# -- users ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserRow:
    user: LocalUser
    has_password: bool
    has_totp: bool
    created_at: str


def list_users(uow: UnitOfWork, actor: LocalUser) -> list[UserRow]:
    require_reader(actor)
    rows = uow.conn.execute(select(T.users).order_by(T.users.c.id))
    return [UserRow(users.user_of(r), bool(r.password_hash), bool(r.totp_secret), r.created_at)
            for r in rows]


@use_case
def add_user(uow: UnitOfWork, actor: LocalUser, *, user_id: str, name: str,
             roles: Iterable[str], units: Iterable[str] = (), clearance: str | None = None,
             activities: Iterable[str] = (), locale: str = "en", time_zone: str | None = None,
             password: str | None = None) -> LocalUser:
    """An administrator adds a local user, optionally with a first password.

    A clearance and activities given at once need the actor to be a security
    officer too (:func:`acsa.services.users.add_user` checks it); each is
    written to the access log as a later change would be.
    """
    actor.require(Role.ADMINISTRATOR)
    wanted = [r for r in roles if r]
    if not wanted:
        raise InvalidValue(N_("give at least one role"), field="roles")
    if time_zone:
        users.check_time_zone(time_zone)  # before the password is hashed
    if password:
        auth.hash_password(password)  # refuses a short one before anything is written
    known_units = {u.id for u in registry_units(uow, uow.node.party)}
    for unit in units:
        if unit not in known_units:
            raise InvalidValue(
                N_("'%(unit)s' is not a unit of %(party)s"),
                field="units", unit=unit, party=uow.node.party,
            )
    added = users.add_user(uow, actor, user_id=user_id, name=name, roles=wanted, units=units,
                           clearance=clearance or None, activities=activities,
                           locale=locale, time_zone=time_zone)
    if password:
        auth.set_password(uow, actor, added.id, password)
    auth.record_access(uow, actor.id, "user.added", added.id, "")
    _record_security(uow, actor, added.id, None, added.clearance, frozenset(),
                     added.activities, "")
    return added


@dataclass(frozen=True)
class UnitRef:
    id: str
    name: str


def registry_units(uow: UnitOfWork, party: str) -> list[UnitRef]:
    return [UnitRef(u["id"], u["name"]) for u in registry.list_units(uow, party)]


@use_case
def set_active(uow: UnitOfWork, actor: LocalUser, user_id: str, active: bool) -> None:
    """Deactivate (or reactivate) an account: its sessions and tokens stop working at once."""
    actor.require(Role.ADMINISTRATOR)
    if user_id == actor.id and not active:
        raise InvalidValue(N_("an administrator cannot deactivate their own account"), field="user")
    row = uow.conn.execute(select(T.users.c.id).where(T.users.c.id == user_id)).first()
    if row is None:
        raise UnknownReference(
            N_("no user '%(user_id)s' on this node"),
            field="user", user_id=user_id,
        )
    uow.conn.execute(update(T.users).where(T.users.c.id == user_id).values(active=active))
    if not active:
        uow.conn.execute(update(T.sessions).where(T.sessions.c.user_id == user_id,
                                                  T.sessions.c.ended_at.is_(None))
                         .values(ended_at=uow.node.now_at()))
    auth.record_access(uow, actor.id, "user.activated" if active else "user.deactivated",
                       user_id, "")


def _check_roles(roles: Iterable[str]) -> list[str]:
    wanted = sorted({r.strip() for r in roles if r.strip()})
    if not wanted:
        raise InvalidValue(N_("give at least one role"), field="roles")
    for r in wanted:
        if r not in {x.value for x in Role}:
            raise InvalidValue(N_("'%(role)s' is not a role (%(allowed)s)"), field="roles",
                               role=r, allowed=[x.value for x in Role])
    return wanted


@use_case
def edit_user(uow: UnitOfWork, actor: LocalUser, user_id: str, *,
              roles: Iterable[str] | None = None, units: Iterable[str] | None = None,
              address: str = "") -> LocalUser:
    """An administrator changes a user's roles, units or both (``None``: unchanged); each
    change is a line of the access log, old → new. An administrator keeps their own
    administrator role (another administrator may take it)."""
    actor.require(Role.ADMINISTRATOR)
    target = users.find_user(uow, user_id)
    values: dict[str, str] = {}
    old_roles = sorted(r.value for r in target.roles)
    if roles is not None:
        new_roles = _check_roles(roles)
        if user_id == actor.id and Role.ADMINISTRATOR.value not in new_roles:
            raise InvalidValue(N_("an administrator cannot take their own administrator role"),
                               field="roles")
        if new_roles != old_roles:
            values["roles"] = json.dumps(new_roles)
            auth.record_access(uow, actor.id, "user.roles", f"{user_id}: {', '.join(old_roles)}"
                               f" → {', '.join(new_roles)}", address)
    if units is not None:
        new_units = sorted({u.strip() for u in units if u.strip()})
        known = {u.id for u in registry_units(uow, uow.node.party)}
        for unit in new_units:
            if unit not in known:
                raise InvalidValue(N_("'%(unit)s' is not a unit of %(party)s"), field="units",
                                   unit=unit, party=uow.node.party)
        if new_units != sorted(target.units):
            values["units"] = json.dumps(new_units)
            auth.record_access(uow, actor.id, "user.units",
                               f"{user_id}: {', '.join(sorted(target.units)) or '—'} → "
                               f"{', '.join(new_units) or '—'}", address)
    if values:
        uow.conn.execute(update(T.users).where(T.users.c.id == user_id).values(**values))
    return users.find_user(uow, user_id)


# -- clearance and need to know ---------------------------------------------------------------


@dataclass(frozen=True)
class ActivityRef:
    id: str
    name: str
    agreement: str


@dataclass(frozen=True)
class SecurityOptions:
    """What a clearance and an assignment may be on this node."""

    levels: tuple[str, ...]  # the party's own levels, highest first
    activities: list[ActivityRef]  # the activities registered here

    @property
    def level_choices(self) -> list[tuple[str, str]]:
        """The levels as (value, text) pairs for a select."""
        return [(level, level) for level in self.levels]


def may_manage_clearances(user: LocalUser) -> bool:
    return users.may_manage_clearances(user)


def security_options(uow: UnitOfWork, actor: LocalUser) -> SecurityOptions:
    require_reader(actor)
    return SecurityOptions(
        users.clearance_levels(uow),
        [ActivityRef(a["id"], a["name"], a["agreement"])
         for a in sorted(registry.list_activities(uow), key=lambda a: str(a["id"]))])


def user_row(uow: UnitOfWork, actor: LocalUser, user_id: str) -> UserRow:
    """One user as the administration pages and the API show them."""
    require_reader(actor)
    row = uow.conn.execute(select(T.users).where(T.users.c.id == user_id)).first()
    if row is None:
        raise UnknownReference(N_("no user '%(user)s' on this node"), field="user", user=user_id)
    return UserRow(users.user_of(row), bool(row.password_hash), bool(row.totp_secret),
                   row.created_at)


def _record_security(uow: UnitOfWork, actor: LocalUser, user_id: str, old: str | None,
                     new: str | None, had: frozenset[str], has: frozenset[str],
                     address: str) -> None:
    """One access-log line per change of clearance and per activity assigned or taken."""
    if old != new:
        auth.record_access(uow, actor.id, "user.clearance",
                           f"{user_id}: {old or users.NO_CLEARANCE} → "
                           f"{new or users.NO_CLEARANCE}", address)
    for activity in sorted(has - had):
        auth.record_access(uow, actor.id, "user.assigned", f"{user_id}: {activity}", address)
    for activity in sorted(had - has):
        auth.record_access(uow, actor.id, "user.unassigned", f"{user_id}: {activity}",
                           address)


@use_case
def set_clearance(uow: UnitOfWork, actor: LocalUser, user_id: str, level: str | None, *,
                  address: str = "") -> LocalUser:
    """A security officer sets another user's clearance (``none`` or nothing clears it)."""
    users.require_clearance_manager(actor, user_id)
    target = users.find_user(uow, user_id)
    level = users.check_clearance(uow, level)
    if level != target.clearance:
        uow.conn.execute(update(T.users).where(T.users.c.id == user_id)
                         .values(clearance=level))
        _record_security(uow, actor, user_id, target.clearance, level, target.activities,
                         target.activities, address)
    return users.find_user(uow, user_id)


@use_case
def set_activities(uow: UnitOfWork, actor: LocalUser, user_id: str,
                   activities: Iterable[str], *, address: str = "") -> LocalUser:
    """A security officer gives another user exactly these activities (need to know)."""
    users.require_clearance_manager(actor, user_id)
    target = users.find_user(uow, user_id)
    wanted = frozenset(users.check_activities(uow, activities))
    if wanted != target.activities:
        uow.conn.execute(update(T.users).where(T.users.c.id == user_id)
                         .values(activities=json.dumps(sorted(wanted))))
        _record_security(uow, actor, user_id, target.clearance, target.clearance,
                         target.activities, wanted, address)
    return users.find_user(uow, user_id)


@use_case
def assign(uow: UnitOfWork, actor: LocalUser, user_id: str, activities: Iterable[str], *,
           address: str = "") -> LocalUser:
    """Assign another user to activities: refused for one they are assigned to already."""
    users.require_clearance_manager(actor, user_id)
    target = users.find_user(uow, user_id)
    wanted = users.check_activities(uow, activities)
    if not wanted:
        raise MissingField(N_("name an activity"), field="activity")
    held = sorted(target.activities & set(wanted))
    if held:
        raise AlreadyRecorded(N_("%(user)s is assigned to %(activity)s already"),
                              field="activity", user=user_id, activity=held[0])
    return set_activities(uow, actor, user_id, target.activities | set(wanted),
                          address=address)


@use_case
def unassign(uow: UnitOfWork, actor: LocalUser, user_id: str, activities: Iterable[str], *,
             address: str = "") -> LocalUser:
    """Take activities from another user: refused for one they are not assigned to."""
    users.require_clearance_manager(actor, user_id)
    target = users.find_user(uow, user_id)
    wanted = sorted({a.strip() for a in activities if a.strip()})
    if not wanted:
        raise MissingField(N_("name an activity"), field="activity")
    assigned = sorted(target.activities)
    for activity in wanted:
        if activity not in target.activities:
            raise UnknownReference(
                N_("%(user)s is not assigned to '%(activity)s'; assigned: %(allowed)s")
                if assigned else
                N_("%(user)s is not assigned to '%(activity)s', nor to any activity"),
                field="activity", user=user_id, activity=activity, allowed=assigned)
    return set_activities(uow, actor, user_id, target.activities - set(wanted),
                          address=address)


# -- the roster of appointments ---------------------------------------------------------------


@dataclass(frozen=True)
class RosterEntry:
    id: str
    agreement: str
    party: str
    user: str
    name: str
    role: str
    units: list[str]
    limits: list[Money]
    valid_from: date
    valid_to: date | None
    revoked: bool
    in_force: bool


def roster(uow: UnitOfWork, actor: LocalUser, agreement: str) -> list[RosterEntry]:
    """Every appointment under ``agreement`` this node holds: its own and its partners'."""
    require_reader(actor)
    profile = registry.agreement_profile(uow, agreement)
    on = uow.node.today(profile)
    out = []
    for a in registry.list_appointments(uow, agreement):
        start = date.fromisoformat(a["valid_from"])
        end = date.fromisoformat(a["valid_to"]) if a["valid_to"] else None
        limits = [Money(cur, int(minor)) for cur, minor in sorted((a["limits"] or {}).items())]
        out.append(RosterEntry(
            a["id"], a["agreement"], a["party"], a["user"], a["name"], a["role"], a["units"],
            limits, start, end, a["revoked"],
            not a["revoked"] and start <= on and (end is None or on <= end)))
    out.sort(key=lambda e: (e.party != uow.node.party, e.party, e.user, e.role))
    return out


@use_case
def appoint(uow: UnitOfWork, actor: LocalUser, *, agreement: str, user_id: str, role: str,
            units: Iterable[str] = (), limits: Mapping[str, str] | None = None,
            valid_from: date, valid_to: date | None = None) -> StoredEvent:
    """Appoint one of this node's users, under the name the node knows them by."""
    actor.require(Role.ADMINISTRATOR)
    known = {u.id: u for u in users.list_users(uow)}
    if user_id not in known:
        raise UnknownReference(
            N_("'%(user_id)s' is not a user of this node"),
            field="user", user_id=user_id,
        )
    return admin.appoint(uow, actor, agreement=agreement, user_id=user_id,
                         name=known[user_id].name, role=role, units=units, limits=limits,
                         valid_from=valid_from, valid_to=valid_to)


# -- agreement profiles -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileView:
    profile: AgreementProfile
    adopted_by: list[str]
    write_off_limits: list[Money]
    awaiting: list[str]  # parties running a node that have not adopted this version yet


def profile_view(uow: UnitOfWork, actor: LocalUser, agreement: str) -> ProfileView:
    require_reader(actor)
    profile = registry.agreement_profile(uow, agreement)
    adopted: list[str] = []
    for a in registry.list_agreements(uow):
        if a["digest"] == profile.digest:
            adopted = list(a["adopted_by"])
    limits = [Money(cur, int(minor))
              for cur, minor in sorted(profile.pricing.write_off_limits.items())]
    awaiting = [p.code for p in profile.parties if p.signs == "node" and p.code not in adopted]
    return ProfileView(profile, adopted, limits, awaiting)


# -- peers, alarms and the quarantine -----------------------------------------------------------


@dataclass(frozen=True)
class StreamPosition:
    stream: str
    seq: int


@dataclass(frozen=True)
class PeerView:
    peer: Peer
    short_fingerprint: str
    keys_to_confirm: list[str]  # full fingerprints announced and not yet confirmed
    held: list[StreamPosition]  # the peer's streams: how far this node holds them
    acknowledged: list[StreamPosition]  # our streams: how far the peer acknowledged them
    last_head_at: str | None  # when this node last received a signed head of the peer's


def _short(fp: str) -> str:
    try:
        return short_fingerprint(fp)
    except ValueError:
        return fp[:24]


def peer_views(uow: UnitOfWork, actor: LocalUser) -> list[PeerView]:
    require_reader(actor)
    out = []
    for peer in list_peers(uow):
        held = [StreamPosition(r.stream, int(r.head_seq)) for r in uow.conn.execute(
            select(T.streams.c.stream, T.streams.c.head_seq)
            .where(T.streams.c.party == peer.party).order_by(T.streams.c.stream))]
        acks = [StreamPosition(r.stream, int(r.seq)) for r in uow.conn.execute(
            select(T.peer_acks.c.stream, T.peer_acks.c.seq)
            .where(T.peer_acks.c.peer == peer.party).order_by(T.peer_acks.c.stream))]
        last = uow.conn.execute(
            select(func.max(T.tree_heads.c.received_at))
            .where(T.tree_heads.c.stream.like(f"%/{peer.party}"))).scalar_one_or_none()
        pending = list(dict.fromkeys(k.fingerprint for k in pending_keys(uow, peer.party)))
        out.append(PeerView(peer, _short(peer.fingerprint), pending, held, acks, last))
    return out


def alarms(uow: UnitOfWork, actor: LocalUser) -> list[Alarm]:
    """Alarms raised when a peer rewrote or forked its history: open ones first, newest first."""
    require_reader(actor)
    newest_first = sorted(list_alarms(uow), key=lambda x: x.id, reverse=True)
    return sorted(newest_first, key=lambda x: x.resolved_at is not None)


def quarantine(uow: UnitOfWork, actor: LocalUser, *, everything: bool = False,
               limit: int = 100) -> list[Quarantined]:
    """Batches and requests refused at admission, newest first, with every reason."""
    require_reader(actor)
    return quarantined(uow, everything=everything, newest_first=True, limit=limit)


def confirm_announced_key(uow: UnitOfWork, actor: LocalUser, party: str,
                          typed: str) -> str:
    """Confirm the key ``party`` announced, by the fingerprint read out of band.

    ``typed`` is what the administrator heard; it must be one of the keys the
    peer announced and this node has not confirmed yet (spaces and the colons
    of the short form are ignored; the ``ed25519:`` prefix is optional).
    """
    from acsa.services.peers import confirm_key

    actor.require(Role.ADMINISTRATOR)
    wanted = "".join(typed.lower().removeprefix("ed25519:").replace(":", "").split())
    if len(wanted) < 16:
        raise InvalidValue(
            N_("type at least the first 16 hex digits of the fingerprint, as read to you"),
            field="fingerprint",
        )
    pending = list(dict.fromkeys(k.fingerprint for k in pending_keys(uow, party)))
    matches = [fp for fp in pending if fp.removeprefix("ed25519:").startswith(wanted)]
    if len(matches) != 1:
        raise InvalidValue(
            N_("this is not the fingerprint of a key the peer announced: do not confirm it; "
               "call the peer's administrator"),
            field="fingerprint",
        )
    confirm_key(uow, actor, party, matches[0])
    return matches[0]


# -- the access log -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessPage:
    entries: list[auth.AccessEntry]
    older: int | None  # the ``before`` of the next (older) page, if any


def access_log(uow: UnitOfWork, actor: LocalUser, *, user_id: str | None = None,
               target: str | None = None, before: int | None = None,
               limit: int = 100) -> AccessPage:
    """The access log, newest first: for auditors and security officers."""
    if not actor.roles & LOG_READERS:
        raise NotPermitted(
            N_("only an auditor or a security officer reads the access log"),
            field="user",
        )
    limit = max(1, min(limit, ACCESS_PAGE_MAX))
    a = T.access_log.c
    query = select(T.access_log).order_by(a.id.desc()).limit(limit + 1)
    if user_id:
        query = query.where(a.user_id == user_id)
    if target:
        # A line names the order first (and its marking after it, when classified).
        query = query.where(a.target.startswith(target, autoescape=True))
    if before:
        query = query.where(a.id < before)
    rows = list(uow.conn.execute(query))
    entries = [auth.AccessEntry(r.id, r.at, r.user_id, r.action,
                                need_to_know.log_target(uow, actor, r.target), r.address)
               for r in rows[:limit]]
    return AccessPage(entries, entries[-1].id if len(rows) > limit else None)

"""Local users as administrators, auditors and security officers see them, the two
things a security officer gives them: a clearance and activities (need to know), and
the roles and units an administrator gives them.

Reading needs the ``admin`` scope and the role of an administrator, an auditor or a
security officer; a change needs a security officer acting on someone else
(docs/security.md, "Clearances and need to know"). Every change is a line of the
access log. A refusal names its field (``clearance``, ``activity``, ``user``) and,
for an unknown level or activity, the values allowed (``params.allowed``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from acsa.services import admin_views, users
from acsa.web.api import schemas as S
from acsa.web.api.orders import PROBLEMS
from acsa.web.deps import Admin, ReadUow, WriteUow, client_address

router = APIRouter(tags=["users"], responses=PROBLEMS)

UserId = Annotated[str, Path(max_length=64, description="The user's login id.")]


def _public(row: admin_views.UserRow) -> S.UserPublic:
    u = row.user
    return S.UserPublic(
        id=u.id, name=u.name, party=u.party, roles=sorted(r.value for r in u.roles),
        units=sorted(u.units), clearance=u.clearance, activities=sorted(u.activities),
        locale=u.locale, time_zone=u.time_zone, active=u.active,
        has_password=row.has_password, has_totp=row.has_totp, created_at=row.created_at)


@router.get("/users", response_model=S.UsersPublic, summary="Users of this node")
def list_users(principal: Admin, uow: ReadUow) -> S.UsersPublic:
    """Every local user with their clearance and activities, and the levels a clearance
    may take here (administrators, auditors and security officers)."""
    found = admin_views.list_users(uow, principal.user)
    return S.UsersPublic(data=[_public(r) for r in found], count=len(found),
                         clearance_levels=list(users.clearance_levels(uow)))


@router.get("/users/{user_id}", response_model=S.UserPublic, summary="One user")
def get_user(user_id: UserId, principal: Admin, uow: ReadUow) -> S.UserPublic:
    """An unknown user is refused with code ``unknown_reference`` and field ``user``."""
    return _public(admin_views.user_row(uow, principal.user, user_id))


@router.put("/users/{user_id}/clearance", response_model=S.UserPublic,
            summary="Set a user's clearance")
def set_clearance(user_id: UserId, body: S.ClearanceSet, request: Request,
                  principal: Admin, uow: WriteUow) -> S.UserPublic:
    """A security officer sets another user's clearance; `null` or `"none"` clears it. A
    level not of the node's party's scheme is refused (422, field `clearance`,
    `params.allowed`); anyone but a security officer, or one acting on themselves, 403."""
    admin_views.set_clearance(uow, principal.user, user_id, body.clearance,
                              address=client_address(request))
    return _public(admin_views.user_row(uow, principal.user, user_id))


@router.put("/users/{user_id}/activities", response_model=S.UserPublic,
            summary="Set the activities a user needs to know")
def set_activities(user_id: UserId, body: S.ActivitiesSet, request: Request,
                   principal: Admin, uow: WriteUow) -> S.UserPublic:
    """A security officer gives another user exactly these activities (an empty list
    takes them all). An activity not registered on this node is refused (422, field
    `activity`, `params.allowed`); anyone but a security officer, or one acting on
    themselves, 403."""
    admin_views.set_activities(uow, principal.user, user_id, body.activities,
                               address=client_address(request))
    return _public(admin_views.user_row(uow, principal.user, user_id))


@router.put("/users/{user_id}/roles", response_model=S.UserPublic, summary="Set a user's roles")
def set_roles(user_id: UserId, body: S.RolesSet, request: Request, principal: Admin,
              uow: WriteUow) -> S.UserPublic:
    """An administrator gives the user exactly these roles (a line of the access log). A
    role that does not exist is refused (422, field `roles`, `params.allowed`), as is an
    administrator taking their own administrator role; anyone but an administrator, 403."""
    admin_views.edit_user(uow, principal.user, user_id, roles=body.roles,
                          address=client_address(request))
    return _public(admin_views.user_row(uow, principal.user, user_id))


@router.put("/users/{user_id}/units", response_model=S.UserPublic, summary="Set a user's units")
def set_units(user_id: UserId, body: S.UnitsSet, request: Request, principal: Admin,
              uow: WriteUow) -> S.UserPublic:
    """An administrator gives the user exactly these units (a line of the access log). A
    unit not registered for this node's party is refused (422, field `units`); anyone but
    an administrator, 403."""
    admin_views.edit_user(uow, principal.user, user_id, units=body.units,
                          address=client_address(request))
    return _public(admin_views.user_row(uow, principal.user, user_id))

"""Agreements, activities, units, the user (``me``), their API tokens, and the access log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status

from acsa.services import access_log as access_log_service
from acsa.services import admin, auth, queries
from acsa.web.api import schemas as S
from acsa.web.api.common import AgreementQuery
from acsa.web.api.orders import PROBLEMS
from acsa.web.deps import Admin, Reader, ReadUow, WriteUow, client_address

router = APIRouter(responses=PROBLEMS)


@router.get("/agreements", response_model=S.AgreementsPublic, tags=["reference"],
            summary="Agreements this node adopted")
def agreements(principal: Reader, uow: ReadUow) -> S.AgreementsPublic:
    found = queries.list_agreements(uow)
    return S.AgreementsPublic(data=[S.AgreementPublic.model_validate(a) for a in found],
                              count=len(found))


@router.post("/agreements/{agreement}/entry-into-force", response_model=S.AgreementPublic,
             status_code=status.HTTP_201_CREATED, tags=["reference"],
             summary="Record the agreement's entry into force")
def enter_into_force(agreement: Annotated[str, Path(max_length=40)], body: S.EntryIntoForce,
                     principal: Admin, uow: WriteUow) -> S.AgreementPublic:
    """An administrator adopts the signed profile as in force from `on` by `reference`. Each
    party's administrator records the same date and instrument; orders under the in-force
    version are accepted once every party that runs a node has adopted it (`adopted_by`).
    An agreement already in force, a date before the signature, or a version label another
    party used for a different date is refused (422, naming the field)."""
    profile = admin.enter_into_force(uow, principal.user, agreement, on=body.on,
                                     reference=body.reference, version=body.version)
    found = next(a for a in queries.list_agreements(uow) if a.id == profile.id)
    return S.AgreementPublic.model_validate(found)


@router.get("/activities", response_model=S.ActivitiesPublic, tags=["reference"],
            summary="Activities (exercises, operations)")
def activities(principal: Reader, uow: ReadUow,
               agreement: AgreementQuery = None,
               ) -> S.ActivitiesPublic:
    found = queries.list_activities(uow, agreement)
    return S.ActivitiesPublic(data=[S.ActivityPublic.model_validate(a) for a in found],
                              count=len(found))


@router.get("/units", response_model=S.UnitsPublic, tags=["reference"],
            summary="Units of both forces")
def units(principal: Reader, uow: ReadUow,
          party: Annotated[str | None, Query(max_length=3)] = None) -> S.UnitsPublic:
    found = queries.list_units(uow, party)
    return S.UnitsPublic(data=[S.UnitPublic.model_validate(u) for u in found],
                         count=len(found))


@router.get("/me", response_model=S.MePublic, tags=["me"], summary="Who I am")
def me(principal: Reader, uow: ReadUow) -> S.MePublic:
    """Your roles, units and appointments, how you authenticated, and (under a session)
    the CSRF token to send with changes."""
    user = principal.user
    return S.MePublic(
        id=user.id, name=user.name, party=user.party, roles=sorted(r.value for r in user.roles),
        units=sorted(user.units), activities=sorted(user.activities), clearance=user.clearance,
        locale=user.locale, time_zone=user.time_zone,
        appointments=[S.AppointmentPublic.model_validate(a)
                      for a in queries.appointments_of(uow, user)],
        authenticated_by="session" if principal.via == "session" else "token",
        scopes=sorted(principal.scopes), csrf_token=principal.csrf_token,
    )


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT, tags=["me"],
             summary="Change my password")
def change_password(body: S.PasswordChange, principal: Admin, uow: WriteUow) -> Response:
    auth.change_password(uow, principal.user, body.current_password, body.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me/tokens", response_model=S.TokensPublic, tags=["me"],
            summary="My API tokens")
def list_tokens(principal: Reader, uow: ReadUow) -> S.TokensPublic:
    found = auth.list_tokens(uow, principal.user)
    return S.TokensPublic(data=[S.TokenPublic.model_validate(t) for t in found],
                          count=len(found))


@router.post("/me/tokens", status_code=status.HTTP_201_CREATED, response_model=S.TokenCreated,
             tags=["me"], summary="Create an API token")
def create_token(body: S.TokenCreate, principal: Admin, uow: WriteUow) -> S.TokenCreated:
    """The secret is in this answer only; the node keeps its hash."""
    made = auth.create_token(uow, principal.user, user_id=principal.user.id, name=body.name,
                             scopes=body.scopes)
    return S.TokenCreated(token=S.TokenPublic.model_validate(made.token), secret=made.secret)


@router.delete("/me/tokens/{token_id}", response_model=S.TokenPublic, tags=["me"],
               summary="Revoke an API token")
def revoke_token(token_id: Annotated[int, Path(ge=1, le=2**31 - 1)], request: Request,
                 principal: Admin, uow: WriteUow) -> Any:
    revoked = auth.revoke_token(uow, principal.user, token_id, address=client_address(request))
    return revoked


@router.get("/access-log", response_model=S.AccessLogPublic, tags=["security"],
            summary="The access log")
def access_log(principal: Reader, uow: ReadUow,
               user: Annotated[str | None, Query(max_length=64)] = None,
               after: Annotated[int, Query(ge=0, le=2**62)] = 0,
               limit: Annotated[int, Query(ge=1, le=auth.ACCESS_LIST_LIMIT_MAX)] = 100,
               ) -> S.AccessLogPublic:
    """Logins, logouts, token use and reads of orders on this node (auditors and
    security officers only)."""
    found = auth.read_access_log(uow, principal.user, user_id=user, after=after, limit=limit)
    return S.AccessLogPublic(data=[S.AccessEntryPublic.model_validate(e) for e in found],
                             count=len(found),
                             next=found[-1].id if len(found) == limit else None)


@router.get("/access-log/export", tags=["security"], summary="The access log as CSV",
            response_class=Response,
            responses={200: {"content": {"text/csv": {}},
                             "description": "id, at, user, action, target, address"}})
def access_log_export(request: Request, principal: Reader, uow: WriteUow,
                      user: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    """Every line of the access log, oldest first (auditors and security officers only);
    the export itself is a line of the log."""
    body = "".join(access_log_service.export_csv(uow, principal.user, user_id=user))
    access_log_service.record_opening(uow, principal.user, "report.export", None,
                                      "access-log", client_address(request))
    return Response(body.encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="access-log.csv"',
                             "Cache-Control": "no-store"})

"""Administration pages: users, the roster of appointments, units, activities,
agreement profiles, peers and the access log.

Administrators act; auditors and security officers read (the access log is
theirs alone); a security officer also sets another user's clearance and
activities (need to know) on the user's page; anyone else gets the refusal
page. Every change is a form
posted with the session's CSRF token and answered by a redirect, or by the
same page again with each problem beside its field, with the status the API
gives the same refusal (:func:`acsa.web.problems.status_of`). Routes
call :mod:`acsa.services.admin_views` and the services it names, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

import segno
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from acsa.domain.errors import N_, DomainError, InvalidValue, MissingField
from acsa.domain.parties import ActivityType, Role
from acsa.i18n import LOCALES, TIME_ZONES
from acsa.services import access_log as access_records
from acsa.services import admin, admin_views, auth, queries, users
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.witness import resolve_alarms
from acsa.web.deps import Principal, client_address, get_node
from acsa.web.problems import status_of
from acsa.web.ui.pages import (
    FormErrors,
    PageRoute,
    check_csrf,
    page_principal,
    read_form,
    redirect,
    render,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)
User = Annotated[Principal, Depends(page_principal)]
T = TypeVar("T")

ROLES = [r.value for r in Role]
ACTIVITY_TYPES = [t.value for t in ActivityType]


def _read(request: Request, principal: Principal, fn: Callable[[UnitOfWork], T]) -> T:
    with UnitOfWork(get_node(request), write=False) as uow:
        admin_views.require_reader(principal.user)
        return fn(uow)


def _write(request: Request, fn: Callable[[UnitOfWork], T]) -> T:
    """``fn``'s service calls as one use case: kept whole, or not at all."""
    with UnitOfWork(get_node(request)) as uow:
        result = use_case(fn)(uow)
        return result


async def _form(request: Request, principal: Principal) -> tuple[dict[str, str],
                                                                 dict[str, list[str]]]:
    """The posted fields (after the CSRF check), and the repeated ones as lists."""
    form = await read_form(request)
    check_csrf(principal, form)
    raw = await request.form()
    lists = {key: [v.strip() for v in raw.getlist(key) if isinstance(v, str) and v.strip()]
             for key in ("roles", "units", "activities")}
    return form, lists


def _day(form: dict[str, str], name: str, *, required: bool = False) -> date | None:
    text = form.get(name, "").strip()
    if not text:
        if required:
            raise MissingField(N_("is required"), field=name)
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(N_("is not a date (YYYY-MM-DD)"), field=name) from None


def _page(request: Request, principal: Principal, template: str, status: int = 200,
          **context: Any) -> HTMLResponse:
    return render(request, template, principal, status=status,
                  may_act=admin_views.may_act(principal.user),
                  may_clear=admin_views.may_manage_clearances(principal.user),
                  may_read_log=admin_views.may_read_access_log(principal.user), **context)


# -- overview ---------------------------------------------------------------------------


@router.get("/admin", response_class=HTMLResponse)
def overview(request: Request, principal: User) -> HTMLResponse:
    counts = _read(request, principal, lambda uow: admin_views.overview(uow, principal.user))
    return _page(request, principal, "admin/overview.html", counts=counts)


# -- users ------------------------------------------------------------------------------


def _users_page(request: Request, principal: Principal, *, errors: FormErrors | None = None,
                values: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    def read(uow: UnitOfWork) -> dict[str, Any]:
        return {"rows": admin_views.list_users(uow, principal.user),
                "units": admin_views.registry_units(uow, uow.node.party),
                "security": admin_views.security_options(uow, principal.user),
                "party_zone": users.party_time_zone(uow, uow.node.party)}

    data = _read(request, principal, read)
    zone = data.pop("party_zone")
    return _page(request, principal, "admin/users.html", status=status, roles=ROLES,
                 locales=LOCALES, time_zones=TIME_ZONES, errors=errors or FormErrors(),
                 values=values or {"locale": "en", "time_zone": zone}, **data)


@router.get("/admin/users", response_class=HTMLResponse)
def user_list(request: Request, principal: User) -> HTMLResponse:
    return _users_page(request, principal)


@router.post("/admin/users")
async def add_user(request: Request, principal: User) -> Response:
    form, lists = await _form(request, principal)
    try:
        added = await run_in_threadpool(_write, request, lambda uow: admin_views.add_user(
            uow, principal.user, user_id=form.get("id", "").strip(),
            name=form.get("name", ""), roles=lists["roles"], units=lists["units"],
            clearance=form.get("clearance", "").strip() or None,
            activities=lists["activities"],
            locale=form.get("locale", "en"), time_zone=form.get("time_zone", "").strip() or None,
            password=form.get("password") or None))
    except DomainError as exc:
        values: dict[str, Any] = {k: v for k, v in form.items() if k != "password"}
        values.update(lists)
        return await run_in_threadpool(_users_page, request, principal, status=status_of(exc),
                                       errors=FormErrors.of_domain(exc), values=values)
    return redirect(f"/admin/users/{quote(added.id)}", notice="added")


def _user_page(request: Request, principal: Principal, user_id: str, *,
               errors: FormErrors | None = None, status: int = 200,
               enrolment: auth.TotpEnrolment | None = None) -> HTMLResponse:
    def read(uow: UnitOfWork) -> dict[str, Any]:
        row = admin_views.user_row(uow, principal.user, user_id)
        return {"row": row, "appointments": queries.appointments_of(uow, row.user),
                "security": admin_views.security_options(uow, principal.user),
                "units": admin_views.registry_units(uow, uow.node.party)}

    data = _read(request, principal, read)
    qr = None
    if enrolment is not None:
        qr = segno.make(enrolment.uri, error="m").svg_inline(scale=4, border=4)
    return _page(request, principal, "admin/user.html", status=status, roles=ROLES,
                 errors=errors or FormErrors(), enrolment=enrolment, qr=qr, **data)


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(request: Request, principal: User, user_id: str) -> HTMLResponse:
    return _user_page(request, principal, user_id)


async def _change_user(request: Request, principal: Principal, user_id: str,
                       change: Callable[[UnitOfWork], object]) -> Response:
    """Make one change to a user and go back to their page; a refusal is shown on it."""
    try:
        await run_in_threadpool(_write, request, change)
    except DomainError as exc:
        return await run_in_threadpool(_user_page, request, principal, user_id,
                                       status=status_of(exc), errors=FormErrors.of_domain(exc))
    return redirect(f"/admin/users/{quote(user_id)}", notice="saved")


@router.post("/admin/users/{user_id}/password")
async def set_password(request: Request, principal: User, user_id: str) -> Response:
    form, _ = await _form(request, principal)

    def change(uow: UnitOfWork) -> object:
        if form.get("password", "") != form.get("password_again", ""):
            raise InvalidValue(N_("the two passwords differ"), field="password_again")
        return auth.set_password(uow, principal.user, user_id, form.get("password", ""))

    return await _change_user(request, principal, user_id, change)


@router.post("/admin/users/{user_id}/totp", response_class=HTMLResponse)
async def enrol_totp(request: Request, principal: User, user_id: str) -> Response:
    """A new second factor: the secret and its QR code are shown on this page, once."""
    await _form(request, principal)
    enrolment = await run_in_threadpool(_write, request, lambda uow: auth.enrol_totp(
        uow, principal.user, user_id))
    return await run_in_threadpool(_user_page, request, principal, user_id,
                                   enrolment=enrolment)


@router.post("/admin/users/{user_id}/clearance")
async def set_clearance(request: Request, principal: User, user_id: str) -> Response:
    """A security officer sets the user's clearance (a level of the party's scheme, or none)."""
    form, _ = await _form(request, principal)
    return await _change_user(request, principal, user_id, lambda uow: admin_views.set_clearance(
        uow, principal.user, user_id, form.get("clearance", ""), address=client_address(request)))


@router.post("/admin/users/{user_id}/activities")
async def set_activities(request: Request, principal: User, user_id: str) -> Response:
    """A security officer gives the user exactly the activities checked (need to know)."""
    _, lists = await _form(request, principal)
    return await _change_user(request, principal, user_id, lambda uow: admin_views.set_activities(
        uow, principal.user, user_id, lists["activities"], address=client_address(request)))


@router.post("/admin/users/{user_id}/roles")
async def edit_roles(request: Request, principal: User, user_id: str) -> Response:
    """An administrator sets the user's roles and units to exactly those checked."""
    _, lists = await _form(request, principal)
    return await _change_user(request, principal, user_id, lambda uow: admin_views.edit_user(
        uow, principal.user, user_id, roles=lists["roles"], units=lists["units"],
        address=client_address(request)))


@router.post("/admin/users/{user_id}/active")
async def set_active(request: Request, principal: User, user_id: str) -> Response:
    form, _ = await _form(request, principal)
    active = form.get("active") == "1"
    return await _change_user(request, principal, user_id, lambda uow: admin_views.set_active(
        uow, principal.user, user_id, active))


# -- appointments -------------------------------------------------------------------------


def _appointments_page(request: Request, principal: Principal, agreement: str | None, *,
                       errors: FormErrors | None = None, values: dict[str, Any] | None = None,
                       status: int = 200) -> HTMLResponse:
    def read(uow: UnitOfWork) -> dict[str, Any]:
        agreements = queries.list_agreements(uow)
        chosen = next((a for a in agreements if a.id == agreement),
                      agreements[0] if agreements else None)
        currencies = sorted({p["currency"] for p in chosen.parties}) if chosen else []
        return {
            "agreements": agreements, "chosen": chosen, "currencies": currencies,
            "roster": admin_views.roster(uow, principal.user, chosen.id) if chosen else [],
            "local_users": [u for u in users.list_users(uow) if u.active],
            "units": admin_views.registry_units(uow, uow.node.party),
            "today": uow.node.today(uow.context.profile(chosen.digest)) if chosen else None,
        }

    data = _read(request, principal, read)
    if values is None:
        values = {"valid_from": data["today"].isoformat()} if data["today"] else {}
    return _page(request, principal, "admin/appointments.html", status=status, roles=ROLES,
                 errors=errors or FormErrors(), values=values, **data)


@router.get("/admin/appointments", response_class=HTMLResponse)
def appointments(request: Request, principal: User,
                 agreement: Annotated[str | None, Query(max_length=40)] = None
                 ) -> HTMLResponse:
    return _appointments_page(request, principal, agreement)


@router.post("/admin/appointments")
async def appoint(request: Request, principal: User) -> Response:
    form, lists = await _form(request, principal)
    agreement = form.get("agreement", "")
    limits = {k.removeprefix("limits."): v.strip() for k, v in form.items()
              if k.startswith("limits.") and v.strip()}
    try:
        valid_from = _day(form, "valid_from", required=True)
        valid_to = _day(form, "valid_to")
        assert valid_from is not None
        await run_in_threadpool(_write, request, lambda uow: admin_views.appoint(
            uow, principal.user, agreement=agreement, user_id=form.get("user", ""),
            role=form.get("role", ""), units=lists["units"], limits=limits or None,
            valid_from=valid_from, valid_to=valid_to))
    except DomainError as exc:
        values: dict[str, Any] = dict(form)
        values.update(lists)
        return await run_in_threadpool(_appointments_page, request, principal, agreement,
                                       status=status_of(exc), errors=FormErrors.of_domain(exc),
                                       values=values)
    return redirect(f"/admin/appointments?{urlencode({'agreement': agreement})}",
                    notice="added")


@router.post("/admin/appointments/revoke")
async def revoke(request: Request, principal: User) -> Response:
    form, _ = await _form(request, principal)
    agreement = form.get("agreement", "")
    try:
        await run_in_threadpool(_write, request, lambda uow: admin.revoke_appointment(
            uow, principal.user, agreement=agreement, appointment=form.get("appointment", "")))
    except DomainError as exc:
        return await run_in_threadpool(_appointments_page, request, principal, agreement,
                                       status=status_of(exc), errors=FormErrors.of_domain(exc))
    return redirect(f"/admin/appointments?{urlencode({'agreement': agreement})}",
                    notice="saved")


# -- units and activities ------------------------------------------------------------------


def _registry_page(request: Request, principal: Principal, template: str, *,
                   errors: FormErrors | None = None, values: dict[str, Any] | None = None,
                   status: int = 200) -> HTMLResponse:
    def read(uow: UnitOfWork) -> dict[str, Any]:
        return {"agreements": queries.list_agreements(uow),
                "unit_list": queries.list_units(uow),
                "activity_list": queries.list_activities(uow)}

    data = _read(request, principal, read)
    return _page(request, principal, template, status=status, errors=errors or FormErrors(),
                 values=values or {}, activity_types=ACTIVITY_TYPES, **data)


@router.get("/admin/units", response_class=HTMLResponse)
def unit_list(request: Request, principal: User) -> HTMLResponse:
    return _registry_page(request, principal, "admin/units.html")


@router.post("/admin/units")
async def add_unit(request: Request, principal: User) -> Response:
    form, _ = await _form(request, principal)
    try:
        await run_in_threadpool(_write, request, lambda uow: admin.register_unit(
            uow, principal.user, agreement=form.get("agreement", ""),
            unit_id=form.get("id", "").strip(), name=form.get("name", ""),
            parent=form.get("parent", "").strip() or None))
    except DomainError as exc:
        return await run_in_threadpool(_registry_page, request, principal, "admin/units.html",
                                       status=status_of(exc), errors=FormErrors.of_domain(exc),
                                       values=form)
    return redirect("/admin/units", notice="added")


@router.get("/admin/activities", response_class=HTMLResponse)
def activity_list(request: Request, principal: User) -> HTMLResponse:
    return _registry_page(request, principal, "admin/activities.html")


@router.post("/admin/activities")
async def add_activity(request: Request, principal: User) -> Response:
    form, _ = await _form(request, principal)
    try:
        starts_on = _day(form, "starts_on", required=True)
        ends_on = _day(form, "ends_on")
        assert starts_on is not None
        await run_in_threadpool(_write, request, lambda uow: admin.register_activity(
            uow, principal.user, agreement=form.get("agreement", ""),
            activity_id=form.get("id", "").strip(), name=form.get("name", "").strip(),
            type=form.get("type", ""), starts_on=starts_on, ends_on=ends_on))
    except DomainError as exc:
        return await run_in_threadpool(_registry_page, request, principal,
                                       "admin/activities.html", status=status_of(exc),
                                       errors=FormErrors.of_domain(exc), values=form)
    return redirect("/admin/activities", notice="added")


# -- agreement profiles ----------------------------------------------------------------------


@router.get("/admin/agreements", response_class=HTMLResponse)
def agreement_list(request: Request, principal: User) -> HTMLResponse:
    found = _read(request, principal, queries.list_agreements)
    return _page(request, principal, "admin/agreements.html", agreements=found)


def _agreement_page(request: Request, principal: Principal, agreement: str, *,
                    errors: FormErrors | None = None, values: dict[str, Any] | None = None,
                    status: int = 200) -> HTMLResponse:
    view = _read(request, principal,
                 lambda uow: admin_views.profile_view(uow, principal.user, agreement))
    return _page(request, principal, "admin/agreement.html", status=status, view=view,
                 p=view.profile, errors=errors or FormErrors(), values=values or {})


@router.get("/admin/agreements/{agreement}", response_class=HTMLResponse)
def agreement_page(request: Request, principal: User, agreement: str) -> HTMLResponse:
    return _agreement_page(request, principal, agreement)


@router.post("/admin/agreements/{agreement}/entry-into-force")
async def record_entry_into_force(request: Request, principal: User,
                                  agreement: str) -> Response:
    form, _ = await _form(request, principal)
    try:
        on = _day(form, "on", required=True)
        assert on is not None
        await run_in_threadpool(_write, request, lambda uow: admin.enter_into_force(
            uow, principal.user, agreement, on=on, reference=form.get("reference", ""),
            version=form.get("version", "").strip() or None))
    except DomainError as exc:
        return await run_in_threadpool(_agreement_page, request, principal, agreement,
                                       status=status_of(exc), errors=FormErrors.of_domain(exc),
                                       values=form)
    return redirect(f"/admin/agreements/{quote(agreement, safe='')}", notice="saved")


# -- peers -----------------------------------------------------------------------------------


def _peers_page(request: Request, principal: Principal, *, errors: FormErrors | None = None,
                status: int = 200, everything: bool = False) -> HTMLResponse:
    def read(uow: UnitOfWork) -> dict[str, Any]:
        return {"peers": admin_views.peer_views(uow, principal.user),
                "alarms": admin_views.alarms(uow, principal.user),
                "quarantine": admin_views.quarantine(uow, principal.user,
                                                     everything=everything)}

    data = _read(request, principal, read)
    return _page(request, principal, "admin/peers.html", status=status,
                 errors=errors or FormErrors(), everything=everything, **data)


@router.get("/admin/peers", response_class=HTMLResponse)
def peer_list(request: Request, principal: User,
              all: Annotated[str | None, Query(max_length=5)] = None) -> HTMLResponse:
    return _peers_page(request, principal, everything=bool(all))


@router.post("/admin/peers/{party}/confirm-key")
async def confirm_key(request: Request, principal: User, party: str) -> Response:
    form, _ = await _form(request, principal)
    try:
        await run_in_threadpool(_write, request, lambda uow: admin_views.confirm_announced_key(
            uow, principal.user, party, form.get("fingerprint", "")))
    except DomainError as exc:
        return await run_in_threadpool(_peers_page, request, principal, status=status_of(exc),
                                       errors=FormErrors.of_domain(exc))
    return redirect("/admin/peers", notice="saved")


@router.post("/admin/peers/{party}/resolve")
async def resolve(request: Request, principal: User, party: str) -> Response:
    form, _ = await _form(request, principal)
    try:
        await run_in_threadpool(_write, request, lambda uow: resolve_alarms(
            uow, principal.user, party, form.get("note", "")))
    except DomainError as exc:
        return await run_in_threadpool(_peers_page, request, principal, status=status_of(exc),
                                       errors=FormErrors.of_domain(exc))
    return redirect("/admin/peers", notice="saved")


# -- the access log ----------------------------------------------------------------------------


@router.get("/admin/access-log", response_class=HTMLResponse)
def access_log(request: Request, principal: User,
               user: Annotated[str | None, Query(max_length=64)] = None,
               order: Annotated[str | None, Query(max_length=200)] = None,
               before: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> HTMLResponse:
    page = _read(request, principal, lambda uow: admin_views.access_log(
        uow, principal.user, user_id=(user or "").strip() or None,
        target=(order or "").strip() or None, before=before))
    filters = {k: v for k, v in (("user", user), ("order", order)) if v}
    older = (f"/admin/access-log?{urlencode({**filters, 'before': page.older})}"
             if page.older else None)
    return _page(request, principal, "admin/access_log.html", page=page, filters=filters,
                 older_url=older)


@router.get("/admin/access-log.csv")
def access_log_csv(request: Request, principal: User,
                   user: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    """The whole access log (or one user's lines) as CSV; the export is itself logged."""
    def export(uow: UnitOfWork) -> str:
        body = "".join(access_records.export_csv(uow, principal.user,
                                             user_id=(user or "").strip() or None))
        access_records.record_opening(uow, principal.user, "report.export", None,
                                      "access-log",
                                  client_address(request))
        return body
    body = _write(request, export)
    return Response(body.encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="access-log.csv"',
                             "Cache-Control": "no-store"})

"""The dashboard (what needs me now, with charts) and the user's own preferences: language,
time zone, and API tokens for their scripts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from acsa.domain.errors import DomainError
from acsa.i18n import LOCALES, TIME_ZONES, gettext
from acsa.reports import charts
from acsa.services import auth, dashboard, markings, users
from acsa.services.report_tables import balance_series
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.deps import Principal, client_address, get_node
from acsa.web.problems import status_of
from acsa.web.ui.pages import (
    FormErrors,
    PageRoute,
    check_csrf,
    locale_of,
    page_principal,
    read_form,
    redirect,
    render,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)
User = Annotated[Principal, Depends(page_principal)]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: User) -> HTMLResponse:
    locale = locale_of(request, principal)[0]
    with UnitOfWork(get_node(request), write=False) as uow:
        board = dashboard.dashboard(uow, principal.user)
        points = balance_series(uow, principal.user)
        marking = markings.readable_marking(uow, principal.user)
        party_zone = users.party_time_zone(uow, principal.user.party)
    summary = board.aging
    currencies = sorted({p.currency for p in points} | {cur for _, _, cur in summary})
    balance_charts = [charts.balances_chart(points, cur, locale) for cur in currencies
                      if any(p.currency == cur for p in points)]
    aging_charts = [charts.aging_chart(summary, cur, locale, as_of=board.on)
                    for cur in currencies if any(c == cur for _, _, c in summary)]
    banner = markings.text(marking, lambda m: gettext(m, locale)) if marking else ""
    # A user still on UTC (every user's zone before zones followed the party) is shown
    # their party's, once a day's dates could differ.
    zone_hint = party_zone if principal.user.time_zone == "UTC" != party_zone else None
    return render(request, "dashboard.html", principal, board=board, banner=banner,
                  balance_charts=balance_charts, aging_charts=aging_charts,
                  zone_hint=zone_hint)


def _preferences_page(request: Request, principal: Principal, *, status: int = 200,
                      errors: FormErrors | None = None, new_token: object = None
                      ) -> HTMLResponse:
    with UnitOfWork(get_node(request), write=False) as uow:
        tokens = auth.list_tokens(uow, principal.user)
        party_zone = users.party_time_zone(uow, principal.user.party)
    return render(request, "preferences.html", principal, status=status, locales=LOCALES,
                  time_zones=TIME_ZONES, errors=errors or FormErrors(), tokens=tokens,
                  scopes=auth.TOKEN_SCOPES, new_token=new_token, party_zone=party_zone)


@router.get("/preferences", response_class=HTMLResponse)
def preferences(request: Request, principal: User) -> HTMLResponse:
    return _preferences_page(request, principal)


@router.post("/preferences")
async def save_preferences(request: Request, principal: User) -> Response:
    form = await read_form(request)
    check_csrf(principal, form)

    def run() -> None:
        with UnitOfWork(get_node(request)) as uow:
            users.set_preferences(uow, principal.user, locale=form.get("locale", ""),
                                  time_zone=form.get("time_zone", ""))

    try:
        await run_in_threadpool(run)
    except DomainError as exc:
        return await run_in_threadpool(_preferences_page, request, principal,
                                       status=status_of(exc), errors=FormErrors.of_domain(exc))
    return redirect("/preferences", notice="saved")


@router.post("/preferences/tokens")
async def create_token(request: Request, principal: User) -> Response:
    """A new API token for the user's own scripts; its secret is shown once, here."""
    form = await read_form(request)
    check_csrf(principal, form)
    scopes = [s for s in auth.TOKEN_SCOPES if form.get(f"scope.{s}")]

    def run() -> auth.NewToken:
        with UnitOfWork(get_node(request)) as uow:
            made = auth.create_token(uow, principal.user, user_id=principal.user.id,
                                     name=form.get("name", ""), scopes=scopes)
            return made

    try:
        made = await run_in_threadpool(run)
    except DomainError as exc:
        return await run_in_threadpool(_preferences_page, request, principal,
                                       status=status_of(exc), errors=FormErrors.of_domain(exc))
    return await run_in_threadpool(_preferences_page, request, principal, status=201,
                                   new_token=made)


@router.post("/preferences/tokens/{token_id}/revoke")
async def revoke_token(request: Request, principal: User, token_id: int) -> Response:
    form = await read_form(request)
    check_csrf(principal, form)

    def run() -> None:
        with UnitOfWork(get_node(request)) as uow:
            auth.revoke_token(uow, principal.user, token_id, address=client_address(request))

    await run_in_threadpool(run)
    return redirect("/preferences", notice="saved")

"""The dashboard (what needs me now, with charts) and the user's own preferences."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from acsa.domain.errors import DomainError
from acsa.reports import charts
from acsa.reports.i18n import LOCALES, TIME_ZONES
from acsa.services import dashboard, reports, users
from acsa.services.report_tables import balance_series
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.deps import Principal, get_node
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
        points = balance_series(uow)
        summary = reports.aging_summary(reports.aging(uow, uow.node.clock))
    currencies = sorted({p.currency for p in points} | {cur for _, _, cur in summary})
    balance_charts = [charts.balances_chart(points, cur, locale) for cur in currencies
                      if any(p.currency == cur for p in points)]
    aging_charts = [charts.aging_chart(summary, cur, locale, as_of=board.on)
                    for cur in currencies if any(c == cur for _, _, c in summary)]
    return render(request, "dashboard.html", principal, board=board,
                  balance_charts=balance_charts, aging_charts=aging_charts)


@router.get("/preferences", response_class=HTMLResponse)
def preferences(request: Request, principal: User) -> HTMLResponse:
    return render(request, "preferences.html", principal, locales=LOCALES,
                  time_zones=TIME_ZONES, errors=FormErrors())


@router.post("/preferences")
async def save_preferences(request: Request, principal: User) -> Response:
    form = await read_form(request)
    check_csrf(principal, form)

    def run() -> None:
        with UnitOfWork(get_node(request)) as uow:
            users.set_preferences(uow, principal.user, locale=form.get("locale", ""),
                                  time_zone=form.get("time_zone", ""))
            uow.commit()

    try:
        await run_in_threadpool(run)
    except DomainError as exc:
        return render(request, "preferences.html", principal, status=422, locales=LOCALES,
                      time_zones=TIME_ZONES, errors=FormErrors.of_domain(exc))
    return redirect("/preferences", notice="saved")

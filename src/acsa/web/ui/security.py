"""Security officers' pages: the transmission records, and loss or compromise reports.

``/admin/transmissions`` lists what left the node for which party (security officers
and administrators). ``/security/compromise-reports`` lists the reports a security
officer may read, with the form to report one; each report's page shows its steps and
the form for the step it waits for, when it is this party's to take. The services
refuse anyone else (a page in the reader's language, with the status the API gives).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from acsa.domain.errors import N_, DomainError, InvalidValue
from acsa.domain.parties import Role
from acsa.i18n import gettext
from acsa.services import admin_views, catalogue, compromise, transmissions
from acsa.services.recording import adopted_profile
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.deps import Principal, get_node
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
BASE = "/security/compromise-reports"
INPUTS = ("agreement", "orders", "events", "what_happened", "discovered_on", "highest_marking")
STEP_INPUTS = ("assessment", "note")


@router.get("/admin/transmissions", response_class=HTMLResponse)
def transmission_list(request: Request, principal: User,
                      peer: Annotated[str | None, Query(max_length=3)] = None,
                      since: Annotated[str | None, Query(max_length=10)] = None
                      ) -> HTMLResponse:
    """The records, filtered by recipient and first day; a day that is not a date is
    marked beside its input and the list shown unfiltered by day."""
    day, errors = None, FormErrors()
    if since:
        try:
            day = date.fromisoformat(since)
        except ValueError:
            errors.fields["since"] = gettext(N_("Not a date: write it as YYYY-MM-DD."),
                                             locale_of(request, principal)[0])
    with UnitOfWork(get_node(request), write=False) as uow:
        rows = transmissions.list_transmissions(uow, principal.user, peer=peer or None,
                                                since=day)
    user = principal.user
    return render(request, "admin/transmissions.html", principal, rows=rows,
                  filters={"peer": peer or "", "since": since or ""}, errors=errors,
                  status=422 if errors.fields else 200,
                  may_act=admin_views.may_act(user),
                  may_clear=admin_views.may_manage_clearances(user),
                  may_read_log=admin_views.may_read_access_log(user))


def _levels(uow: UnitOfWork) -> list[tuple[str, str]]:
    """Every level of the other parties' schemes, as the form offers them."""
    out: list[tuple[str, str]] = []
    for agreement in sorted({a.id for a in catalogue.price_choices(uow).agreements}):
        profile = adopted_profile(uow, agreement)
        for party in profile.party_codes:
            if party == uow.node.party:
                continue
            scheme = profile.party(party)
            for level in (*scheme.classification_levels, scheme.unclassified_marking):
                if (level, f"{party} {level}") not in out:
                    out.append((level, f"{party} {level}"))
    return out


def _list_page(request: Request, principal: Principal, *, values: dict[str, Any] | None = None,
               errors: FormErrors | None = None, status: int = 200) -> HTMLResponse:
    with UnitOfWork(get_node(request), write=False) as uow:
        rows = compromise.list_views(uow, principal.user)
        agreements = [(a.id, f"{a.short_id} — {a.id}")
                      for a in catalogue.price_choices(uow).agreements]
        levels = _levels(uow)
        today = uow.node.today().isoformat()
    return render(request, "security/compromise_list.html", principal, status=status,
                  rows=rows, agreement_choices=agreements, level_choices=levels,
                  values=values or {"agreement": agreements[0][0] if agreements else "",
                                    "discovered_on": today},
                  errors=errors or FormErrors(),
                  may_report=Role.SECURITY_OFFICER in principal.user.roles)


@router.get(BASE, response_class=HTMLResponse)
def report_list(request: Request, principal: User) -> HTMLResponse:
    return _list_page(request, principal)


def _words(text: str) -> list[str]:
    return [w for w in text.replace(",", " ").split() if w]


def _report(request: Request, principal: Principal, values: dict[str, str]) -> str:
    with UnitOfWork(get_node(request)) as uow:
        event = compromise.report_compromise(uow, principal.user, {
            **values, "orders": _words(values["orders"]), "events": _words(values["events"])})
    return str(event.envelope.subject)


@router.post(BASE)
async def report(request: Request, principal: User) -> Response:
    form = await read_form(request)
    check_csrf(principal, form)
    values = {k: form.get(k, "").strip() for k in INPUTS}
    try:
        report_id = await run_in_threadpool(_report, request, principal, values)
    except DomainError as exc:
        if exc.field and exc.field.startswith(("orders[", "events[")):
            exc.field = exc.field.split("[")[0]
        return await run_in_threadpool(_list_page, request, principal, values=values,
                                       status=status_of(exc),
                                       errors=FormErrors.of_domain(exc, inputs=INPUTS))
    return redirect(f"{BASE}/{quote(report_id)}", notice="done:report-compromise")


def _detail_page(request: Request, principal: Principal, report_id: str, *,
                 values: dict[str, Any] | None = None, errors: FormErrors | None = None,
                 status: int = 200) -> HTMLResponse:
    with UnitOfWork(get_node(request), write=False) as uow:
        view = compromise.show_view(uow, principal.user, report_id)
    may_step = Role.SECURITY_OFFICER in principal.user.roles and view["ours_next"]
    return render(request, "security/compromise_detail.html", principal, status=status, r=view,
                  may_step=may_step, values=values or {}, errors=errors or FormErrors())


@router.get(BASE + "/{report_id:path}", response_class=HTMLResponse)
def report_page(request: Request, principal: User, report_id: str) -> HTMLResponse:
    return _detail_page(request, principal, report_id)


STEPS = {"acknowledge": compromise.acknowledge_report, "assess": compromise.assess_report,
         "close": compromise.close_report}


def _step(request: Request, principal: Principal, report_id: str, step: str,
          values: dict[str, str]) -> None:
    with UnitOfWork(get_node(request)) as uow:
        if step == "acknowledge":
            compromise.acknowledge_report(uow, principal.user, report_id)
        elif step == "assess":
            compromise.assess_report(uow, principal.user, report_id, values["assessment"])
        else:
            compromise.close_report(uow, principal.user, report_id, values["note"])


@router.post(BASE + "/{report_id:path}/{step}")
async def take_step(request: Request, principal: User, report_id: str, step: str) -> Response:
    form = await read_form(request)
    check_csrf(principal, form)
    if step not in STEPS:
        raise InvalidValue(N_("must be one of %(choices)s"), field="step",
                           choices=", ".join(STEPS))
    values = {k: form.get(k, "").strip() for k in STEP_INPUTS}
    try:
        await run_in_threadpool(_step, request, principal, report_id, step, values)
    except DomainError as exc:
        return await run_in_threadpool(_detail_page, request, principal, report_id,
                                       values=values, status=status_of(exc),
                                       errors=FormErrors.of_domain(exc, inputs=STEP_INPUTS))
    return redirect(f"{BASE}/{quote(report_id)}", notice=f"done:{step}-compromise")

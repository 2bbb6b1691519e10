"""The claim-notice page: this node's receivables with the state of their notices
(債権発生通知書), each notice as PDF, and the form on which a finance officer records that
one reached the revenue collection officer (歳入徴収官).

Finance officers and auditors read it (the service refuses anyone else); only a finance
officer prints a notice (they issue it) or records one sent. Like every page it shows
only the orders its reader may read (:mod:`acsa.services.claims`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from acsa.domain.errors import DomainError
from acsa.domain.money import Money
from acsa.domain.parties import Role
from acsa.services import claims, users
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.deps import Principal, client_address, get_node
from acsa.web.problems import status_of
from acsa.web.ui.documents import content_disposition
from acsa.web.ui.form_errors import FormErrors
from acsa.web.ui.pages import (
    PageRoute,
    check_csrf,
    page_principal,
    read_form,
    redirect,
    render,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)
User = Annotated[Principal, Depends(page_principal)]
INPUTS = ("invoice", "to", "on", "note")


def _page(request: Request, principal: Principal, pending: bool, *,
          values: dict[str, str] | None = None, errors: FormErrors | None = None,
          status: int = 200) -> HTMLResponse:
    with UnitOfWork(get_node(request), write=False) as uow:
        user = principal.user
        found = claims.pending(uow, user) if pending else claims.receivables(uow, user)
        waiting = found if pending else [r for r in found if r.live and r.notice is None]
        today = users.today_of(uow, user)
    values = values or {"on": today.isoformat()}
    return render(request, "claims.html", principal, status=status, rows=found,
                  today=today, pending=pending, values=values, errors=errors or FormErrors(),
                  invoice_choices=[(r.invoice, f"{r.invoice} — {r.order}") for r in waiting],
                  may_issue=Role.FINANCE_OFFICER in user.roles, quote=quote,
                  money=lambda minor, currency: Money(currency, minor))


@router.get("/claims", response_class=HTMLResponse)
def claim_list(request: Request, principal: User,
               pending: Annotated[bool, Query()] = False) -> HTMLResponse:
    return _page(request, principal, pending)


@router.get("/claims/{invoice:path}/notice")
def claim_notice(request: Request, principal: User, invoice: str) -> Response:
    """The claim notice of one receivable, as PDF, issued by the reader."""
    from acsa.reports.claim_notice import render_notice  # fpdf is slow to import

    with UnitOfWork(get_node(request)) as uow:
        model = claims.notice_model(uow, principal.user, invoice,
                                    address=client_address(request))
    printed = model.document.printed_at.astimezone(ZoneInfo(principal.user.time_zone))
    model = replace(model, document=replace(model.document, printed_at=printed))
    name = f"claim-notice-{model.receivable.invoice}.pdf".replace("/", "-")
    return Response(render_notice(model), media_type="application/pdf", headers={
        "Content-Disposition": content_disposition("inline", name),
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def _mark(request: Request, principal: Principal, values: dict[str, str]) -> None:
    on = date.fromisoformat(values["on"]) if values.get("on") else None
    with UnitOfWork(get_node(request)) as uow:
        claims.mark_sent(uow, principal.user, values.get("invoice", ""),
                         to=values.get("to", ""), on=on, note=values.get("note", ""),
                         address=client_address(request))


@router.post("/claims/sent")
async def claim_sent(request: Request, principal: User) -> Response:
    form = await read_form(request)
    check_csrf(principal, form)
    values = {k: form.get(k, "").strip() for k in INPUTS}
    try:
        await run_in_threadpool(_mark, request, principal, values)
    except ValueError:
        errors = FormErrors()
        errors.add("on", "YYYY-MM-DD")
        return await run_in_threadpool(_page, request, principal, False, values=values,
                                       status=422, errors=errors)
    except DomainError as exc:
        return await run_in_threadpool(
            _page, request, principal, False, values=values, status=status_of(exc),
            errors=FormErrors.of_domain(exc, inputs=INPUTS))
    return redirect("/claims", notice="saved")

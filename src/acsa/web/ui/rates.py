"""Exchange rates: every dated rate either party signed, saying whether each is official
(from a source the agreement's profile names) or an officer's own, and the form on which
a finance officer records one, choosing its source.

Anyone logged in reads them (they hold no order data); the form is a finance officer's,
and the service refuses anyone else, or one not appointed under the agreement.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from acsa.domain.errors import DomainError
from acsa.domain.parties import Role
from acsa.services import admin, rates, users
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.api import schemas as S
from acsa.web.deps import Principal, get_node
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
INPUTS = ("agreement", "on", "base", "quote", "rate", "source")


def _page(request: Request, principal: Principal, agreement: str | None, *,
          values: dict[str, Any] | None = None, errors: FormErrors | None = None,
          status: int = 200) -> HTMLResponse:
    with UnitOfWork(get_node(request), write=False) as uow:
        held = rates.held_profiles(uow)
        found = rates.list_rates(uow, agreement or None)
        today = users.today_of(uow, principal.user)
    if values is None:
        values = {"agreement": agreement or (held[0].id if held else ""),
                  "on": today.isoformat()}
    return render(request, "rates.html", principal, status=status, rates=found,
                  profiles=held, agreement_choices=[(p.id, f"{p.short_id} — {p.id}")
                                                    for p in held],
                  values=values, errors=errors or FormErrors(),
                  filter_agreement=agreement or "",
                  may_record=Role.FINANCE_OFFICER in principal.user.roles)


@router.get("/rates", response_class=HTMLResponse)
def rate_list(request: Request, principal: User,
              agreement: Annotated[str | None, Query(max_length=40)] = None) -> HTMLResponse:
    return _page(request, principal, agreement)


def _record(request: Request, principal: Principal, body: S.RateCreate) -> None:
    with UnitOfWork(get_node(request)) as uow:
        admin.record_rate(uow, principal.user, agreement=body.agreement, on=body.on,
                          base=body.base.upper(), quote=body.quote.upper(),
                          rate=str(body.rate), source=body.source)


@router.post("/rates")
async def record_rate(request: Request, principal: User) -> Response:
    form = await read_form(request)
    check_csrf(principal, form)
    values = {k: form.get(k, "").strip() for k in INPUTS}
    try:
        body = S.RateCreate.model_validate(
            {k: v for k, v in values.items() if v or k != "source"})
        await run_in_threadpool(_record, request, principal, body)
    except ValidationError as exc:
        return await run_in_threadpool(_page, request, principal, None, values=values,
                                       status=422, errors=FormErrors.of_validation(exc))
    except DomainError as exc:
        return await run_in_threadpool(_page, request, principal, None, values=values,
                                       status=status_of(exc),
                                       errors=FormErrors.of_domain(exc, inputs=INPUTS))
    return redirect(f"/rates?{urlencode({'agreement': values['agreement']})}", notice="saved")

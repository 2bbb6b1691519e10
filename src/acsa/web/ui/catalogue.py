"""The price catalogue: every price either party signed, and the form on which a finance
officer sets one of this node's party (in its currency under the agreement).

Anyone logged in reads it (it holds no order data); the form is a finance officer's,
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
from acsa.services import admin, catalogue, users
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
INPUTS = ("agreement", "category", "item", "unit", "unit_price", "valid_from", "valid_to")


def _page(request: Request, principal: Principal, agreement: str | None, *,
          values: dict[str, Any] | None = None, errors: FormErrors | None = None,
          status: int = 200) -> HTMLResponse:
    with UnitOfWork(get_node(request), write=False) as uow:
        choices = catalogue.price_choices(uow)
        prices = catalogue.list_prices(uow, agreement=agreement or None)
        today = users.today_of(uow, principal.user)
    if values is None:
        first = choices.agreements[0].id if choices.agreements else ""
        values = {"agreement": agreement or first, "valid_from": today.isoformat()}
    chosen = next((a for a in choices.agreements if a.id == values.get("agreement")),
                  choices.agreements[0] if choices.agreements else None)
    return render(request, "catalogue.html", principal, status=status, prices=prices,
                  agreement_choices=[(a.id, f"{a.short_id} — {a.id}") for a in choices.agreements],
                  category_codes=chosen.categories if chosen else [],
                  unit_choices=[(u, u) for u in choices.units],
                  choices=choices, today=today, values=values, errors=errors or FormErrors(),
                  filter_agreement=agreement or "",
                  may_set=Role.FINANCE_OFFICER in principal.user.roles)


@router.get("/catalogue", response_class=HTMLResponse)
def price_list(request: Request, principal: User,
               agreement: Annotated[str | None, Query(max_length=40)] = None) -> HTMLResponse:
    return _page(request, principal, agreement)


def _set(request: Request, principal: Principal, body: S.CataloguePriceCreate) -> None:
    with UnitOfWork(get_node(request)) as uow:
        admin.set_catalogue_price(
            uow, principal.user, agreement=body.agreement, category=body.category,
            item=body.item, unit=body.unit, unit_price=body.unit_price,
            valid_from=body.valid_from, valid_to=body.valid_to)


@router.post("/catalogue")
async def set_price(request: Request, principal: User) -> Response:
    form = await read_form(request)
    check_csrf(principal, form)
    values = {k: form.get(k, "").strip() for k in INPUTS}
    try:
        body = S.CataloguePriceCreate.model_validate(
            {k: v for k, v in values.items() if v or k not in ("valid_to",)})
        await run_in_threadpool(_set, request, principal, body)
    except ValidationError as exc:
        return await run_in_threadpool(_page, request, principal, None, values=values,
                                       status=422, errors=FormErrors.of_validation(exc))
    except DomainError as exc:
        return await run_in_threadpool(_page, request, principal, None, values=values,
                                       status=status_of(exc),
                                       errors=FormErrors.of_domain(exc, inputs=INPUTS))
    return redirect(f"/catalogue?{urlencode({'agreement': values['agreement']})}",
                    notice="saved")

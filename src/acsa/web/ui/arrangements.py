"""Implementing arrangements: the register, one arrangement, and the forms on which a
finance officer proposes one (its TOML text, as ``acsa arrangement propose`` reads it)
or countersigns the other party's proposal.

Anyone logged in reads them (no order data; the new-order form offers those in effect);
the forms are a finance officer's — the payment offices and pricing basis are their
business, and their appointment is in the shared roster the partner checks — and the
service refuses anyone else, or one not appointed under the agreement.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from acsa.domain.errors import DomainError
from acsa.domain.parties import Role
from acsa.services import arrangements, catalogue
from acsa.services.unit_of_work import UnitOfWork
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
INPUTS = ("agreement", "document")


def _list_page(request: Request, principal: Principal, agreement: str | None, *,
               values: dict[str, Any] | None = None, errors: FormErrors | None = None,
               status: int = 200) -> HTMLResponse:
    with UnitOfWork(get_node(request), write=False) as uow:
        rows = arrangements.list_views(uow, agreement or None)
        choices = catalogue.price_choices(uow).agreements
    first = choices[0].id if choices else ""
    return render(request, "arrangements/list.html", principal, status=status, rows=rows,
                  agreement_choices=[(a.id, f"{a.short_id} — {a.id}") for a in choices],
                  values=values or {"agreement": agreement or first},
                  errors=errors or FormErrors(), filter_agreement=agreement or "",
                  may_propose=Role.FINANCE_OFFICER in principal.user.roles)


@router.get("/arrangements", response_class=HTMLResponse)
def arrangement_list(request: Request, principal: User,
                     agreement: Annotated[str | None, Query(max_length=40)] = None
                     ) -> HTMLResponse:
    return _list_page(request, principal, agreement)


def _propose(request: Request, principal: Principal, values: dict[str, str]) -> str:
    document = arrangements.parse_document(values["document"].encode("utf-8"), "document")
    with UnitOfWork(get_node(request)) as uow:
        event = arrangements.propose_arrangement(uow, principal.user, document,
                                                 agreement=values["agreement"] or None)
    return str(event.envelope.data["arrangement"]["identifier"])


@router.post("/arrangements")
async def propose(request: Request, principal: User) -> Response:
    form = await read_form(request)
    check_csrf(principal, form)
    values = {k: form.get(k, "").strip() for k in INPUTS}
    try:
        identifier = await run_in_threadpool(_propose, request, principal, values)
    except DomainError as exc:
        if exc.field not in INPUTS:
            exc.field = "document"  # a key of the text: its own name is in the message
        return await run_in_threadpool(_list_page, request, principal, None, values=values,
                                       status=status_of(exc),
                                       errors=FormErrors.of_domain(exc, inputs=INPUTS))
    return redirect(f"/arrangements/{quote(identifier)}", notice="done:propose-arrangement")


def _detail_page(request: Request, principal: Principal, identifier: str, *,
                 errors: FormErrors | None = None, status: int = 200) -> HTMLResponse:
    with UnitOfWork(get_node(request), write=False) as uow:
        view = arrangements.show_view(uow, identifier)
        party = uow.node.party
    signable = (Role.FINANCE_OFFICER in principal.user.roles and view["status"] == "proposed"
                and view["proposed_by"] != party)
    return render(request, "arrangements/detail.html", principal, status=status, a=view,
                  signable=signable, errors=errors or FormErrors(), values={})


@router.get("/arrangements/{identifier:path}", response_class=HTMLResponse)
def arrangement_page(request: Request, principal: User, identifier: str) -> HTMLResponse:
    return _detail_page(request, principal, identifier)


def _sign(request: Request, principal: Principal, identifier: str) -> None:
    with UnitOfWork(get_node(request)) as uow:
        arrangements.sign_arrangement(uow, principal.user, identifier)


@router.post("/arrangements/{identifier:path}/sign")
async def sign(request: Request, principal: User, identifier: str) -> Response:
    form = await read_form(request)
    check_csrf(principal, form)
    try:
        await run_in_threadpool(_sign, request, principal, identifier)
    except DomainError as exc:
        return await run_in_threadpool(_detail_page, request, principal, identifier,
                                       status=status_of(exc), errors=FormErrors.of_domain(exc))
    return redirect(f"/arrangements/{quote(identifier)}", notice="done:sign-arrangement")

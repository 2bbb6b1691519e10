"""Offset statements: the list a user may read, the form on which a finance officer
nets invoices owed each way with a partner (previewing the net before signing), and
one statement's page, where the other party's finance officer signs it.

The form's body is the API's own request schema (``OffsetCreate``) and the acts are
:mod:`acsa.services.settlement`'s, so a page and a script run the same checks; the
invoices offered and the statements shown are those of orders the reader may read.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from acsa.domain.errors import DomainError
from acsa.services import offsets, settlement
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
Code = Annotated[str | None, Query(max_length=3)]

# The form's inputs: a refusal naming another key (the user's appointment, an order's
# agreement) is about the act and is shown above the form.
INPUTS = ("partner", "currency", "invoices", "orders", "on", "rates")


@router.get("/offsets", response_class=HTMLResponse)
def offset_list(request: Request, principal: User) -> HTMLResponse:
    with UnitOfWork(get_node(request), write=False) as uow:
        found = settlement.list_offsets(uow, principal.user)
        signable = {o["hash"] for o in found if offsets.may_sign(uow, principal.user, o)}
    found.reverse()  # newest first
    return render(request, "offsets/list.html", principal, offsets=found, signable=signable,
                  may_propose=offsets.may_propose(principal.user))


def _form_page(request: Request, principal: Principal, values: dict[str, Any], *,
               errors: FormErrors | None = None, preview: dict[str, Any] | None = None,
               status: int = 200) -> HTMLResponse:
    with UnitOfWork(get_node(request), write=False) as uow:
        partners = offsets.partners(uow)
        if not values.get("partner") and len(partners) == 1:
            values["partner"] = partners[0].code
        chosen = next((p for p in partners if p.code == values.get("partner")), None)
        code = chosen.code if chosen else ""
        open_ = offsets.open_invoices(uow, principal.user, code) if chosen else []
    if chosen and values.get("currency") not in chosen.currencies:
        values["currency"] = chosen.currencies[0]
    return render(request, "offsets/new.html", principal, status=status, partners=partners,
                  chosen=chosen, owed_to_us=[i for i in open_ if i.debtor == code],
                  owed_by_us=[i for i in open_ if i.debtor != code],
                  values=values, errors=errors or FormErrors(), preview=preview,
                  partner_choices=[(p.code, p.code) for p in partners],
                  currency_choices=[(c, c) for c in (chosen.currencies if chosen else ())],
                  may_propose=offsets.may_propose(principal.user))


@router.get("/offsets/new", response_class=HTMLResponse)
def new_offset(request: Request, principal: User, partner: Code = None,
               currency: Code = None) -> HTMLResponse:
    values: dict[str, Any] = {"partner": (partner or "").upper(),
                              "currency": (currency or "").upper(), "invoices": []}
    return _form_page(request, principal, values)


def _body(form: dict[str, str], chosen: list[str]) -> S.OffsetCreate:
    """The posted form as the API's request: ``ORDER:INVOICE`` per box ticked."""
    invoices = []
    for text in chosen:
        number, _, invoice = text.rpartition(":")
        invoices.append({"order": number, "invoice": invoice})
    rate = {k: form.get(f"rates.0.{k}", "").strip().upper() for k in ("base", "quote", "rate")}
    return S.OffsetCreate.model_validate({
        "invoices": invoices, "currency": form.get("currency", "").strip().upper(),
        "rates": [rate] if any(rate.values()) else [],
        "on": form.get("on", "").strip() or None,
    })


def _act(request: Request, principal: Principal, body: S.OffsetCreate,
         propose: bool) -> Any:
    invoices = [(i.order, i.invoice) for i in body.invoices]
    rates = [(r.base, r.quote, r.rate) for r in body.rates] or None
    if not propose:
        with UnitOfWork(get_node(request), write=False) as uow:
            data = settlement.preview_offset(uow, principal.user, invoices,
                                             currency=body.currency, rates=rates, on=body.on)
            return offsets.with_invoice_numbers(uow, data)
    with UnitOfWork(get_node(request)) as uow:
        return settlement.propose_offset(uow, principal.user, invoices,
                                         currency=body.currency, rates=rates, on=body.on)


@router.post("/offsets/new", response_class=HTMLResponse)
async def post_offset(request: Request, principal: User) -> Response:
    """``step=preview`` shows the net and each invoice's part; ``step=propose`` signs it."""
    form = await read_form(request)
    check_csrf(principal, form)
    raw = await request.form()
    chosen = [v for v in raw.getlist("invoices") if isinstance(v, str) and v.strip()]
    values: dict[str, Any] = {**form, "invoices": chosen}
    propose = form.get("step") == "propose"
    try:
        body = _body(form, chosen)
        done = await run_in_threadpool(_act, request, principal, body, propose)
    except ValidationError as exc:
        return await run_in_threadpool(_form_page, request, principal, values, status=422,
                                       errors=FormErrors.of_validation(exc))
    except DomainError as exc:
        return await run_in_threadpool(
            _form_page, request, principal, values, status=status_of(exc),
            errors=FormErrors.of_domain(exc, inputs=INPUTS))
    if propose:
        return redirect(f"/offsets/{quote(done.envelope.subject)}", notice="done:offset")
    return await run_in_threadpool(_form_page, request, principal, values, preview=done)


def _offset_page(request: Request, principal: Principal, ref: str, *,
                 errors: FormErrors | None = None, status: int = 200) -> HTMLResponse:
    with UnitOfWork(get_node(request), write=False) as uow:
        found = offsets.find_offset(uow, principal.user, ref)
        signable = offsets.may_sign(uow, principal.user, found)
    return render(request, "offsets/detail.html", principal, status=status, o=found,
                  signable=signable, errors=errors or FormErrors(), values={})


@router.get("/offsets/{offset:path}", response_class=HTMLResponse)
def offset_page(request: Request, principal: User, offset: str) -> HTMLResponse:
    return _offset_page(request, principal, offset)


def _sign(request: Request, principal: Principal, ref: str, on: str) -> str:
    body = S.Dated.model_validate({"on": on.strip() or None})
    with UnitOfWork(get_node(request)) as uow:
        found = offsets.find_offset(uow, principal.user, ref)
        settlement.sign_offset(uow, principal.user, found["hash"], on=body.on)
        return str(found["subject"])


@router.post("/offsets/{offset:path}/sign")
async def sign_offset(request: Request, principal: User, offset: str) -> Response:
    form = await read_form(request)
    check_csrf(principal, form)
    try:
        subject = await run_in_threadpool(_sign, request, principal, offset,
                                          form.get("on", ""))
    except ValidationError as exc:
        return await run_in_threadpool(_offset_page, request, principal, offset, status=422,
                                       errors=FormErrors.of_validation(exc))
    except DomainError as exc:
        return await run_in_threadpool(_offset_page, request, principal, offset,
                                       status=status_of(exc), errors=FormErrors.of_domain(exc))
    return redirect(f"/offsets/{quote(subject)}", notice="done:sign-offset")

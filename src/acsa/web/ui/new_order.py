"""A new order, an emergency request and drafts: the form, its preview, and signing.

The form offers only what the agreement allows (:mod:`acsa.web.ui.order_choices`).
Its buttons: *Preview* runs every check signing runs and shows the order's
value and the dates the agreement counts from it, signing nothing; *Sign and
submit* signs; *Save as draft* keeps whatever was typed, on this node only.
Every problem is shown beside its field, in the user's language, with what
was typed kept.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from acsa.domain.errors import DomainError
from acsa.i18n import parse_instant
from acsa.i18n.fields import ORDER_INPUTS
from acsa.services import markings, order_form, orders, queries
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.api import schemas as S
from acsa.web.deps import Principal, get_node
from acsa.web.problems import status_of
from acsa.web.ui.order_choices import choices
from acsa.web.ui.orders import FormProblems, form_marking, marking_problems, order_path
from acsa.web.ui.pages import (
    FormErrors,
    PageRoute,
    check_csrf,
    filled_rows,
    locale_of,
    nested,
    page_principal,
    read_form,
    redirect,
    render,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)
User = Annotated[Principal, Depends(page_principal)]
NEW_ORDER_LINE_ROWS = 5


def _new_page(request: Request, principal: Principal, *, errors: FormErrors | None = None,
              values: dict[str, str] | None = None, status: int = 200,
              emergency: bool = False,
              preview: order_form.OrderPreview | None = None) -> HTMLResponse:
    locale = locale_of(request, principal)[0]
    with UnitOfWork(get_node(request), write=False) as uow:
        context = choices(uow, principal.user, values or {}, emergency=emergency,
                          locale=locale)
    shown = {**context.pop("defaults"), **(values or {})}
    typed = {int(k.split(".")[1]) for k in shown if k.startswith("lines.")
             and k.split(".")[1].isdigit()}
    return render(request, "orders/new.html", principal, status=status,
                  errors=errors or FormErrors(), values=shown, preview=preview,
                  line_rows=max(NEW_ORDER_LINE_ROWS, max(typed, default=-1) + 2), **context)


# -- drafts ----------------------------------------------------------------------------------


def draft_values(draft: queries.DraftInfo) -> dict[str, str]:
    """A draft's terms as the new-order form's fields (``lines.0.quantity`` …)."""
    out = {"draft_id": str(draft.id), "note": draft.note}
    for key, value in draft.terms.items():
        if key == "lines" and isinstance(value, list):
            for i, line in enumerate(v for v in value if isinstance(v, dict)):
                out.update({f"lines.{i}.{k}": str(v) for k, v in line.items() if k != "no"})
        elif key == "marking" and isinstance(value, dict):
            out["marking.level"] = str(value.get("level") or "")
            out["marking.caveats"] = ", ".join(str(c) for c in value.get("caveats") or ())
        elif isinstance(value, (str, int)):
            out[key] = str(value)
    return out


@router.get("/drafts", response_class=HTMLResponse)
def draft_list(request: Request, principal: User) -> HTMLResponse:
    """The user's drafts not yet submitted (an auditor's: every draft), newest first."""
    with UnitOfWork(get_node(request), write=False) as uow:
        found = queries.list_drafts(uow, principal.user)
    return render(request, "orders/drafts.html", principal, drafts=found,
                  changed={d.id: parse_instant(d.updated_at) for d in found})


@router.get("/drafts/{draft_id}", response_class=HTMLResponse)
def draft_page(request: Request, principal: User, draft_id: int) -> HTMLResponse:
    """A draft in the new-order form, to complete, save again or sign."""
    with UnitOfWork(get_node(request), write=False) as uow:
        draft = queries.get_draft(uow, principal.user, draft_id)
    return _new_page(request, principal, values=draft_values(draft))


# -- the forms -------------------------------------------------------------------------------


@router.get("/new-order", response_class=HTMLResponse)
def new_order(request: Request, principal: User) -> HTMLResponse:
    return _new_page(request, principal)


@router.get("/new-emergency", response_class=HTMLResponse)
def new_emergency(request: Request, principal: User) -> HTMLResponse:
    """The supplier records a partner's radio or telephone request at once."""
    return _new_page(request, principal, emergency=True)


@router.post("/new-order")
async def create_order(request: Request, principal: User) -> Response:
    return await _create(request, principal, emergency=False)


@router.post("/new-emergency")
async def create_emergency(request: Request, principal: User) -> Response:
    return await _create(request, principal, emergency=True)


async def _create(request: Request, principal: Principal, *, emergency: bool) -> Response:
    form = await read_form(request)
    check_csrf(principal, form)
    data = nested(form, frozenset({"csrf_token", "intent", "draft_id"}))
    data["lines"] = [row for row in data.get("lines", []) if isinstance(row, dict)]
    marking = form_marking(data)
    intent = form.get("intent", "submit")
    draft = intent == "draft" and not emergency
    draft_id = int(form["draft_id"]) if form.get("draft_id", "").isdigit() else None
    rows = {"lines": filled_rows(form, "lines")}
    locale = locale_of(request, principal)[0]

    async def page(status: int, errors: FormErrors | None = None,
                   preview: order_form.OrderPreview | None = None) -> HTMLResponse:
        return await run_in_threadpool(_new_page, request, principal, values=form,
                                       status=status, errors=errors, emergency=emergency,
                                       preview=preview)

    try:
        # A draft may be incomplete: only an order to sign must pass the form's checks.
        body = None if draft else (
            S.EmergencyCreate if emergency else S.OrderCreate).model_validate(data)
    except ValidationError as exc:
        return await page(422, FormErrors.of_validation(exc, rows, locale))

    def run() -> str | order_form.OrderPreview:
        with UnitOfWork(get_node(request), write=intent != "preview") as uow:
            if body is None:
                return _save_draft(uow, principal, data, marking, draft_id)
            if intent == "preview":
                return _preview(uow, principal, body, marking)
            return _create_order(uow, principal, body, marking, draft_id=draft_id)

    try:
        done = await run_in_threadpool(run)
    except FormProblems as found:
        return await page(422, FormErrors.of_problems(found.problems, rows, locale))
    except DomainError as exc:
        return await page(status_of(exc), FormErrors.of_domain(exc, rows, locale, ORDER_INPUTS))
    if isinstance(done, order_form.OrderPreview):
        return await page(200, preview=done)
    return redirect(done, notice="draft" if draft else
                    "done:emergency" if emergency else "done:submit")


def _save_draft(uow: UnitOfWork, principal: Principal, data: dict[str, Any],
                marking: dict[str, Any] | None, draft_id: int | None) -> str:
    """Keep what was typed, however incomplete, as the user's draft; its page is next."""
    user = principal.user
    terms = {k: v for k, v in data.items() if k not in ("note", "on", "marking")}
    terms["lines"] = [{**line, "no": i + 1} for i, line in enumerate(terms.get("lines", []))]
    problems = marking_problems(
        markings.problems_of(uow, user.party, terms.get("agreement"), marking))
    if problems:
        raise FormProblems(problems)
    kept = orders.save_draft(uow, user, orders.with_activity_type(uow, terms),
                             note=str(data.get("note", "")), draft_id=draft_id,
                             marking=marking)
    return f"/drafts/{kept}"


def _checked(uow: UnitOfWork, principal: Principal, body: S.OrderCreate,
             marking: dict[str, Any] | None) -> dict[str, Any]:
    """The terms of ``body`` once every problem the form can show at once is ruled out."""
    user = principal.user
    terms = body.terms()
    problems = orders.order_form_problems(uow, user, terms,
                                          emergency=isinstance(body, S.EmergencyCreate))
    found = markings.originator_problems(uow, user, terms.get("agreement"),
                                         terms.get("activity"), marking)
    problems += marking_problems(found)
    if problems:
        raise FormProblems(problems)
    return terms


def _preview(uow: UnitOfWork, principal: Principal, body: S.OrderCreate,
             marking: dict[str, Any] | None) -> order_form.OrderPreview:
    """What signing would record, checked as signing checks it; nothing is signed."""
    terms = _checked(uow, principal, body, marking)
    return order_form.preview_order(uow, principal.user, terms,
                                    emergency=isinstance(body, S.EmergencyCreate), on=body.on)


def _create_order(uow: UnitOfWork, principal: Principal, body: S.OrderCreate,
                  marking: dict[str, Any] | None, *, draft_id: int | None) -> str:
    """Sign the order (or the emergency record) with its marking, from a draft when one is
    named; where the browser goes next. Every problem of the form is found before anything
    is signed."""
    user = principal.user
    terms = _checked(uow, principal, body, marking)
    if isinstance(body, S.EmergencyCreate):
        event = orders.record_emergency(uow, user, terms, requested_by=body.requested_by,
                                        on=body.on, marking=marking)
    else:
        event = orders.submit_order(uow, user, terms, on=body.on, marking=marking,
                                    draft_id=draft_id)
    return order_path(event.envelope.subject)

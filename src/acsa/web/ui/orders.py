"""Order pages: the filterable list, one order with its timeline and actions, a new order.

Every act is a form posted to ``/orders/{number}/act/{action}`` carrying the
order's head as the user saw it: if someone else acted on the order in the
meantime, the act is refused with a conflict and the page reloads with the
order as it now stands — never a silent overwrite.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import pass_context
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from acsa.domain.errors import Conflict, DomainError
from acsa.domain.marking import UNCLASSIFIED
from acsa.domain.rules import Status
from acsa.i18n import N_, gettext, parse_instant
from acsa.services import evidence, markings, orders, queries, users
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.web.api import schemas as S
from acsa.web.api.common import order_detail, record_read
from acsa.web.deps import Principal, client_address, get_node
from acsa.web.problems import status_of
from acsa.web.ui.actions import (
    ACTION_ROUTES,
    FIELDS,
    WEIGHTY,
    body_data,
    form_actions,
    form_errors,
)
from acsa.web.ui.pages import (
    FormErrors,
    PageRoute,
    check_csrf,
    environment,
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
CONFLICT_MESSAGE = N_("Someone else changed this order while you were looking at it. "
                      "Here it is as it now stands: check it and act again.")
PAGE_SIZE = 50


class FormProblems(Exception):
    """Every problem of a submitted form, found before anything is signed."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems


def order_path(number: str) -> str:
    return f"/orders/{quote(number)}"


# -- markings -----------------------------------------------------------------------------------


def marking_text(info: markings.Shown | None, locale: str | None) -> str:
    """Both parties' markings side by side, in the reader's words where a party's scheme has
    no equivalent; empty for nothing."""
    if info is None:
        return ""
    return markings.text(info, lambda message: gettext(message, locale))


def banner(info: markings.MarkingInfo | None, locale: str) -> str:
    """The line a page carries at its top and bottom: the marking of the most sensitive
    record it shows; none when everything on it is unclassified."""
    return marking_text(info, locale) if info is not None and info.classified else ""


environment.globals["marking_text"] = pass_context(
    lambda context, info: marking_text(info, context.get("locale")))


def form_marking(data: dict[str, Any]) -> dict[str, Any] | None:
    """Take the marking out of a form's nested data: the level chosen and the caveats typed,
    separated by commas; None when the record is left unclassified."""
    raw = data.pop("marking", None)
    if not isinstance(raw, dict):
        return None
    level, caveats = raw.get("level"), raw.get("caveats")
    return markings.given(level if isinstance(level, str) else None,
                          caveats.split(",") if isinstance(caveats, str) else ())


def marking_problems(found: list[markings.MarkingProblem], locale: str
                     ) -> list[tuple[str, str]]:
    """Problems of a marking, each in the reader's language, by the field it concerns."""
    return [(p.field, gettext(p.message, locale) % p.params) for p in found]


@router.get("/orders", response_class=HTMLResponse)
def order_list(
    request: Request, principal: User,
    status: Annotated[str | None, Query(max_length=20)] = None,
    agreement: Annotated[str | None, Query(max_length=40)] = None,
    activity: Annotated[str | None, Query(max_length=80)] = None,
    counterpart: Annotated[str | None, Query(max_length=3)] = None,
    overdue: Annotated[str | None, Query(max_length=5)] = None,
    q: Annotated[str | None, Query(max_length=queries.SEARCH_LENGTH_MAX)] = None,
    todo: Annotated[str | None, Query(max_length=40)] = None,
    partner: Annotated[str | None, Query(max_length=5)] = None,
    after: Annotated[str | None, Query(max_length=400)] = None,
) -> HTMLResponse:
    wanted = queries.OrderFilter(
        status=status or None, agreement=agreement or None, activity=activity or None,
        counterpart=(counterpart or "").upper() or None, overdue=True if overdue else None,
        q=q or None, todo=todo or None, partner=bool(todo and partner),
        after=after or None, limit=PAGE_SIZE)
    with UnitOfWork(get_node(request), write=False) as uow:
        page = queries.list_orders(uow, principal.user, wanted)
        agreements = queries.list_agreements(uow)
        activities = queries.list_activities(uow)
        shown = markings.report_marking(uow, [o.number for o in page.data])
    filters = {k: v for k, v in (("status", status), ("agreement", agreement),
                                 ("activity", activity), ("counterpart", counterpart),
                                 ("overdue", overdue), ("q", q), ("todo", todo),
                                 ("partner", partner if todo else None)) if v}
    next_url = (f"/orders?{urlencode({**filters, 'after': page.next})}" if page.next else None)
    return render(request, "orders/list.html", principal, page=page, filters=filters,
                  banner=banner(shown, locale_of(request, principal)[0]),
                  statuses=[s.value for s in Status if s is not Status.DRAFT],
                  agreements=agreements, activities=activities, next_url=next_url,
                  first_url=f"/orders?{urlencode(filters)}" if after else None)


# -- one order -------------------------------------------------------------------------------


def _order_page(request: Request, principal: Principal, number: str, *,
                open_action: str | None = None, errors: FormErrors | None = None,
                values: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    node = get_node(request)
    with UnitOfWork(node) as uow:
        detail = order_detail(uow, principal.user, number)
        record_read(uow, principal.user, number, client_address(request))
        units = queries.list_units(uow, principal.user.party)
        candidates = (queries.exchange_candidates(uow, principal.user, number)
                      if "link-exchange" in detail.actions else [])
        levels = users.clearance_levels(uow)
    side = "requester" if detail.terms.requester == principal.user.party else "supplier"
    actions = form_actions(detail.actions, detail, side)
    if open_action not in actions:
        open_action = None  # no such form now: a refusal of it shows above the order
    return render(request, "orders/detail.html", principal, status=status, order=detail,
                  actions=actions, fields=FIELDS,
                  weighty=WEIGHTY,
                  open_action=open_action, errors=errors or FormErrors(), values=values or {},
                  unit_options=[(u.id, f"{u.name} ({u.id})") for u in units],
                  defaults={"supplying_unit": detail.terms.supplying_unit or next(
                      iter(sorted(principal.user.units)), units[0].id if units else ""),
                      "currency": detail.currency},
                  evidence_mb=evidence.EVIDENCE_FILE_SIZE_MAX // (1024 * 1024),
                  order_url=order_path(number), side=side, exchange_candidates=candidates,
                  marking_options=[(level, level) for level in levels],
                  banner=marking_text(detail.marking, locale_of(request, principal)[0])
                  if detail.marking.level != UNCLASSIFIED else "")


@router.get("/orders/{number:path}/act/{action}", response_class=HTMLResponse)
def action_form(request: Request, principal: User, number: str, action: str) -> HTMLResponse:
    """The order page with one action's form open (the link works without JavaScript)."""
    return _order_page(request, principal, number,
                       open_action=action if action in FIELDS else None)


@router.post("/orders/{number:path}/act/{action}")
async def act(request: Request, principal: User, number: str, action: str) -> Response:
    try:
        return await _act(request, principal, number, action)
    finally:
        await (await request.form()).close()  # uploaded files' temporary copies


async def _uploads(request: Request) -> list[tuple[str, bytes, str | None]]:
    """The files posted with a form: name, content (one byte over the limit at most), type."""
    files = [v for _, v in (await request.form()).multi_items()
             if isinstance(v, UploadFile) and v.filename]
    return [(upload.filename or "evidence",
             await upload.read(evidence.EVIDENCE_FILE_SIZE_MAX + 1), upload.content_type)
            for upload in files]


def _action_data(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """An action form's nested data, its caveats a list; and the marking it gives."""
    data = nested(form)
    marking = form_marking(data)
    if marking is not None:
        data["marking"] = marking
    return data, marking


async def _act(request: Request, principal: Principal, number: str, action: str) -> Response:
    form = await read_form(request)
    check_csrf(principal, form)
    if action not in ACTION_ROUTES or action not in FIELDS:
        return await run_in_threadpool(_order_page, request, principal, number, errors=FormErrors(
            general=[gettext(N_("This action has no form here."), locale_of(request,
                                                                           principal)[0])]),
            status=404)
    route = ACTION_ROUTES[action]
    uploads = await _uploads(request)
    data, marking = _action_data(form)
    try:
        body = route.body.model_validate(body_data(action, data))
    except ValidationError as exc:
        return await run_in_threadpool(_order_page, request, principal, number, open_action=action,
                           errors=form_errors(action, form, exc), values=form, status=422)
    locale = locale_of(request, principal)[0]

    @use_case
    def act(uow: UnitOfWork) -> None:
        """The files attached and the act citing them: one use case, kept whole or not at all."""
        queries.check_head(uow, principal.user, number, form.get("head") or None)
        found = markings.order_problems(uow, principal.user, number, marking)
        if found:
            raise FormProblems(marking_problems(found, locale))
        cited = [evidence.store_evidence(uow, name, content, media)
                 for name, content, media in uploads]
        used = body
        if cited:
            refs = [S.EvidenceRef.model_validate(c) for c in cited]
            used = body.model_copy(update={"evidence": [*getattr(body, "evidence", []),
                                                        *refs]})
        route.call(uow, principal.user, number, used, form.get("head") or None)

    def run() -> None:
        with UnitOfWork(get_node(request)) as uow:
            act(uow)

    try:
        await run_in_threadpool(run)
    except FormProblems as found:
        return await run_in_threadpool(_order_page, request, principal, number, open_action=action,
                           errors=FormErrors.of_problems(found.problems, {}, locale),
                           values=form, status=422)
    except Conflict as exc:
        message = gettext(CONFLICT_MESSAGE, locale)
        return await run_in_threadpool(_order_page, request, principal, number, errors=FormErrors(
            general=[message, exc.message]), status=status_of(exc))
    except DomainError as exc:
        return await run_in_threadpool(_order_page, request, principal, number, open_action=action,
                           errors=form_errors(action, form, exc, locale), values=form,
                           status=status_of(exc))
    return redirect(order_path(number), notice=f"done:{action}")


@router.get("/orders/{number:path}", response_class=HTMLResponse)
def order_page(request: Request, principal: User, number: str) -> HTMLResponse:
    return _order_page(request, principal, number)


# -- a new order -----------------------------------------------------------------------------


def _choices(uow: UnitOfWork, principal: Principal, emergency: bool) -> dict[str, Any]:
    """The new-order form's choices: only what this user's party's agreements allow.

    An emergency order is recorded by the supplier for a partner who asked by
    radio or telephone: the requesting unit is then one of the partner's.
    """
    party = principal.user.party
    agreements = [a for a in queries.list_agreements(uow)
                  if any(p["code"] == party for p in a.parties)]
    ids = {a.id for a in agreements}
    activities = [a for a in queries.list_activities(uow) if a.agreement in ids]
    partners = sorted({p["code"] for a in agreements for p in a.parties if p["code"] != party})
    categories = sorted({c for a in agreements for c in a.categories})

    def units(*parties: str) -> list[tuple[str, str]]:
        return [(u.id, f"{u.name} ({u.id})") for p in parties
                for u in queries.list_units(uow, p)]

    return {
        "options": {
            "agreements": [(a.id, f"{a.short_id} — {a.title}") for a in agreements],
            "activities": [(a.id, f"{a.name} ({a.id})") for a in activities],
            "suppliers": [(p, p) for p in partners],
            "units": units(*partners) if emergency else units(party),
            "my_units": units(party),
            "categories": categories,
        },
        "catalogue": queries.price_catalogue(uow, principal.user),
        "emergency": emergency,
        "marking_options": [(level, level) for level in users.clearance_levels(uow)],
    }


def _new_page(request: Request, principal: Principal, *, errors: FormErrors | None = None,
              values: dict[str, str] | None = None, status: int = 200,
              emergency: bool = False) -> HTMLResponse:
    values = values or {}
    with UnitOfWork(get_node(request), write=False) as uow:
        choices = _choices(uow, principal, emergency)
    typed = {int(k.split(".")[1]) for k in values if k.startswith("lines.")
             and k.split(".")[1].isdigit()}
    return render(request, "orders/new.html", principal, status=status,
                  errors=errors or FormErrors(), values=values,
                  line_rows=max(NEW_ORDER_LINE_ROWS, max(typed, default=-1) + 2), **choices)


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
    draft = form.get("intent") == "draft" and not emergency
    draft_id = int(form["draft_id"]) if form.get("draft_id", "").isdigit() else None
    rows = {"lines": filled_rows(form, "lines")}
    locale = locale_of(request, principal)[0]
    try:
        # A draft may be incomplete: only a signed order must pass the form's checks.
        body = None if draft else (
            S.EmergencyCreate if emergency else S.OrderCreate).model_validate(data)
    except ValidationError as exc:
        return await run_in_threadpool(_new_page, request, principal, values=form, status=422,
                                       errors=FormErrors.of_validation(exc, rows),
                                       emergency=emergency)

    def run() -> str:
        with UnitOfWork(get_node(request)) as uow:
            if body is None:
                return _save_draft(uow, principal, data, marking, draft_id, locale)
            return _create_order(uow, principal, body, marking, draft_id=draft_id,
                                 locale=locale)

    try:
        where = await run_in_threadpool(run)
    except FormProblems as found:
        errors = FormErrors.of_problems(found.problems, rows, locale)
        return await run_in_threadpool(_new_page, request, principal, values=form, status=422,
                                       errors=errors, emergency=emergency)
    except DomainError as exc:
        return await run_in_threadpool(_new_page, request, principal, values=form,
                                       status=status_of(exc),
                                       errors=FormErrors.of_domain(exc, rows, locale),
                                       emergency=emergency)
    return redirect(where, notice="draft" if draft else
                    "done:emergency" if emergency else "done:submit")


def _save_draft(uow: UnitOfWork, principal: Principal, data: dict[str, Any],
                marking: dict[str, Any] | None, draft_id: int | None, locale: str) -> str:
    """Keep what was typed, however incomplete, as the user's draft; its page is next."""
    user = principal.user
    terms = {k: v for k, v in data.items() if k not in ("note", "on", "marking")}
    terms["lines"] = [{**line, "no": i + 1} for i, line in enumerate(terms.get("lines", []))]
    problems = marking_problems(
        markings.problems_of(uow, user.party, terms.get("agreement"), marking), locale)
    if problems:
        raise FormProblems(problems)
    kept = orders.save_draft(uow, user, orders.with_activity_type(uow, terms),
                             note=str(data.get("note", "")), draft_id=draft_id,
                             marking=marking)
    return f"/drafts/{kept}"


def _create_order(uow: UnitOfWork, principal: Principal, body: S.OrderCreate,
                  marking: dict[str, Any] | None, *, draft_id: int | None,
                  locale: str) -> str:
    """Sign the order (or the emergency record) with its marking, from a draft when one is
    named; where the browser goes next. Every problem of the form is found before anything
    is signed."""
    user = principal.user
    emergency = isinstance(body, S.EmergencyCreate)
    terms = body.terms()
    problems = orders.order_form_problems(uow, user, terms, emergency=emergency)
    found = markings.originator_problems(uow, user, terms.get("agreement"),
                                         terms.get("activity"), marking)
    problems += marking_problems(found, locale)
    if problems:
        raise FormProblems(problems)
    if isinstance(body, S.EmergencyCreate):
        event = orders.record_emergency(uow, user, terms, requested_by=body.requested_by,
                                        on=body.on, marking=marking)
    else:
        event = orders.submit_order(uow, user, terms, on=body.on, marking=marking,
                                    draft_id=draft_id)
    return order_path(event.envelope.subject)

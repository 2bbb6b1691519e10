"""Order pages: the filterable list, and one order with its timeline and its actions.

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

from acsa.domain.agreement import DOCUMENT_KINDS
from acsa.domain.errors import Conflict, DomainError, InvalidValue
from acsa.domain.marking import UNCLASSIFIED
from acsa.domain.parties import Role
from acsa.domain.rules import Status
from acsa.i18n import N_, gettext
from acsa.services import (
    consent,
    evidence,
    invoicing,
    markings,
    paper,
    queries,
    releases,
    users,
)
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.web.api import schemas as S
from acsa.web.api.common import order_detail, record_read
from acsa.web.deps import Principal, client_address, get_node
from acsa.web.problems import status_of
from acsa.web.ui import held_files
from acsa.web.ui.actions import (
    ACTION_ROUTES,
    EVIDENCE_KIND_DEFAULT,
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
    locale_of,
    nested,
    page_principal,
    read_form,
    redirect,
    render,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)
User = Annotated[Principal, Depends(page_principal)]
CONFLICT_MESSAGE = N_("Someone else changed this order while you were looking at it. "
                      "Here it is as it now stands: check it and act again.")
PAGE_SIZE = 50


class FormProblems(Exception):
    """Every problem of a submitted form, found before anything is signed."""

    def __init__(self, problems: list[DomainError]) -> None:
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


def marking_problems(found: list[markings.MarkingProblem]) -> list[DomainError]:
    """Problems of a marking, each as the refusal naming the field it concerns."""
    return [p.error() for p in found]


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
                values: dict[str, str] | None = None, status: int = 200,
                held: list[held_files.Held] | None = None) -> HTMLResponse:
    node = get_node(request)
    with UnitOfWork(node, write=False) as uow:
        detail = order_detail(uow, principal.user, number)
        units = queries.list_units(uow, principal.user.party)
        candidates = (queries.exchange_candidates(uow, principal.user, number)
                      if "link-exchange" in detail.actions else [])
        due = (invoicing.invoices_due(uow, principal.user, number)
               if "invoice" in detail.actions else [])
        levels = users.clearance_levels(uow)
        paper_partner = paper.order_partner(uow, principal.user, number)
        paper_steps = paper.steps_now(uow, principal.user, number) if paper_partner else []
        consent_rows = consent.list_views(uow, principal.user, number)
        released = releases.sent_for_order(uow, number)
        node_party = uow.node.party
    # Recorded once read, in a transaction of its own: reading never holds the write lock.
    record_read(node, principal.user, number, client_address(request))
    side = "requester" if detail.terms.requester == principal.user.party else "supplier"
    actions = form_actions(detail.actions, detail, side, billable=bool(due))
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
                  invoices_due=due, held_files=held or [],
                  paper_partner=paper_partner, paper_steps=paper_steps,
                  marking_options=[(level, level) for level in levels],
                  consents=consent_rows, released=released, here=node_party,
                  security_officer=Role.SECURITY_OFFICER in principal.user.roles,
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
    posted = await read_form(request)
    check_csrf(principal, posted)
    node = get_node(request)
    if action not in ACTION_ROUTES or action not in FIELDS:
        return await run_in_threadpool(_order_page, request, principal, number, errors=FormErrors(
            general=[gettext(N_("This action has no form here."), locale_of(request,
                                                                           principal)[0])]),
            status=404)
    form = held_files.without_held(posted)
    # The files attached now, and those kept from a refused try that are still ticked.
    files = [*await _uploads(request), *held_files.take(node, principal, posted)]
    locale = locale_of(request, principal)[0]

    async def refused(errors: FormErrors, status: int) -> HTMLResponse:
        """The form again with each problem beside its field, what was typed and the files
        attached kept."""
        held = await run_in_threadpool(held_files.keep, node, principal, files,
                                       evidence.EVIDENCE_FILE_SIZE_MAX)
        return await run_in_threadpool(_order_page, request, principal, number,
                                       open_action=action, errors=errors, values=form,
                                       status=status, held=held)

    data, marking = _action_data(form)
    # What the files attached are: the form's choice (its default when a client posts none).
    data.pop("evidence_kind", None)
    kind = str(form.get("evidence_kind", EVIDENCE_KIND_DEFAULT.get(action, ""))).strip()
    try:
        body = ACTION_ROUTES[action].body.model_validate(body_data(action, data))
    except ValidationError as exc:
        return await refused(form_errors(action, form, exc, locale), 422)
    try:
        await run_in_threadpool(_record_act, node, principal, number, action, body,
                                (form.get("head") or None, marking, files, kind))
    except FormProblems as found:
        return await refused(FormErrors.of_problems(found.problems, {}, locale), 422)
    except Conflict as exc:
        message = gettext(CONFLICT_MESSAGE, locale)
        return await run_in_threadpool(_order_page, request, principal, number, errors=FormErrors(
            general=[message]), status=status_of(exc))
    except DomainError as exc:
        return await refused(form_errors(action, form, exc, locale), status_of(exc))
    held_files.release(node, principal)
    return redirect(order_path(number), notice=f"done:{action}")


def _record_act(node: Node, principal: Principal, number: str, action: str, body: Any,
                posted: tuple[str | None, dict[str, Any] | None, list[held_files.Upload], str],
                ) -> None:
    """The files attached and the act citing them: one use case, kept whole or not at all;
    ``kind`` names what document the files are (none: not named)."""
    head, marking, files, kind = posted
    route = ACTION_ROUTES[action]

    @use_case
    def act(uow: UnitOfWork) -> None:
        queries.check_head(uow, principal.user, number, head)
        found = markings.order_problems(uow, principal.user, number, marking)
        if found:
            raise FormProblems(marking_problems(found))
        if kind and kind not in DOCUMENT_KINDS:
            raise InvalidValue(N_("'%(value)s' is not a kind of document (%(kinds)s)"),
                               field="evidence", value=kind, kinds=list(DOCUMENT_KINDS))
        cited = [evidence.store_evidence(uow, name, content, media)
                 for name, content, media in files]
        used = body
        if cited:
            refs = [S.EvidenceRef.model_validate({**c, "kind": kind} if kind else c)
                    for c in cited]
            used = body.model_copy(update={"evidence": [*getattr(body, "evidence", []),
                                                        *refs]})
        route.call(uow, principal.user, number, used, head)

    with UnitOfWork(node) as uow:
        act(uow)


@router.get("/orders/{number:path}", response_class=HTMLResponse)
def order_page(request: Request, principal: User, number: str) -> HTMLResponse:
    return _order_page(request, principal, number)

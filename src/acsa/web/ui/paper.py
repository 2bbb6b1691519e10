"""Pages for a partner that signs on paper: its steps on an order, its appointments.

``/paper-steps/{step}/{number}`` is the form a local official fills in from the
partner's signed form: which partner official signed, the scanned form (kept
after a refusal, as on the order page's own forms) and the step's few fields;
the official who submits it attests the copy. ``/admin/paper`` lists the paper
partners' written appointments and records a new one with its letter. Both
run the use cases of :mod:`acsa.services.paper`, in one transaction with the
files they cite.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from acsa.domain.errors import DomainError, InvalidValue, MissingField
from acsa.domain.parties import Role
from acsa.i18n import N_
from acsa.services import admin_views, evidence, paper
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.web.api.common import order_detail
from acsa.web.deps import Principal, get_node
from acsa.web.problems import status_of
from acsa.web.ui import held_files
from acsa.web.ui.form_errors import FormErrors
from acsa.web.ui.orders import _uploads
from acsa.web.ui.pages import (
    PageRoute,
    check_csrf,
    locale_of,
    nested,
    page_principal,
    read_form,
    redirect,
    render,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)
User = Annotated[Principal, Depends(page_principal)]

# The inputs of each step's form after the official and the signed form (the names of
# the order page's own inputs, see orders/_action_fields.html).
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "accept": ("supplying_unit", "on"), "reject": ("reason", "on"),
    "withdraw": ("reason", "on"), "confirm": ("on",), "confirm-emergency": ("on",),
    "deliver": ("lines", "note", "on"), "receive": ("delivery", "received", "note", "on"),
}


def step_path(step: str, number: str) -> str:
    return f"/paper-steps/{quote(step)}/{quote(number)}"


def _step_page(request: Request, principal: Principal, step: str, number: str, *,
               errors: FormErrors | None = None, values: dict[str, str] | None = None,
               held: list[held_files.Held] | None = None, status: int = 200) -> HTMLResponse:
    if step not in STEP_FIELDS:
        raise InvalidValue(N_("'%(step)s' is not a step recorded from paper (%(allowed)s)"),
                           field="step", step=step, allowed=", ".join(STEP_FIELDS))
    with UnitOfWork(get_node(request), write=False) as uow:
        detail = order_detail(uow, principal.user, number)
        partner = paper.order_partner(uow, principal.user, number)
        steps = paper.steps_now(uow, principal.user, number)
        officials = [a for a in paper.paper_appointments(uow, detail.agreement)
                     if a["party"] == partner and not a["revoked"]]
    units = sorted({u for a in officials for u in a["units"]}
                   | ({detail.terms.supplying_unit} if detail.terms.supplying_unit else set()))
    return render(request, "paper/step.html", principal, status=status, order=detail,
                  step=step, partner=partner, open_now=step in steps, officials=officials,
                  fields=STEP_FIELDS[step], errors=errors or FormErrors(),
                  values=values or {"supplying_unit": detail.terms.supplying_unit or ""},
                  held_files=held or [], unit_options=[(u, u) for u in units],
                  evidence_mb=evidence.EVIDENCE_FILE_SIZE_MAX // (1024 * 1024),
                  post_url=step_path(step, number))


@router.get("/paper-steps/{step}/{number:path}", response_class=HTMLResponse)
def step_form(request: Request, principal: User, step: str, number: str) -> HTMLResponse:
    return _step_page(request, principal, step, number)


def _fields(data: dict[str, Any]) -> paper.StepFields:
    lines = [(int(r["line"]), str(r["quantity"])) for r in data.get("lines", [])
             if isinstance(r, dict) and r.get("quantity")]
    received = [(int(r["line"]), str(r["quantity"]), str(r.get("damaged") or "0"))
                for r in data.get("received", []) if isinstance(r, dict) and r.get("quantity")]
    return paper.StepFields(
        supplying_unit=data.get("supplying_unit"), reason=str(data.get("reason", "")),
        lines=lines, delivery=str(data.get("delivery", "")), received=received or None,
        note=str(data.get("note", "")))


@router.post("/paper-steps/{step}/{number:path}")
async def record_step(request: Request, principal: User, step: str, number: str) -> Response:
    try:
        posted = await read_form(request)
        check_csrf(principal, posted)
        node = get_node(request)
        form = held_files.without_held(posted)
        files = [*await _uploads(request), *held_files.take(node, principal, posted)]
        data = nested(form)
        try:
            await run_in_threadpool(_record, request, principal, step, number, data, files)
        except DomainError as exc:
            held = await run_in_threadpool(held_files.keep, node, principal, files,
                                           evidence.EVIDENCE_FILE_SIZE_MAX)
            errors = FormErrors.of_domain(exc, {"lines": [], "received": []},
                                          locale_of(request, principal)[0],
                                          {"official", "evidence", *STEP_FIELDS.get(step, ())})
            return await run_in_threadpool(_step_page, request, principal, step, number,
                                           errors=errors, values=form, held=held,
                                           status=status_of(exc))
        held_files.release(node, principal)
        return redirect(f"/orders/{quote(number)}", notice=f"done:{step}")
    finally:
        await (await request.form()).close()


def _record(request: Request, principal: Principal, step: str, number: str,
            data: dict[str, Any], files: list[held_files.Upload]) -> None:
    """The scanned form and the step citing it: one use case, kept whole or not at all."""
    @use_case
    def act(uow: UnitOfWork) -> None:
        forms = [paper.attach_evidence(uow, name, media, content)
                 for name, content, media in files]
        paper.record_from_form(
            uow, principal.user, number, step=step, official=str(data.get("official", "")),
            forms=forms, fields=_fields(data), on=_day(data.get("on")),
            expected_parent=data.get("head"))

    with UnitOfWork(get_node(request)) as uow:
        act(uow)


def _day(text: Any) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise InvalidValue(N_("is not a date (YYYY-MM-DD)"), field="on") from None


# -- the partners' appointments ------------------------------------------------------------


def _admin_page(request: Request, principal: Principal, *, errors: FormErrors | None = None,
                values: dict[str, Any] | None = None, held: list[held_files.Held] | None = None,
                status: int = 200) -> HTMLResponse:
    admin_views.require_reader(principal.user)  # like /admin/appointments: officials only
    with UnitOfWork(get_node(request), write=False) as uow:
        partners = paper.paper_partners(uow)
        roster = paper.paper_appointments(uow)
        today = uow.node.clock().date().isoformat()
    return render(request, "paper/appointments.html", principal, status=status,
                  partners=partners, roster=roster, roles=[r.value for r in Role],
                  errors=errors or FormErrors(), values=values or {"valid_from": today},
                  held_files=held or [], may_act=admin_views.may_act(principal.user),
                  may_read_log=admin_views.may_read_access_log(principal.user),
                  evidence_mb=evidence.EVIDENCE_FILE_SIZE_MAX // (1024 * 1024))


@router.get("/admin/paper", response_class=HTMLResponse)
def appointments(request: Request, principal: User) -> HTMLResponse:
    return _admin_page(request, principal)


@router.post("/admin/paper")
async def appoint(request: Request, principal: User) -> Response:
    try:
        posted = await read_form(request)
        check_csrf(principal, posted)
        node = get_node(request)
        form = held_files.without_held(posted)
        files = [*await _uploads(request), *held_files.take(node, principal, posted)]
        try:
            await run_in_threadpool(_appoint, request, principal, form, files)
        except DomainError as exc:
            held = await run_in_threadpool(held_files.keep, node, principal, files,
                                           evidence.EVIDENCE_FILE_SIZE_MAX)
            errors = FormErrors.of_domain(exc, None, locale_of(request, principal)[0])
            if exc.field == "evidence":
                errors.fields = {"letter" if k == "evidence" else k: v
                                 for k, v in errors.fields.items()}
            return await run_in_threadpool(_admin_page, request, principal, errors=errors,
                                           values=form, held=held, status=status_of(exc))
        held_files.release(node, principal)
        return redirect("/admin/paper", notice="added")
    finally:
        await (await request.form()).close()


def _appoint(request: Request, principal: Principal, form: dict[str, str],
             files: list[held_files.Upload]) -> None:
    agreement, _, party = form.get("partner", "").partition(":")

    @use_case
    def act(uow: UnitOfWork) -> None:
        if not files:
            raise InvalidValue(N_("attach the signed letter of appointment"), field="evidence")
        [letter] = [paper.attach_evidence(uow, name, media, content)
                    for name, content, media in files[:1]]
        limit = form.get("limit", "").strip()
        currency, _, amount = limit.partition("=")
        paper.appoint_from_letter(
            uow, principal.user, agreement=agreement, party=party or None,
            user_id=form.get("user", "").strip(), name=form.get("name", ""),
            role=form.get("role", ""),
            units=[u for u in form.get("units", "").replace(",", " ").split() if u],
            valid_from=_required_day(form.get("valid_from"), "valid_from"),
            valid_to=_named_day(form.get("valid_to"), "valid_to"),
            limits={currency.strip().upper(): amount.strip()} if limit else None,
            letter=letter)

    with UnitOfWork(get_node(request)) as uow:
        act(uow)


def _named_day(text: Any, field: str) -> date | None:
    try:
        return _day(text)
    except InvalidValue:
        raise InvalidValue(N_("is not a date (YYYY-MM-DD)"), field=field) from None


def _required_day(text: Any, field: str) -> date:
    if not text:
        raise MissingField(N_("is required"), field=field)
    day = _named_day(text, field)
    assert day is not None
    return day

"""Consent and releases on the pages: the forms on an order's page ("Marking, consent and
release"), and the releases this node sent or holds as a third nation, read-only.

Every form calls the same service as the command line and the API: a security officer
asks the originators' consent, each originator's security officer answers, and the
package is sent only once every originator has consented. Releases are listed to
security officers and auditors.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from acsa.domain.errors import DomainError
from acsa.federation.release import send_release
from acsa.services import consent, releases
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.deps import Principal, get_node
from acsa.web.problems import status_of
from acsa.web.ui.form_errors import FormErrors
from acsa.web.ui.orders import _order_page, order_path
from acsa.web.ui.pages import PageRoute, check_csrf, page_principal, read_form, redirect, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
User = Annotated[Principal, Depends(page_principal)]
CONSENT_INPUTS = ("action", "recipient", "level", "reason")


async def _act(request: Request, principal: Principal, number: str, action: str,
               work: object, inputs: tuple[str, ...] = ()) -> Response:
    form = await read_form(request)
    check_csrf(principal, form)
    values = {k: form.get(k, "").strip() for k in inputs}
    try:
        await run_in_threadpool(work, values)  # type: ignore[arg-type]
    except DomainError as exc:
        return await run_in_threadpool(
            _order_page, request, principal, number, status=status_of(exc),
            errors=FormErrors.of_domain(exc, inputs=inputs or None), values=values)
    return redirect(order_path(number) + "#release-h", notice=f"done:{action}")


@router.post("/orders/{number:path}/consents")
async def request_consent(request: Request, principal: User, number: str) -> Response:
    def work(values: dict[str, str]) -> None:
        with UnitOfWork(get_node(request)) as uow:
            consent.request_consent(uow, principal.user, number,
                                    recipient=values["recipient"], reason=values["reason"],
                                    action=values["action"] or "release",
                                    level=values["level"])

    return await _act(request, principal, number, "request-consent", work, CONSENT_INPUTS)


@router.post("/orders/{number:path}/consents/{request_hash}/grant")
async def grant(request: Request, principal: User, number: str, request_hash: str) -> Response:
    def work(values: dict[str, str]) -> None:
        with UnitOfWork(get_node(request)) as uow:
            consent.grant_consent(uow, principal.user, request_hash)

    return await _act(request, principal, number, "grant-consent", work)


@router.post("/orders/{number:path}/consents/{request_hash}/refuse")
async def refuse(request: Request, principal: User, number: str, request_hash: str
                 ) -> Response:
    def work(values: dict[str, str]) -> None:
        with UnitOfWork(get_node(request)) as uow:
            consent.refuse_consent(uow, principal.user, request_hash, reason=values["reason"])

    return await _act(request, principal, number, "refuse-consent", work, ("reason",))


@router.post("/orders/{number:path}/release")
async def send(request: Request, principal: User, number: str) -> Response:
    def work(values: dict[str, str]) -> None:
        send_release(get_node(request), principal.user.id, number, values["recipient"])

    return await _act(request, principal, number, "send-release", work, ("recipient",))


@router.get("/releases", response_class=HTMLResponse)
def release_list(request: Request, principal: User) -> HTMLResponse:
    with UnitOfWork(get_node(request), write=False) as uow:
        rows = releases.list_views(uow, principal.user)
        awaiting = consent.awaiting(uow, principal.user)
    return render(request, "releases/list.html", principal, rows=rows, awaiting=awaiting)


@router.get("/releases/{release_id}", response_class=HTMLResponse)
def release_page(request: Request, principal: User, release_id: int) -> HTMLResponse:
    with UnitOfWork(get_node(request), write=False) as uow:
        view = releases.show_view(uow, release_id, principal.user)
    return render(request, "releases/detail.html", principal, r=view)

"""RFC 9457 problem details: how a refusal looks to an API client and to a page.

Every :class:`~acsa.domain.errors.DomainError` becomes one problem document
with the error's stable ``code``, the ``field`` at fault and the ``params``
its message names (limit, date, role …), beside the standard ``type``,
``title``, ``status`` and ``detail``. Pages use :func:`problem_of` to show
the same words next to the field, and :func:`status_of` for their status.

The HTTP status is chosen here and nowhere else, for the API and the pages
alike:

======  ===========================================================
400     a request the API cannot read at all (a bad cursor)
401     no valid session or token; a failed login
403     the rules forbid this user or token the act (roles, appointments,
        scopes, CSRF), including an action the permission table never
        allows this role; a statement or offset signed without the
        clearance and need to know for every order it covers; an act the
        separation of duties keeps from one who took another on the order
404     the order (or other resource named in the path: a draft, payment,
        exchange, offset, token or evidence file) is not on this node
409     the order changed since it was read (stale ``If-Match``); an act
        already on record; an act the order's status does not allow now;
        nothing due for the act (nothing to invoice, return or offset);
        signing paused because the node's own stream is behind what it sent
        (a restored backup, until the events are fetched back); a step of a
        loss or compromise report out of its turn
422     the request is readable but its content is refused (validation,
        a rule of the agreement, a report too large to make)
428     an act on one order without ``If-Match``
429     too many failed logins; ``Retry-After`` says how long to wait
======  ===========================================================
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from acsa.domain import errors as E
from acsa.domain.params import plain_params
from acsa.i18n import DEFAULT_LOCALE, negotiate_locale
from acsa.i18n.labels import label
from acsa.i18n.refusals import refusal
from acsa.logs import request_id
from acsa.services import auth, queries
from acsa.services.users import NotPermitted

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "tag:acsa-ledger,2026:problem:"

log = logging.getLogger("acsa.web")


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document with the domain's error code and the field at fault."""

    model_config = ConfigDict(json_schema_extra={"example": {
        "type": "tag:acsa-ledger,2026:problem:not_appointed",
        "title": "Not appointed", "status": 403,
        "detail": "jpn.supply is not appointed as approving_official on 2026-02-03",
        "code": "not_appointed", "field": "user",
        "params": {"user": "jpn.supply", "role": "approving_official", "date": "2026-02-03"},
    }})

    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None
    instance: str | None = None
    errors: list[FieldProblem] | None = None  # every invalid field, for validation errors
    # The values the detail names (limit, date, total, role, unit …), so that a client can
    # phrase the refusal in its own words; money as {"amount": "1234.50", "currency": "PHP"},
    # dates ISO 8601. Absent when the detail names none.
    params: dict[str, Any] | None = None
    # On a 500 only: the id of the request, by which the node's operator finds the error
    # in the node's log (the same id is in the X-Request-ID header of every response).
    request_id: str | None = None


class PreconditionRequired(E.DomainError):
    """An act on an order came without ``If-Match`` naming the version the actor saw."""

    code = "precondition_required"


class BadRequest(E.DomainError):
    code = "bad_request"


TITLES = {
    "conflict": "The order changed since you read it",
    "transition_not_allowed": "Action not allowed",
    "not_appointed": "Not appointed",
    "not_permitted": "Not permitted",
    "not_authorized": "Not authorized",
    "not_authenticated": "Not logged in",
    "session_expired": "Session ended",
    "login_failed": "Login failed",
    "login_throttled": "Too many failed logins",
    "csrf_rejected": "Security token missing",
    "scope_missing": "Token scope missing",
    "precondition_required": "If-Match required",
    "unknown_reference": "Not found",
    "invalid_value": "Invalid value",
    "missing_field": "Required field missing",
    "step_out_of_order": "Step out of order",
}

# Fields naming the resource in the path: an unknown one is a 404, any other a 422.
PATH_FIELDS = frozenset({"order", "draft", "payment", "exchange", "offset", "token",
                         "evidence", "receivable", "arrangement", "report"})


def status_of(exc: E.DomainError) -> int:
    """The HTTP status for a refusal (see the table in the module docstring)."""
    if isinstance(exc, auth.NotAuthenticated):
        return 401
    if isinstance(exc, auth.LoginThrottled):
        return 429
    if isinstance(exc, PreconditionRequired):
        return 428
    if isinstance(exc, (BadRequest, queries.BadCursor)):
        return 400
    if isinstance(exc, (E.Conflict, E.AlreadyRecorded, E.NothingDue, E.StreamBehind,
                        E.EvidenceMissing, E.StepOutOfOrder)):
        return 409
    if isinstance(exc, E.TransitionNotAllowed):
        # The table allows the role the act, just not in this status: a state conflict.
        return 409 if exc.field == "status" else 403
    if isinstance(exc, (NotPermitted, E.NotAuthorized, E.NotAppointed, E.LimitExceeded,
                        E.NeedToKnow, E.DutiesCombined, auth.CsrfRejected, auth.ScopeMissing)):
        return 403
    if isinstance(exc, E.UnknownReference) and exc.field in PATH_FIELDS:
        return 404
    return 422


def title_of(code: str) -> str:
    return TITLES.get(code, code.replace("_", " ").capitalize())


def problem_of(exc: E.DomainError, *, instance: str | None = None,
               locale: str | None = None) -> Problem:
    """The problem document of a refusal. ``code``, ``field`` and ``params`` are the same in
    every language; with a ``locale`` other than English, ``title`` and ``detail`` are in it
    (a client that asked for Japanese in ``Accept-Language``)."""
    translated = locale is not None and locale != DEFAULT_LOCALE
    return Problem(type=TYPE_BASE + exc.code,
                   title=label("error", exc.code, locale) if translated else title_of(exc.code),
                   status=status_of(exc),
                   detail=refusal(exc, locale) if translated else exc.message,
                   code=exc.code, field=exc.field, instance=instance,
                   params=plain_params(exc) or None)


def internal_problem(instance: str, rid: str | None, *,
                     code: str = "internal_error") -> Problem:
    """A 500: nothing of the cause, only the request id that finds it in the log."""
    return Problem(type=TYPE_BASE + code, title="Internal error", status=500,
                   detail="the node could not complete this request because of an internal "
                          f"error; its operator finds it in the log by request id {rid}",
                   code=code, instance=instance, request_id=rid)


def log_refusal(problem: Problem) -> None:
    """One log line per refusal: its status, code and field, never the values refused."""
    log.info("refused %s %s", problem.status, problem.code, extra={
        "event": "refusal", "status": problem.status, "code": problem.code,
        "field": problem.field})


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    if problem.status < 500:
        log_refusal(problem)
    return JSONResponse(problem.model_dump(exclude_none=True), status_code=problem.status,
                        media_type=MEDIA_TYPE, headers=headers)


def _headers(exc: E.DomainError) -> dict[str, str] | None:
    if isinstance(exc, auth.LoginThrottled):
        return {"Retry-After": str(exc.retry_after_s)}
    if isinstance(exc, auth.NotAuthenticated):
        return {"WWW-Authenticate": 'Bearer realm="acsa"'}
    return None


def domain_error_response(request: Request, exc: E.DomainError) -> JSONResponse:
    """The refusal's problem document, its words in the language ``Accept-Language`` asks
    for (English unless it asks for another the node speaks)."""
    locale = negotiate_locale(None, request.headers.get("accept-language"))
    headers = {**(_headers(exc) or {}), "Content-Language": locale}
    return problem_response(problem_of(exc, instance=request.url.path, locale=locale),
                            headers)


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_problem(exc: RequestValidationError, instance: str) -> Problem:
    errors = [FieldProblem(field=_field_of(tuple(e.get("loc", ()))), message=str(e.get("msg")))
              for e in exc.errors()]
    first = errors[0] if errors else FieldProblem(field="body", message="invalid request")
    return Problem(type=TYPE_BASE + "invalid_value", title=title_of("invalid_value"),
                   status=422, detail=f"{first.field}: {first.message}", code="invalid_value",
                   field=first.field, instance=instance, errors=errors)


def allowed_methods(request: Request) -> str:
    """The methods of the resource at this address, for ``Allow`` on a 405.

    Starlette names only the methods of the first route whose path matched, but GET and
    POST on one resource are two routes here; and an order number may hold slashes, so
    ``/orders/{number}`` matches ``/orders/…/accept`` too: the resource is the most
    specific path that matches (the most fixed text), and every route of it counts."""
    found: dict[str, set[str]] = {}
    for route in iter_route_contexts(request.app.router.routes):
        methods, path = route.methods, route.path
        if methods and path and route.matches(request.scope)[0] is not Match.NONE:
            found.setdefault(path, set()).update(methods)
    if not found:
        return ""
    specific = max(found, key=lambda path: len(re.sub(r"\{[^}]*\}", "", path)))
    return ", ".join(sorted(found[specific]))


def install(app: FastAPI) -> None:
    """Answer every refusal on ``app`` with a problem document."""

    async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, E.DomainError)
        return domain_error_response(request, exc)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(validation_problem(exc, request.url.path))

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "http_error")
        problem = Problem(type=TYPE_BASE + code, title=title_of(code), status=exc.status_code,
                          detail=str(exc.detail), code=code, instance=request.url.path)
        headers = dict(exc.headers) if exc.headers else {}
        allowed = allowed_methods(request) if exc.status_code == 405 else ""
        if allowed:
            headers["Allow"] = allowed
        return problem_response(problem, headers or None)

    async def on_broken(request: Request, exc: Exception) -> JSONResponse:
        # A defect, never a refusal. The exception goes on to acsa.web.request_log, which
        # logs it with its traceback and the request id; the client learns only the id.
        code = "invariant_broken" if isinstance(exc, E.InvariantBroken) else "internal_error"
        return problem_response(internal_problem(request.url.path, request_id.get(),
                                                 code=code))

    app.add_exception_handler(E.DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(E.InvariantBroken, on_broken)
    app.add_exception_handler(Exception, on_broken)

"""Login, second factor and logout: small pages that work without JavaScript.

``/auth/login`` shows the fields of the configured login method; a correct
login sets the session cookie (HttpOnly, SameSite=Strict, Secure unless
configured off) and redirects to ``next``. The pages are the ``login.html``
template, in the browser's language (``Accept-Language``) or the one chosen
with ``?lang=``. The login form itself carries a
double-submit token so that another site cannot log a browser into an
account of its choosing. A client that sends and accepts JSON gets JSON
back instead of pages (the API tests and scripts that want a session).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from acsa.domain.errors import DomainError
from acsa.i18n import LOCALES, N_, gettext
from acsa.services import auth
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.auth.base import AuthConfig, FormField, LoginMethod, LoginRequest
from acsa.web.deps import CSRF_FIELD, AuthDep, NodeDep, client_address, session_token
from acsa.web.problems import log_refusal, problem_of, problem_response
from acsa.web.ui.pages import locale_of, render

router = APIRouter(prefix="/auth", include_in_schema=False)

LOGIN_FIELD = "login_token"
FORM_FIELDS_MAX = 20
FORM_VALUE_LENGTH_MAX = 2000


def safe_next(value: str | None) -> str:
    """Only a path on this node: never another site (an open redirect)."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value[:500]
    return "/"


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def read_form(request: Request) -> dict[str, str]:
    items: list[tuple[Any, Any]]
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body: Any = await request.json()
        except ValueError:
            body = None
        items = list(body.items()) if isinstance(body, dict) else []
    else:
        items = list((await request.form()).items())
    out = {}
    for key, value in items[:FORM_FIELDS_MAX]:
        if isinstance(value, str):
            # NUL never belongs in a login form, and PostgreSQL cannot store it.
            out[str(key)] = value[:FORM_VALUE_LENGTH_MAX].replace("\x00", "")
    return out


# The shipped login method's labels and the refusals shown on these pages, marked for
# the catalogues: the template translates them when it shows them.
MESSAGES = (
    N_("Log in"), N_("One-time code"), N_("Continue"), N_("User name"), N_("Password"),
    N_("One-time code from your authenticator app"),
    N_("user name, password or code not right"),
    N_("the login form expired: try again"), N_("log in first"),
    N_("the login took too long: start again"),
)
LANGUAGES = (("en", "English"), ("ja", "日本語"))


def _language_links(path: str, next_path: str) -> list[tuple[str, str, str]]:
    """The page in each language (a page with no user takes ``?lang=``)."""
    return [(code, name, f"{path}?{urlencode({'next': next_path, 'lang': code})}")
            for code, name in LANGUAGES]


def _action(request: Request, path: str) -> str:
    """Where the form posts: with the chosen language, so a refusal keeps it."""
    lang = request.query_params.get("lang", "")
    return f"{path}?{urlencode({'lang': lang})}" if lang in LOCALES else path


def _page(request: Request, path: str, title: str, next_path: str, *,
          fields: tuple[FormField, ...], submit: str, error: str | None, status: int,
          login_token: str | None = None) -> HTMLResponse:
    # A refusal's text may hold a literal "%": translated here, not by the template.
    shown = gettext(error, locale_of(request, None)[0]) if error else None
    response = render(request, "login.html", None, status=status, title=title,
                      error=shown, action=_action(request, path), next_path=next_path,
                      fields=fields, submit=submit, login_field=LOGIN_FIELD,
                      login_token=login_token,
                      languages=_language_links(path, next_path))
    response.headers["X-Frame-Options"] = "DENY"
    return response


def login_page(request: Request, config: AuthConfig, next_path: str, *,
               error: str | None = None, status: int = 200) -> HTMLResponse:
    method = _method(config)
    token = secrets.token_urlsafe(24)
    response = _page(request, "/auth/login", N_("Log in"), next_path, fields=method.fields,
                     submit=N_("Log in"), error=error, status=status, login_token=token)
    response.set_cookie(config.login_cookie_name, token, httponly=True,
                        secure=config.cookie_secure, samesite="strict", path="/")
    return response


def code_page(request: Request, next_path: str, *, error: str | None = None,
              status: int = 200) -> HTMLResponse:
    field = FormField("code", N_("One-time code from your authenticator app"),
                      autocomplete="one-time-code")
    return _page(request, "/auth/code", N_("One-time code"), next_path, fields=(field,),
                 submit=N_("Continue"), error=error, status=status)


def _method(config: AuthConfig) -> LoginMethod:
    if config.method is None:
        raise RuntimeError("no login method configured")
    return config.method


def _set_session_cookie(response: Response, config: AuthConfig, token: str) -> None:
    # No Max-Age: the browser forgets the cookie when it closes; the server
    # ends the session anyway after the idle or absolute timeout.
    response.set_cookie(config.cookie_name, token, httponly=True, secure=config.cookie_secure,
                        samesite="strict", path="/")


def _refused(request: Request, exc: DomainError,
             page: Callable[[str, int], HTMLResponse]) -> Response:
    problem = problem_of(exc, instance=request.url.path)
    if wants_json(request):
        headers = ({"Retry-After": str(exc.retry_after_s)}
                   if isinstance(exc, auth.LoginThrottled) else None)
        return problem_response(problem, headers)
    log_refusal(problem)
    return page(problem.detail, problem.status)


def _session_json(session: auth.NewSession, next_path: str) -> dict[str, Any]:
    return {"user": session.user_id, "second_factor_done": session.second_factor_done,
            "csrf_token": session.csrf_token if session.second_factor_done else None,
            "next": next_path if session.second_factor_done else "/auth/code"}


@router.get("/login")
def show_login(request: Request, config: AuthDep, next: str | None = None) -> HTMLResponse:
    return login_page(request, config, safe_next(next))


def _login_token_ok(request: Request, config: AuthConfig, form: Mapping[str, str]) -> bool:
    if request.headers.get("content-type", "").startswith("application/json"):
        # A cross-site page cannot send a JSON body without the browser asking
        # this node first (CORS), which it never allows: no login CSRF.
        return True
    cookie = request.cookies.get(config.login_cookie_name, "")
    field = form.get(LOGIN_FIELD, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode("utf-8"), field.encode("utf-8"))


@router.post("/login")
async def do_login(request: Request, node: NodeDep, config: AuthDep) -> Response:
    form = await read_form(request)
    next_path = safe_next(form.get("next"))
    if not _login_token_ok(request, config, form):
        return _refused(request, auth.CsrfRejected(
            N_("the login form expired: try again"),
            field=LOGIN_FIELD,
        ),
                        lambda msg, st: login_page(request, config, next_path, error=msg,
                                                   status=st))
    login = LoginRequest(form, dict(request.headers), client_address(request))
    result = await run_in_threadpool(_log_in, node, config, login)
    if result.refusal is not None:
        return _refused(request, result.refusal,
                        lambda msg, st: login_page(request, config, next_path, error=msg,
                                                   status=st))
    assert result.session is not None
    response: Response
    if wants_json(request):
        response = JSONResponse(_session_json(result.session, next_path))
    elif result.session.second_factor_done:
        response = RedirectResponse(next_path, status_code=303)
    else:
        response = RedirectResponse(f"/auth/code?next={next_path}", status_code=303)
    _set_session_cookie(response, config, result.session.token)
    response.delete_cookie(config.login_cookie_name, path="/", secure=config.cookie_secure,
                           httponly=True, samesite="strict")
    return response


def _log_in(node: Any, config: AuthConfig, login: LoginRequest) -> auth.LoginResult:
    method = _method(config)
    with UnitOfWork(node) as uow:
        result = auth.log_in(uow, lambda: method.identify(uow, login, config.policy),
                             claimed_user=login.claimed_user, address=login.address,
                             policy=config.policy)
        # log_in records the attempt whether or not it succeeded, and keeps it.
    return result


@router.get("/code")
def show_code(request: Request, next: str | None = None) -> HTMLResponse:
    return code_page(request, safe_next(next))


@router.post("/code")
async def do_code(request: Request, node: NodeDep, config: AuthDep) -> Response:
    form = await read_form(request)
    next_path = safe_next(form.get("next"))
    token = session_token(request, config) or ""
    def complete() -> auth.LoginResult:
        with UnitOfWork(node) as uow:
            result = auth.complete_second_factor(uow, token, form.get("code", ""),
                                                 address=client_address(request),
                                                 policy=config.policy)
        return result

    result = await run_in_threadpool(complete)
    if result.refusal is not None:
        if isinstance(result.refusal, auth.LoginFailed):  # a wrong code: ask again
            return _refused(request, result.refusal,
                            lambda msg, st: code_page(request, next_path, error=msg, status=st))
        return _refused(request, result.refusal,
                        lambda msg, st: login_page(request, config, next_path, error=msg,
                                                   status=st))
    assert result.session is not None
    response: Response = (JSONResponse(_session_json(result.session, next_path))
                          if wants_json(request) else RedirectResponse(next_path, status_code=303))
    _set_session_cookie(response, config, result.session.token)
    return response


@router.post("/logout")
async def do_logout(request: Request, node: NodeDep, config: AuthDep) -> Response:
    """End the session here, on the server, and forget the cookie.

    Needs the session's CSRF token, so another site cannot log a user out.
    """
    form = await read_form(request)
    token = session_token(request, config) or ""
    def end() -> None:
        with UnitOfWork(node, write=False) as uow:
            session = auth.find_session(uow, token, config.policy)
        auth.check_csrf(session, request.headers.get("x-csrf-token") or form.get(CSRF_FIELD))
        with UnitOfWork(node) as uow:
            auth.end_session(uow, token, address=client_address(request))

    try:
        await run_in_threadpool(end)
    except auth.SessionExpired:
        pass  # already over: logging out again is no error
    except DomainError as exc:
        return _refused(request, exc,
                        lambda msg, st: login_page(request, config, "/", error=msg, status=st))
    response: Response = (Response(status_code=204) if wants_json(request)
                          else RedirectResponse("/auth/login", status_code=303))
    response.delete_cookie(config.cookie_name, path="/", secure=config.cookie_secure,
                           httponly=True, samesite="strict")
    return response

"""Dependencies shared by the API and the pages, as ``Annotated`` aliases.

``NodeDep`` is the node; ``ReadUow`` and ``WriteUow`` are one transaction
each, closed before the response is sent; ``Reader``, ``Actor`` and
``Admin`` are the authenticated user, from an API token (``Authorization:
Bearer …``) or the session cookie, with the token scope the route needs.
A cookie-authenticated request that changes something must carry the
session's CSRF token (header ``X-CSRF-Token``, or form field ``csrf_token``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from acsa.domain.errors import N_
from acsa.services import auth
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.web.auth.base import AuthConfig

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ALL_SCOPES = frozenset(auth.TOKEN_SCOPES)


def get_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def get_auth(request: Request) -> AuthConfig:
    config: AuthConfig = request.app.state.auth
    return config


NodeDep = Annotated[Node, Depends(get_node)]
AuthDep = Annotated[AuthConfig, Depends(get_auth)]


def _write_uow(node: NodeDep) -> Iterator[UnitOfWork]:
    with UnitOfWork(node) as uow:
        yield uow


def _read_uow(node: NodeDep) -> Iterator[UnitOfWork]:
    with UnitOfWork(node, write=False) as uow:
        yield uow


# scope="function": the transaction ends when the route returns, before the
# response is sent, so no connection is held while a slow client reads.
WriteUow = Annotated[UnitOfWork, Depends(_write_uow, scope="function")]
ReadUow = Annotated[UnitOfWork, Depends(_read_uow, scope="function")]


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


@dataclass(frozen=True)
class Principal:
    """Who a request acts for, and how they proved it."""

    user: LocalUser
    via: str  # "session" or "token"
    scopes: frozenset[str]
    session: auth.ActiveSession | None = None
    session_token: str | None = None
    token: auth.TokenHolder | None = None

    @property
    def csrf_token(self) -> str | None:
        return self.session.csrf_token if self.session else None


# Declared so that the OpenAPI document names the scheme; a missing header is
# not refused here, because the session cookie may stand in for it.
bearer_scheme = HTTPBearer(auto_error=False, bearerFormat="acsa_…",
                           description="An API token from `acsa user token create`.")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def session_token(request: Request, config: AuthConfig) -> str | None:
    return request.cookies.get(config.cookie_name) or None


def authenticate(request: Request, node: NodeDep, config: AuthDep,
                 bearer: BearerDep) -> Principal:
    """The user behind the request's API token or session cookie (401 when neither).

    Reading is done in a read transaction; a short write follows only when
    something must be recorded: a token's use, a session's last-seen time
    (at most once a minute) or its end by timeout.
    """
    address = client_address(request)
    secret = bearer.credentials.strip() if bearer else None
    if secret:
        with UnitOfWork(node, write=False) as uow:
            holder = auth.find_token(uow, secret)
        with UnitOfWork(node) as uow:
            auth.record_token_use(uow, holder, f"{request.method} {request.url.path}", address)
        return Principal(holder.user, "token", frozenset(holder.token.scopes), token=holder)
    token = session_token(request, config)
    if token is None:
        raise auth.NotAuthenticated(
            N_("log in, or send an API token (Authorization: Bearer)"),
            field="session",
        )
    try:
        with UnitOfWork(node, write=False) as uow:
            session = auth.find_session(uow, token, config.policy)
    except auth.SessionExpired:
        with UnitOfWork(node) as uow:
            auth.end_session(uow, token, address=address, reason="session.expired")
        raise
    if not session.second_factor_done:
        raise auth.SecondFactorRequired(
            N_("enter the one-time code to finish logging in"),
            field="code",
        )
    if session.needs_touch:
        with UnitOfWork(node) as uow:
            auth.touch_session(uow, token)
    return Principal(session.user, "session", ALL_SCOPES, session=session, session_token=token)


PrincipalDep = Annotated[Principal, Depends(authenticate)]


async def _presented_csrf(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def require(scope: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency: the principal, if its token has ``scope`` and, for a session
    changing something, the request carries the session's CSRF token."""

    async def dependency(request: Request, principal: PrincipalDep) -> Principal:
        auth.require_scope(principal.scopes, scope)
        if principal.session is not None and request.method not in SAFE_METHODS:
            auth.check_csrf(principal.session, await _presented_csrf(request))
        return principal

    return dependency


Reader = Annotated[Principal, Depends(require("read"))]
Actor = Annotated[Principal, Depends(require("act"))]
Admin = Annotated[Principal, Depends(require("admin"))]

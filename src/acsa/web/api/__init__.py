"""The REST API under ``/api/v1``, with its OpenAPI document at ``/api/v1/openapi.json``.

The API is a FastAPI sub-application mounted on the node's app, so it has
its own OpenAPI document (the main app publishes none) and its own error
handlers: every refusal is an RFC 9457 problem document
(:mod:`acsa.web.problems`). Routes parse input, call services, and turn
what they return into the schemas of :mod:`acsa.web.api.schemas`; only this
layer knows HTTP.

Authentication is an API token (``Authorization: Bearer acsa_…``) or the
browser's session cookie plus ``X-CSRF-Token`` for changes
(docs/security.md). Order numbers contain slashes and go into the path as
they are: ``/api/v1/orders/JP-PH/PHL/FY2026/00042/accept``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from acsa import __version__
from acsa.config import Settings
from acsa.services.evidence import EVIDENCE_FILE_SIZE_MAX
from acsa.services.node import Node
from acsa.web import problems
from acsa.web.auth import config_from_settings
from acsa.web.auth.base import AuthConfig

PREFIX = "/api/v1"
# Requests larger than this are refused before they are read (evidence uploads
# have the evidence limit instead): a bound on what one request can cost.
BODY_BYTES_MAX = 1024 * 1024


class LimitsAndHeaders:
    """Refuses an address holding a NUL and a body declared larger than the route takes,
    before anything is read; marks every other answer private and not to be sniffed.
    A plain ASGI middleware: nothing of the request or the response is copied."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = _refusal(Request(scope))
        if refusal is not None:
            await refusal(scope, receive, send)
            return

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Cache-Control", "private, no-cache")
                headers["X-Content-Type-Options"] = "nosniff"
            await send(message)

        await self.app(scope, receive, send_marked)


def _refusal(request: Request) -> Response | None:
    if "\x00" in request.url.path or "%00" in request.url.query:
        return problems.problem_response(problems.Problem(
            type=problems.TYPE_BASE + "bad_request", title="Bad request", status=400,
            detail="the address holds a NUL character", code="bad_request", field="url",
            instance=request.url.path.replace("\x00", "")))
    length = request.headers.get("content-length", "")
    limit = (EVIDENCE_FILE_SIZE_MAX + 64 * 1024 if request.url.path.endswith("/evidence")
             else BODY_BYTES_MAX)
    if length.isdigit() and int(length) > limit:
        return problems.problem_response(problems.Problem(
            type=problems.TYPE_BASE + "too_large", title="Request too large", status=413,
            detail=f"at most {limit} bytes", code="too_large", field="body",
            instance=request.url.path))
    return None


def create_api(node: Node, config: AuthConfig) -> FastAPI:
    from acsa.web.api.arrangements import router as arrangements_router
    from acsa.web.api.catalogue import router as catalogue_router
    from acsa.web.api.claims import router as claims_router
    from acsa.web.api.orders import router as orders_router
    from acsa.web.api.paper import router as paper_router
    from acsa.web.api.rates import router as rates_router
    from acsa.web.api.reference import router as reference_router
    from acsa.web.api.releases import router as releases_router
    from acsa.web.api.reports import router as reports_router
    from acsa.web.api.security import router as security_router
    from acsa.web.api.settlement import router as settlement_router
    from acsa.web.api.users import router as users_router

    api = FastAPI(
        title=f"ACSA Ledger API — {node.party} node",
        version=__version__,
        summary="Cross-servicing orders as signed, shared records: one node per nation.",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    api.state.node = node
    api.state.auth = config
    problems.install(api)
    # Field links are slow: a page of 50 orders is ~25 kB of JSON and ~4 kB gzipped.
    api.add_middleware(GZipMiddleware, minimum_size=1024)
    for router in (reference_router, orders_router, settlement_router, reports_router,
                   users_router, paper_router, catalogue_router, claims_router,
                   arrangements_router, rates_router, security_router, releases_router):
        api.include_router(router)

    api.add_middleware(LimitsAndHeaders)  # outside gzip: a refusal is never compressed
    return api


def mount(app: FastAPI, node: Node) -> None:
    """Mount the API and the login pages on the node's app (called by ``create_app``)."""
    from acsa.web.auth.routes import router as auth_router

    config = config_from_settings(Settings())
    app.state.auth = config
    # Refusals on the pages' routes are problem documents too, unless the
    # pages install handlers of their own (later registrations win).
    problems.install(app)
    app.include_router(auth_router)
    app.mount(PREFIX, create_api(node, config))

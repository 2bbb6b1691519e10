"""Building the FastAPI application for one node.

Routers are added by the packages that own them: ``acsa.federation.http``
(node-to-node), ``acsa.web.api`` (REST) and ``acsa.web.ui`` (pages). Each is
optional at import time so that the node serves whatever is installed.

Every response to a request that came over TLS carries
``Strict-Transport-Security`` (:class:`StrictTransport`); every response carries
its request's ``X-Request-ID``, and every request is logged
(:mod:`acsa.web.request_log`). :func:`app_from_environment` is the factory each
worker process of ``acsa serve --workers N`` calls.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from acsa import __version__
from acsa.services.node import Node
from acsa.web.limits import BodyLimits
from acsa.web.request_log import RequestLog

# Each entry: module path, and the name of a function ``mount(app, node)``.
MOUNTS = (
    "acsa.web.health",
    "acsa.federation.http",
    "acsa.web.api",
    "acsa.web.ui",
)

# A year, this host and every host under it (ASVS 3.4.1 at level 2).
HSTS = "max-age=31536000; includeSubDomains"


class StrictTransport:
    """``Strict-Transport-Security`` on every response to a request that came over TLS.

    "Over TLS" is the request's scheme as the server saw it: ``https`` when
    ``acsa serve`` terminates TLS itself (``--ssl-certfile``), or when a TLS proxy
    in front says so in ``X-Forwarded-Proto`` and ``acsa serve`` was told to trust
    that proxy (``--forwarded-allow-ips``); no other forwarded header is believed.
    Never over plain HTTP, where a browser ignores it anyway (RFC 6797 §7.2) and a
    node tried on loopback must stay reachable.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_hsts)


def create_app(node: Node, *, background: list[Callable[[], Any]] | None = None) -> FastAPI:
    """The app serving ``node``; ``background`` tasks start with it and stop with it."""
    tasks = background or []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stops = [start() for start in tasks]
        try:
            yield
        finally:
            for stop in stops:
                if callable(stop):
                    await stop()

    app = FastAPI(
        title=f"ACSA Ledger — {node.party} node",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.node = node
    for module_name in MOUNTS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.mount(app, node)
    # Outside every other middleware (limits on what is read included) but HSTS: every
    # response, a refusal before anything is read or a 500 included, carries the id.
    app.add_middleware(BodyLimits)  # before anything reads a body, authentication included
    app.add_middleware(RequestLog)
    app.add_middleware(StrictTransport)  # added last: the outermost, so on every response
    return app


def app_from_environment() -> FastAPI:
    """The app as each worker process of ``acsa serve`` builds it: settings from the
    environment (``ACSA_*``), the node opened (its schema brought to the head under the
    migration lock), and the background sync offered to whichever process of the node
    takes its sync lease (unless ``ACSA_SYNC=false``)."""
    from acsa.bootstrap import open_node
    from acsa.config import Settings
    from acsa.federation.worker import background_sync

    settings = Settings()
    node = open_node(settings)
    return create_app(node, background=[background_sync(node, settings)] if settings.sync
                      else [])

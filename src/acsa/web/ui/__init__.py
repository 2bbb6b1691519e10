"""The web pages officers use, served by the node itself (no CDN, works without JavaScript).

``mount`` adds the page routers and the static assets (``/static``) to the
node's app; the login pages are :mod:`acsa.web.auth.routes`. Each page module
is one area: dashboard, orders, reports and documents, administration.
"""

from __future__ import annotations

import importlib

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from acsa.i18n.catalogues import compile_catalogues
from acsa.services.node import Node
from acsa.web.ui.pages import STATIC_DIR

PAGE_MODULES = (
    "acsa.web.ui.dashboard",
    "acsa.web.ui.orders",
    "acsa.web.ui.new_order",
    "acsa.web.ui.reports",
    "acsa.web.ui.admin",
    "acsa.web.ui.paper",
    "acsa.web.ui.offsets",
    "acsa.web.ui.catalogue",
    "acsa.web.ui.rates",
    "acsa.web.ui.arrangements",
    "acsa.web.ui.claims",
    "acsa.web.ui.security",
    "acsa.web.ui.releases",
)


# Every page, PDF and asset is the node's own: nothing else may load, frame the pages
# or receive their address. Inline styles are allowed (the server-drawn SVG charts
# carry their own <style>); scripts only from /static, and none inline.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


class PageCompression:
    """gzip for pages, assets and documents (a field link may be slow): a dashboard with
    its charts is ~70 kB of HTML and ~12 kB compressed. Node-to-node traffic under
    /federation is left as it is signed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=1024)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/federation/"):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class SecurityHeaders:
    """:data:`SECURITY_HEADERS` on every response that does not set its own. A plain ASGI
    middleware: nothing of the request or the response is copied."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def mount(app: FastAPI, node: Node) -> None:
    compile_catalogues()
    app.add_middleware(PageCompression)

    app.add_middleware(SecurityHeaders)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        # Pages link /static/favicon.svg; a browser that asks the old address is sent there.
        return RedirectResponse("/static/favicon.svg", status_code=301)
    for name in PAGE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        app.include_router(module.router)

"""The web pages officers use, served by the node itself (no CDN, works without JavaScript).

``mount`` adds the page routers and the static assets (``/static``) to the
node's app; the login pages are :mod:`acsa.web.auth.routes`. Each page module
is one area: dashboard, orders, reports and documents, administration.
"""

from __future__ import annotations

import importlib

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from acsa.bootstrap import Node
from acsa.reports.i18n import compile_catalogues
from acsa.web.ui.pages import STATIC_DIR

PAGE_MODULES = (
    "acsa.web.ui.dashboard",
    "acsa.web.ui.orders",
    "acsa.web.ui.reports",
    "acsa.web.ui.admin",
)


def mount(app: FastAPI, node: Node) -> None:
    compile_catalogues()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for name in PAGE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        app.include_router(module.router)

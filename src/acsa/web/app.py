"""Building the FastAPI application for one node.

Routers are added by the packages that own them: ``acsa.federation.http``
(node-to-node), ``acsa.web.api`` (REST) and ``acsa.web.ui`` (pages). Each is
optional at import time so that the node serves whatever is installed.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from acsa import __version__
from acsa.services.node import Node

# Each entry: module path, and the name of a function ``mount(app, node)``.
MOUNTS = (
    "acsa.federation.http",
    "acsa.web.api",
    "acsa.web.ui",
)


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
    return app

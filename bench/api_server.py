"""The server :mod:`bench.api_load` drives: ``acsa serve``'s app and server, plus two bare routes.

Each worker builds the product's app exactly as ``acsa serve --workers N`` does
(:func:`acsa.web.app.app_from_environment`: settings from ``ACSA_*``, the node
opened, every router and middleware), then this module adds, for the benchmark
only:

- ``GET /bench/bare`` — a trivial route behind the same middleware (body limits,
  request log, HSTS) and the same thread pool as the product's routes: the floor
  of the server stack;
- ``POST /bench/bare-write`` — one access-log line inserted in one transaction of
  its own: the floor of a write on the same engine.

With ``ACSA_BENCH_PROFILE`` set to a directory, each worker profiles every thread
with yappi (CPU clock) and writes ``worker-<pid>.pstats`` there on shutdown.

    python -m bench.api_server PORT WORKERS    # run by bench.api_load, not by hand
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from acsa.services import auth
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.app import app_from_environment

PROFILE_ENV = "ACSA_BENCH_PROFILE"


def bench_app() -> FastAPI:
    """The product's app with the benchmark's bare routes (uvicorn's factory)."""
    app = app_from_environment()
    node: Node = app.state.node

    @app.get("/bench/bare", include_in_schema=False)
    def bare() -> dict[str, Any]:
        return {"ok": True}

    @app.post("/bench/bare-write", include_in_schema=False)
    def bare_write() -> dict[str, Any]:
        with UnitOfWork(node) as uow:
            auth.record_access(uow, "bench", "bench.write", "bare write", "127.0.0.1")
        return {"ok": True}

    directory = os.environ.get(PROFILE_ENV)
    if directory:
        _profile(app, directory)
    return app


def _profile(app: FastAPI, directory: str) -> None:
    import yappi

    yappi.set_clock_type("cpu")
    yappi.start(builtins=False, profile_threads=True)

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        # Written when the app stops: uvicorn ends the process by the signal it caught,
        # so atexit would never run.
        async with inner(a) as state:
            yield state
        yappi.stop()
        path = os.path.join(directory, f"worker-{os.getpid()}.pstats")
        yappi.get_func_stats().save(path, type="pstat")

    app.router.lifespan_context = lifespan


def main() -> None:
    import uvicorn

    from acsa.cli.node import serve_options
    from acsa.config import Settings

    port, workers = int(sys.argv[1]), int(sys.argv[2])
    options = serve_options(Settings(), "127.0.0.1", port, None, {}, 10)
    uvicorn.run("bench.api_server:bench_app", factory=True, workers=workers, **options)


if __name__ == "__main__":
    main()

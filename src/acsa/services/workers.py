"""Worker processes that read the node's database, for ``acsa rebuild`` and ``acsa verify``.

A task is a module-level function ``fn(conn, *args)`` and its arguments: a
worker runs it on a connection of its own to the node's database (one
engine per process, opened from the node's URL on first use) and sends the
result back. Workers only read; whatever is written is written by the
caller, in its own transaction. Processes are started with ``spawn``, so
nothing of the caller's state (its open connections, its locks) is shared.

With one worker nothing is started: each task runs at once in the calling
process, on the caller's own connection (so it sees what the caller's
transaction wrote) — the in-process path.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from acsa.store.db import make_engine

T = TypeVar("T")
R = TypeVar("R")

_engines: dict[str, Engine] = {}


def default_workers() -> int:
    """One worker per processor."""
    return max(1, os.cpu_count() or 1)


def _run(url: str, fn: Callable[..., R], args: tuple[Any, ...]) -> R:
    """In a worker: ``fn`` on a fresh connection to the database at ``url``."""
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = make_engine(url)
    with engine.connect() as conn:
        try:
            return fn(conn, *args)
        finally:
            conn.rollback()


class Workers:
    """``with Workers(conn, n) as pool: pool.map(fn, tasks)`` — see the module's text."""

    def __init__(self, conn: Connection, workers: int) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.conn = conn
        self.workers = workers
        url = conn.engine.url
        self.url = url.render_as_string(hide_password=False)
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            self.workers = 1  # a database in memory is this process's alone
        self._pool: Executor | None = None

    def __enter__(self) -> Workers:
        if self.workers > 1 and self._pool is None:
            # Imported here: a command that runs in one process does not load them.
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=exc is not None)
            self._pool = None

    @property
    def parallel(self) -> bool:
        return self._pool is not None

    def submit(self, fn: Callable[..., R], *args: Any) -> Future[R]:
        """Run ``fn(conn, *args)``: in a worker, or here and now with one worker."""
        if self._pool is None:
            done: Future[R] = Future()
            try:
                done.set_result(fn(self.conn, *args))
            except BaseException as exc:
                done.set_exception(exc)
            return done
        return self._pool.submit(_run, self.url, fn, args)

    def map(self, fn: Callable[..., R], tasks: Iterable[tuple[Any, ...]],
            ahead: int | None = None) -> Iterator[R]:
        """``fn(conn, *task)`` for each task, results in the order of the tasks; at most
        ``ahead`` tasks (twice the workers by default) are running or waiting to be read,
        so a long run holds a few results at a time, not all of them."""
        if self._pool is None:
            for task in tasks:
                yield fn(self.conn, *task)
            return
        limit = ahead or 2 * self.workers
        pending: deque[Future[R]] = deque()
        for task in tasks:
            pending.append(self.submit(fn, *task))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

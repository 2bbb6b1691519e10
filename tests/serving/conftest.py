"""Serving a node: real ``acsa serve`` processes on SQLite and PostgreSQL, and the app
in-process with its JSON log captured.

A PostgreSQL test needs ACSA_TEST_POSTGRES_URL: it skips without it, and fails under
CI=true (``postgres_or_skip``). Each test gets databases of its own, dropped afterwards.
"""

from __future__ import annotations

import io
import json
import logging
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from alembic import command

from acsa.bootstrap import init_node
from acsa.config import Settings
from acsa.devtools import serving
from acsa.logs import JsonFormatter
from acsa.store.db import alembic_config, make_engine
from integration.conftest import Databases, postgres_or_skip

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: F401  (re-exported to the tests)

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@dataclass
class Site:
    """One node's data directory and database, and the processes serving it."""

    data_dir: Path
    database_url: str | None
    logs: Path
    served: list[serving.Served] = field(default_factory=list)

    def start(self, count: int = 1, *args: str, **env: str) -> list[serving.Served]:
        made = serving.start(self.data_dir, self.database_url, self.logs, count=count,
                             args=args, env=env)
        self.served += made
        return made

    def downgrade(self, revision: str) -> None:
        """Take the node's database back to ``revision``, as the previous release left it."""
        engine = make_engine(self.url)
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), revision)
        engine.dispose()

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'acsa.db'}"

    def close(self) -> None:
        for s in self.served:
            s.kill()


@pytest.fixture(params=ENGINES)
def engine_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def databases(engine_kind: str) -> Iterator[Databases | None]:
    if engine_kind != "postgresql":
        yield None
        return
    made = Databases(postgres_or_skip())
    yield made
    made.drop_all()


@pytest.fixture
def site(databases: Databases | None, tmp_path: Path) -> Iterator[Callable[..., Site]]:
    """``site(empty=True)``: a JPN node directory whose database is empty (PostgreSQL) or
    absent (SQLite); ``site()``: one whose database is at the head."""
    made: list[Site] = []

    def factory(*, empty: bool = False) -> Site:
        data_dir = tmp_path / f"jpn{len(made)}"
        url = databases.new() if databases else None
        node = init_node(Settings(data_dir=data_dir, database_url=url), "JPN")
        node.engine.dispose()
        if empty:
            if databases:
                url = databases.new()
            else:
                for name in ("acsa.db", "acsa.db-wal", "acsa.db-shm"):
                    (data_dir / name).unlink(missing_ok=True)
        made.append(Site(data_dir, url, tmp_path / f"logs{len(made)}"))
        return made[-1]

    yield factory
    for s in made:
        s.close()


class JsonLog:
    """Every line the node logs while the test runs, as the JSON ``acsa serve`` writes."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter())

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def of(self, request_id: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("request_id") == request_id]


@pytest.fixture
def json_log() -> Iterator[JsonLog]:
    log = JsonLog()
    acsa = logging.getLogger("acsa")
    level = acsa.level
    acsa.addHandler(log.handler)
    acsa.setLevel(logging.INFO)
    yield log
    acsa.removeHandler(log.handler)
    acsa.setLevel(level)

"""Brand-new nodes to load golden logs into: on SQLite and, when ACSA_TEST_POSTGRES_URL is
set (CI sets it), on PostgreSQL too, each in databases created and dropped here."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from acsa.bootstrap import init_node
from acsa.config import Settings
from acsa.services.node import Node

POSTGRES_URL = os.environ.get("ACSA_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI") == "true"

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def postgres_or_skip() -> str:
    if not POSTGRES_URL:
        if IN_CI:
            pytest.fail("CI=true but ACSA_TEST_POSTGRES_URL is not set")
        pytest.skip("ACSA_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped")
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable under CI: {exc}")
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}")
    return POSTGRES_URL


@pytest.fixture(params=ENGINES)
def engine_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fresh_node(engine_kind: str, tmp_path: Path) -> Iterator[Callable[[str], Node]]:
    """``fresh_node("JPN")``: a new node of that party with an empty database of its own."""
    admin = None
    base = None
    created: list[str] = []
    if engine_kind == "postgresql":
        url = postgres_or_skip()
        base = make_url(url)
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
    nodes: list[Node] = []

    def factory(party: str) -> Node:
        database_url = None
        if admin is not None and base is not None:
            name = f"acsa_g_{uuid.uuid4().hex[:12]}"
            with admin.connect() as c:
                c.exec_driver_sql(f'CREATE DATABASE "{name}"')
            created.append(name)
            database_url = base.set(database=name).render_as_string(hide_password=False)
        directory = tmp_path / f"{party.lower()}-{len(nodes)}"
        node = init_node(Settings(data_dir=directory, database_url=database_url), party)
        nodes.append(node)
        return node

    yield factory
    for node in nodes:
        node.engine.dispose()
    if admin is not None:
        with admin.connect() as c:
            for name in created:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

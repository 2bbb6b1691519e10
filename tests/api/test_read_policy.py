"""Every route the node serves has a read policy (acsa.web.read_policy), and every read
policy names a route the node still serves: a route is never added without deciding who
may read what it answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI

from acsa.bootstrap import init_node
from acsa.config import Settings
from acsa.services.node import Node
from acsa.web.app import create_app
from acsa.web.read_policy import ROUTES, Policy, served


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    """The routes do not depend on the database: one SQLite node is enough."""
    made = init_node(Settings(data_dir=tmp_path / "jpn"), "JPN")
    yield made
    made.engine.dispose()


def unlisted(app: FastAPI) -> set[tuple[str, str]]:
    return served(app.routes) - set(ROUTES)


def stale(app: FastAPI) -> set[tuple[str, str]]:
    return set(ROUTES) - served(app.routes)


def test_every_route_has_a_read_policy(node: Node) -> None:
    app = create_app(node)
    assert not unlisted(app), "add these routes to acsa.web.read_policy.ROUTES, with the " \
        f"service that applies need to know: {sorted(unlisted(app))}"
    assert not stale(app), f"routes no longer served: {sorted(stale(app))}"


def test_a_route_added_without_a_policy_is_found(node: Node) -> None:
    app = create_app(node)
    pages = APIRouter()

    @pages.get("/reports/everything/{kind}")
    def everything(kind: str) -> dict[str, Any]:
        return {}

    app.include_router(pages)
    assert unlisted(app) == {("GET", "/reports/everything/{kind}")}
    api = FastAPI()
    api.get("/secrets")(lambda: {})
    app.mount("/api/v2", api)
    assert ("GET", "/api/v2/secrets") in unlisted(app)


def test_a_policy_naming_no_route_is_found(node: Node) -> None:
    ROUTES[("GET", "/reports/gone")] = ROUTES[("GET", "/reports")]
    try:
        assert stale(create_app(node)) == {("GET", "/reports/gone")}
    finally:
        del ROUTES[("GET", "/reports/gone")]


def test_every_policy_names_the_service_that_applies_it() -> None:
    for (method, path), policy in ROUTES.items():
        assert isinstance(policy.policy, Policy) and policy.by.strip(), (method, path)

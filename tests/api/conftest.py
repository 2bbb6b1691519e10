"""API tests: the real app over nodes on SQLite and (when configured) PostgreSQL.

The node fixtures are the integration suite's (``make_node``, ``pair``), so
every test here runs on both engines. Clients talk HTTPS to the in-process
app, so the session cookie's Secure flag is exercised as in production.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest

from acsa.devtools.world import staff_node, user_id
from acsa.domain.parties import Role
from acsa.services import auth, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.app import create_app

# The integration fixtures: nodes on both engines, and a staffed pair.
from integration.conftest import FixedClock, engine_kind, make_node, pair  # noqa: F401

with warnings.catch_warnings():
    # Starlette's test client announces its move to httpx2; the API itself does
    # not use httpx, so the notice is not ours to act on here.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"
JSON_HEADERS = {"Accept": "application/json"}


@dataclass
class Officer:
    """A user with a password and an enrolled second factor."""

    id: str
    secret: str

    def code(self, node: Node) -> str:
        return pyotp.TOTP(self.secret).at(node.clock())


def enrol(node: Node, who: str, password: str = PASSWORD) -> Officer:
    with UnitOfWork(node) as uow:
        actor = users.get_user(uow, who)
        auth.set_password(uow, actor, who, password)
        secret = auth.enrol_totp(uow, actor, who).secret
        uow.commit()
    return Officer(who, secret)


def official(node: Node, role: Role) -> str:
    return user_id(node.party, role)


def client_for(node: Node) -> TestClient:
    return TestClient(create_app(node), base_url="https://testserver")


def login(client: TestClient, node: Node, officer: Officer) -> str:
    """Log in with password and code; returns the session's CSRF token."""
    r = client.post("/auth/login", json={"user": officer.id, "password": PASSWORD,
                                         "code": officer.code(node)},
                    headers={"Accept": "application/json"})
    assert r.status_code == 200, r.text
    return str(r.json()["csrf_token"])


def token_for(node: Node, who: str, scopes: tuple[str, ...] = ("read", "act")) -> str:
    with UnitOfWork(node) as uow:
        actor = users.get_user(uow, who)
        made = auth.create_token(uow, actor, user_id=who, name="tests", scopes=scopes)
        uow.commit()
    return made.secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def node(make_node: Callable[[str], Node]) -> Node:  # noqa: F811
    jpn = make_node("JPN")
    staff_node(jpn, ["JPN-PHL-ACSA"])
    return jpn


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with client_for(node) as c:
        yield c


def problem(response: Any) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), \
        response.text
    body: dict[str, Any] = response.json()
    return body

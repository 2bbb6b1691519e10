"""Fixtures of the administration page tests: the seeded demo's JPN node and its officials.

The demo is seeded once per test module (a few seconds); its users have the
demo password, and each test's officials get a TOTP second factor here, so
they log in through the real forms as a browser does.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest

from acsa.devtools.demo import DEMO_PASSWORD, seed
from acsa.services import auth, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's notice about its test client's httpx
    from fastapi.testclient import TestClient


@dataclass
class Browser:
    """A logged-in test client and the session's CSRF token, as a page carries it."""

    client: TestClient
    user: str
    csrf: str


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture(scope="module")
def demo_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Node, Path]]:
    """The demo's JPN and PHL nodes, seeded, and a directory for carrying bundles."""
    base = Path(tmp_path_factory.mktemp("demo"))
    jpn, phl = seed(base, out=lambda *a: None)
    yield jpn, phl, base / "bundles"
    for node in (jpn, phl):
        node.engine.dispose()


@pytest.fixture(scope="module")
def demo(demo_nodes: tuple[Node, Node, Path]) -> Node:
    """The demo's JPN node, with both nations' records (PHL's arrived by bundle)."""
    return demo_nodes[0]


def enrol(node: Node, who: str) -> str:
    """Give ``who`` a TOTP secret, as the administrator would; returns it."""
    with UnitOfWork(node) as uow:
        boss = users.get_user(uow, "jpn.administrator")
        secret = auth.enrol_totp(uow, boss, who).secret
        uow.commit()
    return str(secret)


def client_for(node: Node) -> TestClient:
    """A browser talking HTTPS to the node's app (so the Secure cookie is kept)."""
    return TestClient(create_app(node), base_url="https://testserver")


def log_in(node: Node, who: str) -> Browser:
    """Log ``who`` in through the HTML login and code forms."""
    secret = enrol(node, who)
    client = client_for(node)
    page = client.get("/auth/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert token, page.text
    r = client.post("/auth/login", data={"login_token": token.group(1), "next": "/",
                                         "user": who, "password": DEMO_PASSWORD},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/auth/code"), r.text
    r = client.post("/auth/code", data={"code": pyotp.TOTP(secret).at(node.clock()),
                                        "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return Browser(client, who, csrf_of(client.get("/preferences").text))


@pytest.fixture(scope="module")
def administrator(demo: Node) -> Iterator[Browser]:
    browser = log_in(demo, "jpn.administrator")
    with browser.client:
        yield browser


@pytest.fixture(scope="module")
def auditor(demo: Node) -> Iterator[Browser]:
    browser = log_in(demo, "jpn.auditor")
    with browser.client:
        yield browser


@pytest.fixture(scope="module")
def ordering(demo: Node) -> Iterator[Browser]:
    browser = log_in(demo, "jpn.ordering")
    with browser.client:
        yield browser

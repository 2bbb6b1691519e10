"""No secret reaches the log of a real ``acsa serve``.

An officer logs in (password and one-time code), makes an API token, uses the session
cookie, the CSRF token and the bearer token, puts secrets in query strings, and fails a
login with a wrong password; then the process stops and its whole log — every JSON line
it wrote — is searched for each of those values.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pyotp

from acsa.bootstrap import open_node
from acsa.config import Settings
from acsa.devtools import serving
from acsa.devtools.world import staff_node, user_id
from acsa.domain.parties import Role
from acsa.services import auth, users
from acsa.services.unit_of_work import UnitOfWork

from .conftest import Site

PASSWORD = "harbour-pilot-lantern-42"
WRONG = "harbour-pilot-lantern-43"


def enrolled(site: Site) -> tuple[str, str]:
    """An ordering official with a password and a TOTP secret: (user, secret)."""
    node = open_node(Settings(data_dir=site.data_dir, database_url=site.database_url))
    staff_node(node, ["JPN-PHL-ACSA"])
    who = user_id("JPN", Role.ORDERING_OFFICIAL)
    with UnitOfWork(node) as uow:
        actor = users.get_user(uow, who)
        auth.set_password(uow, actor, who, PASSWORD)
        secret = auth.enrol_totp(uow, actor, who).secret
    node.engine.dispose()
    return who, secret


def test_no_secret_in_the_log_after_a_login(site: Callable[..., Site]) -> None:
    node = site()
    who, totp_secret = enrolled(node)
    (served,) = node.start(1, ACSA_COOKIE_SECURE="false")
    serving.wait_ready(served)
    code = pyotp.TOTP(totp_secret).now()
    with httpx.Client(base_url=served.url(""), timeout=30) as browser:
        login = browser.post("/auth/login", json={"user": who, "password": PASSWORD,
                                                  "code": code},
                             headers={"Accept": "application/json"})
        assert login.status_code == 200, login.text
        cookie = browser.cookies["acsa_session"]
        csrf = login.json()["csrf_token"]
        made = browser.post("/api/v1/me/tokens", json={"name": "nightly", "scopes": ["read"]},
                            headers={"X-CSRF-Token": csrf})
        assert made.status_code == 201, made.text
        token = made.json()["secret"]
        browser.get(f"/orders?password={PASSWORD}&csrf_token={csrf}")
        browser.get(f"/api/v1/orders?cursor={token}&code={code}")
        browser.post("/api/v1/me/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "no"})
    with httpx.Client(base_url=served.url(""), timeout=30) as script:
        assert script.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}
                          ).status_code == 200
        assert script.post("/auth/login", json={"user": who, "password": WRONG, "code": code},
                           headers={"Accept": "application/json"}).status_code == 401
    assert served.stop() in (0, -15)
    logged = served.text()
    assert served.events("request") and served.events("refusal")  # the log is not empty
    secrets = {"password": PASSWORD, "wrong password": WRONG, "session cookie": cookie,
               "CSRF token": csrf, "API token": token, "TOTP secret": totp_secret,
               "one-time code": code}
    leaked = [name for name, value in secrets.items() if value in logged]
    assert not leaked, leaked

"""Login, second factor, throttling, timeouts, logout, CSRF, API tokens and the access log."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from acsa.domain.parties import Role
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

from .conftest import (
    PASSWORD,
    bearer,
    enrol,
    login,
    official,
    problem,
    token_for,
)

ORDERING = Role.ORDERING_OFFICIAL
JSON = {"Accept": "application/json"}


def _access(node, action: str) -> list[str]:  # type: ignore[no-untyped-def]
    with UnitOfWork(node, write=False) as uow:
        return list(uow.conn.execute(
            select(T.access_log.c.target).where(T.access_log.c.action == action)
            .order_by(T.access_log.c.id)).scalars())


def test_login_needs_the_password_and_the_code(node, client):
    officer = enrol(node, official(node, ORDERING))
    r = client.post("/auth/login", json={"user": officer.id, "password": PASSWORD},
                    headers=JSON)
    assert r.status_code == 200 and r.json()["second_factor_done"] is False
    # Password alone opens nothing but the code page.
    p = problem(client.get("/api/v1/me"))
    assert (p["status"], p["code"]) == (401, "second_factor_required")
    r = client.post("/auth/code", json={"code": "000000"}, headers=JSON)
    assert (r.status_code, problem(r)["code"]) == (401, "login_failed")
    r = client.post("/auth/code", json={"code": officer.code(node)}, headers=JSON)
    assert r.status_code == 200, r.text
    me = client.get("/api/v1/me").json()
    assert (me["id"], me["authenticated_by"]) == (officer.id, "session")
    assert me["csrf_token"] == r.json()["csrf_token"]
    assert _access(node, "login") == [officer.id]


def test_a_session_cookie_is_secure_http_only_and_strict(node, client):
    officer = enrol(node, official(node, ORDERING))
    r = client.post("/auth/login", json={"user": officer.id, "password": PASSWORD,
                                         "code": officer.code(node)}, headers=JSON)
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("__Host-acsa_session=")
    for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
        assert attribute.lower() in cookie.lower()
    # Only a hash of the token is stored.
    token = cookie.split("=", 1)[1].split(";", 1)[0]
    with UnitOfWork(node, write=False) as uow:
        stored = list(uow.conn.execute(select(T.sessions.c.token_hash)).scalars())
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_a_wrong_password_or_code_fails_without_saying_which(node, client):
    officer = enrol(node, official(node, ORDERING))
    for body in ({"user": officer.id, "password": "wrong password!", "code": "123456"},
                 {"user": "nobody", "password": PASSWORD, "code": "123456"},
                 {"user": officer.id, "password": PASSWORD, "code": "000000"}):
        p = problem(client.post("/auth/login", json=body, headers=JSON))
        assert (p["status"], p["code"]) == (401, "login_failed")
        assert p["detail"] == "user name, password or code not right"


def test_the_login_form_works_without_javascript_and_refuses_a_forged_post(node, client):
    officer = enrol(node, official(node, ORDERING))
    page = client.get("/auth/login?next=/orders")
    assert page.status_code == 200 and 'name="login_token"' in page.text
    token = page.text.split('name="login_token" value="', 1)[1].split('"', 1)[0]
    form = {"user": officer.id, "password": PASSWORD, "code": officer.code(node),
            "next": "/orders"}
    forged = client.post("/auth/login", data=form, follow_redirects=False)
    assert forged.status_code == 403 and "expired" in forged.text
    page = client.get("/auth/login?next=/orders")
    token = page.text.split('name="login_token" value="', 1)[1].split('"', 1)[0]
    r = client.post("/auth/login", data={**form, "login_token": token}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/orders")
    assert client.get("/api/v1/me").status_code == 200


def test_logins_are_throttled_after_repeated_failures(node, client):
    officer = enrol(node, official(node, ORDERING))
    wrong = {"user": officer.id, "password": "not the password", "code": "000000"}
    for _ in range(5):
        assert client.post("/auth/login", json=wrong, headers=JSON).status_code == 401
    right = {"user": officer.id, "password": PASSWORD, "code": officer.code(node)}
    r = client.post("/auth/login", json=right, headers=JSON)
    p = problem(r)
    assert (p["status"], p["code"], p["field"]) == (429, "login_throttled", "user")
    assert 0 < int(r.headers["Retry-After"]) <= 15 * 60
    # The window moves on: the right password works again.
    node.clock.now += timedelta(minutes=16)
    right["code"] = officer.code(node)
    assert client.post("/auth/login", json=right, headers=JSON).status_code == 200
    assert _access(node, "login.failed") == [f"{officer.id}: wrong password"] * 5
    assert _access(node, "login.throttled") == [officer.id]


def test_a_session_ends_after_the_idle_timeout(node, client):
    officer = enrol(node, official(node, ORDERING))
    login(client, node, officer)
    node.clock.now += timedelta(minutes=29)
    assert client.get("/api/v1/me").status_code == 200  # and counts as activity
    node.clock.now += timedelta(minutes=29)
    assert client.get("/api/v1/me").status_code == 200
    node.clock.now += timedelta(minutes=31)
    p = problem(client.get("/api/v1/me"))
    assert (p["status"], p["code"]) == (401, "session_expired")
    assert _access(node, "session.expired") == [officer.id]


def test_a_session_ends_after_the_absolute_timeout_however_busy(node, client):
    officer = enrol(node, official(node, ORDERING))
    login(client, node, officer)
    for _ in range(12 * 4):  # every 15 minutes for 12 hours
        node.clock.now += timedelta(minutes=15)
        assert client.get("/api/v1/me").status_code == 200
    node.clock.now += timedelta(minutes=15)
    assert problem(client.get("/api/v1/me"))["code"] == "session_expired"


def test_timeouts_come_from_the_settings(node, monkeypatch):
    from .conftest import client_for

    monkeypatch.setenv("ACSA_SESSION_IDLE_TIMEOUT_S", "120")
    officer = enrol(node, official(node, ORDERING))
    with client_for(node) as c:
        login(c, node, officer)
        node.clock.now += timedelta(seconds=121)
        assert problem(c.get("/api/v1/me"))["code"] == "session_expired"


def test_logout_ends_the_session_on_the_server(node, client):
    officer = enrol(node, official(node, ORDERING))
    csrf = login(client, node, officer)
    cookie = dict(client.cookies)
    assert problem(client.post("/auth/logout", headers=JSON))["code"] == "csrf_rejected"
    r = client.post("/auth/logout", headers={**JSON, "X-CSRF-Token": csrf})
    assert r.status_code == 204
    # The old cookie, replayed, opens nothing: the server ended the session.
    client.cookies.clear()
    for name, value in cookie.items():
        client.cookies.set(name, value)
    assert problem(client.get("/api/v1/me"))["code"] == "session_expired"
    with UnitOfWork(node, write=False) as uow:
        ended = uow.conn.execute(select(T.sessions.c.ended_at)).scalars().all()
    assert all(ended)
    assert _access(node, "logout") == [officer.id]


def test_changes_under_a_session_need_the_csrf_token(node, client):
    officer = enrol(node, official(node, ORDERING))
    csrf = login(client, node, officer)
    r = client.post("/api/v1/me/tokens", json={"name": "script"})
    p = problem(r)
    assert (p["status"], p["code"], p["field"]) == (403, "csrf_rejected", "csrf_token")
    r = client.post("/api/v1/me/tokens", json={"name": "script"},
                    headers={"X-CSRF-Token": "not-the-token"})
    assert problem(r)["code"] == "csrf_rejected"
    r = client.post("/api/v1/me/tokens", json={"name": "script"},
                    headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text


def test_api_tokens_are_hashed_scoped_and_revocable(node, client):
    who = official(node, ORDERING)
    reader = token_for(node, who, ("read",))
    with UnitOfWork(node, write=False) as uow:
        hashes = list(uow.conn.execute(select(T.api_tokens.c.token_hash)).scalars())
    assert reader not in hashes and all(len(h) == 64 for h in hashes)
    assert client.get("/api/v1/me", headers=bearer(reader)).json()["scopes"] == ["read"]
    # Read scope only: no changes, and no CSRF needed because no cookie is involved.
    p = problem(client.post("/api/v1/orders", json={"agreement": "JPN-PHL-ACSA"},
                            headers=bearer(reader)))
    assert (p["status"], p["code"], p["field"]) == (403, "scope_missing", "authorization")
    admin = token_for(node, who, ("read", "admin"))
    listed = client.get("/api/v1/me/tokens", headers=bearer(admin)).json()
    assert listed["count"] == 2 and {t["name"] for t in listed["data"]} == {"tests"}
    reader_id = next(t["id"] for t in listed["data"] if t["scopes"] == ["read"])
    r = client.delete(f"/api/v1/me/tokens/{reader_id}", headers=bearer(admin))
    assert r.status_code == 200 and r.json()["revoked_at"]
    p = problem(client.get("/api/v1/me", headers=bearer(reader)))
    assert (p["status"], p["code"]) == (401, "not_authenticated")
    assert r.headers["content-type"] == "application/json"
    assert len(_access(node, "token.used")) == 4
    assert _access(node, "token.revoked") == [f"token {reader_id} of {who}"]


def test_only_auditors_and_security_officers_read_the_access_log(node, client):
    officer = enrol(node, official(node, ORDERING))
    login(client, node, officer)
    p = problem(client.get("/api/v1/access-log"))
    assert (p["status"], p["code"]) == (403, "not_permitted")
    auditor = token_for(node, official(node, Role.AUDITOR), ("read",))
    log = client.get("/api/v1/access-log", headers=bearer(auditor)).json()
    actions = [e["action"] for e in log["data"]]
    assert actions[:3] == ["login", "token.created", "token.used"]
    assert log["data"][0]["user_id"] == officer.id


def test_an_unknown_route_and_a_bad_body_are_problem_documents_too(node, client):
    reader = token_for(node, official(node, ORDERING), ("read", "act"))
    p = problem(client.get("/api/v1/nothing-here", headers=bearer(reader)))
    assert (p["status"], p["code"]) == (404, "not_found")
    p = problem(client.post("/api/v1/orders", json={"agreement": "JPN-PHL-ACSA",
                                                    "lines": [{"quantity": 10}]},
                            headers=bearer(reader)))
    assert (p["status"], p["code"]) == (422, "invalid_value")
    assert p["field"] == "lines.0.category"
    assert {e["field"] for e in p["errors"]} >= {"lines.0.category", "lines.0.quantity"}


def test_a_front_proxy_login_plugs_in_by_configuration(node, monkeypatch):
    from .conftest import client_for

    monkeypatch.setenv("ACSA_LOGIN_METHOD", "acsa.web.auth.proxy:from_env")
    monkeypatch.setenv("ACSA_LOGIN_HEADER", "X-Client-Cert-User")
    who = official(node, ORDERING)
    with client_for(node) as c:
        assert 'name="password"' not in c.get("/auth/login").text
        p = problem(c.post("/auth/login", json={}, headers=JSON))
        assert (p["status"], p["code"]) == (401, "login_failed")
        r = c.post("/auth/login", json={}, headers={**JSON, "X-Client-Cert-User": who})
        assert r.status_code == 200 and r.json()["second_factor_done"] is True
        assert c.get("/api/v1/me").json()["id"] == who

"""OWASP ASVS 5.0 level 2 for logging in: the tests docs/security.md's table names.

A one-time code is accepted once; every failed login gets one answer; new
passwords are checked as NIST SP 800-63B asks; Strict-Transport-Security on
every response over TLS (and `acsa serve`'s TLS options); no secret reaches a
log line.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.client import HTTPSConnection
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pyotp
import pytest
import uvicorn
from argon2 import PasswordHasher
from sqlalchemy import select
from typer.testing import CliRunner
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from acsa.cli import _register, app
from acsa.cli import node as cli_node
from acsa.devtools.world import NAMES
from acsa.domain.parties import Role
from acsa.i18n import gettext, labels
from acsa.services import admin_views, auth, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from acsa.web.app import HSTS, create_app

from .conftest import (
    PASSWORD,
    TestClient,
    bearer,
    client_for,
    enrol,
    login,
    official,
    problem,
    token_for,
)

JSON = {"Accept": "application/json"}
ORDERING = Role.ORDERING_OFFICIAL
runner = CliRunner()


def _failures(node: Node) -> list[str]:
    """The targets of ``login.failed`` in the access log: the account and the real reason."""
    with UnitOfWork(node, write=False) as uow:
        return list(uow.conn.execute(
            select(T.access_log.c.target).where(T.access_log.c.action == "login.failed")
            .order_by(T.access_log.c.id)).scalars())


def _other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# -- V6.5.1: a one-time code is usable once ---------------------------------------------


def test_a_one_time_code_is_accepted_once(node, client):
    officer = enrol(node, official(node, ORDERING))
    code = officer.code(node)
    body = {"user": officer.id, "password": PASSWORD, "code": code}
    assert client.post("/auth/login", json=body, headers=JSON).status_code == 200
    with client_for(node) as onlooker:  # saw the code over the officer's shoulder
        p = problem(onlooker.post("/auth/login", json=body, headers=JSON))
        assert (p["status"], p["code"], p["detail"]) == (401, "login_failed", auth.LOGIN_FAILED)
    # The next step's code is accepted; then the one before it, still within the drift
    # allowed, is not: a step at or before the last accepted one is refused.
    node.clock.now += timedelta(seconds=30)
    with client_for(node) as later:
        assert later.post("/auth/login", json={**body, "code": officer.code(node)},
                          headers=JSON).status_code == 200
    assert pyotp.TOTP(officer.secret).verify(code, for_time=node.clock(), valid_window=1)
    with client_for(node) as onlooker:
        assert problem(onlooker.post("/auth/login", json=body, headers=JSON))["code"] == \
            "login_failed"
    assert _failures(node) == [f"{officer.id}: code already used"] * 2


def test_the_code_page_accepts_a_code_once_too(node, client):
    officer = enrol(node, official(node, ORDERING))
    code = officer.code(node)
    password_only = {"user": officer.id, "password": PASSWORD}
    assert client.post("/auth/login", json=password_only, headers=JSON).status_code == 200
    assert client.post("/auth/code", json={"code": code}, headers=JSON).status_code == 200
    with client_for(node) as onlooker:
        assert onlooker.post("/auth/login", json=password_only, headers=JSON).status_code == 200
        p = problem(onlooker.post("/auth/code", json={"code": code}, headers=JSON))
        assert (p["status"], p["code"], p["detail"]) == (401, "login_failed", auth.LOGIN_FAILED)
        assert problem(onlooker.get("/api/v1/me"))["code"] == "second_factor_required"
    assert _failures(node) == [f"{officer.id}: code already used"]


def test_a_new_secret_starts_afresh(node, client):
    officer = enrol(node, official(node, ORDERING))
    login(client, node, officer)
    again = enrol(node, officer.id)  # a new authenticator, within the same 30 seconds
    with client_for(node) as c:
        login(c, node, again)


def test_two_logins_racing_with_one_code_accept_it_once(node, monkeypatch):
    officer = enrol(node, official(node, ORDERING))
    code = officer.code(node)
    both_checked = threading.Barrier(2)
    matched_step = auth._matched_step

    def matched_then_wait(secret: str | None, given: str, now: datetime) -> int | None:
        step = matched_step(secret, given, now)
        # PostgreSQL: both transactions have checked the code before either records it.
        # SQLite runs one writer at a time: the other is still waiting to begin, and the
        # barrier gives up after a second.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait(timeout=1)
        return step

    monkeypatch.setattr(auth, "_matched_step", matched_then_wait)
    policy = auth.Policy()
    results: list[auth.LoginResult | BaseException] = []

    def attempt() -> None:
        try:
            with UnitOfWork(node) as uow:
                results.append(auth.log_in(
                    uow, lambda: auth.check_credentials(uow, officer.id, PASSWORD, code, policy),
                    claimed_user=officer.id, address="192.0.2.7", policy=policy))
        except BaseException as exc:  # reported below, not lost in the thread
            results.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(isinstance(r, auth.LoginResult) for r in results), results
    opened = sorted(r.session is not None for r in results if isinstance(r, auth.LoginResult))
    assert opened == [False, True]
    assert _failures(node) == [f"{officer.id}: code already used"]


# -- V6.3.8 (and the item): one answer for every failed login --------------------


def _set_password_only(node: Node, who: str) -> None:
    with UnitOfWork(node) as uow:
        auth.set_password(uow, users.get_user(uow, who), who, PASSWORD)
        uow.commit()


def _deactivate(node: Node, who: str) -> None:
    with UnitOfWork(node) as uow:
        admin = users.get_user(uow, official(node, Role.ADMINISTRATOR))
        admin_views.set_active(uow, admin, who, False)
        uow.commit()


def _failing_logins(node: Node, client: TestClient) -> list[tuple[dict[str, str], str]]:
    """A login body for each way of failing, with the reason the access log must give."""
    wrong_password = enrol(node, official(node, ORDERING))
    no_factor = official(node, Role.APPROVING_OFFICIAL)
    _set_password_only(node, no_factor)
    deactivated = enrol(node, official(node, Role.SUPPLY_OFFICER))
    _deactivate(node, deactivated.id)
    wrong_code = enrol(node, official(node, Role.RECEIVING_OFFICIAL))
    reused = enrol(node, official(node, Role.FINANCE_OFFICER))
    login(client, node, reused)
    return [
        ({"user": "jpn.nobody", "password": PASSWORD, "code": "123456"},
         "jpn.nobody: no such user"),
        ({"user": wrong_password.id, "password": "not the password at all",
          "code": wrong_password.code(node)}, f"{wrong_password.id}: wrong password"),
        ({"user": no_factor, "password": PASSWORD, "code": "123456"},
         f"{no_factor}: no second factor enrolled"),
        ({"user": deactivated.id, "password": PASSWORD, "code": deactivated.code(node)},
         f"{deactivated.id}: account deactivated"),
        ({"user": wrong_code.id, "password": PASSWORD,
          "code": _other_code(wrong_code.code(node))}, f"{wrong_code.id}: wrong code"),
        ({"user": reused.id, "password": PASSWORD, "code": reused.code(node)},
         f"{reused.id}: code already used"),
    ]


def _login_page_with(client: TestClient, form: dict[str, str]) -> Any:
    page = client.get("/auth/login")
    token = page.text.split('name="login_token" value="', 1)[1].split('"', 1)[0]
    return client.post("/auth/login", data={**form, "login_token": token})


def test_every_failed_login_gets_one_answer(node, client, monkeypatch):
    cases = _failing_logins(node, client)
    verified: list[int] = []
    verify = PasswordHasher.verify

    def counting_verify(self: PasswordHasher, hash: str, password: str) -> bool:
        verified[-1] += 1
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    before = len(_failures(node))
    answers, pages = [], []
    for body, _ in cases:
        verified.append(0)
        with client_for(node) as c:
            r = c.post("/auth/login", json=body, headers=JSON)
            answers.append((r.status_code, r.headers.get("www-authenticate"), r.json()))
            page = _login_page_with(c, body)
            pages.append((page.status_code, re.sub(r'value="[^"]{20,}"', "", page.text)))
    assert answers[0] == (401, None, {
        "type": "tag:acsa-ledger,2026:problem:login_failed", "title": "Login failed",
        "status": 401, "detail": auth.LOGIN_FAILED, "code": "login_failed",
        "instance": "/auth/login"})
    assert all(a == answers[0] for a in answers), answers
    assert pages[0][0] == 401 and auth.LOGIN_FAILED in pages[0][1]
    assert all(p == pages[0] for p in pages)
    # The same work every time: one argon2id verification per attempt (JSON and page).
    assert verified == [2] * len(cases)
    # The real reason is in the access log, and only there.
    assert _failures(node)[before:] == [reason for _, reason in cases for _ in (1, 2)]


def test_the_code_page_fails_with_the_same_answer(node, client):
    wrong = enrol(node, official(node, ORDERING))
    reused = enrol(node, official(node, Role.FINANCE_OFFICER))
    login(client, node, reused)
    answers = []
    for officer, code in ((wrong, _other_code(wrong.code(node))), (reused, reused.code(node))):
        with client_for(node) as c:
            r = c.post("/auth/login", json={"user": officer.id, "password": PASSWORD},
                       headers=JSON)
            assert r.status_code == 200 and r.json()["second_factor_done"] is False
            r = c.post("/auth/code", json={"code": code}, headers=JSON)
            answers.append((r.status_code, r.json()))
    assert answers[0] == (401, {
        "type": "tag:acsa-ledger,2026:problem:login_failed", "title": "Login failed",
        "status": 401, "detail": auth.LOGIN_FAILED, "code": "login_failed",
        "instance": "/auth/code"})
    assert answers[1] == answers[0]
    assert _failures(node) == [f"{wrong.id}: wrong code", f"{reused.id}: code already used"]


def test_a_new_node_has_no_default_account(make_node):
    fresh = make_node("PHL")  # as `acsa init` makes it
    with UnitOfWork(fresh, write=False) as uow:
        assert users.count_users(uow) == 0
    with client_for(fresh) as c:
        for name in ("admin", "root", "administrator"):
            p = problem(c.post("/auth/login", json={"user": name, "password": name * 3},
                               headers=JSON))
            assert p["code"] == "login_failed"


def test_a_front_proxy_login_fails_with_the_same_answer(node, monkeypatch):
    monkeypatch.setenv("ACSA_LOGIN_METHOD", "acsa.web.auth.proxy:from_env")
    with client_for(node) as c:
        p = problem(c.post("/auth/login", json={}, headers={**JSON, "X-Authenticated-User":
                                                            "jpn.nobody"}))
    assert (p["status"], p["code"], p["detail"]) == (401, "login_failed", auth.LOGIN_FAILED)
    assert "field" not in p
    assert _failures(node) == ["the front proxy vouched for no active local user"]


def test_a_security_token_in_any_script_is_refused_not_an_error(node, client):
    # compare_digest refuses str with non-ASCII characters: the tokens are compared as bytes.
    officer = enrol(node, official(node, ORDERING))
    login(client, node, officer)
    r = client.post("/api/v1/me/tokens", json={"name": "x"},
                    headers={"X-CSRF-Token": "é".encode("latin-1")})
    assert (r.status_code, problem(r)["code"]) == (403, "csrf_rejected")
    r = client.post("/auth/logout", data={"csrf_token": "トークン"})
    assert r.status_code == 403
    with client_for(node) as c:
        c.get("/auth/login")
        r = c.post("/auth/login", data={"user": officer.id, "password": PASSWORD,
                                        "login_token": "ログイン"})
        assert r.status_code == 403 and "expired" in r.text


# -- V6.2: passwords (NIST SP 800-63B) ----------------------------------------------------


REFUSED = [
    ("short pass", "too_short"),
    ("".join(hashlib.sha256(bytes([i])).hexdigest()[:8] for i in range(17))[:129], "too_long"),
    ("password1234", "common"),
    ("Password1234!", "common"),
    ("iloveyou 2025!!", "common"),
    ("ＰＡＳＳＷＯＲＤ１２３４", "common"),
    ("aaaaaaaaaaaa", "predictable"),
    ("abcabcabcabc", "predictable"),
    ("123456789012", "predictable"),
    ("987654321098", "predictable"),
    ("qwertyuiopas", "predictable"),
    ("abcdefgh2026", "predictable"),
    ("jpn.ordering2026", "personal"),
    ("Haruto will remember this", "personal"),
    ("SATO at the harbour 1", "personal"),
    ("my acsa ledger key", "personal"),
]


@pytest.mark.parametrize(("password", "reason"), REFUSED)
def test_a_weak_password_is_refused_and_says_why(node, client, password, reason):
    who = enrol(node, official(node, ORDERING))
    assert NAMES["JPN"][ORDERING] == "Maj. Sato Haruto"
    admin = token_for(node, who.id, ("read", "admin"))
    p = problem(client.post("/api/v1/me/password", headers=bearer(admin), json={
        "current_password": PASSWORD, "new_password": password}))
    assert (p["status"], p["code"], p["field"]) == (422, "password_rejected", "password")
    assert p["params"]["reason"] == reason
    assert p["detail"].endswith(("choose another", "characters"))
    with client_for(node) as c:  # the old password still opens a session
        login(c, node, who)


@pytest.mark.parametrize("password", [
    "staple battery horse correct",
    "Tr0ub4dor&3 is not for us",
    "すずしい朝に港で会いましょう",
    hashlib.sha256(b"a pass phrase from a password manager").hexdigest(),  # 64 characters
    "1982 was the year of the long rains",
])
def test_a_good_password_of_any_composition_is_accepted_as_typed(node, client, password):
    who = enrol(node, official(node, ORDERING))
    admin = token_for(node, who.id, ("read", "admin"))
    r = client.post("/api/v1/me/password", headers=bearer(admin), json={
        "current_password": PASSWORD, "new_password": password})
    assert r.status_code == 204, r.text
    # Checked exactly as typed: no truncation, no change of case.
    for near in (password[:-1], password.upper() if password.upper() != password else None):
        if near is not None:
            p = problem(client.post("/auth/login", headers=JSON, json={
                "user": who.id, "password": near, "code": who.code(node)}))
            assert p["code"] == "login_failed"
    r = client.post("/auth/login", headers=JSON, json={"user": who.id, "password": password,
                                                       "code": who.code(node)})
    assert r.status_code == 200, r.text


def test_an_administrator_setting_a_password_meets_the_same_policy(node):
    admin_id = official(node, Role.ADMINISTRATOR)
    who = official(node, Role.AUDITOR)  # Mr. Yamamoto Daichi
    with UnitOfWork(node) as uow, pytest.raises(auth.PasswordRejected) as refused:
        auth.set_password(uow, users.get_user(uow, admin_id), who, "Yamamoto Daichi 1985")
    assert refused.value.params["reason"] == "personal"
    with UnitOfWork(node) as uow, pytest.raises(auth.PasswordRejected):
        admin_views.add_user(uow, users.get_user(uow, admin_id), user_id="jpn.clerk",
                             name="Ms. Kobayashi Mei", roles=["auditor"],
                             password="kobayashi harbour 7")
    with UnitOfWork(node, write=False) as uow:
        assert uow.conn.execute(select(T.users.c.id).where(T.users.c.id == "jpn.clerk")
                                ).first() is None  # nothing half-written


def test_the_password_list_is_shipped_with_its_source():
    listed = auth.common_passwords()
    assert len(listed) == 30_000 and {"password", "password1234", "qwerty"} <= listed
    header = (Path(auth.__file__).parent / auth.COMMON_PASSWORDS).read_text().split("\n\n")[0]
    assert "zxcvbn 4.5.0" in header and "MIT" in header


def test_a_refused_password_has_a_title_and_reasons_in_japanese():
    assert labels.label("error", "password_rejected", "ja") != "password_rejected"
    for message in (auth.PASSWORD_TOO_SHORT, auth.PASSWORD_TOO_LONG, auth.PASSWORD_PERSONAL,
                    auth.PASSWORD_COMMON, auth.PASSWORD_PREDICTABLE, auth.LOGIN_FAILED):
        assert gettext(message, "ja") != message


def test_changing_a_password_needs_the_current_one(node, client):
    who = enrol(node, official(node, ORDERING))
    admin = token_for(node, who.id, ("read", "admin"))
    p = problem(client.post("/api/v1/me/password", headers=bearer(admin), json={
        "current_password": "not the password at all", "new_password": "a fine new passphrase"}))
    assert (p["status"], p["field"]) == (422, "current_password")


def test_the_password_field_is_masked_and_password_managers_may_fill_it(node, client):
    page = client.get("/auth/login").text
    field = re.search(r'<input id="password"[^>]*>', page)
    assert field and 'type="password"' in field.group(0)
    assert 'autocomplete="current-password"' in field.group(0)
    assert "onpaste" not in page and "autocomplete=\"off\"" not in field.group(0)


# -- V7.2.4, V3.3: a fresh session after the second factor; cookies ------------------------


def test_the_second_factor_opens_a_fresh_session_and_ends_the_first(node, client):
    officer = enrol(node, official(node, ORDERING))
    r = client.post("/auth/login", json={"user": officer.id, "password": PASSWORD}, headers=JSON)
    pending = r.cookies["__Host-acsa_session"]
    r = client.post("/auth/code", json={"code": officer.code(node)}, headers=JSON)
    assert r.status_code == 200 and r.cookies["__Host-acsa_session"] != pending
    with client_for(node) as replay:
        replay.cookies.set("__Host-acsa_session", pending)
        assert problem(replay.get("/api/v1/me"))["code"] == "session_expired"


def test_the_login_forms_cookie_is_host_only_secure_and_strict(node, client):
    cookie = client.get("/auth/login").headers["set-cookie"]
    assert cookie.startswith("__Host-acsa_login=")
    for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
        assert attribute.lower() in cookie.lower()
    assert "domain=" not in cookie.lower()


# -- V3.4.1: Strict-Transport-Security over TLS only ---------------------------------------


PATHS = ("/auth/login", "/api/v1/me", "/api/v1/nothing-here",
         "/federation/v1/heads/JPN-PHL-ACSA/JPN", "/static/app.css")


def test_every_response_over_https_carries_hsts(node, client):
    for path in PATHS:
        r = client.get(path)
        assert r.headers.get("strict-transport-security") == HSTS, (path, r.status_code)
    assert HSTS == "max-age=31536000; includeSubDomains"


def test_no_hsts_over_plain_http(node):
    with TestClient(create_app(node), base_url="http://testserver") as plain:
        for path in PATHS:
            assert "strict-transport-security" not in plain.get(path).headers


@pytest.mark.parametrize(("trusted", "expected"), [("testclient", HSTS), ("127.0.0.1", None)])
def test_a_proxys_https_counts_only_from_the_proxy_trusted(node, trusted, expected):
    # What `acsa serve --forwarded-allow-ips` sets up: uvicorn believes
    # X-Forwarded-Proto only from the addresses named.
    proxied = ProxyHeadersMiddleware(create_app(node), trusted_hosts=trusted)
    with TestClient(proxied, base_url="http://testserver") as c:  # type: ignore[arg-type]
        r = c.get("/auth/login", headers={"X-Forwarded-Proto": "https"})
    assert r.headers.get("strict-transport-security") == expected


# -- V12.1, V12.2: `acsa serve` over TLS --------------------------------------------------


def _serve(node: Node, *args: str) -> tuple[Any, list[dict[str, Any]]]:
    _register()
    calls: list[dict[str, Any]] = []
    with patch("uvicorn.run", lambda application, **kw: calls.append(kw)), \
            patch.object(cli_node, "node", lambda: node):
        result = runner.invoke(app, ["serve", "--no-sync", *args])
    return result, calls


def test_acsa_serve_takes_a_certificate_and_a_trusted_proxy(node, tmp_path):
    cert, key = tmp_path / "node.crt", tmp_path / "node.key"
    cert.write_text("certificate"), key.write_text("key")
    r, calls = _serve(node, "--ssl-certfile", str(cert), "--ssl-keyfile", str(key))
    assert r.exit_code == 0, r.output
    assert {k: calls[0][k] for k in ("ssl_certfile", "ssl_keyfile", "ssl_ciphers",
                                     "proxy_headers", "access_log")} == {
        "ssl_certfile": str(cert), "ssl_keyfile": str(key), "ssl_ciphers": cli_node.TLS_CIPHERS,
        "proxy_headers": False, "access_log": False}
    r, calls = _serve(node, "--forwarded-allow-ips", "10.1.2.3")
    assert r.exit_code == 0, r.output
    assert (calls[0]["proxy_headers"], calls[0]["forwarded_allow_ips"]) == (True, "10.1.2.3")
    assert "ssl_certfile" not in calls[0]
    r, calls = _serve(node, "--ssl-keyfile", str(key))
    assert r.exit_code == 1 and not calls and "--ssl-keyfile needs --ssl-certfile" in r.output


def _self_signed(directory: Path) -> tuple[Path, Path]:
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "node.crt", directory / "node.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def served_over_tls(node: Node, tmp_path: Path) -> Iterator[tuple[int, Path, ssl.SSLContext]]:
    cert, key = _self_signed(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(node), host="127.0.0.1", port=port, log_level="warning",
                            ws="none", lifespan="off", **cli_node.tls_options(cert, key))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the TLS server did not start"
    assert config.ssl is not None
    try:
        yield port, cert, config.ssl
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def test_acsa_serve_speaks_tls_1_2_or_later_and_sends_hsts(served_over_tls):
    port, cert, server_context = served_over_tls
    context = ssl.create_default_context(cafile=str(cert))
    connection = HTTPSConnection("localhost", port, context=context, timeout=20)
    try:
        connection.request("GET", "/auth/login")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        assert response.getheader("Strict-Transport-Security") == HSTS
        assert connection.sock.version() in ("TLSv1.2", "TLSv1.3")
    finally:
        connection.close()
    # Nothing older than TLS 1.2; TLS 1.2 only with forward secrecy and an AEAD cipher.
    assert server_context.minimum_version >= ssl.TLSVersion.TLSv1_2
    offered = server_context.get_ciphers()
    assert offered and all(c["protocol"] == "TLSv1.3" or (
        c["aead"] and c["kea"] in ("kx-ecdhe", "kx-dhe")) for c in offered), offered


# -- V16.2.5: no secret in a log line -------------------------------------------------------


def test_no_secret_reaches_a_log_line(node, client, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    officer = enrol(node, official(node, ORDERING))
    code = officer.code(node)
    page = client.get("/auth/login?next=/orders")
    login_token = page.text.split('name="login_token" value="', 1)[1].split('"', 1)[0]
    r = client.post("/auth/login", data={"user": officer.id, "password": PASSWORD,
                                         "login_token": login_token, "next": "/orders",
                                         "code": code}, follow_redirects=False)
    assert r.status_code == 303
    session_cookie = next(v for k, v in client.cookies.items() if k.endswith("acsa_session"))
    csrf = client.get("/api/v1/me").json()["csrf_token"]
    made = client.post("/api/v1/me/tokens", json={"name": "nightly", "scopes": ["read"]},
                       headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201, made.text
    api_secret = made.json()["secret"]
    assert client.get("/api/v1/me", headers=bearer(api_secret)).status_code == 200
    # Failing requests: a replayed code, a wrong password, a stale CSRF token, a secret in a
    # query string, and a request that breaks inside the node with the token on it.
    with client_for(node) as other:
        other.post("/auth/login", json={"user": officer.id, "password": PASSWORD,
                                        "code": code}, headers=JSON)
        other.post("/auth/login", json={"user": officer.id, "password": PASSWORD + "!",
                                        "code": code}, headers=JSON)
    client.post("/api/v1/me/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf[::-1]})
    client.get(f"/api/v1/orders?cursor={api_secret}")

    def broken(*_: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(auth, "find_token", broken)
    with TestClient(create_app(node), base_url="https://testserver",
                    raise_server_exceptions=False) as c:
        assert c.get("/api/v1/me", headers=bearer(api_secret)).status_code == 500
    secrets_seen = {"password": PASSWORD, "TOTP secret": officer.secret, "code": code,
                    "session token": session_cookie, "CSRF token": csrf,
                    "API token": api_secret, "login form token": login_token}
    # Everything the node logged, with tracebacks; httpx is the test's own client.
    formatter = logging.Formatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records
                       if not record.name.startswith(("httpx", "httpcore")))
    assert "the database went away" in logged  # the capture works: the failure was logged
    leaked = [name for name, value in secrets_seen.items() if value in logged]
    assert not leaked, leaked


# -- the table in docs/security.md ----------------------------------------------------------


def test_the_asvs_table_names_tests_that_exist():
    root = Path(__file__).parents[2]
    text = (root / "docs" / "security.md").read_text(encoding="utf-8")
    table = text.split("## ASVS 5.0 level 2", 1)[1].split("\n## ", 1)[0]
    short = {"test_asvs": "tests/api/test_asvs.py", "test_auth": "tests/api/test_auth.py"}
    named = re.findall(r"`([\w/.]+)::(test_\w+)`", table)
    assert len(named) > 30
    for where, test in named:
        source = (root / short.get(where, where)).read_text(encoding="utf-8")
        assert re.search(rf"^def {test}\(", source, re.MULTILINE), f"{where}::{test}"


def test_a_database_error_never_shows_its_parameters(tmp_path):
    import sqlalchemy

    from acsa.store.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE t (v TEXT UNIQUE)")
            conn.execute(sqlalchemy.text("INSERT INTO t VALUES (:v)"), {"v": "csrf-SECRET-1"})
            try:
                conn.execute(sqlalchemy.text("INSERT INTO t VALUES (:v)"),
                             {"v": "csrf-SECRET-1"})
            except sqlalchemy.exc.IntegrityError as exc:
                assert "csrf-SECRET-1" not in str(exc)
            else:
                raise AssertionError("the second insert should have been refused")
    finally:
        engine.dispose()

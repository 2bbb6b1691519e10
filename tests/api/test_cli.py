"""``acsa user password`` and ``acsa user token``: from the shell to a working login."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from unittest.mock import patch

import pyotp
import pytest
import typer
from typer.testing import CliRunner

from acsa.cli import _register, app
from acsa.cli import web as cli_web
from acsa.cli.common import EXIT_REFUSED, errors
from acsa.domain.errors import LimitExceeded
from acsa.domain.money import Money
from acsa.domain.parties import Role

from .conftest import JSON_HEADERS, bearer, official

runner = CliRunner()


def acsa(node: Any, *args: str, input: str | None = None) -> Any:
    """Run ``acsa ARGS`` in-process on ``node`` (the test's engine, disposed by the fixture,
    rather than one the command would open and leave to the garbage collector)."""
    _register()
    with patch.object(cli_web, "node", lambda: node):
        return runner.invoke(app, list(args), input=input)


def test_a_password_and_second_factor_set_on_the_command_line_open_a_session(node, client):
    who = official(node, Role.FINANCE_OFFICER)
    admin = official(node, Role.ADMINISTRATOR)
    r = acsa(node, "user", "password", who, "--totp", "--stdin", "--as", admin, "--json",
             input="a long enough passphrase\n")
    assert r.exit_code == 0, r.output
    secret = json.loads(r.output)["totp_secret"]
    code = pyotp.TOTP(secret).at(node.clock())
    r = client.post("/auth/login", json={"user": who, "password": "a long enough passphrase",
                                         "code": code}, headers=JSON_HEADERS)
    assert r.status_code == 200, r.text
    r = acsa(node, "user", "password", who, "--stdin", "--as", admin, input="short\n")
    assert r.exit_code == 1 and "at least 12 characters" in r.output


def test_tokens_are_created_listed_and_revoked_on_the_command_line(node, client):
    who = official(node, Role.AUDITOR)
    r = acsa(node, "user", "token", "create", who, "--name", "nightly export",
             "--scope", "read", "--as", who, "--json")
    assert r.exit_code == 0, r.output
    made = json.loads(r.output)
    assert client.get("/api/v1/me", headers=bearer(made["secret"])).json()["id"] == who
    r = acsa(node, "user", "token", "list", "--as", who)
    assert "nightly export" in r.output and made["secret"] not in r.output
    r = acsa(node, "user", "token", "revoke", str(made["token"]["id"]), "--as", who)
    assert r.exit_code == 0, r.output
    assert client.get("/api/v1/me", headers=bearer(made["secret"])).status_code == 401
    # Nobody but an administrator makes tokens for someone else.
    r = acsa(node, "user", "token", "create", official(node, Role.ADMINISTRATOR),
             "--name", "x", "--as", who)
    assert r.exit_code == 1 and "not_permitted" in r.output


def test_the_json_refusal_names_the_values_of_its_message(capsys):
    limit = Money("PHP", 1_000_000)
    with pytest.raises(typer.Exit) as done, errors(as_json=True):
        raise LimitExceeded("above the limit", field="amount", limit=limit, on=date(2026, 2, 3))
    assert done.value.exit_code == EXIT_REFUSED
    assert json.loads(capsys.readouterr().err) == {
        "code": "limit_exceeded", "message": "above the limit", "field": "amount",
        "params": {"limit": {"amount": "10000.00", "currency": "PHP"}, "on": "2026-02-03"}}
    with pytest.raises(typer.Exit), errors(as_json=False):
        raise LimitExceeded("above the limit", field="amount", limit=limit)
    assert capsys.readouterr().err == "error: limit_exceeded: amount: above the limit\n"

"""The access log exported as CSV through the API and the command line: auditors and
security officers only, and the export is itself a line of the log."""

from __future__ import annotations

import csv
import io

import typer
from click.testing import CliRunner

import acsa.cli
from acsa.domain.parties import Role

from .conftest import bearer, official, problem, token_for


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_api_exports_the_log_to_auditors_only(node, client):
    auditor = token_for(node, official(node, Role.AUDITOR), ("read",))
    ordering = token_for(node, official(node, Role.ORDERING_OFFICIAL), ("read",))
    p = problem(client.get("/api/v1/access-log/export", headers=bearer(ordering)))
    assert (p["status"], p["code"]) == (403, "not_permitted")
    r = client.get("/api/v1/access-log/export", headers=bearer(auditor))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = _rows(r.content.decode("utf-8-sig"))
    assert rows and set(rows[0]) == {"id", "at", "user", "action", "target", "address"}
    assert any(row["action"] == "token.created" for row in rows)
    again = _rows(client.get("/api/v1/access-log/export",
                             headers=bearer(auditor)).content.decode("utf-8-sig"))
    assert any(row["action"] == "report.export" and row["target"] == "access-log"
               for row in again)


def test_the_command_line_exports_the_log_to_a_security_officer(node, monkeypatch):
    acsa.cli._register()
    command = typer.main.get_command(acsa.cli.app)
    # The command runs on the test's node (its database, its clock), as an operator's
    # `acsa` would on the node's data directory.
    monkeypatch.setattr(acsa.cli.admin, "node", lambda: node)
    env: dict[str, str] = {}
    runner = CliRunner()
    refused = runner.invoke(command, ["access-log", "--csv", "--as",
                                      official(node, Role.FINANCE_OFFICER)], env=env)
    assert refused.exit_code == 1 and "not_permitted" in refused.stderr
    done = runner.invoke(command, ["access-log", "--csv", "--as",
                                   official(node, Role.SECURITY_OFFICER)], env=env)
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[0] == "id,at,user,action,target,address"

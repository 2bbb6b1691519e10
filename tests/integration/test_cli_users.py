"""``acsa user add --clearance --activity``, ``user clearance``, ``assign``, ``unassign``,
``show`` and ``list``: clearances and need to know from the shell, on both engines.

Each command runs in-process on the test's own node, as an operator types it;
a refusal is one line on stderr (JSON with ``--json``) and keeps nothing.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
import typer
from click.testing import CliRunner, Result
from sqlalchemy import select

import acsa.cli
from acsa.cli import common
from acsa.devtools.world import staff_node
from acsa.services import admin, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

AGREEMENT = "JPN-PHL-ACSA"
runner = CliRunner()
acsa.cli._register()
COMMAND = typer.main.get_command(acsa.cli.app)


class Shell:
    """``acsa …`` on one node."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.env = {"ACSA_DATA_DIR": str(node.data_dir), "ACSA_USER": None,
                    "ACSA_DATABASE_URL": node.engine.url.render_as_string(hide_password=False)}

    def invoke(self, *args: str) -> Result:
        return runner.invoke(COMMAND, list(args), env=self.env)

    def __call__(self, *args: str) -> str:
        result = self.invoke(*args)
        assert result.exit_code == 0, f"{args}: {result.output}"
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))

    def refused(self, *args: str) -> dict[str, Any]:
        """A refusal with ``--json``: one JSON line on stderr, nothing kept."""
        before = self.users_and_log()
        result = self.invoke(*args, "--json")
        assert result.exit_code == 1, f"{args} succeeded: {result.stdout}"
        [line] = result.stderr.strip().splitlines()
        assert self.users_and_log() == before
        refusal: dict[str, Any] = json.loads(line)
        return refusal

    def users_and_log(self) -> tuple[list[Any], int]:
        with UnitOfWork(self.node, write=False) as uow:
            people = [tuple(r) for r in uow.conn.execute(select(T.users).order_by(T.users.c.id))]
            lines = len(uow.conn.execute(select(T.access_log.c.id)).all())
        return people, lines


@pytest.fixture
def shell(make_node: Any, monkeypatch: pytest.MonkeyPatch) -> Shell:
    node: Node = make_node("JPN")
    staff_node(node, [AGREEMENT])
    with UnitOfWork(node) as uow:
        boss = users.get_user(uow, "jpn.administrator")
        for activity, kind in (("KAMANDAG-10", "bilateral_training"),
                               ("TYPHOON-RAI2-HADR", "hadr")):
            admin.register_activity(uow, boss, agreement=AGREEMENT, activity_id=activity,
                                    name=activity.title(), type=kind,
                                    starts_on=date(2026, 2, 2))
    monkeypatch.setattr(common, "open_node", lambda settings, **kw: node)
    return Shell(node)


def access_log(node: Node) -> list[tuple[str, str, str]]:
    with UnitOfWork(node, write=False) as uow:
        a = T.access_log.c
        return [(r.user_id, r.action, r.target) for r in uow.conn.execute(
            select(a.user_id, a.action, a.target).where(a.action.like("user.%"))
            .order_by(a.id))]


def test_a_security_officer_sets_and_clears_a_clearance(shell: Shell) -> None:
    out = shell("user", "clearance", "jpn.ordering", "極秘", "--as", "jpn.security")
    assert "jpn.ordering: clearance 極秘" in out
    assert shell.json("user", "show", "jpn.ordering")["clearance"] == "極秘"
    listed = shell("user", "list")
    assert "clearance" in listed.splitlines()[0]
    assert any(line.startswith("jpn.ordering") and "極秘" in line
               for line in listed.splitlines())
    shown = shell.json("user", "clearance", "jpn.ordering", "none", "--as", "jpn.security")
    assert shown["clearance"] is None
    assert "clearance: -" in shell("user", "show", "jpn.ordering")
    assert access_log(shell.node) == [
        ("jpn.security", "user.clearance", "jpn.ordering: none → 極秘"),
        ("jpn.security", "user.clearance", "jpn.ordering: 極秘 → none"),
    ]


def test_an_unknown_level_is_refused_naming_the_field_and_the_levels(shell: Shell) -> None:
    refusal = shell.refused("user", "clearance", "jpn.ordering", "BANANA",
                            "--as", "jpn.security")
    assert (refusal["code"], refusal["field"]) == ("invalid_value", "clearance")
    assert refusal["params"] == {"level": "BANANA", "allowed": ["特定秘密", "極秘", "秘", "none"],
                                 "party": "JPN"}
    words = shell.invoke("user", "clearance", "jpn.ordering", "BANANA", "--as", "jpn.security")
    assert words.exit_code == 1
    assert words.stderr.startswith("error: invalid_value: clearance: 'BANANA' is not a level")
    assert "特定秘密, 極秘, 秘, none" in words.stderr


def test_activities_are_assigned_and_unassigned(shell: Shell) -> None:
    shown = shell.json("user", "assign", "jpn.ordering", "--activity", "KAMANDAG-10",
                       "--activity", "TYPHOON-RAI2-HADR", "--as", "jpn.security")
    assert shown["activities"] == ["KAMANDAG-10", "TYPHOON-RAI2-HADR"]
    refusal = shell.refused("user", "assign", "jpn.ordering", "--activity", "KAMANDAG-10",
                            "--as", "jpn.security")
    assert (refusal["code"], refusal["field"]) == ("already_recorded", "activity")
    out = shell("user", "unassign", "jpn.ordering", "--activity", "KAMANDAG-10",
                "--as", "jpn.security")
    assert "activities TYPHOON-RAI2-HADR" in out
    refusal = shell.refused("user", "unassign", "jpn.ordering", "--activity", "KAMANDAG-10",
                            "--as", "jpn.security")
    assert (refusal["code"], refusal["field"]) == ("unknown_reference", "activity")
    assert shell.json("user", "show", "jpn.ordering")["activities"] == ["TYPHOON-RAI2-HADR"]
    [row] = [u for u in shell.json("user", "list") if u["id"] == "jpn.ordering"]
    assert row["activities"] == ["TYPHOON-RAI2-HADR"]
    assert [action for _, action, _ in access_log(shell.node)] == [
        "user.assigned", "user.assigned", "user.unassigned"]


def test_an_unknown_activity_is_refused_naming_the_registered_ones(shell: Shell) -> None:
    refusal = shell.refused("user", "assign", "jpn.ordering", "--activity", "NO-SUCH",
                            "--as", "jpn.security")
    assert (refusal["code"], refusal["field"]) == ("unknown_reference", "activity")
    assert refusal["params"]["allowed"] == ["KAMANDAG-10", "TYPHOON-RAI2-HADR"]


@pytest.mark.parametrize("who", ["jpn.ordering", "jpn.administrator"])
def test_only_a_security_officer_manages_them(shell: Shell, who: str) -> None:
    for args in (("user", "clearance", "jpn.finance", "秘"),
                 ("user", "assign", "jpn.finance", "--activity", "KAMANDAG-10")):
        refusal = shell.refused(*args, "--as", who)
        assert refusal["code"] == "not_permitted"
        assert refusal["params"]["role"] == "security_officer"
    refusal = shell.refused("user", "clearance", "jpn.security", "秘", "--as", "jpn.security")
    assert refusal["code"] == "not_permitted"


def test_user_add_takes_a_clearance_and_activities_from_a_security_officer(
        shell: Shell) -> None:
    refusal = shell.refused("user", "add", "jpn.analyst", "--name", "Analyst", "--role",
                            "auditor", "--clearance", "秘", "--as", "jpn.administrator")
    assert refusal["code"] == "not_permitted"
    shell("user", "add", "jpn.chief", "--name", "Chief", "--role", "administrator",
          "--role", "security_officer", "--as", "jpn.administrator")
    refusal = shell.refused("user", "add", "jpn.analyst", "--name", "Analyst", "--role",
                            "auditor", "--clearance", "BANANA", "--as", "jpn.chief")
    assert (refusal["code"], refusal["field"]) == ("invalid_value", "clearance")
    assert refusal["params"]["allowed"] == ["特定秘密", "極秘", "秘", "none"]
    refusal = shell.refused("user", "add", "jpn.analyst", "--name", "Analyst", "--role",
                            "auditor", "--activity", "NO-SUCH", "--as", "jpn.chief")
    assert (refusal["code"], refusal["field"]) == ("unknown_reference", "activity")
    added = shell.json("user", "add", "jpn.analyst", "--name", "Analyst", "--role", "auditor",
                       "--clearance", "秘", "--activity", "KAMANDAG-10", "--as", "jpn.chief")
    assert (added["clearance"], added["activities"]) == ("秘", ["KAMANDAG-10"])
    assert access_log(shell.node)[-3:] == [
        ("jpn.chief", "user.added", "jpn.analyst"),
        ("jpn.chief", "user.clearance", "jpn.analyst: none → 秘"),
        ("jpn.chief", "user.assigned", "jpn.analyst: KAMANDAG-10"),
    ]


def test_showing_an_unknown_user_is_refused(shell: Shell) -> None:
    refusal = shell.refused("user", "show", "jpn.nobody")
    assert (refusal["code"], refusal["field"]) == ("unknown_reference", "user")


def test_an_administrator_edits_roles_and_units(shell: Shell) -> None:
    before = shell.json("user", "show", "jpn.ordering")
    assert before["roles"] == ["ordering_official"]
    out = shell("user", "edit", "jpn.ordering", "--role", "ordering_official",
                "--role", "receiving_official", "--unit", "JGSDF-1HB",
                "--as", "jpn.administrator")
    assert out.strip() == ("jpn.ordering: roles ordering_official, receiving_official; "
                           "units JGSDF-1HB")
    shown = shell.json("user", "edit", "jpn.ordering", "--no-units", "--as", "jpn.administrator")
    assert (shown["roles"], shown["units"]) == (["ordering_official", "receiving_official"], [])
    assert access_log(shell.node) == [
        ("jpn.administrator", "user.roles",
         "jpn.ordering: ordering_official → ordering_official, receiving_official"),
        ("jpn.administrator", "user.units",
         f"jpn.ordering: {', '.join(sorted(before['units']))} → JGSDF-1HB"),
        ("jpn.administrator", "user.units", "jpn.ordering: JGSDF-1HB → —"),
    ]


@pytest.mark.parametrize(("args", "code", "field"), [
    (("--role", "general"), "invalid_value", "roles"),
    (("--unit", "AFP-TOG1"), "invalid_value", "units"),
    ((), "missing_field", "roles"),
])
def test_an_edit_is_refused_naming_the_field(shell: Shell, args: tuple[str, ...], code: str,
                                             field: str) -> None:
    refusal = shell.refused("user", "edit", "jpn.ordering", *args, "--as", "jpn.administrator")
    assert (refusal["code"], refusal["field"]) == (code, field)


@pytest.mark.parametrize("who", ["jpn.security", "jpn.finance"])
def test_only_an_administrator_edits_roles(shell: Shell, who: str) -> None:
    refusal = shell.refused("user", "edit", "jpn.ordering", "--role", "auditor", "--as", who)
    assert refusal["code"] == "not_permitted"


def test_an_administrator_keeps_their_own_administrator_role(shell: Shell) -> None:
    refusal = shell.refused("user", "edit", "jpn.administrator", "--role", "auditor",
                            "--as", "jpn.administrator")
    assert (refusal["code"], refusal["field"]) == ("invalid_value", "roles")

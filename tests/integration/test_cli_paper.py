"""``acsa paper``: a partner's written appointments and its steps, recorded from signed
paper by a local official, on both engines. A refusal is one line and keeps nothing: no
event, no file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from click.testing import CliRunner, Result
from sqlalchemy import func, select

import acsa.cli
from acsa.cli import common
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

from .paper_world import AGREEMENT, US_UNIT, paper_node

runner = CliRunner()
acsa.cli._register()
COMMAND = typer.main.get_command(acsa.cli.app)


class Shell:
    def __init__(self, node: Node, tmp_path: Path) -> None:
        self.node = node
        self.tmp_path = tmp_path
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

    def counts(self) -> tuple[int, int]:
        with UnitOfWork(self.node, write=False) as uow:
            return (uow.conn.execute(select(func.count()).select_from(T.events)).scalar_one(),
                    uow.conn.execute(select(func.count()).select_from(T.evidence_files))
                    .scalar_one())

    def refused(self, *args: str) -> str:
        """One line on stderr, exit 1, no event and no file kept."""
        before = self.counts()
        result = self.invoke(*args)
        assert result.exit_code == 1, f"{args} succeeded: {result.stdout}"
        [line] = result.stderr.strip().splitlines()
        assert self.counts() == before
        return line

    def file(self, name: str, content: bytes = b"%PDF-1.4 signed") -> str:
        path = self.tmp_path / name
        path.write_bytes(content)
        return str(path)


@pytest.fixture
def shell(make_node: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Shell, str]:
    node, number = paper_node(make_node, tmp_path, monkeypatch)
    monkeypatch.setattr(common, "open_node", lambda settings, **kw: node)
    return Shell(node, tmp_path), number


def appoint(sh: Shell, user: str, role: str) -> dict[str, Any]:
    return dict(sh.json("paper", "appoint", user, "--agreement", AGREEMENT, "--name",
                        f"Officer {user}", "--role", role, "--unit", US_UNIT, "--from",
                        "2026-01-15", "--letter", sh.file(f"{user}.pdf", user.encode()),
                        "--as", "phl.administrator"))


def test_appointments_and_steps_from_signed_paper(shell: tuple[Shell, str]) -> None:
    sh, number = shell
    assert "USA signs on paper" in sh("paper", "list")
    made = appoint(sh, "usa.hayes", "approving_official")
    assert made["party"] == "USA" and made["letter"]["name"] == "usa.hayes.pdf"
    appoint(sh, "usa.ortiz", "supply_officer")
    listed = sh.json("paper", "list")
    assert listed["partners"] == {AGREEMENT: ["USA"]}
    assert {a["user"] for a in listed["appointments"]} == {"usa.hayes", "usa.ortiz"}
    assert sh.json("paper", "steps", number, "--as", "phl.ordering")["steps"] == [
        "accept", "reject"]

    head = sh.json("order", "show", number)["head"]
    line = sh("paper", "record", number, "--step", "accept", "--official", "usa.hayes",
              "--supplying-unit", US_UNIT, "--form", sh.file("accepted.pdf"), "--if-match", head,
              "--as", "phl.ordering")
    assert line.startswith(f"accepted {number} (event ")
    assert "signed on paper by Officer usa.hayes (USA, usa.hayes), attested by phl.ordering" \
        in line
    done = sh.json("paper", "record", number, "--step", "deliver", "--official", "usa.ortiz",
                   "--line", "1=10000", "--form", sh.file("delivered.pdf", b"%PDF tkt"),
                   "--as", "phl.receiving")
    assert (done["type"], done["status"]) == ("delivery.recorded", "delivered")
    with UnitOfWork(sh.node, write=False) as uow:
        envelope = json.loads(uow.conn.execute(select(T.events.c.envelope).where(
            T.events.c.type == "delivery.recorded")).scalar_one())
    assert envelope["actor"]["paper"] is True and envelope["actor"]["party"] == "USA"
    assert envelope["data"]["attested_by"]["user"] == "phl.receiving"
    assert envelope["data"]["evidence"][0]["name"] == "delivered.pdf"
    # All delivered: nothing more for the supplier to sign before settlement.
    assert sh.json("paper", "steps", number, "--as", "phl.ordering")["steps"] == []


def test_bad_input_is_one_line_and_keeps_nothing(shell: tuple[Shell, str]) -> None:
    sh, number = shell
    appoint(sh, "usa.ortiz", "supply_officer")
    form = sh.file("form.pdf")

    def record(*extra: str) -> str:
        return sh.refused("paper", "record", number, "--as", "phl.ordering", *extra)

    assert "empty" in record("--step", "accept", "--official", "usa.ortiz",
                             "--form", sh.file("empty.pdf", b""))
    assert "name the supplying unit" in record("--step", "accept", "--official", "usa.ortiz",
                                               "--form", form)
    assert "usa.ortiz is not appointed as approving_official" in record(
        "--step", "accept", "--official", "usa.ortiz", "--supplying-unit", US_UNIT,
        "--form", form)
    assert "no paper appointment of USA official usa.nobody" in record(
        "--step", "reject", "--reason", "no stock", "--official", "usa.nobody", "--form", form)
    assert "'pay' is not a step recorded from paper" in record(
        "--step", "pay", "--official", "usa.ortiz", "--form", form)
    assert "cannot deliver an order that is submitted" in record(
        "--step", "deliver", "--official", "usa.ortiz", "--line", "1=5", "--form", form)
    assert "reason" in record("--step", "reject", "--official", "usa.ortiz", "--form", form)
    assert "missing.pdf" in record("--step", "accept", "--official", "usa.ortiz",
                                   "--form", str(sh.tmp_path / "missing.pdf"))
    assert "conflict" in record("--step", "reject", "--reason", "x", "--official", "usa.ortiz",
                                "--form", form, "--if-match", "0" * 64)
    letter = sh.file("letter.pdf")
    appoint_args = ("paper", "appoint", "usa.kim", "--agreement", AGREEMENT, "--name", "Kim",
                    "--from", "2026-01-15", "--letter", letter, "--as", "phl.administrator")
    assert "'captain' is not a role" in sh.refused(*appoint_args, "--role", "captain")
    assert "cannot end before it starts" in sh.refused(
        *appoint_args, "--role", "supply_officer", "--to", "2026-01-01")
    assert "PHL is not the other party" in sh.refused(
        *appoint_args, "--role", "supply_officer", "--party", "PHL")
    assert "administrator" in sh.refused(*appoint_args[:-1], "phl.ordering", "--role",
                                         "supply_officer")
    refusal = json.loads(sh.refused(*appoint_args, "--role", "supply_officer", "--limit",
                                    "USD=-5", "--json"))
    assert (refusal["code"], refusal["field"]) == ("invalid_value", "limits.USD")

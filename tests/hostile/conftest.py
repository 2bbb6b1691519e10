"""Hostile input: files, bundles, arguments and request bodies that are broken or malicious.

Every case ends in one clear refusal — a line on standard error, a quarantine entry
with its reason, a 413 — and nothing half-stored: the tests count every table's rows
before and after. Nodes are the integration suite's, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import acsa.cli
from acsa.cli import common, guard
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

# The integration fixtures: nodes on both engines, and a staffed pair.
from integration.conftest import FixedClock, engine_kind, make_node, pair  # noqa: F401

acsa.cli._register()


def rows(node: Node) -> dict[str, int]:
    """How many rows each table of ``node`` holds."""
    with UnitOfWork(node, write=False) as uow:
        return {t.name: int(uow.conn.execute(select(func.count()).select_from(t)).scalar_one())
                for t in T.metadata.sorted_tables}


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """The tables whose row count changed, and by how much."""
    return {name: after[name] - before[name] for name in before if after[name] != before[name]}


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def line(self) -> str:
        """The one line a refused command prints on standard error."""
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        assert lines[0].startswith("error: "), self.err
        assert "Traceback" not in self.err
        return lines[0]


class Acsa:
    """``acsa …`` run in-process exactly as the ``acsa`` script runs it (:func:`guard.run`),
    against the test's node."""

    def __init__(self, node: Node, capsys: pytest.CaptureFixture[str]) -> None:
        self.node, self.capsys = node, capsys

    def __call__(self, *args: str) -> Ran:
        self.capsys.readouterr()
        code = guard.run(acsa.cli.app, list(args))
        out, err = self.capsys.readouterr()
        return Ran(code, out, err)

    def refused(self, *args: str) -> str:
        """Run a command that must be refused with one line, storing nothing."""
        before = rows(self.node)
        ran = self(*args)
        assert ran.code != 0, ran.out
        line = ran.line
        assert changed(before, rows(self.node)) == {}, line
        return line


@pytest.fixture
def cli(pair: Any, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> Acsa:
    """``acsa`` on the pair's PHL node (the requester), as its operator runs it."""
    node = pair.phl
    monkeypatch.delenv("ACSA_USER", raising=False)
    monkeypatch.setenv("ACSA_DATA_DIR", str(node.data_dir))
    monkeypatch.setenv("ACSA_DATABASE_URL", node.engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(common, "open_node", lambda settings, **kw: node)
    return Acsa(node, capsys)


def write(path: Path, data: bytes | str | Any) -> Path:
    """``data`` into ``path``: bytes as they are, text as UTF-8, anything else as JSON."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    elif not isinstance(data, bytes):
        data = json.dumps(data).encode("utf-8")
    path.write_bytes(data)
    return path

"""The procedures of docs/operations.md, typed as an operator types them: ``acsa backup``,
``acsa backup verify``, ``acsa restore``, ``acsa sync export --for`` and ``acsa sync import``,
``acsa move-database`` — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

import typer
from click.testing import CliRunner, Result

import acsa.cli
from acsa import bootstrap
from acsa.cli import common
from acsa.devtools.world import carry
from acsa.services.node import Node
from acsa.services.restore import display_url

from .conftest import OWN, Databases, held, postgres_or_skip, reopen, submit, url_of

acsa.cli._register()
COMMAND = typer.main.get_command(acsa.cli.app)


def acsa_(node_dir: Path, database: str | None, *args: str, **env: str) -> Result:
    """``acsa …`` with the node's environment, in this process: the databases the command
    opened are closed after it, as they are when a command's process ends."""
    opened: list[Node] = []

    def open_node(settings: Any, **kw: Any) -> Node:
        opened.append(bootstrap.open_node(settings, **kw))
        return opened[-1]

    with patch.object(common, "open_node", open_node):
        result = CliRunner().invoke(COMMAND, list(args), env={
            "ACSA_DATA_DIR": str(node_dir), "ACSA_DATABASE_URL": database, "ACSA_USER": None,
            **env})
    for node in opened:
        node.engine.dispose()
    return result


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def database_of(node: Node) -> str | None:
    return None if node.engine.url.get_backend_name() == "sqlite" else url_of(node)


def test_backup_verify_restore_and_catch_up_by_file_from_the_command_line(pair, tmp_path):
    jpn, phl = pair.jpn, pair.phl
    db = database_of(jpn)
    out = ok(acsa_(jpn.data_dir, db, "backup", "--out", str(tmp_path / "b")))
    assert f"backed up the JPN node to {tmp_path / 'b'}" in out
    assert "node key: not included" in out
    assert "verified" in ok(acsa_(jpn.data_dir, db, "backup", "verify", str(tmp_path / "b")))
    for _ in range(2):
        submit(jpn)
    carry(jpn, phl, pair.bundles)
    jpn.engine.dispose()

    refused = acsa_(jpn.data_dir, db, "restore", str(tmp_path / "b"))
    assert refused.exit_code == 1 and "--replace" in refused.stderr
    report = ok(acsa_(jpn.data_dir, db, "restore", str(tmp_path / "b"), "--replace"))
    head = len(held(phl)[OWN]) - 2
    assert f"{OWN}: restored to seq {head}; {head + 2} have left this node: seq " \
        f"{head + 1}–{head + 2} to fetch back from a partner" in report
    assert "verify: no problems" in report

    copy = tmp_path / "for-jpn.json"
    out = ok(acsa_(phl.data_dir, database_of(phl), "sync", "export", "--for", "JPN",
                   "--after", str(head), "--out", str(copy)))
    assert f"{OWN}: seq {head + 1}–{head + 2}" in out
    out = ok(acsa_(jpn.data_dir, db, "sync", "import", str(copy)))
    assert f"took back 2 of our own event(s) from PHL's copy\n  {OWN}: held {head} → " \
        f"{head + 2}" in out
    node = reopen(jpn)
    try:
        assert held(node)[OWN] == held(phl)[OWN]
        submit(node)
    finally:
        node.engine.dispose()


def test_a_backup_with_the_key_needs_its_passphrase(pair, tmp_path):
    jpn = pair.jpn
    db = database_of(jpn)
    out = ok(acsa_(jpn.data_dir, db, "backup", "--out", str(tmp_path / "b"), "--with-key",
                   ACSA_BACKUP_PASSPHRASE="harbour lights at dawn"))
    assert "node key: sealed with the passphrase" in out
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["key_included"] and "node.key.sealed" in manifest["files"]
    short = acsa_(jpn.data_dir, db, "backup", "--out", str(tmp_path / "c"), "--with-key",
                  ACSA_BACKUP_PASSPHRASE="short")
    assert short.exit_code == 1
    assert short.stderr.strip() == "error: node key: the passphrase must have at least 12 " \
        "characters"


def test_moving_engines_there_and_back_is_checked_on_arrival(pair, tmp_path):
    base = postgres_or_skip()
    jpn = pair.jpn
    submit(jpn)
    events = held(jpn)
    databases = Databases(base)
    try:
        here, db = jpn.data_dir, database_of(jpn)
        there = databases.new() if db is None else f"sqlite:///{tmp_path / 'moved.db'}"
        back = f"sqlite:///{tmp_path / 'back.db'}" if db is None else databases.new()
        jpn.engine.dispose()
        out = ok(acsa_(here, db, "move-database", "--to", there))
        assert "on arrival: same events, same hashes" in out and "verify: no problems" in out
        assert f"now set ACSA_DATABASE_URL={display_url(there)} and restart the node" in out
        refused = acsa_(here, db, "move-database", "--to", there)
        assert refused.exit_code == 1 and "is not empty" in refused.stderr
        assert ok(acsa_(here, there, "verify")).startswith("verified")
        out = ok(acsa_(here, there, "move-database", "--to", back))
        assert "verify: no problems" in out
        moved = _open(here, back)
        try:
            assert held(moved) == events
            submit(moved)
        finally:
            moved.engine.dispose()
    finally:
        databases.drop_all()


def _open(data_dir: Path, database: str) -> Any:
    from acsa.bootstrap import open_node
    from acsa.config import Settings

    return open_node(Settings(data_dir=data_dir, database_url=database))

"""A command loads only the modules that define it, and nothing it shows changes for that.

``acsa.cli.COMMANDS`` says which modules define each command; these tests hold it to what
the modules register, and compare what a command loaded alone prints (in a fresh process,
as an operator runs it) with what the whole command line prints for the same words.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import typer
from typer.models import TyperInfo
from typer.testing import CliRunner

import acsa.cli
from acsa.cli import COMMANDS, MODULES, app, modules_for

acsa.cli._register()
runner = CliRunner()


def defined_in(group: typer.Typer) -> Iterator[str]:
    """The module of every command in ``group`` and in the groups under it."""
    for command in group.registered_commands:
        assert command.callback is not None
        yield command.callback.__module__.removeprefix("acsa.cli.")
    for sub in group.registered_groups:
        assert sub.typer_instance is not None
        yield from defined_in(sub.typer_instance)


def top_level() -> dict[str, set[str]]:
    """Each top-level command and group, with the modules its commands are defined in."""
    names: dict[str, set[str]] = {}
    for command in app.registered_commands:
        assert command.callback is not None
        name = command.name or command.callback.__name__.replace("_", "-")
        names[name] = {command.callback.__module__.removeprefix("acsa.cli.")}
    for group in app.registered_groups:
        assert group.typer_instance is not None and group.name is not None
        names[group.name] = set(defined_in(group.typer_instance))
    return names


def group_named(name: str) -> TyperInfo:
    return next(g for g in app.registered_groups if g.name == name)


def test_every_command_is_in_the_table_with_the_modules_that_define_it() -> None:
    names = top_level()
    assert {n: set(COMMANDS[n]) for n in names if n in COMMANDS} == names
    assert set(names) <= set(COMMANDS)


def test_a_command_named_within_its_group_is_defined_in_the_modules_named() -> None:
    for key, modules in COMMANDS.items():
        if " " not in key:
            continue
        group, sub = key.split(" ")
        group_app = group_named(group).typer_instance
        assert group_app is not None
        found = [c for c in group_app.registered_commands if c.name == sub]
        assert len(found) == 1, key
        assert found[0].callback is not None
        assert (found[0].callback.__module__.removeprefix("acsa.cli."),) == modules, key


def test_each_table_entry_names_known_modules() -> None:
    names = top_level()
    for key, modules in COMMANDS.items():
        assert key.split(" ")[0] in names, key
        assert set(modules) <= set(MODULES), key


@pytest.mark.parametrize(("args", "modules"), [
    (["report", "balances"], ("ledger",)),
    (["--debug", "report", "balances", "--json"], ("ledger",)),
    (["report", "--json"], ("annual", "attachments", "documents", "ledger")),
    (["report"], ("annual", "attachments", "documents", "ledger")),
    (["init", "--node", "JPN"], ("node",)),
    ([], MODULES),
    (["--help"], MODULES),
    (["--debug"], MODULES),
    (["reprot", "balances"], MODULES),
])
def test_the_words_typed_choose_the_modules(args: list[str], modules: tuple[str, ...]) -> None:
    assert modules_for(args) == modules


def test_shell_completion_loads_every_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_ACSA_COMPLETE", "bash_complete")
    assert modules_for(["report", "balances"]) == MODULES


WIDTH = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1"}


@pytest.mark.parametrize("words", [
    ["report", "--help"],
    ["report", "balances", "--help"],
    ["order", "--help"],
    ["statement", "--help"],
    ["user", "--help"],
    ["report", "balanse"],
])
def test_a_command_loaded_alone_prints_what_the_whole_command_line_prints(
        words: list[str]) -> None:
    env = {**os.environ, **WIDTH}
    alone = subprocess.run([sys.executable, "-m", "acsa", *words], env=env,
                           capture_output=True, text=True, timeout=60)
    whole = runner.invoke(app, words, env=WIDTH, prog_name="acsa")
    assert alone.returncode == whole.exit_code
    assert alone.stdout + alone.stderr == whole.output


def test_the_kept_totals_are_reported_without_loading_the_fold(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Balances and the aging totals read the sums kept per reader class: the command
    neither folds an order nor loads the modules that do (what start-up pays for them
    is in docs/benchmarks.md), and on a node with nothing adopted yet it answers with
    empty tables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACSA_")}
    env.update({**WIDTH, "ACSA_DATA_DIR": str(tmp_path / "node"), "ACSA_USER": "finance"})
    acsa = [sys.executable, "-m", "acsa"]
    for words in (["init", "--node", "JPN"],
                  ["user", "add", "finance", "--name", "Finance Officer", "--role",
                   "finance_officer"]):
        subprocess.run([*acsa, *words], env=env, check=True, capture_output=True, timeout=60)
    for words, heading in ((["report", "balances"], "outstanding"),
                           (["report", "aging"], "over 90")):
        run = subprocess.run([sys.executable, "-X", "importtime", "-m", "acsa", *words],
                             env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr[-2000:]
        assert heading in run.stdout
        loaded = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()
                  if line.startswith("import time:")}
        assert "acsa.services.totals" in loaded
        assert not loaded & {"acsa.domain.interpret", "acsa.domain.lifecycle",
                             "acsa.services.reports", "acsa.services.verify"}, words

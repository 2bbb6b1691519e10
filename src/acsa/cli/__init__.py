"""The ``acsa`` command line: one Typer app, one sub-app per group of commands.

A command loads only the modules that define it (:data:`COMMANDS`): ``acsa report
balances`` imports neither the web server nor the PDF printer, and Typer builds the
options of a few dozen commands rather than of all of them. Anything else — no command,
``acsa --help``, a name we do not know, shell completion — loads every module, so the
help and the "no such command" suggestions list every command as they always did.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from collections.abc import Sequence

from acsa.cli.guard import run
from acsa.cli.root import app

# Every module that adds commands to `app`, in the order they are imported; a group's
# commands are listed in the order they were added, so a subset keeps this order too.
MODULES = ("admin", "annual", "arrangements", "attachments", "backup", "claims", "documents",
           "duties", "ledger", "node", "orders", "paper", "releases", "security", "settlement",
           "sync", "web")

# The modules whose commands each name runs: a top-level command's own module; for a
# group, every module that adds a command to it; and, where a group's commands come from
# several modules, the one module of some of them ("report balances"), so that they do
# not load the others'. tests/integration/test_cli_loading.py checks this table against the
# commands every module registers.
COMMANDS: dict[str, tuple[str, ...]] = {
    "access-log": ("admin",),
    "activity": ("admin",),
    "agreement": ("admin",),
    "arrangement": ("arrangements",),
    "backup": ("backup",),
    "catalogue": ("admin",),
    "claim": ("claims",),
    "consent": ("releases",),
    "demo": ("node",),
    "document": ("documents",),
    "export": ("ledger",),
    "init": ("node",),
    "move-database": ("backup",),
    "order": ("attachments", "duties", "orders", "settlement"),
    "paper": ("paper",),
    "peer": ("sync",),
    "quarantine": ("sync",),
    "rate": ("admin",),
    "rebuild": ("ledger",),
    "release": ("releases",),
    "reconcile": ("sync",),
    "report": ("annual", "attachments", "documents", "ledger"),
    "report aging": ("ledger",),
    "report annual": ("annual",),
    "report balances": ("ledger",),
    "report ceilings": ("ledger",),
    "report export": ("documents",),
    "report missing-evidence": ("attachments",),
    "report obligations": ("ledger",),
    "restore": ("backup",),
    "security": ("security",),
    "serve": ("node",),
    "statement": ("settlement", "sync"),
    "sync": ("sync",),
    "todo": ("orders",),
    "unit": ("admin",),
    "user": ("admin", "web"),
    "verify": ("ledger",),
    "verify-document": ("documents",),
}

# The root command's own options; an argument after them names the command.
_ROOT_FLAGS = frozenset({"--debug"})


def modules_for(args: Sequence[str]) -> tuple[str, ...]:
    """The modules that define the command ``acsa ARGS`` runs: all of them when it asks
    for help, shell completion or nothing, or names a command not in :data:`COMMANDS`."""
    if "_ACSA_COMPLETE" in os.environ:
        return MODULES
    words = list(args)
    while words and words[0] in _ROOT_FLAGS:
        words.pop(0)
    if not words or words[0].startswith("-"):
        return MODULES
    return COMMANDS.get(" ".join(words[:2])) or COMMANDS.get(words[0]) or MODULES


def _register(args: Sequence[str] = ()) -> None:
    """Import the modules that add the commands ``acsa ARGS`` may run (all without ARGS)."""
    wanted = modules_for(args)
    for module in MODULES:
        if module in wanted:
            importlib.import_module(f"acsa.cli.{module}")


def main() -> None:
    """``acsa``: every error ends as one line on standard error and a non-zero exit."""
    args = sys.argv[1:]
    # The collector is kept out of start-up: while the modules load it would walk their
    # growing heap again and again, and at exit once more. What they made is frozen, never
    # collected, and freed by the process's end (~0.08 s of each command, together); the
    # command's own garbage is collected before exit, so its database connections close.
    gc.disable()
    try:
        _register(args)
    finally:
        gc.freeze()
        gc.enable()
    status = run(app, args)
    gc.collect()
    sys.exit(status)

__all__ = ["COMMANDS", "MODULES", "app", "main", "modules_for"]

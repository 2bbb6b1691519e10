"""The ``acsa`` command line: one Typer app, one sub-app per group of commands."""

from __future__ import annotations

import sys

from acsa.cli.guard import run
from acsa.cli.root import app


def _register() -> None:
    # Each module adds its commands to `app`; imported here so that the
    # entry point stays one line and a group can be read on its own.
    from acsa.cli import (  # noqa: F401
        admin,
        annual,
        arrangements,
        attachments,
        backup,
        claims,
        documents,
        duties,
        ledger,
        node,
        orders,
        paper,
        releases,
        settlement,
        sync,
        web,
    )


def main() -> None:
    """``acsa``: every error ends as one line on standard error and a non-zero exit."""
    _register()
    sys.exit(run(app, sys.argv[1:]))


__all__ = ["app", "main"]

"""The ``acsa`` command line: one Typer app, one sub-app per group of commands."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="acsa",
    help="ACSA Ledger: the signed, shared record of cross-servicing between allied forces.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    # Each module adds its commands to `app`; imported here so that the
    # entry point stays one line and a group can be read on its own.
    from acsa.cli import admin, documents, ledger, node, orders, sync, web  # noqa: F401


def main() -> None:
    _register()
    app()

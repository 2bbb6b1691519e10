"""The ``acsa`` Typer app every command group adds its commands to."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="acsa",
    help="ACSA Ledger: the signed, shared record of cross-servicing between allied forces.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

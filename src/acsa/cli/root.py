"""The ``acsa`` Typer app every command group adds its commands to."""

from __future__ import annotations

from typing import Annotated

import typer

from acsa.cli.guard import Flags

app = typer.Typer(
    name="acsa",
    help="ACSA Ledger: the signed, shared record of cross-servicing between allied forces.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(debug: Annotated[bool, typer.Option(
        "--debug", help="On an internal error, print its traceback.")] = False) -> None:
    """ACSA Ledger: the signed, shared record of cross-servicing between allied forces."""
    if debug:
        Flags.debug = True

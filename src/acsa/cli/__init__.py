"""The ``acsa`` command line: one Typer app, one sub-app per group of commands."""

from __future__ import annotations

from acsa.cli.root import app


def _register() -> None:
    # Each module adds its commands to `app`; imported here so that the
    # entry point stays one line and a group can be read on its own.
    from acsa.cli import admin, backup, documents, ledger, node, orders, sync, web  # noqa: F401


def main() -> None:
    _register()
    app()


__all__ = ["app", "main"]

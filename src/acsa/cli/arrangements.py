"""``acsa arrangement``: the register of implementing arrangements of an agreement.

A finance officer proposes an arrangement from a TOML file (see
``docs/examples/arrangement-jp-ph-ia-01.toml``); the other party's finance
officer countersigns it with ``sign``. Only then is it in effect: orders may cite
it and their invoices print the supplier's payment office from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from acsa.cli.common import AsOpt, JsonOpt, acting_user, emit, errors, node
from acsa.cli.root import app
from acsa.reading import read_bounded
from acsa.services import arrangements
from acsa.services.unit_of_work import UnitOfWork

arrangement_app = typer.Typer(
    help="Implementing arrangements: proposed by one party, countersigned by the other.",
    no_args_is_help=True)
app.add_typer(arrangement_app, name="arrangement")

IdentifierArg = Annotated[str, typer.Argument(help="The arrangement, e.g. JP-PH/IA-01.")]


@arrangement_app.command("propose")
def arrangement_propose(
    file: Annotated[Path, typer.Option("--file", help="The arrangement as a TOML file.")],
    agreement: Annotated[str | None, typer.Option(
        help="The agreement (default: the file's `agreement`).")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Propose an arrangement (a finance officer); the other party countersigns it."""
    with errors(as_json), UnitOfWork(node()) as uow:
        raw = read_bounded(file, arrangements.DOCUMENT_BYTES_MAX, field="file")
        document = arrangements.parse_document(raw, str(file))
        event = arrangements.propose_arrangement(uow, acting_user(uow, as_user), document,
                                                 agreement=agreement)
        identifier = event.envelope.data["arrangement"]["identifier"]
        emit(as_json, {"event": event.hash, "identifier": identifier, "status": "proposed"},
             f"arrangement {identifier} proposed (event {event.hash[:8]}…); the other party's "
             "finance officer countersigns it")


@arrangement_app.command("sign")
def arrangement_sign(identifier: IdentifierArg, as_user: AsOpt = None,
                     as_json: JsonOpt = False) -> None:
    """Countersign the other party's proposal (a finance officer): it is then in effect."""
    with errors(as_json), UnitOfWork(node()) as uow:
        event = arrangements.sign_arrangement(uow, acting_user(uow, as_user), identifier)
        emit(as_json, {"event": event.hash, "identifier": identifier, "status": "signed"},
             f"arrangement {identifier} signed by both parties (event {event.hash[:8]}…)")


@arrangement_app.command("list")
def arrangement_list(
    agreement: Annotated[str | None, typer.Option(help="Only this agreement.")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every arrangement of the register: who proposed and signed it, whether in effect."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        acting_user(uow, as_user)
        rows = arrangements.list_views(uow, agreement)

        def human() -> None:
            if not rows:
                typer.echo("no implementing arrangements")
            for r in rows:
                typer.echo(_line(r))

        emit(as_json, rows, human)


@arrangement_app.command("show")
def arrangement_show(identifier: IdentifierArg, as_user: AsOpt = None,
                     as_json: JsonOpt = False) -> None:
    """One arrangement: its branches, points of contact, payment offices, pricing basis."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        acting_user(uow, as_user)
        view = arrangements.show_view(uow, identifier)
        emit(as_json, view, lambda: _show(view))


def _line(r: dict[str, Any]) -> str:
    effect = "in effect" if r.get("in_effect") else "not in effect"
    signed = f", signed by {r['signed_by']} on {r['signed_on']}" if r["signed_by"] else ""
    return (f"{r['identifier']}  {r['agreement']}  {r['status'].upper()} ({effect}): "
            f"{r['title']} — proposed by {r['proposed_by']} on {r['proposed_on']}{signed}")


def _show(view: dict[str, Any]) -> None:
    typer.echo(_line(view))
    typer.echo(f"  valid {view['valid_from']} to {view['valid_to'] or 'open'}")
    typer.echo(f"  pricing basis: {view['pricing_basis']}")
    for p in view["parties"]:
        typer.echo(f"  {p['party']}: {p['service_branch']}")
        for c in p["contacts"]:
            typer.echo(f"    contact: {c}")
        for key, value in p.get("remittance", {}).items():
            typer.echo(f"    {key.replace('_', ' ')}: {value}")
    for bad in view["ineffective"]:
        typer.echo(f"  ineffective {bad['event'][:12]}: {bad['reason']}")

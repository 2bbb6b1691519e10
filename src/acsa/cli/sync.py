"""``acsa peer`` and ``acsa sync``: partner nodes and the exchange of signed events."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from acsa.cli import app
from acsa.cli.common import AsOpt, JsonOpt, acting_user, emit, errors, node, table
from acsa.federation.bundles import export_bundle, import_bundle
from acsa.services.peers import add_peer, list_peers
from acsa.services.unit_of_work import UnitOfWork

peer_app = typer.Typer(help="Partner nodes.", no_args_is_help=True)
sync_app = typer.Typer(help="Exchange signed events with partner nodes.", no_args_is_help=True)
app.add_typer(peer_app, name="peer")
app.add_typer(sync_app, name="sync")


@peer_app.command("add")
def peer_add(
    party: Annotated[str, typer.Argument(help="The peer's party code, e.g. PHL.")],
    fingerprint: Annotated[str, typer.Option(help="Its key fingerprint, exchanged out of band.")],
    url: Annotated[str | None, typer.Option(help="Its base URL for online sync.")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a partner node by its party and key fingerprint."""
    with errors(), UnitOfWork(node()) as uow:
        peer = add_peer(uow, acting_user(uow, as_user), party=party, key_fingerprint=fingerprint,
                        base_url=url)
        uow.commit()
        emit(as_json, peer, f"peer {peer.party} registered ({peer.fingerprint})")


@peer_app.command("list")
def peer_list(as_json: JsonOpt = False) -> None:
    """The registered peers."""
    with errors(), UnitOfWork(node(), write=False) as uow:
        peers = list_peers(uow)
        emit(as_json, peers, lambda: table(
            [[p.party, p.fingerprint, p.base_url or "-", p.status] for p in peers],
            ["party", "fingerprint", "url", "status"]))


@sync_app.command("export")
def sync_export(
    peer: Annotated[str, typer.Option(help="The peer the bundle is for.")],
    out: Annotated[Path, typer.Option(help="The bundle file to write.")],
    as_json: JsonOpt = False,
) -> None:
    """Write everything the peer has not acknowledged to a signed bundle file."""
    with errors(), UnitOfWork(node(), write=False) as uow:
        summary = export_bundle(uow, peer, out)
        emit(as_json, summary,
             f"wrote {summary.events} event(s) for {peer} to {out}"
             + "".join(f"\n  {s}: seq {a}–{b}" for s, (a, b) in summary.streams.items()))


@sync_app.command("import")
def sync_import(
    bundle: Annotated[Path, typer.Argument(help="A bundle file from a peer.")],
    as_json: JsonOpt = False,
) -> None:
    """Admit and apply a peer's bundle, or quarantine it with every reason."""
    with errors(), UnitOfWork(node()) as uow:
        summary = import_bundle(uow, bundle)
        uow.commit()
        if summary.quarantined is not None:
            emit(as_json, summary, lambda: typer.echo(
                f"bundle quarantined (#{summary.quarantined}); nothing applied:\n"
                + "\n".join(f"  - {p}" for p in summary.problems), err=True))
            raise typer.Exit(1)
        emit(as_json, summary,
             f"imported {summary.applied} new event(s) from {summary.peer} "
             f"({summary.duplicates} already held); orders updated: {len(summary.orders)}")

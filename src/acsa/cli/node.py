"""``acsa init`` and ``acsa demo``: creating a node, and the demonstration."""

from __future__ import annotations

from typing import Annotated

import typer

from acsa.bootstrap import init_node
from acsa.cli.common import JsonOpt, emit, errors, node, settings
from acsa.cli.root import app
from acsa.events import short_fingerprint


@app.command()
def init(
    party: Annotated[str, typer.Option("--node", help="This node's party (ISO 3166 alpha-3).")],
    as_json: JsonOpt = False,
) -> None:
    """Create this node: its data directory, signing key (mode 0600) and database."""
    with errors(as_json):
        created = init_node(settings(), party)
        fp = created.key.fingerprint
        emit(as_json, {"party": created.party, "data_dir": str(created.data_dir),
                       "fingerprint": fp},
             f"initialised the {created.party} node in {created.data_dir}\n"
             f"key fingerprint {fp}\n"
             f"  (read to peers as {short_fingerprint(fp)}; they register it with "
             f"`acsa peer add {created.party} --fingerprint {fp}`)")


@app.command()
def demo(
    base: Annotated[str, typer.Option(help="Directory for the demo nodes' data.")] = "demo-data",
    serve: Annotated[bool, typer.Option(help="Serve the nodes when seeded.")] = True,
) -> None:
    """Seed two nodes (JPN, PHL) with an exercise and a typhoon response, then serve them."""
    from acsa.devtools.demo import run_demo

    with errors():
        run_demo(base, serve=serve)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    sync: Annotated[bool, typer.Option(help="Run the background sync with peers.")] = True,
) -> None:
    """Serve this node: web UI, REST API, federation endpoints, and background sync."""
    import uvicorn

    from acsa.web.app import create_app

    with errors():
        current = settings()
        served = node()
        background = []
        if sync:
            from acsa.federation.worker import background_sync

            background.append(background_sync(served, current))
        application = create_app(served, background=background)
        uvicorn.run(application, host=host or current.host, port=port or current.port,
                    log_level="warning", proxy_headers=False)

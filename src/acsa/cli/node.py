"""``acsa init`` and ``acsa demo``: creating a node, and the demonstration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from acsa.bootstrap import init_node
from acsa.cli.common import JsonOpt, emit, errors, node, settings
from acsa.cli.root import app
from acsa.domain.errors import InvalidValue
from acsa.events import short_fingerprint

# TLS 1.2 cipher suites offered when `acsa serve` terminates TLS itself: forward secrecy
# and authenticated encryption only (TLS 1.3's suites are all such). Python refuses
# anything older than TLS 1.2 by default.
TLS_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20"


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


def tls_options(certfile: Path | None, keyfile: Path | None) -> dict[str, Any]:
    """uvicorn's TLS settings for ``--ssl-certfile``/``--ssl-keyfile`` (none: plain HTTP)."""
    if certfile is None:
        if keyfile is not None:
            raise InvalidValue("--ssl-keyfile needs --ssl-certfile", field="ssl_certfile")
        return {}
    return {"ssl_certfile": str(certfile), "ssl_keyfile": str(keyfile) if keyfile else None,
            "ssl_ciphers": TLS_CIPHERS}


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    sync: Annotated[bool, typer.Option(help="Run the background sync with peers.")] = True,
    ssl_certfile: Annotated[Path | None, typer.Option(
        "--ssl-certfile", exists=True, dir_okay=False, readable=True,
        help="Serve HTTPS with this certificate (PEM, with its chain).")] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(
        "--ssl-keyfile", exists=True, dir_okay=False, readable=True,
        help="The certificate's private key (PEM), if not in the certificate file.")] = None,
    forwarded_allow_ips: Annotated[str | None, typer.Option(
        help="Addresses of the TLS proxy in front of the node (comma-separated): only "
             "from these are X-Forwarded-Proto and X-Forwarded-For believed.")] = None,
) -> None:
    """Serve this node: web UI, REST API, federation endpoints, and background sync.

    Serve it over HTTPS (docs/operations.md, "TLS"): with --ssl-certfile and
    --ssl-keyfile, or behind a TLS proxy named with --forwarded-allow-ips.
    """
    import uvicorn

    from acsa.web.app import create_app

    with errors():
        tls = tls_options(ssl_certfile, ssl_keyfile)
        current = settings()
        served = node()
        background = []
        if sync:
            from acsa.federation.worker import background_sync

            background.append(background_sync(served, current))
        application = create_app(served, background=background)
        # Only warnings are logged: no access log, whose request lines would hold query
        # strings. Forwarded headers are believed only from the proxy named.
        uvicorn.run(application, host=host or current.host, port=port or current.port,
                    log_level="warning", access_log=False,
                    proxy_headers=bool(forwarded_allow_ips),
                    forwarded_allow_ips=forwarded_allow_ips or None, **tls)

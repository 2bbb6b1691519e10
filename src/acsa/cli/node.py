"""``acsa init`` and ``acsa demo``: creating a node, and the demonstration."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from acsa.bootstrap import init_node
from acsa.cli.common import JsonOpt, emit, errors, node, settings
from acsa.cli.root import app
from acsa.config import Settings
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
    sync: Annotated[bool, typer.Option(
        help="Run the background sync with peers (ACSA_SYNC=false: --no-sync).")] = True,
    ssl_certfile: Annotated[Path | None, typer.Option(
        "--ssl-certfile", exists=True, dir_okay=False, readable=True,
        help="Serve HTTPS with this certificate (PEM, with its chain).")] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(
        "--ssl-keyfile", exists=True, dir_okay=False, readable=True,
        help="The certificate's private key (PEM), if not in the certificate file.")] = None,
    forwarded_allow_ips: Annotated[str | None, typer.Option(
        help="Addresses of the TLS proxy in front of the node (comma-separated): only "
             "from these are X-Forwarded-Proto and X-Forwarded-For believed.")] = None,
    workers: Annotated[int, typer.Option(
        min=1, max=64, help="Worker processes (more than one needs PostgreSQL).")] = 1,
    graceful_timeout: Annotated[float, typer.Option(
        min=0, help="On SIGTERM, seconds that requests under way have to finish.")] = 30,
) -> None:
    """Serve this node: web UI, REST API, federation endpoints, and background sync.

    Serve it over HTTPS (docs/operations.md, "TLS"): with --ssl-certfile and
    --ssl-keyfile, or behind a TLS proxy named with --forwarded-allow-ips. With
    --workers N on PostgreSQL, N processes serve and one of them runs the sync.
    Logs are JSON lines on standard error (docs/operations.md, "Logs").
    """
    import logging.config

    import uvicorn

    from acsa.logs import logging_config
    from acsa.web.app import create_app

    logging.config.dictConfig(logging_config())  # the migration's lines are JSON too
    with errors():
        current = settings()
        if workers > 1 and not (current.database_url or "").startswith("postgresql"):
            raise InvalidValue(
                f"--workers {workers} needs PostgreSQL (ACSA_DATABASE_URL): SQLite takes one "
                "writer at a time, so serve it with one worker", field="workers")
        options = serve_options(current, host, port, forwarded_allow_ips,
                                tls_options(ssl_certfile, ssl_keyfile), graceful_timeout)
        served = node()  # opened, its schema migrated, here: a problem is one line
        sync = sync and current.sync
        if workers > 1:
            served.engine.dispose()
            # Each worker builds the app from the environment, as this process did.
            os.environ["ACSA_SYNC"] = "true" if sync else "false"
            uvicorn.run("acsa.web.app:app_from_environment", factory=True, workers=workers,
                        **options)
            return
        background = []
        if sync:
            from acsa.federation.worker import background_sync

            background.append(background_sync(served, current))
        uvicorn.run(create_app(served, background=background), **options)


def serve_options(current: Settings, host: str | None, port: int | None,
                  forwarded_allow_ips: str | None, tls: dict[str, Any],
                  graceful_timeout: float) -> dict[str, Any]:
    """uvicorn's settings. Logs are JSON lines, one per request among them (uvicorn's own
    access log stays off: its lines would hold query strings). Forwarded headers are
    believed only from the proxy named. SIGTERM gives requests under way
    ``graceful_timeout`` seconds, then stops the background sync."""
    from acsa.logs import logging_config

    return {"host": host or current.host, "port": current.port if port is None else port,
            "log_config": logging_config(), "access_log": False,
            "proxy_headers": bool(forwarded_allow_ips),
            "forwarded_allow_ips": forwarded_allow_ips or None,
            "timeout_graceful_shutdown": graceful_timeout, **tls}

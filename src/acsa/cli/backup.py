"""``acsa backup``, ``acsa restore`` and ``acsa move-database``: a node's data kept for years."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from acsa.bootstrap import database_url
from acsa.cli.common import JsonOpt, emit, errors, fail, node, settings
from acsa.cli.root import app
from acsa.services.backup import make_backup, verify_backup
from acsa.services.move import move_database
from acsa.services.restore import LOCAL_NAMES, RestoreReport, display_url, restore

PASSPHRASE_ENV = "ACSA_BACKUP_PASSPHRASE"

backup_app = typer.Typer(help="Back this node up while it runs, and check a backup.",
                         invoke_without_command=True)
app.add_typer(backup_app, name="backup")


def passphrase(confirm: bool) -> str:
    """The key's passphrase: from $ACSA_BACKUP_PASSPHRASE, else asked for (never echoed)."""
    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        return given
    return str(typer.prompt("passphrase for the node key", hide_input=True,
                            confirmation_prompt=confirm))


@backup_app.callback()
def backup(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option(help="A new directory for the backup.")] = None,
    with_key: Annotated[bool, typer.Option(
        "--with-key", help="Include the node key, sealed with a passphrase "
                           f"(${PASSPHRASE_ENV}, or asked for).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Back this node up into a new directory while it runs: its database, identity and
    manifest; the node key only with --with-key, sealed with a passphrase."""
    if ctx.invoked_subcommand is not None:
        return
    with errors(as_json):
        if out is None:
            fail("give --out DIR (a new directory), or `acsa backup verify PATH`")
        current = node()
        try:
            manifest = make_backup(current, out, passphrase(True) if with_key else None)
        finally:
            current.engine.dispose()
        lines = [f"backed up the {manifest.party} node to {out} ({manifest.engine}, schema "
                 f"{manifest.schema_revision}, {manifest.counts.get('events', 0)} events)"]
        lines += [f"  {s}: seq {h['seq']} ({str(h['hash'])[:12]}…)"
                  for s, h in manifest.streams.items()]
        lines.append("  node key: sealed with the passphrase" if manifest.key_included else
                     "  node key: not included (keep node.key apart, or use --with-key)")
        emit(as_json, manifest.to_json(), "\n".join(lines))


@backup_app.command("verify")
def backup_verify(
    path: Annotated[Path, typer.Argument(help="A backup directory.")],
    as_json: JsonOpt = False,
) -> None:
    """Check a backup: every file's SHA-256, the manifest, every event, every projection."""
    with errors(as_json):
        check = verify_backup(path)
        manifest = check.manifest
        assert manifest is not None
        emit(as_json, {"ok": check.ok, "events": check.events, "problems": check.problems,
                       "manifest": manifest.to_json()},
             "\n".join([f"backup of the {manifest.party} node taken {manifest.created_at}: "
                        + (f"verified, {check.events} events, no problems" if check.ok
                           else f"{len(check.problems)} problem(s)")]
                       + [f"  - {p}" for p in check.problems]))
        if not check.ok:
            raise typer.Exit(2)


@app.command("restore")
def restore_command(
    path: Annotated[Path, typer.Argument(help="A backup directory (`acsa backup --out`).")],
    replace: Annotated[bool, typer.Option(
        help="Replace the database the node has (SQLite: renamed aside; PostgreSQL: its "
             "tables dropped).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Restore this node from a backup (the node stopped), and say what cannot come back."""
    with errors(as_json):
        current = settings()
        sealed = (path / "node.key.sealed").exists() and \
            not (current.data_dir / "node.key").exists()
        report = restore(path, current.data_dir, database_url(current),
                         passphrase=passphrase(False) if sealed else None, replace=replace)
        emit(as_json, report, "\n".join(report_lines(report)))
        if not report.verified:
            raise typer.Exit(2)


def report_lines(r: RestoreReport) -> list[str]:
    """The restore report as people read it."""
    lines = [f"restored the {r.party} node from the backup taken {r.backup_taken} into "
             f"{r.database}: {r.events} events; verify: "
             + ("no problems" if r.verified else f"{len(r.findings)} problem(s)")]
    lines += [f"  - {f}" for f in r.findings]
    lines.append("  this node's streams:")
    for s in (s for s in r.streams if s.own):
        text = f"    {s.stream}: restored to seq {s.restored}"
        if s.mark > s.restored:
            text += (f"; {s.mark} have left this node: seq {s.restored + 1}–{s.mark} to fetch "
                     "back from a partner, signing on it waits until then (`acsa sync now`, "
                     f"or import a file made with `acsa sync export --for {r.party}`)")
        lines.append(text)
    lines.append("  partners' streams (each partner sends what is missing at the next sync):")
    lines += [f"    {s.stream}: restored to seq {s.restored}"
              + (f" (the replaced database held {s.replaced})" if s.replaced else "")
              for s in r.streams if not s.own]
    lines.append("  cannot come back (local records written after the backup):")
    unknown = [LOCAL_NAMES[x.table] for x in r.lost if x.added is None]
    if unknown:
        lines.append(f"    {', '.join(unknown)}: whatever was written after "
                     f"{r.backup_taken} (the replaced database could not be read to count)")
    lines += [f"    {LOCAL_NAMES[x.table]}: {x.added} added, {x.changed} changed"
              for x in r.lost if x.added is not None and (x.added or x.changed)]
    if not unknown and not any(x.added or x.changed for x in r.lost):
        lines.append("    nothing: the replaced database held no later local record")
    lines += [f"  note: {n}" for n in r.notes]
    return lines


@app.command("move-database")
def move_database_command(
    to: Annotated[str, typer.Option("--to", help="The new, empty database: "
                                    "postgresql+psycopg://… or sqlite:////path/acsa.db")],
    as_json: JsonOpt = False,
) -> None:
    """Copy this node's database to another engine (the node stopped), checked on arrival."""
    with errors(as_json):
        current = settings()
        if not to.startswith(("sqlite", "postgresql")):
            fail("--to must be a sqlite:// or postgresql+psycopg:// URL")
        source = node()
        try:
            report = move_database(source, to, display_url(database_url(current)),
                                   display_url(to))
        finally:
            source.engine.dispose()
        lines = [f"copied {report.events} events and {sum(report.rows.values())} rows in "
                 f"{len(report.rows)} tables from {report.source} to {report.target}"]
        lines += [f"  {s}: seq {n}" for s, n in sorted(report.heads.items())]
        lines.append(f"  on arrival: same events, same hashes (log digest "
                     f"{report.log_digest[:16]}…); verify: "
                     + ("no problems" if report.verified else "FAILED"))
        lines += [f"  - {p}" for p in report.problems]
        if report.verified:
            lines.append(f"  now set ACSA_DATABASE_URL={report.target} and restart the node; "
                         "the old database is left as it was")
        emit(as_json, report, "\n".join(lines))
        if not report.verified:
            raise typer.Exit(2)

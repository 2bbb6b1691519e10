"""``acsa document``, ``acsa verify-document`` and ``acsa report export``: paper and downloads.

Printing a document and exporting a report read the node's books for one user (``--as
USER`` or ``ACSA_USER``): a document only of an order that user may read, a report of
only the orders they may read (need to know). Without a user both are refused.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from acsa.cli.common import AsOpt, JsonOpt, acting_user, emit, errors, fail, node, parse_day
from acsa.cli.ledger import report_app
from acsa.cli.root import app
from acsa.reports.tables import REPORT_KINDS, build_table, marking_line, render
from acsa.services import access_log, queries
from acsa.services.unit_of_work import UnitOfWork

EXIT_MISMATCH = 2  # the document does not match the record (like `acsa verify`)

document_app = typer.Typer(help="Print an order form, invoice, waybill or goods-received note.",
                           no_args_is_help=True)
app.add_typer(document_app, name="document")

OutOpt = Annotated[Path, typer.Option("--out", help="The PDF file to write.")]
RefOpt = Annotated[str | None, typer.Option(
    "--ref", help="Which invoice (number or hash prefix) or delivery (1, 2 … or hash prefix); "
                  "default the latest.")]


def _print(kind: str, number: str, out: Path, ref: str | None, as_user: str | None,
           as_json: bool) -> None:
    with errors(as_json), UnitOfWork(node()) as uow:
        # Imported here: fpdf costs ~0.3 s to import, and most commands print nothing.
        from acsa.reports.documents import render_pdf
        from acsa.services.documents import document_model

        user = acting_user(uow, as_user)
        queries.order_row(uow, user, number)  # need to know, before anything else
        model = document_model(uow, kind, number, ref=ref)
        # Printed at, in the acting user's time zone, as the pages print it.
        model = replace(model, printed_at=model.printed_at.astimezone(ZoneInfo(user.time_zone)))
        access_log.record_opening(uow, user, "document.read", number,
                                  f"{kind}{' ' + ref if ref else ''}", "cli")
        out.write_bytes(render_pdf(model))
        emit(as_json, {"kind": kind, "order": number, "out": out, "event": model.event.hash,
                       "payload": model.payload},
             f"wrote {out} ({kind} of {number}, printing event {model.event.hash[:12]})")


@document_app.command("order")
def document_order(number: str, out: OutOpt, as_user: AsOpt = None,
                   as_json: JsonOpt = False) -> None:
    """The order form: the version both parties signed (or the one submitted)."""
    _print("order", number, out, None, as_user, as_json)


@document_app.command("invoice")
def document_invoice(number: str, out: OutOpt, ref: RefOpt = None, as_user: AsOpt = None,
                     as_json: JsonOpt = False) -> None:
    """An invoice of the order."""
    _print("invoice", number, out, ref, as_user, as_json)


@document_app.command("waybill")
def document_waybill(number: str, out: OutOpt, ref: RefOpt = None, as_user: AsOpt = None,
                     as_json: JsonOpt = False) -> None:
    """The delivery waybill of one delivery."""
    _print("waybill", number, out, ref, as_user, as_json)


@document_app.command("grn")
def document_grn(number: str, out: OutOpt, ref: RefOpt = None, as_user: AsOpt = None,
                 as_json: JsonOpt = False) -> None:
    """The goods-received note of one delivery's receipt."""
    _print("grn", number, out, ref, as_user, as_json)


def read_qr_image(path: Path) -> str:
    """The text of the QR code in an image, read by ``zbarimg`` (Debian's zbar-tools)."""
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        fail("reading a QR image needs zbarimg: install the Debian package zbar-tools, "
             "or give the text with --payload")
    if not path.is_file():
        fail(f"{path}: no such file")
    result = subprocess.run([zbarimg, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable",
                             str(path)], capture_output=True, text=True, timeout=30,
                            check=False)
    codes = [line for line in result.stdout.splitlines() if line.strip()]
    if result.returncode != 0 or not codes:
        fail(f"{path}: no QR code found in the image")
    if len(codes) > 1:
        fail(f"{path}: {len(codes)} QR codes in the image; crop it to one")
    return codes[0]


@app.command("verify-document")
def verify_document_command(
    payload: Annotated[str | None, typer.Option(
        "--payload", help="The text of the document's QR code (also printed on it).")] = None,
    image: Annotated[Path | None, typer.Option(
        "--image", help="A photo or scan of the QR code (needs zbarimg).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a printed document against this node's record; exit 2 if it does not match."""
    if (payload is None) == (image is None):
        fail("give exactly one of --payload TEXT or --image FILE")
    text = payload if payload is not None else read_qr_image(image)  # type: ignore[arg-type]
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        from acsa.services.documents import check_as_data, verify_document

        check = verify_document(uow, text)

        def human() -> None:
            if check.ok:
                typer.echo("MATCHES the record")
                for sentence in check.proves_text():
                    typer.echo(f"  - {sentence}")
                for what, value in check.summary:
                    typer.echo(f"    {what}: {value}")
            else:
                typer.echo("does NOT match the record", err=True)
                for f in check.findings:
                    typer.echo(f"  - {f.code}: {f.message}", err=True)

        emit(as_json, check_as_data(check), human)
        if not check.ok:
            raise typer.Exit(EXIT_MISMATCH)


class Format(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


@report_app.command("export")
def report_export(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(REPORT_KINDS)}.")],
    format: Annotated[Format, typer.Option("--format", help="csv or xlsx.")],
    out: Annotated[Path, typer.Option("--out", help="The file to write.")],
    partner: Annotated[str | None, typer.Option(help="Partner party (statement, registers).")]
    = None,
    currency: Annotated[str | None, typer.Option(help="Only this currency (statement).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Cut-off date YYYY-MM-DD (year-end, aging) or ceiling date "
        "(ceilings).")] = None,
    year: Annotated[int | None, typer.Option(
        help="Fiscal year (year-end; annual, of your nation).")] = None,
    party: Annotated[str | None, typer.Option(help="Whose fiscal year (year-end).")] = None,
    locale: Annotated[str, typer.Option(help="Column titles in en or ja.")] = "en",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a report of the orders the user may read as CSV or XLSX: statement, registers,
    aging, obligations, ceilings …"""
    with errors(as_json):
        with UnitOfWork(node(), write=False) as uow:
            user = acting_user(uow, as_user)
            day: date | None = parse_day(as_of, "as_of")
            params: dict[str, object] = {}
            if partner:
                params["partner"] = partner
            if currency:
                params["currency"] = currency
            if kind == "year-end":
                params.update(as_of=day, year=year, party=party)
            elif kind == "annual":
                params["year"] = year
            elif kind == "ceilings" and day:
                params["on"] = day
            elif kind == "aging" and day:
                params["as_of"] = day
            table = build_table(uow, user, kind, **params)
            data = render(table, format.value, locale)
            out.write_bytes(data)
        access_log.record_export(uow.node, user, f"{kind}.{format.value} {out.name}",
                                 marking_line(table), "cli")
        emit(as_json, {"kind": kind, "format": format.value, "out": out, "bytes": len(data)},
             f"wrote {out} ({kind}, {len(data)} bytes)")

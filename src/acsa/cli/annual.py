"""``acsa report annual``: the annual report of cross-servicing, printed or written to a file.

Read for one user (``--as USER`` or ``ACSA_USER``): only the orders that user may read
count (need to know). ``--fiscal-year`` is of the user's nation (Japan April–March, the
Philippines the calendar year, the United States October–September); an order counts in
the year of its acceptance date (docs/documents.md, "Annual report of cross-servicing").
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from acsa.cli.common import AsOpt, JsonOpt, acting_user, emit, errors, grouped, node, table
from acsa.cli.ledger import report_app
from acsa.reports.tables import ReportTable, build_table, marking_line, render
from acsa.services import access_log
from acsa.services.unit_of_work import UnitOfWork


class AnnualFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    pdf = "pdf"


def _print(data: ReportTable) -> None:
    p = data.parameters
    marking = marking_line(data)
    if marking:
        typer.echo(marking)
    typer.echo(f"Annual report {p['fiscal year']} of {p['party']} ({p['from']} – {p['to']}), "
               f"as of {p['as of']}; orders placed by acceptance date")
    if not data.rows:
        typer.echo("no order accepted in this fiscal year that you may read")
        return
    table([[r["row"], r["direction"], r["partner"] or "*", r["method"] or "*",
            r["category"] or "*", r["currency"], str(r["orders"]), grouped(r["value"].text()),
            grouped(r["received"].text())] for r in data.as_dicts()],
          ["row", "direction", "partner", "method", "category", "cur", "orders",
           "agreed value", "delivered+acknowledged"])
    if marking:
        typer.echo(marking)


@report_app.command("annual")
def report_annual(
    fiscal_year: Annotated[str, typer.Option(
        "--fiscal-year", help="FY2026 (or 2026): your nation's fiscal year.")],
    format: Annotated[AnnualFormat | None, typer.Option(
        "--format", help="csv, xlsx or pdf (bilingual); without it the rows are printed.")]
    = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="The file to write (default acsa-PARTY-annual-FY2026.FORMAT).")] = None,
    locale: Annotated[str, typer.Option(help="Column titles in en or ja (CSV, XLSX).")] = "en",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Yearly totals per partner, category and method of the support your nation received
    (acquisitions) and provided (transfers), over the orders you may read."""
    with errors(as_json):
        with UnitOfWork(node(), write=False) as uow:
            user = acting_user(uow, as_user)
            data = build_table(uow, user, "annual", fiscal_year=fiscal_year)
            label = data.parameters["fiscal year"]
            if format is None:
                emit(as_json, {"parameters": dict(data.parameters), "marking": marking_line(data),
                               "rows": [{**r, "value": r["value"].text(),
                                         "received": r["received"].text()}
                                        for r in data.as_dicts()]}, lambda: _print(data))
                return
            content = render(data, format.value, locale)
            path = out or Path(f"acsa-{uow.node.party}-annual-{label}.{format.value}")
            path.write_bytes(content)
        access_log.record_export(uow.node, user, f"annual.{format.value} {path.name}",
                                 marking_line(data), "cli")
        emit(as_json, {"kind": "annual", "fiscal_year": label, "format": format.value,
                       "out": path, "bytes": len(content), "rows": len(data.rows)},
             f"wrote {path} (annual report {label}, {len(data.rows)} rows, "
             f"{len(content)} bytes)")

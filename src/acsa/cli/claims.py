"""``acsa claim``: receivables into the nation's books (claim notices, 債権発生通知書).

``list`` shows this node's receivables with their notice state, ``pending`` the
exception report of those whose notice has not reached the revenue collection officer
(歳入徴収官), ``notice`` prints one notice as PDF, ``mark-sent`` records that it was
sent, and ``export`` writes the JSON for the nation's accounting system
(docs/national-accounting.md). Every one reads only the orders the user may read.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from acsa.cli.common import (
    AsOpt,
    JsonOpt,
    OnOpt,
    acting_user,
    emit,
    errors,
    grouped,
    node,
    parse_day,
)
from acsa.cli.common import table as print_table
from acsa.cli.root import app
from acsa.domain.money import Money
from acsa.services import access_log, claims, users
from acsa.services.unit_of_work import UnitOfWork

claim_app = typer.Typer(
    help="Claim notices: receivables into the nation's accounting (債権発生通知書).",
    no_args_is_help=True)
app.add_typer(claim_app, name="claim")

InvoiceArg = Annotated[str, typer.Argument(help="The invoice number (INV/…) or a hash prefix.")]


def _row(r: claims.Receivable, today: date) -> dict[str, Any]:
    return {
        "invoice": r.invoice, "order": r.order, "kind": r.kind, "debtor": r.debtor,
        "issued_on": r.issued_on, "due_on": r.due_on, "currency": r.currency,
        "amount": Money(r.currency, r.total).text(),
        "outstanding": Money(r.currency, r.outstanding).text(),
        "days_since_invoice": r.days_since_invoice(today),
        "state": "void" if not r.live else "sent" if r.notice else "not sent",
        "notice": r.notice,
    }


def _show(pending_only: bool, as_user: str | None, as_json: bool) -> None:
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        user = acting_user(uow, as_user)
        found = claims.pending(uow, user) if pending_only else claims.receivables(uow, user)
        today = users.today_of(uow, user)
        rows = [_row(r, today) for r in found]

        def human() -> None:
            if not rows:
                typer.echo("no receivable awaits its claim notice" if pending_only
                           else "no receivable")
                return
            print_table([[r["invoice"], r["order"], r["debtor"], str(r["issued_on"]),
                          str(r["days_since_invoice"]), f"{grouped(r['amount'])} {r['currency']}",
                          str(r["due_on"]), _state(r)] for r in rows],
                        ["INVOICE", "ORDER", "DEBTOR", "ISSUED", "DAYS", "AMOUNT", "DUE",
                         "NOTICE"])

        emit(as_json, {"as_of": today, "receivables": rows}, human)


def _state(row: dict[str, Any]) -> str:
    notice = row["notice"]
    if notice is None:
        return str(row["state"])
    return f"sent {notice.sent_on} to {notice.sent_to}"


@claim_app.command("list")
def claim_list(as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Every receivable of this node (invoices it issued), with its notice state."""
    _show(False, as_user, as_json)


@claim_app.command("pending")
def claim_pending(as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """The exception report: receivables whose claim notice is not yet sent, oldest first,
    with the days since the invoice."""
    _show(True, as_user, as_json)


@claim_app.command("notice")
def claim_notice(
    invoice: InvoiceArg,
    output: Annotated[Path | None, typer.Option(
        "--output", "--out", help="The PDF file (default claim-notice-INVOICE.pdf).")] = None,
    as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """Print the claim notice of a receivable as a bilingual PDF (a finance officer)."""
    with errors(as_json), UnitOfWork(node()) as uow:
        from acsa.reports.claim_notice import render_notice  # fpdf is slow to import

        user = acting_user(uow, as_user)
        model = claims.notice_model(uow, user, invoice, address="cli")
        printed = model.document.printed_at.astimezone(ZoneInfo(user.time_zone))
        model = replace(model, document=replace(model.document, printed_at=printed))
        out = output or Path(f"claim-notice-{model.receivable.invoice.replace('/', '-')}.pdf")
        out.write_bytes(render_notice(model))
        emit(as_json, {"invoice": model.receivable.invoice, "order": model.receivable.order,
                       "out": out, "payload": model.document.payload},
             f"wrote {out} (claim notice of {model.receivable.invoice}, "
             f"{model.receivable.order})")


@claim_app.command("mark-sent")
def claim_mark_sent(
    invoice: InvoiceArg,
    to: Annotated[str, typer.Option("--to", help="To whom it was sent: the revenue "
                                    "collection officer (歳入徴収官) and office.")],
    on: OnOpt = None,
    note: Annotated[str, typer.Option("--note", help="Reference, letter number …")] = "",
    as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """Record that a receivable's claim notice was sent (a finance officer; once)."""
    with errors(as_json), UnitOfWork(node()) as uow:
        user = acting_user(uow, as_user)
        r = claims.mark_sent(uow, user, invoice, to=to, on=parse_day(on), note=note,
                             address="cli")
        assert r.notice is not None
        emit(as_json, {"invoice": r.invoice, "order": r.order, "notice": r.notice},
             f"{r.invoice}: claim notice sent on {r.notice.sent_on} to {r.notice.sent_to}")


@claim_app.command("export")
def claim_export(
    out: Annotated[Path | None, typer.Option(
        "--out", help="The JSON file to write (default: standard output).")] = None,
    as_user: AsOpt = None,
) -> None:
    """Receivables, payables, payments and confirmations as JSON for the nation's accounting
    system (schema acsa-national-accounting/1, docs/national-accounting.schema.json)."""
    with errors(), UnitOfWork(node(), write=False) as uow:
        user = acting_user(uow, as_user)
        data = claims.accounting_export(uow, user)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    access_log.record_export(uow.node, user, f"national-accounting.json "
                             f"{out.name if out else '-'}", claims.export_marking(data), "cli")
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out} ({len(data['invoices'])} invoices, "
                   f"{len(data['payments'])} payments)")

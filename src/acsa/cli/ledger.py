"""``acsa verify``, ``rebuild``, ``report`` and ``export``: checking and reading the ledger.

A report or an export is read by one user (``--as USER`` or ``ACSA_USER``) and holds only
the orders that user may read (need to know); without a user it is refused.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from acsa.cli.common import (
    AsOpt,
    JsonOpt,
    acting_user,
    emit,
    errors,
    grouped,
    node,
    parse_day,
    table,
)
from acsa.cli.root import app
from acsa.domain.aging_buckets import AGING_BUCKETS
from acsa.domain.money import Money
from acsa.domain.postings import AccountKind
from acsa.services import totals, users
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.workers import default_workers

if TYPE_CHECKING:
    from acsa.services import reports

# The balances and the aging totals are read from the totals kept per reader class
# (services/totals.py); the commands that fold orders (verify, rebuild, the other reports)
# import what folds when they run, so that a report starts without loading the fold.

report_app = typer.Typer(help="Balances, aging, obligations in kind, ceilings.",
                         no_args_is_help=True)
app.add_typer(report_app, name="report")


WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", min=1,
    help="Processes to check and fold in (default: one per processor; 1: this process only).")]


def _many(n: int, noun: str) -> str:
    """``1 order``, ``2 orders``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _workers(workers: int | None) -> int:
    return workers if workers is not None else default_workers()


@app.command()
def verify(as_json: JsonOpt = False, workers: WorkersOpt = None) -> None:
    """Re-check every hash, link, signature and tree head; re-fold and compare projections."""
    from acsa.services.verify import verify_node

    with errors(as_json), UnitOfWork(node()) as uow:
        # The re-fold is rolled back: verify changes nothing.
        report = verify_node(uow, workers=_workers(workers))
        data = {"ok": report.ok, "events": report.events, "streams": report.streams,
                "orders": report.orders, "findings": [str(f) for f in report.findings]}

        def human() -> None:
            if report.ok:
                typer.echo(f"verified: {_many(report.events, 'event')} in "
                           f"{_many(report.streams, 'stream')}, "
                           f"{_many(report.orders, 'order')} re-folded; no problems")
            else:
                typer.echo(f"verification FAILED: {len(report.findings)} problem(s)", err=True)
                for f in report.findings:
                    typer.echo(f"  - {f}", err=True)

        emit(as_json, data, human)
        if not report.ok:
            raise typer.Exit(2)


@app.command()
def rebuild(as_json: JsonOpt = False, workers: WorkersOpt = None) -> None:
    """Recreate every projection from the log."""
    from acsa.services import verify as verification

    with errors(as_json), UnitOfWork(node()) as uow:
        orders = verification.rebuild(uow, workers=_workers(workers))
        emit(as_json, {"orders": orders}, f"rebuilt projections of {orders} orders from the log")


@report_app.command("balances")
def report_balances(as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """What each party owes the other, per currency, account by account."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        rows = totals.balances(uow, acting_user(uow, as_user))
        kinds = [k.value for k in AccountKind if k is not AccountKind.CONTROL]
        data = [{"debtor": r.debtor, "creditor": r.creditor, "currency": r.currency,
                 "outstanding": Money(r.currency, r.outstanding).text(),
                 **{k: r.text(k) for k in kinds}} for r in rows]
        emit(as_json, data, lambda: table(
            [[f"{r.debtor}→{r.creditor}", r.currency,
              grouped(Money(r.currency, r.outstanding).text()),
              *[grouped(r.text(k)) for k in kinds]]
             for r in rows],
            ["owed", "cur", "outstanding", *kinds]))


@report_app.command("aging")
def report_aging(
    as_user: AsOpt = None, as_json: JsonOpt = False,
    detail: Annotated[bool, typer.Option(help="List every item.")] = False,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Aging at the end of this day, YYYY-MM-DD: what was open then (events "
        "dated on or before it), aged at that date (default: now).")] = None,
) -> None:
    """Open items by how late they are, counted in each debtor's time zone (or at --as-of)."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        day = parse_day(as_of, "as_of")
        user = acting_user(uow, as_user)
        if day is None and not (detail or as_json):  # the totals only: kept per reader class
            rows, summary = [], totals.aging_totals(uow, user, uow.node.clock)
        else:
            from acsa.services import reports

            rows = reports.aging(uow, user, uow.node.clock, as_of=day)
            summary = reports.aging_summary(rows)
        buckets = [name for _, name in AGING_BUCKETS]
        data = {
            "as_of": day,
            "summary": [{"debtor": d, "creditor": c, "currency": cur,
                         **{b: Money(cur, v[b]).text() for b in buckets}}
                        for (d, c, cur), v in sorted(summary.items())],
            "items": [{"order": r.order, "kind": r.kind, "reference": r.reference,
                       "debtor": r.debtor, "due_on": r.due_on, "days": r.days,
                       "bucket": r.bucket, "amount": str(r.amount) if r.amount else None}
                      for r in rows],
        }

        def human() -> None:
            if day:
                typer.echo(f"as of {day.isoformat()}")
            table([[f"{d}→{c}", cur, *[grouped(Money(cur, v[b]).text()) for b in buckets]]
                   for (d, c, cur), v in sorted(summary.items())], ["owed", "cur", *buckets])
            if detail:
                typer.echo("")
                table([[r.order, r.kind, r.reference[:28], r.debtor, str(r.due_on or "no deadline"),
                        str(r.days), grouped(r.amount or "-")] for r in rows],
                      ["order", "kind", "reference", "debtor", "due", "days", "amount"])

        emit(as_json, data, human)


@report_app.command("obligations")
def report_obligations(as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Supplies owed in kind, with their return deadlines."""
    from acsa.services import reports

    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        rows = reports.obligations(uow, acting_user(uow, as_user))
        emit(as_json, rows, lambda: table(
            [[r.order, str(r.line), r.item[:30], f"{r.owed} {r.unit}", str(r.due_on or "-"),
              f"{r.debtor}→{r.creditor}"] for r in rows],
            ["order", "line", "item", "owed", "due", "owed by"]))


@report_app.command("ceilings")
def report_ceilings(
    on: Annotated[str | None, typer.Option(help="A date in the fiscal year (default today).")]
    = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Use of each annual ceiling in the fiscal year containing a date."""
    from acsa.services import reports

    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        user = acting_user(uow, as_user)
        day = parse_day(on) or users.today_of(uow, user)
        rows = reports.ceilings(uow, user, day)
        emit(as_json, rows, lambda: table(
            [[r.agreement, f"{r.party} {r.direction} toward {r.partner}", f"FY{r.fiscal_year}",
              "-" if r.missing_rate else grouped(r.used), grouped(r.cap),
              counted_across(r), "suspended" if r.suspended else "",
              r.missing_rate.message if r.missing_rate else ""]
             for r in rows],
            ["agreement", "ceiling", "year", "used", "cap", "counts orders of", "", ""]))


def counted_across(row: reports.CeilingRow) -> str:
    """Which agreements' orders a ceiling counts, as the command line says it."""
    if row.scope == "country":
        return f"{row.partner}, across {', '.join(row.agreements)}"
    return "this agreement"


class Format(StrEnum):
    csv = "csv"
    json = "json"
    ledger = "ledger"
    beancount = "beancount"


@app.command("export")
def export(
    format: Annotated[Format, typer.Option(
        "--format", help="csv, json, ledger or beancount.")],
    as_user: AsOpt = None,
) -> None:
    """Write the postings the user may read to standard output: CSV, JSON, or a journal
    for `ledger` or Beancount."""
    # Imported here: of this module's commands only an export records itself in the access
    # log (which loads the login services), and the reports start sooner without them.
    from acsa.services import access_log, exports, markings

    with errors():
        with UnitOfWork(node(), write=False) as uow:
            user = acting_user(uow, as_user)
            chunks = {
                Format.csv: exports.postings_csv,
                Format.json: exports.postings_json,
                Format.ledger: exports.ledger_journal,
                Format.beancount: exports.beancount_journal,
            }[format](uow, user)
            for chunk in chunks:
                sys.stdout.write(chunk)
            marking = markings.line(markings.readable_marking(uow, user))
        access_log.record_export(uow.node, user, f"postings.{format.value}", marking, "cli")

"""``acsa security``: a security officer's records.

``transmissions`` lists what left this node for which party (security officers and
administrators). ``compromise`` reports a suspected loss or compromise of a
partner's information to its originator and takes the report's later steps:
``acknowledge`` (the originator), ``assess`` (either party), ``close`` (the
originator); ``list`` and ``show`` read them (security officers, and the officer who
filed a report).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from acsa.cli.common import AsOpt, JsonOpt, acting_user, emit, errors, node, parse_day, table
from acsa.cli.root import app
from acsa.services import compromise, transmissions
from acsa.services.unit_of_work import UnitOfWork

security_app = typer.Typer(help="Security officers' records: transmissions, loss or "
                                "compromise reports.", no_args_is_help=True)
compromise_app = typer.Typer(help="Loss or compromise reports: reported to the originator, "
                                  "acknowledged, assessed, closed.", no_args_is_help=True)
app.add_typer(security_app, name="security")
security_app.add_typer(compromise_app, name="compromise")

ReportArg = Annotated[str, typer.Argument(help="The report, e.g. LC/JPN/00001.")]


@security_app.command("transmissions")
def transmissions_command(
    peer: Annotated[str | None, typer.Option(help="Only those sent to this party.")] = None,
    since: Annotated[str | None, typer.Option(help="Only those since this day (YYYY-MM-DD).")]
    = None,
    limit: Annotated[int, typer.Option(min=1, max=transmissions.LIST_ROWS_MAX)] = 100,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What left this node for which party, when, by which channel: streams, sequence
    ranges and the highest marking, never the content."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        actor = acting_user(uow, as_user)
        found = transmissions.list_transmissions(uow, actor, peer=peer,
                                                 since=parse_day(since, "since"), limit=limit)
        rows = [t.as_view() for t in found]
        emit(as_json, rows, lambda: table(
            [[str(t.id), t.at, t.recipient, t.channel, t.route, str(t.events),
              "; ".join(f"{s.stream} {s.first}–{s.last} ({s.count})" for s in t.streams),
              t.highest, t.initiated_by] for t in found],
            ["#", "at", "to", "channel", "route", "events", "streams", "highest",
             "initiated by"]))


@compromise_app.command("report")
def report_command(
    what_happened: Annotated[str, typer.Option("--what", help="What happened.")],
    discovered_on: Annotated[str, typer.Option("--discovered-on",
                                               help="When it was discovered (YYYY-MM-DD).")],
    highest_marking: Annotated[str, typer.Option(
        "--highest-marking", help="The highest level involved, in the originator's scheme.")],
    order: Annotated[list[str] | None, typer.Option(
        "--order", help="An order involved (repeat for several).")] = None,
    event: Annotated[list[str] | None, typer.Option(
        "--event", help="An event involved, by hash (repeat for several).")] = None,
    agreement: Annotated[str | None, typer.Option(
        help="The agreement (default: the orders'); the originator is its other party.")]
    = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Report a suspected loss or compromise to the originator (a security officer)."""
    with errors(as_json), UnitOfWork(node()) as uow:
        user = acting_user(uow, as_user)
        stored = compromise.report_compromise(uow, user, {
            "agreement": agreement, "orders": order or [], "events": event or [],
            "what_happened": what_happened, "discovered_on": discovered_on,
            "highest_marking": highest_marking})
        view = compromise.show_view(uow, user, stored.envelope.subject)
        emit(as_json, view, f"report {view['id']} signed for {view['reporter']} (event "
             f"{stored.hash[:8]}…); it reaches {view['originator']} with the next sync")


def _step_done(as_json: bool, uow: UnitOfWork, user: Any, report_id: str, what: str) -> None:
    view = compromise.show_view(uow, user, report_id)
    emit(as_json, view, f"report {report_id} {what}: now {view['status']}")


@compromise_app.command("acknowledge")
def acknowledge_command(report_id: ReportArg, as_user: AsOpt = None,
                        as_json: JsonOpt = False) -> None:
    """Acknowledge a report of a loss of our information (the originator's officer)."""
    with errors(as_json), UnitOfWork(node()) as uow:
        user = acting_user(uow, as_user)
        compromise.acknowledge_report(uow, user, report_id)
        _step_done(as_json, uow, user, report_id, "acknowledged")


@compromise_app.command("assess")
def assess_command(
    report_id: ReportArg,
    assessment: Annotated[str, typer.Option(help="The assessment of what was lost and its harm.")],
    as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """Record the assessment of an acknowledged report (either party's officer)."""
    with errors(as_json), UnitOfWork(node()) as uow:
        user = acting_user(uow, as_user)
        compromise.assess_report(uow, user, report_id, assessment)
        _step_done(as_json, uow, user, report_id, "assessed")


@compromise_app.command("close")
def close_command(
    report_id: ReportArg,
    note: Annotated[str, typer.Option(help="The originator's closing note.")] = "",
    as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """Close an assessed report (the originator's officer)."""
    with errors(as_json), UnitOfWork(node()) as uow:
        user = acting_user(uow, as_user)
        compromise.close_report(uow, user, report_id, note)
        _step_done(as_json, uow, user, report_id, "closed")


def _line(v: dict[str, Any]) -> str:
    nxt = f"; next: {v['next_step']} by {v['next_by']}" if v["next_step"] else ""
    return (f"{v['id']}  {v['status'].upper()}  reported by {v['reporter']} on "
            f"{v['reported_on']} to {v['originator']}; highest {v['originator']} "
            f"{v['highest_marking']}{nxt}")


@compromise_app.command("list")
def list_command(
    open_only: Annotated[bool, typer.Option("--open", help="Only reports not closed.")] = False,
    as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """The reports you may read, newest first."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        rows = compromise.list_views(uow, acting_user(uow, as_user), open_only=open_only)

        def human() -> None:
            if not rows:
                typer.echo("no loss or compromise reports")
            for r in rows:
                typer.echo(_line(r))

        emit(as_json, rows, human)


@compromise_app.command("show")
def show_command(report_id: ReportArg, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """One report: what happened, what it involves, each step and who took it."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        view = compromise.show_view(uow, acting_user(uow, as_user), report_id)

        def human() -> None:
            typer.echo(_line(view))
            typer.echo(f"  agreement: {view['agreement']}")
            typer.echo(f"  discovered on: {view['discovered_on']}")
            typer.echo(f"  orders: {', '.join(view['orders']) or '-'}")
            typer.echo(f"  events: {', '.join(e[:16] for e in view['events']) or '-'}")
            typer.echo(f"  what happened: {view['what_happened']}")
            for s in view["steps"]:
                text = f": {s['text']}" if s["text"] else ""
                typer.echo(f"  {s['step']} by {s['party']} ({s['name']}) on {s['on']}{text}")
            for bad in view["ineffective"]:
                typer.echo(f"  ineffective {bad['event'][:12]}: {bad['reason']}")

        emit(as_json, view, human)

"""``acsa consent`` and ``acsa release``: the originator's consent, and release packages.

A security officer asks every originator of an order's events to consent to
releasing it to a third nation (``consent request``); each originator's
security officer answers for its own events (``consent grant`` / ``consent
refuse``). Once all have consented, ``release send`` builds the package and
sends it to the third nation's node (or writes it to a file with ``--out``);
the third nation's security officer imports a file with ``release import``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from acsa.cli.common import AsOpt, JsonOpt, acting_user, emit, errors, node, settings
from acsa.cli.root import app
from acsa.federation.release import send_release
from acsa.reading import read_bounded
from acsa.services import consent, releases
from acsa.services.unit_of_work import UnitOfWork

consent_app = typer.Typer(
    help="The originator's consent to release an order to a third nation.",
    no_args_is_help=True)
app.add_typer(consent_app, name="consent")
release_app = typer.Typer(
    help="Release packages: an order's consented events for a third nation.",
    no_args_is_help=True)
app.add_typer(release_app, name="release")

OrderArg = Annotated[str, typer.Argument(help="The order, e.g. JP-PH/PHL/FY2026/00001.")]
RequestArg = Annotated[str, typer.Argument(help="The request: its event hash.")]


@consent_app.command("request")
def consent_request(
    order: OrderArg,
    reason: Annotated[str, typer.Option(help="Why it is needed.")],
    to: Annotated[str, typer.Option("--to", help="The third nation, e.g. USA.")] = "",
    action: Annotated[str, typer.Option(
        help="release (to --to), downgrade (to --level) or declassify.")] = "release",
    level: Annotated[str, typer.Option(
        help="For a downgrade: the new level, of your party's scheme.")] = "",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask every originator of the order's events to consent to its release to a third
    nation, or to its downgrading or declassification."""
    with errors(as_json), UnitOfWork(node()) as uow:
        event = consent.request_consent(uow, acting_user(uow, as_user), order, recipient=to,
                                        reason=reason, action=action, level=level)
        data = event.envelope.data
        what = (f"release {order} to {data['recipient']}" if action == "release"
                else f"{action} {order} to {data['level']}")
        emit(as_json, {"request": event.hash, "order": order, "action": action,
                       "recipient": data.get("recipient"), "level": data.get("level"),
                       "originators": list(data["originators"])},
             f"consent to {what} requested (request {event.hash}); originators to answer: "
             f"{', '.join(data['originators'])}")


@consent_app.command("grant")
def consent_grant(request: RequestArg, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Consent, for this node's party, to the request (for its own events of the order)."""
    with errors(as_json), UnitOfWork(node()) as uow:
        event = consent.grant_consent(uow, acting_user(uow, as_user), request)
        count = len(event.envelope.data["events"])
        emit(as_json, {"event": event.hash, "request": request, "events": count},
             f"consent granted for {count} event(s) of {event.envelope.data['order']} "
             f"(event {event.hash[:8]}…)")


@consent_app.command("refuse")
def consent_refuse(request: RequestArg,
                   reason: Annotated[str, typer.Option(help="Why not.")],
                   as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Refuse, for this node's party, the request: nothing of the order is released."""
    with errors(as_json), UnitOfWork(node()) as uow:
        event = consent.refuse_consent(uow, acting_user(uow, as_user), request, reason=reason)
        emit(as_json, {"event": event.hash, "request": request},
             f"consent refused (event {event.hash[:8]}…)")


@consent_app.command("list")
def consent_list(order: Annotated[str | None, typer.Option(help="Only this order.")] = None,
                 as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Every request on the orders you may read, with each originator's answer."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        rows = consent.list_views(uow, acting_user(uow, as_user), order)

        def human() -> None:
            if not rows:
                typer.echo("no consent requests")
            for r in rows:
                typer.echo(consent_line(r))

        emit(as_json, rows, human)


def consent_line(r: dict[str, Any]) -> str:
    answers = ", ".join(f"{a['party']} {a['answer']} on {a['on']}" for a in r["answers"])
    return (f"{r['request'][:12]}  {r['order']}  {r['action']} to "
            f"{r['recipient'] or r['level']}: "
            f"{r['status'].upper()} (asked by {r['requested_by']} on {r['requested_on']}; "
            f"originators {', '.join(r['originators'])}"
            f"{'; ' + answers if answers else ''})")


@release_app.command("send")
def release_send(
    order: OrderArg,
    to: Annotated[str, typer.Option("--to", help="The third nation, e.g. USA.")],
    out: Annotated[Path | None, typer.Option(
        help="Write the package to this file instead of sending it.")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send the order's release package to the third nation (every originator consented)."""
    with errors(as_json):
        sent = send_release(node(), as_user or settings().user or "", order, to, out=out)
        emit(as_json, sent,
             f"release of {order} to {to}: {sent['events']} event(s) and "
             f"{sent['consents']} consent event(s) sent to {sent['sent_to']}")


@release_app.command("import")
def release_import(file: Annotated[Path, typer.Argument(help="The package (JSON).")],
                   as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Verify a package released to this node's nation and hold it, read-only."""
    with errors(as_json), UnitOfWork(node()) as uow:
        raw = read_bounded(file, releases.PACKAGE_BYTES_MAX, field="file")
        held = releases.hold_release(uow, acting_user(uow, as_user), raw, source=str(file))
        emit(as_json, held,
             f"release {held['id']} held: {held['order']} from {' and '.join(held['originators'])}"
             f", {held['events']} event(s), every signature and proof verified")


@release_app.command("list")
def release_list(as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """The packages this node holds as a third nation, and those it sent."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        rows = releases.list_views(uow, acting_user(uow, as_user))

        def human() -> None:
            if not rows:
                typer.echo("no releases")
            for r in rows:
                typer.echo(release_line(r))

        emit(as_json, rows, human)


def release_line(r: dict[str, Any]) -> str:
    way = "sent to " + r["counterpart"] if r["direction"] == "sent" else "held from " + \
        " and ".join(r["originators"])
    return (f"{r['id']}  {r['direction'].upper()}  {r['order']} for {r['recipient']}: "
            f"{r['events']} event(s), {way}, {r['recorded_at']}")


@release_app.command("show")
def release_show(release_id: Annotated[int, typer.Argument(help="The release's number.")],
                 as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """One package, read-only: its consents and events as signed."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        view = releases.show_view(uow, release_id, acting_user(uow, as_user))

        def human() -> None:
            typer.echo(release_line(view))
            for e in view["entries"]:
                typer.echo(f"  {e['part'][:-1]:<7} {e['stream']} #{e['seq']:<4} {e['type']:<22} "
                           f"{e['at']}  {e['actor'] or ''}  {e['hash'][:12]}")

        emit(as_json, view, human)

"""``acsa paper``: a partner without a node, its steps recorded here from signed paper.

When an agreement's profile says the other party signs on paper, its written
appointments are published by this node (``acsa paper appoint``, the letter
attached), and each of its officials' steps is recorded from the signed form,
scanned and attached, by a local official who attests the copy (``acsa paper
record``: the acting user is the attester). The record says plainly that the
partner's signature is on paper. ``acsa paper list`` shows the paper partners
and their appointments, ``acsa paper steps`` what the partner may do on an order
now. Each command is one transaction: a refused one keeps no file.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any

import typer

from acsa.cli.admin import AgreementFilter, AgreementOpt, event_data, required_day, short
from acsa.cli.common import (
    AsOpt,
    JsonOpt,
    OnOpt,
    acting_user,
    emit,
    errors,
    node,
    parse_day,
    table,
)
from acsa.cli.orders import NumberArg, pairs, parent, receipt_lines, run
from acsa.cli.root import app
from acsa.domain.errors import InvalidValue
from acsa.reading import read_bounded
from acsa.services import paper
from acsa.services.recording import StoredEvent
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser

paper_app = typer.Typer(
    help="A partner that signs on paper: its appointments and its steps, from signed forms.",
    no_args_is_help=True)
app.add_typer(paper_app, name="paper")

PartyOpt = Annotated[str | None, typer.Option(
    "--party", help="The partner that signs on paper (default: the other party).")]
StepOpt = Annotated[str, typer.Option(
    "--step", help=f"The partner's step: {', '.join(paper.STEPS)}.")]


def kept(uow: UnitOfWork, files: list[Path] | None) -> list[dict[str, Any]]:
    """Each scanned form, kept in this transaction: what the event cites of it."""
    return [paper.attach_evidence(uow, path.name, None, read_bounded(
        path, paper.EVIDENCE_BYTES_MAX, field="evidence")) for path in files or ()]


def parse_limits(values: list[str] | None) -> dict[str, str] | None:
    """``USD=250000`` → ``{"USD": "250000"}``; none given: no limit."""
    out = {}
    for text in values or ():
        currency, sep, amount = text.partition("=")
        if not sep or not currency.strip() or not amount.strip():
            raise InvalidValue(f"{text!r} is not CURRENCY=AMOUNT", field="limit")
        out[currency.strip().upper()] = amount.strip()
    return out or None


def options(table: dict[str, tuple[Any, Any]]) -> Callable[[Command], Command]:
    """Give a command its options from a table, name → (annotation, default; ``...`` when
    required), as the signature Typer reads. A paper step takes more options than a
    function should take arguments; the command receives them as one mapping."""
    def give(command: Command) -> Command:
        command.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                              default=inspect.Parameter.empty if default is ... else default)
            for name, (annotation, default) in table.items()])
        return command
    return give


Command = Callable[..., None]
Required: Any = ...


@paper_app.command("appoint")
@options({
    "user_id": (Annotated[str, typer.Argument(
        help="The partner's official, e.g. usa.hayes.")], Required),
    "agreement": (AgreementOpt, Required),
    "name": (Annotated[str, typer.Option(help="Name and rank, as the letter gives them.")],
             Required),
    "role": (Annotated[str, typer.Option(help="The role, e.g. approving_official.")],
             Required),
    "valid_from": (Annotated[str, typer.Option(
        "--from", help="First day in force (YYYY-MM-DD).")], Required),
    "letter": (Annotated[Path, typer.Option(
        "--letter", "--form", help="The signed letter of appointment (scan or PDF).")],
        Required),
    "valid_to": (Annotated[str | None, typer.Option("--to", help="Last day in force.")], None),
    "unit": (Annotated[list[str] | None, typer.Option(
        "--unit", help="A unit covered (repeatable; none: every unit).")], None),
    "limit": (Annotated[list[str] | None, typer.Option(
        "--limit", help="Signing limit per currency, e.g. USD=250000 (repeatable).")], None),
    "party": (PartyOpt, None), "as_user": (AsOpt, None), "as_json": (JsonOpt, False),
})
def paper_appoint(**given: Any) -> None:
    """Publish a paper partner's written appointment, its signed letter attached (an
    administrator)."""
    o = SimpleNamespace(**given)
    @use_case
    def appoint(uow: UnitOfWork, actor: LocalUser) -> StoredEvent:
        """The letter and the appointment citing it: kept whole or not at all."""
        [letter] = kept(uow, [o.letter])
        return paper.appoint_from_letter(
            uow, actor, agreement=o.agreement, party=o.party and o.party.upper(),
            user_id=o.user_id, name=o.name, role=o.role, units=o.unit or (),
            valid_from=required_day(o.valid_from, "from"), valid_to=parse_day(o.valid_to, "to"),
            limits=parse_limits(o.limit), letter=letter)

    with errors(o.as_json), UnitOfWork(node()) as uow:
        event = appoint(uow, acting_user(uow, o.as_user))
        party, letter = event.envelope.data["party"], dict(event.envelope.data["evidence"][0])
        emit(o.as_json, {**event_data(event), "appointment": event.hash, "party": party,
                         "letter": letter},
             f"appointed {o.user_id} ({party}, on paper) as {o.role} under {o.agreement} "
             f"(appointment {short(event.hash)}; letter {letter['sha256'][:12]}…)")


@paper_app.command("record")
@options({
    "number": (NumberArg, Required),
    "step": (StepOpt, Required),
    "official": (Annotated[str, typer.Option(
        "--official", help="The partner's official who signed the form, e.g. usa.hayes.")],
        Required),
    "form": (Annotated[list[Path], typer.Option(
        "--form", help="The signed form, scanned (repeatable: one file per page).")],
        Required),
    "supplying_unit": (Annotated[str | None, typer.Option(
        help="accept: the supplying unit (default: the order's).")], None),
    "reason": (Annotated[str, typer.Option(help="reject, withdraw: the reason written.")], ""),
    "line": (Annotated[list[str] | None, typer.Option(
        "--line", help="deliver: LINE=QUANTITY; receive: LINE=RECEIVED[:DAMAGED] "
        "(repeatable; receive without: all as delivered).")], None),
    "delivery": (Annotated[str, typer.Option(
        help="receive: the delivery, by position on the order or hash prefix.")], ""),
    "note": (Annotated[str, typer.Option(help="deliver, receive: the form's note.")], ""),
    "party": (PartyOpt, None), "on": (OnOpt, None),
    "if_match": (Annotated[str | None, typer.Option(
        "--if-match", help="The order's last event you saw; refused with `conflict` if the "
        "order changed since.")], None),
    "as_user": (AsOpt, None), "as_json": (JsonOpt, False),
})
def paper_record(**given: Any) -> None:
    """Record the paper partner's step on an order from its signed form; you attest the
    copy (you need an appointment in force)."""
    o = SimpleNamespace(**given)

    def use_case(uow: UnitOfWork, user: LocalUser) -> StoredEvent:
        fields = paper.StepFields(
            supplying_unit=o.supplying_unit, reason=o.reason, delivery=o.delivery,
            note=o.note, lines=pairs(o.line, "line") if o.step == "deliver" else (),
            received=receipt_lines(o.line) if o.step == "receive" else None)
        return paper.record_from_form(
            uow, user, o.number, step=o.step, official=o.official, forms=kept(uow, o.form),
            fields=fields, party=o.party and o.party.upper(), on=parse_day(o.on),
            expected_parent=parent(o.if_match))

    def signed(event: StoredEvent) -> str:
        actor = event.envelope.actor
        return (f"; signed on paper by {actor['name']} ({actor['party']}, {actor['user']}), "
                f"attested by {event.envelope.data['attested_by']['user']}")

    run(o.as_user, o.as_json, use_case, signed)


@paper_app.command("steps")
def paper_steps(number: NumberArg, as_json: JsonOpt = False, as_user: AsOpt = None) -> None:
    """The steps the paper partner may take on an order in its status now."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        user = acting_user(uow, as_user)
        partner = paper.order_partner(uow, user, number)
        found = paper.steps_now(uow, user, number)
        emit(as_json, {"order": number, "partner": partner, "steps": found},
             f"{partner} signs on paper; steps now: {', '.join(found) or 'none'}" if partner
             else f"the other party to {number} signs with its own node")


@paper_app.command("list")
def paper_list(agreement: AgreementFilter = None, as_json: JsonOpt = False) -> None:
    """Partners that sign on paper, and the appointments recorded for them here."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        partners = paper.paper_partners(uow)
        if agreement:
            partners = {k: v for k, v in partners.items() if k == agreement}
        roster = paper.paper_appointments(uow, agreement)

        def human() -> None:
            for name, parties in partners.items():
                typer.echo(f"{name}: {', '.join(parties)} signs on paper")
            if not partners:
                typer.echo("no partner signs on paper under an agreement adopted here")
                return
            table([[a["id"][:12], a["agreement"], a["party"], a["user"], a["name"], a["role"],
                    ",".join(a["units"]) or "*", a["valid_from"], a["valid_to"] or "-",
                    "revoked" if a["revoked"] else ""] for a in roster],
                  ["appointment", "agreement", "party", "user", "name", "role", "units",
                   "from", "to", ""])

        emit(as_json, {"partners": partners, "appointments": roster}, human)

"""``acsa order``: every step of an order, from the command line.

Settlement (invoices, payments, returns in kind, conversions, exchanges) and the offset
statements are in :mod:`acsa.cli.settlement`, built on the helpers here. Each command
is one use case in one transaction, committed only when it succeeds. Who acts is
``--as`` (or ``ACSA_USER``); ``--on`` gives the business date (default: today where this
node's party is); ``--if-match`` names the order's last event the user saw, and a stale
one is refused with ``conflict``. A command prints one short line — what was recorded,
on which order, the event and the order's new status — or, with ``--json``, the event's
hash, sequence and the new status.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any

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
    table,
)
from acsa.cli.order_text import payment_data, payments_table, print_order
from acsa.cli.root import app
from acsa.domain import commands
from acsa.domain import facts as F
from acsa.domain.errors import InvalidValue, MissingField
from acsa.domain.marking import UNCLASSIFIED
from acsa.i18n.labels import label
from acsa.reading import read_bounded, read_json
from acsa.services import evidence as evidence_files
from acsa.services import markings, order_view, payments, queries, unit_of_work, worklist
from acsa.services import orders as order_service
from acsa.services.recording import ANY_PARENT, StoredEvent, order_state
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser

order_app = typer.Typer(help="Orders: request, acceptance, delivery, receipt, settlement.",
                        no_args_is_help=True)
app.add_typer(order_app, name="order")



NumberArg = Annotated[str, typer.Argument(help="The order, e.g. JP-PH/PHL/FY2026/00001.")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (kept in the signed record).")]
IfMatchOpt = Annotated[str | None, typer.Option(
    "--if-match", help="The order's last event you saw (`order show`: head); refused with "
    "`conflict` if the order changed since.")]
EvidenceOpt = Annotated[list[Path] | None, typer.Option(
    "--evidence", help="A document to attach: ticket, receipt, photo (repeatable).")]
NoteOpt = Annotated[str, typer.Option("--note", help="A note kept with the record.")]
# What each event type did, for the one line a command prints.
DONE = {
    "order.submitted": "submitted", "order.emergency_recorded": "recorded emergency order",
    "order.emergency_confirmed": "confirmed emergency order", "order.proposed":
    "proposed changes to", "order.confirmed": "confirmed changes to", "order.withdrawn":
    "withdrew", "order.accepted": "accepted", "order.rejected": "rejected",
    "delivery.recorded": "recorded delivery on", "receipt.recorded": "recorded receipt on",
    "dispute.opened": "opened dispute on", "dispute.resolution_proposed":
    "proposed resolution on", "dispute.resolved": "resolved dispute on", "change.requested":
    "requested change to", "change.answered": "answered request on", "invoice.issued":
    "invoiced", "invoice.voided": "voided invoice on", "credit_note.issued":
    "issued credit note on", "payment.recorded": "recorded payment", "payment.confirmed":
    "confirmed payment", "write_off.recorded": "wrote off on", "return.recorded":
    "recorded return on", "return.accepted": "answered return on", "rik.converted":
    "converted to cash", "exchange.proposed": "proposed exchange", "exchange.signed":
    "signed exchange", "offset.proposed": "proposed offset", "offset.signed": "signed offset",
    "transfer.requested": "requested transfer of", "transfer.answered":
    "answered transfer request on", "transfer.recorded": "recorded transfer of",
    "duties.waived": "waived the separation of duties on",
    "evidence.attached": "attached evidence on",
}


def parent(if_match: str | None) -> object:
    return if_match.strip().lower() if if_match else ANY_PARENT


def numbers_of(event: StoredEvent) -> list[str]:
    """The orders an event acts on: its subject, or each order a payment, exchange or
    offset names."""
    env = event.envelope
    if env.type in F.MULTI_ORDER_TYPES:
        return list(dict.fromkeys(str(p["order"]) for p in env.data.get("orders", ())))
    return [env.subject]


def run(as_user: str | None, as_json: bool,
        act: Callable[[UnitOfWork, LocalUser], StoredEvent],
        extra: Callable[[StoredEvent], str] | None = None) -> None:
    """One command: act in one transaction, kept whole on success, print what was recorded.

    ``act`` may store evidence files before the act that cites them: both are
    one use case, so a refused act leaves no file behind.
    """
    with errors(as_json), UnitOfWork(node()) as uow:
        event = unit_of_work.use_case(act)(uow, acting_user(uow, as_user))
        numbers = numbers_of(event)
        statuses = order_view.statuses_after(uow, event, numbers)
        env = event.envelope
        data: dict[str, Any] = {"event": event.hash, "seq": env.seq, "stream": env.stream,
                                "type": env.type, "subject": env.subject}
        if len(numbers) == 1 and numbers[0] == env.subject:
            data.update(order=env.subject, status=statuses[env.subject])
        else:
            data["orders"] = statuses
        for key in ("number", "total", "amount"):
            if key in env.data:
                data[key] = env.data[key]
        what = DONE.get(env.type, env.type)
        if data.get("order"):
            line = f"{what} {env.subject} (event {event.hash[:8]}…); now {data['status']}"
        else:
            now = ", ".join(f"{n} {s}" for n, s in statuses.items())
            line = f"{what} {env.subject} (event {event.hash[:8]}…); now {now}"
        if extra is not None:
            line += extra(event)
        emit(as_json, data, line)


# -- parsing --------------------------------------------------------------------------------------


def pairs(values: Sequence[str] | None, option: str) -> list[tuple[int, str]]:
    """``1=9800`` → ``(1, "9800")``: a line number and a quantity or price."""
    out = []
    for text in values or ():
        line, sep, value = text.partition("=")
        if not sep or not line.strip().isdigit() or not value.strip():
            raise InvalidValue(f"{text!r} is not LINE=VALUE, e.g. 1=9800", field=option)
        out.append((int(line), value.strip()))
    return out


def line_spec(text: str) -> dict[str, Any]:
    """``category|description|quantity|unit|unit_price[|nsn]`` → an order line."""
    fields = [f.strip() for f in text.split("|")]
    if len(fields) not in (5, 6):
        raise InvalidValue(f"{text!r} is not category|description|quantity|unit|unit_price"
                           "[|nsn]", field="line")
    line = dict(zip(("category", "description", "quantity", "unit", "unit_price"),
                    fields[:5], strict=True))
    if len(fields) == 6 and fields[5]:
        line["nsn"] = fields[5]
    return line


def evidence(uow: UnitOfWork, files: Sequence[Path] | None) -> list[dict[str, Any]]:
    """Store each file in this transaction and return what the event cites of it; a file
    over the evidence limit is refused before it is read."""
    return [evidence_files.store_evidence(uow, path.name, read_bounded(
        path, evidence_files.EVIDENCE_FILE_SIZE_MAX, field="evidence")) for path in files or ()]


# A terms or changes file is an order's terms: as much as the API takes in one request.
TERMS_FILE_BYTES_MAX = 1024 * 1024


def load_json(path: Path, option: str) -> dict[str, Any]:
    """A terms or changes file: UTF-8 JSON, at most 1 MiB, nested as the reader allows."""
    document = read_json(path, TERMS_FILE_BYTES_MAX, field=option)
    if not isinstance(document, dict):
        raise InvalidValue(f"{path}: must hold a JSON object", field=option)
    return document


# -- terms ----------------------------------------------------------------------------------------

FileOpt = Annotated[Path | None, typer.Option("--file", help="Terms as a JSON file.")]
AgreementOpt = Annotated[str | None, typer.Option(help="The agreement, e.g. JPN-PHL-ACSA.")]
ActivityOpt = Annotated[str | None, typer.Option(help="The exercise or operation.")]
ActivityTypeOpt = Annotated[str | None, typer.Option(help="Its type, e.g. bilateral_training.")]
UnitOpt = Annotated[str | None, typer.Option("--unit", help="The requesting unit.")]
SupplyingUnitOpt = Annotated[str | None, typer.Option(help="The supplying unit.")]
MethodOpt = Annotated[str | None, typer.Option(help="Reimbursement: cash, rik or eve.")]
CurrencyOpt = Annotated[str | None, typer.Option(
    help="Currency of prices (default: the agreement's rule).")]
NeededByOpt = Annotated[str | None, typer.Option(help="When support is needed (YYYY-MM-DD).")]
DeliverToOpt = Annotated[str | None, typer.Option(help="Where it is delivered or performed.")]
PocOpt = Annotated[str | None, typer.Option(help="Point of contact of the requesting unit.")]
FundOpt = Annotated[str | None, typer.Option(help="The budget line that will pay.")]
LineOpt = Annotated[list[str] | None, typer.Option(
    "--line", help="category|description|quantity|unit|unit_price[|nsn] (repeatable).")]
RemarksOpt = Annotated[str | None, typer.Option(help="Remarks both parties see.")]
MarkingOpt = Annotated[str | None, typer.Option(
    "--marking", help="Classify it: a level of your party's scheme, e.g. SECRET or 極秘 "
    "(default: unclassified; the JSON file's \"marking\" otherwise).")]
CaveatOpt = Annotated[list[str] | None, typer.Option(
    "--caveat", help="A handling word of the marking, e.g. NOFORN (repeatable).")]


def marking_given(level: str | None, caveats: list[str] | None) -> dict[str, Any] | None:
    """The marking the options give; None when neither is given (the terms' own, if any)."""
    if level is None and not caveats:
        return None
    return markings.given(level, caveats or ()) or {"level": ""}


def check_marking(uow: UnitOfWork, user: LocalUser, terms: dict[str, Any],
                  marking: dict[str, Any] | None) -> dict[str, Any] | None:
    """The marking an order is created with (the options', else the terms' own), refused when
    it is not one the user may give: a level of another scheme, or one they could not read."""
    chosen = marking if marking is not None else terms.get("marking")
    markings.check_originator(uow, user, terms.get("agreement"), terms.get("activity"),
                              chosen)
    return marking


def build_terms(uow: UnitOfWork, user: LocalUser, *, file: Path | None,
                requester: str | None, supplier: str | None, emergency: bool = False,
                **given: Any) -> dict[str, Any]:
    """Order terms from a JSON file, overlaid with the options given, completed as
    submission completes them (:func:`acsa.services.orders.complete_terms`: the
    activity's type, the currency the agreement prices the order in), so that a draft
    shows what will be signed and ``order submit --file`` fills the same."""
    terms: dict[str, Any] = load_json(file, "file") if file else {}
    names = {"unit": "requesting_unit"}
    for key, value in given.items():
        if key == "lines":
            if value:
                terms["lines"] = [{"no": i + 1, **line_spec(t)} for i, t in enumerate(value)]
        elif value is not None:
            terms[names.get(key, key)] = value
    if requester:
        terms["requester"] = requester
    if supplier:
        terms["supplier"] = supplier
    return order_service.complete_terms(uow, user, terms, emergency=emergency)


@order_app.command("create")
def order_create(
    file: FileOpt = None, agreement: AgreementOpt = None, activity: ActivityOpt = None,
    activity_type: ActivityTypeOpt = None,
    supplier: Annotated[str | None, typer.Option(help="The supplying party, e.g. JPN.")] = None,
    unit: UnitOpt = None, supplying_unit: SupplyingUnitOpt = None, method: MethodOpt = None,
    currency: CurrencyOpt = None, needed_by: NeededByOpt = None,
    deliver_to: DeliverToOpt = None, poc: PocOpt = None, fund_citation: FundOpt = None,
    line: LineOpt = None, remarks: RemarksOpt = None,
    note: Annotated[str, typer.Option(help="An internal note; never leaves this node.")] = "",
    marking: MarkingOpt = None, caveat: CaveatOpt = None,
    as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """Prepare an order as a local draft (nothing is shared until it is submitted).

    ``--marking`` classifies it; the draft keeps the marking until it is submitted.
    """
    with errors(as_json), UnitOfWork(node()) as uow:
        user = acting_user(uow, as_user)
        terms = build_terms(uow, user, file=file, requester=user.party, supplier=supplier,
                            agreement=agreement, activity=activity, activity_type=activity_type,
                            unit=unit, supplying_unit=supplying_unit, method=method,
                            currency=currency, needed_by=needed_by, deliver_to=deliver_to,
                            poc=poc, fund_citation=fund_citation, lines=line, remarks=remarks)
        draft = order_service.save_draft(uow, user, terms, note,
                                         marking=marking_given(marking, caveat))
        terms = order_service.draft_terms(uow, draft)
        emit(as_json, {"draft": draft, "terms": terms},
             f"saved draft {draft}; sign and submit it with `acsa order submit {draft}`")


@order_app.command("submit")
def order_submit(
    draft: Annotated[int | None, typer.Argument(help="The draft to submit.")] = None,
    file: FileOpt = None, on: OnOpt = None, marking: MarkingOpt = None,
    caveat: CaveatOpt = None, as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """Sign and submit an order (a draft, or terms from --file): it is numbered now.

    It is classified by ``--marking`` if given, else by the draft's (or the file's) marking.
    """
    def use_case(uow: UnitOfWork, user: LocalUser) -> StoredEvent:
        if (draft is None) == (file is None):
            raise MissingField("give a draft id or --file (one of them)", field="draft")
        terms = order_service.draft_terms(uow, draft) if draft is not None else load_json(
            file, "file") if file else {}
        # Completed as a draft is (build_terms): the requester, the activity's type, the
        # currency the agreement prices the order in.
        terms = order_service.complete_terms(uow, user, terms)
        given = check_marking(uow, user, terms, marking_given(marking, caveat))
        return order_service.submit_order(uow, user, terms, on=parse_day(on), draft_id=draft,
                                          marking=given)

    run(as_user, as_json, use_case)


@order_app.command("emergency")
def order_emergency(
    requested_by: Annotated[str, typer.Option(help="Who asked, and how (radio, telephone …).")],
    file: FileOpt = None, agreement: AgreementOpt = None, activity: ActivityOpt = None,
    activity_type: ActivityTypeOpt = None,
    requester: Annotated[str | None, typer.Option(help="The requesting party, e.g. PHL.")] = None,
    unit: UnitOpt = None, supplying_unit: SupplyingUnitOpt = None, method: MethodOpt = None,
    currency: CurrencyOpt = None, needed_by: NeededByOpt = None,
    deliver_to: DeliverToOpt = None, poc: PocOpt = None, fund_citation: FundOpt = None,
    line: LineOpt = None, remarks: RemarksOpt = None, on: OnOpt = None,
    marking: MarkingOpt = None, caveat: CaveatOpt = None,
    as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """Record an oral or radio request at once, numbered in this (the supplier's) range;
    ``--marking`` classifies it in this party's scheme."""
    def use_case(uow: UnitOfWork, user: LocalUser) -> StoredEvent:
        terms = build_terms(uow, user, file=file, requester=requester, supplier=user.party,
                            emergency=True, agreement=agreement, activity=activity,
                            activity_type=activity_type,
                            unit=unit, supplying_unit=supplying_unit, method=method,
                            currency=currency, needed_by=needed_by, deliver_to=deliver_to,
                            poc=poc, fund_citation=fund_citation, lines=line, remarks=remarks)
        given = check_marking(uow, user, terms, marking_given(marking, caveat))
        return order_service.record_emergency(uow, user, terms, requested_by=requested_by,
                                              on=parse_day(on), marking=given)

    run(as_user, as_json, use_case)


@order_app.command("confirm-emergency")
def order_confirm_emergency(number: NumberArg, on: OnOpt = None, if_match: IfMatchOpt = None,
                            as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """The requester confirms an emergency order in writing."""
    run(as_user, as_json, lambda uow, user: order_service.confirm_emergency(
        uow, user, number, on=parse_day(on), expected_parent=parent(if_match)))


# -- before acceptance -----------------------------------------------------------------------------

QuantityOpt = Annotated[list[str] | None, typer.Option(
    "--quantity", help="LINE=QUANTITY, e.g. 1=9000 (repeatable).")]
PriceOpt = Annotated[list[str] | None, typer.Option(
    "--price", help="LINE=UNIT_PRICE, e.g. 1=150 (repeatable).")]
AddLineOpt = Annotated[list[str] | None, typer.Option(
    "--add-line", help="A new line: category|description|quantity|unit|unit_price[|nsn].")]
ChangesFileOpt = Annotated[Path | None, typer.Option(
    "--file", help="Changed terms as a JSON object (e.g. {\"needed_by\": \"2026-03-01\"}).")]


def changes_of(uow: UnitOfWork, number: str, *, file: Path | None, quantity: list[str] | None,
               price: list[str] | None, needed_by: str | None, deliver_to: str | None,
               remarks: str | None, add_line: list[str] | None) -> dict[str, Any]:
    changes: dict[str, Any] = load_json(file, "file") if file else {}
    if quantity or price or needed_by or deliver_to or remarks is not None or add_line:
        state = order_state(uow, number)
        changes.update(commands.term_changes(
            state, quantities=dict(pairs(quantity, "quantity")),
            prices=dict(pairs(price, "price")), needed_by=needed_by, deliver_to=deliver_to,
            remarks=remarks, add_lines=[line_spec(t) for t in add_line or ()]))
    if not changes:
        raise MissingField("say what changes (--quantity, --price, --needed-by, --deliver-to, "
                           "--add-line or --file)", field="changes")
    return changes


@order_app.command("propose")
def order_propose(
    number: NumberArg, reason: ReasonOpt, quantity: QuantityOpt = None, price: PriceOpt = None,
    needed_by: NeededByOpt = None, deliver_to: DeliverToOpt = None, remarks: RemarksOpt = None,
    add_line: AddLineOpt = None, file: ChangesFileOpt = None, on: OnOpt = None,
    if_match: IfMatchOpt = None, as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """The supplier proposes changed quantities, prices or dates before accepting."""
    def use_case(uow: UnitOfWork, user: LocalUser) -> StoredEvent:
        changes = changes_of(uow, number, file=file, quantity=quantity, price=price,
                             needed_by=needed_by, deliver_to=deliver_to, remarks=remarks,
                             add_line=add_line)
        return order_service.propose(uow, user, number, changes, reason=reason, on=parse_day(on),
                              expected_parent=parent(if_match))

    run(as_user, as_json, use_case)


@order_app.command("confirm")
def order_confirm(number: NumberArg, on: OnOpt = None, if_match: IfMatchOpt = None,
                  as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """The requester confirms the supplier's proposed changes."""
    run(as_user, as_json, lambda uow, user: order_service.confirm(
        uow, user, number, on=parse_day(on), expected_parent=parent(if_match)))


@order_app.command("withdraw")
def order_withdraw(number: NumberArg, reason: ReasonOpt, on: OnOpt = None,
                   if_match: IfMatchOpt = None, as_user: AsOpt = None,
                   as_json: JsonOpt = False) -> None:
    """The requester withdraws an order the supplier has not accepted."""
    run(as_user, as_json, lambda uow, user: order_service.withdraw(
        uow, user, number, reason=reason, on=parse_day(on), expected_parent=parent(if_match)))


@order_app.command("accept")
def order_accept(
    number: NumberArg,
    unit: Annotated[str | None, typer.Option("--unit", help="The supplying unit.")] = None,
    on: OnOpt = None, if_match: IfMatchOpt = None, as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The approving official signs the version the requester signed: the order binds."""
    run(as_user, as_json, lambda uow, user: order_service.accept(
        uow, user, number, supplying_unit=unit, on=parse_day(on),
        expected_parent=parent(if_match)))


@order_app.command("reject")
def order_reject(number: NumberArg, reason: ReasonOpt, on: OnOpt = None,
                 if_match: IfMatchOpt = None, as_user: AsOpt = None,
                 as_json: JsonOpt = False) -> None:
    """The approving official rejects the order, saying why."""
    run(as_user, as_json, lambda uow, user: order_service.reject(
        uow, user, number, reason=reason, on=parse_day(on), expected_parent=parent(if_match)))


# -- delivery and receipt --------------------------------------------------------------------------


@order_app.command("deliver")
def order_deliver(
    number: NumberArg,
    line: Annotated[list[str], typer.Option(
        "--line", help="LINE=QUANTITY delivered or performed, e.g. 1=9800 (repeatable).")],
    evidence_file: EvidenceOpt = None, ticket: Annotated[list[Path] | None, typer.Option(
        "--ticket", help="The delivery ticket (repeatable): evidence of kind "
        "delivery-ticket, which an agreement's evidence policy may ask before the invoice.")
    ] = None, note: NoteOpt = "", on: OnOpt = None,
    if_match: IfMatchOpt = None, marking: Annotated[str | None, typer.Option(
        "--marking", help="Classify the delivery (its note, its evidence) above its order: "
        "a level of your party's scheme.")] = None,
    caveat: CaveatOpt = None, as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """Record a delivery (or performance), with its evidence documents."""
    def use_case(uow: UnitOfWork, user: LocalUser) -> StoredEvent:
        given = marking_given(marking, caveat)
        markings.check_for_order(uow, user, number, given)
        files = evidence(uow, evidence_file) + [
            {**f, "kind": "delivery-ticket"} for f in evidence(uow, ticket)]
        return order_service.deliver(uow, user, number, pairs(line, "line"),
                              evidence=files, note=note,
                              on=parse_day(on), expected_parent=parent(if_match),
                              marking=given)

    run(as_user, as_json, use_case)


def receipt_lines(values: Sequence[str] | None) -> list[tuple[int, str, str]] | None:
    """``1=9700`` or ``1=9700:100`` (received, damaged) per line; none: all of it."""
    if not values:
        return None
    out = []
    for line, value in pairs(values, "line"):
        quantity, _, damaged = value.partition(":")
        out.append((line, quantity.strip(), damaged.strip() or "0"))
    return out


@order_app.command("receive")
def order_receive(
    number: NumberArg,
    delivery: Annotated[str, typer.Option(
        "--delivery", help="The delivery: its position on the order or hash prefix.")],
    line: Annotated[list[str] | None, typer.Option(
        "--line", help="LINE=RECEIVED[:DAMAGED] (repeatable; default: all as delivered).")
    ] = None,
    evidence_file: EvidenceOpt = None, note: NoteOpt = "", on: OnOpt = None,
    if_match: IfMatchOpt = None, as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """Acknowledge a delivery, noting any shortfall or damage."""
    def use_case(uow: UnitOfWork, user: LocalUser) -> StoredEvent:
        return order_service.receive(uow, user, number, delivery, lines=receipt_lines(line),
                              evidence=evidence(uow, evidence_file), note=note,
                              on=parse_day(on), expected_parent=parent(if_match))

    run(as_user, as_json, use_case)


# -- changes to what both signed -------------------------------------------------------------------


@order_app.command("amend")
def order_amend(
    number: NumberArg, reason: ReasonOpt, quantity: QuantityOpt = None, price: PriceOpt = None,
    needed_by: NeededByOpt = None, deliver_to: DeliverToOpt = None, remarks: RemarksOpt = None,
    add_line: AddLineOpt = None, file: ChangesFileOpt = None, on: OnOpt = None,
    if_match: IfMatchOpt = None, as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """Ask the other party to amend a binding order (it takes effect when they accept)."""
    def use_case(uow: UnitOfWork, user: LocalUser) -> StoredEvent:
        changes = changes_of(uow, number, file=file, quantity=quantity, price=price,
                             needed_by=needed_by, deliver_to=deliver_to, remarks=remarks,
                             add_line=add_line)
        return order_service.request_change(uow, user, number, "amend", reason=reason,
                                     changes=changes, on=parse_day(on),
                                     expected_parent=parent(if_match))

    run(as_user, as_json, use_case)


@order_app.command("close-short")
def order_close_short(number: NumberArg, reason: ReasonOpt, on: OnOpt = None,
                      if_match: IfMatchOpt = None, as_user: AsOpt = None,
                      as_json: JsonOpt = False) -> None:
    """Ask the other party to agree that the rest will not be delivered."""
    run(as_user, as_json, lambda uow, user: order_service.request_change(
        uow, user, number, "close_short", reason=reason, on=parse_day(on),
        expected_parent=parent(if_match)))


@order_app.command("cancel")
def order_cancel(number: NumberArg, reason: ReasonOpt, on: OnOpt = None,
                 if_match: IfMatchOpt = None, as_user: AsOpt = None,
                 as_json: JsonOpt = False) -> None:
    """Cancel: before acceptance the requester withdraws; after, it is a request."""
    run(as_user, as_json, lambda uow, user: order_service.cancel_order(
        uow, user, number, reason=reason, on=parse_day(on), expected_parent=parent(if_match)))


@order_app.command("respond")
def order_respond(
    number: NumberArg,
    accept: Annotated[bool, typer.Option("--accept/--decline", help="The answer.")],
    request: Annotated[str | None, typer.Option(
        "--request", help="The request: position or hash prefix (default: the one pending).")
    ] = None,
    on: OnOpt = None, if_match: IfMatchOpt = None, as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer the other party's request to amend, close short or cancel."""
    run(as_user, as_json, lambda uow, user: order_service.respond(
        uow, user, number, request, accept, on=parse_day(on),
        expected_parent=parent(if_match)))


# -- disputes --------------------------------------------------------------------------------------


@order_app.command("dispute")
def order_dispute(
    number: NumberArg, reason: ReasonOpt,
    about: Annotated[str | None, typer.Option(
        help="What is disputed: a delivery (position, delivery:REF) or an invoice "
        "(its number, invoice:REF).")] = None,
    on: OnOpt = None, if_match: IfMatchOpt = None, as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Dispute a delivery, a receipt or an invoice."""
    run(as_user, as_json, lambda uow, user: order_service.open_dispute(
        uow, user, number, reason=reason, about=about, on=parse_day(on),
        expected_parent=parent(if_match)))


def adjustments(values: Sequence[str] | None) -> list[tuple[str, int, str]]:
    """``DELIVERY:LINE=QUANTITY`` → (delivery, line, quantity counted as received)."""
    out = []
    for text in values or ():
        delivery, sep, rest = text.partition(":")
        line, eq, quantity = rest.partition("=")
        if not sep or not eq or not delivery or not line.strip().isdigit() or not quantity:
            raise InvalidValue(f"{text!r} is not DELIVERY:LINE=QUANTITY, e.g. 1:1=9800",
                               field="adjust")
        out.append((delivery.strip(), int(line), quantity.strip()))
    return out


@order_app.command("resolve")
def order_resolve(
    number: NumberArg,
    dispute: Annotated[str | None, typer.Option(
        help="The dispute: position or hash prefix (default: the one open).")] = None,
    resolution: Annotated[str | None, typer.Option(
        help="Propose this resolution (the other side signs it).")] = None,
    adjust: Annotated[list[str] | None, typer.Option(
        "--adjust", help="DELIVERY:LINE=QUANTITY counted as received (repeatable).")] = None,
    sign: Annotated[str | None, typer.Option(
        "--sign", help="Sign the other side's proposed resolution: position or hash prefix.")
    ] = None,
    on: OnOpt = None, if_match: IfMatchOpt = None, as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Propose a resolution of a dispute (--resolution), or sign the other side's (--sign)."""
    def use_case(uow: UnitOfWork, user: LocalUser) -> StoredEvent:
        if (resolution is None) == (sign is None):
            raise MissingField("give --resolution to propose, or --sign to sign (one of them)",
                               field="resolution")
        if sign is not None:
            if adjust:
                raise InvalidValue("adjustments belong to a proposal", field="adjust")
            return order_service.sign_resolution(uow, user, number, dispute, sign, on=parse_day(on),
                                          expected_parent=parent(if_match))
        return order_service.propose_resolution(uow, user, number, dispute, str(resolution),
                                         adjustments(adjust), on=parse_day(on),
                                         expected_parent=parent(if_match))

    run(as_user, as_json, use_case)


# -- third-party transfer --------------------------------------------------------------------------

TransferRequestOpt = Annotated[str | None, typer.Option(
    "--request", help="The transfer request: position or hash prefix (default: the only one).")]


@order_app.command("transfer-request")
def order_transfer_request(
    number: NumberArg,
    to: Annotated[str, typer.Option("--to", help="The third party, e.g. USA.")],
    line: Annotated[list[str], typer.Option("--line", help="LINE=QUANTITY to pass on.")],
    reason: ReasonOpt, on: OnOpt = None, if_match: IfMatchOpt = None, as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask the supplier's written consent to pass received supplies to a third party."""
    run(as_user, as_json, lambda uow, user: order_service.request_transfer(
        uow, user, number, to=to.upper(), lines=pairs(line, "line"), reason=reason,
        on=parse_day(on), expected_parent=parent(if_match)))


@order_app.command("transfer-consent")
def order_transfer_consent(
    number: NumberArg, request: TransferRequestOpt = None,
    refuse: Annotated[bool, typer.Option("--refuse", help="Refuse consent.")] = False,
    on: OnOpt = None, if_match: IfMatchOpt = None, as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The supplier consents to (or refuses) a transfer to a third party."""
    run(as_user, as_json, lambda uow, user: order_service.answer_transfer(
        uow, user, number, request, not refuse, on=parse_day(on),
        expected_parent=parent(if_match)))


@order_app.command("transfer")
def order_transfer(number: NumberArg, request: TransferRequestOpt = None, on: OnOpt = None,
                   if_match: IfMatchOpt = None, as_user: AsOpt = None,
                   as_json: JsonOpt = False) -> None:
    """Record the transfer itself; refused without the supplier's written consent."""
    run(as_user, as_json, lambda uow, user: order_service.record_transfer(
        uow, user, number, request, on=parse_day(on), expected_parent=parent(if_match)))


# -- reading ---------------------------------------------------------------------------------------


@order_app.command("show")
def order_show(number: NumberArg, as_json: JsonOpt = False) -> None:
    """Everything recorded about an order, with its timeline of signed events."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        shown = order_view.show_order(uow, number)
        emit(as_json, shown, lambda: print_order(shown))


@order_app.command("list")
def order_list(
    status: Annotated[str | None, typer.Option(help="Only orders in this status.")] = None,
    agreement: Annotated[str | None, typer.Option(help="Only this agreement.")] = None,
    activity: Annotated[str | None, typer.Option(help="Only this activity.")] = None,
    counterpart: Annotated[str | None, typer.Option(help="Only orders with this party.")
                           ] = None,
    overdue: Annotated[bool, typer.Option(help="Only orders with something past due.")
                       ] = False,
    text: Annotated[str | None, typer.Option(help="Words in the number, lines, places …")
                    ] = None,
    todo: Annotated[str | None, typer.Option(
        help="Only orders on which it is your turn to do this task (see acsa todo).")] = None,
    partner: Annotated[bool, typer.Option(
        help="With --todo: the orders on which it is the partner's turn.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    after: Annotated[str | None, typer.Option(help="The cursor the previous page printed.")
                     ] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Orders the user may see, newest submission first; page with --after CURSOR.

    The same query as the web list and GET /api/v1/orders, need to know included.
    """
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        user = acting_user(uow, as_user)
        page = queries.list_orders(uow, user, queries.OrderFilter(
            status=status, agreement=agreement, activity=activity, counterpart=counterpart,
            overdue=True if overdue else None, q=text, todo=todo,
            partner=partner and todo is not None, after=after, limit=limit))
        found = [{k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(o).items()}
                 for o in page.data]

        def human() -> None:
            table([[o["number"], o["status"], f"{o['requester']}→{o['supplier']}", o["method"],
                    f"{grouped(o['value'])} {o['currency']}", o["needed_by"] or "-",
                    "E" if o["emergency"] else "", listed_marking(o)] for o in found],
                  ["order", "status", "parties", "method", "value", "needed by", "", "marking"])
            typer.echo(f"{len(found)} of {page.count}"
                       + (f" (more: --after {page.next})" if page.next else ""))

        emit(as_json, found, human)


@app.command("todo")
def todo_list(as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Your worklist: each task your roles may do, with the orders waiting for it (and how
    many are past their date); list them with acsa order list --todo TASK. The payments
    awaiting your confirmation are listed below it by number and amount (all payments:
    acsa order payments)."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        user = acting_user(uow, as_user)
        tasks = worklist.worklist(uow, user)
        waiting = (payments.list_payments(uow, user, awaiting=True, payee=user.party)
                   if any(t.key == "confirm_payment" for t in tasks) else [])
        found: list[dict[str, Any]] = [
            {"task": t.key, "label": label("task", t.key, "en"), "count": t.count,
             "overdue": t.overdue} for t in tasks]
        for task in found:
            if task["task"] == "confirm_payment":
                task["payments"] = [payment_data(p) for p in waiting]

        def human() -> None:
            table([[t.key, label("task", t.key, "en"), str(t.count), str(t.overdue or "")]
                   for t in tasks], ["task", "what", "orders", "overdue"])
            if waiting:
                typer.echo("")
                typer.echo("Payments to confirm (acsa order confirm-payment PAY/…):")
                payments_table(waiting)

        emit(as_json, found, human)


def listed_marking(o: dict[str, Any]) -> str:
    """A list row's marking in both schemes; blank when it is unclassified."""
    m = o["marking"]
    return markings.text(SimpleNamespace(**m)) if m["level"] != UNCLASSIFIED else ""

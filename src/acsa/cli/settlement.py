"""``acsa order`` settlement commands and ``acsa statement`` offsets, from the command line.

Invoices, payments and their confirmation, write-offs, returns in kind, conversion to
cash, equal-value exchanges, offset statements, and the list of payments. Each command
is one use case in one transaction, printed as :func:`acsa.cli.orders.run` prints it.

Amounts are typed in the order's currency, with a dot for decimals and thousands
grouped by commas or not at all (``1494500``, ``1,494,500``, ``22,000.00``). A payment
is ``acsa order pay ORDER --invoice INV/… --amount 1,494,500``; the older
``--allocate ORDER:INVOICE:AMOUNT`` still works, for scripts and for one payment over
invoices of several orders.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated

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
from acsa.cli.order_text import payment_data, payments_table
from acsa.cli.orders import (
    EvidenceOpt,
    IfMatchOpt,
    NumberArg,
    ReasonOpt,
    evidence,
    order_app,
    pairs,
    parent,
    run,
)

# `acsa statement` holds the balance statements (cli/sync.py) and the offsets here.
from acsa.cli.sync import statement_app
from acsa.domain import facts as F
from acsa.domain import references
from acsa.domain.errors import CurrencyMismatch, DomainError, InvalidValue, MissingField
from acsa.domain.state import OrderState
from acsa.services import need_to_know, payments, settlement
from acsa.services.recording import StoredEvent, order_state
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser

InvoiceOpt = Annotated[str, typer.Option(
    "--invoice", help="The invoice: its number, position on the order, or hash prefix.")]
RateOpt = Annotated[list[str] | None, typer.Option(
    "--rate", help="BASE/QUOTE=RATE, e.g. JPY/PHP=0.38 (repeatable; default: recorded rates).")]


# -- parsing ---------------------------------------------------------------------------------------


def triples(values: Sequence[str] | None, option: str) -> list[tuple[str, str, str]]:
    """``NUMBER:INVOICE:AMOUNT`` → its three parts (an order number holds no colon)."""
    out = []
    for text in values or ():
        parts = text.rsplit(":", 2)
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise InvalidValue(f"{text!r} is not ORDER:INVOICE:AMOUNT", field=option)
        out.append((parts[0].strip(), parts[1].strip(), parts[2].strip()))
    return out


def rates(values: Sequence[str] | None) -> list[tuple[str, str, str]] | None:
    """``JPY/PHP=0.38`` → ``("JPY", "PHP", "0.38")``."""
    if not values:
        return None
    out = []
    for text in values:
        pair, sep, rate = text.partition("=")
        base, slash, quote = pair.partition("/")
        if not sep or not slash or not base or not quote or not rate:
            raise InvalidValue(f"{text!r} is not BASE/QUOTE=RATE, e.g. JPY/PHP=0.38",
                               field="rate")
        out.append((base.strip().upper(), quote.strip().upper(), rate.strip()))
    return out


_GROUPED = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")


def ungrouped(text: str, option: str) -> str:
    """An amount as typed, with thousands grouped by commas or not at all (``1,494,500``,
    ``22,000.00``, ``1494500``), as the exact decimal text the services read."""
    value = text.strip()
    if "," not in value:
        return value
    if not _GROUPED.fullmatch(value):
        raise InvalidValue(f"{text!r} is not an amount: group thousands by commas "
                           "(1,494,500) or not at all (1494500)", field=option)
    return value.replace(",", "")


# -- cash ------------------------------------------------------------------------------------------


@order_app.command("invoice")
def order_invoice(
    number: NumberArg,
    kind: Annotated[str, typer.Option(
        help="goods, conversion, residual or difference.")] = "goods",
    reference: Annotated[str | None, typer.Option(
        help="What a conversion, residual or difference invoice bills.")] = None,
    replaces: Annotated[str | None, typer.Option(
        help="The voided invoice this one reissues.")] = None,
    on: OnOpt = None, if_match: IfMatchOpt = None, as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Invoice everything due (numbered INV/<party>/FY<year>/NNNNN)."""
    run(as_user, as_json, lambda uow, user: settlement.issue_invoice(
        uow, user, number, kind=kind, reference=reference, replaces=replaces,
        on=parse_day(on), expected_parent=parent(if_match)),
        lambda e: f"; invoice {e.envelope.data['number']} for {grouped(e.envelope.data['total'])} "
                  f"{e.envelope.data['currency']}, due {e.envelope.data['due_on']}")


@order_app.command("void-invoice")
def order_void_invoice(number: NumberArg, invoice: InvoiceOpt, reason: ReasonOpt,
                       on: OnOpt = None, if_match: IfMatchOpt = None, as_user: AsOpt = None,
                       as_json: JsonOpt = False) -> None:
    """Void an invoice nothing stands against (reissue it with `invoice --replaces`)."""
    run(as_user, as_json, lambda uow, user: settlement.void_invoice(
        uow, user, number, invoice, reason=reason, on=parse_day(on),
        expected_parent=parent(if_match)))


AmountOpt = Annotated[str, typer.Option(
    "--amount", help="In the order's currency: 1000, 1,000 or 22,000.00.")]


@order_app.command("credit-note")
def order_credit_note(number: NumberArg, invoice: InvoiceOpt, amount: AmountOpt,
                      reason: ReasonOpt, on: OnOpt = None, if_match: IfMatchOpt = None,
                      as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Reduce what an invoice bills (an invoice is never edited)."""
    run(as_user, as_json, lambda uow, user: settlement.issue_credit_note(
        uow, user, number, invoice, ungrouped(amount, "amount"), reason=reason, on=parse_day(on),
        expected_parent=parent(if_match)))


def open_invoice(state: OrderState) -> str:
    """The one invoice of an order that is still to pay (payments on their way counted as
    paid), for ``pay`` without ``--invoice``."""
    on_the_way: dict[str, int] = {}
    for p in state.payments:
        if not p.confirmed:
            on_the_way[p.invoice] = on_the_way.get(p.invoice, 0) + p.amount
    unpaid = [i.number for i in state.invoices
              if i.live and i.outstanding - on_the_way.get(i.id, 0) > 0]
    if len(unpaid) != 1:
        raise MissingField(
            f"{state.number} has {len(unpaid)} invoices to pay"
            + (f" ({', '.join(unpaid)})" if unpaid else "") + ": name one with --invoice",
            field="invoice")
    return unpaid[0]


def pay_allocations(uow: UnitOfWork, user: LocalUser, number: str | None,
                    invoices: Sequence[str], amounts: Sequence[str],
                    currency: str | None) -> tuple[list[tuple[str, str, str]], int]:
    """What ``pay`` allocates: ``--invoice``/``--amount`` pairs on ORDER, then each older
    ``--allocate ORDER:INVOICE:AMOUNT``; and how many of them came from the pairs."""
    older = [v for v in invoices if ":" in v]
    refs = [v for v in invoices if ":" not in v]
    out: list[tuple[str, str, str]] = []
    if number is None:
        if refs or amounts or not older:
            raise MissingField("name the order paid: acsa order pay ORDER --invoice INV/… "
                               "--amount AMOUNT", field="order")
    else:
        need_to_know.require_readable(uow, user, [number])
        state = order_state(uow, number)
        if currency and currency.strip().upper() != state.currency:
            raise CurrencyMismatch(f"{number} is invoiced in {state.currency}, not "
                                   f"{currency.strip().upper()}", field="currency")
        if not amounts:
            raise MissingField("how much you send, e.g. --amount 1,494,500", field="amount")
        refs = refs or ([open_invoice(state)] if len(amounts) == 1 else [])
        if len(refs) != len(amounts):
            raise InvalidValue(f"give one --amount per --invoice ({len(refs)} invoice(s), "
                               f"{len(amounts)} amount(s))", field="amount")
        out = [(number, ref, ungrouped(amount, "amount"))
               for ref, amount in zip(refs, amounts, strict=True)]
    given = len(out)
    out += [(o, i, ungrouped(a, "allocate")) for o, i, a in triples(older, "allocate")]
    return out, given


def option_named(exc: DomainError, listed: str, given: int, older: str) -> DomainError:
    """A refusal about ``listed[i].part`` named by the option the user typed: ``--invoice``,
    ``--amount`` or ``order`` for the first ``given`` entries, the older option after."""
    match = re.fullmatch(rf"{listed}\[(\d+)\]\.(\w+)", exc.field or "")
    if match:
        exc.field = match[2] if int(match[1]) < given else older
    return exc


@order_app.command("pay")
def order_pay(
    reference: Annotated[str, typer.Option(
        help="The bank's or paying office's reference for the transfer (SWIFT, voucher).")],
    number: Annotated[str | None, typer.Argument(
        metavar="ORDER", help="The order paid, e.g. JP-PH/PHL/FY2026/00001.")] = None,
    invoice: Annotated[list[str] | None, typer.Option(
        "--invoice", "--allocate",
        help="The invoice paid: its number (INV/…), position on the order (1) or hash "
        "prefix; default: the order's one invoice to pay. Repeat it, each with its "
        "--amount, for several invoices of ORDER. The older form --allocate "
        "ORDER:INVOICE:AMOUNT still works (scripts) and may add invoices of other orders "
        "to the same payment.")] = None,
    amount: Annotated[list[str] | None, typer.Option(
        "--amount", help="What you send for that invoice, in the order's currency: "
        "1494500, 1,494,500 or 22,000.00 (one per --invoice).")] = None,
    currency: Annotated[str | None, typer.Option(
        help="The currency of --amount, checked against the order's (default: the "
        "order's).")] = None,
    on: OnOpt = None, as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """Record a payment you sent (numbered PAY/<party>/NNNNN).

    acsa order pay ORDER --invoice INV/… --amount 1,494,500 --reference REF. One payment
    may pay several invoices (repeat --invoice and --amount); the supplier then confirms
    what arrived (acsa order confirm-payment).
    """
    def use_case(uow: UnitOfWork, user: LocalUser) -> StoredEvent:
        allocations, given = pay_allocations(uow, user, number, invoice or [], amount or [],
                                             currency)
        try:
            return settlement.record_payment(uow, user, allocations, reference=reference,
                                             on=parse_day(on))
        except DomainError as exc:
            raise option_named(exc, "allocations", given, "allocate") from None

    run(as_user, as_json, use_case, paid_line)


def paid_line(event: StoredEvent) -> str:
    data = event.envelope.data
    return f"; {grouped(data['amount'])} {data['currency']}, reference {data['reference']}"


def confirmed_parts(uow: UnitOfWork, payment: str, invoices: Sequence[str],
                    amounts: Sequence[str]) -> list[tuple[str, str, str]]:
    """``--invoice``/``--amount`` of ``confirm-payment`` as (order, invoice, received):
    the invoice one of those the payment pays, by number, position on its order or hash
    prefix; none needed when the payment pays one invoice."""
    if not amounts:
        if invoices:
            raise MissingField("how much arrived for that invoice, e.g. --amount 1,494,000",
                               field="amount")
        return []
    event = settlement.find_multi_event(uow, F.PAYMENT_RECORDED, payment, field="payment")
    parts = [(str(p["order"]), str(p["invoice"])) for p in event.envelope.data.get("orders", ())
             if isinstance(p, Mapping)]
    if not invoices:
        if len(parts) != 1 or len(amounts) != 1:
            raise MissingField(f"{event.envelope.subject} pays {len(parts)} invoices: say "
                               "which each --amount is for with --invoice", field="invoice")
        return [(parts[0][0], parts[0][1], ungrouped(amounts[0], "amount"))]
    if len(invoices) != len(amounts):
        raise InvalidValue(f"give one --amount per --invoice ({len(invoices)} invoice(s), "
                           f"{len(amounts)} amount(s))", field="amount")
    return [(*paid_invoice(uow, event.envelope.subject, parts, ref), ungrouped(a, "amount"))
            for ref, a in zip(invoices, amounts, strict=True)]


def paid_invoice(uow: UnitOfWork, subject: str, parts: Sequence[tuple[str, str]],
                 ref: str) -> tuple[str, str]:
    """The (order, invoice) of a payment's allocation that ``ref`` names."""
    found = set()
    for number in dict.fromkeys(o for o, _ in parts):
        try:
            invoice = references.find_invoice(order_state(uow, number), ref)
        except DomainError:
            continue
        if (number, invoice) in parts:
            found.add((number, invoice))
    if len(found) != 1:
        raise InvalidValue(f"{subject} pays no invoice {ref!r}" if not found else
                           f"{ref!r} names several invoices {subject} pays", field="invoice")
    return found.pop()


@order_app.command("confirm-payment")
def order_confirm_payment(
    payment: Annotated[str, typer.Argument(help="The payment: PAY/… (acsa order payments "
                                           "--awaiting lists them) or its hash prefix.")],
    amount: Annotated[list[str] | None, typer.Option(
        "--amount", help="What arrived, e.g. 1,494,000, when less than was sent (default: "
        "all of it). For a payment of several invoices, one per --invoice.")] = None,
    invoice: Annotated[list[str] | None, typer.Option(
        "--invoice", help="Which invoice of the payment --amount is for: its number (INV/…) "
        "or hash prefix.")] = None,
    received: Annotated[list[str] | None, typer.Option(
        "--received", help="The older form, still accepted: ORDER:INVOICE:AMOUNT received "
        "(repeatable).")] = None,
    on: OnOpt = None, as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """The supplier confirms what arrived of a payment: all of it, or --amount."""
    def use_case(uow: UnitOfWork, user: LocalUser) -> StoredEvent:
        parts = confirmed_parts(uow, payment, invoice or [], amount or [])
        given = len(parts)
        parts += [(o, i, ungrouped(a, "received")) for o, i, a in triples(received, "received")]
        try:
            return settlement.confirm_payment(uow, user, payment, parts, on=parse_day(on))
        except DomainError as exc:
            raise option_named(exc, "received", given, "received") from None

    run(as_user, as_json, use_case)


@order_app.command("payments")
def order_payments(
    awaiting: Annotated[bool, typer.Option(
        "--awaiting", help="Only payments awaiting the supplier's confirmation.")] = False,
    mine: Annotated[bool, typer.Option(
        "--to-confirm", help="Only those your party confirms (owed to it).")] = False,
    number: Annotated[str | None, typer.Option(
        "--order", help="Only payments on this order.")] = None,
    as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """Payments by number (PAY/…): amounts, what arrived, awaiting confirmation or not.

    Oldest first, each with the invoices it pays; confirm one with acsa order
    confirm-payment PAY/…
    """
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        user = acting_user(uow, as_user)
        found = payments.list_payments(uow, user, awaiting=awaiting or mine,
                                       payee=user.party if mine else None, order=number)

        def human() -> None:
            payments_table(found)
            typer.echo(f"{len(found)} payment(s)")

        emit(as_json, [payment_data(p) for p in found], human)


@order_app.command("write-off")
def order_write_off(number: NumberArg, invoice: InvoiceOpt, amount: AmountOpt,
                    reason: ReasonOpt, on: OnOpt = None, if_match: IfMatchOpt = None,
                    as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Write off what a payment left short, within the agreement's limit."""
    run(as_user, as_json, lambda uow, user: settlement.write_off(
        uow, user, number, invoice, ungrouped(amount, "amount"), reason=reason, on=parse_day(on),
        expected_parent=parent(if_match)))


# -- in kind ---------------------------------------------------------------------------------------


@order_app.command("return-in-kind")
def order_return_in_kind(
    number: NumberArg,
    line: Annotated[list[str], typer.Option("--line", help="LINE=QUANTITY returned.")],
    description: Annotated[str, typer.Option(help="What is returned: type and quality.")],
    evidence_file: EvidenceOpt = None, on: OnOpt = None, if_match: IfMatchOpt = None,
    as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """The requester returns supplies of the same type, quality and quantity."""
    def use_case(uow: UnitOfWork, user: LocalUser) -> StoredEvent:
        return settlement.return_in_kind(uow, user, number, pairs(line, "line"),
                                         description=description,
                                         evidence=evidence(uow, evidence_file),
                                         on=parse_day(on), expected_parent=parent(if_match))

    run(as_user, as_json, use_case)


@order_app.command("accept-return")
def order_accept_return(
    number: NumberArg,
    return_ref: Annotated[str | None, typer.Option(
        "--return", help="The return: position or hash prefix (default: the one awaiting).")
    ] = None,
    reject: Annotated[bool, typer.Option("--reject", help="Reject it (give --reason).")] = False,
    reason: Annotated[str, typer.Option(help="Why it is rejected.")] = "",
    on: OnOpt = None, if_match: IfMatchOpt = None, as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The supplier accepts a return in kind (or rejects it, saying why)."""
    run(as_user, as_json, lambda uow, user: settlement.answer_return(
        uow, user, number, return_ref, not reject, reason=reason, on=parse_day(on),
        expected_parent=parent(if_match)))


@order_app.command("convert-to-cash")
def order_convert_to_cash(
    number: NumberArg,
    price: Annotated[list[str] | None, typer.Option(
        "--price", help="LINE=UNIT_PRICE (default: the catalogue price that day, else the "
        "order's).")] = None,
    on: OnOpt = None, if_match: IfMatchOpt = None, as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """After the deadline, turn what is still owed in kind into cash."""
    run(as_user, as_json, lambda uow, user: settlement.convert_to_cash(
        uow, user, number, dict(pairs(price, "price")), on=parse_day(on),
        expected_parent=parent(if_match)),
        lambda e: f"; {grouped(e.envelope.data['amount'])} now owed in cash")


# -- exchange --------------------------------------------------------------------------------------


@order_app.command("link-exchange")
def order_link_exchange(
    numbers: Annotated[list[str], typer.Argument(help="The orders, each way.")],
    currency: Annotated[str, typer.Option(help="The currency they are valued in.")],
    rate: RateOpt = None, on: OnOpt = None, as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """Link orders each way in an equal-value exchange (numbered EVE/<party>/NNNNN)."""
    run(as_user, as_json, lambda uow, user: settlement.link_exchange(
        uow, user, numbers, currency=currency.upper(), rates=rates(rate), on=parse_day(on)),
        lambda e: "; residual {amount} {cur} owed to {creditor}".format(
            amount=grouped(e.envelope.data["residual"]["amount"]), cur=e.envelope.data["currency"],
            creditor=e.envelope.data["residual"]["creditor"] or "nobody"))


@order_app.command("sign-exchange")
def order_sign_exchange(
    exchange: Annotated[str, typer.Argument(help="The exchange: EVE/… or its hash prefix.")],
    on: OnOpt = None, as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """The other party's finance officer signs the exchange and its valuation."""
    run(as_user, as_json, lambda uow, user: settlement.sign_exchange(
        uow, user, exchange, on=parse_day(on)))


# -- statements ------------------------------------------------------------------------------------


def invoice_refs(values: Sequence[str]) -> list[tuple[str, str]]:
    out = []
    for text in values:
        number, sep, invoice = text.rpartition(":")
        if not sep or not number or not invoice:
            raise InvalidValue(f"{text!r} is not ORDER:INVOICE", field="invoice")
        out.append((number.strip(), invoice.strip()))
    return out


@statement_app.command("offset")
def statement_offset(
    invoice: Annotated[list[str], typer.Option(
        "--invoice", help="ORDER:INVOICE, invoices each way (repeatable).")],
    currency: Annotated[str, typer.Option(help="The statement's currency.")],
    rate: RateOpt = None, on: OnOpt = None, as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """Propose an offset statement netting invoices each way (numbered OFS/<party>/NNNNN)."""
    run(as_user, as_json, lambda uow, user: settlement.propose_offset(
        uow, user, invoice_refs(invoice), currency=currency.upper(), rates=rates(rate),
        on=parse_day(on)),
        lambda e: f"; nets {grouped(e.envelope.data['net'])} {e.envelope.data['currency']} "
                  "each way")


@statement_app.command("sign")
def statement_sign(
    offset: Annotated[str, typer.Argument(help="The offset statement: OFS/… or a hash prefix.")],
    on: OnOpt = None, as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """The other party's finance officer signs an offset statement: it takes effect."""
    run(as_user, as_json, lambda uow, user: settlement.sign_offset(
        uow, user, offset, on=parse_day(on)))


@statement_app.command("list")
def statement_list(as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Offset statements, proposed and signed, of orders the user may read (balance
    statements: `statement balance list`)."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        found = settlement.list_offsets(uow, acting_user(uow, as_user))
        emit(as_json, found, lambda: table(
            [[s["subject"], s["proposed_by"], s["on"] or "", f"{grouped(s['net'])} {s['currency']}",
              s["state"], s["signed_by"] or "-", str(len(s["orders"]))] for s in found],
            ["statement", "by", "as of", "net", "state", "signed by", "invoices"]))

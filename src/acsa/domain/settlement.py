"""Settlement: cash, replacement in kind, equal-value exchange and offset.

- **Cash.** The supplier invoices the basis quantities (received, or
  delivered where the agreement says so) at each delivery's price; an
  invoice falls due a number of calendar days after its date. Payments may
  be partial and one payment may cover invoices of several orders; the
  supplier confirms what arrived, writes off a small shortfall within the
  agreement's limit or bills it on a difference invoice. An invoice is never
  edited: it is voided and reissued, or reduced by a credit note.
- **In kind (RIK).** Supplies are returned, in one or more returns the
  supplier accepts; after the deadline the supplier may convert what is
  still owed to cash at its price on the conversion date.
- **Equal-value exchange (EVE).** Orders each way are linked and valued at
  an agreed rate; both finance officers sign; the residual is billed in
  cash on the creditor's orders.
- **Offset.** Finance officers of both parties sign a statement that nets
  invoices each way in one currency as of a date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from acsa.domain import facts as F
from acsa.domain.agreement import AgreementProfile
from acsa.domain.deadlines import invoice_due_on
from acsa.domain.errors import (
    N_,
    AlreadyRecorded,
    AmountExceedsOutstanding,
    CurrencyMismatch,
    DeadlineNotReached,
    DeadlinePassed,
    InvalidValue,
    LimitExceeded,
    MissingField,
    NotAuthorized,
    NotEligible,
    UnknownReference,
)
from acsa.domain.evidence import evidence_of
from acsa.domain.facts import Fact, data_date, data_decimal, data_list, data_money, data_text
from acsa.domain.figures import (
    basis_quantity,
    in_kind_due_on,
    in_kind_value,
    live_reissue,
    owed_in_kind,
    returned,
)
from acsa.domain.interpret import Step, step
from acsa.domain.lifecycle import always, require_order
from acsa.domain.money import ExchangeRate, Money, RateBook, convert, line_total, parse_decimal
from acsa.domain.parties import Side
from acsa.domain.rules import Action
from acsa.domain.state import (
    Conversion,
    ConversionLine,
    ExchangePart,
    Invoice,
    InvoiceLine,
    OffsetPart,
    OrderState,
    PaymentPart,
    Return,
    ReturnLine,
)

# -- cash -------------------------------------------------------------------


def payment_due_on(issued_on: date, profile: AgreementProfile) -> date:
    """An invoice falls due ``cash_payment_days`` calendar days after its date (under a
    profile with ``[[deadlines]]``, :func:`acsa.domain.deadlines.invoice_due_on`)."""
    return issued_on + timedelta(days=profile.settlement.cash_payment_days)


def uninvoiced_lines(state: OrderState, profile: AgreementProfile) -> tuple[InvoiceLine, ...]:
    """Every (delivery, line) whose basis value is not yet fully on a live goods invoice.

    The amount of a line is the value of its basis quantity less what live
    invoices already bill for it, so that a receipt corrected by a dispute's
    resolution is billed by exactly the difference.
    """
    if state.method != "cash":
        return ()
    out = []
    for d in state.deliveries:
        if profile.pricing.invoice_basis == "received" and state.receipt_for(d.id) is None:
            continue
        for dl in d.lines:
            quantity = basis_quantity(state, d, dl.line, profile)
            value = line_total(quantity, dl.unit_price, state.currency).minor
            already = [
                il
                for inv in state.invoices
                if inv.live and inv.kind == "goods"
                for il in inv.lines
                if il.delivery == d.id and il.line == dl.line
            ]
            billed_qty = sum((il.quantity for il in already), Decimal(0))
            billed_amount = sum(il.amount for il in already)
            if quantity - billed_qty > 0 and value - billed_amount > 0:
                out.append(
                    InvoiceLine(
                        d.id, dl.line, quantity - billed_qty, dl.unit_price, value - billed_amount
                    )
                )
    return tuple(out)


def _invoice_lines(fact: Fact, currency: str) -> tuple[InvoiceLine, ...]:
    out = []
    for i, raw in enumerate(data_list(fact.data, "lines", required=False)):
        where = f"lines[{i}]."
        out.append(
            InvoiceLine(
                delivery=data_text(raw, "delivery"),
                line=F.data_int(raw, "line", where=where),
                quantity=data_decimal(raw, "quantity", where=where),
                unit_price=data_decimal(raw, "unit_price", where=where),
                amount=data_money(raw, "amount", currency, where=where).minor,
            )
        )
    return tuple(out)


def _expected_total(fact: Fact, state: OrderState, profile: AgreementProfile) -> int:
    """What an invoice of this kind must bill, from the order at the invoice's parent."""
    kind = data_text(fact.data, "kind")
    reference = fact.data.get("reference")
    live = [i for i in state.invoices if i.live]
    if kind == "goods":
        expected = uninvoiced_lines(state, profile)
        lines = _invoice_lines(fact, state.currency)
        if not lines:
            raise MissingField(N_("a goods invoice has lines"), field="lines")
        by_key = {(e.delivery, e.line): e for e in expected}
        for i, line in enumerate(lines):
            e = by_key.get((line.delivery, line.line))
            if e is None:
                raise InvalidValue(
                    N_("line %(line)s of delivery %(delivery)s… is not due for invoicing"),
                    field=f"lines[{i}]", line=line.line, delivery=line.delivery[:12],
                )
            if line != e:
                raise InvalidValue(
                    N_("must bill %(quantity)s at %(unit_price)s = %(amount)s"),
                    field=f"lines[{i}]", quantity=e.quantity, unit_price=e.unit_price,
                    amount=Money(state.currency, e.amount).text(),
                )
        return sum(line.amount for line in lines)
    if any(i.reference == reference and i.kind == kind for i in live):
        raise AlreadyRecorded(N_("that %(kind)s is already invoiced"), field="reference", kind=kind)
    if kind == "conversion":
        conv = next((c for c in state.conversions if c.id == reference), None)
        if conv is None:
            raise UnknownReference(N_("names no conversion of this order"), field="reference")
        return conv.amount
    if kind == "residual":
        part = next((x for x in state.exchanges if x.exchange == reference and x.signed), None)
        if part is None or part.to_cash <= 0:
            raise UnknownReference(
                N_("names no signed exchange with a residual on this order"),
                field="reference",
            )
        return part.to_cash
    if kind == "difference":
        original = state.invoice(str(reference))
        if original is None or not original.live:
            raise UnknownReference(N_("names no live invoice of this order"), field="reference")
        if not any(p.invoice == original.id and p.confirmed for p in state.payments):
            raise InvalidValue(
                N_("a difference is billed after a payment arrived short"),
                field="reference",
            )
        if original.outstanding <= 0:
            raise AmountExceedsOutstanding(
                N_("nothing is outstanding on that invoice"),
                field="reference", invoice=original.number, outstanding=Money(state.currency, 0),
            )
        return original.outstanding
    raise InvalidValue(
        N_("'%(kind)s' is not goods, conversion, residual or difference"),
        field="kind", kind=kind,
    )


def _check_due_on(fact: Fact, state: OrderState, profile: AgreementProfile) -> None:
    """An invoice's due date is the one its profile's deadlines give (its settlement
    periods alone, under a profile without ``[[deadlines]]``)."""
    due = data_date(fact.data, "due_on")
    if profile.deadlines is not None:
        parts = [(line.delivery, line.line) for line in _invoice_lines(fact, state.currency)]
        expected = invoice_due_on(state, profile, fact.on, parts)
        if due != expected:
            raise InvalidValue(
                N_("falls due on %(due_on)s under the deadlines of %(agreement)s %(version)s"),
                field="due_on", due_on=expected, agreement=profile.id, version=profile.version,
            )
    elif due != payment_due_on(fact.on, profile):
        raise InvalidValue(
            N_("falls due on %(due_on)s (%(days)s days after %(date)s)"),
            field="due_on", due_on=payment_due_on(fact.on, profile),
            days=profile.settlement.cash_payment_days, date=fact.on,
        )


def _judge_invoice(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    require_order(state)
    number = data_text(fact.data, "number")
    if any(i.number == number for i in state.invoices):
        raise InvalidValue(
            N_("invoice number %(number)s is already used"),
            field="number", number=number,
        )
    currency = data_text(fact.data, "currency")
    if currency != state.currency:
        raise CurrencyMismatch(
            N_("this order is invoiced in %(currency)s"),
            field="currency", currency=state.currency,
        )
    _check_due_on(fact, state, profile)
    if data_text(fact.data, "kind") == "goods" and state.method != "cash":
        raise NotEligible(
            N_("a %(method)s order is not invoiced for goods"),
            field="kind", method=state.method,
        )
    total = data_money(fact.data, "total", currency).minor
    expected = _expected_total(fact, state, profile)
    if total != expected:
        raise InvalidValue(N_("must total %(total)s"), field="total",
                           total=Money(currency, expected).text())
    if total <= 0:
        raise InvalidValue(N_("an invoice bills more than zero"), field="total")
    replaces = fact.data.get("replaces")
    if replaces is not None:
        old = state.invoice(str(replaces))
        if old is None or old.live:
            raise UnknownReference(N_("names no voided invoice of this order"), field="replaces")
        if any(i.replaces == replaces for i in state.invoices):
            raise AlreadyRecorded(N_("that invoice was already reissued"), field="replaces")


def _apply_invoice(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    kind = str(fact.data.get("kind"))
    reference = fact.data.get("reference")
    invoice = Invoice(
        id=fact.hash,
        number=str(fact.data.get("number")),
        kind=kind,
        on=fact.on,
        due_on=data_date(fact.data, "due_on"),
        currency=state.currency,
        total=data_money(fact.data, "total", state.currency).minor,
        lines=_invoice_lines(fact, state.currency),
        reference=str(reference) if reference is not None else None,
        replaces=str(fact.data["replaces"]) if fact.data.get("replaces") else None,
    )
    invoices = state.invoices
    if kind == "difference":
        invoices = tuple(
            replace(i, moved=i.moved + invoice.total) if i.id == reference else i for i in invoices
        )
    note = ""
    if invoice.replaces is not None:
        carried = carried_to(state, invoice.replaces)
        if carried:
            invoice = replace(invoice, paid=carried)
            note = (
                f"{Money(state.currency, carried)} received against the voided invoice "
                "counts as paid on this one"
            )
    return state.evolve(invoices=(*invoices, invoice)), note


def carried_to(state: OrderState, replaced: str) -> int:
    """Money received against ``replaced`` and the voided invoices it reissued.

    A payment may cross the voiding of its invoice; what arrived then counts as
    paid on the invoice that reissues it, so the debtor is never billed twice.
    """
    chain: set[str] = set()
    current: str | None = replaced
    while current is not None and current not in chain:
        chain.add(current)
        found = state.invoice(current)
        current = found.replaces if found is not None else None
    return sum(p.received or 0 for p in state.payments if p.invoice in chain)


def _invoice_total(fact: Fact, state: OrderState) -> Money | None:
    return data_money(fact.data, "total", state.currency) if state.currency else None


def _live_invoice(fact: Fact, state: OrderState, key: str = "invoice") -> Invoice:
    ref = data_text(fact.data, key)
    invoice = state.invoice(ref)
    if invoice is None or not invoice.live:
        raise UnknownReference(N_("names no live invoice of this order"), field=key)
    return invoice


def _judge_void(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    invoice = _live_invoice(fact, state)
    data_text(fact.data, "reason")
    if (
        any(p.invoice == invoice.id for p in state.payments)
        or invoice.paid
        or invoice.credited
        or invoice.written_off
        or invoice.offset
        or invoice.moved
        or any(o.invoice == invoice.id for o in state.offsets)
    ):
        raise InvalidValue(
            N_("payments or credits stand against this invoice: correct it by a credit note"),
            field="invoice",
        )


def _apply_void(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    ref = fact.data.get("invoice")
    voided = state.invoice(str(ref))
    invoices = tuple(
        replace(i, voided_on=fact.on) if i.id == ref and i.live else i for i in state.invoices
    )
    if voided is not None and voided.kind == "difference":
        invoices = tuple(
            replace(i, moved=i.moved - voided.total) if i.id == voided.reference else i
            for i in invoices
        )
    return state.evolve(invoices=invoices), ""


def _judge_credit_note(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> None:
    invoice = _live_invoice(fact, state)
    data_text(fact.data, "reason")
    amount = data_money(fact.data, "amount", state.currency)
    if amount.minor <= 0 or amount.minor > invoice.outstanding:
        raise AmountExceedsOutstanding(
            N_("must be more than zero and at most %(outstanding)s"),
            field="amount", invoice=invoice.number, amount=amount,
            outstanding=Money(state.currency, invoice.outstanding),
        )


def _apply_credit_note(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    ref = fact.data.get("invoice")
    amount = data_money(fact.data, "amount", state.currency).minor
    invoices = tuple(
        replace(i, credited=i.credited + amount) if i.id == ref else i for i in state.invoices
    )
    return state.evolve(invoices=invoices), ""


def _amount(fact: Fact, state: OrderState) -> Money | None:
    return data_money(fact.data, "amount", state.currency) if state.currency else None


@dataclass(frozen=True)
class Part:
    """One order's share of an event that acts on several orders."""

    order: str
    data: Mapping[str, Any]


def parts_for(fact: Fact, order: str) -> list[Part]:
    return [Part(order, p) for p in data_list(fact.data, "orders") if p.get("order") == order]


def _unconfirmed(state: OrderState, invoice: str) -> int:
    """Paid towards invoice number ``invoice`` and not yet confirmed as arrived (a payment
    names its invoice by number or by position: both are resolved)."""
    total = 0
    for p in state.payments:
        if p.confirmed:
            continue
        named = state.invoice(p.invoice)
        if named is not None and named.number == invoice:
            total += p.amount
    return total


def _judge_pay(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    currency = data_text(fact.data, "currency")
    if currency != state.currency:
        raise CurrencyMismatch(
            N_("%(number)s is invoiced in %(currency)s"),
            field="currency", number=state.number, currency=state.currency,
        )
    total = data_money(fact.data, "amount", currency).minor
    allocated = sum(
        data_money(p, "amount", currency, where=f"orders[{i}].").minor
        for i, p in enumerate(data_list(fact.data, "orders"))
    )
    if allocated != total:
        raise InvalidValue(N_("the allocations must add up to the payment"), field="orders")
    # Two allocations may name the same invoice (by number and by position, say):
    # together they may not pay more than is open on it.
    paid_here: dict[str, int] = {}
    for part in parts_for(fact, state.number):
        ref = data_text(part.data, "invoice")
        invoice = state.invoice(ref)
        if invoice is None or not invoice.live:
            raise UnknownReference(
                N_("names no live invoice of %(number)s"),
                field="invoice", number=state.number,
            )
        amount = data_money(part.data, "amount", currency).minor
        if amount <= 0:
            raise AmountExceedsOutstanding(
                N_("an allocation must be more than nothing"),
                field="amount", invoice=invoice.number, amount=Money(currency, amount),
            )
        open_amount = (invoice.outstanding - _unconfirmed(state, invoice.number)
                       - paid_here.get(invoice.number, 0))
        paid_here[invoice.number] = paid_here.get(invoice.number, 0) + amount
        if amount > open_amount:
            raise AmountExceedsOutstanding(
                N_("%(amount)s against %(outstanding)s open on invoice %(invoice)s"),
                field="amount", invoice=invoice.number, amount=Money(currency, amount),
                outstanding=Money(currency, open_amount),
            )


def _apply_pay(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    new = tuple(
        PaymentPart(
            payment=fact.hash,
            invoice=str(part.data.get("invoice")),
            amount=data_money(part.data, "amount", state.currency).minor,
            on=fact.on,
            reference=str(fact.data.get("reference") or ""),
        )
        for part in parts_for(fact, state.number)
    )
    return state.evolve(payments=(*state.payments, *new)), ""


def _my_share(fact: Fact, state: OrderState, key: str = "amount") -> Money | None:
    if not state.currency:
        return None
    total = 0
    for part in parts_for(fact, state.number):
        if key in part.data:
            total += data_money(part.data, key, state.currency).minor
    return Money(state.currency, total)


def _judge_confirm_payment(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> None:
    payment = data_text(fact.data, "payment")
    for part in parts_for(fact, state.number):
        ref = data_text(part.data, "invoice")
        mine = next((p for p in state.payments if p.payment == payment and p.invoice == ref), None)
        if mine is None:
            raise UnknownReference(
                N_("names no payment recorded against that invoice"),
                field="payment",
            )
        if mine.confirmed:
            raise AlreadyRecorded(N_("that payment is already confirmed"), field="payment")
        received = data_money(part.data, "received", state.currency).minor
        if received > mine.amount:
            raise InvalidValue(
                N_("more than the %(paid)s paid"), field="received",
                paid=Money(state.currency, mine.amount),
            )


def _apply_confirm_payment(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    payment = fact.data.get("payment")
    payments = state.payments
    invoices = state.invoices
    notes = []
    for part in parts_for(fact, state.number):
        ref = part.data.get("invoice")
        received = data_money(part.data, "received", state.currency).minor
        payments = tuple(
            replace(p, received=received, confirmed_on=fact.on)
            if p.payment == payment and p.invoice == ref and not p.confirmed
            else p
            for p in payments
        )
        invoice = state.invoice(str(ref))
        target = invoice.id if invoice is not None and invoice.live else None
        if invoice is not None and not invoice.live:
            reissue = live_reissue(state, invoice.id)
            if reissue is not None:
                target = reissue.id
                notes.append(
                    f"the invoice was voided meanwhile: the money received counts as paid on "
                    f"its reissue {reissue.number}"
                )
            else:
                notes.append(
                    "the invoice was voided meanwhile: the money received reduces the debt"
                )
        invoices = tuple(
            replace(i, paid=i.paid + received) if i.id == target else i for i in invoices
        )
    return state.evolve(payments=payments, invoices=invoices), "; ".join(notes)


def _judge_write_off(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    invoice = _live_invoice(fact, state)
    data_text(fact.data, "reason")
    if not any(p.invoice == invoice.id and p.confirmed for p in state.payments):
        raise InvalidValue(N_("only what a payment left short is written off"), field="invoice")
    amount = data_money(fact.data, "amount", state.currency).minor
    if amount <= 0 or amount > invoice.outstanding:
        raise AmountExceedsOutstanding(
            N_("at most %(outstanding)s is outstanding"), field="amount",
            invoice=invoice.number, amount=Money(state.currency, amount),
            outstanding=Money(state.currency, invoice.outstanding),
        )
    limit = profile.write_off_limit(state.currency)
    if invoice.written_off + amount > limit.minor:
        raise LimitExceeded(
            N_("%(total)s written off would exceed the agreement's limit of %(limit)s; invoice "
               "the difference instead"),
            field="amount", invoice=invoice.number, limit=limit,
            total=Money(state.currency, invoice.written_off + amount),
        )


def _apply_write_off(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    ref = fact.data.get("invoice")
    amount = data_money(fact.data, "amount", state.currency).minor
    invoices = tuple(
        replace(i, written_off=i.written_off + amount) if i.id == ref else i for i in state.invoices
    )
    return state.evolve(invoices=invoices), ""


# -- in kind ------------------------------------------------------------------


def _return_lines(
    fact: Fact, state: OrderState, profile: AgreementProfile
) -> tuple[ReturnLine, ...]:
    terms = require_order(state)
    out = []
    for i, raw in enumerate(data_list(fact.data, "lines")):
        where = f"lines[{i}]."
        no = F.data_int(raw, "line", where=where)
        terms.line(no)
        quantity = data_decimal(raw, "quantity", where=where)
        still = owed_in_kind(state, no, profile) - returned(state, no, pending=True)
        if quantity <= 0 or quantity > still:
            raise AmountExceedsOutstanding(
                N_("must be more than zero and at most the %(outstanding)s still owed in kind"),
                field=where + "quantity", line=no, quantity=quantity, outstanding=still,
            )
        out.append(ReturnLine(no, quantity))
    if not out:
        raise MissingField(N_("a return has at least one line"), field="lines")
    return tuple(out)


def _judge_return(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    if state.method != "rik":
        raise NotEligible(N_("only an order settled in kind is returned in kind"), field="type")
    _return_lines(fact, state, profile)
    evidence_of(fact.data)


def _apply_return(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    r = Return(
        fact.hash,
        fact.on,
        _return_lines_unchecked(fact),
        str(fact.data.get("description") or ""),
        evidence_of(fact.data),
    )
    return state.evolve(returns=(*state.returns, r)), ""


def _return_lines_unchecked(fact: Fact) -> tuple[ReturnLine, ...]:
    return tuple(
        ReturnLine(F.data_int(raw, "line"), data_decimal(raw, "quantity"))
        for raw in data_list(fact.data, "lines")
    )


def _judge_accept_return(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> None:
    r = state.return_(data_text(fact.data, "return"))
    if r is None:
        raise UnknownReference(N_("names no return of this order"), field="return")
    if r.answer is not None:
        raise AlreadyRecorded(N_("that return is already answered"), field="return")
    answer = data_text(fact.data, "answer")
    if answer not in ("accepted", "rejected"):
        raise InvalidValue(N_("must be accepted or rejected"), field="answer")
    if answer == "rejected":
        data_text(fact.data, "reason")


def _apply_accept_return(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    ref = fact.data.get("return")
    returns = tuple(
        replace(r, answer=str(fact.data.get("answer")), answered_on=fact.on)
        if r.id == ref and r.answer is None
        else r
        for r in state.returns
    )
    return state.evolve(returns=returns), ""


def conversion_lines(
    state: OrderState, profile: AgreementProfile, prices: Mapping[int, Decimal]
) -> tuple[ConversionLine, ...]:
    """What a conversion must convert: every quantity still owed and not being returned."""
    terms = require_order(state)
    out = []
    for line in terms.lines:
        quantity = owed_in_kind(state, line.no, profile) - returned(state, line.no, pending=True)
        if quantity > 0:
            price = prices.get(line.no, line.unit_price)
            out.append(
                ConversionLine(
                    line.no, quantity, price, line_total(quantity, price, state.currency).minor
                )
            )
    return tuple(out)


def _judge_convert(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    if state.method not in ("rik", "eve"):
        raise NotEligible(N_("only what is owed in kind is converted to cash"), field="type")
    due = in_kind_due_on(state, profile)
    if due is None or fact.on <= due:
        raise DeadlineNotReached(
            N_("what is owed in kind may be converted after %(deadline)s, not on %(date)s"),
            field="on", deadline=due, date=fact.on,
        )
    prices = {}
    lines = data_list(fact.data, "lines")
    for i, raw in enumerate(lines):
        prices[F.data_int(raw, "line", where=f"lines[{i}].")] = data_decimal(
            raw, "unit_price", where=f"lines[{i}]."
        )
    expected = conversion_lines(state, profile, prices)
    if not expected:
        raise AmountExceedsOutstanding(N_("nothing is owed in kind"), field="lines")
    given = _conversion_lines(fact, state.currency)
    if given != expected:
        raise InvalidValue(
            N_("must convert everything still owed: %(owed)s"), field="lines",
            owed=", ".join(f"line {c.line}: {c.quantity} at {c.unit_price}" for c in expected),
        )
    amount = data_money(fact.data, "amount", state.currency).minor
    if amount != sum(c.amount for c in expected):
        raise InvalidValue(N_("must equal the sum of the lines"), field="amount")


def _conversion_lines(fact: Fact, currency: str) -> tuple[ConversionLine, ...]:
    return tuple(
        ConversionLine(
            F.data_int(raw, "line", where=f"lines[{i}]."),
            data_decimal(raw, "quantity", where=f"lines[{i}]."),
            data_decimal(raw, "unit_price", where=f"lines[{i}]."),
            data_money(raw, "amount", currency, where=f"lines[{i}].").minor,
        )
        for i, raw in enumerate(data_list(fact.data, "lines"))
    )


def _apply_convert(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    before = in_kind_value(state, profile)
    lines = _conversion_lines(fact, state.currency)
    conversion = Conversion(fact.hash, fact.on, lines, sum(c.amount for c in lines), 0)
    after_state = state.evolve(conversions=(*state.conversions, conversion))
    after = in_kind_value(after_state, profile)
    conversion = replace(conversion, in_kind_value=before - after)
    return state.evolve(conversions=(*state.conversions, conversion)), ""


# -- equal-value exchange -----------------------------------------------------


@dataclass(frozen=True)
class ExchangeValue:
    order: str
    supplier: str
    currency: str
    value: int
    valued: int  # in the valuation currency
    to_cash: int = 0


def rate_book(data: Mapping[str, Any], on: date) -> RateBook:
    rates = []
    for i, raw in enumerate(data_list(data, "rates", required=False)):
        where = f"rates[{i}]."
        rates.append(
            ExchangeRate(
                on,
                data_text(raw, "base"),
                data_text(raw, "quote"),
                parse_decimal(raw.get("rate"), field=where + "rate"),
            )
        )
    return RateBook(tuple(rates))


def value_exchange(
    parts: list[ExchangeValue], currency: str, rates: RateBook, on: date
) -> tuple[list[ExchangeValue], str | None, int]:
    """Value every order in ``currency``, find the residual and bill it on the creditor's orders.

    Returns the parts with ``valued`` and ``to_cash`` filled, the creditor
    (the party that supplied more; ``None`` when equal) and the residual in
    ``currency``. The residual is billed on the creditor's orders in the
    order listed, each up to its whole value, converted back at the same rate.
    """
    valued = [
        replace(p, valued=rates.convert(Money(p.currency, p.value), currency, on).minor)
        for p in parts
    ]
    by_supplier: dict[str, int] = {}
    for p in valued:
        by_supplier[p.supplier] = by_supplier.get(p.supplier, 0) + p.valued
    if len(by_supplier) != 2:
        raise InvalidValue(N_("an exchange links orders each way"), field="orders")
    (a, va), (b, vb) = sorted(by_supplier.items())
    if va == vb:
        return valued, None, 0
    creditor, residual = (a, va - vb) if va > vb else (b, vb - va)
    left = residual
    out = []
    for p in valued:
        if p.supplier != creditor or left == 0:
            out.append(p)
            continue
        take = min(left, p.valued)
        left -= take
        if take == p.valued:
            share = p.value
        else:
            back = rates.rate(currency, p.currency, on)
            share = min(p.value, convert(Money(currency, take), back, p.currency).minor)
        out.append(replace(p, to_cash=share))
    return out, creditor, residual


def _exchange_values(fact: Fact) -> list[ExchangeValue]:
    out = []
    for i, raw in enumerate(data_list(fact.data, "orders")):
        where = f"orders[{i}]."
        currency = data_text(raw, "currency")
        out.append(
            ExchangeValue(
                order=data_text(raw, "order"),
                supplier=data_text(raw, "supplier"),
                currency=currency,
                value=data_money(raw, "value", currency, where=where).minor,
                valued=data_money(
                    raw, "valued", data_text(fact.data, "currency"), where=where
                ).minor,
                to_cash=data_money(raw, "to_cash", currency, where=where).minor,
            )
        )
    return out


def _judge_link_exchange(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> None:
    if state.method != "eve":
        raise NotEligible(
            N_("%(number)s is not settled by equal-value exchange"),
            field="orders", number=state.number,
        )
    given = _exchange_values(fact)
    currency = data_text(fact.data, "currency")
    computed, _, _ = value_exchange(
        [replace(p, valued=0, to_cash=0) for p in given],
        currency,
        rate_book(fact.data, fact.on),
        fact.on,
    )
    if computed != given:
        raise InvalidValue(
            N_("the valuation or the residual does not follow from the rates"),
            field="orders",
        )
    mine = next(p for p in given if p.order == state.number)
    if mine.supplier != state.supplier or mine.currency != state.currency:
        raise InvalidValue(
            N_("misstates the supplier or currency of %(number)s"),
            field="orders", number=state.number,
        )
    outstanding = in_kind_value(state, profile)
    if mine.value != outstanding:
        raise InvalidValue(
            N_("values %(number)s at %(value)s, but %(owed)s is owed on it"),
            field="orders", number=state.number, value=Money(state.currency, mine.value),
            owed=Money(state.currency, outstanding),
        )
    if any(not x.signed for x in state.exchanges):
        raise AlreadyRecorded(
            N_("%(number)s is already in an exchange awaiting signature"),
            field="orders", number=state.number,
        )
    if profile.settlement.exchange_same_category:
        _check_same_category(fact, state, profile)


def _check_same_category(fact: Fact, state: OrderState, profile: AgreementProfile) -> None:
    """Under a profile where an exchange links services of the same kind, the event names
    the one category it exchanges (``category``): one that may be settled by exchange, and
    every line of every order linked, each way, is of it (each order checks its own)."""
    category = data_text(fact.data, "category", required=False)
    if not category:
        raise MissingField(N_("an exchange under %(agreement)s names the category of the "
                              "services it exchanges"), field="category", agreement=profile.id)
    rule = profile.categories.get(category)
    if rule is None or "eve" not in profile.category_methods(category):
        raise NotEligible(
            N_("%(name)s is not settled by equal-value exchange under %(agreement)s "
               "%(version)s"),
            field="orders", name=rule.name if rule else category, category=category,
            agreement=profile.id, version=profile.version,
        )
    assert state.terms is not None
    others = sorted({ln.category for ln in state.terms.lines} - {category})
    if others:
        raise NotEligible(
            N_("%(number)s is not all %(name)s: an exchange under %(agreement)s %(version)s "
               "links services of one category, the same each way"),
            field="orders", number=state.number, name=rule.name, category=category,
            others=", ".join(others), agreement=profile.id, version=profile.version,
        )


def _apply_link_exchange(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    given = _exchange_values(fact)
    mine = next(p for p in given if p.order == state.number)
    currency = data_text(fact.data, "currency")
    _, _, residual = value_exchange([replace(p, valued=0, to_cash=0) for p in given],
                                    currency, rate_book(fact.data, fact.on), fact.on)
    part = ExchangePart(fact.hash, side, fact.on, mine.value, mine.to_cash,
                        members=tuple(dict.fromkeys(p.order for p in given)),
                        residual=residual, residual_currency=currency)
    return state.evolve(exchanges=(*state.exchanges, part)), ""


def _exchange_value(fact: Fact, state: OrderState) -> Money | None:
    for p in data_list(fact.data, "orders"):
        if p.get("order") == state.number and state.currency:
            return data_money(p, "value", state.currency)
    return None


def _pending_exchange(fact: Fact, state: OrderState) -> ExchangePart:
    ref = data_text(fact.data, "exchange")
    part = next((x for x in state.exchanges if x.exchange == ref and not x.signed), None)
    if part is None:
        raise UnknownReference(
            N_("names no exchange awaiting signature on %(number)s"),
            field="exchange", number=state.number,
        )
    return part


def _judge_sign_exchange(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> None:
    part = _pending_exchange(fact, state)
    if part.proposed_by is side:
        raise NotAuthorized(
            N_("an exchange takes both parties' signatures: the other side signs"),
            field="exchange",
        )
    if part.value != in_kind_value(state, profile):
        raise InvalidValue(
            N_("what is owed on the order changed since the exchange was proposed"),
            field="exchange",
        )
    due = in_kind_due_on(state, profile)
    if due is not None and fact.on > due:
        raise DeadlinePassed(
            N_("the exchange window closed on %(deadline)s"),
            field="on", deadline=due, date=fact.on,
        )


def _apply_sign_exchange(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    ref = fact.data.get("exchange")
    exchanges = tuple(
        replace(x, signed_on=fact.on) if x.exchange == ref and not x.signed else x
        for x in state.exchanges
    )
    return state.evolve(exchanges=exchanges), ""


def _signed_exchange_value(fact: Fact, state: OrderState) -> Money | None:
    ref = fact.data.get("exchange")
    part = next((x for x in state.exchanges if x.exchange == ref), None)
    return Money(state.currency, part.value) if part and state.currency else None


# -- offset -------------------------------------------------------------------


def offset_amount(valued: Money, to_currency: str, rates: RateBook, on: date) -> Money:
    """An offset allocation valued in the statement's currency, in its invoice's currency."""
    return rates.convert(valued, to_currency, on)


def _judge_offset(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    statement_currency = data_text(fact.data, "currency")
    rates = rate_book(fact.data, fact.on)
    owed: dict[str, int] = {}
    for i, raw in enumerate(data_list(fact.data, "orders")):
        where = f"orders[{i}]."
        debtor = data_text(raw, "debtor")
        valued = data_money(raw, "valued", statement_currency, where=where)
        currency = data_text(raw, "currency")
        amount = data_money(raw, "amount", currency, where=where)
        if offset_amount(valued, currency, rates, fact.on) != amount:
            raise InvalidValue(
                N_("%(valued)s is %(amount)s at the rates given"), field=where + "amount",
                valued=valued, amount=offset_amount(valued, currency, rates, fact.on),
            )
        owed[debtor] = owed.get(debtor, 0) + valued.minor
    if len(owed) != 2 or len(set(owed.values())) != 1:
        raise InvalidValue(N_("an offset nets equal amounts owed each way"), field="orders")
    for part in parts_for(fact, state.number):
        if part.data.get("debtor") != state.requester:
            raise InvalidValue(
                N_("%(requester)s is the debtor on %(number)s"),
                field="debtor", requester=state.requester, number=state.number,
            )
        if part.data.get("currency") != state.currency:
            raise CurrencyMismatch(
                N_("%(number)s is in %(currency)s"),
                field="currency", number=state.number, currency=state.currency,
            )
        ref = data_text(part.data, "invoice")
        invoice = state.invoice(ref)
        if invoice is None or not invoice.live:
            raise UnknownReference(
                N_("names no live invoice of %(number)s"),
                field="invoice", number=state.number,
            )
        allocated = data_money(part.data, "amount", state.currency).minor
        if allocated <= 0 or allocated > open_for_offset(state, ref):
            raise AmountExceedsOutstanding(
                N_("more than is open on invoice %(invoice)s"),
                field="amount", invoice=invoice.number, amount=Money(state.currency, allocated),
                outstanding=Money(state.currency, open_for_offset(state, ref)),
            )


def open_for_offset(state: OrderState, invoice: str) -> int:
    """What an offset may still settle on ``invoice``: outstanding, less what is in flight."""
    found = state.invoice(invoice)
    if found is None:
        return 0
    pending = sum(o.amount for o in state.offsets if o.invoice == invoice and o.signed_on is None)
    return found.outstanding - pending - _unconfirmed(state, found.number)


def _apply_offset(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    new = tuple(
        OffsetPart(
            fact.hash,
            str(p.data.get("invoice")),
            data_money(p.data, "amount", state.currency).minor,
            side,
            fact.on,
        )
        for p in parts_for(fact, state.number)
    )
    return state.evolve(offsets=(*state.offsets, *new)), ""


def _judge_sign_offset(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> None:
    ref = data_text(fact.data, "offset")
    mine = [o for o in state.offsets if o.offset == ref and o.signed_on is None]
    if not mine:
        raise UnknownReference(
            N_("names no offset awaiting signature on %(number)s"),
            field="offset", number=state.number,
        )
    if mine[0].proposed_by is side:
        raise NotAuthorized(N_("an offset takes both finance officers' signatures"), field="offset")
    for o in mine:
        invoice = state.invoice(o.invoice)
        if invoice is None or not invoice.live or o.amount > invoice.outstanding:
            raise AmountExceedsOutstanding(
                N_("the invoice no longer has that much open"),
                field="offset", invoice=o.invoice, amount=Money(state.currency, o.amount),
                outstanding=Money(state.currency, invoice.outstanding if invoice else 0),
            )


def _apply_sign_offset(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    ref = fact.data.get("offset")
    mine = [o for o in state.offsets if o.offset == ref and o.signed_on is None]
    invoices = state.invoices
    for o in mine:
        invoices = tuple(
            replace(i, offset=i.offset + o.amount) if i.id == o.invoice else i for i in invoices
        )
    offsets = tuple(
        replace(o, signed_on=fact.on) if o.offset == ref and o.signed_on is None else o
        for o in state.offsets
    )
    return state.evolve(offsets=offsets, invoices=invoices), ""


def _offset_value(fact: Fact, state: OrderState) -> Money | None:
    ref = fact.data.get("offset")
    if not state.currency:
        return None
    return Money(state.currency, sum(o.amount for o in state.offsets if o.offset == ref))


step(F.INVOICE_ISSUED, Step(always(Action.INVOICE), _judge_invoice, _apply_invoice, _invoice_total))
step(F.INVOICE_VOIDED, Step(always(Action.VOID_INVOICE), _judge_void, _apply_void))
step(
    F.CREDIT_NOTE_ISSUED,
    Step(always(Action.CREDIT_NOTE), _judge_credit_note, _apply_credit_note, _amount),
)
step(F.PAYMENT_RECORDED, Step(always(Action.PAY), _judge_pay, _apply_pay, _my_share))
step(
    F.PAYMENT_CONFIRMED,
    Step(always(Action.CONFIRM_PAYMENT), _judge_confirm_payment, _apply_confirm_payment),
)
step(
    F.WRITE_OFF_RECORDED,
    Step(always(Action.WRITE_OFF), _judge_write_off, _apply_write_off, _amount),
)
step(F.RETURN_RECORDED, Step(always(Action.RETURN_IN_KIND), _judge_return, _apply_return))
step(
    F.RETURN_ACCEPTED,
    Step(always(Action.ACCEPT_RETURN), _judge_accept_return, _apply_accept_return),
)
step(F.RIK_CONVERTED, Step(always(Action.CONVERT_TO_CASH), _judge_convert, _apply_convert, _amount))
step(
    F.EXCHANGE_PROPOSED,
    Step(always(Action.LINK_EXCHANGE), _judge_link_exchange, _apply_link_exchange, _exchange_value),
)
step(
    F.EXCHANGE_SIGNED,
    Step(
        always(Action.SIGN_EXCHANGE),
        _judge_sign_exchange,
        _apply_sign_exchange,
        _signed_exchange_value,
    ),
)
step(F.OFFSET_PROPOSED, Step(always(Action.OFFSET), _judge_offset, _apply_offset, _my_share))
step(
    F.OFFSET_SIGNED,
    Step(always(Action.SIGN_OFFSET), _judge_sign_offset, _apply_sign_offset, _offset_value),
)

__all__ = [
    "ExchangeValue",
    "carried_to",
    "conversion_lines",
    "offset_amount",
    "open_for_offset",
    "payment_due_on",
    "uninvoiced_lines",
    "value_exchange",
]

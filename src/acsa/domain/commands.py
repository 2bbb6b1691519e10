"""The data of events whose figures the rules dictate: invoices, conversions, exchanges, offsets.

An entry point asks for an invoice "for everything due"; these functions
compute its lines, total and due date from the order exactly as
interpretation will check them, so a local action and a peer's judgement
never disagree on a figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from acsa.domain.agreement import AgreementProfile
from acsa.domain.deadlines import invoice_due_on
from acsa.domain.errors import N_, InvalidValue, MissingField, NothingDue
from acsa.domain.figures import in_kind_value
from acsa.domain.money import ExchangeRate, Money, RateBook, decimal_text
from acsa.domain.settlement import (
    ExchangeValue,
    conversion_lines,
    offset_amount,
    open_for_offset,
    uninvoiced_lines,
    value_exchange,
)
from acsa.domain.state import OrderState


def money_text(minor: int, currency: str) -> str:
    return Money(currency, minor).text()


def invoice_data(
    state: OrderState,
    profile: AgreementProfile,
    *,
    on: date,
    number: str,
    kind: str = "goods",
    reference: str | None = None,
    replaces: str | None = None,
) -> dict[str, Any]:
    """An invoice for everything due of ``kind`` on the order as it stands."""
    lines: list[dict[str, Any]] = []
    parts: list[tuple[str, int]] = []
    if kind == "goods":
        due = uninvoiced_lines(state, profile)
        if not due:
            raise NothingDue(N_("nothing on this order is due for invoicing"), field="kind")
        parts = [(line.delivery, line.line) for line in due]
        total = sum(line.amount for line in due)
        lines = [
            {
                "delivery": line.delivery,
                "line": line.line,
                "quantity": decimal_text(line.quantity),
                "unit_price": decimal_text(line.unit_price),
                "amount": money_text(line.amount, state.currency),
            }
            for line in due
        ]
    elif kind == "conversion":
        conv = next((c for c in state.conversions if c.id == reference), None)
        if conv is None:
            raise InvalidValue(N_("names no conversion of this order"), field="reference")
        total = conv.amount
    elif kind == "residual":
        part = next((x for x in state.exchanges if x.exchange == reference), None)
        if part is None:
            raise InvalidValue(N_("names no exchange of this order"), field="reference")
        total = part.to_cash
    elif kind == "difference":
        original = state.invoice(reference or "")
        if original is None:
            raise InvalidValue(N_("names no invoice of this order"), field="reference")
        total = original.outstanding
    else:
        raise InvalidValue(N_("'%(kind)s' is not an invoice kind"), field="kind", kind=kind)
    data: dict[str, Any] = {
        "number": number,
        "kind": kind,
        "currency": state.currency,
        "due_on": invoice_due_on(state, profile, on, parts).isoformat(),
        "lines": lines,
        "total": money_text(total, state.currency),
    }
    if reference is not None:
        data["reference"] = reference
    if replaces is not None:
        data["replaces"] = replaces
    return data


def conversion_data(
    state: OrderState, profile: AgreementProfile, prices: Mapping[int, Decimal] | None = None
) -> dict[str, Any]:
    """Convert everything still owed in kind, at ``prices`` (the order's prices by default)."""
    lines = conversion_lines(state, profile, prices or {})
    if not lines:
        raise NothingDue(N_("nothing is owed in kind on this order"), field="lines")
    return {
        "lines": [
            {
                "line": c.line,
                "quantity": decimal_text(c.quantity),
                "unit_price": decimal_text(c.unit_price),
                "amount": money_text(c.amount, state.currency),
            }
            for c in lines
        ],
        "amount": money_text(sum(c.amount for c in lines), state.currency),
    }


def exchanged_category(orders: Sequence[tuple[OrderState, AgreementProfile]]) -> str | None:
    """The category an exchange names where its profile wants one (services of the same
    kind): that of the first line of the first order; the rule then checks every line."""
    if not orders or not orders[0][1].settlement.exchange_same_category:
        return None
    terms = orders[0][0].terms
    return terms.lines[0].category if terms is not None and terms.lines else None


def exchange_data(
    orders: Sequence[tuple[OrderState, AgreementProfile]],
    *,
    on: date,
    currency: str,
    rates: Sequence[tuple[str, str, str]] = (),
) -> dict[str, Any]:
    """Link ``orders`` (each way) in an exchange valued in ``currency`` at ``rates``."""
    parts = [
        ExchangeValue(s.number, s.supplier, s.currency, in_kind_value(s, p), 0) for s, p in orders
    ]
    book = RateBook(tuple(ExchangeRate(on, b, q, Decimal(r)) for b, q, r in rates))
    valued, creditor, residual = value_exchange(parts, currency, book, on)
    kind = exchanged_category(orders)
    return {
        **({"category": kind} if kind is not None else {}),
        "currency": currency,
        "rates": [{"base": b, "quote": q, "rate": r} for b, q, r in rates],
        "orders": [
            {
                "order": p.order,
                "supplier": p.supplier,
                "currency": p.currency,
                "value": money_text(p.value, p.currency),
                "valued": money_text(p.valued, currency),
                "to_cash": money_text(p.to_cash, p.currency),
            }
            for p in valued
        ],
        "residual": {
            "creditor": creditor,
            "amount": money_text(residual, currency),
        },
    }


def payment_data(
    *, currency: str, allocations: Sequence[tuple[str, str, int]], reference: str = ""
) -> dict[str, Any]:
    """A payment of ``(order, invoice, minor units)`` allocations in ``currency``."""
    return {
        "currency": currency,
        "amount": money_text(sum(a for _, _, a in allocations), currency),
        "reference": reference,
        "orders": [
            {"order": o, "invoice": i, "amount": money_text(a, currency)}
            for o, i, a in allocations
        ],
    }


def offset_data(
    invoices: Sequence[tuple[OrderState, str]],
    *,
    on: date,
    currency: str,
    rates: Sequence[tuple[str, str, str]] = (),
) -> dict[str, Any]:
    """An offset statement netting ``invoices`` (order, invoice id) each way, in ``currency``.

    What is open on each invoice is valued in the statement's currency; the
    smaller side is offset whole and the larger side by the same value,
    invoice by invoice in the order given.
    """
    book = RateBook(tuple(ExchangeRate(on, b, q, Decimal(r)) for b, q, r in rates))
    sides: dict[str, list[tuple[OrderState, str, int]]] = {}
    for state, invoice in invoices:
        open_amount = open_for_offset(state, invoice)
        valued = book.convert(Money(state.currency, open_amount), currency, on).minor
        # Never value an allocation above what converts back within the open amount.
        while valued > 0 and offset_amount(
            Money(currency, valued), state.currency, book, on
        ).minor > open_amount:
            valued -= 1
        sides.setdefault(state.requester, []).append((state, invoice, valued))
    if len(sides) != 2:
        raise InvalidValue(N_("an offset nets invoices owed each way"), field="orders")
    net = min(sum(v for _, _, v in side) for side in sides.values())
    if net <= 0:
        raise NothingDue(N_("nothing is open to offset"), field="orders")
    parts = []
    for debtor, side in sorted(sides.items()):
        left = net
        for state, invoice, valued in side:
            take = min(left, valued)
            left -= take
            if take == 0:
                continue
            amount = offset_amount(Money(currency, take), state.currency, book, on)
            parts.append(
                {
                    "order": state.number,
                    "invoice": invoice,
                    "debtor": debtor,
                    "currency": state.currency,
                    "amount": amount.text(),
                    "valued": money_text(take, currency),
                }
            )
    return {
        "currency": currency,
        "rates": [{"base": b, "quote": q, "rate": r} for b, q, r in rates],
        "net": money_text(net, currency),
        "orders": parts,
    }


def term_changes(state: OrderState, *, quantities: Mapping[int, str] | None = None,
                 prices: Mapping[int, str] | None = None, needed_by: str | None = None,
                 deliver_to: str | None = None, remarks: str | None = None,
                 add_lines: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The changes of a proposal or an amendment, as their events carry them.

    Quantities and prices are given per line number; added lines are numbered
    after the last line. Nothing else of the terms can change once submitted.
    """
    assert state.terms is not None
    changes: dict[str, Any] = {}
    if quantities or prices or add_lines:
        changes["lines"] = _changed_lines(state, quantities or {}, prices or {}, add_lines)
    for key, value in (("needed_by", needed_by), ("deliver_to", deliver_to),
                       ("remarks", remarks)):
        if value is not None:
            changes[key] = value
    if not changes:
        raise MissingField(
            N_("say what changes: quantities, prices, dates, place or lines"),
            field="changes",
        )
    return changes


def _changed_lines(state: OrderState, quantities: Mapping[int, str],
                   prices: Mapping[int, str], add_lines: Sequence[Mapping[str, Any]]
                   ) -> list[dict[str, Any]]:
    assert state.terms is not None
    known = {ln.no for ln in state.terms.lines}
    for key, per_line in (("quantity", quantities), ("unit_price", prices)):
        for no in per_line:
            if no not in known:
                raise InvalidValue(
                    N_("%(number)s has no line %(no)s"),
                    field=key, number=state.number, no=no,
                )
    lines = []
    for ln in state.terms.lines:
        data = ln.as_data()
        if ln.no in quantities:
            data["quantity"] = quantities[ln.no]
        if ln.no in prices:
            data["unit_price"] = prices[ln.no]
        lines.append(data)
    next_no = max(known, default=0) + 1
    lines += [{**extra, "no": next_no + i} for i, extra in enumerate(add_lines)]
    return lines

"""Deadlines: what must be done by when, counted from what (the profile's ``[[deadlines]]``).

A profile may declare deadlines per settlement method and category, each for one
step and counted from one date:

- ``receive`` — acknowledge a delivery, counted from the delivery;
- ``invoice`` — invoice what is owed in cash, from the delivery or its receipt;
- ``pay`` — pay an invoice, from the invoice or from the deliveries it bills (or their
  receipts);
- ``settle`` — settle the support, in cash, in kind or by exchange, from the delivery
  or its receipt (Japan's agreements: twelve months from delivery).

Every deadline that applies counts and the earliest date governs: a settle-by date
also bounds the invoice-by and pay-by dates of the same support, and the settlement
periods (``cash_payment_days`` after an invoice, ``rik_return_days`` and
``eve_window_days`` after the first delivery) still apply beside them. A deadline
counted from a receipt has no date until the delivery is acknowledged.

A profile without the section dates nothing here: every function gives what the
settlement periods alone gave before, so an order recorded under an older profile
version keeps its due dates and verdicts. The dates are pure functions of the order
and its profile; projections store them and lateness is computed when read
(:mod:`acsa.domain.aging`).
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Iterable
from datetime import date, timedelta

from acsa.domain.agreement import AgreementProfile, Deadline
from acsa.domain.state import Delivery, OrderState

# (delivery id, line number): the support a deadline counted from a delivery binds.
Part = tuple[str, int]


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months on; the 31st becomes the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def deadline_on(rule: Deadline, origin: date) -> date:
    """The last day of ``rule`` counted from ``origin`` (on it, the step is still in time)."""
    if rule.months:
        return add_months(origin, rule.months)
    return origin + timedelta(days=rule.days)


def _categories(state: OrderState, lines: Collection[int] | None = None) -> set[str]:
    """The categories of ``lines`` of the order (of every line by default)."""
    if state.terms is None:
        return set()
    return {ln.category for ln in state.terms.lines if lines is None or ln.no in lines}


def _origin(state: OrderState, rule: Deadline, delivery: Delivery) -> date | None:
    if rule.counts_from == "delivery":
        return delivery.on
    receipt = state.receipt_for(delivery.id)
    return receipt.on if receipt is not None else None


def parts_due(state: OrderState, profile: AgreementProfile, steps: Collection[str],
              parts: Iterable[Part]) -> date | None:
    """The earliest deadline of ``steps`` on ``parts``, each counted from its delivery (or
    that delivery's receipt); None when no such deadline applies or has a date yet."""
    if profile.deadlines is None:
        return None
    dates = []
    for delivery_id, line in parts:
        delivery = state.delivery(delivery_id)
        if delivery is None:
            continue
        categories = _categories(state, (line,))
        for rule in profile.deadlines:
            if (rule.step in steps and rule.counts_from != "invoice"
                    and rule.applies(state.method, categories)):
                origin = _origin(state, rule, delivery)
                if origin is not None:
                    dates.append(deadline_on(rule, origin))
    return min(dates, default=None)


def delivered_parts(state: OrderState) -> list[Part]:
    return [(d.id, dl.line) for d in state.deliveries for dl in d.lines]


def receipt_due_on(state: OrderState, profile: AgreementProfile,
                   delivery: Delivery) -> date | None:
    """The last day to acknowledge ``delivery``; None where the profile sets none."""
    return parts_due(state, profile, ("receive",), [(delivery.id, dl.line)
                                                   for dl in delivery.lines])


def settle_by(state: OrderState, profile: AgreementProfile) -> date | None:
    """The last day to settle the order's support, by its earliest delivery's settle-by
    deadline; None where the profile sets none."""
    return parts_due(state, profile, ("settle",), delivered_parts(state))


def invoice_due_on(state: OrderState, profile: AgreementProfile, issued_on: date,
                   parts: Iterable[Part] = ()) -> date:
    """The day an invoice of ``issued_on`` billing ``parts`` falls due: ``cash_payment_days``
    after its date, or earlier where a pay-by or settle-by deadline says so. An invoice
    that bills no delivery (a conversion, a residual, a difference) counts from its date."""
    base = issued_on + timedelta(days=profile.settlement.cash_payment_days)
    if profile.deadlines is None:
        return base
    billed = list(parts)
    categories = _categories(state, {line for _, line in billed} if billed else None)
    dates = [base, *(deadline_on(r, issued_on) for r in profile.deadlines
                     if r.step == "pay" and r.counts_from == "invoice"
                     and r.applies(state.method, categories))]
    bound = parts_due(state, profile, ("pay", "settle"), billed)
    return min(dates if bound is None else [*dates, bound])


def invoice_by(state: OrderState, profile: AgreementProfile, parts: Iterable[Part],
               arose: Iterable[date] = ()) -> date | None:
    """The last day to invoice: the earliest invoice-by or settle-by deadline of the
    delivered ``parts`` not yet invoiced, and the invoice-by deadline counted from each
    day in ``arose`` (when a conversion or an exchange residual became owed in cash).
    None where the profile sets none."""
    if profile.deadlines is None:
        return None
    dates = [parts_due(state, profile, ("invoice", "settle"), parts)]
    categories = _categories(state)
    dates += [deadline_on(r, day) for day in arose for r in profile.deadlines
              if r.step == "invoice" and r.applies(state.method, categories)]
    return min((d for d in dates if d is not None), default=None)

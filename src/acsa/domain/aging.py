"""What is due, by when, and how late: computed at read time from stored due dates.

Projections store due dates, never "overdue" flags, so that verifying the
ledger gives the same answer every day. Lateness is computed here from one
injectable clock. A due date is a calendar date; it is overdue from the
first calendar day after it, counted in the time zone of the party that
must act (the debtor pays, the requester confirms an emergency order), so
both nodes compute the same lateness for the same instant. Due dates come from
the order's agreement profile: its settlement periods and, where it declares
them, its deadlines (:mod:`acsa.domain.deadlines`), under which every delivery
not yet acknowledged is an item too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from acsa.domain.aging_buckets import bucket, local_date
from acsa.domain.agreement import AgreementProfile
from acsa.domain.deadlines import invoice_by, receipt_due_on
from acsa.domain.figures import accounts, first_delivery_on, in_kind_due_on
from acsa.domain.money import Money
from acsa.domain.settlement import uninvoiced_lines
from acsa.domain.state import OrderState

Clock = Callable[[], datetime]

@dataclass(frozen=True)
class DueItem:
    """Something one party owes the other, or must do, on one order."""

    order: str
    kind: str  # "invoice", "uninvoiced", "unacknowledged", "in_kind", "emergency_confirmation"
    reference: str  # invoice number, order number …
    debtor: str  # the party that must act
    creditor: str
    since: date  # when it arose
    due_on: date | None  # None: no agreed date (the profile declares no such deadline)
    amount: Money | None


def due_items(state: OrderState, profile: AgreementProfile) -> list[DueItem]:
    """Every open item of an order, with its due date."""
    if state.terms is None:
        return []
    items: list[DueItem] = []
    debtor, creditor = state.requester, state.supplier
    for invoice in state.invoices:
        if invoice.live and invoice.outstanding > 0:
            items.append(
                DueItem(
                    state.number,
                    "invoice",
                    invoice.number,
                    debtor,
                    creditor,
                    invoice.on,
                    invoice.due_on,
                    Money(state.currency, invoice.outstanding),
                )
            )
    a = accounts(state, profile)
    if a.receivable > 0:
        # Support owed in cash that nobody has invoiced yet: the supplier
        # must act, and its age runs from the last receipt.
        since = max((r.on for r in state.receipts), default=state.submitted_on or date.min)
        items.append(
            DueItem(
                state.number,
                "uninvoiced",
                state.number,
                creditor,
                debtor,
                since,
                uninvoiced_due_on(state, profile),
                Money(state.currency, a.receivable),
            )
        )
    items += unacknowledged(state, profile)
    if a.in_kind > 0:
        first = first_delivery_on(state)
        items.append(
            DueItem(
                state.number,
                "in_kind",
                state.number,
                debtor,
                creditor,
                first or date.min,
                in_kind_due_on(state, profile),
                Money(state.currency, a.in_kind),
            )
        )
    if state.emergency and state.emergency_confirmed_on is None:
        items.append(
            DueItem(
                state.number,
                "emergency_confirmation",
                state.number,
                debtor,
                creditor,
                state.submitted_on or date.min,
                state.emergency_confirmation_due,
                None,
            )
        )
    return items


def uninvoiced_due_on(state: OrderState, profile: AgreementProfile) -> date | None:
    """The last day to invoice what the order owes in cash and nobody has invoiced yet: the
    profile's invoice-by (or settle-by) deadline of the earliest such delivery, or counted
    from the day a conversion or an exchange residual became owed; None without
    ``[[deadlines]]``."""
    if profile.deadlines is None:
        return None
    parts = [(line.delivery, line.line) for line in uninvoiced_lines(state, profile)]
    live = {(i.kind, i.reference) for i in state.invoices if i.live}
    arose = [c.on for c in state.conversions if ("conversion", c.id) not in live]
    arose += [x.signed_on for x in state.exchanges
              if x.signed_on is not None and x.to_cash > 0
              and ("residual", x.exchange) not in live]
    return invoice_by(state, profile, parts, arose)


def unacknowledged(state: OrderState, profile: AgreementProfile) -> list[DueItem]:
    """Each delivery the requester has not acknowledged, due by the profile's receipt-by
    deadline (None: no deadline, still listed); none under a profile without
    ``[[deadlines]]``."""
    if profile.deadlines is None:
        return []
    return [
        DueItem(state.number, "unacknowledged", f"delivery {position}", state.requester,
                state.supplier, d.on, receipt_due_on(state, profile, d), None)
        for position, d in enumerate(state.deliveries, 1)
        if state.receipt_for(d.id) is None
    ]


def days_overdue(item: DueItem, today: date) -> int:
    """Days past the due date (0 when not yet due); for undated items, days since they arose."""
    if item.due_on is None:
        return max(0, (today - item.since).days)
    return max(0, (today - item.due_on).days)


@dataclass(frozen=True)
class AgedItem:
    item: DueItem
    days: int
    bucket: str

    @property
    def overdue(self) -> bool:
        return self.item.due_on is not None and self.days > 0


def age(items: Iterable[DueItem], clock: Clock, zones: Mapping[str, str]) -> list[AgedItem]:
    """Age every item as of the clock's instant, in its debtor's time zone."""
    now = clock()
    out = []
    for item in items:
        today = local_date(now, zones.get(item.debtor, "UTC"))
        days = days_overdue(item, today)
        out.append(AgedItem(item, days, bucket(days)))
    return out


def age_on(items: Iterable[DueItem], day: date) -> list[AgedItem]:
    """Age every item as of calendar day ``day``, a cut-off date: the same day for every
    debtor, whatever its time zone (an item due on ``day`` is not yet overdue)."""
    out = []
    for item in items:
        days = days_overdue(item, day)
        out.append(AgedItem(item, days, bucket(days)))
    return out

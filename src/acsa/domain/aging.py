"""What is due, by when, and how late: computed at read time from stored due dates.

Projections store due dates, never "overdue" flags, so that verifying the
ledger gives the same answer every day. Lateness is computed here from one
injectable clock. A due date is a calendar date; it is overdue from the
first calendar day after it, counted in the time zone of the party that
must act (the debtor pays, the requester confirms an emergency order), so
both nodes compute the same lateness for the same instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from acsa.domain.agreement import AgreementProfile
from acsa.domain.figures import accounts, first_delivery_on, in_kind_due_on
from acsa.domain.money import Money
from acsa.domain.state import OrderState

Clock = Callable[[], datetime]

# Days overdue, inclusive lower bounds; the last bucket is open-ended.
AGING_BUCKETS: tuple[tuple[int, str], ...] = (
    (0, "current"),
    (1, "1-30"),
    (31, "31-60"),
    (61, "61-90"),
    (91, "over 90"),
)


@dataclass(frozen=True)
class DueItem:
    """Something one party owes the other, or must do, on one order."""

    order: str
    kind: str  # "invoice", "uninvoiced", "in_kind", "emergency_confirmation"
    reference: str  # invoice number, order number …
    debtor: str  # the party that must act
    creditor: str
    since: date  # when it arose
    due_on: date | None  # None: no agreed date (support received, not yet invoiced)
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
                None,
                Money(state.currency, a.receivable),
            )
        )
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


def local_date(now: datetime, zone: str) -> date:
    """The calendar date at instant ``now`` in time zone ``zone``."""
    if now.tzinfo is None:
        raise ValueError("the clock must give an aware datetime")
    return now.astimezone(ZoneInfo(zone)).date()


def days_overdue(item: DueItem, today: date) -> int:
    """Days past the due date (0 when not yet due); for undated items, days since they arose."""
    if item.due_on is None:
        return max(0, (today - item.since).days)
    return max(0, (today - item.due_on).days)


def bucket(days: int) -> str:
    label = AGING_BUCKETS[0][1]
    for lower, name in AGING_BUCKETS:
        if days >= lower:
            label = name
    return label


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

"""Reports read from the projections: balances, aging, obligations in kind, ceilings.

Each report is read by one user and counts only the orders that user may read
(:mod:`acsa.services.need_to_know`): a total never includes, and never moves
with, an order hidden from its reader. Balances and the aging summary come
from the sums kept per reader class in step with the postings and due items
(:mod:`acsa.store.reader_totals`): a reader's totals add the few classes they
may read, whatever the number of orders. Aging is computed at read time from
stored due dates and one clock, in each debtor's time zone, so two nodes give
the same answer for the same instant.

Aging as of a past date (a cut-off date) is the record as it stood at the end
of that day: each order folded again from its events dated (business date) on
or before it — as the year-end cut-off counts postings — and its open items
aged at that date, the same day for every debtor.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from acsa.domain.aging import DueItem, age, age_on
from acsa.domain.aging import due_items as order_due_items
from acsa.domain.aging_buckets import AGING_BUCKETS
from acsa.domain.ceilings import CountedOrder, ceiling_use, scope_agreements
from acsa.domain.errors import N_, DomainError, RateMissing, ReportTooLarge
from acsa.domain.facts import Fact
from acsa.domain.interpret import interpret_orders
from acsa.domain.money import Money
from acsa.domain.order import OrderLine, OrderTerms
from acsa.domain.state import OrderState
from acsa.services import need_to_know, rates
from acsa.services.report_tables import REPORT_ROWS_MAX
from acsa.services.totals import AgingCell as AgingCell  # the kept totals (totals.py)
from acsa.services.totals import BalanceRow as BalanceRow
from acsa.services.totals import aging_cells as aging_cells
from acsa.services.totals import aging_totals as aging_totals
from acsa.services.totals import aging_totals_of as aging_totals_of
from acsa.services.totals import balances as balances
from acsa.services.totals import zones
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.store import tables as T
from acsa.store.log import facts_of, linked_orders, read_orders
from acsa.store.reader_totals import owing


@dataclass(frozen=True)
class AgingRow:
    order: str
    kind: str
    reference: str
    debtor: str
    creditor: str
    due_on: date | None
    days: int
    bucket: str
    amount: Money | None


def due_items(uow: UnitOfWork, user: LocalUser) -> list[DueItem]:
    """What is due on the orders ``user`` may read."""
    d = T.due_items.c
    out = []
    for r in uow.conn.execute(select(T.due_items)
                              .where(need_to_know.readable(uow, user, d.order_number))
                              .order_by(d.id)):
        amount = Money(r.currency, r.amount_minor) if r.currency else None
        out.append(DueItem(r.order_number, r.kind, r.reference, r.debtor, r.creditor, r.since,
                           r.due_on, amount))
    return out


def _dated_by(fact: Fact, day: date) -> bool:
    """Whether an event's business date is on or before ``day`` (its recording date when
    it carries none)."""
    try:
        return fact.on <= day
    except DomainError:
        return date.fromisoformat(fact.at[:10]) <= day


def fold_as_of(uow: UnitOfWork, numbers: Sequence[str], day: date) -> dict[str, OrderState]:
    """``numbers`` as their record stood at the end of ``day``: folded from their events
    dated on or before it, with the orders a payment, exchange or offset links them to
    (an event whose parent is dated later is judged as it would have been: ineffective)."""
    if len(numbers) > REPORT_ROWS_MAX:
        raise ReportTooLarge(
            N_("%(total)s %(what)s: more than %(limit)s in one report; narrow it (partner, "
               "currency, date)"),
            field="report", limit=REPORT_ROWS_MAX, total=len(numbers), what="orders")
    if not numbers:
        return {}
    events = read_orders(uow.conn, linked_orders(uow.conn, numbers))
    facts = [f for f in facts_of(events) if _dated_by(f, day)]
    return interpret_orders(facts, uow.context, numbers)


def due_items_as_of(uow: UnitOfWork, user: LocalUser, day: date) -> list[DueItem]:
    """What was due at the end of ``day`` on the orders ``user`` may read."""
    o = T.orders.c
    numbers = list(uow.conn.execute(
        select(o.number).where(o.submitted_on <= day, need_to_know.readable(uow, user))
        .order_by(o.number)).scalars())
    out: list[DueItem] = []
    for _, state in sorted(fold_as_of(uow, numbers, day).items()):
        if state.terms is not None:
            out += order_due_items(state, uow.context.profile(state.profile))
    return out


def aging(uow: UnitOfWork, user: LocalUser, clock: Callable[[], datetime], *,
          as_of: date | None = None) -> list[AgingRow]:
    """What is due on the orders ``user`` may read, by how late it is: now, by ``clock``,
    in each debtor's time zone; or, with ``as_of``, what was due at the end of that day,
    aged at that date."""
    if as_of is None:
        aged = age(due_items(uow, user), clock, zones(uow))
    else:
        aged = age_on(due_items_as_of(uow, user, as_of), as_of)
    return [
        AgingRow(a.item.order, a.item.kind, a.item.reference, *_owing(a.item),
                 a.item.due_on, a.days, a.bucket, a.item.amount)
        for a in sorted(aged, key=lambda a: (-a.days, a.item.order))
    ]


def _owing(item: DueItem) -> tuple[str, str]:
    """Who owes the item's amount to whom (:func:`acsa.store.reader_totals.owing`)."""
    return owing(item.kind, item.debtor, item.creditor)


def aging_summary(rows: list[AgingRow]) -> dict[tuple[str, str, str], dict[str, int]]:
    """Amounts per (debtor, creditor, currency) and bucket, minor units."""
    out: dict[tuple[str, str, str], dict[str, int]] = defaultdict(
        lambda: {name: 0 for _, name in AGING_BUCKETS}
    )
    for r in rows:
        if r.amount is not None:
            out[(r.debtor, r.creditor, r.amount.currency)][r.bucket] += r.amount.minor
    return dict(out)


@dataclass(frozen=True)
class ObligationRow:
    order: str
    line: int
    item: str
    unit: str
    owed: Decimal
    due_on: date | None
    debtor: str
    creditor: str


def obligations(uow: UnitOfWork, user: LocalUser) -> list[ObligationRow]:
    """Supplies owed in kind on the orders ``user`` may read."""
    rows = uow.conn.execute(
        select(T.in_kind, T.orders.c.requester, T.orders.c.supplier)
        .join(T.orders, T.orders.c.number == T.in_kind.c.order_number)
        .where(need_to_know.readable(uow, user))
        .order_by(T.in_kind.c.due_on, T.in_kind.c.order_number, T.in_kind.c.line)
    )
    return [
        ObligationRow(r.order_number, r.line, r.item, r.unit, Decimal(r.owed), r.due_on,
                      r.requester, r.supplier)
        for r in rows
    ]


@dataclass(frozen=True)
class CeilingRow:
    agreement: str
    party: str
    partner: str
    direction: str
    fiscal_year: int
    cap: Money
    used: Money
    suspended: bool
    sub_caps: list[tuple[str, Money, Money]]  # group, used, cap
    scope: str = "agreement"  # "country": counted across every agreement with the partner
    agreements: tuple[str, ...] = ()  # the agreements whose orders it counts
    # Why nothing could be counted (no rate the profile allows for ceilings); None: counted.
    missing_rate: DomainError | None = None


def counted_orders(uow: UnitOfWork, user: LocalUser,
                   agreements: Sequence[str]) -> list[CountedOrder]:
    """Accepted orders of ``agreements`` that ``user`` may read, as ceilings count them, from
    the projections."""
    o, line = T.orders.c, T.order_lines.c
    accepted = (o.agreement.in_(agreements), o.accepted_on.is_not(None),
                need_to_know.readable(uow, user))
    lines: dict[str, list[OrderLine]] = defaultdict(list)
    for r in uow.conn.execute(select(T.order_lines).join(T.orders, o.number == line.order_number)
                              .where(*accepted)):
        lines[r.order_number].append(OrderLine(r.no, r.category, r.description,
                                               Decimal(r.quantity), r.unit,
                                               Decimal(r.unit_price), r.nsn))
    out = []
    for r in uow.conn.execute(select(T.orders).where(*accepted)):
        terms = OrderTerms(r.agreement, r.activity, r.activity_type, r.requester, r.supplier,
                           r.requesting_unit, r.method, r.currency, r.needed_by or date.min,
                           "", "", tuple(lines[r.number]))
        out.append(CountedOrder(r.number, terms, r.accepted_on))
    return out


def ceilings(uow: UnitOfWork, user: LocalUser, on: date) -> list[CeilingRow]:
    """Use of every ceiling of every adopted agreement (its newest version), in the fiscal
    year containing ``on``, by the orders ``user`` may read (docs/security.md: a reader sees
    no use by orders hidden from them; the check when an order is submitted or accepted
    counts them all). A ceiling counted per country counts the orders of every agreement
    this node holds with the partner, and names them."""
    held = rates.held_profiles(uow)
    out = []
    for profile in held:
        for ceiling in profile.ceilings:
            agreements = scope_agreements(ceiling, profile, held)
            year = profile.party(ceiling.party).fiscal_year(on)
            row = CeilingRow(profile.id, ceiling.party, ceiling.partner, ceiling.direction,
                             year, ceiling.annual_cap, Money.zero(ceiling.currency),
                             ceiling.suspended, [], ceiling.scope, agreements)
            try:
                use = ceiling_use(ceiling, profile, year,
                                  counted_orders(uow, user, agreements),
                                  rates.rate_book(uow, list(agreements)), held)
            except RateMissing as missing:
                out.append(replace(row, missing_rate=missing))
                continue
            out.append(replace(row, used=use.used, sub_caps=list(use.sub_caps_used)))
    return out

"""Reports read from the projections: balances, aging, obligations in kind, ceilings.

Balances come from the double-entry balances table (kept in step with the
postings); aging is computed at read time from stored due dates and one
clock, in each debtor's time zone, so two nodes give the same answer for
the same instant.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from acsa.domain.aging import AGING_BUCKETS, DueItem, age
from acsa.domain.agreement import profile_from_document
from acsa.domain.ceilings import CountedOrder, ceiling_use
from acsa.domain.money import Money
from acsa.domain.order import OrderLine, OrderTerms
from acsa.domain.postings import OWED_KINDS, AccountKind
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T


@dataclass(frozen=True)
class BalanceRow:
    """What ``debtor`` owes ``creditor`` in ``currency``, account by account (minor units)."""

    debtor: str
    creditor: str
    currency: str
    accounts: dict[str, int]

    @property
    def outstanding(self) -> int:
        return sum(self.accounts.get(k.value, 0) for k in OWED_KINDS)

    def text(self, kind: str) -> str:
        return Money(self.currency, self.accounts.get(kind, 0)).text()


def balances(uow: UnitOfWork) -> list[BalanceRow]:
    grouped: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    for row in uow.conn.execute(select(T.balances)):
        grouped[(row.debtor, row.creditor, row.currency)][row.account] = row.balance_minor
    return [
        BalanceRow(d, c, cur, {k.value: accounts.get(k.value, 0) for k in AccountKind})
        for (d, c, cur), accounts in sorted(grouped.items())
    ]


def zones(uow: UnitOfWork) -> dict[str, str]:
    """Each party's time zone, from the adopted profiles."""
    out: dict[str, str] = {}
    for row in uow.conn.execute(select(T.agreements.c.document)):
        for party in json.loads(row.document)["parties"]:
            out[party["code"]] = party["time_zone"]
    return out


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


def due_items(uow: UnitOfWork) -> list[DueItem]:
    out = []
    for r in uow.conn.execute(select(T.due_items).order_by(T.due_items.c.id)):
        amount = Money(r.currency, r.amount_minor) if r.currency else None
        out.append(DueItem(r.order_number, r.kind, r.reference, r.debtor, r.creditor, r.since,
                           r.due_on, amount))
    return out


def aging(uow: UnitOfWork, clock: Callable[[], datetime]) -> list[AgingRow]:
    aged = age(due_items(uow), clock, zones(uow))
    return [
        AgingRow(a.item.order, a.item.kind, a.item.reference, a.item.debtor, a.item.creditor,
                 a.item.due_on, a.days, a.bucket, a.item.amount)
        for a in sorted(aged, key=lambda a: (-a.days, a.item.order))
    ]


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


def obligations(uow: UnitOfWork) -> list[ObligationRow]:
    rows = uow.conn.execute(
        select(T.in_kind, T.orders.c.requester, T.orders.c.supplier)
        .join(T.orders, T.orders.c.number == T.in_kind.c.order_number)
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
    sub_caps: list[tuple[str, Money, Money]]


def counted_orders(uow: UnitOfWork, agreement: str) -> list[CountedOrder]:
    """Accepted orders as ceilings count them, read from the projections."""
    lines: dict[str, list[OrderLine]] = defaultdict(list)
    for r in uow.conn.execute(select(T.order_lines)):
        lines[r.order_number].append(OrderLine(r.no, r.category, r.description,
                                               Decimal(r.quantity), r.unit,
                                               Decimal(r.unit_price), r.nsn))
    out = []
    for o in uow.conn.execute(select(T.orders).where(T.orders.c.agreement == agreement,
                                                     T.orders.c.accepted_on.is_not(None))):
        terms = OrderTerms(o.agreement, o.activity, o.activity_type, o.requester, o.supplier,
                           o.requesting_unit, o.method, o.currency, o.needed_by or date.min,
                           "", "", tuple(lines[o.number]))
        out.append(CountedOrder(o.number, terms, o.accepted_on))
    return out


def ceilings(uow: UnitOfWork, on: date) -> list[CeilingRow]:
    """Use of every ceiling of every adopted agreement, in the fiscal year containing ``on``."""
    from acsa.services.orders import rate_book

    out = []
    for row in uow.conn.execute(select(T.agreements)):
        if uow.node.party not in json.loads(row.adopted_by):
            continue
        profile = profile_from_document(json.loads(row.document), row.id)
        if not profile.ceilings:
            continue
        counted = counted_orders(uow, profile.id)
        rates = rate_book(uow, profile.id)
        for ceiling in profile.ceilings:
            year = profile.party(ceiling.party).fiscal_year(on)
            use = ceiling_use(ceiling, profile, year, counted, rates)
            out.append(CeilingRow(profile.id, ceiling.party, ceiling.partner, ceiling.direction,
                                  year, ceiling.annual_cap, use.used, ceiling.suspended,
                                  list(use.sub_caps_used)))
    return out

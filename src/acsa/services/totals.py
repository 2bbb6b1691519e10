"""The totals kept per reader class, read without folding an order: balances and aging.

What each party owes the other and what is due now, per bucket, over the orders a user
may read (:mod:`acsa.services.need_to_know`): the sums kept per reader class in step
with the postings and due items (:mod:`acsa.store.reader_totals`), a few rows whatever
the number of orders. Apart from :mod:`acsa.services.reports`, whose other reports fold
orders, so that a command reading only these totals starts without loading the fold
(docs/benchmarks.md, start-up).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select

from acsa.domain.aging_buckets import AGING_BUCKETS, local_date
from acsa.domain.money import Money
from acsa.domain.postings import OWED_KINDS, AccountKind
from acsa.services import need_to_know
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.store import tables as T
from acsa.store.reader_totals import CLASS_COLUMNS


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


def balances(uow: UnitOfWork, user: LocalUser) -> list[BalanceRow]:
    """What each party owes the other, over the orders ``user`` may read: the sum of the
    balances of the reader classes they may read (``class_balances``), a few rows
    whatever the number of orders."""
    summed: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in readable(uow, user, uow.conn.execute(select(T.class_balances))):
        summed[(row.debtor, row.creditor, row.currency)][row.account] += row.balance_minor
    out = []
    for (d, c, cur), accounts in sorted(summed.items()):
        if any(accounts.values()):  # a balance at zero is no balance, as in the balances table
            out.append(BalanceRow(d, c, cur, {k.value: accounts.get(k.value, 0)
                                              for k in AccountKind}))
    return out


def readable(uow: UnitOfWork, user: LocalUser, rows: Iterable[Any]) -> Iterator[Any]:
    """The rows of reader classes ``user`` may read (each class judged once)."""
    judged: dict[tuple[str, ...], bool] = {}
    for row in rows:
        cls = tuple(getattr(row, c) for c in CLASS_COLUMNS)
        ok = judged.get(cls)
        if ok is None:
            ok = judged[cls] = need_to_know.may_read_class(uow, user, row)
        if ok:
            yield row


def zones(uow: UnitOfWork) -> dict[str, str]:
    """Each party's time zone, from the adopted profiles."""
    out: dict[str, str] = {}
    for row in uow.conn.execute(select(T.agreements.c.document)):
        for party in json.loads(row.document)["parties"]:
            out[party["code"]] = party["time_zone"]
    return out


@dataclass(frozen=True)
class AgingCell:
    """What ``user`` may read of one (debtor, creditor, currency, bucket): the amount in
    minor units and how many items make it up."""

    debtor: str
    creditor: str
    currency: str
    bucket: str
    minor: int
    items: int


def aging_cells(uow: UnitOfWork, user: LocalUser, clock: Callable[[], datetime]
                ) -> list[AgingCell]:
    """The amounts due now per bucket, from the due amounts kept per reader class and day
    (``class_due``): each day's amount bucketed in the database against today in the
    time zone of the party that must act, then the classes ``user`` may read summed — a
    few rows whatever the number of orders."""
    now = clock()
    by_zone = zones(uow)
    c = T.class_due.c
    utc = _bucket(c.ref_on, local_date(now, "UTC"))
    # No agreement adopted yet: no zone, nothing due, and a CASE needs one WHEN.
    bucket = case(*[(c.acts == party, _bucket(c.ref_on, local_date(now, zone)))
                    for party, zone in sorted(by_zone.items())], else_=utc) if by_zone else utc
    dated = select(*[c[k] for k in CLASS_COLUMNS], c.debtor, c.creditor, c.currency,
                   bucket.label("bucket"), c.amount_minor, c["items"]).subquery()
    keys = [dated.c[k] for k in (*CLASS_COLUMNS, "debtor", "creditor", "currency", "bucket")]
    rows = uow.conn.execute(select(*keys, func.sum(dated.c.amount_minor).label("minor"),
                                   func.sum(dated.c["items"]).label("count"))
                            .group_by(*keys))
    cells: dict[tuple[str, str, str, str], list[int]] = {}
    for r in readable(uow, user, rows):
        sums = cells.setdefault((r.debtor, r.creditor, r.currency, r.bucket), [0, 0])
        sums[0] += int(r.minor)
        sums[1] += int(r.count)
    return [AgingCell(*key, minor, items) for key, (minor, items) in sorted(cells.items())]


def aging_totals(uow: UnitOfWork, user: LocalUser, clock: Callable[[], datetime]
                 ) -> dict[tuple[str, str, str], dict[str, int]]:
    """:func:`aging_summary` of :func:`aging` now, from :func:`aging_cells`."""
    return aging_totals_of(aging_cells(uow, user, clock))


def aging_totals_of(cells: Iterable[AgingCell]) -> dict[tuple[str, str, str], dict[str, int]]:
    """The cells' amounts per (debtor, creditor, currency) and bucket."""
    out: dict[tuple[str, str, str], dict[str, int]] = {}
    for cell in cells:
        sums = out.setdefault((cell.debtor, cell.creditor, cell.currency),
                              {name: 0 for _, name in AGING_BUCKETS})
        sums[cell.bucket] += cell.minor
    return out


def _bucket(ref_on: Any, today: date) -> Any:
    """The aging bucket of an item whose age counts from ``ref_on``, as
    :func:`acsa.domain.aging.bucket` of :func:`~acsa.domain.aging.days_overdue` names it:
    ``days >= lower`` is ``ref_on <= today - lower``."""
    return case(*[(ref_on <= today - timedelta(days=lower), name)
                  for lower, name in reversed(AGING_BUCKETS) if lower > 0],
                else_=AGING_BUCKETS[0][1])

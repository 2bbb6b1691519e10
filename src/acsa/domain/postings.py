"""Double-entry postings and the in-kind ledger.

The chart of accounts is kept per debtor, creditor and currency, where the
debtor is an order's requester and the creditor its supplier:

- ``commitment``: accepted support not yet on the invoice basis (received,
  or delivered where the agreement invoices delivered quantities);
- ``receivable``: owed in cash, not yet invoiced;
- ``in_kind``: owed by replacement in kind, valued at the order's prices;
- ``invoiced``: invoiced and not yet paid;
- ``settled``: paid, returned in kind, exchanged or offset;
- ``written_off``: small payment differences the supplier wrote off;
- ``control``: the other side of every commitment and release.

Each posting moves an amount from a credited account to a debited one and
names the event that caused it, so debits equal credits in every currency
by construction; :func:`check_balanced` still checks it, because a fold
that broke it would be a defect to stop on, not a figure to show.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from acsa.domain.errors import InvariantBroken
from acsa.domain.money import Money


class AccountKind(StrEnum):
    CONTROL = "control"
    COMMITMENT = "commitment"
    RECEIVABLE = "receivable"
    IN_KIND = "in_kind"
    INVOICED = "invoiced"
    SETTLED = "settled"
    WRITTEN_OFF = "written_off"


# Accounts whose balance is still owed by the debtor.
OWED_KINDS = (AccountKind.RECEIVABLE, AccountKind.IN_KIND, AccountKind.INVOICED)


@dataclass(frozen=True, order=True)
class Account:
    debtor: str
    creditor: str
    currency: str
    kind: AccountKind

    @property
    def name(self) -> str:
        return f"{self.kind.value}:{self.debtor}>{self.creditor}"


@dataclass(frozen=True)
class Posting:
    """``amount`` debited to ``debit`` and credited to ``credit``, caused by ``event``."""

    event: str
    order: str
    debit: Account
    credit: Account
    amount: Money

    def __post_init__(self) -> None:
        if self.amount.minor <= 0:
            raise InvariantBroken(f"a posting moves a positive amount, not {self.amount}")
        if (
            self.debit.currency != self.amount.currency
            or self.credit.currency != self.amount.currency
        ):
            raise InvariantBroken("a posting's accounts and amount share one currency")


@dataclass(frozen=True)
class InKindEntry:
    """A change in quantity owed in kind on one order line (positive: more owed)."""

    event: str
    order: str
    line: int
    item: str
    unit: str
    quantity: Decimal


def balances(postings: Iterable[Posting]) -> dict[Account, int]:
    """Net balance of every account (debits positive), in minor units."""
    totals: dict[Account, int] = defaultdict(int)
    for p in postings:
        totals[p.debit] += p.amount.minor
        totals[p.credit] -= p.amount.minor
    return dict(totals)


def check_balanced(postings: Iterable[Posting]) -> None:
    """Debits equal credits in every currency, or :class:`InvariantBroken`."""
    per_currency: dict[str, int] = defaultdict(int)
    for account, balance in balances(postings).items():
        per_currency[account.currency] += balance
    unbalanced = {c: v for c, v in per_currency.items() if v}
    if unbalanced:
        raise InvariantBroken(f"postings do not balance: {unbalanced}")


def balance_of(postings: Iterable[Posting], kind: AccountKind, currency: str) -> Money:
    """Sum of balances of every account of ``kind`` in ``currency``."""
    return Money(
        currency,
        sum(v for a, v in balances(postings).items() if a.kind is kind and a.currency == currency),
    )

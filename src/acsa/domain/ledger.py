"""Postings and the in-kind ledger, derived from an order's interpretation.

Each effective event changes the order's account balances (see
:func:`acsa.domain.figures.accounts`); the change is written as postings
from the accounts that decreased to those that increased, paired in a fixed
account order, each naming the event. Replaying an order's effective events
therefore reproduces its postings exactly, and their sum is the order's
balances as the fold leaves them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache

from acsa.domain.errors import InvariantBroken
from acsa.domain.facts import Fact
from acsa.domain.figures import Accounts, accounts, owed_in_kind
from acsa.domain.interpret import Context, Trail, apply
from acsa.domain.money import Money
from acsa.domain.postings import Account, AccountKind, InKindEntry, Posting
from acsa.domain.state import OrderState

# The order in which increases and decreases are paired into postings.
PAIRING_ORDER = (
    AccountKind.COMMITMENT,
    AccountKind.RECEIVABLE,
    AccountKind.IN_KIND,
    AccountKind.INVOICED,
    AccountKind.SETTLED,
    AccountKind.WRITTEN_OFF,
    AccountKind.CONTROL,
)


def postings_between(
    before: Accounts, after: Accounts, *, event: str, state: OrderState
) -> list[Posting]:
    """The postings that turn ``before`` into ``after``."""
    deltas = [(k, d) for k, name in _PAIRED
              if (d := (after.control if name is None else getattr(after, name))
                  - (before.control if name is None else getattr(before, name)))]
    if not deltas:
        return []
    debits = [(k, d) for k, d in deltas if d > 0]
    credits = [(k, -d) for k, d in deltas if d < 0]
    accounts = _accounts(state.requester, state.supplier, state.currency)
    out = []
    i = j = 0
    left_debit = debits[0][1] if debits else 0
    left_credit = credits[0][1] if credits else 0
    while i < len(debits) and j < len(credits):
        amount = min(left_debit, left_credit)
        out.append(
            Posting(
                event=event,
                order=state.number,
                debit=accounts[debits[i][0]],
                credit=accounts[credits[j][0]],
                amount=Money(state.currency, amount),
            )
        )
        left_debit -= amount
        left_credit -= amount
        if left_debit == 0:
            i += 1
            left_debit = debits[i][1] if i < len(debits) else 0
        if left_credit == 0:
            j += 1
            left_credit = credits[j][1] if j < len(credits) else 0
    return out


# PAIRING_ORDER with the attribute of :class:`Accounts` each kind is read from (None: the
# control account, a property).
_PAIRED = tuple((k, None if k is AccountKind.CONTROL else k.value) for k in PAIRING_ORDER)


@lru_cache(maxsize=256)
def _accounts(debtor: str, creditor: str, currency: str) -> dict[AccountKind, Account]:
    """The accounts of one debtor, creditor and currency, by kind (made once: they are
    values)."""
    return {k: Account(debtor, creditor, currency, k) for k in AccountKind}


def event_postings(before: OrderState, after: OrderState, fact: Fact,
                   ctx: Context) -> list[Posting]:
    """The postings of one effective event: from the accounts before it to those after."""
    profile = ctx.profile(after.profile)
    return postings_between(
        accounts(before, profile) if before.terms else Accounts(0, 0, 0, 0, 0, 0),
        accounts(after, profile),
        event=fact.hash,
        state=after,
    )


def trail_postings(trail: Trail, ctx: Context) -> list[Posting]:
    """Every posting of an order, from the trail of its fold: the same as
    :func:`order_entries` gives, without applying its events again (each state's
    accounts are worked out once)."""
    out: list[Posting] = []
    last: OrderState | None = None
    last_accounts = Accounts(0, 0, 0, 0, 0, 0)
    for fact, before, after in trail:
        profile = ctx.profile(after.profile)
        if before.terms is None:
            was = Accounts(0, 0, 0, 0, 0, 0)
        elif before is last and before.profile == after.profile:
            was = last_accounts
        else:
            was = accounts(before, profile)
        now = accounts(after, profile)
        out += postings_between(was, now, event=fact.hash, state=after)
        last, last_accounts = after, now
    return out


def _effective(state: OrderState, facts: Iterable[Fact]) -> list[Fact]:
    by_hash = {f.hash: f for f in facts}
    return [by_hash[v.event] for v in state.verdicts if v.effective and v.event in by_hash]


def order_entries(
    state: OrderState, facts: Iterable[Fact], ctx: Context
) -> tuple[list[Posting], list[InKindEntry]]:
    """Every posting and in-kind entry of an interpreted order, event by event."""
    postings: list[Posting] = []
    entries: list[InKindEntry] = []
    current = OrderState(number=state.number)
    for fact in _effective(state, facts):
        after, _ = apply(fact, current, ctx)
        profile = ctx.profile(after.profile)
        postings += event_postings(current, after, fact, ctx)
        if after.terms is not None and after.method in ("rik", "eve"):
            for line in after.terms.lines:
                was = owed_in_kind(current, line.no, profile) if current.terms else Decimal(0)
                now = owed_in_kind(after, line.no, profile)
                if now != was:
                    entries.append(
                        InKindEntry(
                            fact.hash, state.number, line.no, line.description, line.unit, now - was
                        )
                    )
        current = after
    final = replace(current, verdicts=state.verdicts, marking=state.marking)
    if final != state:
        raise InvariantBroken(f"replaying {state.number}'s effective events changed its state")
    return postings, entries

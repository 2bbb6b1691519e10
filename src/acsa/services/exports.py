"""Exports of the ledger: a journal for `ledger` or for Beancount, CSV and JSON of the postings.

A journal has one transaction per event and order, dated by the event's
business date, with one account per debtor, creditor and account kind
(``PHL-JPN:receivable`` for `ledger`, ``Assets:PHL-JPN:Receivable`` for
Beancount), so ``ledger balance`` or Beancount's balances on it give the same
figures as ``acsa report balances``. An export is made for one user and holds
the postings of the orders that user may read (:mod:`acsa.services.need_to_know`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from itertools import groupby
from typing import Any

from sqlalchemy import select

from acsa.domain.money import Money
from acsa.services import need_to_know
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.store import tables as T

COLUMNS = ("on", "order", "event", "debtor", "creditor", "currency", "debit", "credit", "amount")


def _postings(uow: UnitOfWork, user: LocalUser) -> Iterator[Any]:
    p = T.postings.c
    return iter(uow.conn.execute(
        select(T.postings).where(need_to_know.readable(uow, user, p.order_number))
        .order_by(p.on, p.order_number, p.event_hash, p.id)
    ))


def account_name(debtor: str, creditor: str, kind: str) -> str:
    return f"{debtor}-{creditor}:{kind}"


def ledger_journal(uow: UnitOfWork, user: LocalUser) -> Iterator[str]:
    """The postings ``user`` may read as a journal `ledger` reads, one transaction per event
    and order."""
    for (on, order, event), group in groupby(
        _postings(uow, user), key=lambda p: (p.on, p.order_number, p.event_hash)
    ):
        yield f"{on.isoformat()} * {order} ; event {event[:16]}\n"
        for p in group:
            amount = Money(p.currency, p.amount_minor)
            debit = account_name(p.debtor, p.creditor, p.debit)
            credit = account_name(p.debtor, p.creditor, p.credit)
            yield f"    {debit:<40}  {amount.text()} {p.currency}\n"
            yield f"    {credit:<40}  {(-amount).text()} {p.currency}\n"
        yield "\n"


# Beancount opens every account under one of five roots. The accounts are named as the
# creditor sees them: what the debtor owes it (committed, receivable, in kind, invoiced)
# is an asset; the control account, and what was settled or written off, are equity.
BEANCOUNT_ROOTS = {"commitment": "Assets", "receivable": "Assets", "in_kind": "Assets",
                   "invoiced": "Assets", "control": "Equity", "settled": "Equity",
                   "written_off": "Equity"}


def beancount_account(debtor: str, creditor: str, kind: str) -> str:
    """``Assets:PHL-JPN:InKind``: a root, the debtor and creditor, the kind in the capitals
    Beancount wants of each part of a name."""
    words = "".join(w.capitalize() for w in kind.split("_"))
    return f"{BEANCOUNT_ROOTS[kind]}:{debtor}-{creditor}:{words}"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def beancount_journal(uow: UnitOfWork, user: LocalUser) -> Iterator[str]:
    """The postings ``user`` may read as a Beancount journal, one transaction per event and
    order, each account opened on the day of its first posting."""
    opened: set[str] = set()
    for (on, order, event), group in groupby(
        _postings(uow, user), key=lambda p: (p.on, p.order_number, p.event_hash)
    ):
        lines = []
        for p in group:
            amount = Money(p.currency, p.amount_minor)
            debit = beancount_account(p.debtor, p.creditor, p.debit)
            credit = beancount_account(p.debtor, p.creditor, p.credit)
            for account in (debit, credit):
                if account not in opened:
                    opened.add(account)
                    yield f"{on.isoformat()} open {account}\n"
            lines.append(f"  {debit:<40}  {amount.text()} {p.currency}\n")
            lines.append(f"  {credit:<40}  {(-amount).text()} {p.currency}\n")
        yield f"{on.isoformat()} * {_quoted(order)}\n"
        yield f"  order: {_quoted(order)}\n  event: {_quoted(event)}\n"
        yield "".join(lines)
        yield "\n"


def postings_csv(uow: UnitOfWork, user: LocalUser) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for p in _postings(uow, user):
        writer.writerow(_posting(p).values())
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def postings_json(uow: UnitOfWork, user: LocalUser) -> Iterator[str]:
    yield "[\n"
    first = True
    for p in _postings(uow, user):
        yield ("" if first else ",\n") + json.dumps(_posting(p))
        first = False
    yield "\n]\n"


def _posting(p: Any) -> dict[str, str]:
    return {
        "on": p.on.isoformat(), "order": p.order_number, "event": p.event_hash,
        "debtor": p.debtor, "creditor": p.creditor, "currency": p.currency,
        "debit": p.debit, "credit": p.credit,
        "amount": Money(p.currency, p.amount_minor).text(),
    }

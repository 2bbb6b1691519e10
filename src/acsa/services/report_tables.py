"""Rows of the registers and statements, beyond :mod:`acsa.services.reports`.

Read-only queries over the projections (``orders``, ``postings``) and, for
invoices, the fold of the orders that have any. Figures are money in minor
units (:class:`~acsa.domain.money.Money`), never floats; every account
balance follows the double-entry convention of :mod:`acsa.domain.postings`
(debits positive). Every report is read by one user and holds only the orders
that user may read (:mod:`acsa.services.need_to_know`): rows, totals, running
balances, activities and charts alike. A register reads at most :data:`REPORT_ROWS_MAX` orders;
asking for more is refused rather than slowly answered.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from acsa.domain import facts as F
from acsa.domain.agreement import profile_from_document
from acsa.domain.errors import N_, InvalidValue, ReportTooLarge
from acsa.domain.interpret import interpret_orders
from acsa.domain.money import Money
from acsa.domain.postings import OWED_KINDS, AccountKind
from acsa.domain.state import OrderState
from acsa.services import need_to_know
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.store import tables as T
from acsa.store.log import facts_of, read_orders

REPORT_ROWS_MAX = 100_000
CLOSED_STATUSES = ("settled", "rejected", "cancelled", "draft")
OWED = tuple(k.value for k in OWED_KINDS)
KINDS = tuple(k.value for k in AccountKind if k is not AccountKind.CONTROL)


def _limit(count: int, what: str) -> None:
    if count > REPORT_ROWS_MAX:
        raise ReportTooLarge(
            N_("%(total)s %(what)s: more than %(limit)s in one report; narrow it (partner, "
               "currency, date)"),
            field="report", limit=REPORT_ROWS_MAX, total=count, what=what,
        )


def fold_orders(uow: UnitOfWork, numbers: Sequence[str]) -> dict[str, OrderState]:
    """The folded state of ``numbers`` (and orders linked to them), in one read."""
    _limit(len(numbers), "orders")
    if not numbers:
        return {}
    return interpret_orders(facts_of(read_orders(uow.conn, numbers)), uow.context, numbers)


def account_balances(rows: Iterable[Any]) -> dict[str, int]:
    """Balances per account kind of posting rows (``debit``, ``credit``, ``amount_minor``)."""
    out: dict[str, int] = defaultdict(int)
    for p in rows:
        out[p.debit] += p.amount_minor
        out[p.credit] -= p.amount_minor
    return out


# -- statement of account ------------------------------------------------------------------


@dataclass(frozen=True)
class StatementRow:
    """One movement on what ``debtor`` owes ``creditor`` in cash, invoiced."""

    on: date
    order: str
    event_type: str
    reference: str  # invoice number, payment reference …
    debtor: str
    creditor: str
    currency: str
    charge: Money | None  # increases what is owed
    credit: Money | None  # reduces it
    balance: Money  # running, per debtor, creditor and currency


def _reference(uow: UnitOfWork, event_type: str, envelope: str) -> str:
    """What a statement line cites: the invoice number, the payment's bank reference …"""
    document = json.loads(envelope)
    data = document.get("data", {})
    if event_type == F.INVOICE_ISSUED:
        return str(data.get("number", ""))
    if event_type == F.PAYMENT_CONFIRMED:
        # The bank's reference is on the payment the confirmation answers.
        paid = uow.conn.execute(select(T.events.c.envelope)
                                .where(T.events.c.hash == data.get("payment"))).scalar()
        if paid is not None:
            return str(json.loads(paid)["data"].get("reference", "")) or document["subject"]
        return str(document.get("subject", ""))
    if event_type in (F.OFFSET_SIGNED, F.OFFSET_PROPOSED, F.EXCHANGE_SIGNED,
                      F.EXCHANGE_PROPOSED):
        return str(document.get("subject", ""))  # its number: OFS/PHL/00001, EVE/JPN/00001
    return str(data.get("reason", ""))[:80]


def statement(uow: UnitOfWork, user: LocalUser, partner: str, *, currency: str | None = None,
              until: date | None = None) -> list[StatementRow]:
    """Movements of the invoiced account between this node's party and ``partner``, on the
    orders ``user`` may read.

    Invoices charge; payments confirmed, credit notes, write-offs, offsets and
    voids credit. Ordered by business date; the balance runs per currency and
    direction, so a statement shows both what the partner owes us and what we
    owe the partner.
    """
    me = uow.node.party
    if partner == me:
        raise InvalidValue(N_("a statement is with another party"), field="partner")
    p, e = T.postings.c, T.events.c
    query = (
        select(T.postings, T.events.c.type, T.events.c.envelope)
        .join(T.events, e.hash == p.event_hash)
        .where(((p.debtor == partner) & (p.creditor == me))
               | ((p.debtor == me) & (p.creditor == partner)))
        .where((p.debit == AccountKind.INVOICED.value) | (p.credit == AccountKind.INVOICED.value))
        .where(need_to_know.readable(uow, user, p.order_number))
        .order_by(p.on, p.id)
    )
    if currency:
        query = query.where(p.currency == currency)
    if until:
        query = query.where(p.on <= until)
    rows = uow.conn.execute(query.limit(REPORT_ROWS_MAX + 1)).all()
    _limit(len(rows), "movements")
    running: dict[tuple[str, str, str], int] = defaultdict(int)
    out = []
    for r in rows:
        amount = r.amount_minor if r.debit == AccountKind.INVOICED.value else -r.amount_minor
        key = (r.debtor, r.creditor, r.currency)
        running[key] += amount
        out.append(StatementRow(
            r.on, r.order_number, r.type, _reference(uow, r.type, r.envelope), r.debtor, r.creditor,
            r.currency, Money(r.currency, amount) if amount > 0 else None,
            Money(r.currency, -amount) if amount < 0 else None, Money(r.currency, running[key]),
        ))
    return out


# -- open orders -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenOrderRow:
    order: str
    status: str
    agreement: str
    activity: str
    requester: str
    supplier: str
    requesting_unit: str
    supplying_unit: str | None
    method: str
    currency: str
    value: Money
    committed: Money
    outstanding: Money
    submitted_on: date | None
    accepted_on: date | None
    needed_by: date | None
    emergency: bool


def _order_balances(uow: UnitOfWork, numbers: Sequence[str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    p = T.postings.c
    for i in range(0, len(numbers), 500):
        chunk = numbers[i:i + 500]
        for r in uow.conn.execute(select(p.order_number, p.debit, p.credit, p.amount_minor)
                                  .where(p.order_number.in_(chunk))):
            out[r.order_number][r.debit] += r.amount_minor
            out[r.order_number][r.credit] -= r.amount_minor
    return out


def open_orders(uow: UnitOfWork, user: LocalUser, *,
                partner: str | None = None) -> list[OpenOrderRow]:
    """Orders ``user`` may read not yet settled, rejected or cancelled, oldest first."""
    o = T.orders.c
    query = select(T.orders).where(o.status.not_in(CLOSED_STATUSES),
                                   need_to_know.readable(uow, user))
    if partner:
        query = query.where((o.requester == partner) | (o.supplier == partner))
    rows = uow.conn.execute(query.order_by(o.submitted_on, o.number)
                            .limit(REPORT_ROWS_MAX + 1)).all()
    _limit(len(rows), "orders")
    balances = _order_balances(uow, [r.number for r in rows])
    out = []
    for r in rows:
        b = balances.get(r.number, {})
        out.append(OpenOrderRow(
            r.number, r.status, r.agreement, r.activity, r.requester, r.supplier,
            r.requesting_unit, r.supplying_unit, r.method, r.currency,
            Money(r.currency, r.value_minor),
            Money(r.currency, b.get(AccountKind.COMMITMENT.value, 0)),
            Money(r.currency, sum(b.get(k, 0) for k in OWED)),
            r.submitted_on, r.accepted_on, r.needed_by, bool(r.emergency),
        ))
    return out


# -- invoices ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceRow:
    invoice: str
    order: str
    kind: str
    issued_on: date
    due_on: date
    creditor: str  # the supplier, who invoices
    debtor: str
    currency: str
    total: Money
    credited: Money
    paid: Money
    written_off: Money
    offset: Money
    outstanding: Money
    voided_on: date | None
    event: str


def invoices(uow: UnitOfWork, user: LocalUser, *,
             partner: str | None = None) -> list[InvoiceRow]:
    """Every invoice, live and voided, of the orders ``user`` may read, by issue date."""
    e, eo = T.events.c, T.event_orders.c
    numbers = sorted({r.order_number for r in uow.conn.execute(
        select(eo.order_number).join(T.events, e.id == eo.event_id)
        .where(e.type == F.INVOICE_ISSUED, need_to_know.readable(uow, user, eo.order_number))
    )})
    states = fold_orders(uow, numbers)
    out = []
    for number in numbers:
        s = states.get(number)
        if s is None or s.terms is None:
            continue
        if partner and partner not in (s.requester, s.supplier):
            continue
        for i in s.invoices:
            c = i.currency
            out.append(InvoiceRow(
                i.number, number, i.kind, i.on, i.due_on, s.supplier, s.requester, c,
                Money(c, i.total), Money(c, i.credited), Money(c, i.paid),
                Money(c, i.written_off), Money(c, i.offset), Money(c, i.outstanding),
                i.voided_on, i.id,
            ))
    out.sort(key=lambda r: (r.issued_on, r.invoice))
    return out


# -- per activity --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityRow:
    activity: str
    name: str
    activity_type: str
    requester: str
    supplier: str
    currency: str
    orders: int
    value: Money  # of the orders accepted
    balances: dict[str, Money]  # per account kind (commitment … written_off)

    @property
    def outstanding(self) -> Money:
        return Money(self.currency, sum(self.balances[k].minor for k in OWED))


def activity_totals(uow: UnitOfWork, user: LocalUser) -> list[ActivityRow]:
    """Per activity (exercise, HADR operation), direction and currency: orders and balances
    of the orders ``user`` may read. An activity none of whose orders they may read is not
    shown at all."""
    o, p = T.orders.c, T.postings.c
    readable = need_to_know.readable(uow, user)
    names = {r.id: r.name for r in uow.conn.execute(select(T.activities.c.id,
                                                           T.activities.c.name))}
    Key = tuple[str, str, str, str, str]
    counts: dict[Key, int] = defaultdict(int)
    values: dict[Key, int] = defaultdict(int)
    for r in uow.conn.execute(select(o.activity, o.activity_type, o.requester, o.supplier,
                                     o.currency, o.value_minor, o.accepted_on).where(readable)):
        key = (r.activity, r.activity_type, r.requester, r.supplier, r.currency)
        counts[key] += 1
        if r.accepted_on is not None:
            values[key] += r.value_minor
    sums: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for m in uow.conn.execute(
        select(o.activity, o.activity_type, p.debtor, p.creditor, p.currency, p.debit, p.credit,
               p.amount_minor).join(T.orders, o.number == p.order_number).where(readable)
    ):
        key = (m.activity, m.activity_type, m.debtor, m.creditor, m.currency)
        sums[key][m.debit] += m.amount_minor
        sums[key][m.credit] -= m.amount_minor
    out = []
    for key in sorted(counts):
        activity, kind, requester, supplier, currency = key
        out.append(ActivityRow(
            activity, names.get(activity, activity), kind, requester, supplier, currency,
            counts[key], Money(currency, values[key]),
            {k: Money(currency, sums[key].get(k, 0)) for k in KINDS},
        ))
    return out


# -- year-end cut-off ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CutOffRow:
    """What ``debtor`` owed ``creditor`` in ``currency`` at the end of ``as_of``."""

    as_of: date
    debtor: str
    creditor: str
    currency: str
    balances: dict[str, Money]

    @property
    def outstanding(self) -> Money:
        return Money(self.currency, sum(self.balances[k].minor for k in OWED))


def fiscal_year_end(uow: UnitOfWork, party: str, year: int) -> date:
    """The last day of ``party``'s fiscal ``year``, from an adopted agreement profile."""
    for row in uow.conn.execute(select(T.agreements.c.document)):
        for p in json.loads(row.document)["parties"]:
            if p["code"] == party:
                profile = profile_from_document(json.loads(row.document), "adopted profile")
                return profile.party(party).fiscal_year_bounds(year)[1]
    raise InvalidValue(N_("no adopted agreement names %(party)s"), field="party", party=party)


def year_end(uow: UnitOfWork, user: LocalUser, as_of: date) -> list[CutOffRow]:
    """Balances as they stood at the end of ``as_of`` (postings dated on or before it), over
    the orders ``user`` may read.

    Every balance is to date, not the fiscal year's movement: ``settled`` is everything
    paid, returned in kind, exchanged or offset on or before ``as_of``, whichever year it
    was settled in, as the nation's books carry it at the year end."""
    p = T.postings.c
    grouped: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in uow.conn.execute(select(p.debtor, p.creditor, p.currency, p.debit, p.credit,
                                     p.amount_minor)
                              .where(p.on <= as_of,
                                     need_to_know.readable(uow, user, p.order_number))):
        grouped[(r.debtor, r.creditor, r.currency)][r.debit] += r.amount_minor
        grouped[(r.debtor, r.creditor, r.currency)][r.credit] -= r.amount_minor
    return [
        CutOffRow(as_of, d, c, cur, {k: Money(cur, b.get(k, 0)) for k in KINDS})
        for (d, c, cur), b in sorted(grouped.items())
    ]


# -- balances over time (charts) ----------------------------------------------------------------


@dataclass(frozen=True)
class BalancePoint:
    on: date
    debtor: str
    creditor: str
    currency: str
    outstanding: Money  # receivable + in kind + invoiced, at the end of ``on``


def balance_series(uow: UnitOfWork, user: LocalUser, *, currency: str | None = None,
                   since: date | None = None) -> list[BalancePoint]:
    """Outstanding per debtor, creditor and currency after each day that changed it, over
    the orders ``user`` may read."""
    p = T.postings.c
    query = select(p.on, p.debtor, p.creditor, p.currency, p.debit, p.credit,
                   p.amount_minor).where(need_to_know.readable(uow, user, p.order_number))
    if currency:
        query = query.where(p.currency == currency)
    running: dict[tuple[str, str, str], int] = defaultdict(int)
    last: dict[tuple[str, str, str, date], int] = {}
    for r in uow.conn.execute(query.order_by(p.on, p.id)):
        key = (r.debtor, r.creditor, r.currency)
        delta = (r.amount_minor if r.debit in OWED else 0) - (
            r.amount_minor if r.credit in OWED else 0)
        running[key] += delta
        last[(*key, r.on)] = running[key]
    return [
        BalancePoint(on, d, c, cur, Money(cur, v))
        for (d, c, cur, on), v in sorted(last.items(), key=lambda kv: (kv[0][3], kv[0][:3]))
        if since is None or on >= since
    ]

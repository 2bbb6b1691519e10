"""Payments as a finance officer reads them: each ``PAY/…`` with what it pays and whether the
supplier has confirmed what arrived.

A payment is one ``payment.recorded`` event (its subject the payment's number,
``PAY/PHL/00001``) allocating one amount to one or more invoices; the supplier's
``payment.confirmed`` events say what arrived of each allocation. A payment is
*awaiting confirmation* while any allocation is unconfirmed, *confirmed* when every one
is, and *ineffective* when interpretation refused it. Only payments whose every order
``user`` may read are listed (need to know); the figures are the signed events' own,
in minor units.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from acsa.domain import facts as F
from acsa.domain.money import Money
from acsa.services import need_to_know
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.store import tables as T

AWAITING, CONFIRMED, INEFFECTIVE = "awaiting confirmation", "confirmed", "ineffective"


@dataclass(frozen=True)
class Allocation:
    """What one payment pays on one invoice, and what the supplier confirmed of it."""

    order: str
    invoice: str  # the invoice's number, INV/…
    amount: Money
    received: Money | None
    confirmed_on: date | None


@dataclass(frozen=True)
class Payment:
    number: str  # PAY/<payer>/NNNNN
    hash: str
    payer: str
    payee: str
    on: date | None  # the business date the payer recorded
    reference: str  # the bank's or paying office's
    currency: str
    amount: Money
    state: str  # AWAITING, CONFIRMED or INEFFECTIVE
    allocations: tuple[Allocation, ...]

    @property
    def received(self) -> Money | None:
        """What arrived so far, when anything is confirmed."""
        got = [a.received.minor for a in self.allocations if a.received is not None]
        return Money(self.currency, sum(got)) if got else None

    @property
    def confirmed_on(self) -> date | None:
        days = [a.confirmed_on for a in self.allocations if a.confirmed_on is not None]
        return max(days) if days else None


def _day(text: object) -> date | None:
    try:
        return date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def effective(uow: UnitOfWork, hashes: Sequence[str]) -> dict[str, bool]:
    """Whether each event took effect on every order it names (no verdict: not effective)."""
    out: dict[str, bool] = {}
    v = T.verdicts.c
    for i in range(0, len(hashes), 500):
        for row in uow.conn.execute(select(v.event_hash, v.effective)
                                    .where(v.event_hash.in_(list(hashes[i:i + 500])))):
            out[row.event_hash] = out.get(row.event_hash, True) and bool(row.effective)
    return out


def subjects(uow: UnitOfWork, hashes: Iterable[str]) -> dict[str, str]:
    """The subject of each event named: a payment's, exchange's or offset's number."""
    wanted = sorted(set(hashes))
    out: dict[str, str] = {}
    e = T.events.c
    for i in range(0, len(wanted), 500):
        for row in uow.conn.execute(select(e.hash, e.subject)
                                    .where(e.hash.in_(wanted[i:i + 500]))):
            out[row.hash] = row.subject
    return out


def _invoice_numbers(uow: UnitOfWork, ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(ids))
    out: dict[str, str] = {}
    e = T.events.c
    for i in range(0, len(wanted), 500):
        for row in uow.conn.execute(select(e.hash, e.envelope).where(
                e.hash.in_(wanted[i:i + 500]), e.type == F.INVOICE_ISSUED)):
            out[row.hash] = str(json.loads(row.envelope)["data"].get("number", ""))
    return out


def _confirmations(rows: Sequence[Any], works: Mapping[str, bool]
                   ) -> dict[tuple[str, str, str], tuple[str, date | None]]:
    """(payment, order, invoice) → (amount received, date) of each effective confirmation."""
    out: dict[tuple[str, str, str], tuple[str, date | None]] = {}
    for row in rows:
        if row.type != F.PAYMENT_CONFIRMED or not works.get(row.hash):
            continue
        data = json.loads(row.envelope)["data"]
        for part in data.get("orders", ()):
            if isinstance(part, Mapping):
                key = (str(data.get("payment")), str(part.get("order")), str(part.get("invoice")))
                out[key] = (str(part.get("received")), _day(data.get("on")))
    return out


def list_payments(uow: UnitOfWork, user: LocalUser, *, awaiting: bool = False,
                  payee: str | None = None, order: str | None = None) -> list[Payment]:
    """Every payment on this node whose orders ``user`` may read, oldest first: only those
    awaiting confirmation with ``awaiting``, only those owed to ``payee`` (the party that
    confirms them), only those paying on ``order``."""
    e = T.events.c
    rows = uow.conn.execute(select(e.hash, e.type, e.subject, e.signer, e.envelope)
                            .where(e.type.in_([F.PAYMENT_RECORDED, F.PAYMENT_CONFIRMED]))
                            .order_by(e.id)).all()
    works = effective(uow, [r.hash for r in rows])
    confirmed = _confirmations(rows, works)
    hidden = need_to_know.unreadable(uow, user)
    recorded = [(r, json.loads(r.envelope)["data"]) for r in rows
                if r.type == F.PAYMENT_RECORDED]
    recorded = [(r, d) for r, d in recorded
                if not any(str(p.get("order")) in hidden for p in _parts(d))
                and (order is None or any(p.get("order") == order for p in _parts(d)))]
    numbers = _invoice_numbers(uow, (str(p.get("invoice")) for _, d in recorded
                                     for p in _parts(d)))
    suppliers = _suppliers(uow, {str(p.get("order")) for _, d in recorded for p in _parts(d)})
    out = []
    for row, data in recorded:
        payment = _payment(row, data, works.get(row.hash, False), confirmed, numbers, suppliers)
        if awaiting and payment.state != AWAITING:
            continue
        if payee is not None and payment.payee != payee:
            continue
        out.append(payment)
    return out


def _parts(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [p for p in data.get("orders", ()) if isinstance(p, Mapping)]


def _suppliers(uow: UnitOfWork, numbers: set[str]) -> dict[str, str]:
    o = T.orders.c
    wanted = sorted(numbers)
    out: dict[str, str] = {}
    for i in range(0, len(wanted), 500):
        for row in uow.conn.execute(select(o.number, o.supplier)
                                    .where(o.number.in_(wanted[i:i + 500]))):
            out[row.number] = row.supplier
    return out


def _payment(row: Any, data: Mapping[str, Any], works: bool,
             confirmed: Mapping[tuple[str, str, str], tuple[str, date | None]],
             numbers: Mapping[str, str], suppliers: Mapping[str, str]) -> Payment:
    currency = str(data.get("currency", ""))
    allocations = []
    for p in _parts(data):
        order, invoice = str(p.get("order")), str(p.get("invoice"))
        got = confirmed.get((row.hash, order, invoice))
        allocations.append(Allocation(
            order, numbers.get(invoice, invoice[:8]), Money.parse(str(p.get("amount")), currency),
            Money.parse(got[0], currency) if got else None, got[1] if got else None))
    state = INEFFECTIVE if not works else (
        CONFIRMED if all(a.received is not None for a in allocations) else AWAITING)
    payee = suppliers.get(allocations[0].order, "") if allocations else ""
    return Payment(row.subject, row.hash, row.signer, payee, _day(data.get("on")),
                   str(data.get("reference", "")), currency,
                   Money.parse(str(data.get("amount", "0")), currency), state,
                   tuple(allocations))

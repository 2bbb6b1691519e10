"""An order taken through a whole cash lifecycle on two real nodes, for the document tests.

PHL asks JPN for diesel and water; JPN accepts, delivers in two parts, PHL
acknowledges both, JPN invoices, PHL pays and JPN confirms the payment, so
the order ends settled on both nodes. Invoicing and payment are recorded
through the committed recording path (``act_on_order`` and ``record``) with
the domain's own event data builders, exactly as a settlement service does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from acsa.devtools.world import as_official
from acsa.domain import commands, interpret
from acsa.domain import facts as F
from acsa.domain.money import Money
from acsa.domain.parties import Role
from acsa.domain.rules import Action
from acsa.services import orders
from acsa.services.node import Node
from acsa.services.recording import Act, order_state, record
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from clearing import clear

D = date


@dataclass
class CashOrder:
    number: str
    submitted: str
    accepted: str
    deliveries: list[str]
    receipts: list[str]
    invoice: str
    invoice_number: str
    payment: str
    confirmation: str


def terms(requester: str = "PHL", supplier: str = "JPN") -> dict[str, Any]:
    return {
        "agreement": "JPN-PHL-ACSA", "activity": "KAMANDAG-10",
        "activity_type": "bilateral_training", "requester": requester, "supplier": supplier,
        "requesting_unit": "AFP-TOG1", "method": "cash", "currency": "JPY",
        "needed_by": "2026-03-01", "deliver_to": "Subic Bay, Pier 3",
        "poc": "Capt. Reyes, +63 2 8911 0000", "fund_citation": "PHL-FY26-OPS-0042",
        "lines": [
            {"no": 1, "category": "pol", "description": "Diesel fuel F-76 軽油",
             "quantity": "10000", "unit": "L", "unit_price": "152.5",
             "nsn": "9140-00-273-2377"},
            {"no": 2, "category": "water", "description": "Drinking water 飲料水",
             "quantity": "2000", "unit": "L", "unit_price": "0.75"},
        ],
    }


def _invoice(uow: UnitOfWork, user: LocalUser, number: str, on: date) -> Any:
    state = order_state(uow, number)
    profile = uow.context.profile(state.profile)
    data = commands.invoice_data(state, profile, on=on, number="INV/JPN/FY2025/00001")
    return orders.act_on_order(uow, user, number, Action.INVOICE, F.INVOICE_ISSUED, data, on=on)


def _multi(uow: UnitOfWork, user: LocalUser, number: str, action: Action, type: str,
           subject: str, data: dict[str, Any], on: date) -> Any:
    state = order_state(uow, number)
    profile = uow.context.profile(state.profile)
    side = orders.side_of(state, user)
    unit = interpret.acting_unit(state, side)
    role = orders.role_for(uow, user, action, side, agreement=profile.id, unit=unit, on=on)
    return record(uow, user, Act(agreement=profile.id, type=type, subject=subject, data=data,
                                 role=role, on=on, unit=unit))


def _pay(uow: UnitOfWork, user: LocalUser, number: str, invoice: str, on: date) -> Any:
    state = order_state(uow, number)
    inv = state.invoice(invoice)
    assert inv is not None
    data = commands.payment_data(currency=state.currency,
                                 allocations=[(number, invoice, inv.total)],
                                 reference="PNB-TT-2026-0317")
    return _multi(uow, user, number, Action.PAY, F.PAYMENT_RECORDED, "PAY/PHL/00001", data, on)


def _confirm(uow: UnitOfWork, user: LocalUser, number: str, payment: str, on: date) -> Any:
    state = order_state(uow, number)
    part = next(p for p in state.payments if p.payment == payment)
    data = {"payment": payment, "orders": [
        {"order": number, "invoice": part.invoice,
         "received": Money(state.currency, part.amount).text()}]}
    return _multi(uow, user, number, Action.CONFIRM_PAYMENT, F.PAYMENT_CONFIRMED,
                  "PAY/PHL/00001", data, on)


def run_cash_lifecycle(pair: Any) -> CashOrder:
    """Drive one order from submission to settled across ``pair.phl`` and ``pair.jpn``."""
    jpn: Node = pair.jpn
    phl: Node = pair.phl
    pair.set_day(D(2026, 2, 3))
    sub = as_official(phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms())
    number = sub.envelope.subject
    pair.carry(phl, jpn)
    acc = as_official(jpn, Role.APPROVING_OFFICIAL, orders.accept, number,
                      supplying_unit="JMSDF-ESF1")
    pair.set_day(D(2026, 2, 10))
    d1 = as_official(jpn, Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "6000")],
                     note="Tanker ENS Oumi, first lift")
    pair.set_day(D(2026, 2, 12))
    d2 = as_official(jpn, Role.SUPPLY_OFFICER, orders.deliver, number,
                     [(1, "4000"), (2, "2000")])
    pair.carry(jpn, phl)
    r1 = as_official(phl, Role.RECEIVING_OFFICIAL, orders.receive, number, "1")
    r2 = as_official(phl, Role.RECEIVING_OFFICIAL, orders.receive, number, "2")
    pair.carry(phl, jpn)
    pair.set_day(D(2026, 2, 16))
    inv = as_official(jpn, Role.FINANCE_OFFICER, _invoice, number, D(2026, 2, 16))
    pair.carry(jpn, phl)
    pair.set_day(D(2026, 3, 10))
    pay = as_official(phl, Role.FINANCE_OFFICER, _pay, number, inv.hash, D(2026, 3, 10))
    pair.carry(phl, jpn)
    pair.set_day(D(2026, 3, 12))
    conf = as_official(jpn, Role.FINANCE_OFFICER, _confirm, number, pay.hash, D(2026, 3, 12))
    pair.carry(jpn, phl)
    return CashOrder(number, sub.hash, acc.hash, [d1.hash, d2.hash], [r1.hash, r2.hash],
                     inv.hash, "INV/JPN/FY2025/00001", pay.hash, conf.hash)


def classified_order(pair: Any, level: str, order_terms: dict[str, Any] | None = None, *,
                     accepted: bool = True) -> str:
    """An order PHL classifies at ``level`` (``order_terms``, else :func:`terms`), carried to
    JPN; accepted and partly delivered by JPN's officials, cleared to act on it, unless
    ``accepted`` is false."""
    pair.set_day(date(2026, 2, 3))
    number: str = as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                              order_terms or terms(), marking={"level": level}).envelope.subject
    pair.carry(pair.phl, pair.jpn)
    if not accepted:
        return number
    for role in (Role.APPROVING_OFFICIAL, Role.SUPPLY_OFFICER):
        clear(pair.jpn, role, "極秘")
    as_official(pair.jpn, Role.APPROVING_OFFICIAL, orders.accept, number,
                supplying_unit="JMSDF-ESF1")
    as_official(pair.jpn, Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "5")])
    pair.carry(pair.jpn, pair.phl)
    return number

"""An exercise between two forces, driven step by step in memory.

:class:`Exercise` appoints one official per role for each party and offers
one method per action, building each event's data the way the node's
services do (through :mod:`acsa.domain.commands`), so tests and the worked
example read like the story of an order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from acsa.devtools.scenario import Scenario
from acsa.domain import commands
from acsa.domain import facts as F
from acsa.domain.agreement import AgreementProfile
from acsa.domain.facts import Fact
from acsa.domain.figures import completed_statuses, exchange_members
from acsa.domain.money import Money
from acsa.domain.parties import Role
from acsa.domain.roster import Appointment
from acsa.domain.rules import Status
from acsa.domain.state import OrderState

Line = tuple[str, str, str, str, str]  # category, description, quantity, unit, unit price

UNITS = {"JPN": "JGSDF-1HB", "PHL": "AFP-TOG1", "USA": "USFJ-374AW"}


def ticket_ref(text: str, kind: str = "delivery-ticket") -> dict[str, Any]:
    """An evidence reference to a document reading ``text`` (its file is not kept: the rules
    read the reference only)."""
    content = f"{kind}: {text}".encode()
    return {"sha256": hashlib.sha256(content).hexdigest(), "name": f"{kind}.pdf",
            "media_type": "application/pdf", "size": len(content), "kind": kind}


class Exercise:
    def __init__(self, profile: AgreementProfile, *, auto_sync: bool = True) -> None:
        self.profile = profile
        self.s = Scenario(profile, auto_sync=auto_sync)
        self.officials: dict[tuple[str, Role], Appointment] = {}
        for party in profile.party_codes:
            for role in Role:
                self.officials[(party, role)] = self.s.appoint(
                    party, f"{party.lower()}.{role.value}", role
                )
        self.payments = 0

    # -- helpers ---------------------------------------------------------------

    def official(self, party: str, role: Role) -> Appointment:
        return self.officials[(party, role)]

    def do(self, party: str, role: Role, type: str, subject: str, data: dict[str, Any],
           on: date, **kw: Any) -> Fact:
        return self.s.act(self.official(party, role), type, subject, data, on=on, **kw)

    def state(self, number: str) -> OrderState:
        return self.s.state(number)

    def status(self, number: str) -> Status:
        """The status completed across the order's exchanges (one closes as a whole)."""
        state = self.state(number)
        states = {number: state, **{m: self.state(m) for m in exchange_members(state)}}
        profiles = {s.profile: self.profile for s in states.values()}
        return completed_statuses(states, profiles)[number]

    def terms(
        self,
        requester: str,
        supplier: str,
        lines: Sequence[Line],
        *,
        method: str = "cash",
        activity_type: str = "bilateral_training",
        needed_by: str = "2026-03-01",
        **extra: Any,
    ) -> dict[str, Any]:
        return {
            "agreement": self.profile.id,
            "activity": extra.pop("activity", "KAMANDAG-10"),
            "activity_type": activity_type,
            "requester": requester,
            "supplier": supplier,
            "requesting_unit": UNITS[requester],
            "method": method,
            "currency": self.profile.invoice_currency(supplier, requester),
            "needed_by": needed_by,
            "deliver_to": extra.pop("deliver_to", "Subic Bay, Pier 3"),
            "poc": extra.pop("poc", "Capt. Reyes, +63 2 8911 0000"),
            "fund_citation": extra.pop("fund_citation", f"{requester}-FY26-OPS-0042"),
            "lines": [
                {"no": i + 1, "category": c, "description": d, "quantity": q, "unit": u,
                 "unit_price": p}
                for i, (c, d, q, u, p) in enumerate(lines)
            ],
            **extra,
        }

    # -- request and acceptance -----------------------------------------------------

    def submit(self, terms: dict[str, Any], on: date) -> str:
        requester = terms["requester"]
        number = self.s.number(requester, on)
        self.do(requester, Role.ORDERING_OFFICIAL, F.ORDER_SUBMITTED, number,
                {"terms": terms}, on)
        return number

    def emergency(self, terms: dict[str, Any], on: date) -> str:
        supplier = terms["supplier"]
        number = self.s.number(supplier, on, emergency=True)
        self.do(supplier, Role.APPROVING_OFFICIAL, F.ORDER_EMERGENCY_RECORDED, number,
                {"terms": terms, "requested_by": "radio, Lt. Cruz"}, on)
        return number

    def accept(self, number: str, on: date, version: int | None = None) -> Fact:
        st = self.state(number)
        return self.do(st.supplier, Role.APPROVING_OFFICIAL, F.ORDER_ACCEPTED, number,
                       {"version": version or st.version, "supplying_unit": UNITS[st.supplier]},
                       on)

    def reject(self, number: str, on: date, reason: str = "not available") -> Fact:
        st = self.state(number)
        return self.do(st.supplier, Role.APPROVING_OFFICIAL, F.ORDER_REJECTED, number,
                       {"reason": reason}, on)

    def propose(self, number: str, terms: dict[str, Any], on: date) -> Fact:
        st = self.state(number)
        return self.do(st.supplier, Role.APPROVING_OFFICIAL, F.ORDER_PROPOSED, number,
                       {"terms": terms, "reason": "stock limited"}, on)

    def confirm(self, number: str, on: date) -> Fact:
        st = self.state(number)
        proposal = st.proposal.id if st.proposal else ""
        return self.do(st.requester, Role.ORDERING_OFFICIAL, F.ORDER_CONFIRMED, number,
                       {"proposal": proposal}, on)

    def withdraw(self, number: str, on: date) -> Fact:
        st = self.state(number)
        return self.do(st.requester, Role.ORDERING_OFFICIAL, F.ORDER_WITHDRAWN, number,
                       {"reason": "no longer needed"}, on)

    def confirm_emergency(self, number: str, on: date) -> Fact:
        st = self.state(number)
        return self.do(st.requester, Role.ORDERING_OFFICIAL, F.ORDER_EMERGENCY_CONFIRMED, number,
                       {"terms_version": st.version}, on)

    # -- delivery and receipt ------------------------------------------------------

    def deliver(self, number: str, lines: Sequence[tuple[int, str]], on: date,
                prices: dict[int, str] | None = None, *, ticket: bool = True) -> Fact:
        """A delivery with its delivery ticket (``ticket=False``: without one)."""
        st = self.state(number)
        data_lines = []
        for no, qty in lines:
            entry: dict[str, Any] = {"line": no, "quantity": qty}
            if prices and no in prices:
                entry["unit_price"] = prices[no]
            data_lines.append(entry)
        data: dict[str, Any] = {"lines": data_lines}
        if ticket:
            data["evidence"] = [ticket_ref(f"{number} {len(st.deliveries) + 1}")]
        return self.do(st.supplier, Role.SUPPLY_OFFICER, F.DELIVERY_RECORDED, number, data, on)

    def receive(self, number: str, delivery: Fact, on: date,
                lines: Sequence[tuple[int, str]] | None = None) -> Fact:
        st = self.state(number)
        d = st.delivery(delivery.hash)
        if lines is None and d is not None:
            lines = [(dl.line, str(dl.quantity)) for dl in d.lines]
        return self.do(st.requester, Role.RECEIVING_OFFICIAL, F.RECEIPT_RECORDED, number,
                       {"delivery": delivery.hash,
                        "lines": [{"line": n, "quantity": q} for n, q in lines or []]}, on)

    # -- cash ------------------------------------------------------------------------

    def invoice(self, number: str, on: date, *, kind: str = "goods",
                reference: str | None = None, replaces: str | None = None) -> Fact:
        st = self.state(number)
        n = len(st.invoices) + 1
        data = commands.invoice_data(st, self.profile, on=on,
                                     number=f"INV-{number.replace('/', '-')}-{n}",
                                     kind=kind, reference=reference, replaces=replaces)
        return self.do(st.supplier, Role.FINANCE_OFFICER, F.INVOICE_ISSUED, number, data, on)

    def void(self, number: str, invoice: Fact, on: date) -> Fact:
        st = self.state(number)
        return self.do(st.supplier, Role.FINANCE_OFFICER, F.INVOICE_VOIDED, number,
                       {"invoice": invoice.hash, "reason": "wrong quantity"}, on)

    def credit_note(self, number: str, invoice: Fact, amount: str, on: date) -> Fact:
        st = self.state(number)
        return self.do(st.supplier, Role.FINANCE_OFFICER, F.CREDIT_NOTE_ISSUED, number,
                       {"invoice": invoice.hash, "amount": amount, "reason": "price corrected"},
                       on)

    def pay(self, payer: str, allocations: Sequence[tuple[str, Fact, str]], on: date) -> Fact:
        """``allocations``: (order, invoice fact, amount in major units)."""
        first = self.state(allocations[0][0])
        currency = first.currency
        allocs = [(o, inv.hash, Money.parse(a, currency).minor) for o, inv, a in allocations]
        self.payments += 1
        data = commands.payment_data(currency=currency, allocations=allocs,
                                     reference=f"SWIFT-{self.payments:04d}")
        return self.do(payer, Role.FINANCE_OFFICER, F.PAYMENT_RECORDED,
                       f"PAY/{payer}/{self.payments:05d}", data, on)

    def confirm_payment(self, payee: str, payment: Fact,
                        received: Sequence[tuple[str, Fact, str]], on: date) -> Fact:
        return self.do(payee, Role.FINANCE_OFFICER, F.PAYMENT_CONFIRMED, payment.subject,
                       {"payment": payment.hash,
                        "orders": [{"order": o, "invoice": i.hash, "received": r}
                                   for o, i, r in received]}, on)

    def write_off(self, number: str, invoice: Fact, amount: str, on: date) -> Fact:
        st = self.state(number)
        return self.do(st.supplier, Role.FINANCE_OFFICER, F.WRITE_OFF_RECORDED, number,
                       {"invoice": invoice.hash, "amount": amount, "reason": "bank charges"}, on)

    # -- in kind ---------------------------------------------------------------------

    def return_in_kind(self, number: str, lines: Sequence[tuple[int, str]], on: date) -> Fact:
        st = self.state(number)
        return self.do(st.requester, Role.SUPPLY_OFFICER, F.RETURN_RECORDED, number,
                       {"lines": [{"line": n, "quantity": q} for n, q in lines],
                        "description": "same grade, same quantity"}, on)

    def answer_return(self, number: str, ret: Fact, on: date, answer: str = "accepted") -> Fact:
        st = self.state(number)
        return self.do(st.supplier, Role.RECEIVING_OFFICIAL, F.RETURN_ACCEPTED, number,
                       {"return": ret.hash, "answer": answer, "reason": "off-specification"},
                       on)

    def convert(self, number: str, on: date, prices: dict[int, str] | None = None) -> Fact:
        st = self.state(number)
        data = commands.conversion_data(
            st, self.profile, {k: Decimal(v) for k, v in (prices or {}).items()}
        )
        return self.do(st.supplier, Role.FINANCE_OFFICER, F.RIK_CONVERTED, number, data, on)

    # -- exchange and offset -----------------------------------------------------------

    def link_exchange(self, party: str, numbers: Sequence[str], on: date, currency: str,
                      rates: Sequence[tuple[str, str, str]] = ()) -> Fact:
        data = commands.exchange_data([(self.state(n), self.profile) for n in numbers],
                                      on=on, currency=currency, rates=rates)
        return self.do(party, Role.FINANCE_OFFICER, F.EXCHANGE_PROPOSED,
                       f"EVE/{party}/{len(self.s.facts):05d}", data, on)

    def sign_exchange(self, party: str, proposal: Fact, on: date) -> Fact:
        return self.do(party, Role.FINANCE_OFFICER, F.EXCHANGE_SIGNED, proposal.subject,
                       {"exchange": proposal.hash,
                        "orders": [{"order": p["order"]} for p in proposal.data["orders"]]}, on)

    def offset(self, party: str, invoices: Sequence[tuple[str, Fact]], on: date,
               currency: str, rates: Sequence[tuple[str, str, str]] = ()) -> Fact:
        data = commands.offset_data([(self.state(o), inv.hash) for o, inv in invoices],
                                    on=on, currency=currency, rates=rates)
        return self.do(party, Role.FINANCE_OFFICER, F.OFFSET_PROPOSED,
                       f"OFS/{party}/{len(self.s.facts):05d}", data, on)

    def sign_offset(self, party: str, proposal: Fact, on: date) -> Fact:
        return self.do(party, Role.FINANCE_OFFICER, F.OFFSET_SIGNED, proposal.subject,
                       {"offset": proposal.hash,
                        "orders": [{"order": p["order"]} for p in proposal.data["orders"]]}, on)

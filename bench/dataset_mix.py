"""The orders of the benchmark data set, one agreement at a time, signed as nodes sign them.

:class:`Writer` keeps the streams of one agreement (the Japanese node's and
its partner's) and seals each event exactly as a node does — its envelope,
its chain link, its Merkle leaf, the appointment of the official who acts.
:func:`orders` then writes ``count`` orders of that agreement, order after
order, and hands back the sealed rows a few thousand at a time, so that
nothing but the chunk in hand is held. An agreement's streams never name the
other agreement's events, so each agreement can be written in a process of
its own.

The mix, by the order's place ``j`` among the agreement's orders (its
business date runs from February to early November 2026):

- every settlement method: cash; replacement in kind (returned whole, or in
  part and still owed); equal-value exchanges of services (two orders, one
  each way, linked, the residual invoiced and paid);
- partial deliveries (a line delivered in two parts, each received), orders
  of two lines, invoices on what was received;
- three currencies: JPY (Japan supplies), PHP (the Philippines supplies),
  USD (the United States supplies);
- a typhoon burst: a tenth of the orders within four days of October, for a
  relief operation, some of them emergency orders recorded by radio;
- a tail left open or overdue: every order stops somewhere (awaiting
  acceptance, delivery, receipt, invoice or payment) by a fixed pattern, and
  those of the last weeks stop early; unpaid invoices of summer are overdue;
- some classified: one order in fifty under an operation, marked SECRET
  (or its equivalent) by the requester, protected by the supplier at its
  equivalent level.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from acsa.devtools.exercise import ticket_ref
from acsa.domain import facts as F
from acsa.domain.agreement import AgreementProfile
from acsa.domain.commands import payment_data
from acsa.domain.marking import Marking, protection_level
from acsa.domain.money import ExchangeRate, Money, RateBook, line_total
from acsa.domain.order import order_number
from acsa.domain.parties import Role
from acsa.domain.settlement import ExchangeValue, value_exchange
from acsa.events import CompactRange, Envelope, NodeKey, format_at, leaf_hash, seal
from acsa.store.log import orders_named

DAY0 = date(2026, 2, 3)
SPAN_DAYS = 275  # the last order is submitted on 2026-11-05
BURST = (0.70, 0.80)  # the share of orders, by place, submitted in the typhoon burst
BURST_DAY, BURST_DAYS = 255, 4  # 2026-10-16 to 2026-10-19
OPERATION = "OPLAN-KESTREL"  # the classified orders' activity
RELIEF = "TYPHOON-NINA-HADR"
UNITS = {"JPN": ("JMSDF-ESF1", "JGSDF-1HB"), "PHL": ("AFP-TOG1", "AFP-NFL"),
         "USA": ("USFJ-374AW", "USN-7FLT-LOG")}
SECRET = {"PHL": "SECRET", "USA": "SECRET", "JPN": "極秘"}
# category, description, unit of issue, unit price in JPY, PHP, USD
SUPPLIES = [("pol", "Diesel fuel F-76", "L", ("152.5", "61.25", "1.05")),
            ("food", "Combat ration, 1 day", "EA", ("1200", "480", "9.75")),
            ("water", "Potable water", "L", ("30", "12", "0.25")),
            ("spare_parts", "Rotor blade", "EA", ("880000", "352000", "6150.00"))]
SERVICE = ("transportation", "Truck, 5 t, one trip", "TRIP", ("25000", "10000", "180.00"))
CURRENCY_COLUMN = {"JPY": 0, "PHP": 1, "USD": 2}


@dataclass
class Chain:
    """One stream's head: what the next event links to."""

    name: str
    key: NodeKey
    seq: int
    prev: str | None
    tree: CompactRange


@dataclass
class Writer:
    """Seals one agreement's events into rows for the ``events`` table."""

    profile: AgreementProfile
    partner: str
    chains: dict[str, Chain]
    appointments: dict[tuple[str, str], str]
    clock: datetime = datetime(2026, 2, 2, 1, tzinfo=UTC)
    rows: list[dict[str, Any]] = field(default_factory=list)
    links: list[tuple[int, str]] = field(default_factory=list)  # (row index, order)
    numbers: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    counters: dict[str, str] = field(default_factory=dict)  # the node's numbering, as it ends

    def emit(self, party: str, role: Role, type_: str, subject: str, parent: str | None,
             data: dict[str, Any], on: date, marking: dict[str, Any] | None = None) -> str:
        """Seal one event of ``party``'s official in ``role``, acting for its first unit."""
        unit = UNITS[party][0]
        self.clock = max(self.clock + timedelta(milliseconds=3),
                         datetime(on.year, on.month, on.day, 1, tzinfo=UTC))
        chain = self.chains[party]
        chain.seq += 1
        user = f"{party.lower()}.{role.value.split('_')[0]}"
        envelope = Envelope(
            v=1, stream=chain.name, seq=chain.seq, prev=chain.prev, at=format_at(self.clock),
            profile=self.profile.digest, type=type_, subject=subject, parent=parent,
            actor={"user": user, "name": user, "role": role.value, "party": party,
                   "unit": unit, "appointment": self.appointments[(party, role.value)]},
            marking=marking or {"level": "UNCLASSIFIED", "originator": party,
                                "rel": sorted(self.profile.party_codes)},
            data={**data, "on": on.isoformat()},
        )
        signed = seal(envelope, chain.key)
        self.rows.append({
            "stream": chain.name, "seq": chain.seq, "hash": signed.hash, "prev": chain.prev,
            "at": envelope.at, "type": type_, "subject": subject, "parent": parent,
            "signer": party, "key": signed.key, "signature": signed.to_wire()["sig"],
            "envelope": envelope.canonical().decode(), "received_at": envelope.at,
            "origin": "local" if party == "JPN" else "bundle",
        })
        self.links.extend((len(self.rows) - 1, o) for o in orders_named(envelope))
        chain.prev = signed.hash
        chain.tree.append(leaf_hash(bytes.fromhex(signed.hash)))
        return signed.hash

    def take(self) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
        rows, links = self.rows, self.links
        self.rows, self.links = [], []
        return rows, links

    def next(self, series: str) -> int:
        self.numbers[series] = self.numbers.get(series, 0) + 1
        return self.numbers[series]

    def count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1


def business_day(place: float) -> date:
    """The day of the order at ``place`` (0 to 1) of the agreement's orders: spread evenly,
    but a tenth of them within the four days of the typhoon burst."""
    low, high = BURST
    if place < low:
        offset = place / low * BURST_DAY
    elif place < high:
        offset = BURST_DAY + (place - low) / (high - low) * BURST_DAYS
    else:
        offset = BURST_DAY + BURST_DAYS + (place - high) / (1 - high) * (
            SPAN_DAYS - BURST_DAY - BURST_DAYS)
    return DAY0 + timedelta(days=int(offset))


def orders(w: Writer, count: int, chunk: int) -> Iterator[tuple[list[dict[str, Any]],
                                                               list[tuple[int, str]]]]:
    """Write ``count`` orders (an exchange writes two), yielding the rows every ``chunk``."""
    j = done = 0
    while done < count:
        place = j / max(count, 1)
        done += Order(w, j, business_day(place), place).write(pair=done + 1 < count)
        j += 1
        if j % chunk == 0:
            yield w.take()
    if w.rows:
        yield w.take()


class Order:
    """One order (or an exchange's pair) of the mix, by its place ``j``."""

    def __init__(self, w: Writer, j: int, on: date, place: float) -> None:
        self.w, self.j, self.on = w, j, on
        self.burst = BURST[0] <= place < BURST[1]
        self.tail = place >= 0.97
        self.partner = w.partner
        # Japan supplies two orders in three; the partner the third.
        self.supplier = self.partner if j % 3 == 2 else "JPN"
        self.requester = "JPN" if self.supplier != "JPN" else self.partner
        self.currency = w.profile.invoice_currency(self.supplier, self.requester)
        self.marking: dict[str, dict[str, Any]] | None = None

    # -- what kind of order -----------------------------------------------------------

    def write(self, *, pair: bool) -> int:
        k = self.j % 40
        if k in (7, 27) and pair and not self.burst:
            self.exchange()
            return 2
        if k in (3, 13, 23, 33):
            self.in_kind(whole=k != 33)
        elif self.burst and k % 4 == 1 and self.supplier == "JPN":
            self.emergency()
        else:
            self.cash(k)
        return 1

    def terms(self, method: str, lines: list[tuple[str, str, str, str, str]], *,
              activity: str, activity_type: str) -> dict[str, Any]:
        return {
            "agreement": self.w.profile.id, "activity": activity,
            "activity_type": activity_type, "requester": self.requester,
            "supplier": self.supplier, "requesting_unit": UNITS[self.requester][0],
            "method": method, "currency": self.currency,
            "needed_by": (self.on + timedelta(days=14)).isoformat(),
            "deliver_to": "Subic Bay, Pier 3", "poc": "Capt. Reyes, +63 2 8911 0000",
            "fund_citation": f"{self.requester}-FY26-OPS-{self.j % 97:04d}",
            "lines": [{"no": i + 1, "category": c, "description": d, "quantity": q,
                       "unit": u, "unit_price": p} for i, (c, d, q, u, p) in enumerate(lines)],
        }

    def line(self, i: int, *, supply: bool = True) -> tuple[str, str, str, str, str]:
        category, description, unit, prices = (SUPPLIES[i % len(SUPPLIES)] if supply
                                               else SERVICE)
        quantity = str(10 + (self.j * 7 + i * 13 + ord(self.partner[0])) % 490)
        return category, description, quantity, unit, prices[CURRENCY_COLUMN[self.currency]]

    def classify(self) -> None:
        requester_marking = Marking(SECRET[self.requester], self.requester,
                                    tuple(sorted(self.w.profile.party_codes)))
        self.marking = {}
        for party in (self.requester, self.supplier):
            level = (requester_marking.level if party == self.requester
                     else protection_level(requester_marking, self.w.profile, party))
            self.marking[party] = {"level": level, "originator": party,
                                   "rel": sorted(self.w.profile.party_codes)}

    def act(self, party: str, role: Role, type_: str, subject: str, parent: str | None,
            data: dict[str, Any], on: date) -> str:
        marking = self.marking[party] if self.marking else None
        return self.w.emit(party, role, type_, subject, parent, data, on, marking)

    def number(self, *, emergency: bool = False) -> str:
        party = self.supplier if emergency else self.requester
        mark = "E" if emergency else ""
        sequence = self.w.next(f"{party}{mark}")
        fy = self.w.profile.party(party).fiscal_year(self.on)
        self.w.counters[f"number:{self.w.profile.short_id}/{party}/FY{fy}/{mark}"] = str(
            sequence)
        return order_number(self.w.profile, party, self.on, sequence, emergency=emergency)

    # -- the paths --------------------------------------------------------------------

    def submit(self, method: str, lines: list[tuple[str, str, str, str, str]]) -> tuple[
            str, str]:
        classified = self.j % 50 == 11 and not self.burst
        if classified:
            self.classify()
            self.w.count("classified")
        activity, kind = ((RELIEF, "hadr") if self.burst else
                          (OPERATION, "bilateral_training") if classified else
                          ("KAMANDAG-10", "bilateral_training"))
        number = self.number()
        head = self.act(self.requester, Role.ORDERING_OFFICIAL, F.ORDER_SUBMITTED, number,
                        None, {"terms": self.terms(method, lines, activity=activity,
                                                   activity_type=kind)}, self.on)
        self.w.count(f"method {method}")
        self.w.count(f"currency {self.currency}")
        return number, head

    def accept(self, number: str, head: str) -> str:
        return self.act(self.supplier, Role.APPROVING_OFFICIAL, F.ORDER_ACCEPTED, number,
                        head, {"version": 1, "supplying_unit": UNITS[self.supplier][0]},
                        self.on + timedelta(days=1))

    def deliver(self, number: str, head: str, parts: list[tuple[int, str]],
                on: date) -> str:
        return self.act(self.supplier, Role.SUPPLY_OFFICER, F.DELIVERY_RECORDED, number, head,
                        {"lines": [{"line": n, "quantity": q} for n, q in parts],
                         "evidence": [ticket_ref(f"{number} {on} {parts}")]}, on)

    def receive(self, number: str, head: str, delivery: str, parts: list[tuple[int, str]],
                on: date) -> str:
        return self.act(self.requester, Role.RECEIVING_OFFICIAL, F.RECEIPT_RECORDED, number,
                        head, {"delivery": delivery,
                               "lines": [{"line": n, "quantity": q} for n, q in parts]}, on)

    def invoice(self, number: str, head: str, on: date, billed: list[tuple[str, int, str, str]],
                *, kind: str = "goods", total: int | None = None,
                reference: str | None = None) -> tuple[str, int]:
        """``billed``: (delivery, line, quantity, unit price)."""
        lines = []
        for delivery, no, quantity, price in billed:
            amount = line_total(Decimal(quantity), Decimal(price), self.currency)
            lines.append({"delivery": delivery, "line": no, "quantity": quantity,
                          "unit_price": price, "amount": amount.text()})
        if total is None:
            total = sum(Money.parse(x["amount"], self.currency).minor for x in lines)
        data: dict[str, Any] = {
            "number": f"INV/{self.supplier}/{self.w.profile.short_id}/{self.w.next('INV'):06d}",
            "kind": kind, "currency": self.currency,
            "due_on": (on + timedelta(days=self.w.profile.settlement.cash_payment_days)
                       ).isoformat(),
            "lines": lines, "total": Money(self.currency, total).text()}
        if reference is not None:
            data["reference"] = reference
        return self.act(self.supplier, Role.FINANCE_OFFICER, F.INVOICE_ISSUED, number, head,
                        data, on), total

    def pay(self, number: str, head: str, invoice: str, total: int, on: date) -> None:
        payer, payee = self.requester, self.supplier
        subject = f"PAY/{payer}/{self.w.profile.short_id}-{self.w.next('PAY' + payer):06d}"
        data = payment_data(currency=self.currency, allocations=[(number, invoice, total)],
                            reference=f"SWIFT-{self.j}")
        data["orders"][0]["parent"] = head
        payment = self.act(payer, Role.FINANCE_OFFICER, F.PAYMENT_RECORDED, subject, None,
                           data, on)
        self.act(payee, Role.FINANCE_OFFICER, F.PAYMENT_CONFIRMED, subject, None,
                 {"payment": payment, "orders": [{"order": number, "parent": payment,
                                                  "invoice": invoice,
                                                  "received": Money(self.currency,
                                                                    total).text()}]},
                 on + timedelta(days=1))

    def cash(self, k: int) -> None:
        """Cash, stopping at a stage set by ``k`` (the tail stops early); one order in four
        has two lines, one in five is delivered in two parts."""
        two_lines = k % 4 == 2
        lines = [self.line(self.j), *([self.line(self.j + 1)] if two_lines else [])]
        number, head = self.submit("cash", lines)
        stage = k % 10 if not self.tail else k % 4
        if stage == 0:
            return
        head = self.accept(number, head)
        if stage == 1:
            return
        split = k % 5 == 4
        received: list[tuple[str, int, str, str]] = []
        day = self.on + timedelta(days=2)
        for no, (_, _, quantity, _, price) in enumerate(lines, start=1):
            parts = ([str(int(quantity) // 2), str(int(quantity) - int(quantity) // 2)]
                     if split and no == 1 else [quantity])
            for part in parts:
                delivery = self.deliver(number, head, [(no, part)], day)
                head = delivery
                if stage == 2:
                    return
                head = self.receive(number, head, delivery, [(no, part)], day)
                received.append((delivery, no, part, price))
                day += timedelta(days=1)
        if split:
            self.w.count("partial deliveries")
        if stage in (3, 4):
            return
        invoice_day = day + timedelta(days=2)
        invoice, total = self.invoice(number, head, invoice_day, received)
        if stage in (5, 6):
            return  # unpaid: overdue once its due date has passed
        self.pay(number, invoice, invoice, total, invoice_day + timedelta(days=20))

    def in_kind(self, *, whole: bool) -> None:
        """Replacement in kind: delivered, received, and returned whole (settled) or in
        part (the rest still owed in kind)."""
        lines = [self.line(self.j)]
        number, head = self.submit("rik", lines)
        head = self.accept(number, head)
        quantity = lines[0][2]
        day = self.on + timedelta(days=2)
        delivery = self.deliver(number, head, [(1, quantity)], day)
        head = self.receive(number, delivery, delivery, [(1, quantity)], day)
        if self.tail:
            return
        returned = quantity if whole else str(int(quantity) // 2)
        back = self.act(self.requester, Role.SUPPLY_OFFICER, F.RETURN_RECORDED, number, head,
                        {"lines": [{"line": 1, "quantity": returned}],
                         "description": "same grade, same quantity"},
                        day + timedelta(days=30))
        self.act(self.supplier, Role.RECEIVING_OFFICIAL, F.RETURN_ACCEPTED, number, back,
                 {"return": back, "answer": "accepted", "reason": "as delivered"},
                 day + timedelta(days=31))

    def emergency(self) -> None:
        """A radio request in the typhoon burst: recorded by the supplier, delivered at
        once, confirmed in writing by the requester."""
        lines = [self.line(2)]  # water
        terms = self.terms("cash", lines, activity=RELIEF, activity_type="hadr")
        terms["supplying_unit"] = UNITS[self.supplier][0]
        number = self.number(emergency=True)
        head = self.act(self.supplier, Role.APPROVING_OFFICIAL, F.ORDER_EMERGENCY_RECORDED,
                        number, None, {"terms": terms,
                                       "requested_by": "radio, Maj. Santos"}, self.on)
        self.w.count("emergency")
        self.w.count(f"currency {self.currency}")
        head = self.deliver(number, head, [(1, lines[0][2])], self.on)
        self.act(self.requester, Role.ORDERING_OFFICIAL, F.ORDER_EMERGENCY_CONFIRMED, number,
                 head, {"terms_version": 1}, self.on + timedelta(days=3))

    def exchange(self) -> None:
        """An equal-value exchange of transport: one order each way, both delivered and
        received, linked by Japan and signed by the partner; the residual invoiced by the
        party that gave more, paid and confirmed."""
        sides = []
        for supplier in ("JPN", self.partner):
            side = Order(self.w, self.j, self.on, 0.0)
            side.supplier = supplier
            side.requester = self.partner if supplier == "JPN" else "JPN"
            side.currency = self.w.profile.invoice_currency(side.supplier, side.requester)
            line = side.line(0, supply=False)
            number, head = side.submit("eve", [line])
            head = side.accept(number, head)
            delivery = side.deliver(number, head, [(1, line[2])], self.on + timedelta(days=2))
            head = side.receive(number, delivery, delivery, [(1, line[2])],
                                self.on + timedelta(days=3))
            value = line_total(Decimal(line[2]), Decimal(line[4]), side.currency).minor
            sides.append((side, number, head, value))
        on = self.on + timedelta(days=10)
        valuation = self.w.profile.invoice_currency(self.partner, "JPN")
        rates = [("JPY", valuation, {"PHP": "0.38", "USD": "0.0067"}[valuation])]
        book = RateBook(tuple(ExchangeRate(on, b, q, Decimal(r)) for b, q, r in rates))
        parts = [ExchangeValue(n, s.supplier, s.currency, v, 0) for s, n, _, v in sides]
        valued, creditor, residual = value_exchange(parts, valuation, book, on)
        data = {"category": SERVICE[0], "currency": valuation,
                "rates": [{"base": b, "quote": q, "rate": r} for b, q, r in rates],
                "orders": [{"order": p.order, "supplier": p.supplier, "currency": p.currency,
                            "value": Money(p.currency, p.value).text(),
                            "valued": Money(valuation, p.valued).text(),
                            "to_cash": Money(p.currency, p.to_cash).text(),
                            "parent": head} for p, (_, _, head, _) in zip(valued, sides,
                                                                           strict=True)],
                "residual": {"creditor": creditor,
                             "amount": Money(valuation, residual).text()}}
        subject = f"EVE/JPN/{self.w.profile.short_id}-{self.w.next('EVE'):06d}"
        proposal = sides[0][0].act("JPN", Role.FINANCE_OFFICER, F.EXCHANGE_PROPOSED, subject,
                                   None, data, on)
        signed = sides[1][0].act(self.partner, Role.FINANCE_OFFICER, F.EXCHANGE_SIGNED,
                                 subject, None, {"exchange": proposal, "orders": [
                                     {"order": n, "parent": proposal} for _, n, _, _ in sides]},
                                 on + timedelta(days=1))
        self.w.count("exchanges")
        for (side, number, _, _), part in zip(sides, valued, strict=True):
            if part.to_cash:
                day = on + timedelta(days=2)
                invoice, total = side.invoice(number, signed, day, [], kind="residual",
                                              total=part.to_cash, reference=proposal)
                side.pay(number, invoice, invoice, total, day + timedelta(days=15))

"""Random lifecycles of orders between two nodes, with the fold's invariants checked at every step.

A hypothesis state machine drives an :class:`Exercise` through plausible and implausible
actions — every settlement path (cash, replacement in kind, equal-value exchange, offset)
and emergency orders, with random quantities, prices and dates — and now and then lets
the two nodes act without seeing each other (``auto_sync`` off) before delivering their
events. Whatever happens, after every step:

(i)   no ineffective event changed anything: the state is what applying only the
      effective events gives, and rewriting every ineffective event as a no-op (the same
      place in the causal graph, signed by an auditor, whom the table allows nothing)
      gives the same state. (Dropping ineffective events outright would orphan the
      events that name them as parent, so that is not the test.)
(ii)  the postings of :func:`ledger.order_entries` balance in every currency and sum, per
      account, to :func:`figures.accounts`;
(iii) a settled order owes nothing: commitment, receivable, in kind and invoiced are 0,
      and every delivery is received;
(iv)  any admissible arrival order of the same events (each stream's sequence kept)
      gives the identical state for every order;
(v)   no account of an order is negative, except ``invoiced`` where a payment crossed a
      credit note: an invoice is overpaid by at most what was credited on it;
(vi)  every figure a state keeps (:func:`figures.per_state`), on every state the fold
      passed through (kept across versions where the fields it reads did not change), is
      the figure worked out afresh on a copy that keeps nothing; and the postings from the
      fold's trail are those of replaying its effective events.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from acsa.devtools.exercise import Exercise
from acsa.devtools.world import in_force_profile
from acsa.domain import facts as F
from acsa.domain import figures
from acsa.domain.agreement import AgreementProfile
from acsa.domain.errors import DomainError
from acsa.domain.facts import Fact
from acsa.domain.figures import (
    accounts,
    all_received,
    delivered,
    in_kind_due_on,
    owed_in_kind,
    returned,
    status,
)
from acsa.domain.interpret import Context, Trail, interpret_orders
from acsa.domain.ledger import order_entries, trail_postings
from acsa.domain.money import Money
from acsa.domain.parties import Role
from acsa.domain.postings import AccountKind, balances, check_balanced
from acsa.domain.rules import Status
from acsa.domain.state import OrderState

D = date
ORD = Role.ORDERING_OFFICIAL
APP = Role.APPROVING_OFFICIAL
SUPPLY = Role.SUPPLY_OFFICER
RCV = Role.RECEIVING_OFFICIAL
FIN = Role.FINANCE_OFFICER

PROFILES = ("JPN-PHL-ACSA", "JPN-USA-ACSA")
# category, description, unit; billeting is a service (never returned in kind).
ITEMS = (("pol", "Diesel F-76", "L"), ("food", "Ration, MRE", "EA"),
         ("water", "Potable water", "L"), ("billeting", "Barracks", "NIGHT"))
QUANTITIES = ("1", "3", "100", "1000.5", "10000")
PRICES = ("0.37", "1", "152.5", "1000", "25000.00")
FRACTIONS = ("0.25", "0.5", "0.9", "1", "1.1", "1.2")
# Rates a finance officer entered, as (base, quote, rate): one unit of base in quote.
RATES = {("JPY", "PHP"): "0.38", ("JPY", "USD"): "0.0067", ("USD", "PHP"): "56.5"}
MAX_ORDERS = 4

index = st.integers(min_value=0, max_value=40)
fraction = st.sampled_from(FRACTIONS).map(Decimal)
side_of = st.sampled_from(("requester", "supplier"))


def rates_for(a: str, b: str) -> list[tuple[str, str, str]]:
    for (base, quote), rate in RATES.items():
        if {base, quote} == {a, b}:
            return [(base, quote, rate)]
    return []


class Nodes(Exercise):
    """An exercise whose officials build events from their own node's view of an order."""

    viewer: str | None = None

    def state(self, number: str) -> OrderState:
        if self.viewer is None or self.s.auto_sync:
            return super().state(number)
        return self.s.state(number, list(self.s.nodes[self.viewer].seen))


def _neutral(f: Fact) -> Fact:
    """``f`` rewritten as an act nobody may take, in the same place of the causal graph."""
    return replace(f, actor=replace(f.actor, role=Role.AUDITOR))


def _interleaving(facts: list[Fact], rng: random.Random) -> list[Fact]:
    """The facts in a random arrival order that keeps each stream's sequence."""
    streams: dict[str, list[Fact]] = defaultdict(list)
    for f in sorted(facts, key=lambda f: (f.stream, f.seq)):
        streams[f.stream].append(f)
    queues = [list(reversed(q)) for q in streams.values()]
    out: list[Fact] = []
    while queues:
        q = rng.choice(queues)
        out.append(q.pop())
        if not q:
            queues.remove(q)
    return out


class Lifecycles(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.orders: list[str] = []
        self.parties: dict[str, tuple[str, str]] = {}  # order -> (requester, supplier)
        self.today = D(2026, 5, 1)
        self.seen = 0  # facts already checked by the invariant

    @initialize(
        agreement=st.sampled_from(PROFILES),
        method=st.sampled_from(("cash", "rik", "eve")),
        items=st.tuples(st.sampled_from(ITEMS[:3]), st.sampled_from(ITEMS)),
        quantity=st.sampled_from(QUANTITIES),
        price=st.sampled_from(PRICES),
        emergency=st.booleans(),
    )
    def start(self, agreement: str, method: str, items: tuple[tuple[str, str, str], ...],
              quantity: str, price: str, emergency: bool) -> None:
        self.profile: AgreementProfile = in_force_profile(agreement)
        self.x = Nodes(self.profile)
        self.ctx: Context = self.x.s.context()  # appointments are fixed from here on
        # Two orders each way under one method, so that exchanges and offsets have
        # partners from the start (swarm testing may switch the submit rule off).
        self.submit(True, method, items[0], quantity, price, False, emergency)
        self.submit(False, method, items[1], "100", "30", False, False)

    # -- helpers -------------------------------------------------------------------------

    def pick(self, i: int) -> str:
        return self.orders[i % len(self.orders)]

    def side_party(self, number: str, side: str) -> str:
        requester, supplier = self.parties[number]
        return requester if side == "requester" else supplier

    def view(self, party: str, number: str) -> OrderState | None:
        """``party``'s node's view of ``number``, or None when it has not seen the order."""
        self.x.viewer = party
        st_ = self.x.state(number)
        return st_ if st_.terms is not None else None

    def act(self, party: str, fn: Any, *args: Any, **kw: Any) -> Fact | None:
        """Let ``party``'s officials act through an Exercise method; a refused command is fine.

        Nothing happens when ``party``'s node has not yet seen an order the call names.
        """
        if any(self.view(party, m) is None for m in self.named_orders(args)):
            self.x.viewer = None
            return None
        self.x.viewer = party
        try:
            return fn(*args, **kw)  # type: ignore[no-any-return]
        except DomainError:
            return None  # the command builder found nothing to do
        finally:
            self.x.viewer = None

    def named_orders(self, value: Any) -> set[str]:
        if isinstance(value, str):
            return {value} if value in self.parties else set()
        if isinstance(value, (list, tuple)):
            return set().union(*(self.named_orders(v) for v in value))
        if isinstance(value, Fact):
            return set(value.orders())
        return set()

    def do(self, party: str, role: Role, type_: str, subject: str, data: dict[str, Any]) -> Fact:
        return self.x.do(party, role, type_, subject, data, self.today)

    # -- the plausible next step -----------------------------------------------------------

    def next_step(self, n: str, flavour: int) -> bool:
        """Take a step an order in its status plausibly needs next; False when none.

        ``flavour`` (0-3) picks among the plausible steps: accept or propose, deliver all
        or part, close short, receive whole or short, pay in full or short, offset,
        return in kind or let the deadline pass and convert.
        """
        requester, supplier = self.parties[n]
        g = self.x.s.state(n)  # what both nodes will see once synchronised
        if g.terms is None:
            return False
        profile = self.profile
        now = status(g, profile)
        if g.emergency and g.emergency_confirmed_on is None and now is not Status.CANCELLED:
            return self.act(requester, self.x.confirm_emergency, n, self.today) is not None
        pending = [c for c in g.changes if c.pending]
        if pending and now not in (Status.CANCELLED, Status.REJECTED, Status.SETTLED):
            c = pending[0]
            side = "supplier" if c.side.value == "requester" else "requester"
            self.do(self.side_party(n, side), ORD if side == "requester" else APP,
                    F.CHANGE_ANSWERED, n,
                    {"request": c.id, "answer": "declined" if flavour == 3 else "accepted"})
            return True
        if now is Status.SUBMITTED:
            if flavour == 1 and g.version == 1:
                data = g.terms.as_data()
                data["lines"][0]["quantity"] = str(g.terms.lines[0].quantity * 2)
                return self.act(supplier, self.x.propose, n, data, self.today) is not None
            return self.act(supplier, self.x.accept, n, self.today) is not None
        if now is Status.PROPOSED:
            return self.act(requester, self.x.confirm, n, self.today) is not None
        if now in (Status.ACCEPTED, Status.IN_DELIVERY):
            if flavour == 2 and g.deliveries:
                self.do(requester, ORD, F.CHANGE_REQUESTED, n,
                        {"kind": "close_short", "reason": "the exercise ended early"})
                return True
            share = Decimal("0.5") if flavour == 1 else Decimal(1)
            rest = [(ln.no, str(((ln.quantity - delivered(g, ln.no)) * share).quantize(
                Decimal("0.001")))) for ln in g.terms.lines if ln.quantity > delivered(g, ln.no)]
            return bool(rest) and self.act(supplier, self.x.deliver, n, rest,
                                           self.today) is not None
        if now is Status.DELIVERED:
            waiting = [d for d in g.deliveries if g.receipt_for(d.id) is None]
            if not waiting:
                return False
            delivery = self.facts_by_hash(waiting[0].id)
            lines = None
            if flavour == 1:
                lines = [(dl.line, str((dl.quantity * Decimal("0.95")).quantize(
                    Decimal("0.001")))) for dl in waiting[0].lines]
            return self.act(requester, self.x.receive, n, delivery, self.today,
                            lines=lines) is not None
        if now is Status.DISPUTED:
            return self.settle_dispute(n, g)
        if now in (Status.RECEIVED, Status.SETTLING):
            return self.settle(n, g, flavour)
        return False

    def settle_dispute(self, n: str, g: OrderState) -> bool:
        dispute = next(d for d in g.disputes if d.open)
        other = "supplier" if dispute.side.value == "requester" else "requester"
        if not dispute.proposals:
            party = self.side_party(n, other)
            self.do(party, FIN, F.DISPUTE_RESOLUTION_PROPOSED, n,
                    {"dispute": dispute.id, "resolution": "the receipt stands"})
            return True
        proposal = dispute.proposals[-1]
        party = self.side_party(n, "supplier" if proposal.side.value == "requester"
                                else "requester")
        self.do(party, FIN, F.DISPUTE_RESOLVED, n,
                {"dispute": dispute.id, "proposal": proposal.id})
        return True

    def facts_by_hash(self, h: str) -> Fact:
        return next(f for f in self.x.s.facts if f.hash == h)

    def settle(self, n: str, g: OrderState, flavour: int) -> bool:
        requester, supplier = self.parties[n]
        acc = accounts(g, self.profile)
        if any(x.signed_on is None for x in g.exchanges):
            part = next(x for x in g.exchanges if x.signed_on is None)
            signer = supplier if part.proposed_by.value == "requester" else requester
            proposal = self.facts_by_hash(part.exchange)
            return self.act(signer, self.x.sign_exchange, signer, proposal,
                            self.today) is not None
        pending_offsets = [o for o in g.offsets if o.signed_on is None]
        if pending_offsets:
            o = pending_offsets[0]
            signer = supplier if o.proposed_by.value == "requester" else requester
            proposal = self.facts_by_hash(o.offset)
            return self.act(signer, self.x.sign_offset, signer, proposal, self.today) is not None
        waiting_return = [r for r in g.returns if r.answer is None]
        if waiting_return:
            ret = self.facts_by_hash(waiting_return[0].id)
            return self.act(supplier, self.x.answer_return, n, ret, self.today) is not None
        if acc.in_kind > 0 and g.method == "eve" and self.link_partner(n, g):
            return True
        if acc.in_kind > 0 and flavour == 3:
            # Nothing is returned (or exchanged) in time: the supplier converts after
            # the deadline.
            due = in_kind_due_on(g, self.profile)
            if due is not None and self.today <= due:
                self.today = due + timedelta(days=1)
            return self.act(supplier, self.x.convert, n, self.today) is not None
        if acc.in_kind > 0 and g.method == "rik":
            owed = [(ln.no, str(owed_in_kind(g, ln.no, self.profile)
                                - returned(g, ln.no, pending=True)))
                    for ln in g.terms.lines if owed_in_kind(g, ln.no, self.profile) > 0
                    ] if g.terms else []
            return bool(owed) and self.act(requester, self.x.return_in_kind, n, owed,
                                           self.today) is not None
        if acc.in_kind > 0:
            return False  # an exchange waits for a partner order the other way
        if acc.receivable > 0:
            for kind, ref in (("goods", None),
                              *(("conversion", c.id) for c in g.conversions),
                              *(("residual", x.exchange) for x in g.exchanges if x.to_cash)):
                if self.act(supplier, self.x.invoice, n, self.today, kind=kind,
                            reference=ref) is not None:
                    return True
            return False
        unconfirmed = [p for p in g.payments if not p.confirmed]
        if unconfirmed:
            payment = self.facts_by_hash(unconfirmed[0].payment)
            currency = payment.data["currency"]
            # Bank charges: none, one minor unit, or more than may be written off.
            short = {1: 1, 2: self.profile.write_off_limit(currency).minor + 1}.get(flavour, 0)
            received = [(part["order"], self.facts_by_hash(part["invoice"]),
                         _major(max(0, _minor(part["amount"], currency) - short), currency))
                        for part in payment.data["orders"]]
            return self.act(supplier, self.x.confirm_payment, supplier, payment, received,
                            self.today) is not None
        if flavour >= 2 and self.offset_partner(n, g):
            return True
        for inv in g.invoices:
            if inv.live and inv.outstanding > 0:
                fact = self.facts_by_hash(inv.id)
                limit = self.profile.write_off_limit(g.currency).minor
                short_paid = any(p.invoice == inv.id and p.confirmed for p in g.payments)
                if short_paid and inv.outstanding + inv.written_off <= limit:
                    return self.act(supplier, self.x.write_off, n, fact,
                                    _major(inv.outstanding, g.currency), self.today) is not None
                if short_paid and inv.kind != "difference" and inv.moved == 0:
                    return self.act(supplier, self.x.invoice, n, self.today, kind="difference",
                                    reference=inv.id) is not None
                return self.act(requester, self.x.pay, requester,
                                [(n, fact, _major(inv.outstanding, g.currency))],
                                self.today) is not None
        return False

    def offset_partner(self, n: str, g: OrderState) -> bool:
        """Offset an open invoice of ``n`` against one owed the other way."""
        requester, supplier = self.parties[n]
        mine = next((v for v in g.invoices if v.live and v.outstanding > 0), None)
        if mine is None or status(g, self.profile) is not Status.SETTLING:
            return False
        for m in self.orders:
            if self.parties[m] != (supplier, requester):
                continue
            h = self.x.s.state(m)
            theirs = next((v for v in h.invoices if v.live and v.outstanding > 0), None)
            if theirs is None or any(o.signed_on is None for o in h.offsets) or (
                    status(h, self.profile) is not Status.SETTLING):
                continue
            invoices = [(n, self.facts_by_hash(mine.id)), (m, self.facts_by_hash(theirs.id))]
            return self.act(requester, self.x.offset, requester, invoices, self.today,
                            g.currency, rates_for(g.currency, h.currency)) is not None
        return False

    def link_partner(self, n: str, g: OrderState) -> bool:
        requester, supplier = self.parties[n]
        for m in self.orders:
            if m == n or self.parties[m] != (supplier, requester):
                continue
            h = self.x.s.state(m)
            if h.method == "eve" and accounts(h, self.profile).in_kind > 0 and not any(
                    x.signed_on is None for x in h.exchanges):
                rates = rates_for(g.currency, h.currency)
                return self.act(supplier, self.x.link_exchange, supplier, [n, m], self.today,
                                g.currency, rates) is not None
        return False

    @precondition(lambda self: self.orders)
    @rule(i=index, flavours=st.lists(st.integers(0, 3), min_size=1, max_size=8))
    def progress(self, i: int, flavours: list[int]) -> None:
        n = self.pick(i)
        for flavour in flavours:
            if not self.next_step(n, flavour):
                return

    @precondition(lambda self: self.orders)
    @rule(i=index, flavours=st.lists(st.integers(0, 3), min_size=1, max_size=8))
    def progress_again(self, i: int, flavours: list[int]) -> None:
        self.progress(i, flavours)

    @precondition(lambda self: self.orders)
    @rule(i=index, flavours=st.lists(st.integers(0, 3), min_size=1, max_size=8))
    def progress_once_more(self, i: int, flavours: list[int]) -> None:
        self.progress(i, flavours)

    @precondition(lambda self: self.orders)
    @rule(i=index, consent=st.booleans())
    def transfer_to_the_end(self, i: int, consent: bool) -> None:
        """A third-party transfer asked, answered and (perhaps) made, in one go."""
        n = self.pick(i)
        requester, supplier = self.parties[n]
        if self.view(requester, n) is None:
            return
        third = next(c for c in ("USA", "AUS", "PHL") if c not in self.parties[n])
        req = self.do(requester, ORD, F.TRANSFER_REQUESTED, n,
                      {"to": third, "lines": [{"line": 1, "quantity": "1"}], "reason": "ex"})
        if self.view(supplier, n) is None:
            return
        self.do(supplier, APP, F.TRANSFER_ANSWERED, n,
                {"request": req.hash, "answer": "consented" if consent else "refused"})
        self.do(requester, SUPPLY, F.TRANSFER_RECORDED, n, {"request": req.hash})

    # -- time and the network -------------------------------------------------------------

    @rule(days=st.sampled_from((0, 1, 6, 7, 8, 30, 31, 366)))
    def advance(self, days: int) -> None:
        self.today += timedelta(days=days)

    @rule()
    def nodes_disconnect(self) -> None:
        self.x.s.auto_sync = False

    @rule()
    def nodes_sync(self) -> None:
        self.x.s.sync()
        self.x.s.auto_sync = True

    # -- request and acceptance ------------------------------------------------------------

    @precondition(lambda self: len(self.orders) < MAX_ORDERS)
    @rule(
        forward=st.booleans(),
        method=st.sampled_from(("cash", "cash", "rik", "eve")),
        item=st.sampled_from(ITEMS),
        quantity=st.sampled_from(QUANTITIES),
        price=st.sampled_from(PRICES),
        two_lines=st.booleans(),
        emergency=st.integers(0, 4).map(lambda n: n == 0),
    )
    def submit(self, forward: bool, method: str, item: tuple[str, str, str], quantity: str,
               price: str, two_lines: bool, emergency: bool) -> None:
        a, b = self.profile.party_codes
        requester, supplier = (a, b) if forward else (b, a)
        lines = [(item[0], item[1], quantity, item[2], price)]
        if two_lines:
            lines.append(("water", "Potable water", "500", "L", "30"))
        terms = self.x.terms(requester, supplier, lines, method=method)
        party = supplier if emergency else requester
        before = len(self.x.s.facts)
        number = self.act(party, self.x.emergency if emergency else self.x.submit, terms,
                          self.today)
        if number is not None and len(self.x.s.facts) > before:
            self.orders.append(str(number))
            self.parties[str(number)] = (requester, supplier)

    @precondition(lambda self: self.orders)
    @rule(i=index, factor=fraction)
    def propose(self, i: int, factor: Decimal) -> None:
        n = self.pick(i)
        supplier = self.parties[n][1]
        st_ = self.view(supplier, n)
        if st_ is None or st_.terms is None:
            return
        data = st_.terms.as_data()
        data["lines"][0]["quantity"] = str(
            (Decimal(data["lines"][0]["quantity"]) * factor).quantize(Decimal("0.001")))
        self.act(supplier, self.x.propose, n, data, self.today)

    @precondition(lambda self: self.orders)
    @rule(i=index)
    def confirm(self, i: int) -> None:
        n = self.pick(i)
        if self.view(self.parties[n][0], n) is not None:
            self.act(self.parties[n][0], self.x.confirm, n, self.today)

    @precondition(lambda self: self.orders)
    @rule(i=index)
    def withdraw(self, i: int) -> None:
        n = self.pick(i)
        if self.view(self.parties[n][0], n) is not None:
            self.act(self.parties[n][0], self.x.withdraw, n, self.today)

    @precondition(lambda self: self.orders)
    @rule(i=index, stale=st.booleans())
    def accept(self, i: int, stale: bool) -> None:
        n = self.pick(i)
        supplier = self.parties[n][1]
        st_ = self.view(supplier, n)
        if st_ is not None:
            version = max(1, st_.version - 1) if stale else st_.version
            self.act(supplier, self.x.accept, n, self.today, version=version)

    @precondition(lambda self: self.orders)
    @rule(i=index)
    def reject(self, i: int) -> None:
        n = self.pick(i)
        if self.view(self.parties[n][1], n) is not None:
            self.act(self.parties[n][1], self.x.reject, n, self.today)

    @precondition(lambda self: self.orders)
    @rule(i=index)
    def confirm_emergency(self, i: int) -> None:
        n = self.pick(i)
        if self.view(self.parties[n][0], n) is not None:
            self.act(self.parties[n][0], self.x.confirm_emergency, n, self.today)

    # -- delivery, receipt, disputes -----------------------------------------------------------

    @precondition(lambda self: self.orders)
    @rule(i=index, factor=fraction, both=st.booleans())
    def deliver(self, i: int, factor: Decimal, both: bool) -> None:
        n = self.pick(i)
        supplier = self.parties[n][1]
        st_ = self.view(supplier, n)
        if st_ is None or st_.terms is None:
            return
        lines = st_.terms.lines if both else st_.terms.lines[:1]
        qty = [(ln.no, str((ln.quantity * factor / 2).quantize(Decimal("0.001"))))
               for ln in lines]
        self.act(supplier, self.x.deliver, n, qty, self.today)

    @precondition(lambda self: self.orders)
    @rule(i=index, which=index, good=st.sampled_from(("1", "1", "0.95", "0.5", "0")),
          damaged=st.booleans())
    def receive(self, i: int, which: int, good: str, damaged: bool) -> None:
        n = self.pick(i)
        requester = self.parties[n][0]
        st_ = self.view(requester, n)
        if st_ is None or not st_.deliveries:
            return
        d = st_.deliveries[which % len(st_.deliveries)]
        lines = []
        for dl in d.lines:
            ok = (dl.quantity * Decimal(good)).quantize(Decimal("0.001"), rounding=ROUND_DOWN)
            line = {"line": dl.line, "quantity": str(ok)}
            if damaged and ok < dl.quantity:
                line["damaged"] = str((dl.quantity - ok) / 2)
            lines.append(line)
        self.x.viewer = None
        self.do(requester, RCV, F.RECEIPT_RECORDED, n, {"delivery": d.id, "lines": lines})

    @precondition(lambda self: self.orders)
    @rule(i=index, side=side_of)
    def dispute(self, i: int, side: str) -> None:
        n = self.pick(i)
        party = self.side_party(n, side)
        st_ = self.view(party, n)
        if st_ is None:
            return
        about = {"about": st_.deliveries[-1].id} if st_.deliveries else {}
        self.do(party, RCV if side == "requester" else SUPPLY, F.DISPUTE_OPENED, n,
                {"reason": "quantity disputed", **about})

    @precondition(lambda self: self.orders)
    @rule(i=index, side=side_of, good=st.sampled_from(("1", "0.9", "0.5")))
    def propose_resolution(self, i: int, side: str, good: str) -> None:
        n = self.pick(i)
        party = self.side_party(n, side)
        st_ = self.view(party, n)
        if st_ is None or not st_.disputes:
            return
        adjustments = [
            {"delivery": d.id, "line": dl.line,
             "quantity": str((dl.quantity * Decimal(good)).quantize(Decimal("0.001")))}
            for d in st_.deliveries[:1] for dl in d.lines
        ]
        self.do(party, FIN, F.DISPUTE_RESOLUTION_PROPOSED, n,
                {"dispute": st_.disputes[-1].id, "resolution": "split the difference",
                 "adjustments": adjustments})

    @precondition(lambda self: self.orders)
    @rule(i=index, side=side_of)
    def resolve(self, i: int, side: str) -> None:
        n = self.pick(i)
        party = self.side_party(n, side)
        st_ = self.view(party, n)
        if st_ is None or not st_.disputes or not st_.disputes[-1].proposals:
            return
        d = st_.disputes[-1]
        self.do(party, FIN, F.DISPUTE_RESOLVED, n,
                {"dispute": d.id, "proposal": d.proposals[-1].id})

    @precondition(lambda self: self.orders)
    @rule(i=index, opener=side_of, good=st.sampled_from(("0.5", "0.9", "1")))
    def dispute_to_the_end(self, i: int, opener: str, good: str) -> None:
        """A whole dispute at once: opened, a recount proposed, signed by the other side."""
        n = self.pick(i)
        other = "supplier" if opener == "requester" else "requester"
        for side, step in ((opener, "open"), (other, "propose"), (opener, "resolve")):
            party = self.side_party(n, side)
            st_ = self.view(party, n)
            if st_ is None:
                return
            if step == "open":
                if not st_.deliveries:
                    return
                self.do(party, FIN, F.DISPUTE_OPENED, n,
                        {"reason": "recount", "about": st_.deliveries[0].id})
            elif step == "propose":
                open_ = [d for d in st_.disputes if d.open]
                if not open_:
                    return
                adjustments = [
                    {"delivery": d.id, "line": dl.line,
                     "quantity": str((dl.quantity * Decimal(good)).quantize(Decimal("0.001")))}
                    for d in st_.deliveries[:1] for dl in d.lines
                ]
                self.do(party, FIN, F.DISPUTE_RESOLUTION_PROPOSED, n,
                        {"dispute": open_[-1].id, "resolution": "recounted",
                         "adjustments": adjustments})
            else:
                open_ = [d for d in st_.disputes if d.open and d.proposals]
                if not open_:
                    return
                self.do(party, FIN, F.DISPUTE_RESOLVED, n,
                        {"dispute": open_[-1].id, "proposal": open_[-1].proposals[-1].id})

    # -- changes after acceptance ----------------------------------------------------------------

    @precondition(lambda self: self.orders)
    @rule(i=index, side=side_of, kind=st.sampled_from(("amend", "close_short", "cancel")),
          factor=fraction)
    def request_change(self, i: int, side: str, kind: str, factor: Decimal) -> None:
        n = self.pick(i)
        party = self.side_party(n, side)
        st_ = self.view(party, n)
        if st_ is None or st_.terms is None:
            return
        data: dict[str, Any] = {"kind": kind, "reason": "plans changed"}
        if kind == "amend":
            terms = st_.terms.as_data()
            terms["lines"][0]["quantity"] = str(
                (Decimal(terms["lines"][0]["quantity"]) * factor).quantize(Decimal("0.001")))
            data["terms"] = terms
        self.do(party, ORD if side == "requester" else APP, F.CHANGE_REQUESTED, n, data)

    @precondition(lambda self: self.orders)
    @rule(i=index, side=side_of, reply=st.sampled_from(("accepted", "accepted", "declined")))
    def answer_change(self, i: int, side: str, reply: str) -> None:
        n = self.pick(i)
        party = self.side_party(n, side)
        st_ = self.view(party, n)
        pending = [c for c in st_.changes if c.pending] if st_ else []
        if pending:
            self.do(party, ORD if side == "requester" else APP, F.CHANGE_ANSWERED, n,
                    {"request": pending[0].id, "answer": reply})

    # -- cash ------------------------------------------------------------------------------

    @precondition(lambda self: self.orders)
    @rule(i=index, kind=st.sampled_from(("goods", "goods", "conversion", "residual",
                                         "difference")), reissue=st.booleans())
    def invoice(self, i: int, kind: str, reissue: bool) -> None:
        n = self.pick(i)
        supplier = self.parties[n][1]
        st_ = self.view(supplier, n)
        if st_ is None:
            return
        reference = {
            "goods": None,
            "conversion": next((c.id for c in reversed(st_.conversions)), None),
            "residual": next((x.exchange for x in reversed(st_.exchanges)), None),
            "difference": next((v.id for v in reversed(st_.invoices) if v.live), None),
        }[kind]
        if kind != "goods" and reference is None:
            return
        voided = [v.id for v in st_.invoices if not v.live]
        replaces = voided[-1] if reissue and voided else None
        self.act(supplier, self.x.invoice, n, self.today, kind=kind, reference=reference,
                 replaces=replaces)

    def _invoice_fact(self, st_: OrderState, which: int, live: bool = True) -> Fact | None:
        invoices = [v for v in st_.invoices if v.live or not live]
        if not invoices:
            return None
        chosen = invoices[which % len(invoices)]
        return next(f for f in self.x.s.facts if f.hash == chosen.id)

    @precondition(lambda self: self.orders)
    @rule(i=index, which=index)
    def void(self, i: int, which: int) -> None:
        n = self.pick(i)
        supplier = self.parties[n][1]
        st_ = self.view(supplier, n)
        inv = self._invoice_fact(st_, which) if st_ else None
        if inv is not None:
            self.act(supplier, self.x.void, n, inv, self.today)

    @precondition(lambda self: self.orders)
    @rule(i=index, which=index, part=st.sampled_from(("0.1", "0.5", "1", "1.01")))
    def credit_note(self, i: int, which: int, part: str) -> None:
        n = self.pick(i)
        supplier = self.parties[n][1]
        st_ = self.view(supplier, n)
        inv = self._invoice_fact(st_, which) if st_ else None
        if st_ is None or inv is None:
            return
        invoice = st_.invoice(inv.hash)
        assert invoice is not None
        amount = int(Decimal(max(invoice.outstanding, 1)) * Decimal(part))
        self.act(supplier, self.x.credit_note, n, inv, _major(amount, st_.currency), self.today)

    @precondition(lambda self: self.orders)
    @rule(i=index, j=index, which=index, part=st.sampled_from(("0.5", "1", "1", "1.01")),
          two=st.booleans())
    def pay(self, i: int, j: int, which: int, part: str, two: bool) -> None:
        n = self.pick(i)
        requester = self.parties[n][0]
        numbers = [n]
        if two and self.pick(j) != n and self.parties[self.pick(j)][0] == requester:
            numbers.append(self.pick(j))
        allocations = []
        for m in numbers:
            st_ = self.view(requester, m)
            inv = self._invoice_fact(st_, which) if st_ else None
            if st_ is None or inv is None:
                return
            invoice = st_.invoice(inv.hash)
            assert invoice is not None
            amount = int(Decimal(max(invoice.outstanding, 1)) * Decimal(part))
            allocations.append((m, inv, _major(max(amount, 1), st_.currency)))
        self.act(requester, self.x.pay, requester, allocations, self.today)

    @precondition(lambda self: self.orders)
    @rule(i=index, short=st.sampled_from((0, 0, 1, 500, 20_000)))
    def confirm_payment(self, i: int, short: int) -> None:
        n = self.pick(i)
        supplier = self.parties[n][1]
        st_ = self.view(supplier, n)
        waiting = [p for p in st_.payments if not p.confirmed] if st_ else []
        if st_ is None or not waiting:
            return
        payment = next(f for f in self.x.s.facts if f.hash == waiting[0].payment)
        received = []
        for part in payment.data["orders"]:
            m = part["order"]
            inv = next(f for f in self.x.s.facts if f.hash == part["invoice"])
            currency = payment.data["currency"]
            paid = _minor(part["amount"], currency)
            received.append((m, inv, _major(max(0, paid - short), currency)))
        self.act(supplier, self.x.confirm_payment, supplier, payment, received, self.today)

    @precondition(lambda self: self.orders)
    @rule(i=index, which=index, part=st.sampled_from(("0.5", "1", "2")))
    def write_off(self, i: int, which: int, part: str) -> None:
        n = self.pick(i)
        supplier = self.parties[n][1]
        st_ = self.view(supplier, n)
        inv = self._invoice_fact(st_, which) if st_ else None
        if st_ is None or inv is None:
            return
        invoice = st_.invoice(inv.hash)
        assert invoice is not None
        amount = max(1, int(Decimal(invoice.outstanding) * Decimal(part)))
        self.act(supplier, self.x.write_off, n, inv, _major(amount, st_.currency), self.today)

    # -- in kind ---------------------------------------------------------------------------

    @precondition(lambda self: self.orders)
    @rule(i=index, part=st.sampled_from(("0.25", "0.5", "1", "1.5")))
    def return_in_kind(self, i: int, part: str) -> None:
        n = self.pick(i)
        requester = self.parties[n][0]
        st_ = self.view(requester, n)
        if st_ is None or not st_.deliveries:
            return
        qty = [(dl.line, str((dl.quantity * Decimal(part)).quantize(Decimal("0.001"))))
               for dl in st_.deliveries[0].lines]
        self.act(requester, self.x.return_in_kind, n, qty, self.today)

    @precondition(lambda self: self.orders)
    @rule(i=index, reply=st.sampled_from(("accepted", "accepted", "rejected")))
    def answer_return(self, i: int, reply: str) -> None:
        n = self.pick(i)
        supplier = self.parties[n][1]
        st_ = self.view(supplier, n)
        waiting = [r for r in st_.returns if r.answer is None] if st_ else []
        if waiting:
            ret = next(f for f in self.x.s.facts if f.hash == waiting[0].id)
            self.act(supplier, self.x.answer_return, n, ret, self.today, answer=reply)

    @precondition(lambda self: self.orders)
    @rule(i=index, dearer=st.booleans())
    def convert(self, i: int, dearer: bool) -> None:
        n = self.pick(i)
        supplier = self.parties[n][1]
        st_ = self.view(supplier, n)
        if st_ is None or st_.terms is None:
            return
        prices = {ln.no: str(ln.unit_price * Decimal("1.1")) for ln in st_.terms.lines} \
            if dearer else None
        self.act(supplier, self.x.convert, n, self.today, prices=prices)

    # -- exchange and offset -------------------------------------------------------------------

    @precondition(lambda self: len(self.orders) >= 2)
    @rule(i=index, j=index, side=side_of, valuation=st.booleans())
    def link_exchange(self, i: int, j: int, side: str, valuation: bool) -> None:
        a, b = self.pick(i), self.pick(j)
        if a == b:
            return
        party = self.side_party(a, side)
        views = [self.view(party, m) for m in (a, b)]
        if any(v is None for v in views):
            return
        ca, cb = (v.currency for v in views if v is not None)
        currency = ca if valuation else cb
        self.act(party, self.x.link_exchange, party, [a, b], self.today, currency,
                 rates_for(ca, cb))

    @precondition(lambda self: self.orders)
    @rule(i=index, side=side_of)
    def sign_exchange(self, i: int, side: str) -> None:
        n = self.pick(i)
        party = self.side_party(n, side)
        st_ = self.view(party, n)
        waiting = [x for x in st_.exchanges if not x.signed] if st_ else []
        if waiting:
            proposal = next(f for f in self.x.s.facts if f.hash == waiting[0].exchange)
            self.act(party, self.x.sign_exchange, party, proposal, self.today)

    @precondition(lambda self: len(self.orders) >= 2)
    @rule(i=index, j=index, side=side_of, valuation=st.booleans())
    def offset(self, i: int, j: int, side: str, valuation: bool) -> None:
        a, b = self.pick(i), self.pick(j)
        if a == b:
            return
        party = self.side_party(a, side)
        invoices = []
        currencies = []
        for m in (a, b):
            st_ = self.view(party, m)
            inv = self._invoice_fact(st_, 0) if st_ else None
            if st_ is None or inv is None:
                return
            invoices.append((m, inv))
            currencies.append(st_.currency)
        currency = currencies[0] if valuation else currencies[1]
        self.act(party, self.x.offset, party, invoices, self.today, currency,
                 rates_for(*currencies))

    @precondition(lambda self: self.orders)
    @rule(i=index, side=side_of)
    def sign_offset(self, i: int, side: str) -> None:
        n = self.pick(i)
        party = self.side_party(n, side)
        st_ = self.view(party, n)
        waiting = [o for o in st_.offsets if o.signed_on is None] if st_ else []
        if waiting:
            proposal = next(f for f in self.x.s.facts if f.hash == waiting[0].offset)
            self.act(party, self.x.sign_offset, party, proposal, self.today)

    # -- third-party transfer ----------------------------------------------------------------

    @precondition(lambda self: self.orders)
    @rule(i=index, step=st.sampled_from(("request", "consented", "refused", "transfer")))
    def transfer(self, i: int, step: str) -> None:
        n = self.pick(i)
        requester, supplier = self.parties[n]
        st_ = self.view(requester if step in ("request", "transfer") else supplier, n)
        if st_ is None:
            return
        third = next(c for c in ("USA", "AUS", "PHL") if c not in self.parties[n])
        if step == "request":
            self.do(requester, ORD, F.TRANSFER_REQUESTED, n,
                    {"to": third, "lines": [{"line": 1, "quantity": "1"}], "reason": "exercise"})
        elif st_.transfers:
            ref = st_.transfers[-1].id
            if step == "transfer":
                self.do(requester, SUPPLY, F.TRANSFER_RECORDED, n, {"request": ref})
            else:
                self.do(supplier, APP, F.TRANSFER_ANSWERED, n, {"request": ref, "answer": step})

    # -- invariants ------------------------------------------------------------------------------

    @invariant()
    def the_fold_holds(self) -> None:
        """Check every order an event was recorded on since the last check."""
        if not hasattr(self, "x") or len(self.x.s.facts) == self.seen:
            return
        facts = list(self.x.s.facts)
        dirty = sorted({o for f in facts[self.seen:] for o in f.orders()})
        self.seen = len(facts)
        ctx = self.ctx
        trails: dict[str, Trail] = {}
        states = interpret_orders(facts, ctx, dirty, trails)

        # (iv) any admissible arrival order: the identical state, verdicts and all.
        rng = random.Random(len(facts))
        assert interpret_orders(_interleaving(facts, rng), ctx, dirty) == states

        # (i) no ineffective event changed anything.
        effective = {v.event for s in states.values() for v in s.verdicts if v.effective}
        ineffective = {v.event for s in states.values() for v in s.verdicts if not v.effective}
        assert not effective & ineffective, "a multi-order event took effect on some orders only"
        neutral = [_neutral(f) if f.hash in ineffective else f for f in facts]
        again = interpret_orders(neutral, ctx, dirty)
        for number, s in states.items():
            a = again[number]
            assert replace(a, verdicts=()) == replace(s, verdicts=()), number
            assert a.effective_verdicts == s.effective_verdicts, number

        for number, s in states.items():
            if s.terms is None:
                continue
            profile = ctx.profile(s.profile)
            acc = accounts(s, profile)

            # (ii) postings balance and sum to the accounts (replaying only the effective
            # events reproduces the state, or order_entries raises InvariantBroken).
            postings, _ = order_entries(s, facts, ctx)
            check_balanced(postings)
            per_currency: dict[str, int] = defaultdict(int)
            for p in postings:
                per_currency[p.debit.currency] += p.amount.minor
                per_currency[p.credit.currency] -= p.amount.minor
            assert all(v == 0 for v in per_currency.values()), per_currency
            by_kind = {k: 0 for k in AccountKind}
            for account, balance in balances(postings).items():
                by_kind[account.kind] += balance
            assert by_kind == acc.as_dict(), (number, by_kind, acc)

            # (iii) settled means nothing outstanding.
            if status(s, profile) is Status.SETTLED:
                assert (acc.commitment, acc.receivable, acc.in_kind, acc.invoiced) == (
                    0, 0, 0, 0), (number, acc)
                assert all_received(s), number

            # (v) no negative balance, but an overpayment that crossed a credit note.
            assert min(acc.commitment, acc.receivable, acc.in_kind, acc.settled,
                       acc.written_off) >= 0, (number, acc)
            for inv in s.invoices:
                if inv.outstanding < 0:
                    assert inv.credited >= -inv.outstanding, (number, inv)

            # (vi) what a state keeps is what a fresh copy works out.
            assert trail_postings(trails[number], ctx) == postings, number
            for _, before, after in trails[number]:
                for state in (before, after, s):
                    _kept_figures_hold(state, ctx)


    def teardown(self) -> None:
        # Once more over every order, the nodes in step: the cheap per-step checks
        # looked only at the orders each step touched.
        if hasattr(self, "x"):
            self.x.s.sync()
            self.seen = 0
            self.the_fold_holds()


# Every figure kept with a state (figures.per_state), and the per-line sums kept beside them.
KEPT = (figures.accounts, figures.status, figures.settled, figures.commitment,
        figures.basis_value, figures.in_kind_value, figures.delivery_complete)


def _kept_figures_hold(state: OrderState, ctx: Context) -> None:
    """Each figure of ``state``, read from what it keeps, equals the figure worked out on
    a copy that keeps nothing (``dataclasses.replace`` makes one)."""
    if state.terms is None:
        return
    profile = ctx.profile(state.profile)
    for figure in KEPT:
        kept = figure(state, profile)
        assert kept == figure(replace(state), profile), (state.number, figure.__name__)
    for line in state.terms.lines:
        assert delivered(state, line.no) == delivered(replace(state), line.no), state.number


def _minor(text: str, currency: str) -> int:
    return Money.parse(text, currency).minor


def _major(minor: int, currency: str) -> str:
    return Money(currency, minor).text()


# The example count is the loaded profile's ("ci": 60); each example runs up to 40 steps.
Lifecycles.TestCase.settings = settings(settings.default, stateful_step_count=40)
TestLifecycles = Lifecycles.TestCase

"""The state of one order: the parts its events created, and what is derived from them.

An order's status is never stored as truth: it is derived from the terms
both parties signed and the order's parts (deliveries, receipts, invoices,
payments, returns, exchange links …), each a small record with its own
state. The records here are plain frozen values; :mod:`acsa.domain.interpret`
builds them from events and :mod:`acsa.domain.figures` turns them into money.

Words, defined once:

- *deliver*: the supplier hands over supplies or performs a service;
- *receive*: the requester acknowledges a delivery, with any shortfall;
- *basis quantity*: what is invoiced — the received quantity, or the
  delivered quantity where the agreement invoices deliveries;
- *settle*: extinguish a debt — by confirmed payment, accepted return in
  kind, signed exchange or signed offset; an order is *settled* when nothing
  is outstanding on it;
- *close short*: both parties agree that the rest of an order will not be
  delivered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any

from acsa.domain.marking import Marking
from acsa.domain.order import OrderTerms
from acsa.domain.parties import Side


@dataclass(frozen=True)
class Evidence:
    """A document fixed by its hash in the signed record (delivery ticket, photo …)."""

    sha256: str
    name: str
    media_type: str
    size: int
    kind: str = ""  # what document it is (``delivery-ticket`` …); "" when not named


@dataclass(frozen=True)
class DeliveryLine:
    line: int
    quantity: Decimal
    unit_price: Decimal  # the price on the pricing date, copied when delivered


@dataclass(frozen=True)
class Delivery:
    id: str  # hash of the event that recorded it
    on: date
    lines: tuple[DeliveryLine, ...]
    evidence: tuple[Evidence, ...] = ()
    note: str = ""

    def quantity(self, line: int) -> Decimal:
        return sum((d.quantity for d in self.lines if d.line == line), Decimal(0))

    def price(self, line: int) -> Decimal | None:
        for d in self.lines:
            if d.line == line:
                return d.unit_price
        return None


@dataclass(frozen=True)
class ReceiptLine:
    line: int
    quantity: Decimal  # accepted in good condition
    damaged: Decimal = Decimal(0)


@dataclass(frozen=True)
class Receipt:
    id: str
    delivery: str
    on: date
    lines: tuple[ReceiptLine, ...]
    evidence: tuple[Evidence, ...] = ()
    note: str = ""

    def quantity(self, line: int) -> Decimal:
        return sum((r.quantity for r in self.lines if r.line == line), Decimal(0))


@dataclass(frozen=True)
class ReceiptAdjustment:
    """A resolution's correction: on ``delivery``, ``line`` counts as ``quantity`` received."""

    delivery: str
    line: int
    quantity: Decimal


@dataclass(frozen=True)
class ResolutionProposal:
    id: str
    side: Side
    on: date
    text: str
    adjustments: tuple[ReceiptAdjustment, ...] = ()


@dataclass(frozen=True)
class Dispute:
    id: str
    side: Side  # who opened it
    on: date
    reason: str
    about: str | None = None  # the delivery or invoice it concerns
    proposals: tuple[ResolutionProposal, ...] = ()
    resolved_by: str | None = None  # the proposal both sides signed
    resolved_on: date | None = None

    @property
    def open(self) -> bool:
        return self.resolved_by is None


CHANGE_KINDS = ("amend", "close_short", "cancel")


@dataclass(frozen=True)
class ChangeRequest:
    """A change to what both signed, which takes effect only when the other side accepts."""

    id: str
    kind: str  # one of CHANGE_KINDS
    side: Side
    on: date
    reason: str
    terms: OrderTerms | None = None  # the proposed terms, for an amendment
    answer: str | None = None  # "accepted" or "declined"
    answered_on: date | None = None
    from_withdrawal: bool = False  # a withdrawal that crossed an acceptance

    @property
    def pending(self) -> bool:
        return self.answer is None


@dataclass(frozen=True)
class InvoiceLine:
    delivery: str
    line: int
    quantity: Decimal
    unit_price: Decimal
    amount: int  # minor units, half-even


INVOICE_KINDS = ("goods", "conversion", "residual", "difference")


@dataclass(frozen=True)
class Invoice:
    id: str
    number: str
    kind: str  # one of INVOICE_KINDS
    on: date
    due_on: date
    currency: str
    total: int
    lines: tuple[InvoiceLine, ...] = ()
    reference: str | None = None  # conversion, exchange or invoice it bills
    replaces: str | None = None  # the voided invoice it reissues
    voided_on: date | None = None
    credited: int = 0  # credit notes
    paid: int = 0  # confirmed payments received
    written_off: int = 0
    offset: int = 0  # settled by signed offset statements
    moved: int = 0  # a short remainder billed on a "difference" invoice

    @property
    def live(self) -> bool:
        return self.voided_on is None

    @property
    def outstanding(self) -> int:
        """What is still owed on this invoice (negative: overpaid)."""
        if not self.live:
            return 0
        return self.total - self.credited - self.paid - self.written_off - self.offset - self.moved


@dataclass(frozen=True)
class PaymentPart:
    """One payment's allocation to one invoice of this order."""

    payment: str
    invoice: str
    amount: int
    on: date
    reference: str = ""
    received: int | None = None  # what the supplier confirmed receiving
    confirmed_on: date | None = None

    @property
    def confirmed(self) -> bool:
        return self.received is not None


@dataclass(frozen=True)
class ReturnLine:
    line: int
    quantity: Decimal


@dataclass(frozen=True)
class Return:
    """Supplies returned in kind; they settle the debt only once the supplier accepts them."""

    id: str
    on: date
    lines: tuple[ReturnLine, ...]
    description: str = ""
    evidence: tuple[Evidence, ...] = ()
    answer: str | None = None  # "accepted" or "rejected"
    answered_on: date | None = None

    def quantity(self, line: int) -> Decimal:
        return sum((r.quantity for r in self.lines if r.line == line), Decimal(0))


@dataclass(frozen=True)
class ConversionLine:
    line: int
    quantity: Decimal
    unit_price: Decimal
    amount: int


@dataclass(frozen=True)
class Conversion:
    """What was owed in kind past its deadline, turned into cash at the supplier's price."""

    id: str
    on: date
    lines: tuple[ConversionLine, ...]
    amount: int  # owed in cash from now on
    in_kind_value: int  # the in-kind value it replaced


@dataclass(frozen=True)
class ExchangePart:
    """This order's part in an equal-value exchange."""

    exchange: str
    proposed_by: Side
    proposed_on: date
    value: int  # this order's in-kind value the exchange extinguishes
    to_cash: int  # the share of the residual billed in cash on this order
    signed_on: date | None = None
    # The whole exchange, as every order it links knows it: the orders linked (each way)
    # and the residual billed in cash, in minor units of the valuation currency. Under a
    # profile where an exchange closes as a whole, none of them is settled while any is
    # not (:func:`acsa.domain.figures.completed_statuses`).
    members: tuple[str, ...] = ()
    residual: int = 0
    residual_currency: str = ""

    @property
    def signed(self) -> bool:
        return self.signed_on is not None


@dataclass(frozen=True)
class OffsetPart:
    """This order's part in an offset statement."""

    offset: str
    invoice: str
    amount: int
    proposed_by: Side
    as_of: date
    signed_on: date | None = None


@dataclass(frozen=True)
class Transfer:
    """A request to pass received supplies to a third party, and the supplier's answer."""

    id: str
    to: str
    on: date
    lines: tuple[ReturnLine, ...]
    reason: str
    answer: str | None = None  # "consented" or "refused"
    answered_on: date | None = None
    done_on: date | None = None


@dataclass(frozen=True)
class Duty:
    """One action a person took on this order (an effective event), for the separation of
    duties: who is the party and user the event's actor names."""

    party: str
    user: str
    action: str
    event: str


@dataclass(frozen=True)
class Waiver:
    """An approving official of ``side`` lifted the separation of duties on this order."""

    id: str
    side: Side
    on: date
    reason: str
    user: str
    name: str


@dataclass(frozen=True)
class Attachment:
    """Evidence attached to an earlier step of this order (``evidence.attached``): a
    delivery ticket supplied after the delivery, say."""

    id: str
    to: str  # the delivery or receipt it documents
    side: Side
    on: date
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Verdict:
    """What interpretation decided about one event on this order."""

    event: str
    type: str
    seq: int
    stream: str
    effective: bool
    code: str = ""
    reason: str = ""
    note: str = ""  # what a rule decided, shown to users (e.g. a race)


@dataclass(frozen=True)
class Acceptance:
    id: str
    on: date
    supplying_unit: str | None


@dataclass(frozen=True)
class Proposal:
    id: str
    on: date
    terms: OrderTerms
    reason: str


@dataclass(frozen=True)
class OrderState:
    """Everything recorded about one order, as interpretation left it."""

    number: str
    emergency: bool = False
    terms: OrderTerms | None = None
    version: int = 0
    profile: str = ""
    submitted_on: date | None = None
    submitted_by: str = ""
    proposal: Proposal | None = None
    accepted: Acceptance | None = None
    rejected_on: date | None = None
    rejection_reason: str = ""
    withdrawn_on: date | None = None
    withdrawal: str | None = None  # the withdrawal event, should an acceptance cross it
    withdrawal_reason: str = ""  # its reason, kept for the cancellation request it may become
    emergency_confirmation_due: date | None = None
    emergency_confirmed_on: date | None = None
    closed_short_on: date | None = None
    cancelled_on: date | None = None
    deliveries: tuple[Delivery, ...] = ()
    receipts: tuple[Receipt, ...] = ()
    adjustments: tuple[ReceiptAdjustment, ...] = ()
    disputes: tuple[Dispute, ...] = ()
    changes: tuple[ChangeRequest, ...] = ()
    invoices: tuple[Invoice, ...] = ()
    payments: tuple[PaymentPart, ...] = ()
    returns: tuple[Return, ...] = ()
    conversions: tuple[Conversion, ...] = ()
    exchanges: tuple[ExchangePart, ...] = ()
    offsets: tuple[OffsetPart, ...] = ()
    transfers: tuple[Transfer, ...] = ()
    duties: tuple[Duty, ...] = ()  # who took which action, in the order they took effect
    waivers: tuple[Waiver, ...] = ()  # separation of duties lifted, per side
    attachments: tuple[Attachment, ...] = ()  # evidence attached to earlier steps
    verdicts: tuple[Verdict, ...] = field(default=())
    # The marking the order is protected by: the strongest of its events' markings
    # (see :func:`acsa.domain.interpret.order_marking`); None before it has terms.
    marking: Marking | None = None

    # -- new versions ---------------------------------------------------
    #
    # A state never changes. What is derived from it (its accounts, its status …) is worked
    # out once and kept with it, in ``__dict__`` under ``MEMO`` (not a field: it takes no
    # part in equality, hashing or ``fields()``), by :mod:`acsa.domain.figures`. A new
    # version keeps what was derived from fields it does not change (``READS``).

    def evolve(self, **changes: Any) -> OrderState:
        """This state with ``changes``: what ``dataclasses.replace`` gives, made by copying
        the fields rather than through ``__init__`` (about six times cheaper: an order's
        fold makes a new version per event). It keeps each derived value that reads none
        of the fields changed."""
        unknown = changes.keys() - FIELD_NAMES
        if unknown:
            raise TypeError(f"OrderState has no field {sorted(unknown)}")
        new = object.__new__(OrderState)
        values = new.__dict__
        values.update(self.__dict__)
        memo = values.pop(MEMO, None)
        values.update(changes)
        if memo:
            kept = {key: held for key, held in memo.items()
                    if (reads := READS.get(key[0])) is not None and reads.isdisjoint(changes)}
            if kept:
                values[MEMO] = kept
        return new

    def judged(self, verdicts: tuple[Verdict, ...], marking: Marking | None) -> OrderState:
        """This state with its verdicts and marking. What is derived from it is shared with
        it (no derived value reads either: ``READS``), so that a figure worked out on one
        is not worked out again on the other."""
        new = object.__new__(OrderState)
        values = new.__dict__
        values.update(self.__dict__)
        values["verdicts"] = verdicts
        values["marking"] = marking
        memo = self.__dict__.get(MEMO)
        if memo is None:
            memo = {}
            object.__setattr__(self, MEMO, memo)
        values[MEMO] = memo
        return new

    def __getstate__(self) -> dict[str, Any]:
        # Pickled (to a worker process, say) without what was derived from it.
        return {k: v for k, v in self.__dict__.items() if k != MEMO}

    # -- look-ups -------------------------------------------------------

    @property
    def requester(self) -> str:
        return self.terms.requester if self.terms else ""

    @property
    def supplier(self) -> str:
        return self.terms.supplier if self.terms else ""

    @property
    def currency(self) -> str:
        return self.terms.currency if self.terms else ""

    @property
    def method(self) -> str:
        return self.terms.method if self.terms else ""

    def side_of(self, party: str) -> Side | None:
        if party == self.requester:
            return Side.REQUESTER
        if party == self.supplier:
            return Side.SUPPLIER
        return None

    def delivery(self, id: str) -> Delivery | None:
        return next((d for d in self.deliveries if d.id == id), None)

    def receipt_for(self, delivery: str) -> Receipt | None:
        return next((r for r in self.receipts if r.delivery == delivery), None)

    def invoice(self, id: str) -> Invoice | None:
        return next((i for i in self.invoices if i.id == id), None)

    def dispute(self, id: str) -> Dispute | None:
        return next((d for d in self.disputes if d.id == id), None)

    def change(self, id: str) -> ChangeRequest | None:
        return next((c for c in self.changes if c.id == id), None)

    def return_(self, id: str) -> Return | None:
        return next((r for r in self.returns if r.id == id), None)

    def transfer(self, id: str) -> Transfer | None:
        return next((t for t in self.transfers if t.id == id), None)

    def documents(self, step: str) -> tuple[Evidence, ...]:
        """The evidence of the delivery or receipt ``step``: what it carried when recorded
        and what was attached to it since."""
        own: tuple[Evidence, ...] = ()
        for d in self.deliveries:
            if d.id == step:
                own = d.evidence
        for r in self.receipts:
            if r.id == step:
                own = r.evidence
        return own + tuple(e for a in self.attachments if a.to == step for e in a.evidence)

    def waiver(self, side: Side) -> Waiver | None:
        return next((w for w in self.waivers if w.side is side), None)

    @property
    def effective_verdicts(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.effective)

    @property
    def ineffective_verdicts(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if not v.effective)


# Where a state keeps what was derived from it (see :meth:`OrderState.evolve`).
MEMO = "_derived"
FIELD_NAMES = frozenset(f.name for f in fields(OrderState))
# The fields each derived value reads, by its name: a new version that changes none of
# them keeps the value. A value not named here is worked out again on every version.
# Filled by acsa.domain.figures; never verdicts or marking (see OrderState.judged).
READS: dict[str, frozenset[str]] = {}


def reads(name: str, fields_read: Iterable[str]) -> None:
    """Declare the fields the derived value ``name`` reads (see ``READS``)."""
    declared = frozenset(fields_read)
    wrong = declared - (FIELD_NAMES - {"verdicts", "marking"})
    if wrong:
        raise ValueError(f"{name} cannot be declared to read {sorted(wrong)}")
    READS[name] = declared

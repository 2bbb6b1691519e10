"""Quantities, money and dates derived from an order's state.

Every figure here is a pure function of an :class:`OrderState` and its
agreement profile, so a node that re-folds the same events computes the same
figures. :func:`accounts` gives the balances of the order's accounts
(see :mod:`acsa.domain.postings`); :func:`status` the one word users see.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from functools import wraps
from typing import TypeVar

from acsa.domain.agreement import AgreementProfile
from acsa.domain.deadlines import settle_by
from acsa.domain.money import line_total
from acsa.domain.postings import AccountKind
from acsa.domain.rules import Status
from acsa.domain.state import MEMO, Delivery, Invoice, OrderState, reads

IN_KIND_METHODS = ("rik", "eve")

T = TypeVar("T")
Figure = Callable[[OrderState, AgreementProfile], T]


def per_state(*fields_read: str) -> Callable[[Figure[T]], Figure[T]]:
    """A figure worked out once per state and profile, and kept with the state.

    A state never changes, so neither does a figure of it: the status a fold judges an
    event by, the accounts its postings are derived from and the worklist's are one
    computation, not one per caller. The figure is kept under the profile's identity,
    with the profile itself, so another profile (even one of the same digest) never reads
    it. ``fields_read``, when named, are every field of the state the figure reads (itself
    or through the figures it calls): a new version of the state that changes none of them
    keeps the figure (:meth:`OrderState.evolve`); a figure that names none is worked out
    again for every version.
    """

    def decorate(figure: Figure[T]) -> Figure[T]:
        name = figure.__name__
        if fields_read:
            reads(name, fields_read)

        @wraps(figure)
        def kept(state: OrderState, profile: AgreementProfile) -> T:
            memo: dict[tuple[str, int], tuple[object, T]] | None = state.__dict__.get(MEMO)
            if memo is None:
                memo = {}
                object.__setattr__(state, MEMO, memo)
            key = (name, id(profile))
            held = memo.get(key)
            if held is not None and held[0] is profile:
                return held[1]
            value = figure(state, profile)
            memo[key] = (profile, value)
            return value

        return kept

    return decorate


# Kept with the state like a figure (see :func:`per_state`), under no profile.
reads("delivered", ("deliveries",))


def _delivered_by_line(state: OrderState) -> dict[int, Decimal]:
    """Each line's quantity delivered, summed once per version of the deliveries."""
    memo: dict[tuple[str, int], tuple[object, dict[int, Decimal]]] | None = (
        state.__dict__.get(MEMO))
    if memo is None:
        memo = {}
        object.__setattr__(state, MEMO, memo)
    held = memo.get(("delivered", 0))
    if held is not None:
        return held[1]
    totals: dict[int, Decimal] = {}
    for d in state.deliveries:
        for line in dict.fromkeys(dl.line for dl in d.lines):
            totals[line] = totals.get(line, Decimal(0)) + d.quantity(line)
    memo[("delivered", 0)] = (None, totals)
    return totals


def received_quantity(state: OrderState, delivery: Delivery, line: int) -> Decimal:
    """What the requester counts as received of ``line`` on ``delivery``, after any resolution."""
    for adjustment in reversed(state.adjustments):
        if adjustment.delivery == delivery.id and adjustment.line == line:
            return adjustment.quantity
    receipt = state.receipt_for(delivery.id)
    return receipt.quantity(line) if receipt else Decimal(0)


def basis_quantity(
    state: OrderState, delivery: Delivery, line: int, profile: AgreementProfile
) -> Decimal:
    """The quantity of ``line`` on ``delivery`` that is owed: received, or delivered."""
    if profile.pricing.invoice_basis == "delivered":
        return delivery.quantity(line)
    return received_quantity(state, delivery, line)


def delivered(state: OrderState, line: int) -> Decimal:
    return _delivered_by_line(state).get(line, Decimal(0))


def received(state: OrderState, line: int) -> Decimal:
    return sum((received_quantity(state, d, line) for d in state.deliveries), Decimal(0))


def ordered(state: OrderState, line: int) -> Decimal:
    if state.terms is None:
        return Decimal(0)
    return next((ln.quantity for ln in state.terms.lines if ln.no == line), Decimal(0))


def tolerance_band(quantity: Decimal, tolerance: Decimal) -> tuple[Decimal, Decimal]:
    """The least and most that complete a line of ``quantity`` under ``tolerance``."""
    return quantity * (1 - tolerance), quantity * (1 + tolerance)


def line_complete(state: OrderState, line: int, profile: AgreementProfile) -> bool:
    """A line is complete once delivered within tolerance of what was ordered, or closed."""
    if state.closed_short_on is not None:
        return True
    assert_terms = state.terms
    if assert_terms is None:
        return False
    category = assert_terms.line(line).category
    low, _ = tolerance_band(ordered(state, line), profile.tolerance(category))
    return delivered(state, line) >= low


@per_state("terms", "closed_short_on", "deliveries")
def delivery_complete(state: OrderState, profile: AgreementProfile) -> bool:
    if state.terms is None:
        return False
    return all(line_complete(state, ln.no, profile) for ln in state.terms.lines)


def all_received(state: OrderState) -> bool:
    return all(state.receipt_for(d.id) is not None for d in state.deliveries)


def basis_value_of_line(state: OrderState, line: int, profile: AgreementProfile) -> int:
    """Minor units owed for ``line``: each delivery's basis quantity at that delivery's price."""
    total = 0
    for d in state.deliveries:
        price = d.price(line)
        if price is not None:
            total += line_total(
                basis_quantity(state, d, line, profile), price, state.currency
            ).minor
    return total


@per_state("terms", "deliveries", "receipts", "adjustments")
def basis_value(state: OrderState, profile: AgreementProfile) -> int:
    if state.terms is None:
        return 0
    return sum(basis_value_of_line(state, ln.no, profile) for ln in state.terms.lines)


def basis_total_quantity(state: OrderState, line: int, profile: AgreementProfile) -> Decimal:
    return sum((basis_quantity(state, d, line, profile) for d in state.deliveries), Decimal(0))


# -- in kind ------------------------------------------------------------


def returned(state: OrderState, line: int, *, pending: bool = False) -> Decimal:
    """Quantity of ``line`` returned and accepted (or, with ``pending``, awaiting an answer)."""
    wanted = None if pending else "accepted"
    return sum((r.quantity(line) for r in state.returns if r.answer == wanted), Decimal(0))


def converted(state: OrderState, line: int) -> Decimal:
    return sum(
        (c.quantity for conv in state.conversions for c in conv.lines if c.line == line),
        Decimal(0),
    )


def exchanged(state: OrderState) -> bool:
    return any(x.signed for x in state.exchanges)


def owed_in_kind(state: OrderState, line: int, profile: AgreementProfile) -> Decimal:
    """Quantity of ``line`` still owed in kind (returns awaiting an answer still count)."""
    if state.method not in IN_KIND_METHODS or exchanged(state):
        return Decimal(0)
    return (
        basis_total_quantity(state, line, profile) - returned(state, line) - converted(state, line)
    )


def in_kind_value_of_line(state: OrderState, line: int, profile: AgreementProfile) -> int:
    """The value still owed in kind on ``line``, proportional to the quantity still owed.

    The value owed is rounded once, from the line's whole basis value, so
    that the last return brings it to exactly zero whatever the rounding of
    earlier ones.
    """
    quantity = basis_total_quantity(state, line, profile)
    if quantity <= 0:
        return 0
    owed = owed_in_kind(state, line, profile)
    if owed <= 0:
        return 0
    value = basis_value_of_line(state, line, profile)
    with localcontext() as ctx:
        ctx.prec = 50
        share = (Decimal(value) * owed / quantity).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return int(share)


@per_state("terms", "exchanges", "deliveries", "receipts", "adjustments", "returns",
           "conversions")
def in_kind_value(state: OrderState, profile: AgreementProfile) -> int:
    if state.terms is None or state.method not in IN_KIND_METHODS or exchanged(state):
        return 0
    return sum(in_kind_value_of_line(state, ln.no, profile) for ln in state.terms.lines)


def in_kind_recognized(state: OrderState, profile: AgreementProfile) -> int:
    """The whole value that became owed in kind (before returns, conversion or exchange)."""
    return basis_value(state, profile) if state.method in IN_KIND_METHODS else 0


def first_delivery_on(state: OrderState) -> date | None:
    return min((d.on for d in state.deliveries), default=None)


def in_kind_due_on(state: OrderState, profile: AgreementProfile) -> date | None:
    """The last day to settle in kind: counted in calendar days from the first delivery, or
    earlier where a settle-by deadline of the profile says so (:mod:`acsa.domain.deadlines`)."""
    first = first_delivery_on(state)
    if first is None or state.method not in IN_KIND_METHODS:
        return None
    days = (
        profile.settlement.rik_return_days
        if state.method == "rik"
        else profile.settlement.eve_window_days
    )
    bound = settle_by(state, profile)
    period = first + timedelta(days=days)
    return period if bound is None else min(period, bound)


# -- cash ---------------------------------------------------------------


def cash_recognized(state: OrderState, profile: AgreementProfile) -> int:
    """Everything that became owed in cash: cash deliveries, conversions, exchange residuals."""
    total = basis_value(state, profile) if state.method == "cash" else 0
    total += sum(c.amount for c in state.conversions)
    total += sum(x.to_cash for x in state.exchanges if x.signed)
    return total


def billed(state: OrderState) -> int:
    """Totals of live invoices that bill support (a difference invoice only moves a remainder)."""
    return sum(i.total for i in state.invoices if i.live and i.kind != "difference")


def live_reissue(state: OrderState, invoice: str) -> Invoice | None:
    """The live invoice that reissues ``invoice``, directly or through voided reissues."""
    seen: set[str] = set()
    current = invoice
    while current not in seen:
        seen.add(current)
        reissue = next((i for i in state.invoices if i.replaces == current), None)
        if reissue is None:
            return None
        if reissue.live:
            return reissue
        current = reissue.id
    return None


def unapplied_received(state: OrderState) -> int:
    """Money received against an invoice that was voided meanwhile: it still reduces the debt.

    Money received against a voided invoice that was reissued counts as paid on
    the reissue instead (see :func:`acsa.domain.settlement.carried_to`).
    """
    live = {i.id for i in state.invoices if i.live}
    return sum(
        p.received or 0
        for p in state.payments
        if p.invoice not in live and live_reissue(state, p.invoice) is None
    )


@dataclass(frozen=True)
class Accounts:
    """Balances of one order's accounts, in minor units of the order's currency."""

    commitment: int
    receivable: int
    in_kind: int
    invoiced: int
    settled: int
    written_off: int

    @property
    def control(self) -> int:
        return -(
            self.commitment
            + self.receivable
            + self.in_kind
            + self.invoiced
            + self.settled
            + self.written_off
        )

    def as_dict(self) -> dict[AccountKind, int]:
        return {
            AccountKind.CONTROL: self.control,
            AccountKind.COMMITMENT: self.commitment,
            AccountKind.RECEIVABLE: self.receivable,
            AccountKind.IN_KIND: self.in_kind,
            AccountKind.INVOICED: self.invoiced,
            AccountKind.SETTLED: self.settled,
            AccountKind.WRITTEN_OFF: self.written_off,
        }

    @property
    def outstanding(self) -> int:
        """Everything still owed on the order, in any form."""
        return self.commitment + self.receivable + self.in_kind + self.invoiced


@per_state("terms", "accepted", "cancelled_on", "closed_short_on", "deliveries", "receipts",
           "adjustments")
def commitment(state: OrderState, profile: AgreementProfile) -> int:
    """Accepted support not yet owed: the order's value less its basis value, until complete."""
    if state.terms is None or state.accepted is None or state.cancelled_on is not None:
        return 0
    complete = delivery_complete(state, profile)
    if complete and (profile.pricing.invoice_basis == "delivered" or all_received(state)):
        return 0
    return max(0, state.terms.value().minor - basis_value(state, profile))


def in_kind_settled(state: OrderState, profile: AgreementProfile) -> int:
    """In-kind value extinguished by accepted returns or a signed exchange."""
    if state.method not in IN_KIND_METHODS:
        return 0
    if exchanged(state):
        return sum(x.value - x.to_cash for x in state.exchanges if x.signed)
    converted_value = sum(c.in_kind_value for c in state.conversions)
    return in_kind_recognized(state, profile) - converted_value - in_kind_value(state, profile)


@per_state("terms", "accepted", "cancelled_on", "closed_short_on", "deliveries", "receipts",
           "adjustments", "payments", "offsets", "invoices", "conversions", "exchanges", "returns")
def accounts(state: OrderState, profile: AgreementProfile) -> Accounts:
    if state.terms is None:
        return Accounts(0, 0, 0, 0, 0, 0)
    received_cash = sum(p.received or 0 for p in state.payments)
    offsets = sum(o.amount for o in state.offsets if o.signed_on is not None)
    return Accounts(
        commitment=commitment(state, profile),
        receivable=cash_recognized(state, profile) - billed(state) - unapplied_received(state),
        in_kind=in_kind_value(state, profile),
        invoiced=sum(i.outstanding for i in state.invoices),
        settled=received_cash + offsets + in_kind_settled(state, profile),
        written_off=sum(i.written_off for i in state.invoices if i.live),
    )


# -- status -------------------------------------------------------------


def settlement_started(state: OrderState) -> bool:
    return bool(
        state.invoices
        or state.payments
        or state.returns
        or state.conversions
        or state.exchanges
        or state.offsets
    )


@per_state()
def status(state: OrderState, profile: AgreementProfile) -> Status:
    """The one word users see, derived from the order's parts."""
    if state.terms is None:
        return Status.DRAFT
    if state.rejected_on is not None:
        return Status.REJECTED
    if state.cancelled_on is not None:
        return Status.CANCELLED
    if state.withdrawn_on is not None and state.accepted is None:
        return Status.CANCELLED
    if any(d.open for d in state.disputes):
        return Status.DISPUTED
    if state.accepted is None:
        return Status.PROPOSED if state.proposal is not None else Status.SUBMITTED
    if not state.deliveries:
        return Status.CANCELLED if state.closed_short_on is not None else Status.ACCEPTED
    if not delivery_complete(state, profile):
        return Status.IN_DELIVERY
    if not all_received(state):
        return Status.DELIVERED
    if settled(state, profile):
        return Status.SETTLED
    return Status.SETTLING if settlement_started(state) else Status.RECEIVED


@per_state()
def settled(state: OrderState, profile: AgreementProfile) -> bool:
    """Nothing outstanding on either side: all delivered, received and paid or returned."""
    if not delivery_complete(state, profile) or not all_received(state):
        return False
    if any(r.answer is None for r in state.returns):
        return False
    if any(x.signed_on is None for x in state.exchanges):
        return False
    a = accounts(state, profile)
    return a.commitment == 0 and a.receivable == 0 and a.in_kind == 0 and a.invoiced == 0


# -- an exchange closes as a whole ---------------------------------------------


def exchange_members(state: OrderState) -> tuple[str, ...]:
    """The other orders linked to this one by its signed exchanges, in the order named."""
    found = (m for x in state.exchanges if x.signed for m in x.members)
    return tuple(m for m in dict.fromkeys(found) if m != state.number)


def completed_statuses(
    states: Mapping[str, OrderState], profiles: Mapping[str, AgreementProfile]
) -> dict[str, Status]:
    """The status of each order of ``states``, completed across its exchanges.

    An order's own fold knows only its own parts: once its exchange is signed nothing is
    owed on it, while the residual invoice on a linked order may still be unpaid. Under a
    profile where an exchange closes as a whole (``settlement.exchange.closes_as_whole``,
    the profile the order's first event cites) an order settled on its own is shown
    ``settling`` while any order its signed exchanges link is not settled on its own, or
    is not among ``states`` (the caller folds every linked order; ``profiles`` maps an
    order's profile digest to the profile). A pure function of the orders' states, so
    every node, and every rebuild, completes them alike.
    """
    own = {n: status(s, profiles[s.profile]) if s.terms else Status.DRAFT
           for n, s in states.items()}
    out = dict(own)
    for number, state in states.items():
        if own[number] is not Status.SETTLED:
            continue
        if not profiles[state.profile].settlement.exchange_closes_as_whole:
            continue
        if any(own.get(m) is not Status.SETTLED for m in exchange_members(state)):
            out[number] = Status.SETTLING
    return out

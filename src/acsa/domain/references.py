"""Finding an order's parts by what a user types: a position, a number or a hash prefix.

Users name a delivery by its position on the order (``2``), an invoice by its
number (``INV/JPN/FY2026/00003``), anything by a unique prefix of the hash of
the event that recorded it; where only one part can be meant (the one open
dispute, the one pending request) they may name none. Each finder returns the
part's id or refuses with :class:`~acsa.domain.errors.UnknownReference` or
:class:`~acsa.domain.errors.MissingField`, naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from acsa.domain.errors import N_, MissingField, UnknownReference
from acsa.domain.state import OrderState

_Item = TypeVar("_Item")


POSITION_DIGITS_MAX = 4


def _pick(items: Sequence[_Item], ref: str, key: Callable[[_Item], str], *, what: str,
          number: str, field: str) -> _Item:
    """An item by 1-based position or by a unique prefix of its event hash."""
    ref = ref.strip()
    if ref.isdigit() and 0 < int(ref) <= len(items):
        return items[int(ref) - 1]
    # A short number is a position, never a hash prefix: "2" on an order with one invoice
    # must not pick that invoice because its hash happens to begin with a 2.
    position_only = ref.isdigit() and len(ref) <= POSITION_DIGITS_MAX
    matches = [x for x in items if ref and not position_only
               and key(x).startswith(ref.lower())]
    if len(matches) == 1:
        return matches[0]
    raise UnknownReference(
        N_("no %(what)s '%(ref)s' on %(number)s (several match: give more of the hash)")
        if matches else N_("no %(what)s '%(ref)s' on %(number)s"),
        field=field, what=what, ref=ref, number=number,
    )


def find_invoice(state: OrderState, ref: str, *, field: str = "invoice") -> str:
    """An invoice by its number, its 1-based position on the order or a prefix of its hash."""
    for invoice in state.invoices:
        if invoice.number == ref.strip():
            return invoice.id
    return _pick(state.invoices, ref, lambda i: i.id, what="invoice", number=state.number,
                 field=field).id


def find_dispute(state: OrderState, ref: str | None, *, field: str = "dispute") -> str:
    """A dispute by position or hash prefix; with no reference, the one open dispute."""
    if ref is None:
        open_ = [d for d in state.disputes if d.open]
        if len(open_) != 1:
            raise MissingField(N_("%(number)s has %(count)s open disputes: name one"),
                               field=field, number=state.number, count=len(open_))
        return open_[0].id
    return _pick(state.disputes, ref, lambda d: d.id, what="dispute", number=state.number,
                 field=field).id


def find_resolution(state: OrderState, dispute: str, ref: str | None, *,
                    field: str = "proposal") -> str:
    """A proposed resolution of ``dispute``; with no reference, its latest one."""
    found = state.dispute(dispute)
    assert found is not None
    if ref is None:
        if not found.proposals:
            raise MissingField(N_("no resolution of that dispute has been proposed"), field=field)
        return found.proposals[-1].id
    return _pick(found.proposals, ref, lambda p: p.id, what="proposed resolution",
                 number=state.number, field=field).id


def find_request(state: OrderState, ref: str | None, *, field: str = "request") -> str:
    """A change request by position or hash prefix; with no reference, the one pending."""
    if ref is None:
        pending = [c for c in state.changes if c.pending]
        if len(pending) != 1:
            raise MissingField(N_("%(number)s has %(count)s pending requests: name one"),
                               field=field, number=state.number, count=len(pending))
        return pending[0].id
    return _pick(state.changes, ref, lambda c: c.id, what="request", number=state.number,
                 field=field).id


def find_return(state: OrderState, ref: str | None, *, field: str = "return") -> str:
    if ref is None:
        waiting = [r for r in state.returns if r.answer is None]
        if len(waiting) != 1:
            raise MissingField(N_("%(number)s has %(count)s returns awaiting an answer: "
                                  "name one"), field=field, number=state.number,
                               count=len(waiting))
        return waiting[0].id
    return _pick(state.returns, ref, lambda r: r.id, what="return", number=state.number,
                 field=field).id


def find_transfer(state: OrderState, ref: str | None, *, field: str = "request") -> str:
    if ref is None:
        if len(state.transfers) != 1:
            raise MissingField(N_("%(number)s has %(count)s transfer requests: name one"),
                               field=field, number=state.number, count=len(state.transfers))
        return state.transfers[0].id
    return _pick(state.transfers, ref, lambda t: t.id, what="transfer request",
                 number=state.number, field=field).id


def find_about(state: OrderState, ref: str) -> str:
    """What a dispute concerns: ``delivery:REF``, ``invoice:REF``, an invoice number, a
    delivery's position, or a unique hash prefix among deliveries and invoices."""
    if ref.startswith("delivery:"):
        return find_delivery(state, ref.removeprefix("delivery:"))
    if ref.startswith("invoice:"):
        return find_invoice(state, ref.removeprefix("invoice:"), field="about")
    for invoice in state.invoices:
        if invoice.number == ref:
            return invoice.id
    if ref.isdigit() and 0 < int(ref) <= len(state.deliveries):
        return state.deliveries[int(ref) - 1].id
    ids = [d.id for d in state.deliveries] + [i.id for i in state.invoices]
    matches = [i for i in ids if ref and i.startswith(ref.lower())]
    if len(matches) != 1:
        raise UnknownReference(
            N_("no delivery or invoice '%(ref)s' on %(number)s"),
            field="about", ref=ref, number=state.number,
        )
    return matches[0]


def find_delivery(state: OrderState, ref: str) -> str:
    """A delivery by its 1-based position on the order or a prefix of its hash."""
    if ref.isdigit() and 0 < int(ref) <= len(state.deliveries):
        return state.deliveries[int(ref) - 1].id
    matches = [d.id for d in state.deliveries if d.id.startswith(ref)]
    if len(matches) != 1:
        raise UnknownReference(
            N_("no delivery '%(ref)s' on %(number)s"),
            field="delivery", ref=ref, number=state.number,
        )
    return matches[0]


def find_step(state: OrderState, ref: str, *, field: str = "to") -> str:
    """A delivery or receipt: ``delivery:N`` or ``receipt:N`` (a position or hash prefix), a
    delivery's position, or a unique hash prefix among deliveries and receipts."""
    ref = ref.strip()
    if ref.startswith("delivery:"):
        return _pick(state.deliveries, ref.removeprefix("delivery:"), lambda d: d.id,
                     what="delivery", number=state.number, field=field).id
    if ref.startswith("receipt:"):
        return _pick(state.receipts, ref.removeprefix("receipt:"), lambda r: r.id,
                     what="receipt", number=state.number, field=field).id
    if ref.isdigit() and 0 < int(ref) <= len(state.deliveries):
        return state.deliveries[int(ref) - 1].id
    position_only = ref.isdigit() and len(ref) <= POSITION_DIGITS_MAX  # as _pick reads it
    ids = [d.id for d in state.deliveries] + [r.id for r in state.receipts]
    matches = [i for i in ids if ref and not position_only and i.startswith(ref.lower())]
    if len(matches) != 1:
        raise UnknownReference(
            N_("no delivery or receipt '%(ref)s' on %(number)s"),
            field=field, ref=ref, number=state.number,
        )
    return matches[0]

"""Acts on several orders at once: payments, equal-value exchanges, offset statements.

Each is one signed event naming every order it touches; its id is its
subject in the recording node's series (``PAY/PHL/00001``, slashes and all)
or a prefix of its hash. No ``If-Match``: each order's parent is taken under
its row lock when the act is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, status

from acsa.services import offsets, settlement
from acsa.services.recording import StoredEvent
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.api import schemas as S
from acsa.web.api.orders import PROBLEMS
from acsa.web.deps import Actor, Reader, ReadUow, WriteUow

router = APIRouter(tags=["settlement"], responses=PROBLEMS)


def _act(uow: UnitOfWork, event: StoredEvent) -> S.ActPublic:
    envelope = event.envelope
    orders = [str(p["order"]) for p in envelope.data.get("orders", ())
              if isinstance(p, Mapping) and "order" in p]
    return S.ActPublic(event=event.hash, type=envelope.type, subject=envelope.subject,
                       seq=envelope.seq, at=envelope.at, orders=orders)


def _rates(rates: list[S.Rate]) -> list[tuple[str, str, str]] | None:
    return [(r.base, r.quote, r.rate) for r in rates] or None


@router.post("/payments", status_code=status.HTTP_201_CREATED, response_model=S.ActPublic,
             summary="Record a payment")
def record_payment(body: S.PaymentCreate, principal: Actor, uow: WriteUow) -> Any:
    """The requester's finance officer pays one or more invoices, in one currency."""
    event = settlement.record_payment(
        uow, principal.user, [(a.order, a.invoice, a.amount) for a in body.allocations],
        reference=body.reference, on=body.on)
    return _act(uow, event)


@router.post("/payments/{payment:path}/confirm", response_model=S.ActPublic,
             summary="Confirm a payment arrived")
def confirm_payment(payment: str, body: S.PaymentConfirm, principal: Actor,
                    uow: WriteUow) -> Any:
    """The supplier's finance officer confirms what arrived (all of it by default)."""
    event = settlement.confirm_payment(
        uow, principal.user, payment, [(a.order, a.invoice, a.amount) for a in body.received],
        on=body.on)
    return _act(uow, event)


@router.post("/exchanges", status_code=status.HTTP_201_CREATED, response_model=S.ActPublic,
             summary="Link orders in an equal-value exchange")
def link_exchange(body: S.ExchangeCreate, principal: Actor, uow: WriteUow) -> Any:
    event = settlement.link_exchange(uow, principal.user, body.orders, currency=body.currency,
                                     rates=_rates(body.rates), on=body.on)
    return _act(uow, event)


@router.post("/exchanges/{exchange:path}/sign", response_model=S.ActPublic,
             summary="Sign an equal-value exchange")
def sign_exchange(exchange: str, body: S.Dated, principal: Actor, uow: WriteUow) -> Any:
    return _act(uow, settlement.sign_exchange(uow, principal.user, exchange, on=body.on))


@router.get("/offsets", response_model=S.OffsetsPublic, summary="Offset statements")
def list_offsets(principal: Reader, uow: ReadUow) -> S.OffsetsPublic:
    """Every offset statement, proposed and signed, that nets only orders the caller may
    read, oldest first."""
    found = [S.OffsetPublic.model_validate(offsets.with_invoice_numbers(uow, o))
             for o in settlement.list_offsets(uow, principal.user)]
    return S.OffsetsPublic(data=found, count=len(found))


@router.post("/offsets/preview", response_model=S.OffsetPreviewPublic,
             summary="Preview an offset statement")
def preview_offset(body: S.OffsetCreate, principal: Actor, uow: ReadUow) -> Any:
    """The net and each invoice's part, as `POST /offsets` would sign them; nothing is
    signed or numbered, and the same refusals apply."""
    data = settlement.preview_offset(
        uow, principal.user, [(i.order, i.invoice) for i in body.invoices],
        currency=body.currency, rates=_rates(body.rates), on=body.on)
    return S.OffsetPreviewPublic.model_validate(offsets.with_invoice_numbers(uow, data))


@router.get("/offsets/{offset:path}", response_model=S.OffsetPublic,
            summary="One offset statement")
def get_offset(offset: str, principal: Reader, uow: ReadUow) -> Any:
    """By its number (OFS/PHL/00001) or a prefix of its hash; one netting an order the
    caller may not read is `unknown_reference`, as one that does not exist."""
    return S.OffsetPublic.model_validate(offsets.find_offset(uow, principal.user, offset))


@router.post("/offsets", status_code=status.HTTP_201_CREATED, response_model=S.ActPublic,
             summary="Propose an offset statement")
def propose_offset(body: S.OffsetCreate, principal: Actor, uow: WriteUow) -> Any:
    event = settlement.propose_offset(
        uow, principal.user, [(i.order, i.invoice) for i in body.invoices],
        currency=body.currency, rates=_rates(body.rates), on=body.on)
    return _act(uow, event)


@router.post("/offsets/{offset:path}/sign", response_model=S.ActPublic,
             summary="Sign an offset statement")
def sign_offset(offset: str, body: S.Dated, principal: Actor, uow: WriteUow) -> Any:
    return _act(uow, settlement.sign_offset(uow, principal.user, offset, on=body.on))

"""National accounting: receivables, their claim notices (債権発生通知書) and the export.

A receivable is an invoice this node's party issued; ``GET /claims`` lists them with
their notice state (``?pending=true``: the exception report of those not yet sent to the
revenue collection officer), ``GET /claims/{invoice}/notice`` prints one notice as PDF,
``POST /claims/{invoice}/sent`` records that it was sent (a local record, never shared),
and ``GET /claims/export`` is the JSON for the nation's accounting system (schema
``acsa-national-accounting/1``, docs/national-accounting.schema.json). Invoice numbers
contain slashes and go into the path as they are: ``/claims/INV/JPN/FY2025/00001/notice``.
Finance officers and auditors read; a finance officer prints and records. Everything
holds only the orders the caller may read.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import Field

from acsa.domain.money import Money
from acsa.services import access_log, claims, users
from acsa.web.api.orders import PROBLEMS
from acsa.web.api.schemas import Day, In, Schema
from acsa.web.deps import Actor, Reader, ReadUow, WriteUow, client_address

router = APIRouter(tags=["claims"], responses=PROBLEMS)


class NoticePublic(Schema):
    sent_on: date
    sent_to: str
    note: str
    recorded_at: str
    recorded_by: str
    recorded_by_name: str


class ClaimPublic(Schema):
    """One receivable and the state of its claim notice."""

    invoice: str = Field(description="The invoice number, e.g. INV/JPN/FY2025/00001.")
    invoice_id: str = Field(description="Hash of the invoice's signed event.")
    order: str
    agreement: str
    kind: str = Field(description="goods, conversion, residual or difference.")
    creditor: str
    debtor: str
    issued_on: date
    due_on: date
    currency: str = Field(description="ISO 4217.")
    amount: str = Field(description="The invoice's total, in major units.")
    outstanding: str
    voided_on: date | None
    days_since_invoice: int
    state: str = Field(description="'not_sent', 'sent', or 'void'.")
    notice: NoticePublic | None


class ClaimsPublic(Schema):
    data: list[ClaimPublic]
    count: int
    as_of: date = Field(description="The caller's today, which the days are counted to.")


class NoticeSent(In):
    to: str = Field(min_length=1, max_length=claims.SENT_TO_MAX, description=(
        "To whom the notice was sent: the revenue collection officer (歳入徴収官) and office."))
    on: Day | None = Field(None, description="When it was sent (default: today where you are).")
    note: str = Field("", max_length=claims.NOTE_MAX, description="A reference, letter number …")


def _public(r: claims.Receivable, today: date) -> ClaimPublic:
    state = "void" if not r.live else "sent" if r.notice else "not_sent"
    return ClaimPublic(
        invoice=r.invoice, invoice_id=r.invoice_id, order=r.order, agreement=r.agreement,
        kind=r.kind, creditor=r.creditor, debtor=r.debtor, issued_on=r.issued_on,
        due_on=r.due_on, currency=r.currency, amount=Money(r.currency, r.total).text(),
        outstanding=Money(r.currency, r.outstanding).text(), voided_on=r.voided_on,
        days_since_invoice=r.days_since_invoice(today), state=state,
        notice=NoticePublic.model_validate(r.notice) if r.notice else None)


@router.get("/claims", response_model=ClaimsPublic, summary="Receivables and their notices")
def list_claims(principal: Reader, uow: ReadUow,
                pending: Annotated[bool, Query(description=(
                    "Only the exception report: live receivables whose claim notice is "
                    "not yet sent."))] = False) -> Any:
    """Every receivable of this node (an invoice it issued) on the orders the caller may
    read, oldest first, with the days since the invoice and the notice's state."""
    user = principal.user
    found = claims.pending(uow, user) if pending else claims.receivables(uow, user)
    today = users.today_of(uow, user)
    return ClaimsPublic(data=[_public(r, today) for r in found], count=len(found), as_of=today)


@router.get("/claims/export", summary="Export for the nation's accounting system",
            response_model=dict[str, Any])
def export(principal: Reader, uow: ReadUow, request: Request) -> Any:
    """Receivables and payables (invoices), payments and confirmations, amounts in minor
    units with ISO 4217 codes: JSON Schema ``acsa-national-accounting/1``
    (docs/national-accounting.schema.json)."""
    data = claims.accounting_export(uow, principal.user)
    access_log.record_export(uow.node, principal.user, "national-accounting.json",
                             claims.export_marking(data), client_address(request))
    return data


@router.get("/claims/{invoice:path}/notice", summary="The claim notice as PDF",
            response_class=Response,
            responses={200: {"content": {"application/pdf": {}},
                             "description": "The bilingual claim notice (PDF)."}})
def notice(invoice: str, principal: Reader, uow: WriteUow, request: Request) -> Response:
    """The claim notice (債権発生通知書) of one receivable, issued by the caller (a finance
    officer); a voided invoice has none (422)."""
    from acsa.reports.claim_notice import render_notice  # fpdf is slow to import

    model = claims.notice_model(uow, principal.user, invoice,
                                address=client_address(request))
    printed = model.document.printed_at.astimezone(ZoneInfo(principal.user.time_zone))
    model = replace(model, document=replace(model.document, printed_at=printed))
    name = f"claim-notice-{model.receivable.invoice}.pdf".replace("/", "-")
    return Response(render_notice(model), media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


@router.post("/claims/{invoice:path}/sent", response_model=ClaimPublic,
             summary="Record that a claim notice was sent")
def mark_sent(invoice: str, body: NoticeSent, principal: Actor, uow: WriteUow,
              request: Request) -> Any:
    """A finance officer records that the notice reached the revenue collection officer:
    to whom and when. Once per receivable (409 after that)."""
    r = claims.mark_sent(uow, principal.user, invoice, to=body.to, on=body.on,
                         note=body.note, address=client_address(request))
    return _public(r, users.today_of(uow, principal.user))

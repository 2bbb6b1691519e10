"""Reports (balances, aging, obligations in kind, ceilings, per-activity totals) and
``ledger/verify``: all read from the node's projections by the report services, which
count only the orders the caller may read (need to know)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from acsa.domain.money import Money
from acsa.i18n import negotiate_locale
from acsa.i18n.labels import label
from acsa.services import markings, missing_evidence, queries, reports, worklist
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.web.api import schemas as S
from acsa.web.api.annual import router as annual_router
from acsa.web.api.orders import PROBLEMS
from acsa.web.deps import NodeDep, Reader, ReadUow, WriteUow

router = APIRouter(tags=["reports"], responses=PROBLEMS)
router.include_router(annual_router)  # the annual report: /reports/annual, …/file


@router.get("/reports/balances", response_model=S.BalancesPublic, summary="Balances")
def balances(principal: Reader, uow: ReadUow) -> S.BalancesPublic:
    """What each party owes the other, per currency and account (double entry)."""
    rows = reports.balances(uow, principal.user)
    return S.BalancesPublic(data=[
        S.BalancePublic(debtor=r.debtor, creditor=r.creditor, currency=r.currency,
                        accounts={k: r.text(k) for k in r.accounts},
                        outstanding=Money(r.currency, r.outstanding).text())
        for r in rows
    ], count=len(rows), marking=_marking(uow, principal.user))


@router.get("/todo", response_model=S.WorklistPublic, summary="Worklist", tags=["orders"])
def todo(principal: Reader, uow: ReadUow, request: Request) -> S.WorklistPublic:
    """Each task one of the caller's roles may do, with how many orders wait for it."""
    locale = negotiate_locale(principal.user.locale, request.headers.get("accept-language"))
    return S.WorklistPublic(
        data=[S.TaskPublic(task=t.key, label=label("task", t.key, locale), count=t.count,
                           overdue=t.overdue) for t in worklist.worklist(uow, principal.user)],
        emergencies_awaiting_partner=worklist.awaiting_partner(uow, principal.user, "emergency"))


def _marking(uow: UnitOfWork, user: LocalUser) -> S.MarkingPublic | None:
    """A report's marking: the strongest of the orders its reader may read."""
    info = markings.readable_marking(uow, user)
    return S.MarkingPublic.model_validate(markings.as_data(info)) if info else None


@router.get("/reports/aging", response_model=S.AgingPublic, summary="Aging")
def aging(principal: Reader, uow: ReadUow, node: NodeDep,
          as_of: Annotated[S.Day | None, Query(description=(
              "A cut-off date: what was due at the end of that day (events dated on or "
              "before it), aged at that date (default: now)."))] = None,
          ) -> S.AgingPublic:
    """Everything due, with days overdue and bucket, as of now in each debtor's time zone,
    or as of the end of ``as_of``."""
    rows = reports.aging(uow, principal.user, node.clock, as_of=as_of)
    summary = reports.aging_summary(rows)
    return S.AgingPublic(
        data=[S.AgingRowPublic(
            order=r.order, kind=r.kind, reference=r.reference, debtor=r.debtor,
            creditor=r.creditor, due_on=r.due_on, days=r.days, bucket=r.bucket,
            currency=r.amount.currency if r.amount else None,
            amount=r.amount.text() if r.amount else None) for r in rows],
        count=len(rows),
        summary=[S.AgingSummaryPublic(
            debtor=d, creditor=c, currency=cur,
            buckets={b: Money(cur, v).text() for b, v in buckets.items()})
            for (d, c, cur), buckets in sorted(summary.items())],
        marking=_marking(uow, principal.user),
    )


@router.get("/reports/obligations", response_model=S.ObligationsPublic,
            summary="Obligations in kind")
def obligations(principal: Reader, uow: ReadUow) -> S.ObligationsPublic:
    rows = reports.obligations(uow, principal.user)
    return S.ObligationsPublic(data=[
        S.ObligationPublic(order=r.order, line=r.line, item=r.item, unit=r.unit,
                           owed=str(r.owed), due_on=r.due_on, debtor=r.debtor,
                           creditor=r.creditor) for r in rows
    ], count=len(rows), marking=_marking(uow, principal.user))


@router.get("/reports/missing-evidence", response_model=S.MissingEvidencePublic,
            summary="Orders lacking supporting documents")
def missing_documents(principal: Reader, uow: ReadUow,
                      partner: Annotated[str | None, Query(
                          max_length=3, description="Only orders with this partner.")] = None,
                      ) -> S.MissingEvidencePublic:
    """Each step of an order the caller may read that lacks a document its agreement's
    evidence policy asks before a settlement step (the exception report)."""
    rows = missing_evidence.missing_evidence(uow, principal.user, partner=partner)
    return S.MissingEvidencePublic(data=[
        S.MissingEvidenceRowPublic(order=r.order, status=r.status, step=r.step,
                                   step_on=r.step_on, event=r.event, document=r.document,
                                   before=r.before, party=r.party, agreement=r.agreement,
                                   version=r.version) for r in rows
    ], count=len(rows), marking=_rows_marking(uow, [r.order for r in rows]))


def _rows_marking(uow: UnitOfWork, orders: list[str]) -> S.MarkingPublic | None:
    """A listing's marking: the strongest of the orders it names."""
    info = markings.report_marking(uow, orders)
    return S.MarkingPublic.model_validate(markings.as_data(info)) if info else None


@router.get("/reports/ceilings", response_model=S.CeilingsPublic, summary="Ceilings")
def ceilings(principal: Reader, uow: ReadUow,
             on: Annotated[S.Day | None, Query(description="A day of the fiscal year "
                                                           "(default: today).")] = None,
             ) -> S.CeilingsPublic:
    rows = reports.ceilings(uow, principal.user, on or uow.node.today())
    return S.CeilingsPublic(data=[
        S.CeilingPublic(agreement=r.agreement, party=r.party, partner=r.partner,
                        direction=r.direction, fiscal_year=r.fiscal_year,
                        currency=r.cap.currency, cap=r.cap.text(), used=r.used.text(),
                        suspended=r.suspended, scope=r.scope, agreements=list(r.agreements),
                        missing_rate=r.missing_rate.message if r.missing_rate else None,
                        sub_caps=[S.SubCapPublic(group=g, cap=cap.text(), used=used.text())
                                  for g, used, cap in r.sub_caps])
        for r in rows
    ], count=len(rows), marking=_marking(uow, principal.user))


@router.get("/reports/activities", response_model=S.ActivityTotalsPublic,
            summary="Per-activity totals")
def activities(principal: Reader, uow: ReadUow) -> S.ActivityTotalsPublic:
    """Orders and their value per activity (exercise, HADR operation) and currency."""
    rows = queries.activity_totals(uow, principal.user)
    return S.ActivityTotalsPublic(data=[S.ActivityTotalPublic.model_validate(r) for r in rows],
                                  count=len(rows), marking=_marking(uow, principal.user))


@router.get("/ledger/verify", response_model=S.VerifyPublic, tags=["ledger"],
            summary="Verify the ledger")
def verify(principal: Reader, uow: WriteUow) -> S.VerifyPublic:
    """Re-check every hash, signature, chain link and tree head, and re-derive every
    projection (auditors and administrators; changes nothing)."""
    report = queries.verify_ledger(uow, principal.user)
    return S.VerifyPublic(ok=report.ok, events=report.events, streams=report.streams,
                          orders=report.orders,
                          findings=[S.FindingPublic(kind=f.kind, where=f.where,
                                                    message=f.message)
                                    for f in report.findings])

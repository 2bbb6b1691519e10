"""``GET /reports/annual`` and ``GET /reports/annual/file``: the annual report of
cross-servicing as JSON, and as a CSV, XLSX or bilingual PDF download.

Both read :func:`acsa.reports.annual.annual_table` for the caller: only the orders the
caller may read count (need to know), and a download is a line of the access log, as on the
reports page. The fiscal year is the caller's nation's; an order counts in the year of its
acceptance date (``definition`` says what is counted, in the caller's language).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import Field

from acsa.i18n import negotiate_locale
from acsa.reports import tables
from acsa.reports.annual import definition
from acsa.services import access_log, markings
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import today_of
from acsa.web.api import schemas as S
from acsa.web.api.orders import PROBLEMS
from acsa.web.deps import NodeDep, Reader, client_address

router = APIRouter(tags=["reports"], responses=PROBLEMS)

# FY2026 or 2026, within the years the report accepts (1990–2999).
FISCAL_YEAR_PATTERN = r"^([Ff][Yy])?(199[0-9]|2[0-9]{3})$"
FiscalYear = Annotated[str, Query(
    pattern=FISCAL_YEAR_PATTERN, max_length=6, examples=["FY2026"],
    description="The fiscal year of the caller's nation, FY2026 or 2026 (Japan April–March, "
                "the Philippines the calendar year, the United States October–September).")]
MEDIA = {"csv": "text/csv", "xlsx": tables.MEDIA_TYPES["xlsx"], "pdf": "application/pdf"}


class AnnualRowPublic(S.Schema):
    """One row: a category's figures (``row`` = ``detail``), or a total over the rows above
    it (``partner``, ``method``, ``category`` absent where the total runs over them)."""

    row: Literal["detail", "method_total", "partner_total", "direction_total"]
    direction: Literal["acquisition", "transfer"] = Field(description=(
        "acquisition: support the caller's nation requested and received; transfer: "
        "support it supplied."))
    partner: str | None
    method: str | None = Field(description="The method agreed on the order: cash, rik, eve.")
    category: str | None
    currency: str
    orders: int = Field(description="Orders counted; a total counts each order once.")
    value: str = Field(description="Agreed value, exact decimal text in the currency.")
    received: str = Field(description=(
        "Value delivered and acknowledged by the requesting party, exact decimal text."))


class AnnualReportPublic(S.Schema):
    fiscal_year: str = Field(examples=["FY2026"])
    party: str = Field(description="The caller's nation, whose fiscal year it is.")
    first_day: date
    last_day: date
    as_of: date = Field(description="The day quantities received are counted to.")
    definition: str = Field(description="What the report counts, in the caller's language.")
    data: list[AnnualRowPublic]
    count: int
    marking: S.MarkingPublic | None = Field(None, description=(
        "The strongest marking of the orders counted; absent when all are unclassified."))


def _table(node: NodeDep, principal: Reader, fiscal_year: str) -> tables.ReportTable:
    with UnitOfWork(node, write=False) as uow:
        return tables.build_table(uow, principal.user, "annual", fiscal_year=fiscal_year)


@router.get("/reports/annual", response_model=AnnualReportPublic, summary="Annual report")
def annual(principal: Reader, node: NodeDep, request: Request,
           fiscal_year: FiscalYear) -> AnnualReportPublic:
    """Yearly totals per partner, direction, method and category, one section per currency,
    over the orders the caller may read."""
    table = _table(node, principal, fiscal_year)
    locale = negotiate_locale(principal.user.locale, request.headers.get("accept-language"))
    p = table.parameters
    rows = [AnnualRowPublic(row=r["row"], direction=r["direction"], partner=r["partner"],
                            method=r["method"], category=r["category"],
                            currency=r["currency"], orders=r["orders"],
                            value=r["value"].text(), received=r["received"].text())
            for r in table.as_dicts()]
    return AnnualReportPublic(
        fiscal_year=p["fiscal year"], party=p["party"],
        first_day=date.fromisoformat(p["from"]), last_day=date.fromisoformat(p["to"]),
        as_of=date.fromisoformat(p["as of"]), definition=definition(locale), data=rows,
        count=len(rows),
        marking=S.MarkingPublic.model_validate(markings.as_data(table.marking))
        if table.marking else None)


@router.get("/reports/annual/file", summary="Annual report as a file", response_class=Response,
            responses={200: {"content": {m: {} for m in MEDIA.values()},
                             "description": "CSV or XLSX (titles in the caller's language) "
                                            "or a bilingual PDF"}})
def annual_file(principal: Reader, node: NodeDep, request: Request, fiscal_year: FiscalYear,
                format: Annotated[Literal["csv", "xlsx", "pdf"], Query(
                    description="csv, xlsx or pdf")] = "pdf") -> Response:
    """The annual report as a download; the download is a line of the access log."""
    table = _table(node, principal, fiscal_year)
    locale = negotiate_locale(principal.user.locale, request.headers.get("accept-language"))
    data = tables.render(table, format, locale)
    with UnitOfWork(node, write=False) as uow:
        today = today_of(uow, principal.user)
    access_log.record_export(node, principal.user, f"annual.{format}",
                             tables.marking_line(table), client_address(request))
    name = f"acsa-{node.party}-annual-{table.parameters['fiscal year']}-{today}.{format}"
    return Response(data, media_type=tables.MEDIA_TYPES[format], headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

"""Report pages: an index, one page per report with its filter form, table and charts,
and the same table as a CSV or XLSX download.

``/reports/{kind}`` takes the report's parameters as a GET form (so a report
is a bookmarkable link); ``/reports/{kind}.csv`` and ``/reports/{kind}.xlsx``
(or ``?format=csv``) download it with the same parameters. The tables come
from :mod:`acsa.reports.tables`, the charts from :mod:`acsa.reports.charts`;
both are built for the user from services that count only the orders the user
may read (need to know), so rows, totals, running balances and charts leave
out the same orders on the page and in the downloads. A bad parameter shows
the form again with the problem next to the field (422); so does a refusal of
the report, with the status the API gives it (:func:`acsa.web.problems.status_of`).

The documents, the scan page and evidence downloads are
:mod:`acsa.web.ui.documents`, included here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from acsa.domain.errors import DomainError, InvalidValue, UnknownReference
from acsa.domain.money import minor_units
from acsa.i18n import N_, format_date, format_datetime, gettext
from acsa.i18n.labels import label
from acsa.reports import charts, tables
from acsa.services import access_log, queries, reports
from acsa.services.report_tables import balance_series
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser, today_of
from acsa.web.deps import Principal, client_address, get_node
from acsa.web.problems import status_of
from acsa.web.ui import documents
from acsa.web.ui.documents import not_found_page
from acsa.web.ui.pages import FormErrors, PageRoute, locale_of, page_principal, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
router.include_router(documents.router)
User = Annotated[Principal, Depends(page_principal)]

# A page shows at most this many rows; the downloads carry them all.
PAGE_ROWS_MAX = 1000
YEAR_MIN, YEAR_MAX = 1990, 2999

# The parameters each report's form offers, in order.
PARAMETERS: dict[str, tuple[str, ...]] = {
    "statement": ("partner", "currency", "until"),
    "open-orders": ("partner",),
    "invoices": ("partner",),
    "aging": ("as_of",),
    "obligations": (),
    "ceilings": ("on",),
    "activities": (),
    "year-end": ("as_of", "year", "party"),
    "balances": (),
    "annual": ("year",),
    "missing-evidence": ("partner",),
}
# Reports that cannot be drawn without a parameter: a first visit shows the form only.
NEEDS = {"statement": ("partner",), "year-end": ("as_of", "year"), "annual": ("year",)}

DESCRIPTIONS: dict[str, str] = {
    "statement": N_("Every invoice, payment, credit note and write-off between this node's "
                    "party and one partner, with the running balance per currency."),
    "open-orders": N_("Orders not yet settled, rejected or cancelled: value, committed and "
                      "outstanding amounts, dates."),
    "invoices": N_("Every invoice with its due date, payments, credit notes, write-offs and "
                   "what is still outstanding."),
    "aging": N_("Everything due — unpaid invoices, goods received and not invoiced, returns "
                "in kind — by how many days it is overdue."),
    "obligations": N_("Supplies and services to be returned in kind: quantities owed and "
                      "return dates."),
    "ceilings": N_("The annual ceilings of each agreement: the cap, what is used and what "
                   "remains. A ceiling counted per country counts the orders of every "
                   "agreement with the partner, and names them."),
    "activities": N_("Totals per exercise or operation: orders, accepted value and balances."),
    "year-end": N_("Balances as they stood at the end of a fiscal year (or any cut-off date)."),
    "balances": N_("What each party owes the other, per currency and account, with the "
                   "balance over time."),
    "annual": N_("Yearly totals of the support received and provided, per partner, category "
                 "and settlement method, in the fiscal year of each order's acceptance; also "
                 "as a bilingual PDF."),
    "missing-evidence": N_("Deliveries and receipts that lack a document their agreement's "
                           "evidence policy asks before the invoice or the payment, and who "
                           "is to attach it."),
}

FIELD_LABELS: dict[str, str] = {
    "partner": N_("Partner"),
    "currency": N_("Currency"),
    "until": N_("Up to and including"),
    "on": N_("On"),
    "as_of": N_("Cut-off date"),
    "year": N_("Fiscal year"),
    "party": N_("Whose fiscal year"),
}


# What a report's parameters (tables.ReportTable.parameters) are called on its page.
PARAMETER_LABELS: dict[str, str] = {"partner": N_("Partner"), "on": N_("On"),
                                    "as of": N_("As of")}


def shown_parameters(table: tables.ReportTable, locale: str, zone: str
                     ) -> list[tuple[str, str]]:
    """A report's parameters as its page shows them: named in the reader's language, an
    instant in the reader's time zone and a date as the locale writes it (a download keeps
    the ISO text)."""
    out = []
    for key, value in table.parameters.items():
        if key == "definition":
            continue  # the page shows it in the reader's language (annual_definition)
        text = value
        try:
            if "T" in value:
                text = format_datetime(datetime.fromisoformat(value), locale, zone)
            else:
                text = format_date(date.fromisoformat(value), locale)
        except ValueError:
            pass  # not a date: shown as it is
        out.append((gettext(PARAMETER_LABELS.get(key, key), locale), text))
    return out


@dataclasses.dataclass(frozen=True)
class Choices:
    """What the forms offer: this node's partners, the parties and their currencies."""

    partners: tuple[str, ...]
    parties: tuple[str, ...]
    currencies: tuple[str, ...]


def _choices(uow: UnitOfWork) -> Choices:
    me = uow.node.party
    parties: set[str] = {me}
    currencies: set[str] = set()
    for agreement in queries.list_agreements(uow):
        codes = {p["code"] for p in agreement.parties}
        if me in codes:
            parties |= codes
            currencies |= {p["currency"] for p in agreement.parties}
    return Choices(tuple(sorted(parties - {me})), tuple(sorted(parties)),
                   tuple(sorted(currencies)))


def _date(text: str, name: str, locale: str, errors: FormErrors) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.fields[name] = gettext(N_("Not a date: write it as YYYY-MM-DD."), locale)
        return None


def read_parameters(kind: str, query: Mapping[str, str], choices: Choices, locale: str
                    ) -> tuple[dict[str, str], dict[str, Any], FormErrors]:
    """The form's values as typed, the parameters for :func:`tables.build_table`, problems."""
    values: dict[str, str] = {}
    params: dict[str, Any] = {}
    errors = FormErrors()
    for name in PARAMETERS[kind]:
        text = (query.get(name) or "").strip()[:40]
        if name in ("partner", "party", "currency"):
            text = text.upper()
        values[name] = text
        if not text:
            continue
        if name == "partner":
            if text not in choices.partners:
                errors.fields[name] = gettext(N_("Not a partner of this node: choose one of "
                                                 "%(codes)s."), locale) % {
                    "codes": ", ".join(choices.partners)}
                continue
            params[name] = text
        elif name == "party":
            if text not in choices.parties:
                errors.fields[name] = gettext(N_("Not a party of this node's agreements: "
                                                 "choose one of %(codes)s."), locale) % {
                    "codes": ", ".join(choices.parties)}
                continue
            params[name] = text
        elif name == "currency":
            try:
                minor_units(text)
            except DomainError:
                errors.fields[name] = gettext(N_("Not a currency: give an ISO code such as "
                                                 "%(codes)s."), locale) % {
                    "codes": ", ".join(choices.currencies)}
                continue
            params[name] = text
        elif name == "year":
            if not text.isdigit() or not YEAR_MIN <= int(text) <= YEAR_MAX:
                errors.fields[name] = gettext(N_("Not a year: give four digits, such as "
                                                 "2026."), locale)
                continue
            params[name] = int(text)
        else:
            day = _date(text, name, locale, errors)
            if day is not None:
                params[name] = day
    return values, params, errors


def _unknown_report(kind: str) -> UnknownReference | None:
    if kind in tables.REPORT_KINDS:
        return None
    return UnknownReference(N_("'%(kind)s' is not a report; choose one of %(allowed)s"),
                            field="kind", kind=kind[:40], allowed=tables.REPORT_KINDS)


@router.get("/reports", response_class=HTMLResponse)
def report_index(request: Request, principal: User) -> HTMLResponse:
    return render(request, "reports/index.html", principal, kinds=tables.REPORT_KINDS,
                  descriptions=DESCRIPTIONS)


def _charts(uow: UnitOfWork, user: LocalUser, kind: str, params: Mapping[str, Any],
            locale: str) -> list[str]:
    """The charts drawn beside a report for ``user``: balances over time, aging."""
    if kind in ("balances", "statement"):
        points = balance_series(uow, user, currency=params.get("currency"))
        partner = params.get("partner")
        if partner:
            points = [p for p in points if partner in (p.debtor, p.creditor)]
        until = params.get("until")
        if until:
            points = [p for p in points if p.on <= until]
        return [charts.balances_chart(points, cur, locale)
                for cur in sorted({p.currency for p in points})]
    if kind == "aging":
        as_of = params.get("as_of")
        summary = (reports.aging_totals(uow, user, uow.node.clock) if as_of is None else
                   reports.aging_summary(reports.aging(uow, user, uow.node.clock,
                                                       as_of=as_of)))
        on = as_of or today_of(uow, user)
        return [charts.aging_chart(summary, cur, locale, as_of=on)
                for cur in sorted({cur for _, _, cur in summary})]
    return []


def _page(request: Request, principal: Principal, kind: str, fmt: str = "") -> Response:
    locale, zone = locale_of(request, principal)
    query = dict(request.query_params)
    fmt = fmt or query.pop("format", "")
    query.pop("notice", None)
    if fmt and fmt not in tables.formats_of(kind):
        raise InvalidValue(
            N_("'%(fmt)s' is not a format; choose csv or xlsx"),
            field="format", fmt=fmt[:20],
        )
    with UnitOfWork(get_node(request), write=False) as uow:
        choices = _choices(uow)
        values, params, errors = read_parameters(kind, query, choices, locale)
        status = 422 if errors else 200  # a parameter this page could not read
        table: tables.ReportTable | None = None
        figures: list[str] = []
        download: Response | None = None
        asked = any(values.get(n) for n in NEEDS.get(kind, ())) or not NEEDS.get(kind)
        if not errors and (asked or fmt or query):
            try:
                table = tables.build_table(uow, principal.user, kind, **params)
            except DomainError as exc:
                errors, status = FormErrors.of_domain(exc), status_of(exc)
                if exc.field and exc.field not in PARAMETERS[kind]:
                    errors.fields.pop(exc.field, None)
        if table is not None and fmt:
            download = _download(uow, principal.user, table, fmt, locale)
        elif table is not None:
            figures = _charts(uow, principal.user, kind, params, locale)
    if table is not None and download is not None:
        access_log.record_export(get_node(request), principal.user, f"{table.kind}.{fmt}",
                                 tables.marking_line(table), client_address(request))
        return download
    shown = {k: v for k, v in values.items() if v}
    link = f"?{urlencode(shown)}" if shown else ""
    return render(
        request, "reports/page.html", principal, status=status, kind=kind,
        title=label("report", kind, locale),
        description=DESCRIPTIONS[kind], fields=PARAMETERS[kind], field_labels=FIELD_LABELS,
        values=values, errors=errors, choices=choices, table=table,
        rows=table.rows[:PAGE_ROWS_MAX] if table else [], rows_max=PAGE_ROWS_MAX,
        parameters=shown_parameters(table, locale, zone) if table else [],
        charts=figures,
        downloads=[(f, f"/reports/{kind}.{f}{link}") for f in tables.formats_of(kind)],
        definition=annual_definition(kind, locale),
        needs=NEEDS.get(kind, ()),
        banner=(tables.marking_line(table, locale) or "") if table is not None else "")


def annual_definition(kind: str, locale: str) -> str:
    """What the annual report counts, in the reader's language; empty for other reports."""
    if kind != "annual":
        return ""
    from acsa.reports.annual import definition

    return definition(locale)


def _download(uow: UnitOfWork, user: LocalUser, table: tables.ReportTable, fmt: str,
              locale: str) -> Response:
    data = tables.render(table, fmt, locale)
    name = tables.filename(table.kind, fmt, uow.node.party, today_of(uow, user))
    return Response(data, media_type=tables.MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


@router.get("/reports/{kind}.{fmt}")
def report_download(request: Request, principal: User, kind: str, fmt: str) -> Response:
    """The report as a file; a bad parameter gives the form again (422), as the page does."""
    unknown = _unknown_report(kind)
    if unknown is None and fmt not in tables.formats_of(kind):
        unknown = UnknownReference(
            N_("'%(fmt)s' is not a format; choose csv or xlsx"),
            field="format", fmt=fmt[:20],
        )
    if unknown is not None:
        return not_found_page(request, principal, unknown)
    return _page(request, principal, kind, fmt)


@router.get("/reports/{kind}")
def report_page(request: Request, principal: User, kind: str) -> Response:
    unknown = _unknown_report(kind)
    if unknown is not None:
        return not_found_page(request, principal, unknown)
    return _page(request, principal, kind)

"""Report tables and their downloads: CSV and XLSX bytes.

:func:`build_table` turns a report's rows (from :mod:`acsa.services.reports`
and :mod:`acsa.services.report_tables`) into a :class:`ReportTable`: typed
columns and cells. A table is built for one reader, and those services give it
only the orders that reader may read (need to know). :func:`to_csv` and
:func:`to_xlsx` write it.

Money is written beside a currency column, never from a float: in CSV as
**decimal text** with the currency's digits (``"1234.50"``, ``"152500"``), so
a figure read back is exactly the figure in the ledger; in XLSX as a number in
major units built from the integer minor units (a Decimal), with a number
format naming the currency with thousands separators (``#,##0 "JPY"``,
``#,##0.00 "PHP"``), so a SUM over a column of one currency is the report's
total. Quantities likewise (decimal text in CSV, numbers in XLSX). The
statement of account runs one balance per currency and direction, and lists
each such balance as one block of rows, so a balance never mixes currencies.
Dates are ISO text in CSV and date cells in XLSX. CSV is UTF-8 with a byte
order mark, so spreadsheet programs open Japanese text correctly; its first
row is the header. Text a person typed (descriptions, notes) that starts
like a formula (``=``, ``+``, ``-``, ``@``) is prefixed with ``'`` in CSV and
stored as a string cell in XLSX, so opening a download never runs it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from acsa.domain.aging_buckets import AGING_BUCKETS
from acsa.domain.errors import DomainError, InvalidValue
from acsa.domain.money import Money, minor_units
from acsa.i18n import N_, gettext
from acsa.i18n.labels import label
from acsa.i18n.refusals import refusal
from acsa.services import markings, missing_evidence, reports
from acsa.services import report_tables as rt
from acsa.services.markings import MarkingInfo
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser, today_of

TEXT, CODE, DATE, MONEY, QUANTITY, INTEGER, FLAG = (
    "text", "code", "date", "money", "quantity", "integer", "flag")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    key: str  # machine name, stable (CSV header with keys=True)
    title: str  # English msgid, translated when written
    kind: str = TEXT  # TEXT, CODE, DATE, MONEY, QUANTITY, INTEGER, FLAG
    label_kind: str | None = None  # translate codes through acsa.i18n.labels


@dataclass(frozen=True)
class ReportTable:
    kind: str  # key of acsa.i18n.labels.REPORT
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    parameters: Mapping[str, str] = field(default_factory=dict)
    # The strongest marking of the orders the table includes; None when all are unclassified.
    marking: MarkingInfo | None = None
    # The orders a table of sums counts, when it knows them (the annual report): its marking
    # is theirs rather than that of every order its reader may read.
    counted: tuple[str, ...] | None = None

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip((c.key for c in self.columns), r, strict=True)) for r in self.rows]


def cell_text(column: Column, value: Any, locale: str = "en") -> str:
    """The text a cell holds: exact decimal text for money and quantities."""
    if value is None:
        return ""
    if column.kind == MONEY:
        if not isinstance(value, Money):
            raise TypeError(f"{column.key}: money cells hold Money, not {type(value).__name__}")
        return value.text()
    if column.kind == QUANTITY:
        if not isinstance(value, Decimal):
            raise TypeError(f"{column.key}: quantities are Decimals, not {type(value).__name__}")
        return format(value, "f")
    if column.kind == DATE:
        return value.isoformat() if isinstance(value, date) else str(value)
    if column.kind == FLAG:
        return "yes" if value else ""
    if isinstance(value, DomainError):  # a refusal held as a cell: in the reader's words
        return refusal(value, locale)
    if column.label_kind:
        return label(column.label_kind, str(value), locale)
    return str(value)


def _safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def marking_line(table: ReportTable, locale: str = "en") -> str | None:
    """The marking a download carries as its first and last row: both parties' markings
    side by side (``SECRET / 極秘``); None when every order it includes is unclassified."""
    return markings.line(table.marking, lambda message: gettext(message, locale))


def to_csv(table: ReportTable, locale: str = "en", *, keys: bool = False) -> bytes:
    """The table as CSV bytes (UTF-8 with BOM); the header holds titles, or keys.

    A table that includes a classified order has its marking as the first and
    the last row, the header coming second.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    marking = marking_line(table, locale)
    if marking:
        writer.writerow([marking])
    writer.writerow([c.key if keys else gettext(c.title, locale) for c in table.columns])
    for row in table.rows:
        writer.writerow([
            _safe(cell_text(c, v, locale)) if c.kind == TEXT else cell_text(c, v, locale)
            for c, v in zip(table.columns, row, strict=True)
        ])
    if marking:
        writer.writerow([marking])
    return buffer.getvalue().encode("utf-8-sig")


def _sheet_title(text: str) -> str:
    for bad in "[]:*?/\\":
        text = text.replace(bad, " ")
    return text[:31]


def to_xlsx(table: ReportTable, locale: str = "en") -> bytes:
    """The table as an XLSX workbook: the report on sheet 1 (header in row 1), an About sheet.

    A table that includes a classified order has its marking as the first and
    the last row of both sheets, the header then in row 2.
    """
    # Imported here: openpyxl costs ~80 ms to import, and most commands never write XLSX.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    title = label("report", table.kind, locale)
    sheet.title = _sheet_title(title)
    workbook.properties.title = title
    workbook.properties.creator = "ACSA Ledger"
    marking = marking_line(table, locale)
    if marking:
        workbook.properties.keywords = marking
        _marking_row(sheet, marking, len(table.columns))
    header = sheet.max_row + 1 if marking else 1
    sheet.append([gettext(c.title, locale) for c in table.columns])
    for cell in sheet[header]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = _write_rows(sheet, table, locale, header + 1)
    for i, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(i + 1)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = f"A{header + 1}"
    sheet.auto_filter.ref = (f"A{header}:{get_column_letter(len(table.columns))}"
                             f"{header + len(table.rows)}")
    about = workbook.create_sheet("About")
    if marking:
        _marking_row(about, marking, 2)
    about.append([gettext(N_("Report"), locale), title])
    for key, value in table.parameters.items():
        about.append([key, value])
    about.append([gettext(N_("Money"), locale), gettext(N_(
        "Amounts are numbers in the currency of the row, which their number format "
        "names; the CSV download holds them as exact decimal text."), locale)])
    if marking:
        _marking_row(sheet, marking, len(table.columns))
        _marking_row(about, marking, 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _marking_row(sheet: Any, marking: str, width: int) -> None:
    """The marking as the sheet's next row, across ``width`` columns, bold and centred."""
    from openpyxl.styles import Alignment, Font

    sheet.append([marking])
    row = sheet.max_row
    cell = sheet.cell(row=row, column=1)
    cell.data_type = "s"
    cell.font = Font(bold=True, color="9B1C1C")
    cell.alignment = Alignment(horizontal="center")
    if width > 1:
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


def _write_rows(sheet: Any, table: ReportTable, locale: str, first: int) -> list[int]:
    """The table's rows from sheet row ``first`` on; the width each column needs."""
    widths = [len(gettext(c.title, locale)) for c in table.columns]
    for r, row in enumerate(table.rows, start=first):
        for i, (column, value) in enumerate(zip(table.columns, row, strict=True)):
            cell = sheet.cell(row=r, column=i + 1)
            if value is None:
                continue
            if column.kind == DATE and isinstance(value, date):
                cell.value = value
                cell.number_format = "yyyy-mm-dd"
            elif column.kind == INTEGER:
                cell.value = int(value)
            elif column.kind == MONEY and isinstance(value, Money):
                # A number in major units, built exactly from the integer minor units.
                cell.value = value.as_decimal()
                cell.number_format = money_format(value.currency)
            elif column.kind == QUANTITY and isinstance(value, Decimal):
                cell.value = value
                cell.number_format = quantity_format(value)
            else:
                text = cell_text(column, value, locale)
                cell.value = text
                # A string is a string: never a formula, whatever it starts with.
                cell.data_type = "s"
            shown = cell_text(column, value, locale) if column.kind in (MONEY, QUANTITY) \
                else str(cell.value)
            widths[i] = max(widths[i], len(shown) + (len(shown) // 3) + 4)
    return widths


def money_format(currency: str) -> str:
    """The XLSX number format of an amount in ``currency``: thousands separators, the
    currency's digits and its code (``#,##0 "JPY"``, ``#,##0.00 "PHP"``)."""
    digits = minor_units(currency)
    number = "#,##0" + ("." + "0" * digits if digits else "")
    return f'{number} "{currency}";-{number} "{currency}"'


def quantity_format(value: Decimal) -> str:
    """The XLSX number format of a quantity: thousands separators and its own digits."""
    exponent = value.as_tuple().exponent
    digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return "#,##0" + ("." + "0" * digits if digits else "")


# -- the reports ---------------------------------------------------------------------------------

C = Column
ACCOUNT_COLUMNS = tuple(C(k, t, MONEY) for k, t in (
    ("commitment", N_("Committed")), ("receivable", N_("Receivable (not yet invoiced)")),
    ("in_kind", N_("Owed in kind")), ("invoiced", N_("Invoiced, unpaid")),
    ("settled", N_("Settled")), ("written_off", N_("Written off"))))
DEBTOR = C("debtor", N_("Owed by"), CODE)
CREDITOR = C("creditor", N_("Owed to"), CODE)
CURRENCY = C("currency", N_("Currency"), CODE)
ORDER = C("order", N_("Order number"), CODE)


def _statement(uow: UnitOfWork, user: LocalUser, params: Mapping[str, Any]) -> ReportTable:
    partner = params.get("partner")
    if not partner:
        raise InvalidValue(N_("name the partner (a party code)"), field="partner")
    rows = rt.statement(uow, user, str(partner), currency=params.get("currency"),
                        until=params.get("until"))
    # One block of rows per running balance (currency, then direction), each in date order
    # (a stable sort): a balance column never runs across currencies.
    rows = sorted(rows, key=lambda r: (r.currency, r.debtor, r.creditor))
    return ReportTable("statement", (
        C("on", N_("Date"), DATE), ORDER, C("entry", N_("Entry"), CODE, "event"),
        C("reference", N_("Reference")), DEBTOR, CREDITOR, CURRENCY,
        C("charge", N_("Charge"), MONEY), C("credit", N_("Credit"), MONEY),
        C("balance", N_("Balance"), MONEY),
    ), [(r.on, r.order, r.event_type, r.reference, r.debtor, r.creditor, r.currency, r.charge,
         r.credit, r.balance) for r in rows], {"partner": str(partner)})


def _open_orders(uow: UnitOfWork, user: LocalUser, params: Mapping[str, Any]) -> ReportTable:
    rows = rt.open_orders(uow, user, partner=params.get("partner"))
    return ReportTable("open-orders", (
        ORDER, C("status", N_("Status"), CODE, "status"), C("agreement", N_("Agreement"), CODE),
        C("activity", N_("Activity"), CODE), C("requester", N_("Requesting party"), CODE),
        C("supplier", N_("Supplying party"), CODE),
        C("requesting_unit", N_("Requesting unit"), CODE),
        C("supplying_unit", N_("Supplying unit"), CODE),
        C("method", N_("Settlement"), CODE, "method"), CURRENCY,
        C("value", N_("Order value"), MONEY), C("committed", N_("Committed"), MONEY),
        C("outstanding", N_("Outstanding"), MONEY), C("submitted_on", N_("Submitted on"), DATE),
        C("accepted_on", N_("Accepted on"), DATE), C("needed_by", N_("Needed by"), DATE),
        C("emergency", N_("Emergency"), FLAG),
    ), [(r.order, r.status, r.agreement, r.activity, r.requester, r.supplier, r.requesting_unit,
         r.supplying_unit, r.method, r.currency, r.value, r.committed, r.outstanding,
         r.submitted_on, r.accepted_on, r.needed_by, r.emergency) for r in rows])


def _invoices(uow: UnitOfWork, user: LocalUser, params: Mapping[str, Any]) -> ReportTable:
    rows = rt.invoices(uow, user, partner=params.get("partner"))
    return ReportTable("invoices", (
        C("invoice", N_("Invoice number"), CODE), ORDER,
        C("kind", N_("Kind"), CODE, "invoice_kind"), C("issued_on", N_("Invoice date"), DATE),
        C("due_on", N_("Payment due"), DATE), CREDITOR, DEBTOR, CURRENCY,
        C("total", N_("Total"), MONEY), C("credited", N_("Credit notes"), MONEY),
        C("paid", N_("Paid"), MONEY), C("written_off", N_("Written off"), MONEY),
        C("offset", N_("Settled by offset"), MONEY), C("outstanding", N_("Outstanding"), MONEY),
        C("voided_on", N_("Voided on"), DATE), C("event", N_("Event"), CODE),
    ), [(r.invoice, r.order, r.kind, r.issued_on, r.due_on, r.creditor, r.debtor, r.currency,
         r.total, r.credited, r.paid, r.written_off, r.offset, r.outstanding, r.voided_on,
         r.event) for r in rows])


def _aging(uow: UnitOfWork, user: LocalUser, params: Mapping[str, Any]) -> ReportTable:
    clock: Callable[[], datetime] = params.get("clock") or uow.node.clock
    as_of: date | None = params.get("as_of")
    rows = reports.aging(uow, user, clock, as_of=as_of)
    return ReportTable("aging", (
        ORDER, C("kind", N_("Item"), CODE, "due_kind"), C("reference", N_("Reference")),
        DEBTOR, CREDITOR, C("due_on", N_("Due on"), DATE),
        C("days", N_("Days overdue"), INTEGER),
        C("bucket", N_("Aging bucket"), CODE, "aging_bucket"), CURRENCY,
        C("amount", N_("Amount"), MONEY),
    ), [(r.order, r.kind, r.reference, r.debtor, r.creditor, r.due_on, r.days, r.bucket,
         r.amount.currency if r.amount else None, r.amount) for r in rows],
        {"as of": as_of.isoformat() if as_of else
         clock().astimezone(ZoneInfo(user.time_zone)).isoformat(timespec="seconds")})


def _obligations(uow: UnitOfWork, user: LocalUser, params: Mapping[str, Any]) -> ReportTable:
    rows = reports.obligations(uow, user)
    return ReportTable("obligations", (
        ORDER, C("line", N_("No."), INTEGER), C("item", N_("Description")),
        C("owed", N_("Quantity owed"), QUANTITY), C("unit", N_("Unit"), CODE),
        C("due_on", N_("Return due"), DATE), DEBTOR, CREDITOR,
    ), [(r.order, r.line, r.item, r.owed, r.unit, r.due_on, r.debtor, r.creditor)
        for r in rows])


def _ceilings(uow: UnitOfWork, user: LocalUser, params: Mapping[str, Any]) -> ReportTable:
    on = params.get("on") or today_of(uow, user)
    rows = reports.ceilings(uow, user, on)
    return ReportTable("ceilings", (
        C("agreement", N_("Agreement"), CODE), C("party", N_("Party"), CODE),
        C("partner", N_("Partner"), CODE),
        C("direction", N_("Direction"), CODE, "ceiling_direction"),
        C("fiscal_year", N_("Fiscal year"), INTEGER), CURRENCY,
        C("cap", N_("Annual cap"), MONEY), C("used", N_("Used"), MONEY),
        C("remaining", N_("Remaining"), MONEY), C("suspended", N_("Suspended"), FLAG),
        C("scope", N_("Counts orders of"), CODE, "ceiling_scope"),
        C("agreements", N_("Agreements counted"), CODE),
        C("missing_rate", N_("Not counted: rate missing"), TEXT),
    ), [(r.agreement, r.party, r.partner, r.direction, r.fiscal_year, r.cap.currency, r.cap,
         None if r.missing_rate else r.used, None if r.missing_rate else r.cap - r.used,
         r.suspended, r.scope, " ".join(r.agreements),
         r.missing_rate)
        for r in rows], {"on": on.isoformat()})


def _activities(uow: UnitOfWork, user: LocalUser, params: Mapping[str, Any]) -> ReportTable:
    rows = rt.activity_totals(uow, user)
    return ReportTable("activities", (
        C("activity", N_("Activity"), CODE), C("name", N_("Activity name")),
        C("activity_type", N_("Activity type"), CODE, "activity_type"),
        C("requester", N_("Requesting party"), CODE),
        C("supplier", N_("Supplying party"), CODE), CURRENCY,
        C("orders", N_("Number of orders"), INTEGER), C("value", N_("Accepted value"), MONEY),
        *ACCOUNT_COLUMNS, C("outstanding", N_("Outstanding"), MONEY),
    ), [(r.activity, r.name, r.activity_type, r.requester, r.supplier, r.currency, r.orders,
         r.value, *(r.balances[c.key] for c in ACCOUNT_COLUMNS), r.outstanding) for r in rows])


def _year_end(uow: UnitOfWork, user: LocalUser, params: Mapping[str, Any]) -> ReportTable:
    as_of = params.get("as_of")
    if as_of is None:
        party = params.get("party") or uow.node.party
        year = params.get("year")
        if year is None:
            raise InvalidValue(N_("give the cut-off date, or the fiscal year"), field="year")
        as_of = rt.fiscal_year_end(uow, party, int(year))
    rows = rt.year_end(uow, user, as_of)
    # Settled is cumulative: everything settled on or before the cut-off, in any year.
    columns = tuple(C(c.key, N_("Settled to date"), MONEY) if c.key == "settled" else c
                    for c in ACCOUNT_COLUMNS)
    return ReportTable("year-end", (
        C("as_of", N_("Cut-off date"), DATE), DEBTOR, CREDITOR, CURRENCY, *columns,
        C("outstanding", N_("Outstanding"), MONEY),
    ), [(r.as_of, r.debtor, r.creditor, r.currency, *(r.balances[c.key] for c in ACCOUNT_COLUMNS),
         r.outstanding) for r in rows], {"as of": as_of.isoformat()})


def _balances(uow: UnitOfWork, user: LocalUser, params: Mapping[str, Any]) -> ReportTable:
    rows = reports.balances(uow, user)
    kinds = [c.key for c in ACCOUNT_COLUMNS]
    return ReportTable("balances", (
        DEBTOR, CREDITOR, CURRENCY, *ACCOUNT_COLUMNS, C("outstanding", N_("Outstanding"), MONEY),
    ), [(r.debtor, r.creditor, r.currency,
         *(Money(r.currency, r.accounts.get(k, 0)) for k in kinds),
         Money(r.currency, r.outstanding)) for r in rows])


def _missing_evidence(uow: UnitOfWork, user: LocalUser, params: Mapping[str, Any]
                      ) -> ReportTable:
    rows = missing_evidence.missing_evidence(uow, user, partner=params.get("partner"))
    return ReportTable("missing-evidence", (
        ORDER, C("status", N_("Status"), CODE, "status"),
        C("step", N_("Step"), CODE, "action"), C("step_on", N_("Step taken on"), DATE),
        C("event", N_("Event"), CODE),
        C("document", N_("Document missing"), CODE, "evidence_kind"),
        C("before", N_("Needed before"), CODE, "action"),
        C("party", N_("Party to attach it"), CODE),
        C("agreement", N_("Agreement"), CODE), C("version", N_("Profile version"), CODE),
    ), [(r.order, r.status, r.step, r.step_on, r.event, r.document, r.before, r.party,
         r.agreement, r.version) for r in rows])


def _annual(uow: UnitOfWork, user: LocalUser, params: Mapping[str, Any]) -> ReportTable:
    # Imported here: acsa.reports.annual builds on this module (and on fpdf, for its PDF).
    from acsa.reports.annual import annual_table

    return annual_table(uow, user, params)


BUILDERS: dict[str, Callable[[UnitOfWork, LocalUser, Mapping[str, Any]], ReportTable]] = {
    "statement": _statement,
    "open-orders": _open_orders,
    "invoices": _invoices,
    "aging": _aging,
    "obligations": _obligations,
    "ceilings": _ceilings,
    "activities": _activities,
    "year-end": _year_end,
    "balances": _balances,
    "annual": _annual,
    "missing-evidence": _missing_evidence,
}
REPORT_KINDS: tuple[str, ...] = tuple(BUILDERS)
FORMATS = ("csv", "xlsx")
PDF_KINDS = ("annual",)  # reports that also print as a bilingual PDF
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def formats_of(kind: str) -> tuple[str, ...]:
    """The downloads report ``kind`` offers: CSV and XLSX, and PDF for some."""
    return (*FORMATS, "pdf") if kind in PDF_KINDS else FORMATS


def build_table(uow: UnitOfWork, user: LocalUser, kind: str, **params: Any) -> ReportTable:
    """The report ``kind`` as ``user`` may read it (only the orders they may read), as a table.

    Parameters by kind: ``statement`` needs ``partner`` (and takes
    ``currency``, ``until``); ``open-orders`` and ``invoices`` take
    ``partner``; ``aging`` takes ``clock``, or ``as_of`` (a cut-off date: what was due at
    the end of that day, aged then); ``ceilings`` takes ``on``;
    ``year-end`` takes ``as_of``, or ``year`` (and ``party``, default this
    node's) for that party's fiscal year end; ``annual`` takes ``year`` (2026) or
    ``fiscal_year`` (``FY2026``), of the reader's nation; ``missing-evidence`` takes
    ``partner``.
    """
    builder = BUILDERS.get(kind)
    if builder is None:
        raise InvalidValue(N_("'%(kind)s' is not a report; choose one of %(allowed)s"),
                           field="kind", kind=kind, allowed=REPORT_KINDS)
    table = builder(uow, user, params)
    return replace(table, marking=table_marking(uow, user, table))


def table_marking(uow: UnitOfWork, user: LocalUser, table: ReportTable) -> MarkingInfo | None:
    """The marking of what ``table`` includes: the strongest of the orders its rows name or,
    for a table of sums without an order column (balances, ceilings, totals), of every
    order ``user`` may read, since each of them may count in a sum; None when all are
    unclassified."""
    if table.counted is not None:
        return markings.report_marking(uow, table.counted)
    keys = [c.key for c in table.columns]
    if "order" in keys:
        at = keys.index("order")
        return markings.report_marking(uow, (r[at] for r in table.rows if r[at]))
    return markings.readable_marking(uow, user)


def render(table: ReportTable, fmt: str, locale: str = "en") -> bytes:
    """``table`` as ``fmt`` (``csv``, ``xlsx``, or ``pdf`` for :data:`PDF_KINDS`) bytes,
    titles in ``locale`` (a PDF is bilingual)."""
    if fmt == "csv":
        return to_csv(table, locale)
    if fmt == "xlsx":
        return to_xlsx(table, locale)
    if fmt == "pdf" and table.kind in PDF_KINDS:
        from acsa.reports.annual import render_pdf  # fpdf costs ~0.3 s to import

        return render_pdf(table)
    raise InvalidValue(
        N_("'%(fmt)s' is not a format; choose csv or xlsx"),
        field="format", fmt=fmt[:20],
    )


def filename(kind: str, fmt: str, node: str, on: date) -> str:
    """A download's file name: ``acsa-JPN-open-orders-2026-02-03.xlsx``."""
    return f"acsa-{node}-{kind}-{on.isoformat()}.{fmt}"


def aging_bucket_names() -> Sequence[str]:
    return [name for _, name in AGING_BUCKETS]

"""The annual report of cross-servicing: as a report table (CSV, XLSX, the page, the API)
and as a bilingual PDF for legislatures and ministries.

The figures are :func:`acsa.services.annual_report.annual_report`'s, for one reader: only
the orders they may read. What they count — the acceptance date places an order in the
reader's nation's fiscal year, the agreed value and the value delivered and acknowledged,
per currency — is :mod:`acsa.domain.annual`'s definition, printed on the PDF, written on the
XLSX download's About sheet and shown on the page.

The table has one row per currency, direction, partner, method and category, each method,
partner and direction followed by a total row (its ``row`` column says which: ``detail``,
``method_total``, ``partner_total``, ``direction_total``); rows are sorted by currency first,
so each currency is a section of its own. A SUM over the detail rows of one currency gives
its totals (filter ``row`` = ``detail``).

The PDF is A4 landscape, every heading in English and Japanese from the catalogues, the
strongest marking of the orders counted (both parties' words) at the top and bottom of every
page — ``UNCLASSIFIED`` when none is classified — and one section per currency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time
from typing import Any

from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from acsa.domain.annual import DEFINITION, DETAIL, parse_fiscal_year
from acsa.domain.errors import InvalidValue
from acsa.domain.marking import UNCLASSIFIED
from acsa.domain.money import Money
from acsa.i18n import N_, bilingual, format_amount, gettext
from acsa.i18n.labels import source_label
from acsa.reports.documents import FONT, MarkedPaper, grid_of
from acsa.reports.tables import CODE, INTEGER, MONEY, Column, ReportTable
from acsa.services import markings
from acsa.services.annual_report import AnnualReport, annual_report
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser

KIND = "annual"
TITLE = N_("Annual report of cross-servicing")
NOTHING = N_("No order accepted in this fiscal year that you may read.")

C = Column
COLUMNS = (
    C("row", N_("Row"), CODE, "annual_row"),
    C("fiscal_year", N_("Fiscal year"), CODE),
    C("direction", N_("Direction"), CODE, "direction"),
    C("partner", N_("Partner"), CODE),
    C("method", N_("Settlement"), CODE, "method"),
    C("category", N_("Category"), CODE, "category"),
    C("currency", N_("Currency"), CODE),
    C("orders", N_("Number of orders"), INTEGER),
    C("value", N_("Agreed value"), MONEY),
    C("received", N_("Value delivered and acknowledged"), MONEY),
)


def definition(locale: str) -> str:
    """What the report counts, in ``locale``: one paragraph."""
    return " ".join(gettext(sentence, locale) for sentence in DEFINITION)


def year_of(params: Mapping[str, Any]) -> int:
    """The fiscal year asked for: ``fiscal_year`` (``FY2026``) or ``year`` (2026)."""
    given = params.get("fiscal_year") or params.get("year")
    if given is None or given == "":
        raise InvalidValue(N_("give the fiscal year, such as FY2026"), field="year")
    return parse_fiscal_year(given)


def table_of(report: AnnualReport) -> ReportTable:
    """``report`` as a report table."""
    rows = [(r.row, report.label, r.direction, r.partner, r.method, r.category, r.currency,
             r.orders, r.value, r.received) for r in report.rows]
    return ReportTable(KIND, COLUMNS, rows, {
        "fiscal year": report.label, "party": report.party,
        "from": report.first.isoformat(), "to": report.last.isoformat(),
        "as of": report.as_of.isoformat(),
        "definition": f"{definition('en')}\n{definition('ja')}",
    }, counted=report.orders)


def annual_table(uow: UnitOfWork, user: LocalUser, params: Mapping[str, Any]) -> ReportTable:
    """The annual report of the fiscal year in ``params`` as ``user`` may read it."""
    return table_of(annual_report(uow, user, year_of(params)))


# -- PDF -----------------------------------------------------------------------------------


def marking_lines(table: ReportTable) -> str:
    """The marking printed at the top and bottom of every page: both parties' words, in the
    English and (where its phrases differ) the Japanese wording."""
    if table.marking is None or not table.marking.classified:
        return UNCLASSIFIED
    english = markings.text(table.marking, lambda m: gettext(m, "en"))
    japanese = markings.text(table.marking, lambda m: gettext(m, "ja"))
    return english if japanese == english else f"{english}\n{japanese}"


class _Paper(MarkedPaper):
    """A4 landscape, the report's marking at the top and bottom of every page."""

    def __init__(self, table: ReportTable) -> None:
        year = table.parameters.get("fiscal year", "")
        # A fixed date: the same report printed again the same day is the same file.
        day = datetime.fromisoformat(table.parameters.get("as of", "2000-01-01"))
        super().__init__(orientation="L", title=f"{gettext(TITLE, 'en')} {year}",
                         marking=marking_lines(table),
                         running=f"{bilingual(TITLE)} · {year} "
                                 f"{table.parameters.get('party', '')}",
                         printed_at=datetime.combine(day.date(), time(), UTC))


def _heading(pdf: _Paper, text: str) -> None:
    if pdf.get_y() + 30 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font(FONT, "B", 10)
    pdf.set_fill_color(230, 234, 240)
    pdf.cell(0, 6, text, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _title(pdf: _Paper, table: ReportTable) -> None:
    p = table.parameters
    pdf.set_font(FONT, "B", 15)
    pdf.cell(0, 7, gettext(TITLE, "en"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(0, 7, gettext(TITLE, "ja"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    pdf.set_font(FONT, size=9)
    rows = [
        (N_("Fiscal year"), f"{p.get('fiscal year', '')} ({p.get('from', '')} – "
                            f"{p.get('to', '')})"),
        (N_("Reporting party"), p.get("party", "")),
        (N_("As of"), p.get("as of", "")),
    ]
    for name, value in rows:
        pdf.cell(70, 5, bilingual(name))
        pdf.cell(0, 5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _definition(pdf: _Paper) -> None:
    _heading(pdf, bilingual(N_("What this report counts")))
    for locale in ("en", "ja"):
        pdf.set_font(FONT, size=8)
        pdf.multi_cell(0, 4, definition(locale), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)


# (header msgid, width share, alignment) of a currency's table.
PDF_COLUMNS = ((N_("Direction"), 30, "L"), (N_("Partner"), 12, "C"),
               (N_("Settlement"), 30, "L"), (N_("Category"), 46, "L"),
               (N_("Number of orders"), 16, "R"), (N_("Agreed value"), 33, "R"),
               (N_("Value delivered and acknowledged"), 33, "R"))
TOTAL_STYLE = FontFace(emphasis="BOLD", fill_color=(232, 232, 232))


def _cells(row: Mapping[str, Any]) -> list[str]:
    """A row's cells: a total says what it is a total of where its category would be."""
    def named(kind: str, code: str | None) -> str:
        return bilingual(source_label(kind, code), "\n") if code else ""

    what = named("category", row["category"]) if row["row"] == DETAIL \
        else named("annual_row", row["row"])
    value: Money = row["value"]
    received: Money = row["received"]
    return [named("direction", row["direction"]), row["partner"] or "",
            named("method", row["method"]), what, str(row["orders"]),
            format_amount(value, "en"), format_amount(received, "en")]


def _section(pdf: _Paper, currency: str, rows: Sequence[Mapping[str, Any]]) -> None:
    _heading(pdf, f"{bilingual(N_('Currency'))}: {currency}")
    with grid_of(pdf, PDF_COLUMNS) as grid:
        head = grid.row()
        for i, (msgid, _, _) in enumerate(PDF_COLUMNS):
            head.cell(bilingual(msgid, "\n") + (f"\n({currency})" if i >= 5 else ""))
        for row in rows:
            line = grid.row(style=None if row["row"] == DETAIL else TOTAL_STYLE)
            for text in _cells(row):
                line.cell(text)


def render_pdf(table: ReportTable) -> bytes:
    """The annual report ``table`` as a bilingual PDF (A4 landscape, IPA Gothic embedded)."""
    pdf = _Paper(table)
    pdf.add_page()
    _title(pdf, table)
    _definition(pdf)
    rows = table.as_dicts()
    if not rows:
        _heading(pdf, bilingual(N_("Figures")))
        pdf.set_font(FONT, size=9)
        for locale in ("en", "ja"):
            pdf.multi_cell(0, 5, gettext(NOTHING, locale), new_x=XPos.LMARGIN,
                           new_y=YPos.NEXT)
    for currency in sorted({r["currency"] for r in rows}):
        _section(pdf, currency, [r for r in rows if r["currency"] == currency])
    return bytes(pdf.output())

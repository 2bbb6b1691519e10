"""Printable documents as PDF: order form, invoice, delivery waybill, goods-received note.

Each document is bilingual — every heading and label in English and
Japanese, from the catalogues — because both nations' officers read the
same paper. It carries both parties' names and forces, the signatures of
the acts it records with each recording node's key fingerprint, both
parties' markings at the top and bottom of every page, and a QR code whose
payload (:mod:`acsa.reports.qr`) lets anyone check the paper against the
record with ``acsa verify-document``; the payload is also printed as text,
for a reader without a camera.

Japanese needs a CJK font: IPA Gothic from Debian's ``fonts-ipafont-gothic``
(installed by ``make``), found at run time and embedded (subset) in the PDF
so the paper prints the same anywhere. Dates are ISO (``2026-02-03``), which
both languages read alike; amounts carry the ISO currency code.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos
from fpdf.fonts import FontFace
from fpdf.util import Padding

from acsa.domain.errors import DomainError
from acsa.domain.money import Money
from acsa.events import short_fingerprint
from acsa.i18n import N_, bilingual, format_amount, format_quantity, gettext, pgettext
from acsa.i18n.labels import label, source_label
from acsa.reports.linebreak import break_lines
from acsa.reports.qr import qr_png
from acsa.services import markings
from acsa.services.documents import DocumentCheck, DocumentLine, DocumentModel, SignatureBlock

# Where Debian's fonts-ipafont-gothic puts IPA Gothic (the first is the file
# itself, the second the alternatives link the package maintains).
FONT_CANDIDATES: tuple[Path, ...] = (
    # IPA PGothic (proportional) reads better in Latin text; IPA Gothic (fixed
    # width) is the same typeface, from the same package.
    Path("/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf"),
    Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"),
    Path("/usr/share/fonts/truetype/fonts-japanese-gothic.ttf"),
)
FONT_ENV = "ACSA_DOCUMENT_FONT"  # a TrueType font with Japanese glyphs, to override
FONT_PACKAGE = "fonts-ipafont-gothic"
FONT = "acsa-cjk"

MARGIN_MM = 14
WIDTH_SLACK_MM = 0.01  # a line fitted by break_lines is this much narrower than its cell
QR_SIZE_MM = 30

HEADINGS = {
    "order": N_("Order for logistic support, supplies and services"),
    "invoice": N_("Invoice"),
    "waybill": N_("Delivery waybill"),
    "grn": N_("Goods received note"),
}

WARNINGS = {
    "not_binding": N_("Not binding: not yet accepted by the supplying party"),
    "void": N_("VOID: this invoice has been voided"),
    "partial_delivery": N_("Partial delivery: more is to come on this order"),
}

TOTALS = {
    "total": N_("Total"),
    "credited": N_("Credit notes"),
    "paid": N_("Paid"),
    "written_off": N_("Written off"),
    "offset": N_("Settled by offset"),
    "outstanding": N_("Outstanding"),
}


class FontMissing(DomainError):
    """No font with Japanese glyphs is installed, so a bilingual document cannot be made."""

    code = "font_missing"


def find_font() -> Path:
    """The CJK font to embed; :class:`FontMissing` names the package to install."""
    override = os.environ.get(FONT_ENV)
    if override:
        path = Path(override)
        if not path.is_file():
            raise FontMissing(
                N_("%(variable)s=%(override)s is not a font file"),
                field="font", variable=FONT_ENV, override=override,
            )
        return path
    for path in FONT_CANDIDATES:
        if path.is_file():
            return path
    raise FontMissing(
        N_("no Japanese font found (looked in %(parent)s): install the Debian package "
           "%(package)s (`apt-get install %(package)s`, or `make`), or set "
           "%(variable)s"),
        field="font", parent=FONT_CANDIDATES[-1].parent, package=FONT_PACKAGE,
        variable=FONT_ENV,
    )


class MarkedPaper(FPDF):
    """A4 with the marking at the top and bottom of every page, a running line with the
    page numbers above the bottom marking, the CJK font, and lines broken where
    :mod:`acsa.reports.linebreak` allows. Documents and reports print on it."""

    def __init__(self, *, orientation: str, title: str, marking: str, running: str,
                 printed_at: datetime, subject: str = "") -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.marking = marking
        self.running = running
        font = find_font()
        # IPA Gothic has one weight: "bold" is registered as the same face so
        # headings may ask for it; emphasis is given by size instead.
        for style in ("", "B"):
            self.add_font(FONT, style, str(font))
        self.set_margins(MARGIN_MM, MARGIN_MM + 4, MARGIN_MM)
        self.set_auto_page_break(auto=True, margin=MARGIN_MM + 7)
        self.set_title(title)
        if subject:
            self.set_subject(subject)
        self.set_creator("ACSA Ledger")
        self.set_lang("en")
        # A fixed date keeps the same document byte-identical when printed again.
        self.set_creation_date(printed_at.astimezone(UTC))

    def multi_cell(self, w: float, h: float | None = None, text: str = "", *args: Any,
                   **kwargs: Any) -> Any:
        """Every wrapped text of the document, table cells included, breaks its lines where
        :mod:`acsa.reports.linebreak` allows (English between words, Japanese by kinsoku
        rules); fpdf2 then lays the lines out as given."""
        width = w or (self.w - self.r_margin - self.x)
        padding = Padding.new(kwargs.get("padding", 0))
        width -= padding.left + padding.right
        width -= self.c_margin * ((not padding.left) + (not padding.right))
        lines = break_lines(str(text), width - WIDTH_SLACK_MM, self.get_string_width)
        kwargs["wrapmode"] = WrapMode.CHAR  # only ever used on a line that still overflows
        return super().multi_cell(w, h, "\n".join(lines), *args, **kwargs)

    def header(self) -> None:
        self.set_font(FONT, size=9)
        self.set_text_color(160, 0, 0)
        self.set_y(5)
        self.multi_cell(0, 4, self.marking, align=Align.C, new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.set_y(MARGIN_MM + 4)

    def footer(self) -> None:
        self.set_y(-MARGIN_MM - 6)
        self.set_font(FONT, size=7)
        self.set_text_color(90, 90, 90)
        page = bilingual(N_("Page"))
        self.cell(0, 4, f"{self.running} · {page} {self.page_no()}/{{nb}}",
                  align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(160, 0, 0)
        self.set_font(FONT, size=9)
        self.multi_cell(0, 4, self.marking, align=Align.C)
        self.set_text_color(0, 0, 0)


class _Paper(MarkedPaper):
    """A document of one order: both markings, the order's number on every page."""

    def __init__(self, model: DocumentModel) -> None:
        super().__init__(orientation="P", title=f"{source_label('document', model.kind)} "
                         f"{model.order}", subject=model.agreement_title,
                         marking=marking_line(model), running=model.order,
                         printed_at=model.printed_at)
        self.model = model


def marking_line(model: DocumentModel) -> str:
    """Both parties' markings, printed at the top and bottom of every page.

    The level words are the parties' own; where a party's scheme has no
    equivalent, the phrase that says so is printed in English and in Japanese.
    """
    if model.marking_info is None:
        return model.marking
    japanese = markings.text(model.marking_info, lambda m: gettext(m, "ja"))
    return model.marking if japanese == model.marking else f"{model.marking}\n{japanese}"


def _q(value: object) -> str:
    return format_quantity(value, "en") if isinstance(value, Decimal) else ""


def _m(value: Money | None) -> str:
    return format_amount(value, "en") if value is not None else ""


def _height(pdf: _Paper, width: float, line: float, text: str) -> float:
    """The height ``text`` takes in a multi-cell ``width`` wide, in the current font."""
    height = pdf.multi_cell(width, line, text, dry_run=True, output="HEIGHT")
    assert isinstance(height, float | int)  # output="HEIGHT" returns the height alone
    return float(height)


def _labelled(pdf: _Paper, rows: Sequence[tuple[str, str]], width: float,
              label_share: float = 0.40) -> None:
    """Label/value rows in a column ``width`` wide, starting at the current position."""
    x = pdf.get_x()
    label_w = width * label_share
    for name, value in rows:
        y = pdf.get_y()
        pdf.set_font(FONT, size=6.5)
        label_h = _height(pdf, label_w, 3.3, name)
        pdf.set_font(FONT, size=8.5)
        value_h = _height(pdf, width - label_w, 3.9, value or "—")
        if y + max(label_h, value_h) > pdf.page_break_trigger:
            pdf.add_page()
            y = pdf.get_y()
        pdf.set_xy(x, y + 0.3)
        pdf.set_font(FONT, size=6.5)
        pdf.set_text_color(80, 80, 80)
        pdf.multi_cell(label_w, 3.3, name, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT, size=8.5)
        pdf.set_xy(x + label_w, y)
        pdf.multi_cell(width - label_w, 3.9, value or "—", new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
        pdf.set_xy(x, y + max(label_h + 0.3, value_h) + 0.8)


HEADING_MM = 7.8  # what a section heading takes, with the space around it


def _heading(pdf: _Paper, text: str, keep_mm: float = 20) -> None:
    """A section heading, moved to the next page with ``keep_mm`` of what follows it."""
    if pdf.get_y() + HEADING_MM + keep_mm > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(1.5)
    pdf.set_font(FONT, "B", 10)
    pdf.set_fill_color(230, 234, 240)
    pdf.cell(0, 5.5, text, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(0.8)


def _title(pdf: _Paper, model: DocumentModel) -> None:
    top = pdf.get_y()
    text_w = pdf.epw - QR_SIZE_MM - 4
    pdf.set_font(FONT, "B", 15)
    pdf.multi_cell(text_w, 7, gettext(HEADINGS[model.kind], "en"), new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 13)
    pdf.multi_cell(text_w, 7, gettext(HEADINGS[model.kind], "ja"), new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.set_font(FONT, size=7.5)
    pdf.multi_cell(text_w, 3.8, model.agreement_title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    pdf.set_font(FONT, size=8)
    pdf.cell(text_w, 4.5, bilingual(N_("Order number")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 16)
    pdf.cell(text_w, 8, model.order + ("  [E]" if model.emergency else ""),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.image(io.BytesIO(qr_png(model.payload, scale=6, border=2)),
              x=pdf.w - MARGIN_MM - QR_SIZE_MM, y=top, w=QR_SIZE_MM, h=QR_SIZE_MM)
    pdf.set_font(FONT, size=6)
    scan = N_("Scan to check against the record")
    pdf.set_xy(pdf.w - MARGIN_MM - QR_SIZE_MM, top + QR_SIZE_MM + 0.5)
    for locale in ("en", "ja"):
        pdf.multi_cell(QR_SIZE_MM, 2.8, gettext(scan, locale), align=Align.C,
                       new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_y(max(pdf.get_y(), top + QR_SIZE_MM + 8))


def _parties(pdf: _Paper, model: DocumentModel) -> None:
    col = (pdf.epw - 6) / 2
    top = pdf.get_y()
    bottoms = []
    for i, (side, party) in enumerate((("requester", model.requester),
                                       ("supplier", model.supplier))):
        pdf.set_xy(pdf.l_margin + i * (col + 6), top)
        pdf.set_font(FONT, "B", 9)
        pdf.set_fill_color(230, 234, 240)
        pdf.cell(col, 5.5, bilingual(source_label("side", side)), fill=True,
                 new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=9)
        pdf.cell(col, 5, f"{party.name} ({party.code})", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=8)
        pdf.cell(col, 4.5, party.force, new_x=XPos.LEFT, new_y=YPos.NEXT)
        unit = party.unit_name or party.unit or "—"
        if party.unit and party.unit_name:
            unit = f"{party.unit_name} [{party.unit}]"
        pdf.multi_cell(col, 4.5, unit, new_x=XPos.LEFT, new_y=YPos.NEXT)
        bottoms.append(pdf.get_y())
    pdf.set_y(max(bottoms) + 2)


def _details(pdf: _Paper, model: DocumentModel) -> None:
    rows: list[tuple[str, str]] = []
    if model.kind == "invoice":
        rows += [(bilingual(N_("Invoice number")), model.reference),
                 (bilingual(N_("Invoice date")), str(model.issued_on or "")),
                 (bilingual(N_("Payment due")), str(model.due_on or ""))]
    elif model.kind in ("waybill", "grn"):
        what = N_("Delivered on") if model.kind == "waybill" else N_("Received on")
        rows += [(bilingual(N_("Delivery")), model.reference.replace("delivery ", "#")),
                 (bilingual(what), str(model.issued_on or ""))]
    else:
        rows += [(bilingual(N_("Version")), str(model.version)),
                 (bilingual(N_("Accepted on") if model.event.type == "order.accepted"
                            else N_("Submitted on")), str(model.issued_on or ""))]
    rows += [
        (bilingual(N_("Status")), bilingual(source_label("status", model.status))),
        (bilingual(N_("Agreement")), model.agreement),
        (bilingual(N_("Activity")), model.activity if model.activity_name == model.activity
         else f"{model.activity_name} ({model.activity})"),
        (bilingual(N_("Activity type")), bilingual(source_label("activity_type",
                                                                 model.activity_type))),
        (bilingual(N_("Settlement")), bilingual(source_label("method", model.method))),
        (bilingual(N_("Currency")), model.currency),
        (bilingual(N_("Needed by")), str(model.needed_by or "")),
        (bilingual(N_("Deliver to")), model.deliver_to),
        (bilingual(N_("Point of contact")), model.poc),
        (bilingual(N_("Fund citation")), model.fund_citation or ""),
    ]
    if model.implementing_arrangement:
        rows.append((bilingual(N_("Implementing arrangement")), arrangement_text(model)))
    half = (len(rows) + 1) // 2
    col = (pdf.epw - 6) / 2
    top = pdf.get_y()
    pdf.set_x(pdf.l_margin)
    _labelled(pdf, rows[:half], col)
    left_bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + col + 6, top)
    _labelled(pdf, rows[half:], col)
    pdf.set_y(max(left_bottom, pdf.get_y()))
    if model.remarks:
        pdf.set_x(pdf.l_margin)
        _labelled(pdf, [(bilingual(N_("Remarks")), model.remarks)], pdf.epw)


def _columns(kind: str) -> list[tuple[str, float, str]]:
    """(header msgid, width share, alignment) of the line table of ``kind``."""
    if kind == "order":
        return [(N_("No."), 5, "C"), (N_("Category"), 16, "L"), (N_("Description"), 33, "L"),
                (N_("Quantity"), 10, "R"), (N_("Unit"), 7, "C"), (N_("Unit price"), 12, "R"),
                (N_("Amount"), 14, "R")]
    if kind == "invoice":
        return [(N_("No."), 5, "C"), (N_("Delivered on"), 12, "C"),
                (N_("Description"), 37, "L"), (N_("Quantity"), 10, "R"), (N_("Unit"), 7, "C"),
                (N_("Unit price"), 12, "R"), (N_("Amount"), 14, "R")]
    if kind == "waybill":
        return [(N_("No."), 5, "C"), (N_("Category"), 16, "L"), (N_("Description"), 37, "L"),
                (N_("Qty ordered"), 11, "R"), (N_("Qty delivered"), 11, "R"), (N_("Unit"), 7, "C"),
                (N_("Unit price"), 12, "R")]
    return [(N_("No."), 5, "C"), (N_("Description"), 43, "L"), (N_("Qty delivered"), 12, "R"),
            (N_("Qty received"), 12, "R"), (N_("Qty damaged"), 12, "R"), (N_("Unit"), 8, "C")]


def _cells(kind: str, ln: DocumentLine) -> list[str]:
    description = ln.description + (f"\nNSN {ln.nsn}" if ln.nsn else "")
    category = bilingual(source_label("category", ln.category), "\n")
    if kind == "order":
        return [str(ln.no), category, description, _q(ln.quantity), ln.unit,
                _q(ln.unit_price), _m(ln.amount)]
    if kind == "invoice":
        return [str(ln.no), str(ln.on or ""), description, _q(ln.quantity), ln.unit,
                _q(ln.unit_price), _m(ln.amount)]
    if kind == "waybill":
        return [str(ln.no), category, description, _q(ln.ordered), _q(ln.quantity), ln.unit,
                _q(ln.unit_price)]
    return [str(ln.no), description, _q(ln.delivered), _q(ln.quantity), _q(ln.damaged),
            ln.unit]


def grid_of(pdf: MarkedPaper, columns: Sequence[tuple[str, float, str]]) -> Any:
    """A table of ``columns`` (heading msgid, width, alignment) in the documents' style,
    its headings repeated on each page; a context manager yielding the table."""
    pdf.set_font(FONT, size=7.5)
    return pdf.table(
        col_widths=tuple(w for _, w, _ in columns),
        text_align=tuple(a for _, _, a in columns),
        line_height=3.8,
        headings_style=FontFace(fill_color=(230, 234, 240), size_pt=7),
        repeat_headings=1,
        padding=0.8,
    )


def _lines(pdf: _Paper, model: DocumentModel) -> None:
    _heading(pdf, bilingual(N_("Lines")))
    columns = _columns(model.kind)
    with grid_of(pdf, columns) as table:
        head = table.row()
        for msgid, _, _ in columns:
            head.cell(bilingual(msgid, "\n"))
        for ln in model.lines:
            row = table.row()
            for text in _cells(model.kind, ln):
                row.cell(text)


def arrangement_text(model: DocumentModel) -> str:
    """The cited arrangement: its identifier, and its title and the supplier's service
    branch when it is a countersigned one of the register."""
    parts = [model.implementing_arrangement or "", model.arrangement_title or "",
             model.arrangement_branch or ""]
    return " — ".join(p for p in parts if p)


TOTALS_W_MM = 80  # the totals, right-aligned; an invoice's remittance details to their left
AMOUNT_W_MM = 40


def _totals(pdf: _Paper, model: DocumentModel) -> None:
    """The totals under the lines and, on an invoice, where to pay beside them."""
    if not model.totals:
        return
    rows = _remittance_rows(model) if model.kind == "invoice" else []
    left_w = pdf.epw - TOTALS_W_MM - 4
    pdf.set_font(FONT, size=8.5)
    needed = max(5.0 * len(model.totals), 12 + sum(
        _height(pdf, left_w * 0.7, 3.9, value) + 1.1 for _, value in rows))
    if pdf.get_y() + 1 + needed > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(1)
    top = pdf.get_y()
    x = pdf.l_margin + pdf.epw - TOTALS_W_MM
    for key, amount in model.totals:
        pdf.set_x(x)
        pdf.set_font(FONT, "B" if key in ("total", "outstanding") else "", 9)
        pdf.cell(TOTALS_W_MM - AMOUNT_W_MM, 5, bilingual(TOTALS.get(key, key)), align=Align.R)
        pdf.cell(AMOUNT_W_MM, 5, f"{_m(amount)} {amount.currency}", align=Align.R,
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    bottom = pdf.get_y()
    if model.kind == "invoice":
        pdf.set_xy(pdf.l_margin, top)
        _remittance(pdf, model, rows, left_w)
    pdf.set_y(max(bottom, pdf.get_y()))


REMITTANCE_FIELDS = (
    ("payee", N_("Payee")),
    ("office", N_("Payment office")),
    ("bank", N_("Bank")),
    ("account_number", N_("Account number")),
    ("swift_bic", N_("SWIFT/BIC")),
    ("instructions", N_("Instructions")),
)
REMITTANCE_MISSING = N_("Remittance details are not set in the agreement profile.")
REMITTANCE_PLACEHOLDER = N_("Placeholders in the agreement profile: confirm before paying.")


def _remittance_rows(model: DocumentModel) -> list[tuple[str, str]]:
    """(label, value) of the supplier's remittance details that the profile sets."""
    if model.remittance is None:
        return []
    rows = [(bilingual(msgid), getattr(model.remittance, key))
            for key, msgid in REMITTANCE_FIELDS]
    return [(name, value) for name, value in rows if value]


def _remittance(pdf: _Paper, model: DocumentModel, rows: Sequence[tuple[str, str]],
                width: float) -> None:
    """Where to pay this invoice, from the supplier's part of the agreement profile."""
    pdf.set_font(FONT, "B", 8.5)
    pdf.multi_cell(width, 4.5, bilingual(N_("Remit payment to")), new_x=XPos.LEFT,
                   new_y=YPos.NEXT)
    notes = []
    if not rows:
        notes.append(REMITTANCE_MISSING)
    elif model.remittance_placeholder:
        notes.append(REMITTANCE_PLACEHOLDER)
    for note in notes:
        pdf.set_text_color(170, 0, 0)
        pdf.set_font(FONT, size=7)
        for locale in ("en", "ja"):
            pdf.multi_cell(width, 3.2, gettext(note, locale), new_x=XPos.LEFT,
                           new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
    _labelled(pdf, rows, width, label_share=0.3)


def _signature_block(pdf: _Paper, s: SignatureBlock, x: float, width: float) -> None:
    """One signed act: what, who, role, unit, when, and the recording node's key."""
    pdf.set_xy(x, pdf.get_y())
    pdf.set_font(FONT, "B", 8)
    pdf.multi_cell(width, 3.9, bilingual(source_label("event", s.event_type)),
                   new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=7)
    lines = [
        f"{s.name} — {bilingual(source_label('role', s.role))}",
        f"{unit_of_force_label()}: {s.unit or '—'}",
        f"{bilingual(N_('Date'))}: {_when(s)}",
        f"{bilingual(N_('Recorded by node'))}: {s.party} · {short_fingerprint(s.key)}",
    ]
    if s.paper:
        lines.append(bilingual(N_("Signed on paper; recorded by the other party")))
    for text in lines:
        pdf.multi_cell(width, 3.3, text, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=5.5)
    pdf.set_text_color(80, 80, 80)
    # Each hex value in two fixed halves: the block is as tall whatever its digits, whose
    # widths differ in the font, so the page's layout does not depend on a key or hash.
    pdf.multi_cell(width, 2.4, f"{bilingual(N_('Key fingerprint'))}:\n{_halves(s.key)}\n"
                   f"{bilingual(N_('Event'))}:\n{_halves(s.event)}",
                   new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)


def _halves(value: str) -> str:
    """``ed25519:`` and 64 hex digits, or 64 hex digits, as two lines of 32 digits."""
    prefix, sep, digits = value.rpartition(":")
    half = len(digits) // 2
    return f"{prefix}{sep}{digits[:half]}\n{digits[half:]}"


def _when(s: SignatureBlock) -> str:
    """The act's date and its recording time in UTC, the day written once when the same."""
    day, time = s.at[:10], s.at[11:16]
    if s.on is not None and s.on.isoformat() == day:
        return f"{day} ({time} UTC)"
    return f"{s.on or ''} ({day} {time} UTC)"


def unit_of_force_label() -> str:
    """"Unit" as in a military unit (部隊), not a unit of measure (単位)."""
    english = pgettext("military unit", "Unit", "en")
    return f"{english} / {pgettext('military unit', 'Unit', 'ja')}"


def _signatures(pdf: _Paper, model: DocumentModel) -> None:
    _heading(pdf, bilingual(N_("Signatures")), keep_mm=32)
    # Three acts side by side (an invoice's), else two to a row.
    per_row = 3 if len(model.signatures) % 3 == 0 else 2
    gap = 4
    col = (pdf.epw - gap * (per_row - 1)) / per_row
    for i in range(0, len(model.signatures), per_row):
        row = model.signatures[i:i + per_row]
        # Keep a row of signature blocks on one page.
        if pdf.get_y() + 36 > pdf.page_break_trigger:
            pdf.add_page()
        top = pdf.get_y()
        bottoms = []
        for j, s in enumerate(row):
            pdf.set_y(top)
            _signature_block(pdf, s, pdf.l_margin + j * (col + gap), col)
            bottoms.append(pdf.get_y())
        pdf.set_y(max(bottoms) + 2)


def _warnings(pdf: _Paper, model: DocumentModel) -> None:
    for code in model.warnings:
        text = bilingual(WARNINGS.get(code, code))
        if code == "void" and model.voided_on:
            text += f" ({model.voided_on})"
        pdf.set_font(FONT, "B", 10)
        pdf.set_text_color(170, 0, 0)
        pdf.multi_cell(0, 6, text, border=1, align=Align.C, new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1)


def _notes(pdf: _Paper, model: DocumentModel) -> None:
    rows = []
    if model.note:
        rows.append((bilingual(N_("Note")), model.note))
    for e in model.evidence:
        rows.append((bilingual(N_("Evidence")), f"{e.name} ({e.media_type}, {e.size} B)\n"
                     f"SHA-256 {e.sha256}"))
    if rows:
        _heading(pdf, bilingual(N_("Notes and evidence")))
        _labelled(pdf, rows, pdf.epw)


CHECK_TEXT = N_(
    "The QR code holds the order number and the hash and signature of the signed event "
    "this document prints. Check a copy with the node's scan page or with: "
    "acsa verify-document --payload TEXT")


def _check_parts(model: DocumentModel) -> list[tuple[float, float, str]]:
    """(font size, line height, text) of the closing section, in order."""
    printed = f"{bilingual(N_('Printed'))}: {printed_time(model.printed_at)} · " \
        f"{model.printed_by} · {bilingual(source_label('event', model.event.type))} " \
        f"{model.event.stream} #{model.event.seq}"
    return [(6, 2.9, gettext(CHECK_TEXT, "en")), (6, 2.9, gettext(CHECK_TEXT, "ja")),
            (5.5, 2.6, model.payload), (6.5, 3.2, printed)]


def _check(pdf: _Paper, model: DocumentModel) -> None:
    """How to check the paper against the record, kept whole on one page."""
    parts = _check_parts(model)
    height = 0.0
    for size, line, text in parts:
        pdf.set_font(FONT, size=size)
        height += _height(pdf, pdf.epw, line, text) + 0.5
    _heading(pdf, bilingual(N_("Checking this document")), keep_mm=height)
    for size, line, text in parts:
        pdf.set_font(FONT, size=size)
        pdf.multi_cell(0, line, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(0.5)


def printed_time(at: datetime) -> str:
    """When a copy was printed, in the zone of ``at`` (the reader's) with its offset:
    ``2026-12-02 18:05 UTC+09:00``, or ``… UTC`` for UTC itself."""
    offset = at.strftime("%z")
    zone = "UTC" if offset in ("", "+0000") else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{at.strftime('%Y-%m-%d %H:%M')} {zone}"


def render_pdf(model: DocumentModel) -> bytes:
    """The document as PDF bytes (A4, IPA Gothic embedded)."""
    pdf = _Paper(model)
    pdf.add_page()
    _title(pdf, model)
    _warnings(pdf, model)
    _parties(pdf, model)
    _details(pdf, model)
    _lines(pdf, model)
    _totals(pdf, model)
    _notes(pdf, model)
    _signatures(pdf, model)
    _check(pdf, model)
    return bytes(pdf.output())


def describe_check(check: DocumentCheck, locale: str) -> dict[str, object]:
    """A document check for a page in ``locale``: a translated verdict, findings, proofs."""
    verdict = N_("The document matches the record") if check.ok else N_(
        "The document does NOT match the record")
    return {
        "ok": check.ok,
        "verdict": gettext(verdict, locale),
        "findings": [{"code": f.code, "title": label("finding", f.code, locale),
                      "detail": f.message} for f in check.findings],
        "proves": [gettext(template, locale) % params for template, params in check.proves()],
        "summary": list(check.summary),
        "event_type": label("event", check.event_type, locale) if check.event_type else None,
        "order_status": label("status", check.order_status, locale)
        if check.order_status else None,
    }

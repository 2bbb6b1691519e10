"""The claim notice (債権発生通知書) of one receivable, as a bilingual PDF.

It tells the nation's revenue collection officer (歳入徴収官) that a claim arose: the
creditor and debtor, the legal basis (the agreement and its article, from the
profile), the order and invoice numbers, the amount and currency, the due date, where
the debtor pays (the profile's remittance details) and the issuing official. The
layout is provisional until the official template is available, and says so.

It is drawn with the machinery of the other documents (:mod:`acsa.reports.documents`):
the same A4 paper with both parties' markings at the top and bottom of every page (a
classified order's notice carries its marking), the same line breaking, the
remittance block of the invoice, and the invoice's QR code and check text, so that
``acsa verify-document`` checks a notice against the signed invoice it rests on.
"""

from __future__ import annotations

import io

from fpdf.enums import Align, XPos, YPos

from acsa.domain.money import Money
from acsa.i18n import N_, bilingual, format_amount, gettext
from acsa.i18n.labels import source_label
from acsa.reports.documents import (
    FONT,
    MARGIN_MM,
    QR_SIZE_MM,
    _check,
    _heading,
    _labelled,
    _Paper,
    _remittance,
    _remittance_rows,
    arrangement_text,
    unit_of_force_label,
)
from acsa.reports.qr import qr_png
from acsa.services.claims import ClaimNoticeModel

TITLE = N_("Claim notice")
PROVISIONAL = N_("Provisional layout until the official template is available")
ARTICLE_MISSING = N_("Not set in the agreement profile")
ARTICLE_PLACEHOLDER = N_("A placeholder in the agreement profile: confirm it before use.")
NOT_SENT = N_("Not yet sent to the revenue collection officer")


def _money(minor: int, currency: str) -> str:
    return f"{format_amount(Money(currency, minor), 'en')} {currency}"


def _title(pdf: _Paper, model: ClaimNoticeModel) -> None:
    top = pdf.get_y()
    text_w = pdf.epw - QR_SIZE_MM - 4
    pdf.set_font(FONT, "B", 15)
    pdf.multi_cell(text_w, 7, gettext(TITLE, "en"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 13)
    pdf.multi_cell(text_w, 7, gettext(TITLE, "ja"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=8)
    pdf.cell(text_w, 4.5, bilingual(N_("Invoice number")), new_x=XPos.LMARGIN,
             new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 16)
    pdf.cell(text_w, 8, model.receivable.invoice, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.image(io.BytesIO(qr_png(model.document.payload, scale=6, border=2)),
              x=pdf.w - MARGIN_MM - QR_SIZE_MM, y=top, w=QR_SIZE_MM, h=QR_SIZE_MM)
    pdf.set_y(max(pdf.get_y(), top + QR_SIZE_MM + 2))
    pdf.set_font(FONT, "B", 9.5)
    pdf.set_text_color(170, 0, 0)
    pdf.multi_cell(0, 5, bilingual(PROVISIONAL), border=1, align=Align.C,
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1.5)


def _parties(pdf: _Paper, model: ClaimNoticeModel) -> None:
    col = (pdf.epw - 6) / 2
    top = pdf.get_y()
    bottoms = []
    sides = ((N_("Creditor"), model.receivable.creditor, model.creditor_name,
              model.creditor_force, model.document.supplier.unit_name),
             (N_("Debtor"), model.receivable.debtor, model.debtor_name, model.debtor_force,
              model.document.requester.unit_name))
    for i, (heading, code, name, force, unit) in enumerate(sides):
        pdf.set_xy(pdf.l_margin + i * (col + 6), top)
        pdf.set_font(FONT, "B", 9)
        pdf.set_fill_color(230, 234, 240)
        pdf.cell(col, 5.5, bilingual(heading), fill=True, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=9)
        pdf.multi_cell(col, 5, f"{name} ({code})", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=8)
        pdf.multi_cell(col, 4.5, force, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.multi_cell(col, 4.5, f"{unit_of_force_label()}: {unit or '—'}", new_x=XPos.LEFT,
                       new_y=YPos.NEXT)
        bottoms.append(pdf.get_y())
    pdf.set_y(max(bottoms) + 2)


def _article(model: ClaimNoticeModel) -> str:
    if not model.article:
        return bilingual(ARTICLE_MISSING)
    if model.article_placeholder:
        return f"{model.article}\n{bilingual(ARTICLE_PLACEHOLDER)}"
    return model.article


def _claim(pdf: _Paper, model: ClaimNoticeModel) -> None:
    r = model.receivable
    _heading(pdf, bilingual(N_("Claim")))
    rows = [
        (bilingual(N_("Legal basis")), model.agreement_title),
        (bilingual(N_("Article")), _article(model)),
        (bilingual(N_("Agreement")), r.agreement),
        (bilingual(N_("Order number")), r.order),
        (bilingual(N_("Invoice number")), r.invoice),
        (bilingual(N_("Kind")), bilingual(source_label("invoice_kind", r.kind))),
        (bilingual(N_("Invoice date")), r.issued_on.isoformat()),
        (bilingual(N_("Amount claimed")), _money(r.total, r.currency)),
        (bilingual(N_("Outstanding")), _money(r.outstanding, r.currency)),
        (bilingual(N_("Currency")), r.currency),
        (bilingual(N_("Payment due")), r.due_on.isoformat()),
    ]
    pdf.set_x(pdf.l_margin)
    _labelled(pdf, rows, pdf.epw, label_share=0.3)


def _payment(pdf: _Paper, model: ClaimNoticeModel) -> None:
    """Where the debtor pays: the creditor's payment office and remittance details."""
    rows = _remittance_rows(model.document)
    _heading(pdf, bilingual(N_("Payment office and remittance details")))
    if model.document.implementing_arrangement:
        pdf.set_x(pdf.l_margin)
        _labelled(pdf, [(bilingual(N_("Implementing arrangement")),
                         arrangement_text(model.document))], pdf.epw, label_share=0.3)
    pdf.set_x(pdf.l_margin)
    _remittance(pdf, model.document, rows, pdf.epw)


def _official(pdf: _Paper, model: ClaimNoticeModel) -> None:
    _heading(pdf, bilingual(N_("Issuing official")), keep_mm=40)
    r = model.receivable
    sent = bilingual(NOT_SENT)
    if r.notice is not None:
        sent = f"{r.notice.sent_on.isoformat()} — {r.notice.sent_to} " \
               f"({r.notice.recorded_by_name})"
    rows = [
        (bilingual(N_("Name")), f"{model.issued_by} ({model.issued_by_id})"),
        (bilingual(N_("Role")), bilingual(source_label("role", "finance_officer"))),
        (unit_of_force_label(), ", ".join(model.issued_by_units) or "—"),
        (bilingual(N_("Date")), model.issued_on.isoformat()),
        (bilingual(N_("Revenue collection officer")), sent),
    ]
    pdf.set_x(pdf.l_margin)
    _labelled(pdf, rows, pdf.epw, label_share=0.3)
    pdf.ln(2)
    pdf.set_font(FONT, size=8)
    pdf.cell(60, 12, bilingual(N_("Signature and seal")), border="B",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_notice(model: ClaimNoticeModel) -> bytes:
    """The claim notice as PDF bytes (A4, markings on every page, IPA Gothic embedded)."""
    pdf = _Paper(model.document)
    pdf.set_title(f"{gettext(TITLE, 'en')} {model.receivable.invoice}")
    pdf.add_page()
    _title(pdf, model)
    _parties(pdf, model)
    _claim(pdf, model)
    _payment(pdf, model)
    _official(pdf, model)
    _check(pdf, model.document)
    return bytes(pdf.output())

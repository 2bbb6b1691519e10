"""How printed documents lay out: line breaks, page breaks, labels and remittance details.

Each check reads the PDF back as text (pdftotext), the way a reader's tools see it.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from fpdf import FPDF

from acsa.domain.agreement import Remittance
from acsa.domain.money import Money
from acsa.reports.documents import FONT, find_font, render_pdf
from acsa.reports.linebreak import break_lines
from acsa.services.documents import DocumentLine, DocumentModel, document_model
from acsa.services.unit_of_work import UnitOfWork
from needs import tool_or_skip

ENGLISH = ("Petroleum, oils and lubricants for disaster relief, delivered to the "
           "evacuation centre by a well-known contractor before the typhoon season")
JAPANESE = ("災害救援のための燃料、油脂及び潤滑油（「軽油」及び「灯油」）を、台風の季節の前に"
            "避難所へ引き渡した。ちょっとしたキャッシュバックは含まれない。")
NOT_AT_LINE_START = "、。，．）」』】・ー？！ゃゅょっャュョッ"
NOT_AT_LINE_END = "（「『【"


def pdf_text(path: Path, *, layout: bool = True) -> str:
    tool = tool_or_skip("pdftotext", "poppler-utils")
    args = [tool, *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout


def pages(path: Path) -> list[str]:
    return pdf_text(path).split("\f")[:-1]


@cache
def measure(size: float = 8.5) -> FPDF:
    """A PDF to measure text with, in the documents' font (one, kept open)."""
    pdf = FPDF()
    pdf.add_font(FONT, "", str(find_font()))
    pdf.set_font(FONT, size=size)
    return pdf


# -- line breaking ---------------------------------------------------------------------


def test_english_breaks_between_words_and_after_hyphens():
    pdf = measure()
    lines = break_lines(ENGLISH, 30, pdf.get_string_width)
    assert len(lines) > 4
    assert " ".join(lines).split() == ENGLISH.split()  # no word cut in two
    assert all(pdf.get_string_width(line) <= 30 for line in lines)
    hyphened = break_lines("well-known contractor", pdf.get_string_width("well-kno"),
                           pdf.get_string_width)
    assert hyphened[0] == "well-"


def test_a_word_wider_than_the_column_is_still_cut():
    pdf = measure()
    digest = "a0dd4971de52154953af550e486cd35824c5855c18f3654261fc9cd18877ba7b"
    lines = break_lines(f"Event {digest}", 25, pdf.get_string_width)
    assert "".join(lines[1:]) == digest and len(lines) > 2
    assert all(pdf.get_string_width(line) <= 25 for line in lines)


def test_japanese_breaks_between_characters_by_kinsoku_rules():
    pdf = measure()
    for width in (12, 17, 23, 31, 40):
        lines = break_lines(JAPANESE, width, pdf.get_string_width)
        assert "".join(lines) == JAPANESE
        assert all(pdf.get_string_width(line) <= width for line in lines)
        assert not [ln for ln in lines[1:] if ln[0] in NOT_AT_LINE_START], width
        assert not [ln for ln in lines if ln[-1] in NOT_AT_LINE_END], width


# -- on the paper -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def invoice(world) -> DocumentModel:  # type: ignore[no-untyped-def]
    with UnitOfWork(world.pair.jpn, write=False) as uow:
        return document_model(uow, "invoice", world.cash.number)


def test_remarks_wrap_at_words_and_by_kinsoku_on_the_paper(invoice, tmp_path):
    path = tmp_path / "remarks.pdf"
    path.write_bytes(render_pdf(replace(invoice, remarks=f"{ENGLISH}\n{JAPANESE}")))
    text = pdf_text(path)
    block = text[text.index("Remarks"):text.index("Lines /")]
    lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
    lines[0] = lines[0].split("  ")[-1].strip()  # the label's line: its value only
    print("\n".join(lines))
    english = [ln for ln in lines if ln.isascii()]
    japanese = [ln for ln in lines if not ln.isascii()]
    assert len(english) > 1 and len(japanese) > 1
    assert " ".join(english).split() == ENGLISH.split()
    assert "".join(japanese) == JAPANESE
    assert not [ln for ln in japanese[1:] if ln[0] in NOT_AT_LINE_START]
    assert not [ln for ln in japanese if ln[-1] in NOT_AT_LINE_END]


def test_the_signature_block_names_the_military_unit_not_a_unit_of_measure(invoice, tmp_path):
    path = tmp_path / "invoice.pdf"
    path.write_bytes(render_pdf(invoice))
    text = pdf_text(path, layout=False)
    assert "Unit / 部隊: JMSDF-ESF1" in text and "Unit / 部隊: AFP-TOG1" in text
    assert "Unit / 単位:" not in text
    assert "単位" in text  # the lines' unit of measure keeps its word


def test_an_ordinary_invoice_is_one_page_with_both_markings(invoice, tmp_path):
    path = tmp_path / "invoice.pdf"
    path.write_bytes(render_pdf(invoice))
    printed = pages(path)
    assert len(printed) == 1, printed[1:]
    [page] = printed
    lines = [ln.strip() for ln in page.splitlines() if ln.strip()]
    assert lines[0] == lines[-1] == "UNCLASSIFIED"
    assert "Page / ページ 1/1" in page and "acsa verify-document" in page


def long_invoice(invoice: DocumentModel, count: int = 70) -> DocumentModel:
    line = invoice.lines[0]
    lines = tuple(replace(line, no=i + 1, description=f"{ENGLISH} ({i + 1})",
                          amount=Money("JPY", 1000 * (i + 1)), quantity=Decimal(i + 1))
                  for i in range(count))
    return replace(invoice, lines=lines)


def test_a_long_invoice_paginates_with_header_and_footer_on_every_page(invoice, tmp_path):
    path = tmp_path / "long.pdf"
    path.write_bytes(render_pdf(long_invoice(invoice)))
    printed = pages(path)
    assert len(printed) > 2
    for n, page in enumerate(printed, start=1):
        lines = [ln.strip() for ln in page.splitlines() if ln.strip()]
        assert lines[0] == lines[-1] == "UNCLASSIFIED", n
        assert f"Page / ページ {n}/{len(printed)}" in page
        assert len(lines) > 8, f"page {n} is all but blank"
    # The line table's headings repeat on each page the table runs on.
    assert all("Description" in page for page in printed[:-1])
    assert "acsa verify-document" in printed[-1]


def test_the_invoice_says_where_to_pay(invoice, tmp_path):
    assert invoice.remittance is None  # the shipped profiles set none
    path = tmp_path / "unset.pdf"
    path.write_bytes(render_pdf(invoice))
    text = pdf_text(path, layout=False)
    assert "Remit payment to / 送金先" in text
    assert "Remittance details are not set in the agreement profile" in " ".join(text.split())
    remittance = Remittance(payee="PLACEHOLDER Japan Maritime Self-Defense Force Finance Office",
                            bank="PLACEHOLDER Bank, Yokosuka branch",
                            account_number="PLACEHOLDER-0000000",
                            instructions="Quote the invoice number")
    path = tmp_path / "set.pdf"
    path.write_bytes(render_pdf(replace(invoice, remittance=remittance,
                                        remittance_placeholder=True)))
    text = " ".join(pdf_text(path, layout=False).split())
    for expected in ("Payee / 受取人", "Bank / 銀行", "PLACEHOLDER-0000000",
                     "Quote the invoice number", "Placeholders in the agreement profile",
                     "仮の値"):
        assert expected in text, expected
    assert "not set in the agreement profile" not in text
    assert len(pages(path)) == 1


def test_only_invoices_carry_remittance(world):
    with UnitOfWork(world.pair.jpn, write=False) as uow:
        order = document_model(uow, "order", world.cash.number)
    assert order.remittance is None and not isinstance(order.lines[0], str)
    assert isinstance(order.lines[0], DocumentLine)

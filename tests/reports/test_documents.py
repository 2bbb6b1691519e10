"""Printed documents of an order taken through a whole cash lifecycle on two nodes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from acsa.domain.figures import status
from acsa.events import short_fingerprint
from acsa.reports import documents as pdf_documents
from acsa.reports.documents import FontMissing, find_font, render_pdf
from acsa.reports.qr import qr_png, qr_svg
from acsa.services.documents import (
    DocumentUnavailable,
    document_model,
    parse_payload,
    verify_document,
)
from acsa.services.recording import order_state
from acsa.services.unit_of_work import UnitOfWork
from needs import tool_or_skip

from .lifecycle import run_cash_lifecycle

KINDS = ("order", "invoice", "waybill", "grn")
MM = 100 / 25.4  # pixels per millimetre at 100 dpi


def pdf_text(path: Path) -> str:
    tool = tool_or_skip("pdftotext", "poppler-utils")
    return subprocess.run([tool, "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout


def render_page(path: Path, out: Path, dpi: int = 100) -> Path:
    tool = tool_or_skip("pdftoppm", "poppler-utils")
    subprocess.run([tool, "-r", str(dpi), "-png", "-f", "1", "-l", "1", "-singlefile",
                    str(path), str(out)], check=True, timeout=60)
    return out.with_suffix(".png")


def dark_share(image: Image.Image, box_mm: tuple[float, float, float, float]) -> float:
    """The share of dark pixels in a box given in millimetres from the top left."""
    region = image.convert("L").crop(tuple(int(v * MM) for v in box_mm))
    histogram = region.histogram()  # pixels per grey level, 0 black to 255 white
    return sum(histogram[:128]) / sum(histogram)


def test_documents_of_a_settled_cash_order_on_both_nodes(pair, tmp_path):
    cash = run_cash_lifecycle(pair)
    for node in (pair.jpn, pair.phl):
        with UnitOfWork(node, write=False) as uow:
            state = order_state(uow, cash.number)
            assert status(state, uow.context.profile(state.profile)).value == "settled"
            printed = {kind: document_model(uow, kind, cash.number) for kind in KINDS}
            # Each document prints the event that makes it: one node's paper checks
            # on either node, whichever recorded the event.
            for kind, model in printed.items():
                check = verify_document(uow, model.payload)
                assert check.ok, (node.party, kind, check.findings)
                path = tmp_path / f"{node.party}-{kind}.pdf"
                path.write_bytes(render_pdf(model))
                assert cash.number in pdf_text(path)
        assert printed["order"].event.hash == cash.accepted
        assert printed["invoice"].event.hash == cash.invoice
        assert printed["waybill"].event.hash == cash.deliveries[-1]
        assert printed["grn"].event.hash == cash.receipts[-1]
        signers = {(s.event_type, s.party, s.key) for s in printed["order"].signatures}
        assert signers == {("order.submitted", "PHL", pair.phl.key.fingerprint),
                           ("order.accepted", "JPN", pair.jpn.key.fingerprint)}


@pytest.fixture(scope="module")
def printed(world, tmp_path_factory):  # type: ignore[no-untyped-def]
    directory = tmp_path_factory.mktemp("pdf")
    out = {}
    with UnitOfWork(world.pair.jpn, write=False) as uow:
        for kind in KINDS:
            model = document_model(uow, kind, world.cash.number)
            path = directory / f"{kind}.pdf"
            path.write_bytes(render_pdf(model))
            out[kind] = (model, path)
    return out


def test_the_order_form_carries_both_parties_markings_and_key_fingerprints(world, printed):
    model, path = printed["order"]
    assert model.requester.name == "Republic of the Philippines"
    assert model.supplier.force == "Japan Self-Defense Forces"
    assert model.supplier.unit == "JMSDF-ESF1"
    assert model.marking == "UNCLASSIFIED"
    assert [str(ln.amount) for ln in model.lines] == ["1525000 JPY", "1500 JPY"]
    assert model.totals == (("total", model.lines[0].amount + model.lines[1].amount),)  # type: ignore[operator]
    text = pdf_text(path)
    for expected in ("Republic of the Philippines", "Japan Self-Defense Forces",
                     "物品役務提供要請書", "要請国", "提供国", "UNCLASSIFIED",
                     short_fingerprint(world.pair.jpn.key.fingerprint),
                     short_fingerprint(world.pair.phl.key.fingerprint)):
        assert expected in text, expected


def test_the_invoice_shows_its_lines_totals_and_payment(world, printed):
    model, path = printed["invoice"]
    assert model.reference == world.cash.invoice_number
    assert [(k, str(m)) for k, m in model.totals] == [
        ("total", "1526500 JPY"), ("paid", "1526500 JPY"), ("outstanding", "0 JPY")]
    assert [s.event_type for s in model.signatures] == [
        "order.submitted", "order.accepted", "invoice.issued"]
    text = pdf_text(path)
    assert world.cash.invoice_number in text and "1,526,500 JPY" in text and "請求書" in text


def test_waybill_and_goods_received_note_pick_a_delivery(world):
    with UnitOfWork(world.pair.phl, write=False) as uow:
        first = document_model(uow, "waybill", world.cash.number, ref="1")
        grn = document_model(uow, "grn", world.cash.number, ref="1")
        latest = document_model(uow, "waybill", world.cash.number)
    assert first.event.hash == world.cash.deliveries[0] and first.note.startswith("Tanker")
    assert [str(ln.quantity) for ln in first.lines] == ["6000"]
    assert "partial_delivery" in first.warnings
    assert grn.event.hash == world.cash.receipts[0] and grn.event.signer == "PHL"
    assert latest.event.hash == world.cash.deliveries[1]


def test_no_document_before_its_event(world):
    with UnitOfWork(world.pair.jpn, write=False) as uow:
        with pytest.raises(DocumentUnavailable):
            document_model(uow, "invoice", world.open_order)
        order = document_model(uow, "order", world.open_order)
        assert order.currency == "PHP" and str(order.totals[0][1]) == "49390.00 PHP"


def test_the_order_number_is_extractable_text_on_every_document(world, printed):
    for kind, (model, path) in printed.items():
        text = pdf_text(path)
        assert world.cash.number in text, kind
        assert model.payload in text.replace("\n", "").replace(" ", ""), kind


def test_japanese_glyphs_really_render(printed, tmp_path):
    _, path = printed["invoice"]
    fonts = subprocess.run([tool_or_skip("pdffonts", "poppler-utils"), str(path)],
                           capture_output=True, text=True, check=True).stdout
    assert "IPAPGothic" in fonts or "IPAGothic" in fonts
    assert " yes yes yes " in fonts  # embedded, subset, with a Unicode map
    text = pdf_text(path)
    assert "請求書" in text and "支払期限" in text
    image = Image.open(render_page(path, tmp_path / "invoice"))
    assert image.size[0] == pytest.approx(210 * MM, abs=2)
    # The Japanese title line sits below the English one, 25 to 32 mm from the top.
    japanese_title = dark_share(image, (14, 25, 40, 32))
    english_title = dark_share(image, (14, 18, 40, 25))
    blank_margin = dark_share(image, (0, 60, 12, 120))
    assert japanese_title > 0.05, "the Japanese heading rendered blank"
    assert english_title > 0.05
    assert blank_margin == 0


def test_the_qr_code_on_the_paper_reads_back_as_the_payload(printed, tmp_path):
    # zbar-tools is optional (only `verify-document --image` uses it): skip without it.
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.skip("zbarimg is not installed (Debian package zbar-tools, optional)")
    model, path = printed["grn"]
    page = render_page(path, tmp_path / "grn", dpi=200)
    read = subprocess.run([zbarimg, "--quiet", "--raw", str(page)], capture_output=True,
                          text=True, check=True).stdout.strip()
    assert read == model.payload
    assert parse_payload(read).event_hash == model.event.hash


def test_qr_images_for_the_web_page(printed):
    model, _ = printed["order"]
    png = qr_png(model.payload)
    assert png.startswith(b"\x89PNG")
    svg = qr_svg(model.payload)
    assert svg.startswith("<svg") and "<script" not in svg


def test_a_missing_font_names_the_package_to_install(monkeypatch, tmp_path):
    monkeypatch.delenv(pdf_documents.FONT_ENV, raising=False)
    monkeypatch.setattr(pdf_documents, "FONT_CANDIDATES", (tmp_path / "none.ttf",))
    with pytest.raises(FontMissing, match="fonts-ipafont-gothic"):
        find_font()
    monkeypatch.setenv(pdf_documents.FONT_ENV, str(tmp_path / "nothing.ttf"))
    with pytest.raises(FontMissing, match="not a font file"):
        find_font()


def test_the_same_document_prints_byte_identical(world):
    with UnitOfWork(world.pair.jpn, write=False) as uow:
        a = render_pdf(document_model(uow, "invoice", world.cash.number))
        b = render_pdf(document_model(uow, "invoice", world.cash.number))
    assert a == b

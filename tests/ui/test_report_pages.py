"""Report pages and downloads, printed documents, the scan page and evidence files,
through the real app over the seeded demo's JPN node."""

from __future__ import annotations

import csv
import html
import io
import re
import subprocess
from datetime import date, datetime
from decimal import Decimal

import pytest
import segno
from openpyxl import load_workbook

from acsa.devtools.world import user_id
from acsa.domain.parties import Role
from acsa.reports import tables
from acsa.services import users
from acsa.services.documents import document_model, payload_of_event
from acsa.services.unit_of_work import UnitOfWork
from needs import tool_or_skip

from ._reports_fixtures import (  # noqa: F401 - the fixture is used by name
    HTML,
    PNG,
    SECRET,
    TODAY,
    Demo,
    client_for,
    demo_fixture,
    report_path,
)
from .test_refusal_language import titled

KINDS_WITHOUT_DEMO_ROWS = {"ceilings"}  # the Japan–Philippines profile sets no ceiling
PARAMS = {"statement": {"partner": "PHL"}, "year-end": {"year": 2026}, "annual": {"year": 2025}}


def finance(uow: UnitOfWork) -> users.LocalUser:
    """The reader the pages below are read by: JPN's finance officer, without clearance."""
    return users.get_user(uow, user_id("JPN", Role.FINANCE_OFFICER))


def cells(row_html: str) -> list[str]:
    found = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row_html, flags=re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in found]


def page_table(text: str) -> tuple[list[str], list[list[str]]]:
    """The header and body rows of the report table on a page."""
    table = re.search(r'<table class="report">(.*?)</table>', text, flags=re.S)
    assert table, "no report table on the page"
    head = re.search(r"<thead>(.*?)</thead>", table.group(1), flags=re.S)
    body = re.search(r"<tbody>(.*?)</tbody>", table.group(1), flags=re.S)
    assert head and body
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), flags=re.S)
    return cells(head.group(1)), [cells(r) for r in rows]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "CSV carries a byte order mark"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


# -- reports ----------------------------------------------------------------------------------


def test_pages_need_a_login(demo: Demo) -> None:
    with client_for(demo.jpn) as anonymous:
        for path in ("/reports", "/reports/aging", "/reports/aging.csv", "/scan",
                     f"/documents/order-form/{demo.visible}",
                     f"/evidence/{demo.files['ticket.png']}"):
            r = anonymous.get(path, follow_redirects=False)
            assert r.status_code == 303, path
            assert r.headers["location"].startswith("/auth/login?next="), path


# Reports that list no amounts or quantities: which document a step lacks.
KINDS_WITHOUT_AMOUNTS = frozenset({"missing-evidence"})


def test_the_index_links_every_report(demo: Demo) -> None:
    r = demo.finance.get("/reports")
    assert r.status_code == 200
    for kind in tables.REPORT_KINDS:
        assert f'href="/reports/{kind}"' in r.text


@pytest.mark.parametrize("kind", tables.REPORT_KINDS)
def test_each_report_page_shows_its_table(demo: Demo, kind: str) -> None:
    r = demo.finance.get(report_path(kind))
    assert r.status_code == 200, r.text
    assert f'href="/reports/{kind}.csv' in r.text and f'href="/reports/{kind}.xlsx' in r.text
    if kind in KINDS_WITHOUT_DEMO_ROWS:
        assert '<table class="report">' not in r.text
        return
    header, rows = page_table(r.text)
    assert rows, f"{kind}: no rows"
    assert all(len(row) == len(header) for row in rows)
    # Amounts are right-aligned (a list of missing documents has none).
    if kind not in KINDS_WITHOUT_AMOUNTS:
        assert re.search(r'<td class="num">', r.text)


@pytest.mark.parametrize("kind", ["balances", "aging", "statement"])
def test_balance_and_aging_reports_draw_charts(demo: Demo, kind: str) -> None:
    r = demo.finance.get(report_path(kind))
    assert r.status_code == 200
    assert '<div class="charts">' in r.text and "<svg" in r.text


@pytest.mark.parametrize("kind", sorted(set(tables.REPORT_KINDS) - KINDS_WITHOUT_DEMO_ROWS))
def test_csv_and_xlsx_downloads_match_the_page(demo: Demo, kind: str) -> None:
    page = demo.finance.get(report_path(kind))
    header, rows = page_table(page.text)
    query = report_path(kind).partition("?")[2]
    suffix = f"?{query}" if query else ""

    got = demo.finance.get(f"/reports/{kind}.csv{suffix}")
    assert got.status_code == 200
    assert got.headers["content-type"] == tables.MEDIA_TYPES["csv"]
    name = tables.filename(kind, "csv", "JPN", TODAY)
    assert got.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert got.headers["x-content-type-options"] == "nosniff"
    data = read_csv(got.content)
    assert data[0] == header  # the same translated titles
    assert len(data) - 1 == len(rows)
    # Codes (order and invoice numbers, parties, currencies) read the same on the page.
    with UnitOfWork(demo.jpn, write=False) as uow:
        columns = tables.build_table(uow, finance(uow), kind, **PARAMS.get(kind, {})).columns
    codes = [i for i, c in enumerate(columns)
             if c.kind == tables.CODE and not c.label_kind and c.key != "event"]
    assert codes, kind
    for i in codes:
        assert [r[i] for r in rows] == [d[i] for d in data[1:]], columns[i].key

    # The ?format= form gives the same file.
    again = demo.finance.get(f"/reports/{kind}?{query}&format=csv" if query
                             else f"/reports/{kind}?format=csv")
    assert again.content == got.content

    xlsx = demo.finance.get(f"/reports/{kind}.xlsx{suffix}")
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"] == tables.MEDIA_TYPES["xlsx"]
    assert tables.filename(kind, "xlsx", "JPN", TODAY) in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    values = [[xlsx_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert values[0] == data[0]
    # Cells hold what the CSV holds (CSV prefixes formula-like text with ', XLSX does not;
    # amounts and quantities are numbers in XLSX, exact decimal text in CSV).
    raw = list(sheet.iter_rows(values_only=True))[1:]
    for csv_row, cells, shown in zip(data[1:], raw, values[1:], strict=True):
        for text, cell, value in zip(csv_row, cells, shown, strict=True):
            if isinstance(cell, int | float) and not isinstance(cell, bool):
                assert Decimal(text) == Decimal(str(cell)), (text, cell)
            else:
                assert text.lstrip("'") == value


def test_a_statement_with_money_matches_the_ledger_exactly(demo: Demo) -> None:
    data = read_csv(demo.finance.get("/reports/statement.csv?partner=PHL&currency=JPY").content)
    assert len(data) > 1
    header = data[0]
    with UnitOfWork(demo.jpn, write=False) as uow:
        table = tables.build_table(uow, finance(uow), "statement", partner="PHL", currency="JPY")
    expected = [[tables.cell_text(c, v, "ja") for c, v in zip(table.columns, row, strict=True)]
                for row in table.rows]
    assert len(header) == len(table.columns)
    assert data[1:] == expected


@pytest.mark.parametrize(("path", "field"), [
    ("/reports/statement?partner=XXX", "partner"),
    ("/reports/statement?partner=", "partner"),
    ("/reports/statement?partner=PHL&currency=ZZZ", "currency"),
    ("/reports/statement?partner=PHL&until=2026-02-30", "until"),
    ("/reports/ceilings?on=yesterday", "on"),
    ("/reports/year-end?year=twenty", "year"),
    ("/reports/year-end?year=2026&party=USA", "party"),
    ("/reports/year-end.csv?as_of=31/03/2026", "as_of"),
    ("/reports/statement.xlsx", "partner"),
])
def test_a_bad_parameter_shows_the_form_with_the_field_named(demo: Demo, path: str,
                                                             field: str) -> None:
    r = demo.finance.get(path)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert f'id="err-{field}"' in r.text
    assert re.search(rf'id="{field}" name="{field}"[^>]*aria-invalid="true"', r.text), r.text
    assert '<table class="report">' not in r.text


def test_a_first_visit_asks_for_what_the_report_needs(demo: Demo) -> None:
    r = demo.finance.get("/reports/statement")
    assert r.status_code == 200
    assert '<table class="report">' not in r.text and 'id="err-' not in r.text


@pytest.mark.parametrize("path", ["/reports/nothing", "/reports/aging.pdf",
                                  "/reports/nothing.csv"])
def test_an_unknown_report_or_format_is_not_found(demo: Demo, path: str) -> None:
    assert demo.finance.get(path).status_code == 404


def test_registers_leave_out_orders_the_reader_may_not_read(demo: Demo) -> None:
    finance = demo.finance.get("/reports/open-orders.csv").content.decode("utf-8-sig")
    auditor = demo.auditor.get("/reports/open-orders.csv").content.decode("utf-8-sig")
    assert demo.visible in finance and demo.visible in auditor
    assert demo.hidden not in finance
    assert demo.hidden in auditor
    assert demo.hidden not in demo.finance.get("/reports/open-orders").text


# -- documents -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["order-form", "waybill"])
def test_a_document_is_a_pdf(demo: Demo, kind: str) -> None:
    r = demo.finance.get(f"/documents/{kind}/{demo.visible}")
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"%PDF")
    assert r.headers["content-type"] == "application/pdf"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("inline; filename=") and disposition.count(".pdf") == 2
    assert "/" not in disposition.split(";")[1]


def test_an_invoice_is_printed_by_its_number(demo: Demo) -> None:
    with UnitOfWork(demo.jpn, write=False) as uow:
        table = tables.build_table(uow, finance(uow), "invoices")
    invoice, order = table.rows[0][0], table.rows[0][1]
    r = demo.finance.get(f"/documents/invoice/{order}", params={"ref": invoice})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    missing = demo.finance.get(f"/documents/invoice/{order}", params={"ref": "INV/NONE/1"})
    assert missing.status_code == 422 and titled(missing.text, "unknown_reference")


def test_a_document_not_yet_available_is_refused_on_a_page(demo: Demo) -> None:
    with UnitOfWork(demo.jpn, write=False) as uow:
        table = tables.build_table(uow, finance(uow), "open-orders")
    submitted = next(r[0] for r in table.rows if r[1] == "submitted")
    r = demo.finance.get(f"/documents/waybill/{submitted}")  # nothing delivered yet
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert titled(r.text, "document_unavailable")


def test_a_document_of_an_order_the_user_may_not_read_is_refused(demo: Demo) -> None:
    r = demo.finance.get(f"/documents/order-form/{demo.hidden}")
    assert r.status_code == 404 and not r.content.startswith(b"%PDF")
    assert demo.finance.get(f"/documents/waybill/{demo.hidden}").status_code == 404
    assert demo.finance.get("/documents/order-form/JP-PH/PHL/FY2026/99999").status_code == 404
    allowed = demo.auditor.get(f"/documents/order-form/{demo.hidden}")
    assert allowed.status_code == 200 and allowed.content.startswith(b"%PDF")


def test_an_unknown_document_kind_is_not_found(demo: Demo) -> None:
    assert demo.finance.get(f"/documents/receipt/{demo.visible}").status_code == 404


# -- the scan page ---------------------------------------------------------------------------


def _payload(demo: Demo) -> str:
    with UnitOfWork(demo.jpn, write=False) as uow:
        printed = document_model(uow, "waybill", demo.visible).event.hash
        return payload_of_event(uow, demo.visible, printed)


def _scan(demo: Demo, payload: str, **extra: object):  # type: ignore[no-untyped-def]
    return demo.finance.post("/scan", data={"csrf_token": demo.csrf, "payload": payload},
                             **extra)


def test_the_scan_page_has_a_field_for_the_scanner(demo: Demo) -> None:
    r = demo.finance.get("/scan")
    assert r.status_code == 200
    assert 'name="payload"' in r.text and "autofocus" in r.text
    assert 'enctype="multipart/form-data"' in r.text and 'name="csrf_token"' in r.text


def test_a_scanned_payload_matches_the_record(demo: Demo) -> None:
    r = _scan(demo, _payload(demo))
    assert r.status_code == 200, r.text
    assert 'class="verdict match"' in r.text
    assert demo.visible in r.text and "✔" in r.text
    assert 'class="findings"' not in r.text
    # The figures to compare with the paper are grouped as the paper prints them.
    figures = re.findall(r'<th scope="row">(?:line \d+|total)</th><td>([^<]*)</td>', r.text)
    assert figures, r.text
    assert not [f for f in figures if re.search(r"(?<![\d,.])\d{4,}", f)], figures


def test_one_changed_character_does_not_match(demo: Demo) -> None:
    payload = _payload(demo)
    prefix, order, event_hash, rest = payload.split("|", 3)
    changed = event_hash[:10] + ("0" if event_hash[10] != "0" else "1") + event_hash[11:]
    r = _scan(demo, "|".join((prefix, order, changed, rest)))
    assert r.status_code == 200
    assert 'class="verdict mismatch"' in r.text and "bad_signature" in r.text


def test_text_that_is_no_document_code_does_not_match(demo: Demo) -> None:
    r = _scan(demo, "hello")
    assert r.status_code == 200
    assert 'class="verdict mismatch"' in r.text and "malformed" in r.text


def test_an_empty_scan_is_asked_again_and_a_missing_token_refused(demo: Demo) -> None:
    r = _scan(demo, "   ")
    assert r.status_code == 422 and 'id="err-payload"' in r.text
    refused = demo.finance.post("/scan", data={"payload": _payload(demo)})
    assert refused.status_code == 403


def test_a_photo_of_the_code_is_read_with_zbarimg(demo: Demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tool_or_skip("zbarimg", "zbar-tools")
    image = tmp_path / "code.png"
    segno.make(_payload(demo), error="m").save(str(image), scale=6, border=4)
    with image.open("rb") as photo:
        r = demo.finance.post("/scan", data={"csrf_token": demo.csrf, "payload": ""},
                              files={"image": ("code.png", photo, "image/png")})
    assert r.status_code == 200, r.text
    assert 'class="verdict match"' in r.text


def test_a_photo_without_a_code_is_asked_again(demo: Demo) -> None:
    tool_or_skip("zbarimg", "zbar-tools")
    r = demo.finance.post("/scan", data={"csrf_token": demo.csrf},
                          files={"image": ("blank.png", PNG, "image/png")})
    assert r.status_code == 422 and 'id="err-image"' in r.text


def test_a_printed_pdf_carries_a_code_that_checks(demo: Demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pdftoppm = tool_or_skip("pdftoppm", "poppler-utils")
    tool_or_skip("zbarimg", "zbar-tools")
    pdf = tmp_path / "waybill.pdf"
    pdf.write_bytes(demo.finance.get(f"/documents/waybill/{demo.visible}").content)
    subprocess.run([pdftoppm, "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=60)
    page = next(tmp_path.glob("page*.png"))
    r = demo.finance.post("/scan", data={"csrf_token": demo.csrf},
                          files={"image": ("page.png", page.read_bytes(), "image/png")})
    assert r.status_code == 200, r.text
    assert 'class="verdict match"' in r.text and demo.visible in r.text


# -- evidence files ----------------------------------------------------------------------------


def test_an_evidence_image_is_served_inline_and_sandboxed(demo: Demo) -> None:
    r = demo.finance.get(f"/evidence/{demo.files['ticket.png']}")
    assert r.status_code == 200
    assert r.content == PNG
    assert r.headers["content-type"] == "image/png"
    assert r.headers["content-disposition"].startswith('inline; filename="ticket.png"')
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"] == "sandbox"


def test_other_evidence_is_a_download(demo: Demo) -> None:
    r = demo.finance.get(f"/evidence/{demo.files['note.html']}")
    assert r.status_code == 200 and r.content == HTML
    assert r.headers["content-disposition"].startswith('attachment; filename="note.html"')
    assert r.headers["content-security-policy"] == "sandbox"


def test_evidence_of_an_order_the_user_may_not_read_is_not_found(demo: Demo) -> None:
    sha = demo.files["secret.txt"]
    r = demo.finance.get(f"/evidence/{sha}")
    assert r.status_code == 404 and SECRET not in r.content
    allowed = demo.auditor.get(f"/evidence/{sha}")
    assert allowed.status_code == 200 and allowed.content == SECRET


@pytest.mark.parametrize("name", ["0" * 64, "not-a-hash", "A" * 64])
def test_unknown_evidence_is_not_found(demo: Demo, name: str) -> None:
    assert demo.finance.get(f"/evidence/{name}").status_code == 404


def test_the_order_page_links_resolve(demo: Demo) -> None:
    """Every document and evidence link on the order page answers."""
    page = demo.finance.get(f"/orders/{demo.visible}").text
    links = {html.unescape(h) for h in re.findall(r'href="(/(?:documents|evidence)/[^"]+)"',
                                                  page)}
    assert any(link.startswith("/evidence/") for link in links)
    for link in sorted(links):
        assert demo.finance.get(link).status_code == 200, link


def test_the_fixture_day_is_the_node_day(demo: Demo) -> None:
    assert demo.jpn.clock().date() == TODAY == date(2026, 12, 1)


def test_a_scanned_invoice_shows_its_total_grouped(demo: Demo) -> None:
    with UnitOfWork(demo.jpn, write=False) as uow:
        table = tables.build_table(uow, finance(uow), "invoices")
        row = table.as_dicts()[0]
        printed = document_model(uow, "invoice", row["order"], ref=row["invoice"]).event.hash
        payload = payload_of_event(uow, row["order"], printed)
    r = _scan(demo, payload)
    assert r.status_code == 200 and 'class="verdict match"' in r.text, r.text
    [total] = re.findall(r'<th scope="row">total</th><td>([^<]*)</td>', r.text)
    exact = row["total"]
    assert exact.minor >= 100_000  # a figure with thousands to group
    assert "," in total and total.replace(",", "") == f"{exact.text()} {exact.currency}"

"""The annual report of cross-servicing, with figures worked out by hand.

The world, read by Japan (fiscal year 2026 = 1 April 2026 – 31 March 2027); "accepted" is the
date that places an order in a year:

====  ==========  ======  ====  =======================================  ===========
 key  direction   method  cur.  lines (quantity × unit price)             accepted on
====  ==========  ======  ====  =======================================  ===========
 A    transfer    cash    JPY   pol 1,000 L × 152.5 = 152,500;           2026-04-01
                                water 2,000 L × 0.75 = 1,500
 B    transfer    rik     JPY   food 300 EA × 1,250 = 375,000             2026-06-15
 C    acquisition eve     PHP   transportation 10 TRIP × 8,500.50          2026-07-01
                                = 85,005.00
 D    acquisition cash    PHP   billeting 40 NIGHT × 1,234.75 = 49,390.00; 2027-03-31
                                water 500 L × 2.50 = 1,250.00
 E    acquisition cash    PHP   water 100 L × 3 = 300.00                  2026-03-31 (FY2025)
 F    acquisition cash    PHP   water 200 L × 2 = 400.00                  2027-04-01 (FY2027)
 G    transfer    cash    JPY   pol 100 L × 152.5 = 15,250, SECRET        2026-05-01
 H    transfer    cash    JPY   water 10 L × 0.75, submitted only         never
====  ==========  ======  ====  =======================================  ===========

Delivered and acknowledged: on A, all the diesel and 1,000 L of water (152,500 + 750 =
153,250); on C, 4 trips (34,002.00). Nothing else.

So, for a reader who may not read G (JPY section first, then PHP):

- transfers, PHL, cash: pol 1 order 152,500 / 152,500; water 1 order 1,500 / 750;
  method total 1 order 154,000 / 153,250;
- transfers, PHL, rik: food 1 order 375,000 / 0; method total the same;
- transfers, PHL total: 2 orders 529,000 / 153,250; direction total the same;
- acquisitions, PHL, cash: billeting 1 order 49,390.00 / 0; water 1 order 1,250.00 / 0;
  method total 1 order (D counted once) 50,640.00 / 0;
- acquisitions, PHL, eve: transportation 1 order 85,005.00 / 34,002.00;
- acquisitions, PHL total: 2 orders 135,645.00 / 34,002.00.

A reader cleared for G sees the cash pol row at 2 orders, 167,750 / 152,500, and the
transfer totals at 3 orders, 544,250 / 153,250.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from acsa.bootstrap import init_node
from acsa.config import Settings
from acsa.devtools.world import as_official, introduce, staff_node, user_id
from acsa.domain.annual import parse_fiscal_year
from acsa.domain.errors import InvalidValue
from acsa.domain.parties import Role
from acsa.reports.tables import build_table, render, to_csv, to_xlsx
from acsa.services import orders, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from clearing import clear
from integration.conftest import FixedClock, Pair

from .test_documents import pdf_text

UNITS = {"JPN": ("JGSDF-1HB", "JMSDF-ESF1"), "PHL": ("AFP-TOG1", "AFP-1ID")}


def _terms(requester: str, method: str, lines: list[tuple[str, str, str, str]]
           ) -> dict[str, Any]:
    supplier = "JPN" if requester == "PHL" else "PHL"
    return {
        "agreement": "JPN-PHL-ACSA", "activity": "KAMANDAG-10",
        "activity_type": "bilateral_training", "requester": requester, "supplier": supplier,
        "requesting_unit": UNITS[requester][0], "method": method,
        "currency": "JPY" if supplier == "JPN" else "PHP",
        "needed_by": "2027-06-30", "deliver_to": "Subic Bay", "poc": "Capt. Reyes",
        "fund_citation": f"{requester}-FY26-OPS-0042",
        "lines": [{"no": i, "category": c, "description": c.title(), "quantity": q,
                   "unit": u, "unit_price": p} for i, (c, q, u, p) in enumerate(lines, 1)],
    }


def _order(p: Pair, requester: str, method: str, lines: list[tuple[str, str, str, str]],
           accepted: date | None, marking: dict[str, str] | None = None) -> str:
    req, sup = (p.phl, p.jpn) if requester == "PHL" else (p.jpn, p.phl)
    p.set_day(date(2026, 3, 20) if accepted is None else min(accepted, date(2026, 3, 20)))
    kw = {"marking": marking} if marking else {}
    number: str = as_official(req, Role.ORDERING_OFFICIAL, orders.submit_order,
                              _terms(requester, method, lines), **kw).envelope.subject
    p.carry(req, sup)
    if accepted is not None:
        p.set_day(accepted)
        as_official(sup, Role.APPROVING_OFFICIAL, orders.accept, number,
                    supplying_unit=UNITS[sup.party][1])
        p.carry(sup, req)
    return number


def _deliver(p: Pair, requester: str, number: str, lines: list[tuple[int, str]],
             on: date) -> None:
    req, sup = (p.phl, p.jpn) if requester == "PHL" else (p.jpn, p.phl)
    p.set_day(on)
    as_official(sup, Role.SUPPLY_OFFICER, orders.deliver, number, lines)
    p.carry(sup, req)
    as_official(req, Role.RECEIVING_OFFICIAL, orders.receive, number, "1")
    p.carry(req, sup)


def build_world(p: Pair) -> dict[str, str]:
    clear(p.jpn, Role.APPROVING_OFFICIAL, "極秘")  # to accept G
    w = {
        "A": _order(p, "PHL", "cash", [("pol", "1000", "L", "152.5"),
                                       ("water", "2000", "L", "0.75")], date(2026, 4, 1)),
        "B": _order(p, "PHL", "rik", [("food", "300", "EA", "1250")], date(2026, 6, 15)),
        "C": _order(p, "JPN", "eve", [("transportation", "10", "TRIP", "8500.50")],
                    date(2026, 7, 1)),
        "D": _order(p, "JPN", "cash", [("billeting", "40", "NIGHT", "1234.75"),
                                       ("water", "500", "L", "2.50")], date(2027, 3, 31)),
        "E": _order(p, "JPN", "cash", [("water", "100", "L", "3")], date(2026, 3, 31)),
        "F": _order(p, "JPN", "cash", [("water", "200", "L", "2")], date(2027, 4, 1)),
        "G": _order(p, "PHL", "cash", [("pol", "100", "L", "152.5")], date(2026, 5, 1),
                    marking={"level": "SECRET"}),
        "H": _order(p, "PHL", "cash", [("water", "10", "L", "0.75")], None),
    }
    _deliver(p, "PHL", w["A"], [(1, "1000"), (2, "1000")], date(2026, 4, 10))
    _deliver(p, "JPN", w["C"], [(1, "4")], date(2026, 7, 20))
    p.set_day(date(2027, 5, 10))
    return w


@pytest.fixture(scope="module")
def annual_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pair, dict]]:
    base = tmp_path_factory.mktemp("annual")
    nodes = []
    for party in ("JPN", "PHL"):
        node = init_node(Settings(data_dir=base / party.lower()), party)
        node.clock = FixedClock(datetime(2026, 3, 1, 3, tzinfo=UTC))
        staff_node(node, ["JPN-PHL-ACSA"])
        nodes.append(node)
    introduce(*nodes)
    p = Pair(nodes[0], nodes[1], base / "bundles")
    p.carry(p.phl, p.jpn)
    p.carry(p.jpn, p.phl)
    yield p, build_world(p)
    for node in nodes:
        node.engine.dispose()


def reader(node: Node, clearance: str | None) -> Any:
    clear(node, Role.FINANCE_OFFICER, clearance)
    with UnitOfWork(node, write=False) as uow:
        return users.get_user(uow, user_id(node.party, Role.FINANCE_OFFICER))


def rows_of(node: Node, clearance: str | None, year: object = "FY2026") -> list[tuple]:
    with UnitOfWork(node, write=False) as uow:
        table = build_table(uow, reader(node, clearance), "annual", fiscal_year=year)
    return [(r["row"], r["direction"], r["partner"], r["method"], r["category"],
             r["currency"], r["orders"], r["value"].text(), r["received"].text())
            for r in table.as_dicts()]


UNCLEARED_FY2026 = [
    ("detail", "transfer", "PHL", "cash", "pol", "JPY", 1, "152500", "152500"),
    ("detail", "transfer", "PHL", "cash", "water", "JPY", 1, "1500", "750"),
    ("method_total", "transfer", "PHL", "cash", None, "JPY", 1, "154000", "153250"),
    ("detail", "transfer", "PHL", "rik", "food", "JPY", 1, "375000", "0"),
    ("method_total", "transfer", "PHL", "rik", None, "JPY", 1, "375000", "0"),
    ("partner_total", "transfer", "PHL", None, None, "JPY", 2, "529000", "153250"),
    ("direction_total", "transfer", None, None, None, "JPY", 2, "529000", "153250"),
    ("detail", "acquisition", "PHL", "cash", "billeting", "PHP", 1, "49390.00", "0.00"),
    ("detail", "acquisition", "PHL", "cash", "water", "PHP", 1, "1250.00", "0.00"),
    ("method_total", "acquisition", "PHL", "cash", None, "PHP", 1, "50640.00", "0.00"),
    ("detail", "acquisition", "PHL", "eve", "transportation", "PHP", 1, "85005.00",
     "34002.00"),
    ("method_total", "acquisition", "PHL", "eve", None, "PHP", 1, "85005.00", "34002.00"),
    ("partner_total", "acquisition", "PHL", None, None, "PHP", 2, "135645.00", "34002.00"),
    ("direction_total", "acquisition", None, None, None, "PHP", 2, "135645.00",
     "34002.00"),
]


def test_fiscal_year_2026_by_hand(annual_world):
    p, _ = annual_world
    assert rows_of(p.jpn, None) == UNCLEARED_FY2026


def test_an_order_the_reader_may_not_read_is_left_out_of_every_total(annual_world):
    p, w = annual_world
    cleared = rows_of(p.jpn, "極秘")
    changed = {r[:6]: r[6:] for r in cleared} .items() - {r[:6]: r[6:]
                                                          for r in UNCLEARED_FY2026}.items()
    assert dict(changed) == {
        ("detail", "transfer", "PHL", "cash", "pol", "JPY"): (2, "167750", "152500"),
        ("method_total", "transfer", "PHL", "cash", None, "JPY"): (2, "169250", "153250"),
        ("partner_total", "transfer", "PHL", None, None, "JPY"): (3, "544250", "153250"),
        ("direction_total", "transfer", None, None, None, "JPY"): (3, "544250", "153250"),
    }
    # The marking is G's only when G counts.
    tables = {}
    for clearance in (None, "極秘"):
        who = reader(p.jpn, clearance)
        with UnitOfWork(p.jpn, write=False) as uow:
            tables[clearance] = build_table(uow, who, "annual", year=2026)
    hidden, shown = tables[None], tables["極秘"]
    assert hidden.marking is None and w["G"] not in (hidden.counted or ())
    assert shown.marking is not None and w["G"] in (shown.counted or ())
    first = to_csv(shown).decode("utf-8-sig").splitlines()[0]
    assert first == "SECRET / 極秘"


def test_the_years_either_side_hold_only_their_own_orders(annual_world):
    p, _ = annual_world
    assert rows_of(p.jpn, None, 2025) == [
        ("detail", "acquisition", "PHL", "cash", "water", "PHP", 1, "300.00", "0.00"),
        ("method_total", "acquisition", "PHL", "cash", None, "PHP", 1, "300.00", "0.00"),
        ("partner_total", "acquisition", "PHL", None, None, "PHP", 1, "300.00", "0.00"),
        ("direction_total", "acquisition", None, None, None, "PHP", 1, "300.00", "0.00"),
    ]
    assert [r[7] for r in rows_of(p.jpn, None, "fy2027")] == ["400.00"] * 4


def test_the_philippines_reads_its_own_calendar_year_and_directions(annual_world):
    """PHL's fiscal year 2026 is the calendar year: A, B, C, E (31 March 2026) and the
    SECRET G count, D (2027) does not; JPN's transfers are PHL's acquisitions."""
    p, _ = annual_world
    totals = {(r[1], r[5]): r[6:] for r in rows_of(p.phl, "SECRET")
              if r[0] == "direction_total"}
    assert totals == {("acquisition", "JPY"): (3, "544250", "153250"),
                      ("transfer", "PHP"): (2, "85305.00", "34002.00")}


def test_downloads_carry_the_figures_the_definition_and_currency_formats(annual_world):
    p, _ = annual_world
    with UnitOfWork(p.jpn, write=False) as uow:
        table = build_table(uow, reader(p.jpn, None), "annual", fiscal_year="FY2026")
    rows = list(csv.reader(io.StringIO(to_csv(table, keys=True).decode("utf-8-sig"))))
    assert rows[0][:3] == ["row", "fiscal_year", "direction"]
    assert rows[1] == ["Detail", "FY2026", "Transfers (support provided)", "PHL",
                       "Reimbursement in cash", "Petroleum, oils and lubricants", "JPY", "1",
                       "152500", "152500"]
    assert rows[7][:3] == ["Total for the direction", "FY2026", "Transfers (support provided)"]
    assert rows[7][3:6] == ["", "", ""] and rows[7][-3:] == ["2", "529000", "153250"]
    book = load_workbook(io.BytesIO(to_xlsx(table, "ja")))
    sheet, about = book.worksheets
    cells = next(iter(sheet.iter_rows(min_row=2, max_row=2)))
    assert cells[8].value == 152500 and cells[8].number_format.startswith('#,##0 "JPY"')
    php = next(iter(sheet.iter_rows(min_row=9, max_row=9)))
    assert php[6].value == "PHP" and php[8].value == 49390
    assert php[8].number_format.startswith('#,##0.00 "PHP"')
    notes = {r[0].value: r[1].value for r in about.iter_rows()}
    assert "acceptance date" in notes["definition"] and "受諾日" in notes["definition"]
    assert (notes["fiscal year"], notes["from"], notes["to"]) == (
        "FY2026", "2026-04-01", "2027-03-31")


def test_the_pdf_is_bilingual_marked_and_per_currency(annual_world, tmp_path):
    p, _ = annual_world
    with UnitOfWork(p.jpn, write=False) as uow:
        table = build_table(uow, reader(p.jpn, "極秘"), "annual", fiscal_year="FY2026")
    path = tmp_path / "annual.pdf"
    path.write_bytes(render(table, "pdf"))
    pages = pdf_text(path).split("\f")
    text = "\n".join(pages)
    assert "Annual report of cross-servicing" in text
    assert "相互提供年次報告" in text and "受諾日" in text
    assert "544,250" in text and "135,645.00" in text and "Currency / 通貨: PHP" in text
    for page in (pg for pg in pages if pg.strip()):
        assert page.count("SECRET / 極秘") >= 2  # top and bottom of every page


def test_a_fiscal_year_is_written_fy2026_or_2026():
    assert parse_fiscal_year("FY2026") == parse_fiscal_year(" 2026 ") == 2026
    for bad in ("FY26", "2026-04", "", "FY0001"):
        with pytest.raises(InvalidValue):
            parse_fiscal_year(bad)


FINANCE = user_id("JPN", Role.FINANCE_OFFICER)


def test_the_command_line_prints_and_writes_it(annual_world, monkeypatch, tmp_path):
    from acsa.cli import common
    from integration.test_cli_orders import Cli

    p, _ = annual_world
    reader(p.jpn, None)
    monkeypatch.setattr(common, "open_node", lambda settings, **kw: p.jpn)
    cli = Cli(p.jpn)
    shown = cli("report", "annual", "--fiscal-year", "FY2026", "--as", FINANCE)
    assert "Annual report FY2026 of JPN (2026-04-01 – 2027-03-31)" in shown
    assert "529,000" in shown and "135,645.00" in shown
    data = cli.json("report", "annual", "--fiscal-year", "2026", "--as", FINANCE)
    assert [(r["row"], r["currency"], r["orders"], r["value"], r["received"])
            for r in data["rows"]] == [(r[0], r[5], r[6], r[7], r[8]) for r in UNCLEARED_FY2026]
    for fmt in ("csv", "xlsx", "pdf"):
        cli("report", "annual", "--fiscal-year", "FY2026", "--format", fmt,
            "--out", str(tmp_path / f"annual.{fmt}"), "--as", FINANCE)
    assert (tmp_path / "annual.pdf").read_bytes().startswith(b"%PDF")
    cli("report", "export", "annual", "--format", "csv", "--year", "2026",
        "--out", str(tmp_path / "export.csv"), "--as", FINANCE)
    assert (tmp_path / "export.csv").read_bytes() == (tmp_path / "annual.csv").read_bytes()
    assert "fiscal_year" in cli.fails("report", "annual", "--fiscal-year", "FY26",
                                      "--as", FINANCE)


def test_the_api_gives_it_as_json_and_as_files(annual_world):
    from api.conftest import bearer, client_for, token_for

    p, _ = annual_world
    reader(p.jpn, None)
    headers = bearer(token_for(p.jpn, FINANCE, ("read",)))
    with client_for(p.jpn) as client:
        r = client.get("/api/v1/reports/annual", params={"fiscal_year": "FY2026"},
                       headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        files = {fmt: client.get("/api/v1/reports/annual/file", headers=headers,
                                 params={"fiscal_year": "2026", "format": fmt})
                 for fmt in ("csv", "xlsx", "pdf")}
        refused = client.get("/api/v1/reports/annual", params={"fiscal_year": "FY26"},
                             headers=headers)
        paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert (body["fiscal_year"], body["party"], body["first_day"], body["last_day"]) == (
        "FY2026", "JPN", "2026-04-01", "2027-03-31")
    assert [(d["row"], d["direction"], d["partner"], d["method"], d["category"],
             d["currency"], d["orders"], d["value"], d["received"]) for d in body["data"]
            ] == UNCLEARED_FY2026
    # JPN's finance officer reads Japanese: the definition comes in their language.
    assert body["marking"] is None and "受諾日" in body["definition"]
    assert files["pdf"].content.startswith(b"%PDF")
    assert files["xlsx"].headers["content-type"].startswith("application/vnd.openxml")
    assert "529000" in files["csv"].text
    assert refused.status_code == 422
    assert {"/reports/annual", "/reports/annual/file"} <= set(paths)


def test_the_reports_page_shows_it_with_its_definition_and_a_pdf(annual_world):
    from api.conftest import client_for, enrol, login

    p, _ = annual_world
    reader(p.jpn, None)
    officer = enrol(p.jpn, FINANCE)
    with client_for(p.jpn) as client:
        login(client, p.jpn, officer)
        first = client.get("/reports/annual")
        page = client.get("/reports/annual", params={"year": "2026"})
        pdf = client.get("/reports/annual.pdf", params={"year": "2026"})
        index = client.get("/reports")
    assert first.status_code == 200 and "529,000" not in first.text
    assert page.status_code == 200 and "529,000" in page.text
    assert "受諾日" in page.text and "/reports/annual.pdf?year=2026" in page.text
    assert pdf.content.startswith(b"%PDF")
    assert "/reports/annual" in index.text

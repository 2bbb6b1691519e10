"""Charts as SVG: balances over time and aging, with no script and exact labels."""

from __future__ import annotations

from datetime import UTC, date, datetime
from xml.etree import ElementTree

from acsa.reports.charts import aging_chart, balances_chart
from acsa.services import report_tables as rt
from acsa.services import reports, users
from acsa.services.unit_of_work import UnitOfWork

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> str:
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    return " ".join(t for e in root.iter() for t in (e.text or "",) if t.strip())


def test_balances_over_time(world):
    with UnitOfWork(world.pair.jpn, write=False) as uow:
        points = rt.balance_series(uow, users.get_user(uow, "jpn.finance"))
    jpy = [(p.on, p.outstanding.text()) for p in points
           if p.currency == "JPY" and p.debtor == "PHL"]
    assert jpy[0] == (date(2026, 2, 3), "0")  # accepted: committed, nothing owed yet
    assert next(x for x in jpy if x[1] != "0") == (date(2026, 2, 12), "1526500")  # received
    assert jpy[-1] == (date(2026, 3, 12), "0")  # the payment confirmed
    svg = balances_chart(points, "JPY", "en")
    shown = texts(svg)
    assert "PHL owes JPN" in shown and "Balances by counterpart and currency (JPY)" in shown
    assert "¥1,526,500" in svg  # a point's label, formatted from the exact amount
    assert "JPN owes PHL" not in shown  # pesos are drawn on their own chart
    ja = texts(balances_chart(points, "PHP", "ja"))
    assert "JPN から PHL への債務" in ja and "相手国・通貨別残高 (PHP)" in ja


def test_aging_chart(world):
    clock = lambda: datetime(2026, 6, 20, 3, tzinfo=UTC)  # noqa: E731
    with UnitOfWork(world.pair.jpn, write=False) as uow:
        summary = reports.aging_summary(reports.aging(uow, users.get_user(uow, "jpn.finance"),
                                                      clock))
    # Received on 5 March and not invoiced: PHL, the supplier, is late to invoice, 77 days
    # past its invoice-by date of 4 April; the money is JPN's to pay, so it is JPN→PHL.
    assert summary[("JPN", "PHL", "PHP")]["61-90"] == 2469500
    svg = aging_chart(summary, "PHP", "ja", as_of=date(2026, 6, 20))
    shown = texts(svg)
    assert "未決済項目の経過期間分析 (PHP)" in shown
    assert "期限前" in shown and "期限超過 90日超" in shown
    assert "PHP24,695.00" in svg and "JPN → PHL" in shown


def test_an_empty_chart_still_renders():
    assert "No balances" in texts(balances_chart([], "USD", "en"))


def axis_titles(svg: str) -> list[str]:
    root = ElementTree.fromstring(svg)
    return [e.text or "" for e in root.iter(f"{SVG}text")
            if "title" in (e.get("class") or "").split() and e.text]


def legend(svg: str) -> list[str]:
    root = ElementTree.fromstring(svg)
    return [t.text or "" for g in root.iter(f"{SVG}g")
            if "legend" in (g.get("class") or "").split()
            for t in g.iter(f"{SVG}text") if t.text]


def ticks(svg: str, axis: str) -> list[str]:
    root = ElementTree.fromstring(svg)
    return [t.text or "" for g in root.iter(f"{SVG}g")
            if {"axis", axis} <= set((g.get("class") or "").split())
            for t in g.iter(f"{SVG}text") if t.text]


def accessible(svg: str) -> tuple[str, str]:
    root = ElementTree.fromstring(svg)
    title, desc = root[0], root[1]
    assert (title.tag, desc.tag) == (f"{SVG}title", f"{SVG}desc")
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    return title.text or "", desc.text or ""


def test_the_balances_chart_names_its_axes_legend_and_itself(world):
    with UnitOfWork(world.pair.jpn, write=False) as uow:
        points = rt.balance_series(uow, users.get_user(uow, "jpn.finance"))
    svg = balances_chart(points, "JPY", "en")
    assert {"Date", "Amount (JPY)"} <= set(axis_titles(svg))
    assert "PHL owes JPN" in legend(svg)
    y = ticks(svg, "y")
    assert any("," in t for t in y), y  # thousands separators on the money axis
    x = ticks(svg, "x")
    assert any("2026" in t and "-" not in t for t in x), x  # "Feb 12, 2026", not ISO text
    assert "Feb 12, 2026: ¥1,526,500" in svg  # a point's label, in the reader's words
    title, desc = accessible(svg)
    assert title == "Balances by counterpart and currency (JPY)"
    assert "JPY" in desc and "PHL owes JPN" in desc
    ja = balances_chart(points, "JPY", "ja")
    assert {"日付", "金額 (JPY)"} <= set(axis_titles(ja))
    assert any("2026/" in t for t in ticks(ja, "x")), ticks(ja, "x")
    assert accessible(ja)[0] == "相手国・通貨別残高 (JPY)"


def test_the_aging_chart_names_its_axes_and_its_buckets(world):
    clock = lambda: datetime(2026, 6, 20, 3, tzinfo=UTC)  # noqa: E731
    with UnitOfWork(world.pair.jpn, write=False) as uow:
        summary = reports.aging_summary(reports.aging(uow, users.get_user(uow, "jpn.finance"),
                                                      clock))
    svg = aging_chart(summary, "PHP", "en", as_of=date(2026, 6, 20))
    assert {"Who owes → to whom", "Amount (PHP)"} <= set(axis_titles(svg))
    names = legend(svg)
    assert "Not yet due" in names and len(names) == 5, names  # one per aging bucket
    assert any("," in t and t.endswith(".00") for t in ticks(svg, "y")), ticks(svg, "y")
    title, desc = accessible(svg)
    assert title.startswith("Aging of open items (PHP)")
    assert all(n in desc for n in names)
    ja = aging_chart(summary, "PHP", "ja")
    assert {"支払う国 → 受け取る国", "金額 (PHP)"} <= set(axis_titles(ja))
    assert "期限前" in legend(ja)

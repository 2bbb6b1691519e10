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
    # Received and not invoiced: PHL, the supplier, is the one late (to invoice).
    assert summary[("PHL", "JPN", "PHP")]["over 90"] == 2469500
    svg = aging_chart(summary, "PHP", "ja", as_of=date(2026, 6, 20))
    shown = texts(svg)
    assert "未決済項目の経過期間分析 (PHP)" in shown
    assert "期限前" in shown and "期限超過 90日超" in shown
    assert "PHP24,695.00" in svg and "PHL → JPN" in shown


def test_an_empty_chart_still_renders():
    assert "No balances" in texts(balances_chart([], "USD", "en"))

"""Charts as SVG, drawn by pygal: balances by counterpart and currency over time, aging.

Why pygal: it is maintained, pure Python, and writes standalone SVG that the
node serves itself — nothing is fetched at run time, which air-gapped
networks require. Its charts want numbers to place marks, so the y position
of a point is the amount in major units as a float *for drawing only*; every
amount a person reads (point labels, axis ticks) is formatted from the exact
:class:`~acsa.domain.money.Money` or Decimal by Babel. One chart shows one
currency: amounts in different currencies are never drawn on one axis.

Every chart names its axes (the money axis with its currency), writes its
ticks in the reader's locale (dates by Babel, amounts with thousands
separators and the currency's digits), has a legend naming each series, and
carries ``title`` and ``desc`` elements for assistive technology.

pygal embeds a small configuration script for its optional tooltips; it is
removed here, so the SVG holds no script at all and a strict
Content-Security-Policy has nothing to block.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from xml.etree import ElementTree

import pygal
from babel.numbers import format_decimal
from pygal.style import Style

from acsa.domain.aging_buckets import AGING_BUCKETS
from acsa.domain.money import Money, minor_units
from acsa.i18n import N_, format_date, format_money, gettext
from acsa.i18n.labels import label
from acsa.services.report_tables import BalancePoint

# pygal puts an import hook on sys.meta_path for its optional map plugins
# (pygal.maps.*) that implements only the legacy find_module, so every later
# import in the process raises an ImportWarning (an error under our pytest
# settings). We use no map plugins: take the hook out again.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

# Fonts with Japanese glyphs first; browsers take the first they have.
FONT_FAMILY = "'IPAGothic', 'IPA Gothic', 'Noto Sans CJK JP', 'Hiragino Sans', sans-serif"
SERIES_MAX = 12  # more counterpart lines than this are unreadable
X_TICKS_MAX = 8  # date ticks on a time axis

STYLE = Style(
    font_family=FONT_FAMILY,
    background="white",
    plot_background="white",
    foreground="#222",
    foreground_strong="#000",
    foreground_subtle="#666",
    colors=("#1f4e79", "#c0504d", "#4f8a3c", "#8064a2", "#d08a1e", "#2c8c99", "#7f7f7f"),
    title_font_size=16,
    label_font_size=11,
    legend_font_size=11,
    value_font_size=10,
)
AGING_COLORS = ("#4f8a3c", "#d7b43c", "#e07b29", "#c0504d", "#7b1f1f")


def _axis_formatter(currency: str, locale: str):  # type: ignore[no-untyped-def]
    digits = minor_units(currency)
    pattern = "#,##0" + ("." + "0" * digits if digits else "")

    def fmt(value: float | None) -> str:
        if value is None:
            return ""
        # An axis tick is pygal's own round number; shown with the currency's digits.
        return format_decimal(Decimal(repr(value)), format=pattern, locale=locale)

    return fmt


def _plot(money: Money) -> float:
    # Drawing position only: see the module docstring.
    return float(money.as_decimal())


def _svg(chart: pygal.graph.graph.Graph, title: str, desc: str) -> str:
    """The chart as SVG text, without script, named for assistive technology: a ``title``
    and a ``desc`` element first in the root, which ``role="img"`` and ``aria-labelledby``
    point at."""
    tree = chart.render_tree()
    for parent in tree.iter():
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    ns = tree.tag[:tree.tag.index("}") + 1] if tree.tag.startswith("{") else ""
    chart_id = tree.get("id") or "chart"
    title_element = ElementTree.Element(f"{ns}title", {"id": f"{chart_id}-title"})
    title_element.text = title
    desc_element = ElementTree.Element(f"{ns}desc", {"id": f"{chart_id}-desc"})
    desc_element.text = desc
    tree.insert(0, desc_element)
    tree.insert(0, title_element)
    tree.set("role", "img")
    tree.set("aria-labelledby", f"{chart_id}-title {chart_id}-desc")
    return ElementTree.tostring(tree, encoding="unicode")


def _date_formatter(locale: str):  # type: ignore[no-untyped-def]
    def fmt(value: date | None) -> str:
        # A date tick as the reader's locale writes it (Babel): "Feb 3, 2026", "2026/02/03".
        return "" if value is None else format_date(value, locale)

    return fmt


def _money_axis(currency: str, locale: str) -> str:
    return gettext(N_("Amount (%(currency)s)"), locale) % {"currency": currency}


def _series_list(names: Sequence[str], locale: str) -> str:
    return gettext(N_("Series: %(names)s."), locale) % {"names": ", ".join(names)}


def _base(chart_class: type, title: str, currency: str, locale: str,
          **options: object) -> pygal.graph.graph.Graph:
    return chart_class(
        title=title, style=STYLE, js=[], disable_xml_declaration=True, width=800, height=420,
        value_formatter=_axis_formatter(currency, locale), legend_at_bottom=True,
        legend_at_bottom_columns=3, print_values=False,
        truncate_legend=-1, show_legend=True, no_data_text=gettext(N_("Nothing to draw"), locale),
        y_title=_money_axis(currency, locale), **options,
    )


def balances_chart(points: Sequence[BalancePoint], currency: str, locale: str = "en") -> str:
    """Outstanding owed per counterpart pair (``PHL → JPN``) in ``currency`` over time, SVG."""
    title = f"{gettext(N_('Balances by counterpart and currency'), locale)} ({currency})"
    chart = _base(pygal.DateLine, title, currency, locale, x_label_rotation=30,
                  x_value_formatter=_date_formatter(locale),
                  x_title=gettext(N_("Date"), locale))
    series: dict[tuple[str, str], list[BalancePoint]] = defaultdict(list)
    for p in points:
        if p.currency == currency:
            series[(p.debtor, p.creditor)].append(p)
    arrow = gettext(N_("%(debtor)s owes %(creditor)s"), locale)
    names = []
    for (debtor, creditor), values in sorted(series.items())[:SERIES_MAX]:
        names.append(arrow % {"debtor": debtor, "creditor": creditor})
        chart.add(names[-1], [
            {"value": (p.on, _plot(p.outstanding)),
             "label": f"{format_date(p.on, locale)}: {format_money(p.outstanding, locale)}"}
            for p in values
        ])
    # Ticks on the days something changed (at most X_TICKS_MAX of them, evenly spread).
    days = sorted({p.on for values in series.values() for p in values})
    if days:
        step = -(-len(days) // X_TICKS_MAX)
        chart.x_labels = days[::step] if days[-1] in days[::step] else [*days[::step], days[-1]]
    if not series:
        names.append(gettext(N_("No balances"), locale))
        chart.add(names[-1], [])
    desc = gettext(N_("Outstanding amount owed in %(currency)s by date, one line per "
                      "counterpart pair."), locale) % {"currency": currency}
    return _svg(chart, title, f"{desc} {_series_list(names, locale)}")


def aging_chart(summary: Mapping[tuple[str, str, str], Mapping[str, int]], currency: str,
                locale: str = "en", *, as_of: date | None = None) -> str:
    """Open items in ``currency`` per debtor → creditor, stacked by how late they are, SVG.

    ``summary`` is :func:`acsa.services.reports.aging_summary`'s result.
    """
    title = f"{gettext(N_('Aging of open items'), locale)} ({currency})"
    if as_of is not None:
        title += f" — {format_date(as_of, locale)}"
    style = Style(**{**STYLE.to_dict(), "colors": AGING_COLORS})
    chart = _base(pygal.StackedBar, title, currency, locale,
                  x_title=gettext(N_("Who owes → to whom"), locale))
    chart.config.style = style
    pairs = sorted((d, c) for d, c, cur in summary if cur == currency)
    # An aging row's first party owes the amount: the debtor of an unpaid invoice, and the
    # requester of goods received and not yet invoiced (the supplier must invoice them).
    chart.x_labels = [f"{d} → {c}" for d, c in pairs]
    names = []
    for _, bucket in AGING_BUCKETS:
        names.append(label("aging_bucket", bucket, locale))
        values = []
        for d, c in pairs:
            money = Money(currency, summary[(d, c, currency)].get(bucket, 0))
            values.append({"value": _plot(money), "label": format_money(money, locale)})
        chart.add(names[-1], values)
    desc = gettext(N_("Open items in %(currency)s per pair of parties, stacked by how late "
                      "they are."), locale) % {"currency": currency}
    return _svg(chart, title, f"{desc} {_series_list(names, locale)}")

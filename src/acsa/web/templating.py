"""Translations and formatting in the Jinja2 templates of the web pages.

The one place that joins :mod:`acsa.i18n` (translating, formatting) and
:mod:`acsa.i18n.labels` (the names of codes) for templates; neither of
those imports this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from jinja2 import Environment, pass_context

from acsa.i18n import (
    LOCALES,
    current_locale,
    current_time_zone,
    format_amount,
    format_date,
    format_datetime,
    format_figures,
    format_money,
    format_quantity,
    gettext,
    ngettext,
    parse_instant,
)
from acsa.i18n.labels import label
from acsa.i18n.refusals import refusal


def _context_locale(context: Mapping[str, Any]) -> str:
    value = context.get("locale")
    return value if isinstance(value, str) and value in LOCALES else current_locale.get()


def _context_zone(context: Mapping[str, Any]) -> str:
    value = context.get("time_zone")
    return value if isinstance(value, str) and value else current_time_zone.get()


def install_jinja(env: Environment) -> None:
    """Give ``env`` the i18n extension and filters that follow the rendering's locale.

    Templates then write ``{{ _("Orders") }}``, ``{% trans %}…{% endtrans %}``,
    ``{{ ngettext("%(num)d order", "%(num)d orders", n) }}``, and the filters
    ``money``, ``amount``, ``quantity``, ``date``, ``datetime``, ``label``.
    The locale is the template variable ``locale`` if given, else the one
    set with :func:`acsa.i18n.use_locale`; the time zone likewise (``time_zone``).
    """
    env.add_extension("jinja2.ext.i18n")

    @pass_context
    def _gettext(context: Any, message: str) -> str:
        return gettext(message, _context_locale(context))

    @pass_context
    def _ngettext(context: Any, singular: str, plural: str, n: int) -> str:
        return ngettext(singular, plural, n, _context_locale(context))

    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True)

    def filter_(fn: Callable[..., str]) -> Callable[..., str]:
        return pass_context(fn)

    env.filters["money"] = filter_(lambda c, m, symbol=True: format_money(
        m, _context_locale(c), symbol=symbol))
    env.filters["amount"] = filter_(lambda c, m: format_amount(m, _context_locale(c)))
    env.filters["quantity"] = filter_(lambda c, q: format_quantity(q, _context_locale(c)))
    env.filters["figures"] = filter_(lambda c, t: format_figures(str(t), _context_locale(c)))
    env.filters["date"] = filter_(lambda c, d, format="medium": format_date(
        date.fromisoformat(d) if isinstance(d, str) else d, _context_locale(c),
        _context_zone(c), format))
    env.filters["datetime"] = filter_(lambda c, d, format="medium": format_datetime(
        parse_instant(d) if isinstance(d, str) else d, _context_locale(c), _context_zone(c),
        format))
    env.filters["refusal"] = filter_(lambda c, exc: refusal(exc, _context_locale(c)))
    env.filters["label"] = filter_(lambda c, value, kind: label(
        kind, value, _context_locale(c)))

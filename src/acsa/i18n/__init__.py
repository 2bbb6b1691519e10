"""Translations (English, Japanese) and formatting of money and dates, by Babel.

**Catalogues.** The whole product's user-facing strings are marked in the
source (``_("…")``, ``gettext``, ``ngettext``, ``N_`` for labels defined at
import time, and ``{% trans %}`` / ``_()`` in Jinja2 templates). ``babel.cfg``
at the repository root says where to look. The catalogues live in
``locale/<lang>/LC_MESSAGES/messages.po`` beside this package, compiled and
kept up to date by :mod:`acsa.i18n.catalogues`::

    .venv/bin/python -m acsa.i18n update   # extract, merge into en and ja
    .venv/bin/python -m acsa.i18n check    # every msgid translated into ja?

What enum values are called is in :mod:`acsa.i18n.labels`; the Jinja2
filters that use both are installed by :func:`acsa.web.templating.install_jinja`.
This package imports nothing of the product but :mod:`acsa.domain`.

**Money** is formatted from :class:`~acsa.domain.money.Money` (integer minor
units) through its exact :class:`~decimal.Decimal`, with the currency's own
digits (JPY none, PHP and USD two): a float never enters.

**Dates.** Business dates (``delivered_on``, ``due_on``) are calendar dates
and are shown as they are. Instants (an event's recording time, UTC) are
shown in the reader's time zone, so the same event recorded at 15:30 UTC on
31 March is on 1 April in Tokyo and still 31 March in Manila.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from acsa.domain.money import Money, minor_units
from acsa.i18n.catalogues import DEFAULT_LOCALE as DEFAULT_LOCALE
from acsa.i18n.catalogues import LOCALES as LOCALES
from acsa.i18n.catalogues import check_locale as check_locale
from acsa.i18n.catalogues import translations as translations

# Time zones the product's users work in; any IANA zone is accepted, these are
# offered first in preference forms.
TIME_ZONES: tuple[str, ...] = ("Asia/Tokyo", "Asia/Manila", "UTC")

# An Accept-Language header is client input: read at most this many entries
# and this many characters of it, so a hostile header costs nothing.
ACCEPT_LANGUAGE_ENTRIES_MAX = 32
ACCEPT_LANGUAGE_CHARS_MAX = 1024

_LANGUAGE_RANGE = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$|^\*$")

current_locale: ContextVar[str] = ContextVar("acsa_locale", default=DEFAULT_LOCALE)
current_time_zone: ContextVar[str] = ContextVar("acsa_time_zone", default="UTC")


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (labels at import time)."""
    return message


# -- locale negotiation ----------------------------------------------------------------


def parse_accept_language(header: str | None) -> list[str]:
    """Language ranges of an ``Accept-Language`` header, best first (RFC 9110 §12.5.4).

    Entries with ``q=0`` are dropped, malformed entries ignored; ties keep the
    header's order.
    """
    if not header:
        return []
    ranked: list[tuple[Decimal, int, str]] = []
    for position, part in enumerate(header[:ACCEPT_LANGUAGE_CHARS_MAX].split(",")):
        if position >= ACCEPT_LANGUAGE_ENTRIES_MAX:
            break
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or not _LANGUAGE_RANGE.match(tag):
            continue
        quality = Decimal(1)
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = Decimal(value.strip())
                except ArithmeticError:
                    quality = Decimal(0)
                if not quality.is_finite() or not Decimal(0) <= quality <= Decimal(1):
                    quality = Decimal(0)
        if quality > 0:
            ranked.append((quality, position, tag))
    ranked.sort(key=lambda r: (-r[0], r[1]))
    return [tag for _, _, tag in ranked]


def _supported(tag: str) -> str | None:
    if tag == "*":
        return DEFAULT_LOCALE
    language = tag.replace("_", "-").split("-")[0].lower()
    return language if language in LOCALES else None


def negotiate_locale(preference: str | None = None, accept_language: str | None = None) -> str:
    """The locale to use: the user's stored preference, else the browser's, else English."""
    if preference:
        chosen = _supported(preference)
        if chosen:
            return chosen
    for tag in parse_accept_language(accept_language):
        chosen = _supported(tag)
        if chosen:
            return chosen
    return DEFAULT_LOCALE


def check_time_zone(time_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {time_zone!r}") from None


@contextmanager
def use_locale(locale: str, time_zone: str | None = None) -> Iterator[None]:
    """Make ``locale`` (and ``time_zone``) current for this request or task."""
    token = current_locale.set(check_locale(locale))
    zone_token = current_time_zone.set(time_zone) if time_zone else None
    try:
        yield
    finally:
        current_locale.reset(token)
        if zone_token is not None:
            current_time_zone.reset(zone_token)


# -- translating -------------------------------------------------------------------------


def gettext(message: str, locale: str | None = None) -> str:
    """``message`` in ``locale`` (default: the current locale); English when untranslated."""
    return translations(locale or current_locale.get()).gettext(message)


def pgettext(context: str, message: str, locale: str | None = None) -> str:
    """``message`` as meant in ``context`` ("Unit" of a force, 部隊, rather than of measure,
    単位) in ``locale``; English when untranslated."""
    return translations(locale or current_locale.get()).pgettext(context, message)


def ngettext(singular: str, plural: str, n: int, locale: str | None = None) -> str:
    return translations(locale or current_locale.get()).ngettext(singular, plural, n)


_ = gettext


def bilingual(message: str, separator: str = " / ") -> str:
    """``message`` in English and Japanese, for documents both nations read."""
    english = gettext(message, "en")
    japanese = gettext(message, "ja")
    return english if japanese == english else f"{english}{separator}{japanese}"


# -- numbers and money -----------------------------------------------------------------


def _babel_locale(locale: str) -> Locale:
    try:
        return Locale.parse(check_locale(locale))
    except UnknownLocaleError:  # pragma: no cover - en and ja are always in CLDR
        raise ValueError(f"Babel does not know locale {locale!r}") from None


def _pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits else "")


def format_money(money: Money, locale: str | None = None, *, symbol: bool = True) -> str:
    """``money`` with its currency, e.g. ``₱1,234.50`` / ``¥1,235`` (en), ``￥1,235`` (ja).

    With ``symbol=False`` the ISO code follows the amount (``1,234.50 PHP``),
    which every font can print and no reader can misread between yen and yuan.
    """
    loc = _babel_locale(locale or current_locale.get())
    value = money.as_decimal()
    if symbol:
        return babel_numbers.format_currency(value, money.currency, locale=loc,
                                             currency_digits=True)
    return f"{format_amount(money, locale)} {money.currency}"


def format_amount(money: Money, locale: str | None = None) -> str:
    """The amount alone, grouped, with exactly the currency's digits: ``1,234.50``."""
    loc = _babel_locale(locale or current_locale.get())
    digits = minor_units(money.currency)
    # The pattern fixes the fractional digits; quantisation by Babel is then a
    # no-op because the Decimal already has exactly those digits.
    return babel_numbers.format_decimal(money.as_decimal(), format=_pattern(digits), locale=loc,
                                        decimal_quantization=True)


def format_quantity(value: Decimal, locale: str | None = None) -> str:
    """A quantity or unit price as written, grouped by the locale: ``10,000`` / ``152.5``."""
    if not isinstance(value, Decimal):
        raise TypeError(f"quantities are Decimals, got {type(value).__name__}")
    loc = _babel_locale(locale or current_locale.get())
    exponent = value.as_tuple().exponent
    digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return babel_numbers.format_decimal(value, format=_pattern(digits), locale=loc,
                                        decimal_quantization=False)


_FIGURE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def format_figures(text: str, locale: str | None = None) -> str:
    """``text`` with each word that is exact decimal text grouped by the locale, its digits
    kept: ``"1494500 JPY"`` → ``"1,494,500 JPY"``, ``"9800 L × 152.5"`` → ``"9,800 L ×
    152.5"``. Other words (dates, codes) stay as they are."""
    return " ".join(format_quantity(Decimal(word), locale) if _FIGURE.fullmatch(word) else word
                    for word in text.split(" "))


# -- dates -------------------------------------------------------------------------------


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a time without a zone is ambiguous: give it in UTC")
    return value


def local_date(value: date | datetime, time_zone: str | None = None) -> date:
    """The calendar date of ``value`` in ``time_zone`` (a ``date`` is returned as is)."""
    if isinstance(value, datetime):
        zone = check_time_zone(time_zone or current_time_zone.get())
        return _aware(value).astimezone(zone).date()
    return value


def format_date(value: date | datetime, locale: str | None = None,
                time_zone: str | None = None, format: str = "medium") -> str:
    """A date as the locale writes it; an instant is first moved into ``time_zone``."""
    loc = _babel_locale(locale or current_locale.get())
    return babel_dates.format_date(local_date(value, time_zone), format=format, locale=loc)


def format_datetime(value: datetime, locale: str | None = None, time_zone: str | None = None,
                    format: str = "medium") -> str:
    """An instant in ``time_zone`` with date, time and the zone's offset (``GMT+09:00``).

    The offset rather than an abbreviation: tzdata calls Philippine time
    ``PST``, which a reader takes for California.
    """
    loc = _babel_locale(locale or current_locale.get())
    zone = check_time_zone(time_zone or current_time_zone.get())
    local = _aware(value).astimezone(zone)
    text = babel_dates.format_datetime(local, format=format, tzinfo=zone, locale=loc)
    return f"{text} {babel_dates.get_timezone_gmt(local, width='long', locale=loc)}"


def parse_instant(text: str) -> datetime:
    """An event's ``at`` (``2026-11-25T09:12:03.123Z``) as an aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)

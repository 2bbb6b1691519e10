"""Translations (English, Japanese) and formatting of money and dates, by Babel.

**Catalogues.** The whole product's user-facing strings are marked in the
source (``_("…")``, ``gettext``, ``ngettext``, ``N_`` for labels defined at
import time, and ``{% trans %}`` / ``_()`` in Jinja2 templates). ``babel.cfg``
at the repository root says where to look. The catalogues live beside this
module in ``locale/<lang>/LC_MESSAGES/messages.po`` (committed); the binary
``.mo`` files are *not* committed: :func:`compile_catalogues` writes them when
missing or older than their ``.po`` — the web application calls it at
start-up, the test suite at session start — and, should the package
directory be read-only, :func:`translations` compiles the ``.po`` in memory
instead, so an installed node always has its translations. No ``make`` step
is needed. To bring the catalogues up to date with the source::

    .venv/bin/python -m acsa.reports.i18n update   # extract, merge into en and ja
    .venv/bin/python -m acsa.reports.i18n check    # every msgid translated into ja?

**Money** is formatted from :class:`~acsa.domain.money.Money` (integer minor
units) through its exact :class:`~decimal.Decimal`, with the currency's own
digits (JPY none, PHP and USD two): a float never enters.

**Dates.** Business dates (``delivered_on``, ``due_on``) are calendar dates
and are shown as they are. Instants (an event's recording time, UTC) are
shown in the reader's time zone, so the same event recorded at 15:30 UTC on
31 March is on 1 April in Tokyo and still 31 March in Manila.
"""

from __future__ import annotations

import gettext as _gettext
import io
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from acsa.domain.money import Money, minor_units

LOCALES: tuple[str, ...] = ("en", "ja")
DEFAULT_LOCALE = "en"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).parent / "locale"

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


def check_locale(locale: str) -> str:
    """``locale`` if the product has a catalogue for it; ``ValueError`` otherwise."""
    if locale not in LOCALES:
        raise ValueError(f"no catalogue for locale {locale!r}; known: {', '.join(LOCALES)}")
    return locale


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


# -- catalogues ------------------------------------------------------------------------


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"


def read_catalogue(locale: str) -> Catalog:
    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def _mo_bytes(catalogue: Catalog) -> bytes:
    buffer = io.BytesIO()
    # Fuzzy entries are guesses by the merge tool, never shown to users.
    write_mo(buffer, catalogue, use_fuzzy=False)
    return buffer.getvalue()


def _stale(locale: str) -> bool:
    mo, po = mo_path(locale), po_path(locale)
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


def compile_catalogues(*, force: bool = False) -> list[Path]:
    """Write each ``.mo`` that is missing or older than its ``.po``; return those written.

    Called by the web application at start-up and by the tests. A read-only
    package directory is not an error: :func:`translations` then compiles
    in memory.
    """
    written = []
    for locale in LOCALES:
        if not force and not _stale(locale):
            continue
        data = _mo_bytes(read_catalogue(locale))
        target = mo_path(locale)
        try:
            temporary = target.with_suffix(".mo.tmp")
            temporary.write_bytes(data)
            temporary.replace(target)
        except OSError:
            continue
        written.append(target)
    translations.cache_clear()
    return written


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> _gettext.GNUTranslations:
    """The compiled catalogue of ``locale``: its ``.mo`` when fresh, else its ``.po`` compiled."""
    check_locale(locale)
    if not _stale(locale):
        with mo_path(locale).open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    return _gettext.GNUTranslations(io.BytesIO(_mo_bytes(read_catalogue(locale))))


def gettext(message: str, locale: str | None = None) -> str:
    """``message`` in ``locale`` (default: the current locale); English when untranslated."""
    return translations(locale or current_locale.get()).gettext(message)


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


# -- Jinja2 --------------------------------------------------------------------------------


def _context_locale(context: Mapping[str, Any]) -> str:
    value = context.get("locale")
    return value if isinstance(value, str) and value in LOCALES else current_locale.get()


def _context_zone(context: Mapping[str, Any]) -> str:
    value = context.get("time_zone")
    return value if isinstance(value, str) and value else current_time_zone.get()


def install_jinja(env: Any) -> None:
    """Give ``env`` the i18n extension and filters that follow the rendering's locale.

    Templates then write ``{{ _("Orders") }}``, ``{% trans %}…{% endtrans %}``,
    ``{{ ngettext("%(num)d order", "%(num)d orders", n) }}``, and the filters
    ``money``, ``amount``, ``quantity``, ``date``, ``datetime``, ``label``.
    The locale is the template variable ``locale`` if given, else the one
    set with :func:`use_locale`; the time zone likewise (``time_zone``).
    """
    from jinja2 import pass_context

    from acsa.reports import labels

    env.add_extension("jinja2.ext.i18n")

    @pass_context
    def _gettext(context: Any, message: str) -> str:
        return gettext(message, _context_locale(context))

    @pass_context
    def _ngettext(context: Any, singular: str, plural: str, n: int) -> str:
        return ngettext(singular, plural, n, _context_locale(context))

    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)

    def filter_(fn: Callable[..., str]) -> Callable[..., str]:
        return pass_context(fn)

    env.filters["money"] = filter_(lambda c, m, symbol=True: format_money(
        m, _context_locale(c), symbol=symbol))
    env.filters["amount"] = filter_(lambda c, m: format_amount(m, _context_locale(c)))
    env.filters["quantity"] = filter_(lambda c, q: format_quantity(q, _context_locale(c)))
    env.filters["date"] = filter_(lambda c, d, format="medium": format_date(
        d, _context_locale(c), _context_zone(c), format))
    env.filters["datetime"] = filter_(lambda c, d, format="medium": format_datetime(
        parse_instant(d) if isinstance(d, str) else d, _context_locale(c), _context_zone(c),
        format))
    env.filters["label"] = filter_(lambda c, value, kind: labels.label(
        kind, value, _context_locale(c)))


# -- keeping the catalogues up to date (developers) ----------------------------------------------


def repository_root() -> Path:
    return Path(__file__).resolve().parents[3]


def extract(root: Path | None = None) -> Catalog:
    """Every marked string of the product, by the mapping in ``babel.cfg``."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    root = root or repository_root()
    with (root / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)  # type: ignore[no-untyped-call]
    template = Catalog(project="acsa-ledger", domain=DOMAIN, charset="utf-8")
    keywords = dict(DEFAULT_KEYWORDS)
    keywords["N_"] = None
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root), method_map, options_map, keywords=keywords, comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments,
                     context=context)
    return template


def update(root: Path | None = None) -> dict[str, list[str]]:
    """Merge newly marked strings into every catalogue; return the msgids still untranslated."""
    template = extract(root)
    untranslated: dict[str, list[str]] = {}
    for locale in LOCALES:
        path = po_path(locale)
        catalogue = read_catalogue(locale) if path.exists() else Catalog(locale=locale,
                                                                          domain=DOMAIN)
        catalogue.update(template, no_fuzzy_matching=True)
        catalogue.obsolete.clear()
        with path.open("wb") as handle:
            write_po(handle, catalogue, width=100, sort_output=False, include_previous=False)
        untranslated[locale] = missing_translations(catalogue) if locale != "en" else []
    translations.cache_clear()
    return untranslated


def _msgid_text(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def missing_translations(catalogue: Catalog) -> list[str]:
    """Msgids of ``catalogue`` with no translation, or only a fuzzy one."""
    out = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            out.append(_msgid_text(message.id))
    return out


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "compile":
        for path in compile_catalogues(force=True):
            print(f"wrote {path}")
        return 0
    if command == "update":
        for locale, missing in update().items():
            for msgid in missing:
                print(f"{locale}: untranslated: {msgid!r}")
        return 0
    if command == "check":
        missing = missing_translations(read_catalogue("ja"))
        template_ids = {_msgid_text(m.id) for m in extract() if m.id}
        catalogue_ids = {_msgid_text(m.id) for m in read_catalogue("ja") if m.id}
        for msgid in sorted(template_ids - catalogue_ids):
            print(f"not in the catalogues (run update): {msgid!r}")
        for msgid in missing:
            print(f"ja: untranslated: {msgid!r}")
        return 1 if missing or template_ids - catalogue_ids else 0
    print("usage: python -m acsa.reports.i18n [check|update|compile]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

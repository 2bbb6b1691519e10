"""Money: integers in a currency's minor unit, decimals parsed from strings only.

Floats never enter: :func:`parse_decimal` refuses anything but a string, and
:class:`Money` holds an ``int`` of minor units. Line totals and conversions
round half-even to the minor unit, with the rounding mode passed explicitly
so no global decimal context can change a figure.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal, localcontext

from acsa.domain.errors import N_, CurrencyMismatch, InvalidValue, RateMissing, UnknownCurrency

# ISO 4217 minor units of the currencies the agreements use. A currency not
# listed here is refused rather than guessed.
MINOR_UNITS: dict[str, int] = {
    "JPY": 0,
    "PHP": 2,
    "USD": 2,
    "AUD": 2,
    "EUR": 2,
    "GBP": 2,
    "KRW": 0,
    "CAD": 2,
    "NZD": 2,
}

_DECIMAL_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")

# Quantities and prices carry at most this many fractional digits; more is an
# input mistake (or a float that slipped through as text), not precision.
DECIMAL_PLACES_MAX = 6


def minor_units(currency: str, *, field: str = "currency") -> int:
    """Digits after the decimal point in ``currency`` (JPY 0, PHP 2); an unknown code is
    refused naming ``field``, the input that gave it."""
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise UnknownCurrency(
            N_("unknown currency '%(currency)s'"),
            field=field, currency=currency,
        ) from None


def parse_decimal(text: object, *, field: str, allow_negative: bool = False) -> Decimal:
    """Parse a plain decimal string such as ``"12.50"``; never a float or exponent."""
    if not isinstance(text, str):
        raise InvalidValue(
            N_("must be a decimal written as a string, got '%(text)s'"),
            field=field, text=text,
        )
    if not _DECIMAL_TEXT.fullmatch(text):
        raise InvalidValue(N_("'%(text)s' is not a plain decimal number"), field=field, text=text)
    value = Decimal(text)
    if value < 0 and not allow_negative:
        raise InvalidValue(N_("%(text)s must not be negative"), field=field, text=text)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > DECIMAL_PLACES_MAX:
        raise InvalidValue(
            N_("%(text)s has more than %(places)s decimal places"),
            field=field, text=text, places=DECIMAL_PLACES_MAX,
        )
    return value


def decimal_text(value: Decimal) -> str:
    """The canonical string of a decimal: no exponent, no trailing zeros beyond the point."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


# Multiplying and scaling finite decimals is exact when precision is unbounded,
# so every money figure is computed in this private context: the ambient
# context could have been changed by a library (a precision of 28, or less,
# would silently round a long product before the half-even step), and a
# figure must not depend on it.
_EXACT = Context(prec=MAX_PREC, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN)


def _round_to_minor(value: Decimal, currency: str) -> int:
    """Round a major-unit decimal half-even to an integer of minor units."""
    scaled = _EXACT.scaleb(value, minor_units(currency))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_EVEN, context=_EXACT))


@dataclass(frozen=True, order=True)
class Money:
    """An amount in minor units of one currency."""

    currency: str
    minor: int

    def __post_init__(self) -> None:
        minor_units(self.currency)
        if type(self.minor) is not int:
            raise InvalidValue(N_("minor units must be an integer"), field="amount")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(currency, 0)

    @classmethod
    def parse(cls, text: object, currency: str, *, field: str = "amount") -> Money:
        """Parse a major-unit string exactly; refuse digits the currency does not have."""
        value = parse_decimal(text, field=field, allow_negative=True)
        digits = minor_units(currency)
        scaled = _EXACT.scaleb(value, digits)
        if scaled != scaled.to_integral_value():
            raise InvalidValue(
                N_("%(text)s has more decimal places than %(currency)s allows (%(digits)s)"),
                field=field, text=text, currency=currency, digits=digits,
            )
        return cls(currency, int(scaled))

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(N_("cannot combine %(currency)s with %(other)s"),
                                   currency=self.currency, other=other.currency)

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.currency, self.minor + other.minor)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.currency, self.minor - other.minor)

    def __neg__(self) -> Money:
        return Money(self.currency, -self.minor)

    def min(self, other: Money) -> Money:
        self._same(other)
        return self if self.minor <= other.minor else other

    @property
    def is_zero(self) -> bool:
        return self.minor == 0

    def as_decimal(self) -> Decimal:
        """The amount in major units, exactly."""
        return _EXACT.scaleb(Decimal(self.minor), -minor_units(self.currency))

    def text(self) -> str:
        """Major units with the currency's digits, e.g. ``"1234.50"``."""
        digits = minor_units(self.currency)
        return f"{self.as_decimal():.{digits}f}"

    def __str__(self) -> str:
        return f"{self.text()} {self.currency}"


def line_total(quantity: Decimal, unit_price: Decimal, currency: str) -> Money:
    """``quantity × unit_price`` rounded half-even to the currency's minor unit."""
    return Money(currency, _round_to_minor(_EXACT.multiply(quantity, unit_price), currency))


def convert(amount: Money, rate: Decimal, to_currency: str) -> Money:
    """Convert at ``rate`` (units of ``to_currency`` per one unit of the source), half-even."""
    value = _EXACT.multiply(amount.as_decimal(), rate)
    return Money(to_currency, _round_to_minor(value, to_currency))


# Why an official rate is wanted, by use (``official_for`` in a profile), for the refusal
# when none is recorded.
OFFICIAL_RATE_MISSING = {
    "ceilings": N_("no official %(base)s/%(quote)s rate from %(sources)s on or before %(on)s: "
                   "annual ceilings are counted at official rates only, never at a rate an "
                   "officer worked out"),
    "exchange": N_("no official %(base)s/%(quote)s rate from %(sources)s on or before %(on)s: "
                   "equal-value exchanges are valued at official rates only, never at a rate "
                   "an officer worked out"),
    "offset": N_("no official %(base)s/%(quote)s rate from %(sources)s on or before %(on)s: "
                 "offsets are netted at official rates only, never at a rate an officer "
                 "worked out"),
}


@dataclass(frozen=True)
class ExchangeRate:
    """A dated rate entered by a finance officer: one ``base`` buys ``rate`` of ``quote``."""

    on: date
    base: str
    quote: str
    rate: Decimal
    # The official source it was taken from (an id of the profile's ``exchange_rates``);
    # None: a rate the officer worked out.
    source: str | None = None
    agreement: str | None = None  # the agreement it was recorded under, when known

    def __post_init__(self) -> None:
        minor_units(self.base)
        minor_units(self.quote)
        if self.rate <= 0:
            raise InvalidValue(N_("an exchange rate must be positive"), field="rate")


@dataclass(frozen=True)
class RateBook:
    """Dated exchange rates; a lookup takes the latest rate on or before a date."""

    rates: tuple[ExchangeRate, ...] = ()
    # Set by :meth:`official`: the use the book serves and the ids of the sources it holds,
    # for the refusal when a rate is missing.
    use: str | None = None
    sources: tuple[str, ...] = ()

    def under(self, agreements: Collection[str]) -> RateBook:
        """The rates recorded under ``agreements`` (and those of no known agreement)."""
        return RateBook(tuple(r for r in self.rates
                              if r.agreement is None or r.agreement in agreements),
                        self.use, self.sources)

    def official(self, sources: tuple[str, ...], use: str) -> RateBook:
        """Only the rates taken from ``sources`` (ids of official sources), for ``use``: a
        rate an officer worked out is not in it, and a missing rate is refused naming them."""
        return RateBook(tuple(r for r in self.rates if r.source in sources), use, sources)

    def rate(self, base: str, quote: str, on: date) -> Decimal:
        if base == quote:
            return Decimal(1)
        direct = [r for r in self.rates if r.base == base and r.quote == quote and r.on <= on]
        inverse = [r for r in self.rates if r.base == quote and r.quote == base and r.on <= on]
        best_direct = max(direct, key=lambda r: r.on, default=None)
        best_inverse = max(inverse, key=lambda r: r.on, default=None)
        if best_direct and (not best_inverse or best_direct.on >= best_inverse.on):
            return best_direct.rate
        if best_inverse:
            with localcontext() as ctx:
                ctx.prec = 28
                return Decimal(1) / best_inverse.rate
        if self.use in OFFICIAL_RATE_MISSING:
            raise RateMissing(OFFICIAL_RATE_MISSING[self.use], field="rate", base=base,
                              quote=quote, on=on, sources=list(self.sources))
        raise RateMissing(
            N_("no %(base)s/%(quote)s rate on or before %(on)s"),
            field="rate", base=base, quote=quote, on=on,
        )

    def convert(self, amount: Money, to_currency: str, on: date) -> Money:
        return convert(amount, self.rate(amount.currency, to_currency, on), to_currency)


def sum_money(amounts: list[Money], currency: str) -> Money:
    """Sum amounts of one currency; an empty list sums to zero."""
    total = Money.zero(currency)
    for amount in amounts:
        total = total + amount
    return total


__all__ = [
    "DECIMAL_PLACES_MAX",
    "MINOR_UNITS",
    "OFFICIAL_RATE_MISSING",
    "ExchangeRate",
    "Money",
    "RateBook",
    "convert",
    "decimal_text",
    "line_total",
    "minor_units",
    "parse_decimal",
    "sum_money",
]

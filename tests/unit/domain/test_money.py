"""Money: decimals from strings only, minor units, half-even line totals, dated rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acsa.domain.errors import CurrencyMismatch, InvalidValue, RateMissing, UnknownCurrency
from acsa.domain.money import (
    DECIMAL_PLACES_MAX,
    ExchangeRate,
    Money,
    RateBook,
    convert,
    decimal_text,
    line_total,
    minor_units,
    parse_decimal,
    sum_money,
)

D = Decimal

# ---------------------------------------------------------------------------
# Parsing: plain decimal strings only.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", D("0")),
        ("12", D("12")),
        ("12.50", D("12.50")),
        ("0.000001", D("0.000001")),  # six places: the most a quantity or price carries
        ("1234567.123456", D("1234567.123456")),
    ],
)
def test_parse_decimal_reads_plain_decimal_strings(text: str, expected: Decimal) -> None:
    assert parse_decimal(text, field="quantity") == expected


@pytest.mark.parametrize(
    "value",
    [
        1.5,  # a float: never
        0.1,
        12,  # an int: amounts travel as strings
        True,
        None,
        D("1.5"),  # even a Decimal: the wire carries text
        "1e3",  # exponent
        "1E3",
        "1.5e-2",
        " 1",  # whitespace
        "1 ",
        "1.",  # no digits after the point
        ".5",  # no digit before it
        "+1",
        "01",  # leading zero
        "1,000",
        "1_000",
        "NaN",
        "Infinity",
        "",
        "١٢",  # Arabic-Indic digits: Decimal() would accept them
    ],
)
def test_parse_decimal_refuses_everything_else_and_names_the_field(value: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_decimal(value, field="lines[0].quantity")
    assert caught.value.field == "lines[0].quantity"
    assert caught.value.code == "invalid_value"


def test_parse_decimal_refuses_more_than_six_places_naming_the_field() -> None:
    assert DECIMAL_PLACES_MAX == 6
    with pytest.raises(InvalidValue, match="more than 6 decimal places") as caught:
        parse_decimal("0.1234567", field="lines[2].unit_price")
    assert caught.value.field == "lines[2].unit_price"
    assert str(caught.value).startswith("lines[2].unit_price: ")


def test_parse_decimal_refuses_negatives_unless_allowed() -> None:
    with pytest.raises(InvalidValue, match="must not be negative"):
        parse_decimal("-1", field="quantity")
    assert parse_decimal("-1.25", field="adjustment", allow_negative=True) == D("-1.25")
    assert parse_decimal("-0", field="quantity") == 0  # minus zero is zero, not negative


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1234", "JPY", 1234),
        ("1234.50", "PHP", 123450),
        ("1234.5", "PHP", 123450),  # fewer places than the currency has is fine
        ("0.01", "USD", 1),
        ("-5.00", "PHP", -500),  # a credit note or a refund may be negative
        ("1.000", "USD", 100),  # trailing zeros beyond the currency's digits are exact
    ],
)
def test_money_parse(text: str, currency: str, minor: int) -> None:
    assert Money.parse(text, currency) == Money(currency, minor)


@pytest.mark.parametrize(
    ("text", "currency"),
    [("1.5", "JPY"), ("0.001", "PHP"), ("10.125", "USD")],
)
def test_money_parse_refuses_digits_the_currency_does_not_have(text: str, currency: str) -> None:
    with pytest.raises(InvalidValue, match=f"more decimal places than {currency}") as caught:
        Money.parse(text, currency, field="payment.amount")
    assert caught.value.field == "payment.amount"


def test_money_parse_refuses_floats_and_unknown_currencies() -> None:
    with pytest.raises(InvalidValue):
        Money.parse(1000.0, "JPY")
    with pytest.raises(UnknownCurrency) as caught:
        Money.parse("1", "XYZ")
    assert caught.value.code == "unknown_currency"
    assert caught.value.field == "currency"


def test_money_parse_is_exact_beyond_28_significant_digits() -> None:
    # Python's default decimal context keeps 28 digits; an amount is never rounded by it.
    text = "1234567890123456789012345678901.25"
    assert Money.parse(text, "PHP").minor == 123456789012345678901234567890125
    assert Money.parse(text, "PHP").text() == text


def test_money_holds_an_integer_of_minor_units_only() -> None:
    with pytest.raises(InvalidValue):
        Money("JPY", 1.0)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        Money("JPY", True)
    with pytest.raises(UnknownCurrency):
        Money("XXX", 1)


def test_minor_units_of_the_agreement_currencies() -> None:
    assert (minor_units("JPY"), minor_units("PHP"), minor_units("USD")) == (0, 2, 2)


# ---------------------------------------------------------------------------
# Arithmetic.


def test_money_arithmetic_in_one_currency() -> None:
    a, b = Money.parse("1000.50", "PHP"), Money.parse("250.75", "PHP")
    assert a + b == Money("PHP", 125125)  # 1251.25
    assert a - b == Money("PHP", 74975)  # 749.75
    assert b - a == Money("PHP", -74975)
    assert -a == Money("PHP", -100050)
    assert a.min(b) == b
    assert Money.zero("PHP").is_zero and not a.is_zero
    assert str(a) == "1000.50 PHP"
    assert Money("JPY", 1234).text() == "1234"
    assert Money("PHP", 5).text() == "0.05"
    assert Money("PHP", -5).text() == "-0.05"
    assert Money("USD", 123456).as_decimal() == D("1234.56")


@pytest.mark.parametrize(
    "combine",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a.min(b),
    ],
)
def test_combining_two_currencies_raises_currency_mismatch(combine: object) -> None:
    with pytest.raises(CurrencyMismatch, match="cannot combine JPY with PHP") as caught:
        combine(Money("JPY", 100), Money("PHP", 100))  # type: ignore[operator]
    assert caught.value.code == "currency_mismatch"


def test_sum_money() -> None:
    assert sum_money([], "JPY") == Money("JPY", 0)
    assert sum_money([Money("JPY", 100), Money("JPY", 250)], "JPY") == Money("JPY", 350)
    with pytest.raises(CurrencyMismatch):
        sum_money([Money("JPY", 100)], "PHP")


def test_decimal_text_is_canonical() -> None:
    assert decimal_text(D("12.500")) == "12.5"
    assert decimal_text(D("12.000")) == "12"
    assert decimal_text(D("1E+3")) == "1000"
    assert decimal_text(D("0.000")) == "0"
    assert decimal_text(D("-0")) == "0"
    assert decimal_text(D("0.000001")) == "0.000001"


# ---------------------------------------------------------------------------
# Line totals: quantity × unit price, half-even to the minor unit.


@pytest.mark.parametrize(
    ("quantity", "unit_price", "currency", "expected_minor"),
    [
        # JPY has no minor digits: a half rounds to the even yen.
        ("2.5", "1", "JPY", 2),  # 2.5 → 2
        ("3.5", "1", "JPY", 4),  # 3.5 → 4
        ("0.5", "1", "JPY", 0),  # 0.5 → 0
        ("1.5", "1", "JPY", 2),  # 1.5 → 2
        ("2.5", "101", "JPY", 252),  # 252.5 → 252
        ("1.5", "105", "JPY", 158),  # 157.5 → 158
        ("0.25", "10", "JPY", 2),  # 2.5 → 2
        ("0.5", "7", "JPY", 4),  # 3.5 → 4
        ("2.51", "1", "JPY", 3),  # above the half rounds up
        ("2.49", "1", "JPY", 2),  # below the half rounds down
        ("1234.5", "3", "JPY", 3704),  # 3703.5 → 3704
        # PHP has two: a half centavo rounds to the even centavo.
        ("0.125", "1", "PHP", 12),  # 0.125 → 0.12
        ("0.135", "1", "PHP", 14),  # 0.135 → 0.14
        ("0.5", "0.25", "PHP", 12),  # 0.125 → 0.12
        ("0.5", "0.27", "PHP", 14),  # 0.135 → 0.14
        ("2.5", "0.05", "PHP", 12),  # 0.125 → 0.12
        ("1.5", "12.35", "PHP", 1852),  # 18.525 → 18.52
        ("1.5", "12.37", "PHP", 1856),  # 18.555 → 18.56
        ("3", "1.005", "PHP", 302),  # 3.015 → 3.02
        ("7.5", "0.333", "PHP", 250),  # 2.4975 → 2.50 (not a half: rounds up)
        ("1000", "56.125", "PHP", 5612500),  # whole: 56125.00
        ("0.000001", "0.000001", "PHP", 0),  # 1e-12 → 0.00
        # USD likewise.
        ("1.5", "0.15", "USD", 22),  # 0.225 → 0.22
        ("1.5", "0.17", "USD", 26),  # 0.255 → 0.26
    ],
)
def test_line_total_rounds_half_even(
    quantity: str, unit_price: str, currency: str, expected_minor: int
) -> None:
    assert line_total(D(quantity), D(unit_price), currency) == Money(currency, expected_minor)


def test_line_total_of_a_fuel_delivery() -> None:
    # 12,345.678 L of JP-5 at PHP 58.4321 a litre:
    #   12,345.678 × 58     = 716,049.324
    #   12,345.678 × 0.4321 =   5,334.5674638
    #                         721,383.8914638 → PHP 721,383.89
    assert line_total(D("12345.678"), D("58.4321"), "PHP") == Money("PHP", 72138389)


def test_line_total_where_float_would_be_wrong() -> None:
    # In binary floating point 0.1 × 3 = 0.30000000000000004 and 1.005 × 1000 = 1004.9999…
    assert 0.1 * 3 != 0.3
    assert line_total(D("0.1"), D("3"), "PHP") == Money("PHP", 30)  # exactly 0.30
    assert line_total(D("3"), D("0.1"), "JPY") == Money("JPY", 0)  # 0.3 yen → 0
    assert round(2.675 * 1, 2) == 2.67  # float: 2.675 is 2.67499999…
    assert line_total(D("2.675"), D("1"), "USD") == Money("USD", 268)  # exact 2.675 → 2.68


def test_line_total_ignores_the_ambient_decimal_context() -> None:
    # A library that lowers the global precision must not change a figure.
    with localcontext() as ctx:
        ctx.prec = 4
        assert line_total(D("123.45"), D("3"), "PHP") == Money("PHP", 37035)  # 370.35
        assert Money("PHP", 1234567).as_decimal() == D("12345.67")
        assert Money.parse("12345.67", "PHP") == Money("PHP", 1234567)
    # Nor is a product of more than 28 significant digits rounded twice.
    # 12345678901234.123456 × 1234567.123455 = 15241569288195696844.56226326…
    assert line_total(D("12345678901234.123456"), D("1234567.123455"), "PHP") == Money(
        "PHP", 1524156928819569684456
    )


# ---------------------------------------------------------------------------
# Conversion with dated rates.

RATES = RateBook(
    (
        ExchangeRate(date(2026, 1, 5), "USD", "JPY", D("157.20")),
        ExchangeRate(date(2026, 2, 2), "USD", "JPY", D("152.80")),
        ExchangeRate(date(2026, 1, 5), "USD", "PHP", D("58.50")),
        ExchangeRate(date(2026, 3, 2), "PHP", "USD", D("0.0175")),  # entered the other way
    )
)


def test_convert_rounds_half_even() -> None:
    assert convert(Money("USD", 100), D("152.5"), "JPY") == Money("JPY", 152)  # 152.5 → 152
    assert convert(Money("USD", 100), D("153.5"), "JPY") == Money("JPY", 154)  # 153.5 → 154
    assert convert(Money("JPY", 1), D("0.005"), "USD") == Money("USD", 0)  # 0.005 → 0.00
    assert convert(Money("JPY", 3), D("0.005"), "USD") == Money("USD", 2)  # 0.015 → 0.02


def test_rate_is_the_latest_on_or_before_the_date() -> None:
    assert RATES.rate("USD", "JPY", date(2026, 1, 5)) == D("157.20")  # the day it was entered
    assert RATES.rate("USD", "JPY", date(2026, 2, 1)) == D("157.20")  # the day before the next
    assert RATES.rate("USD", "JPY", date(2026, 2, 2)) == D("152.80")
    assert RATES.rate("USD", "JPY", date(2026, 12, 31)) == D("152.80")
    # USD 1,000.00 on 2026-01-20 at 157.20 = JPY 157,200
    assert RATES.convert(Money("USD", 100000), "JPY", date(2026, 1, 20)) == Money("JPY", 157200)


def test_inverse_rate_is_used_when_only_the_other_direction_is_entered() -> None:
    # JPY → USD was never entered: 1 / 152.80 = 0.006544502617801047120418848168
    rate = RATES.rate("JPY", "USD", date(2026, 2, 10))
    assert rate == D("0.006544502617801047120418848168")
    # JPY 10,000,000 × that = 65,445.026178… → USD 65,445.03
    assert RATES.convert(Money("JPY", 10_000_000), "USD", date(2026, 2, 10)) == Money(
        "USD", 6544503
    )


def test_the_more_recent_of_direct_and_inverse_rates_wins() -> None:
    # USD→PHP entered 2026-01-05 (58.50); PHP→USD entered 2026-03-02 (0.0175 → 57.142857…).
    assert RATES.rate("USD", "PHP", date(2026, 2, 1)) == D("58.50")
    assert RATES.rate("USD", "PHP", date(2026, 3, 2)) == D("57.14285714285714285714285714")
    assert RATES.rate("PHP", "USD", date(2026, 3, 2)) == D("0.0175")


def test_same_currency_needs_no_rate() -> None:
    assert RATES.rate("JPY", "JPY", date(2000, 1, 1)) == 1
    assert RATES.convert(Money("JPY", 500), "JPY", date(2000, 1, 1)) == Money("JPY", 500)


def test_rate_missing_before_any_rate() -> None:
    with pytest.raises(RateMissing, match="no USD/JPY rate on or before 2026-01-04") as caught:
        RATES.rate("USD", "JPY", date(2026, 1, 4))
    assert caught.value.code == "rate_missing"
    with pytest.raises(RateMissing):
        RATES.convert(Money("JPY", 1), "PHP", date(2026, 6, 1))  # never entered at all
    with pytest.raises(RateMissing):
        RateBook().rate("USD", "PHP", date(2026, 6, 1))


def test_an_exchange_rate_must_be_positive_and_in_known_currencies() -> None:
    with pytest.raises(InvalidValue, match="positive"):
        ExchangeRate(date(2026, 1, 1), "USD", "JPY", D("0"))
    with pytest.raises(UnknownCurrency):
        ExchangeRate(date(2026, 1, 1), "USD", "XYZ", D("1"))


# ---------------------------------------------------------------------------
# Properties.

CURRENCIES = st.sampled_from(["JPY", "PHP", "USD"])
DECIMAL_TEXT = st.from_regex(r"-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,8})?", fullmatch=True)


@settings(max_examples=300)
@given(st.text(max_size=30), CURRENCIES)
def test_money_parse_of_any_text_either_refuses_or_round_trips(text: str, currency: str) -> None:
    try:
        money = Money.parse(text, currency)
    except InvalidValue:
        return
    assert Money.parse(money.text(), currency) == money
    assert money.as_decimal() == Decimal(text)


@settings(max_examples=300)
@given(DECIMAL_TEXT, CURRENCIES)
def test_money_parse_of_decimal_text_round_trips_exactly(text: str, currency: str) -> None:
    try:
        money = Money.parse(text, currency)
    except InvalidValue as refused:
        # Refused only for places the currency (or any amount) cannot carry.
        assert "decimal places" in refused.message
        places = len(text.partition(".")[2].rstrip("0"))
        assert places > minor_units(currency) or len(text.partition(".")[2]) > 6
        return
    assert money.as_decimal() == Decimal(text)
    assert Money.parse(money.text(), currency) == money


MINOR = st.integers(min_value=-(10**20), max_value=10**20)


@given(MINOR, MINOR, MINOR, CURRENCIES)
def test_sums_are_associative_and_commutative(a: int, b: int, c: int, currency: str) -> None:
    x, y, z = Money(currency, a), Money(currency, b), Money(currency, c)
    assert (x + y) + z == x + (y + z)
    assert x + y == y + x
    assert (x + y) - y == x
    assert sum_money([x, y, z], currency) == Money(currency, a + b + c)


QUANTITY = st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False)
PRICE = st.decimals(min_value=0, max_value=10**7, places=4, allow_nan=False)


@given(QUANTITY, PRICE, CURRENCIES)
def test_line_total_is_the_exact_product_rounded_half_even(
    quantity: Decimal, price: Decimal, currency: str
) -> None:
    # The exact product, scaled to minor units by integer arithmetic only.
    digits = minor_units(currency)
    q_int, q_exp = int(quantity.scaleb(3)), 3
    p_int, p_exp = int(price.scaleb(4)), 4
    numerator = q_int * p_int * 10**digits
    denominator = 10 ** (q_exp + p_exp)
    whole, rest = divmod(numerator, denominator)
    if 2 * rest > denominator or (2 * rest == denominator and whole % 2 == 1):
        whole += 1
    assert line_total(quantity, price, currency) == Money(currency, whole)


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=1, max_value=10**6))
def test_line_total_never_goes_through_float(tenths: int, count: int) -> None:
    # "0.1" × n in tenths: the exact total is always tenths × n / 10, which
    # float arithmetic misses for many inputs (0.1 × 3 = 0.30000000000000004).
    quantity = D(tenths).scaleb(-1)
    total = line_total(quantity, D(count), "USD")
    assert total == Money("USD", tenths * count * 10)

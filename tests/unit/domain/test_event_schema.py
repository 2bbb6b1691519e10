"""The event schema's limits: every figure's digits, the totals computed from them, U+0000."""

from __future__ import annotations

from typing import Any

import pytest

from acsa.domain.errors import InvalidValue
from acsa.domain.event_schema import DIGITS_MAX, TOO_MANY_DIGITS, check_data, check_event_data

BIG = "1" + "0" * DIGITS_MAX  # one digit too many
TOP = "9" * DIGITS_MAX


@pytest.mark.parametrize(("data", "field"), [
    ({"terms": {"lines": [{"quantity": "1", "unit_price": BIG}]}}, "lines[0].unit_price"),
    ({"terms": {"lines": [{"quantity": BIG + ".5", "unit_price": "1"}]}}, "lines[0].quantity"),
    ({"lines": [{"line": 1, "quantity": "-" + BIG}]}, "lines[0].quantity"),
    ({"amount": BIG + ".00"}, "amount"),
    ({"total": BIG}, "total"),
    ({"orders": [{"order": "X", "received": BIG}]}, "orders[0].received"),
    ({"orders": [{"order": "X", "value": "1", "valued": BIG, "to_cash": "0"}]},
     "orders[0].valued"),
    ({"rates": [{"base": "JPY", "quote": "PHP", "rate": BIG}]}, "rates[0].rate"),
    ({"profile": {"ceilings": [{"annual_cap": BIG}]}}, "profile.ceilings[0].annual_cap"),
    ({"profile": {"pricing": {"write_off_limits": {"JPY": BIG}}}},
     "profile.pricing.write_off_limits.JPY"),
    ({"terms": {"lines": [{"quantity": "10", "unit_price": TOP}]}}, "lines[0]"),
    ({"terms": {"lines": [{"quantity": "1", "unit_price": TOP},
                          {"quantity": "1", "unit_price": "1"}]}}, "lines"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_figure_over_the_limit_is_named(data: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        check_data(data)
    assert refused.value.field == field
    assert refused.value.params == {"digits": DIGITS_MAX}


def test_figures_at_the_limit_pass() -> None:
    check_data({"terms": {"lines": [{"quantity": "1", "unit_price": TOP + ".999999"}]},
                "amount": "-" + TOP + ".99", "rates": [{"rate": "0.000001"}],
                "note": "not a figure: " + BIG + BIG})
    assert f"at most {DIGITS_MAX} digits" == TOO_MANY_DIGITS  # the catalogue's msgid


@pytest.mark.parametrize(("data", "field"), [
    ({"reason": "late\x00"}, "reason"),
    ({"terms": {"lines": [{"description": "a\x00b"}]}}, "lines[0].description"),
    ({"evidence": [{"name": "x", "sha256": "y\x00"}]}, "evidence[0].sha256"),
    ({"notes": ["fine", "\x00"]}, "notes[1]"),
])
def test_nul_in_any_text_is_named(data: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValue, match="U\\+0000") as refused:
        check_data(data)
    assert refused.value.field == field


def test_version_1_data_is_never_judged_by_the_limits() -> None:
    held = {"terms": {"lines": [{"quantity": "1", "unit_price": BIG, "description": "\x00"}]}}
    check_event_data(held, 1)
    with pytest.raises(InvalidValue):
        check_event_data(held, 2)

"""What an event's data may hold, by the version of the event schema that signed it.

The envelope's ``v`` names the event schema. Version 2 bounds what version 1
left open, so that no figure or text a party signs can fail to be stored,
summed or read alike by every node, on SQLite or PostgreSQL:

- **Figures** — every quantity, unit price, amount, total, value and
  exchange rate, wherever it sits in the data (the keys in
  :data:`FIGURE_KEYS`), and every ceiling and write-off limit of an adopted
  profile — have at most :data:`DIGITS_MAX` digits before the decimal
  point; so do the figures the rules compute from them: a line's quantity ×
  unit price, and the sum of a list of such lines.
- **Text** never holds U+0000 (PostgreSQL cannot store it, so a SQLite and
  a PostgreSQL node could not hold the same record).

``DIGITS_MAX`` is 13: ten trillion in any currency (about ¥10 trillion, the
whole of Japan's annual defence budget, or $10 trillion), a hundred
thousand times the largest single ACSA order on record. In minor units such
an amount is below 10^15 — an exact JSON integer (below 2^53) — so a line's
total or an order's value always fits a signed 64-bit column with room for
over 9,000 of them to be summed into one balance. Decimal places stay at
most :data:`~acsa.domain.money.DECIMAL_PLACES_MAX`, so a figure's text is
at most 20 characters.

Events of version 1, signed before these limits existed, are never judged by
them: a rule that would turn an event already held ineffective would change
every node's record of the past. What the limits refuse is named by field
(``lines[0].unit_price``), as the forms label it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Context, Decimal
from typing import Any

from acsa.domain.errors import InvalidValue

# The first event schema version whose data is bounded as this module says.
LIMITED_FROM = 2

DIGITS_MAX = 13


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues; pages translate it when they show it."""
    return message


# The refusals, written out (the limit too) so that a page finds each in its catalogue.
TOO_MANY_DIGITS = N_("at most 13 digits")
LINE_TOO_LARGE = N_("quantity × unit price: at most 13 digits")
LINES_TOO_LARGE = N_("the lines' total: at most 13 digits")
NUL_IN_TEXT = N_("must not contain the character U+0000")

FIGURE_KEYS = frozenset({
    "quantity", "unit_price", "damaged", "amount", "total", "received", "value", "valued",
    "to_cash", "rate", "annual_cap", "cap",
})
# Objects whose every value is a figure, keyed by currency (a profile's write-off limits).
FIGURE_MAPS = frozenset({"write_off_limits"})

_PLAIN = re.compile(r"-?([0-9]+)(?:\.([0-9]+))?")
_BOUND = Decimal(10) ** DIGITS_MAX
# Wide enough for the product of two figures within the limit, so the bound is judged exactly.
_WIDE = Context(prec=64)


def limited(version: int) -> bool:
    """Whether events of schema ``version`` are bounded by this module's limits."""
    return version >= LIMITED_FROM


def check_event_data(data: Mapping[str, Any], version: int) -> None:
    """Raise :class:`InvalidValue` naming the first field over a limit of ``version``."""
    if limited(version):
        check_data(data)


def check_data(data: Mapping[str, Any]) -> None:
    """Raise :class:`InvalidValue` naming the first figure or text over the limits.

    Order terms are named as their form names them (``lines[0].unit_price``,
    not ``terms.lines[0].unit_price``).
    """
    _walk(data, "")


def check_text(value: str, field: str) -> None:
    """Refuse U+0000 in ``value`` (a header text, a name typed into a form)."""
    if "\x00" in value:
        raise InvalidValue(NUL_IN_TEXT, field=field)


def digits(text: str) -> int | None:
    """The digits before the point of a plain decimal text, or None if it is not one."""
    found = _PLAIN.fullmatch(text)
    return len(found.group(1).lstrip("0") or "0") if found else None


def check_figure(text: str, field: str) -> None:
    """Refuse a figure with more than :data:`DIGITS_MAX` digits before the point."""
    count = digits(text)
    if count is not None and count > DIGITS_MAX:
        raise InvalidValue(TOO_MANY_DIGITS, field=field, digits=DIGITS_MAX)


def _child(path: str, key: str) -> str:
    if not path and key == "terms":
        return ""  # the order's terms are named as the order form names them
    return f"{path}.{key}" if path else key


def _walk(value: Any, path: str) -> None:
    if isinstance(value, str):
        check_text(value, path or "data")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            check_text(str(key), path or "data")
            where = _child(path, str(key))
            if isinstance(item, str) and (key in FIGURE_KEYS):
                check_figure(item, where)
            if key in FIGURE_MAPS and isinstance(item, Mapping):
                for cur, limit in item.items():
                    if isinstance(limit, str):
                        check_figure(limit, f"{where}.{cur}")
            _walk(item, where)
        _check_line_total(value, path)
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        for i, item in enumerate(value):
            _walk(item, f"{path}[{i}]")
        _check_lines_sum(value, path)


def _figure(value: object) -> Decimal | None:
    return Decimal(value) if isinstance(value, str) and digits(value) is not None else None


def _line_total(line: Any) -> Decimal | None:
    """Quantity × unit price of a priced line (both figures already within the limit)."""
    if not isinstance(line, Mapping):
        return None
    quantity, price = _figure(line.get("quantity")), _figure(line.get("unit_price"))
    if quantity is None or price is None:
        return None
    return abs(_WIDE.multiply(quantity, price))


def _check_line_total(line: Mapping[str, Any], path: str) -> None:
    total = _line_total(line)
    if total is not None and total >= _BOUND:
        raise InvalidValue(LINE_TOO_LARGE, field=path or "data", digits=DIGITS_MAX)


def _check_lines_sum(lines: Sequence[Any], path: str) -> None:
    totals = [t for t in (_line_total(line) for line in lines) if t is not None]
    total = Decimal(0)
    for t in totals:
        total = _WIDE.add(total, t)
    if len(totals) > 1 and total >= _BOUND:
        raise InvalidValue(LINES_TOO_LARGE, field=path or "data", digits=DIGITS_MAX)


__all__ = [
    "DIGITS_MAX",
    "FIGURE_KEYS",
    "LIMITED_FROM",
    "LINES_TOO_LARGE",
    "LINE_TOO_LARGE",
    "NUL_IN_TEXT",
    "TOO_MANY_DIGITS",
    "check_data",
    "check_event_data",
    "check_figure",
    "check_text",
    "digits",
    "limited",
]

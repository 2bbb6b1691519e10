"""A refusal's named parameters as JSON values, for problem documents and ``--json``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from acsa.domain.errors import DomainError
from acsa.domain.money import Money, decimal_text


def plain_params(exc: DomainError) -> dict[str, Any]:
    """``exc.params`` as JSON values: money as ``{"amount": "1234.50", "currency": "PHP"}``
    (major units, as the API writes amounts), dates ISO 8601, decimals as text."""
    return {name: plain_value(value) for name, value in exc.params.items()}


def plain_value(value: object) -> Any:
    """A parameter of a refusal as a JSON value."""
    if isinstance(value, Enum):
        return plain_value(value.value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Money):
        return {"amount": value.text(), "currency": value.currency}
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, Mapping):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [plain_value(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return str(value)



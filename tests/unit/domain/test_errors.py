"""Refusals: each is a subclass named for its condition, with its own code and the values
its message names."""

from __future__ import annotations

import ast
import json
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from acsa.domain import errors as E
from acsa.domain.money import Money
from acsa.domain.params import plain_params
from acsa.domain.parties import Role

PACKAGE = Path(__file__).resolve().parents[3] / "src" / "acsa"

# No module raises or builds the bare `DomainError(...)`: each refusal is a subclass
# named for its condition, with a code of its own.
BARE_ALLOWED: Counter[str] = Counter()


def _is_domain_error(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "DomainError") or (
        isinstance(node, ast.Attribute) and node.attr == "DomainError")


def _trees() -> list[tuple[str, ast.Module]]:
    return [(file.relative_to(PACKAGE.parent).as_posix(),
             ast.parse(file.read_text(encoding="utf-8"), filename=str(file)))
            for file in sorted(PACKAGE.rglob("*.py"))]


def test_no_bare_domain_error_is_raised_or_built() -> None:
    found: Counter[str] = Counter()
    lines: dict[str, list[int]] = {}
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _is_domain_error(node.func):
                found[path] += 1
                lines.setdefault(path, []).append(node.lineno)
    over = {path: lines[path] for path, n in found.items()
            if n > BARE_ALLOWED[path.rsplit("/", 1)[-1]]}
    assert not over, ("raise a subclass named for the condition, with its own code, not the "
                      f"bare DomainError: {over}")


def test_every_refusal_class_has_its_own_code() -> None:
    missing = []
    for path, tree in _trees():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.ClassDef) and any(map(_is_domain_error, node.bases))):
                continue
            own = [t for stmt in node.body if isinstance(stmt, ast.Assign)
                   for t in stmt.targets if isinstance(t, ast.Name) and t.id == "code"]
            if not own:
                missing.append(f"{path}::{node.name}")
    assert not missing, f"refusal classes without their own code: {missing}"


def test_codes_are_distinct_and_none_is_the_generic_one() -> None:
    classes = [c for c in vars(E).values()
               if isinstance(c, type) and issubclass(c, E.DomainError) and c is not E.DomainError]
    codes = Counter(c.code for c in classes)
    assert "domain_error" not in codes
    assert [code for code, n in codes.items() if n > 1] == []


def test_a_refusal_carries_its_named_values() -> None:
    limit, amount = Money("PHP", 1_000_000), Money("PHP", 1_250_050)
    exc = E.LimitExceeded("above the limit", field="amount", limit=limit, amount=amount,
                          role=Role.APPROVING_OFFICIAL, date=date(2026, 2, 3),
                          tolerance=Decimal("0.050"), units=frozenset({"B", "A"}))
    assert exc.params["limit"] == limit and exc.field == "amount"
    assert str(exc) == "amount: above the limit"  # the message is unchanged
    plain = plain_params(exc)
    assert plain == {
        "limit": {"amount": "10000.00", "currency": "PHP"},
        "amount": {"amount": "12500.50", "currency": "PHP"},
        "role": "approving_official", "date": "2026-02-03", "tolerance": "0.05",
        "units": ["A", "B"],
    }
    assert type(plain["role"]) is str
    json.dumps(plain)  # JSON as it stands
    assert E.InvalidValue("must be text", field="name").params == {}


def test_the_domain_fills_the_values_its_messages_name() -> None:
    from acsa.domain.roster import Appointment, Roster

    appointment = Appointment("a1", "JPN", "jpn.approving", "Sato", Role.APPROVING_OFFICIAL,
                              date(2026, 1, 1), date(2026, 12, 31), frozenset({"JMSDF-ESF1"}),
                              {"JPY": 1_000_000})
    roster = Roster.of([appointment])
    asked = {"party": "JPN", "user": "jpn.approving", "role": Role.APPROVING_OFFICIAL}
    with pytest.raises(E.NotAppointed) as caught:
        roster.authorize("a1", unit="JMSDF-ESF1", on=date(2027, 1, 4), **asked)
    assert plain_params(caught.value) == {
        "user": "jpn.approving", "party": "JPN", "role": "approving_official",
        "appointment": "a1", "date": "2027-01-04", "valid_from": "2026-01-01",
        "valid_to": "2026-12-31"}
    with pytest.raises(E.NotAppointed) as caught:
        roster.authorize("a1", unit="JGSDF-1HB", on=date(2026, 2, 3), **asked)
    assert caught.value.params["unit"] == "JGSDF-1HB" and caught.value.field == "unit"
    with pytest.raises(E.LimitExceeded) as caught:
        roster.authorize("a1", unit="JMSDF-ESF1", on=date(2026, 2, 3),
                         amount=Money("JPY", 1_000_001), **asked)
    assert plain_params(caught.value)["limit"] == {"amount": "1000000", "currency": "JPY"}
    assert plain_params(caught.value)["amount"] == {"amount": "1000001", "currency": "JPY"}

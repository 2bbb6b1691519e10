"""Every refusal a page can show, in Japanese: each error code's name, each sentence the
domain and the services refuse with (walked from the source), and each error the
forms' request schemas can produce.

A refusal is built from its sentence with a value for each of its placeholders, as the
code raising it would build it, and put into words for a Japanese reader. The test
fails on a sentence the catalogues do not translate, on a Japanese message that is
English (ASCII only), and on a code, a field key or an ISO date in one.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import acsa
from acsa.domain.errors import DomainError, InvalidValue
from acsa.domain.money import Money
from acsa.i18n import gettext
from acsa.i18n.labels import label
from acsa.i18n.refusals import VALIDATION, refusal, validation_message
from acsa.web.api import schemas as S
from acsa.web.ui.actions import ACTION_ROUTES

SOURCE = Path(acsa.__file__).resolve().parent
# Where the refusals a page can show are raised. The command line, the federation and
# the node's setup speak to operators in English and are not walked.
WALKED = ("domain", "services", "web", "reports", "i18n")
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
DAY = date(2026, 12, 2)


def error_classes() -> dict[str, type[DomainError]]:
    found: dict[str, type[DomainError]] = {}
    for module in pkgutil.walk_packages(acsa.__path__, "acsa."):
        if module.name.endswith("__main__"):
            continue
        loaded = importlib.import_module(module.name)
        for value in vars(loaded).values():
            if isinstance(value, type) and issubclass(value, DomainError):
                found[value.__name__] = value
    return found


CLASSES = error_classes()


def _calls(tree: ast.AST) -> list[ast.Call]:
    names = set(CLASSES) - {"DomainError"}
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) in names]


def _marked(node: ast.AST) -> list[str]:
    """The N_("…") sentences inside ``node`` (an argument, or both arms of a choice)."""
    return [n.args[0].value for n in ast.walk(node) if isinstance(n, ast.Call)
            and getattr(n.func, "id", None) == "N_" and n.args
            and isinstance(n.args[0], ast.Constant)]


def walked_sites() -> list[tuple[str, int, ast.Call]]:
    out = []
    for part in WALKED:
        for path in sorted((SOURCE / part).rglob("*.py")):
            for call in _calls(ast.parse(path.read_text())):
                out.append((f"{path.relative_to(SOURCE)}:{call.lineno}", call.lineno, call))
    return out


SITES = walked_sites()


def module_sentences() -> set[str]:
    """The sentences of refusals raised with a constant (``LOGIN_FAILED``,
    ``TOO_MANY_DIGITS``): module-level names marked N_("…") that a refusal is given."""
    given = {arg.id for _, _, call in SITES if call.args
             for arg in (call.args[0], getattr(call.args[0], "value", None))
             if isinstance(arg, ast.Name)}
    found: set[str] = set()
    for part in WALKED:
        for path in (SOURCE / part).rglob("*.py"):
            for node in ast.parse(path.read_text()).body:
                targets = (node.targets if isinstance(node, ast.Assign) else
                           [node.target] if isinstance(node, ast.AnnAssign) else [])
                if node_value(node) and any(getattr(t, "id", None) in given for t in targets):
                    found.update(_marked(node_value(node)))
    return found


def test_no_refusal_is_raised_with_words_the_catalogues_cannot_hold() -> None:
    """A refusal's message is a marked sentence (or a value carrying one), never an
    f-string or text the catalogues never see. A profile file's problems are the one
    exception: they name the file's own keys, for the administrator adopting it from
    the command line, and no page shows them."""
    unmarked = [where for where, _, call in SITES if call.args and isinstance(
        call.args[0], (ast.JoinedStr, ast.Constant, ast.BinOp))
        and getattr(call.func, "id", None) != "ProfileInvalid"]
    assert not unmarked, unmarked
    assert len(SITES) > 400


def sample(name: str) -> Any:
    """A value for placeholder ``name`` of the kind the code raising it gives."""
    if name in ("date", "on", "due_on", "deadline", "recorded", "submitted_on"):
        return DAY
    if name in ("amount", "limit", "total", "outstanding", "paid", "value", "owed", "valued",
                "cap") and name != "limit":
        return Money("JPY", 1525000)
    if name in ("quantity", "delivered", "received", "ordered", "settled", "billed",
                "unit_price", "percent"):
        return Decimal("10000")
    return {"role": "ordering_official", "held_role": "supply_officer", "action": "accept",
            "status": "accepted", "side": "supplier", "method": "cash", "kind": "goods",
            "category": "pol", "activity_type": "hadr", "type": "hadr", "what": "invoice",
            "direction": "liabilities", "element": "fund_citation", "missing": ["poc", "lines"],
            "allowed": ["approving_official"], "task": "pay", "limit": 100}.get(name, "X7")


def node_value(node: ast.stmt) -> ast.expr | None:
    return node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None


SENTENCES = sorted({s for _, _, call in SITES for s in _marked(call)} | module_sentences())


@pytest.mark.parametrize("sentence", [s for s in SENTENCES if PLACEHOLDER.search(s)
                                      or re.search(r"[a-z]{3}", s)])
def test_each_sentence_reads_in_japanese(sentence: str) -> None:
    params = {name: sample(name) for name in PLACEHOLDER.findall(sentence)}
    if "role" in params and "allowed" not in params and "roles" not in params:
        params["roles"] = ["ordering_official"]
    text = refusal(InvalidValue(sentence, field="x", **params), "ja")
    assert gettext(sentence, "ja") != sentence, f"not translated: {sentence!r}"
    assert not text.isascii(), (sentence, text)
    assert not SNAKE.search(text), (sentence, text)
    assert "2026-12-02" not in text, (sentence, text)


@pytest.mark.parametrize("code", sorted({cls.code for cls in CLASSES.values()}))
def test_each_error_code_has_a_japanese_name(code: str) -> None:
    named = label("error", code, "ja")
    assert not named.isascii() and named != code, code


def test_a_sentence_the_catalogues_lack_is_never_shown_in_english() -> None:
    text = refusal(InvalidValue("a sentence nobody marked", field="x"), "ja")
    assert text == "値が不正です。"


# -- the forms' request schemas ---------------------------------------------------------------

BAD: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (S.OrderCreate, {"method": "barter", "poc": "x" * 3000, "on": "2026-13-45",
                     "lines": [{"quantity": "1" * 41, "no": "first"}], "typo": "x"}),
    (S.EmergencyCreate, {"agreement": "JPN-PHL-ACSA", "needed_by": 5}),
    (S.Reasoned, {"reason": ""}),
    (S.LineQuantity, {"line": 0, "quantity": "1"}),
    (S.LineQuantity, {"line": 10000, "quantity": "1"}),
    (S.InvoiceBody, {"kind": "bogus"}),
    (S.EvidenceRef, {"sha256": "nothex", "name": "a", "media_type": "b", "size": "big"}),
    (S.MarkingCreate, {"level": "SECRET", "caveats": ["x"] * 11}),
    (S.Reasoned, {"reason": "a\x00b"}),
] + [(route.body, {}) for route in ACTION_ROUTES.values()]


def schema_errors() -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for schema, data in BAD:
        try:
            schema.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                found.setdefault(f"{error['type']}:{error['msg'][:30]}", dict(error))
    return list(found.values())


@pytest.mark.parametrize("error", schema_errors(), ids=lambda e: str(e["type"]))
def test_each_error_a_form_schema_can_raise_reads_in_japanese(error: dict[str, Any]) -> None:
    assert error["type"] in VALIDATION or error["type"] == "value_error", error
    text = validation_message(error, "ja")
    assert not text.isascii() and "ここでは受け付けられない" not in text, (error, text)
    assert not SNAKE.search(text), text

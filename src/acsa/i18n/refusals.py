"""Refusals in the reader's language, phrased for an officer.

A :class:`~acsa.domain.errors.DomainError` carries an English sentence with
named placeholders (its ``template``, marked for the catalogues) and the
values it names (``params``). :func:`refusal` translates the sentence and
fills it with each value as the reader writes it: money with its currency's
digits, dates in the reader's calendar form, a role, status, action, method,
category or activity type by its label, a field by the words of the form. A
sentence the catalogues do not hold in the reader's language is never shown
in another: the reader gets the refusal's kind instead ("Invalid value").

:func:`validation_message` does the same for the checks of a request body
(Pydantic's error types), so that a form shows one kind of message whichever
layer refused it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from acsa.domain.errors import DomainError
from acsa.domain.money import Money
from acsa.i18n import (
    DEFAULT_LOCALE,
    N_,
    format_date,
    format_datetime,
    format_money,
    format_quantity,
    gettext,
)
from acsa.i18n.fields import field_label
from acsa.i18n.labels import KINDS, label

# Better words for the commonest refusals beside a field than the domain's terse ones.
PHRASED: Mapping[str, str] = {
    "is required": N_("Required: fill this in."),
    "must be text": N_("Type text here."),
    "must be more than zero": N_("Must be more than zero."),
}

# The words a refusal names a thing by (``what``: "no invoice '12' on …").
THING: Mapping[str, str] = {
    "invoice": N_("invoice"),
    "dispute": N_("dispute"),
    "proposed resolution": N_("proposed resolution"),
    "request": N_("request"),
    "return": N_("return"),
    "transfer request": N_("transfer request"),
    "payment": N_("payment"),
    "exchange": N_("exchange"),
    "offset": N_("offset"),
    "delivery": N_("delivery"),
    "receipt": N_("receipt"),
    "conversion": N_("conversion"),
    "residual": N_("residual"),
    "difference": N_("difference"),
    "the statement": N_("the statement"),
    "the offset": N_("the offset"),
    "orders": N_("orders"),
    "movements": N_("movements"),
    "liabilities": N_("liabilities"),
    "credits": N_("credits"),
    "amend": N_("amendment"),
    "close_short": N_("close-short"),
    "cancel": N_("cancellation"),
    "agreed": N_("agreed"),
    "disputed": N_("disputed"),
}

# Which labels name a value, by the parameter's name; "allowed" and "kind" lists hold
# codes of several kinds, tried in order.
LABELLED: Mapping[str, tuple[str, ...]] = {
    "role": ("role",), "held_role": ("role",), "roles": ("role",), "wanted": ("role",),
    "action": ("action",), "done": ("action",), "status": ("status",), "method": ("method",),
    "activity_type": ("activity_type",), "type": ("activity_type",),
    "category": ("category",), "side": ("side",), "task": ("task",),
    "kind": ("invoice_kind", "report", "document"), "what": (),
    "allowed": ("role", "status", "task", "report", "document"),
    "direction": (), "document": ("evidence_kind",),
    "report_status": ("compromise_status",), "needed_status": ("compromise_status",),
    "step": ("compromise_step",),
}
# Parameters that hold keys of a form's inputs.
FIELD_PARAMS = frozenset({"element", "missing"})

_QUOTED = re.compile(r"'(%\((\w+)\)s)'")


def refusal(exc: DomainError, locale: str | None = None) -> str:
    """``exc`` as one sentence in ``locale``, its values formatted for the reader."""
    locale = locale or DEFAULT_LOCALE
    template = PHRASED.get(exc.template, exc.template)
    translated = gettext(template, locale)
    if translated == template and locale != DEFAULT_LOCALE and _has_words(template):
        return sentence(label("error", exc.code, locale), locale)
    values = {name: shown(name, value, exc.params, locale)
              for name, value in exc.params.items()}
    text = fill(translated, exc.params, values)
    return sentence(text, locale, capital=not translated.startswith("%("))


def fill(text: str, params: Mapping[str, object], values: Mapping[str, str]) -> str:
    """``text`` with its placeholders filled; a quoted placeholder (``'%(x)s'``) keeps its
    quotes only for a value that was typed as text. The text unfilled when it cannot be."""
    text = _QUOTED.sub(lambda m: m.group(0) if isinstance(params.get(m.group(2)), str)
                       else m.group(1), text)
    try:
        return text % dict(values)
    except (KeyError, ValueError, TypeError):
        return text


def shown(name: str, value: object, params: Mapping[str, object], locale: str) -> str:
    """One value of a refusal as the reader writes it."""
    roles = params.get("roles")
    if name in ("role", "held_role") and isinstance(roles, list):
        return _joined([shown(name, r, {}, locale) for r in roles], locale, "or")
    if name == "name" and isinstance(params.get("category"), str):
        return _inside(label("category", str(params["category"]), locale), locale)
    if name in FIELD_PARAMS:
        items = value if isinstance(value, (list, tuple)) else [value]
        return _joined([field_label(str(v), locale) for v in items], locale)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return _joined([shown(name, v, params, locale) for v in items], locale)
    return _scalar(name, value, locale)


def _scalar(name: str, value: object, locale: str) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, Money):
        return format_money(value, locale)
    if isinstance(value, datetime):
        return format_datetime(value, locale)
    if isinstance(value, date):
        return format_date(value, locale)
    if isinstance(value, Decimal):
        return format_quantity(value, locale)
    text = str(value)
    if name in ("what", "direction", "kind", "status", "later") and text in THING:
        return gettext(THING[text], locale)
    for kind in LABELLED.get(name, ()):
        if text in KINDS[kind]:
            return _inside(label(kind, text, locale), locale)
    return text


def _inside(words: str, locale: str) -> str:
    """A label inside an English sentence: "ordering official", but "UN peacekeeping"."""
    if locale == "ja" or len(words) < 2 or not words[1].islower():
        return words
    return words[0].lower() + words[1:]


def _joined(items: list[str], locale: str, word: str = "and") -> str:
    if locale == "ja":
        return "、".join(items) if word == "and" else "または".join(items)
    return ", ".join(items) if word == "and" else " or ".join(items)


def sentence(text: str, locale: str, *, capital: bool = True) -> str:
    """A refusal as a sentence: closed by a full stop (in Japanese, 。) and, unless it opens
    with a value (a user's id), capitalised."""
    text = text.strip()
    if not text:
        return text
    if locale == "ja":
        return text if text[-1] in "。！？" else text + "。"
    if capital:
        text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _has_words(template: str) -> bool:
    """Whether a sentence holds words to translate (not only placeholders and signs)."""
    return bool(re.search(r"[A-Za-z]{2,}", re.sub(r"%\(\w+\)s", "", template)))


# -- checks of a request body (Pydantic) --------------------------------------------------

VALIDATION: Mapping[str, str] = {
    "missing": N_("Required: fill this in."),
    "string_too_short": N_("Required: fill this in."),
    "string_too_long": N_("Too long: at most %(max_length)s characters."),
    "too_short": N_("Required: fill in at least %(min_length)s."),
    "too_long": N_("Too many: at most %(max_length)s."),
    "decimal_parsing": N_("Not a number: write it like 1500 or 152.5."),
    "decimal_type": N_("Not a number: write it like 1500 or 152.5."),
    "float_parsing": N_("Not a number: write it like 1500 or 152.5."),
    "int_parsing": N_("Not a whole number: write it like 3."),
    "int_type": N_("Not a whole number: write it like 3."),
    "greater_than_equal": N_("Must be %(ge)s or more."),
    "less_than_equal": N_("Must be %(le)s or less."),
    "literal_error": N_("Not one of the choices offered: choose one."),
    "enum": N_("Not one of the choices offered: choose one."),
    "bool_parsing": N_("Not one of the choices offered: choose one."),
    "date_parsing": N_("Not a date: write it as year-month-day (YYYY-MM-DD)."),
    "date_from_datetime_parsing": N_("Not a date: write it as year-month-day (YYYY-MM-DD)."),
    "date_type": N_("Not a date: write it as year-month-day (YYYY-MM-DD)."),
    "string_pattern_mismatch": N_("Not in the form expected here."),
    "extra_forbidden": N_("This form does not take this field."),
}
# Our own checks in the request schemas, by the English words they raise.
VALUE_ERRORS: Mapping[str, str] = {
    "date": N_("Not a date: write it as year-month-day (YYYY-MM-DD)."),
    "NUL": N_("must not contain the character U+0000"),
}


def validation_message(error: Mapping[str, Any], locale: str | None = None) -> str:
    """One error of a request body's check (an item of ``ValidationError.errors()``)."""
    locale = locale or DEFAULT_LOCALE
    kind = str(error.get("type", ""))
    template = VALIDATION.get(kind)
    if kind == "value_error":
        message = str(error.get("msg", ""))
        template = next((t for word, t in VALUE_ERRORS.items() if word in message), None)
    if template is None:
        template = N_("This value is not accepted here.")
    context = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    try:
        text = gettext(template, locale) % context
    except (KeyError, ValueError, TypeError):
        text = gettext(N_("This value is not accepted here."), locale)
    return sentence(text, locale)

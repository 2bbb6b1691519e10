"""Problems with a submitted form, each beside its field, in the reader's language.

A refusal reaches a form from three places: the request schema's checks
(Pydantic), a service's :class:`~acsa.domain.errors.DomainError`, and the
several problems a form hears at once before anything is signed. Each is
shown once: beside the input it concerns (the list above the form names the
input by its label and links to it), or above the form when no input of the
form is at fault (an appointment, the order's status). Messages are phrased
by :mod:`acsa.i18n.refusals`; when the caller does not know the reader's
language yet, a message is put into words when the page is rendered, in the
page's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from acsa.domain.errors import DomainError
from acsa.i18n import N_, current_locale, gettext, ngettext
from acsa.i18n.fields import form_key
from acsa.i18n.refusals import refusal, sentence, validation_message


class LazyText:
    """Text put into words when it is shown (a page renders in its reader's language)."""

    def __init__(self, make: Callable[[str], str]) -> None:
        self.make = make

    def __str__(self) -> str:
        return self.make(current_locale.get())

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


Text = str | LazyText

# A refusal naming no list row but the whole list: where the form shows it.
WHOLE_LIST = N_("Fill in at least one line: category, description, quantity, unit of issue "
                "and unit price.")


@dataclass
class FormErrors:
    """Problems with a submitted form: by field name (dotted), and for the whole form."""

    fields: dict[str, Text] = field(default_factory=dict)
    general: list[Text] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def add(self, name: str, message: Text, rows: Mapping[str, list[int]] | None = None,
            inputs: Iterable[str] | None = None) -> None:
        """``message`` beside the input ``name`` stands for; the first one only, so that a
        field is never named twice. A name that is none of ``inputs`` (the form's inputs,
        when given) goes above the form."""
        if name == "form" or (inputs is not None and not on_form(name, inputs)):
            if message not in self.general:
                self.general.append(message)
            return
        self.fields.setdefault(form_field(form_key(name), rows or {}), message)

    @classmethod
    def of_validation(cls, exc: ValidationError, rows: Mapping[str, list[int]] | None = None,
                      locale: str | None = None) -> FormErrors:
        """The request schema's checks, each beside its field in the reader's words."""
        found = cls()
        for error in exc.errors():
            name = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
            found.add(name.lstrip(".") or "form", _validation_text(dict(error), locale), rows)
        return found

    @classmethod
    def of_domain(cls, exc: DomainError, rows: Mapping[str, list[int]] | None = None,
                  locale: str | None = None, inputs: Iterable[str] | None = None
                  ) -> FormErrors:
        """The refusal beside its field. The domain names list items by their place in
        the submitted list (``lines[1].quantity``); ``rows`` gives, per list, the form
        row each place came from, since rows left blank were not submitted."""
        found = cls()
        found.add(exc.field or "form", message_of(exc, locale), rows, inputs)
        return found

    @classmethod
    def of_problems(cls, problems: Iterable[DomainError], rows: Mapping[str, list[int]],
                    locale: str) -> FormErrors:
        """Several problems at once, each beside its field, and how many above the form."""
        found = cls()
        for exc in problems:
            found.add(exc.field or "form", message_of(exc, locale), rows)
        count = len(found.fields)
        if count:
            found.general.insert(0, ngettext("%(num)d problem: see the field marked below.",
                                             "%(num)d problems: see the fields marked below.",
                                             count, locale) % {"num": count})
        return found


def message_of(exc: DomainError, locale: str | None = None) -> Text:
    """A refusal's sentence for a form, in ``locale`` (else the page's language)."""
    if exc.field == "lines" and exc.template == "is required":
        return _text(lambda lang: sentence(gettext(WHOLE_LIST, lang), lang), locale)
    return _text(lambda lang: refusal(exc, lang), locale)


def _validation_text(error: dict[str, Any], locale: str | None) -> Text:
    return _text(lambda lang: validation_message(error, lang), locale)


def _text(make: Callable[[str], str], locale: str | None) -> Text:
    return make(locale) if locale else LazyText(make)


def on_form(name: str, inputs: Iterable[str]) -> bool:
    """Whether a refusal's key is one of a form's ``inputs`` (``user``, ``status`` or
    ``order`` seldom are: such a refusal is about the act, and goes above the form)."""
    key = form_key(name.removeprefix("terms."))
    base = re.split(r"[.\[]", key, maxsplit=1)[0]
    known = set(inputs)
    return key in known or base in known


_ITEM = re.compile(r"^(\w+)\[(\d+)\]")


def form_field(field: str, rows: Mapping[str, list[int]]) -> str:
    """``lines[1].quantity`` as the form's input name (``lines.2.quantity`` if the
    second submitted line was typed in the form's third row)."""
    field = field.removeprefix("terms.")
    match = _ITEM.match(field)
    if not match:
        return field
    name, place = match.group(1), int(match.group(2))
    numbers = rows.get(name, [])
    row = numbers[place] if place < len(numbers) else place
    return f"{name}.{row}{field[match.end():]}"


def filled_rows(form: Mapping[str, str], name: str) -> list[int]:
    """The numbers of the rows of list ``name`` in which something was typed, in order."""
    found = set()
    for key, value in form.items():
        parts = key.split(".")
        if (len(parts) >= 3 and parts[0] == name and parts[1].isdigit() and value.strip()
                and parts[-1] != "line"):  # the hidden line number is not typed
            found.add(int(parts[1]))
    return sorted(found)


"""What every command shares: opening the node, who acts, output, and errors.

Every command takes ``--json``; every failure prints one line naming the
problem (and the field at fault) on standard error and exits non-zero, and
nothing of a failed command is kept, because each runs in one transaction.
A command that passes its ``--json`` to :func:`errors` prints a refusal as
one JSON object on that line instead: its ``code``, ``message``, ``field``
and ``params`` (the values the message names: limit, date, role …), as the
API's problem document gives them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from acsa.bootstrap import open_node
from acsa.cli.guard import one_line, say
from acsa.config import Settings, SettingsError
from acsa.domain.errors import DomainError, InvalidValue, InvariantBroken
from acsa.domain.params import plain_params
from acsa.events import EnvelopeInvalid, KeyFileError
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser, get_user

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
AsOpt = Annotated[
    str | None, typer.Option("--as", help="The user who acts (default: $ACSA_USER).")
]
OnOpt = Annotated[
    str | None, typer.Option("--on", help="Business date YYYY-MM-DD (default: today locally).")
]

EXIT_REFUSED = 1  # the rules refused the request
EXIT_BROKEN = 3  # an invariant broke: a defect, nothing was kept


def settings() -> Settings:
    try:
        return Settings()
    except SettingsError as exc:
        fail(f"configuration: {exc}")


def node() -> Node:
    return open_node(settings())


def fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    say(message)  # one line, whatever the message quotes
    raise typer.Exit(code)


def refusal_json(exc: DomainError) -> str:
    """A refusal as one line of JSON: what ``--json`` prints on stderr."""
    return one_line(json.dumps({"code": exc.code, "message": exc.message, "field": exc.field,
                                "params": plain_params(exc)}, ensure_ascii=False))


@contextmanager
def errors(as_json: bool = False) -> Iterator[None]:
    """Turn refusals into one line on stderr and a non-zero exit.

    A command passes its ``--json`` flag as ``as_json`` to get a refusal as one line
    of JSON (:func:`refusal_json`) instead of words.
    """
    try:
        yield
    except DomainError as exc:
        if as_json:
            typer.echo(refusal_json(exc), err=True)
            raise typer.Exit(EXIT_REFUSED) from None
        fail(f"{exc.code}: {exc}")
    except EnvelopeInvalid as exc:
        fail(f"invalid event: {exc.field}: {exc}")
    except KeyFileError as exc:
        fail(f"node key: {exc}")
    except InvariantBroken as exc:
        fail(f"invariant broken, nothing was kept: {exc}", EXIT_BROKEN)
    except OSError as exc:
        fail(f"{exc.filename or ''}: {exc.strerror}")


def acting_user(uow: UnitOfWork, as_user: str | None) -> LocalUser:
    return get_user(uow, as_user or settings().user)


def parse_day(text: str | None, field: str = "on") -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not a date (YYYY-MM-DD)", field=field,
                           value=text) from None


def grouped(text: object) -> str:
    """Exact decimal text with thousands separators for a person to read: ``"1526500"`` →
    ``"1,526,500"``, ``"-49390.00"`` → ``"-49,390.00"``, ``"1526500 JPY"`` → ``"1,526,500
    JPY"``. Only the digits' grouping changes (no float, no rounding); anything that is not a
    number is returned as it is. JSON output keeps the exact text without separators."""
    value = str(text)
    number, space, rest = value.partition(" ")
    sign = "-" if number.startswith("-") else ""
    whole, point, fraction = number.removeprefix("-").partition(".")
    if not whole.isdigit() or (point and not fraction.isdigit()):
        return value
    return f"{sign}{int(whole):,}{point}{fraction}{space}{rest}"


def plain(value: Any) -> Any:
    """Values as JSON-able data: dataclasses, dates, decimals, enums."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, DomainError):  # a refusal held as data (a ceiling's missing rate)
        return {"code": value.code, "field": value.field, "message": value.message}
    return value


def emit(as_json: bool, data: Any, human: Callable[[], None] | str | None = None) -> None:
    """Print ``data`` as JSON, or the human form."""
    if as_json:
        typer.echo(json.dumps(plain(data), ensure_ascii=False, indent=2))
    elif callable(human):
        human()
    elif human is not None:
        typer.echo(human)
    else:
        typer.echo(json.dumps(plain(data), ensure_ascii=False, indent=2))


def table(rows: list[list[str]], headers: list[str]) -> None:
    """A plain aligned table on stdout."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    typer.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for r in rows:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def stdout_is_tty() -> bool:
    return sys.stdout.isatty()

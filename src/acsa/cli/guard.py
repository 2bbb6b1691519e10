"""The last guard of every command: whatever goes wrong is one line, never a traceback.

Commands turn refusals into one line themselves (:func:`acsa.cli.common.errors`).
:func:`run` catches what is left — a file that cannot be read, text that is not
UTF-8 (in an argument, a file or the environment), a number too large for the
database, input nested too deeply, a database that cannot be reached — and prints
one line on standard error naming the problem, with a non-zero exit. Anything
else is a defect: one line saying so, and the traceback only with ``--debug`` (or
``ACSA_DEBUG=1``). Arguments that are not UTF-8 are refused before any command
runs, naming the argument.
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from collections.abc import Sequence

import typer

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130
LINE_LENGTH_MAX = 300


class Flags:
    """Set by the root command's ``--debug`` before any command runs."""

    debug = os.environ.get("ACSA_DEBUG", "") not in ("", "0", "false")


def run(app: typer.Typer, args: Sequence[str]) -> int:
    """Run ``acsa ARGS``; its exit status. Nothing but one line reaches standard error."""
    bad = not_utf8(args)
    if bad is not None:
        say(bad)
        return EXIT_USAGE
    try:
        app(args=list(args), prog_name="acsa")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        say("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (`acsa … | head`): nothing more to say.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - flushed at exit, never read
        return EXIT_REFUSED
    except Exception as exc:
        return report(exc)
    return 0


def not_utf8(args: Sequence[str]) -> str | None:
    """The first argument that is not UTF-8 text (Python keeps such bytes as surrogates)."""
    for position, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "surrogateescape")
            after = f" (after {args[position - 2]})" if position > 1 and \
                args[position - 2].startswith("-") else ""
            return f"argument {position}{after} is not UTF-8 text: {shown!r}"
    return None


def describe(exc: BaseException) -> str | None:
    """One line for an error any command may meet; ``None`` for a defect."""
    if isinstance(exc, OSError):
        what = exc.strerror or str(exc) or type(exc).__name__
        return f"{exc.filename}: {what}" if exc.filename else what
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to read"
    if isinstance(exc, OverflowError):
        return f"a number is too large ({exc})"
    if isinstance(exc, UnicodeError):
        return "text that is not UTF-8 (in an argument, a file or the environment)"
    if isinstance(exc, MemoryError):
        return "out of memory"
    # Imported here, not with this module: a command loads SQLAlchemy with the modules it
    # needs (acsa.cli.main keeps the collector out of that), and a database error can only
    # have come from it once it is loaded.
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, OperationalError):
        return f"database unavailable: {first_line(exc.orig)}"
    return None


def report(exc: Exception) -> int:
    """Print ``exc`` as one line; the exit status for it."""
    line = describe(exc)
    if line is not None:
        say(line)
        return EXIT_REFUSED
    if Flags.debug:
        traceback.print_exception(exc, file=sys.stderr)
    hint = "the traceback is above" if Flags.debug else "run it again with --debug for details"
    say(f"internal error: {type(exc).__name__}: {first_line(exc)} ({hint})")
    return EXIT_INTERNAL


def first_line(value: object) -> str:
    text = str(value).strip().splitlines()
    line = text[0] if text else ""
    return line if len(line) <= LINE_LENGTH_MAX else line[:LINE_LENGTH_MAX - 1] + "…"


# What would end a line or move the cursor: C0 and C1 controls, the Unicode line separators.
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` as one line whatever it quotes: a control character or line separator is
    written as its escape (``\\u0085``, valid inside a JSON string too), and what cannot
    be encoded as UTF-8 (a lone surrogate) as a backslash escape."""
    escaped = _BREAKS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return escaped.encode("utf-8", "backslashreplace").decode("utf-8")


def say(line: str) -> None:
    """One line on standard error."""
    typer.echo(f"error: {one_line(line)}", err=True)

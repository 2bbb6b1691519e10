"""Reading what comes from outside: files a person or a partner hands the node.

A bundle, an evidence file, a profile or a terms file may be broken or
hostile. Each is read through here, so that one set of limits holds on
every path, before anything is parsed:

- a file is never read past its limit: its size is checked before it is
  read, and the read stops one byte past the limit (a pipe or a file that
  grows says nothing true about its size);
- text must be UTF-8;
- a JSON or TOML document may nest at most a given depth, checked by a
  scan that does not recurse (:func:`nested_deeper_than`) before a parser
  that does is let at it;
- JSON numbers are finite and short enough to convert.

Every refusal is one :class:`Unreadable` naming the file and the problem.
What cannot be read at all (a missing file, a directory, no permission) is
the ``OSError`` it is; entry points say so in one line.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

from acsa.domain.errors import DomainError

JSON_DEPTH_MAX = 64  # a bundle nests ~40 deep (an event's data at most 32); terms far less
TOML_DEPTH_MAX = 16  # a profile nests 4 deep
NUMBER_DIGITS_MAX = 1000  # digits of a JSON integer (amounts travel as strings)


class Unreadable(DomainError):
    """A file or document refused before it is parsed: too large, not UTF-8, too deep…"""

    code = "unreadable"


@dataclass(frozen=True)
class Digest:
    """What identifies bytes that are not kept: their SHA-256 and their size."""

    sha256: str
    size: int

    @classmethod
    def of(cls, raw: bytes) -> Digest:
        return cls(hashlib.sha256(raw).hexdigest(), len(raw))


def file_digest(path: Path) -> Digest:
    """The digest of a file of any size, read in small pieces."""
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
        return Digest(digest.hexdigest(), handle.tell())


def read_bounded(path: Path, limit: int, *, field: str) -> bytes:
    """The bytes of ``path``, refused (:class:`Unreadable`) if there are more than ``limit``."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise too_large(path, limit, field, size)
        raw = handle.read(limit + 1)
    if len(raw) > limit:
        raise too_large(path, limit, field)
    return raw


def too_large(path: Path | str, limit: int, field: str, size: int | None = None) -> Unreadable:
    found = f" ({size} bytes)" if size is not None else ""
    return Unreadable(f"{path}: larger than {limit} bytes{found}", field=field, limit=limit)


def text_of(raw: bytes, *, source: str, field: str) -> str:
    """``raw`` as UTF-8 text, or a refusal naming the first byte that is not."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"{source}: not UTF-8 text (byte {exc.start}: "
                         f"0x{raw[exc.start]:02x})", field=field) from None


def read_text(path: Path, limit: int, *, field: str) -> str:
    """A UTF-8 text file of at most ``limit`` bytes."""
    return text_of(read_bounded(path, limit, field=field), source=str(path), field=field)


# -- nesting -------------------------------------------------------------------------------------

# Strings (and TOML comments) hold brackets that nest nothing; they are cut out first (a
# JSON string's escaped backslashes and quotes before that, so a string is "[^"]*").
_JSON_STRING = re.compile(rb'"[^"]*"')
_TOML_STRING = re.compile(
    rb'"""[^\\]*?(?:\\.[^\\]*?)*?"""|\'\'\'.*?\'\'\'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
    rb"|'[^'\n]*'|#[^\n]*", re.DOTALL)
def _toml_dotted(limit: int) -> re.Pattern[bytes]:
    """A dotted key (or table name) of more than ``limit`` parts."""
    return re.compile(rb"(?:[A-Za-z0-9_-]*[ \t]*\.[ \t]*){%d}" % limit)


# Every bracket as a signed byte: an opener +1, a closer -1; every other byte deleted.
_STEPS = bytes(range(256)).translate(bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff"))
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_LEAF = b"\x01\xff"
_LEAF_PASSES = 4


def nested_deeper_than(raw: bytes, limit: int, *, toml: bool = False) -> bool:
    """Whether the arrays and tables of a JSON (or TOML) text nest more than ``limit`` deep.

    Without recursion, and without a Python loop over the bytes: strings are cut
    out and every byte but brackets deleted; a run of more than ``limit`` openers is
    too deep at once; otherwise the innermost pairs are removed a few levels at a
    time (most of a real document), and the deepest point of what is left is the
    highest running sum of its steps. In TOML a dotted key or table name of more than
    ``limit`` parts is too deep as well.
    """
    if toml:
        text = _TOML_STRING.sub(b"", raw)
        if _toml_dotted(limit).search(text):
            return True  # a.b.c… = 1 nests a table per part (and takes tomllib quadratic time)
    else:
        text = _JSON_STRING.sub(b"", raw.replace(b"\\\\", b"").replace(b'\\"', b""))
    steps = text.translate(_STEPS, _NOT_BRACKETS)
    if b"\x01" * (limit + 1) in steps:
        return True
    removed = 0
    while removed < _LEAF_PASSES and _LEAF in steps:
        steps, removed = steps.replace(_LEAF, b""), removed + 1
    deepest = max(accumulate(memoryview(steps).cast("b")), default=0)
    return removed + deepest > limit


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:20]}… is too large")
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > NUMBER_DIGITS_MAX:
        raise ValueError(f"a number has more than {NUMBER_DIGITS_MAX} digits")
    return int(text)


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a JSON number")


def loads_json(raw: bytes, *, source: str, field: str, depth_max: int = JSON_DEPTH_MAX) -> Any:
    """A JSON document: UTF-8, nested at most ``depth_max`` deep, its numbers finite."""
    text = text_of(raw, source=source, field=field)
    if nested_deeper_than(raw, depth_max):
        raise Unreadable(f"{source}: nested more than {depth_max} levels deep", field=field,
                         limit=depth_max)
    try:
        return json.loads(text, parse_float=_finite, parse_int=_int,
                          parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise Unreadable(f"{source}: not JSON ({exc.msg}, line {exc.lineno} column "
                         f"{exc.colno})", field=field) from None
    except ValueError as exc:  # a number too long or too large
        raise Unreadable(f"{source}: {exc}", field=field) from None


def read_json(path: Path, limit: int, *, field: str, depth_max: int = JSON_DEPTH_MAX) -> Any:
    """A JSON file of at most ``limit`` bytes, read as :func:`loads_json` reads."""
    return loads_json(read_bounded(path, limit, field=field), source=str(path), field=field,
                      depth_max=depth_max)

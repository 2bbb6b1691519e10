"""Canonical JSON (RFC 8785) and SHA-256: the bytes every hash and signature covers.

Two nodes must turn the same record into the same bytes, or their hashes
differ and the chain breaks. RFC 8785 fixes key order, spacing, string
escapes and number form; the ``rfc8785`` library implements it. We refuse
floats outright rather than rely on RFC 8785's number rules, because
amounts and quantities travel as decimal strings and a float in a record
is always a mistake that would silently round money.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

import rfc8785

from acsa.events.errors import EnvelopeInvalid

# RFC 8785 writes numbers as IEEE 754 doubles, so larger integers would not
# survive a round trip through another implementation (I-JSON, RFC 7493).
JSON_INTEGER_MAX = 2**53 - 1

# Records are shallow; a deep nesting is either a mistake or an attempt to
# exhaust the stack of whoever reads the record.
JSON_DEPTH_MAX = 32


def canonical_json(obj: object) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``obj``, refusing anything but plain JSON.

    Mappings with string keys, lists and tuples, strings, integers, booleans
    and ``None`` are accepted. A float, a non-string key, an integer beyond
    ``JSON_INTEGER_MAX`` or any other type raises :class:`EnvelopeInvalid`
    naming the path, for example ``data.lines[0].qty`` (``$`` is ``obj`` itself).
    """
    return canonical_plain(plain_json(obj))


# Characters beyond the Basic Multilingual Plane: UTF-16 writes them as two code units,
# so a key holding one may sort differently by UTF-16 (RFC 8785) and by code point.
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def canonical_plain(value: Any) -> bytes:
    """The RFC 8785 bytes of ``value``, already plain JSON (as :func:`plain_json` returns it,
    or an envelope validated on reading): no float, integers within ±``JSON_INTEGER_MAX``.

    For such values the standard library's compact, sorted, unescaped JSON is the RFC 8785
    form — the same escapes (the two-character ones, ``\\u00xx`` for other control
    characters, nothing else), the same integers — except for the order of keys when text
    holds a character beyond the Basic Multilingual Plane; then, or when the text cannot
    be encoded, the ``rfc8785`` library writes it
    (``tests/unit/events/test_canonical_json.py`` checks the two agree).
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    if _ASTRAL.search(text) is None:
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            pass
    return rfc8785.dumps(value)


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of ``data`` as 64 lowercase hex characters."""
    return hashlib.sha256(data).hexdigest()


def plain_json(value: object, path: str = "$") -> Any:
    """Check that ``value`` is plain JSON and return it as fresh dicts and lists.

    ``path`` names ``value`` in error messages; children are named below it
    (``data`` gives ``data.amount`` and ``data.lines[2]``).
    """
    return _plain(value, path, 0)


def child_path(path: str, key: str) -> str:
    """The path of ``key`` inside the object at ``path`` (``$`` is the root)."""
    return key if path == "$" else f"{path}.{key}"


def _plain(value: object, path: str, depth: int) -> Any:  # noqa: C901
    if depth > JSON_DEPTH_MAX:
        raise EnvelopeInvalid(f"nested more than {JSON_DEPTH_MAX} levels deep", field=path)
    # bool is tested before int because bool is a subclass of int.
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float):
        raise EnvelopeInvalid(
            f"floats are not allowed (got {value!r}); write decimals as strings", field=path
        )
    if isinstance(value, int):
        if abs(value) > JSON_INTEGER_MAX:
            raise EnvelopeInvalid(
                f"integer {value} is beyond ±{JSON_INTEGER_MAX}; send it as a string", field=path
            )
        return int(value)
    if isinstance(value, str):
        _require_utf8(value, path)
        return value
    if isinstance(value, list | tuple):
        return [_plain(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise EnvelopeInvalid(f"object keys must be strings, got {key!r}", field=path)
            _require_utf8(key, path)
            out[key] = _plain(item, child_path(path, key), depth + 1)
        return out
    raise EnvelopeInvalid(f"{type(value).__name__} is not a JSON value", field=path)


def _require_utf8(text: str, path: str) -> None:
    # A lone surrogate is a valid Python str but has no UTF-8 encoding, so
    # it could never be hashed; refuse it here with the path attached.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise EnvelopeInvalid("text is not valid Unicode (lone surrogate)", field=path) from None

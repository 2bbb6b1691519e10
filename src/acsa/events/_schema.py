"""Field readers shared by the wire formats: each checks one field and names it on failure.

Every reader takes the value and its path and either returns the value,
typed, or raises :class:`EnvelopeInvalid` with that path, so a quarantined
record always says exactly which field was wrong.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import Any

from acsa.events.canonical import JSON_INTEGER_MAX, child_path
from acsa.events.errors import EnvelopeInvalid
from acsa.events.keys import SIGNATURE_SIZE, is_fingerprint
from acsa.events.timestamps import parse_at

# Header strings (names, roles, subjects) are short; a limit keeps a hostile
# peer from filling our store through them.
TEXT_LENGTH_MAX = 256

_HEX_HASH = re.compile(r"[0-9a-f]{64}")
_PARTY = re.compile(r"[A-Z]{3}")
_STREAM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}/[A-Z]{3}")
_SIGNATURE_TEXT = re.compile(r"[A-Za-z0-9_-]{86}")


def require_object(
    value: object, path: str, required: Collection[str], optional: Collection[str] = ()
) -> Mapping[str, Any]:
    """``value`` as a mapping holding every ``required`` key and nothing unknown."""
    if not isinstance(value, Mapping):
        raise EnvelopeInvalid(f"must be an object, got {type(value).__name__}", field=path)
    for key in required:
        if key not in value:
            raise EnvelopeInvalid("missing", field=child_path(path, key))
    for key in value:
        if key not in required and key not in optional:
            raise EnvelopeInvalid("unknown field", field=child_path(path, str(key)))
    return value


def require_int(value: object, path: str, *, minimum: int) -> int:
    """An integer (never a bool) from ``minimum`` up to the JSON-safe maximum."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise EnvelopeInvalid(f"must be an integer, got {value!r}", field=path)
    if not minimum <= value <= JSON_INTEGER_MAX:
        raise EnvelopeInvalid(f"must be at least {minimum}, got {value}", field=path)
    return value


def require_text(value: object, path: str) -> str:
    """A non-blank string of at most ``TEXT_LENGTH_MAX`` characters."""
    if not isinstance(value, str):
        raise EnvelopeInvalid(f"must be a string, got {value!r}", field=path)
    if not value.strip():
        raise EnvelopeInvalid("must not be empty", field=path)
    if len(value) > TEXT_LENGTH_MAX:
        raise EnvelopeInvalid(f"longer than {TEXT_LENGTH_MAX} characters", field=path)
    return value


def require_no_nul(value: object, path: str) -> None:
    """No text in ``value`` (plain JSON) holds U+0000, which PostgreSQL cannot store."""
    if isinstance(value, str):
        if "\x00" in value:
            raise EnvelopeInvalid("must not contain the character U+0000", field=path)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            require_no_nul(item, child_path(path, str(key)))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            require_no_nul(item, f"{path}[{i}]")


def require_pattern(value: object, path: str, pattern: re.Pattern[str], what: str) -> str:
    """A string matching ``pattern`` entirely; ``what`` describes the form in the error."""
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise EnvelopeInvalid(f"must be {what}, got {value!r}", field=path)
    return value


def require_hash(value: object, path: str) -> str:
    """A SHA-256 as 64 lowercase hex characters."""
    return require_pattern(value, path, _HEX_HASH, "64 lowercase hex characters")


def require_party(value: object, path: str) -> str:
    """An ISO 3166 alpha-3 party code such as ``PHL``."""
    return require_pattern(value, path, _PARTY, "an ISO 3166 alpha-3 code")


def require_stream(value: object, path: str) -> str:
    """A stream name ``<agreement id>/<party>``, such as ``JPN-PHL-ACSA/PHL``."""
    return require_pattern(value, path, _STREAM, "<agreement id>/<party>")


def require_at(value: object, path: str) -> str:
    """A recording time in the one accepted form (see :mod:`acsa.events.timestamps`)."""
    if not isinstance(value, str):
        raise EnvelopeInvalid(f"must be a string, got {value!r}", field=path)
    try:
        parse_at(value)
    except ValueError as exc:
        raise EnvelopeInvalid(str(exc), field=path) from None
    return value


def require_fingerprint(value: object, path: str) -> str:
    """A key fingerprint, ``ed25519:`` and 64 lowercase hex characters."""
    if not isinstance(value, str) or not is_fingerprint(value):
        raise EnvelopeInvalid(f"must be a key fingerprint, got {value!r}", field=path)
    return value


def require_signature(value: object, path: str) -> bytes:
    """A raw 64-byte Ed25519 signature."""
    if not isinstance(value, bytes) or len(value) != SIGNATURE_SIZE:
        raise EnvelopeInvalid(f"must be {SIGNATURE_SIZE} raw bytes", field=path)
    return value


def encode_signature(signature: bytes) -> str:
    """A signature as unpadded base64url (RFC 4648 section 5), the one form on the wire."""
    return base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii")


def decode_signature(value: object, path: str) -> bytes:
    """The signature written by :func:`encode_signature`; any other spelling is refused.

    Python's decoder ignores stray characters and padding bits, so we match
    the exact alphabet and length first and re-encode to compare, which
    keeps one signature to one text.
    """
    what = f"a {SIGNATURE_SIZE}-byte signature in unpadded base64url"
    text = require_pattern(value, path, _SIGNATURE_TEXT, what)
    raw = base64.urlsafe_b64decode(text + "==")
    if encode_signature(raw) != text:
        raise EnvelopeInvalid(f"must be {what} (canonical form)", field=path)
    return raw


def freeze(value: Any) -> Any:
    """A read-only copy of plain JSON: objects become mapping proxies, arrays tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """Plain dicts and lists again, from what :func:`freeze` made."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(item) for item in value]
    return value

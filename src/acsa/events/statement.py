"""Signed statements: a node's signature over any JSON document, for its own purpose.

Offset and balance statements, reconciliation reports and similar
documents are signed whole: the digest is the SHA-256 of the document's
RFC 8785 canonical JSON, signed for the statement purpose, so such a
signature can never pass for an event or a tree head signature.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from acsa.events.canonical import canonical_json
from acsa.events.keys import PURPOSE_STATEMENT, NodeKey, verify


def statement_digest(document: Mapping[str, Any]) -> bytes:
    """The 32-byte SHA-256 of the document's canonical JSON (floats refused)."""
    return hashlib.sha256(canonical_json(document)).digest()


def sign_statement(document: Mapping[str, Any], key: NodeKey) -> bytes:
    """The 64-byte signature of ``document`` by ``key`` for the statement purpose."""
    return key.sign(PURPOSE_STATEMENT, statement_digest(document))


def verify_statement(document: Mapping[str, Any], signature: bytes, public_key: bytes) -> None:
    """Return if ``signature`` is ``public_key``'s statement signature of ``document``.

    Raises :class:`~acsa.events.errors.BadSignature` otherwise, and
    :class:`~acsa.events.errors.EnvelopeInvalid` if the document is not plain JSON.
    """
    verify(public_key, PURPOSE_STATEMENT, statement_digest(document), signature)

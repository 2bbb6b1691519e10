"""Errors of the event layer: a record that is malformed, a signature that fails.

These are *admission* errors: they say a record cannot even be read or
trusted, before any business rule is applied. Checks over many records
return their findings as text instead of raising (see ``check_chain``).
"""

from __future__ import annotations


class EnvelopeInvalid(Exception):
    """A record breaks the wire schema; ``field`` names where, as a dotted path.

    The path is relative to the record that was being read, for example
    ``seq``, ``actor.role`` or ``data.lines[0].qty``; ``$`` is the record itself.
    """

    code = "envelope_invalid"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class BadSignature(Exception):
    """A signature does not verify: wrong key, wrong purpose, altered bytes or malformed."""

    code = "bad_signature"


class KeyFileError(Exception):
    """A node key file cannot be used: missing, unsafe permissions, wrong size, or in the way.

    The message names the file and what to do about it, because the person
    who reads it is an operator setting up a node, not a programmer.
    """

    code = "key_file_error"

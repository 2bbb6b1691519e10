"""Tree heads: a node's signed statement of a stream's Merkle root at a given size.

A node publishes a signed tree head for each of its streams; its peer
countersigns the heads it has checked. Holding both, either side can later
prove what the other had recorded, and a consistency proof between two
heads shows that nothing before the older one was rewritten. Head
signatures and countersignatures use the tree-head purpose over the same
digest: the SHA-256 of the head's RFC 8785 canonical JSON.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from acsa.events import _schema as schema
from acsa.events.canonical import canonical_json, child_path
from acsa.events.errors import BadSignature, EnvelopeInvalid
from acsa.events.keys import (
    PUBLIC_KEY_SIZE,
    PURPOSE_TREE_HEAD,
    NodeKey,
    fingerprint,
    short_fingerprint,
    verify,
)

TREE_HEAD_KEYS = ("stream", "size", "root", "at")
WIRE_KEYS = ("head", "sig", "key")


@dataclass(frozen=True)
class TreeHead:
    """The Merkle root (hex) of the first ``size`` events of ``stream``, as of ``at`` (UTC)."""

    stream: str
    size: int
    root: str
    at: str

    def __post_init__(self) -> None:
        schema.require_stream(self.stream, "stream")
        schema.require_int(self.size, "size", minimum=0)
        schema.require_hash(self.root, "root")
        schema.require_at(self.at, "at")

    def to_dict(self) -> dict[str, Any]:
        """The head as plain JSON-able data."""
        return {"stream": self.stream, "size": self.size, "root": self.root, "at": self.at}

    @classmethod
    def from_dict(cls, d: object) -> TreeHead:
        """Read a head strictly: these four keys, no others, each valid."""
        fields = schema.require_object(d, "$", TREE_HEAD_KEYS)
        return cls(fields["stream"], fields["size"], fields["root"], fields["at"])

    def digest(self) -> bytes:
        """The 32-byte SHA-256 of the head's canonical JSON: what is signed."""
        return hashlib.sha256(canonical_json(self.to_dict())).digest()


@dataclass(frozen=True)
class SignedTreeHead:
    """A tree head with its publisher's signature; ``key`` is the publisher's fingerprint."""

    head: TreeHead
    signature: bytes
    key: str

    def __post_init__(self) -> None:
        if not isinstance(self.head, TreeHead):
            raise EnvelopeInvalid("must be a TreeHead", field="head")
        schema.require_signature(self.signature, "sig")
        schema.require_fingerprint(self.key, "key")

    @classmethod
    def sign(cls, head: TreeHead, key: NodeKey) -> SignedTreeHead:
        """Sign ``head`` with ``key`` for the tree-head purpose."""
        return cls(head, key.sign(PURPOSE_TREE_HEAD, head.digest()), key.fingerprint)

    def to_wire(self) -> dict[str, Any]:
        """``{"head": …, "sig": unpadded base64url, "key": fingerprint}``."""
        return {
            "head": self.head.to_dict(),
            "sig": schema.encode_signature(self.signature),
            "key": self.key,
        }

    @classmethod
    def from_wire(cls, d: object) -> SignedTreeHead:
        """Read a wire record strictly; errors name the field (``head.size``, ``sig``)."""
        fields = schema.require_object(d, "$", WIRE_KEYS)
        try:
            head = TreeHead.from_dict(fields["head"])
        except EnvelopeInvalid as exc:
            path = "head" if exc.field == "$" else child_path("head", exc.field)
            raise EnvelopeInvalid(exc.message, field=path) from None
        return cls(head, schema.decode_signature(fields["sig"], "sig"), fields["key"])

    def check(self, public_key: bytes) -> list[str]:
        """Every problem with this head under the publisher's ``public_key``; empty when sound."""
        if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_SIZE:
            return [f"the public key to check with is not {PUBLIC_KEY_SIZE} bytes"]
        problems: list[str] = []
        expected = fingerprint(public_key)
        if expected != self.key:
            problems.append(
                f"key mismatch: signed by {short_fingerprint(self.key)}, "
                f"expected {short_fingerprint(expected)}"
            )
        problems.extend(_signature_problems(self.head, self.signature, public_key, "signature"))
        return problems


def countersign(signed_head: SignedTreeHead, key: NodeKey) -> bytes:
    """The peer's signature over the same head digest, saying it has checked this head."""
    return key.sign(PURPOSE_TREE_HEAD, signed_head.head.digest())


def check_countersignature(
    signed_head: SignedTreeHead, signature: bytes, public_key: bytes
) -> list[str]:
    """Every problem with a peer's ``signature`` on ``signed_head``; empty when sound.

    A countersignature by the head's own key is refused: it would only
    repeat the publisher's claim, not show that the peer agreed.
    """
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_SIZE:
        return [f"the public key to check with is not {PUBLIC_KEY_SIZE} bytes"]
    problems: list[str] = []
    if fingerprint(public_key) == signed_head.key:
        problems.append("countersigned with the publisher's own key, not the peer's")
    problems.extend(
        _signature_problems(signed_head.head, signature, public_key, "countersignature")
    )
    return problems


def _signature_problems(
    head: TreeHead, signature: bytes, public_key: bytes, what: str
) -> list[str]:
    try:
        verify(public_key, PURPOSE_TREE_HEAD, head.digest(), signature)
    except BadSignature:
        return [
            f"bad {what}: does not verify under key {short_fingerprint(fingerprint(public_key))} "
            f"for {head.stream} at size {head.size}"
        ]
    return []

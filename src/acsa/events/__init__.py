"""The event layer: canonical bytes, signatures, the hash chain and Merkle trees.

Every change of state is an event: an :class:`Envelope` hashed over its
RFC 8785 canonical JSON and signed by the node key (:func:`seal`). Within a
stream, ``prev`` links each event to the one before (:func:`check_chain`);
across a stream, a Merkle tree over the event hashes lets a node sign a
:class:`TreeHead` and prove to its peer that it never rewrote its history.
This package is pure: it reads no clock and performs no I/O other than
reading and writing node key files.
"""

from acsa.events.canonical import canonical_json, sha256_hex
from acsa.events.envelope import Envelope, SignedEvent, check_chain, seal
from acsa.events.errors import BadSignature, EnvelopeInvalid, KeyFileError
from acsa.events.keys import (
    PURPOSE_BUNDLE,
    PURPOSE_DOCUMENT,
    PURPOSE_EVENT,
    PURPOSE_KEY_ROTATION,
    PURPOSE_REQUEST,
    PURPOSE_STATEMENT,
    PURPOSE_TREE_HEAD,
    NodeKey,
    fingerprint,
    short_fingerprint,
    verify,
)
from acsa.events.merkle import (
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)
from acsa.events.statement import sign_statement, statement_digest, verify_statement
from acsa.events.timestamps import format_at, parse_at
from acsa.events.tree_head import (
    SignedTreeHead,
    TreeHead,
    check_countersignature,
    countersign,
)

__all__ = [
    "PURPOSE_BUNDLE",
    "PURPOSE_DOCUMENT",
    "PURPOSE_EVENT",
    "PURPOSE_KEY_ROTATION",
    "PURPOSE_REQUEST",
    "PURPOSE_STATEMENT",
    "PURPOSE_TREE_HEAD",
    "BadSignature",
    "CompactRange",
    "Envelope",
    "EnvelopeInvalid",
    "KeyFileError",
    "NodeKey",
    "SignedEvent",
    "SignedTreeHead",
    "TreeHead",
    "canonical_json",
    "check_chain",
    "check_countersignature",
    "consistency_proof",
    "countersign",
    "fingerprint",
    "format_at",
    "inclusion_proof",
    "leaf_hash",
    "parse_at",
    "root",
    "seal",
    "sha256_hex",
    "short_fingerprint",
    "sign_statement",
    "statement_digest",
    "verify",
    "verify_consistency",
    "verify_inclusion",
    "verify_statement",
]

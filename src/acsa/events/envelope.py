"""The event envelope, a sealed (signed) event, and the chain check over a stream.

An :class:`Envelope` is one change of state as DESIGN.md "The event log"
defines it; its hash is the SHA-256 of its RFC 8785 canonical JSON. A
:class:`SignedEvent` adds that hash and the node's signature over it, and
keeps the canonical bytes themselves: those bytes, once sealed, are the only
thing hashed, signed, stored, served or exported, so an event read back from
the log goes out exactly as it was signed, whatever a later serialiser would
make of its envelope.
Constructing either validates it, so an invalid record cannot exist in
memory: the same checks guard what we write and what a peer sends us.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from acsa.events import _schema as schema
from acsa.events.canonical import canonical_plain, child_path, plain_json, sha256_hex
from acsa.events.errors import BadSignature, EnvelopeInvalid
from acsa.events.keys import (
    PUBLIC_KEY_SIZE,
    PURPOSE_EVENT,
    NodeKey,
    fingerprint,
    short_fingerprint,
    verify,
)
from acsa.events.timestamps import format_at, parse_at

__all__ = ["Envelope", "SignedEvent", "check_chain", "format_at", "parse_at", "seal"]

# The event schema version new events are sealed with, and every version still read.
# Version 2 bounds figures and refuses U+0000 in any text (acsa.domain.event_schema);
# its envelope's own texts are checked here. Events of version 1 stay as they were signed.
ENVELOPE_VERSION = 2
ENVELOPE_VERSIONS = (1, 2)

ENVELOPE_KEYS = (
    "v", "stream", "seq", "prev", "at", "profile", "type",
    "subject", "parent", "actor", "marking", "data",
)  # fmt: skip
ACTOR_KEYS = ("user", "name", "role", "unit", "appointment", "party")
ACTOR_OPTIONAL_KEYS = ("paper",)
MARKING_KEYS = ("level", "originator", "rel")
MARKING_OPTIONAL_KEYS = ("caveats",)  # handling words of the originator, e.g. "NOFORN"
CAVEAT_LENGTH_MAX = 40
WIRE_KEYS = ("event", "hash", "sig", "key")

# Event types are lowercase dotted words, the aggregate first and a verb in
# the past tense last: "order.submitted", "appointment.revoked".
_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
# A profile digest as acsa.domain.agreement.canonical_digest writes it.
_PROFILE = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Envelope:
    """One event, exactly the fields of the wire format; see DESIGN.md for each field.

    ``actor``, ``marking`` and ``data`` are stored deeply read-only (objects
    as mappings, arrays as tuples), because the hash covers them and must
    not drift after sealing; :meth:`to_dict` gives plain dicts and lists.
    """

    v: int
    stream: str
    seq: int
    prev: str | None
    at: str
    profile: str
    type: str
    subject: str
    parent: str | None
    actor: Mapping[str, Any]
    marking: Mapping[str, Any]
    data: Mapping[str, Any]

    def __post_init__(self) -> None:
        if not isinstance(self.v, int) or isinstance(self.v, bool) or \
                self.v not in ENVELOPE_VERSIONS:
            raise EnvelopeInvalid(f"must be one of {', '.join(map(str, ENVELOPE_VERSIONS))}, "
                                  f"got {self.v!r}", field="v")
        schema.require_stream(self.stream, "stream")
        schema.require_int(self.seq, "seq", minimum=1)
        if self.seq == 1 and self.prev is not None:
            raise EnvelopeInvalid("must be null for seq 1, the start of the stream", field="prev")
        if self.seq > 1:
            schema.require_hash(self.prev, "prev")
        schema.require_at(self.at, "at")
        schema.require_pattern(self.profile, "profile", _PROFILE, "sha256: and 64 hex characters")
        schema.require_pattern(self.type, "type", _TYPE, "dotted lowercase words")
        schema.require_text(self.subject, "subject")
        if self.parent is not None:
            schema.require_hash(self.parent, "parent")
        # Frozen dataclasses allow assignment only through object.__setattr__;
        # replacing the caller's mappings with read-only copies is the point.
        object.__setattr__(self, "actor", schema.freeze(_check_actor(self.actor)))
        object.__setattr__(self, "marking", schema.freeze(_check_marking(self.marking)))
        object.__setattr__(self, "data", schema.freeze(_check_data(self.data)))
        if self.v >= 2:
            schema.require_no_nul({"subject": self.subject, "actor": self.actor,
                                   "marking": self.marking}, "$")

    def __hash__(self) -> int:
        # The generated __hash__ would fail on the mapping proxies; the
        # canonical bytes identify the envelope just as well.
        return hash(self.canonical())

    def __reduce__(self) -> tuple[Any, ...]:
        # Mapping proxies cannot be pickled or deep-copied; rebuilding from
        # the plain form lets copy, deepcopy and pickle work as for any record.
        return (Envelope.from_dict, (self.to_dict(),))

    def to_dict(self) -> dict[str, Any]:
        """The envelope as plain JSON-able data, ``prev`` and ``parent`` kept as ``None``."""
        return {
            "v": self.v,
            "stream": self.stream,
            "seq": self.seq,
            "prev": self.prev,
            "at": self.at,
            "profile": self.profile,
            "type": self.type,
            "subject": self.subject,
            "parent": self.parent,
            "actor": schema.thaw(self.actor),
            "marking": schema.thaw(self.marking),
            "data": schema.thaw(self.data),
        }

    @classmethod
    def from_dict(cls, d: object) -> Envelope:
        """Read an envelope strictly: every key present, none unknown, every field valid."""
        fields = schema.require_object(d, "$", ENVELOPE_KEYS)
        return cls(**{key: fields[key] for key in ENVELOPE_KEYS})

    def canonical(self) -> bytes:
        """The RFC 8785 bytes that the hash covers (computed once: the envelope is
        deeply read-only, so they never change)."""
        cached: bytes | None = self.__dict__.get("_canonical")
        if cached is None:
            # Validated when made: every field plain JSON, seq within the JSON-safe range.
            cached = canonical_plain(self.to_dict())
            object.__setattr__(self, "_canonical", cached)
        return cached

    def hash(self) -> str:
        """The event hash: SHA-256 hex of :meth:`canonical`."""
        return sha256_hex(self.canonical())


def _check_actor(actor: object) -> Mapping[str, Any]:
    """The actor as plain data, each of its fields checked."""
    fields = schema.require_object(actor, "actor", ACTOR_KEYS, ACTOR_OPTIONAL_KEYS)
    plain: dict[str, Any] = plain_json(fields, "actor")
    for key in ("user", "name", "role"):
        schema.require_text(plain[key], f"actor.{key}")
    if plain["unit"] is not None:
        schema.require_text(plain["unit"], "actor.unit")
    # Bootstrap events (the agreement's activation, the first appointment)
    # have no appointment to cite, so null is allowed here.
    if plain["appointment"] is not None:
        schema.require_hash(plain["appointment"], "actor.appointment")
    schema.require_party(plain["party"], "actor.party")
    if "paper" in plain and plain["paper"] is not True:
        raise EnvelopeInvalid("must be true when present (omit it otherwise)", field="actor.paper")
    return plain


def _check_marking(marking: object) -> Mapping[str, Any]:
    """The marking as plain data: a level, the originating party, the parties released to,
    and any caveats (handling words) of the originator."""
    fields = schema.require_object(marking, "marking", MARKING_KEYS, MARKING_OPTIONAL_KEYS)
    plain: dict[str, Any] = plain_json(fields, "marking")
    schema.require_text(plain["level"], "marking.level")
    schema.require_party(plain["originator"], "marking.originator")
    rel = plain["rel"]
    if not isinstance(rel, list) or not rel:
        raise EnvelopeInvalid("must be a non-empty list of party codes", field="marking.rel")
    for i, party in enumerate(rel):
        schema.require_party(party, f"marking.rel[{i}]")
    if len(set(rel)) != len(rel):
        raise EnvelopeInvalid("lists a party more than once", field="marking.rel")
    caveats = plain.get("caveats", [])
    if not isinstance(caveats, list):
        raise EnvelopeInvalid("must be a list of words", field="marking.caveats")
    for i, caveat in enumerate(caveats):
        schema.require_text(caveat, f"marking.caveats[{i}]")
        if len(caveat) > CAVEAT_LENGTH_MAX:
            raise EnvelopeInvalid(f"at most {CAVEAT_LENGTH_MAX} characters",
                                  field=f"marking.caveats[{i}]")
    if len(set(caveats)) != len(caveats):
        raise EnvelopeInvalid("lists a caveat more than once", field="marking.caveats")
    return plain


def _check_data(data: object) -> Mapping[str, Any]:
    """The type-specific payload as plain data; its content is the domain's to judge."""
    if not isinstance(data, Mapping):
        raise EnvelopeInvalid(f"must be an object, got {type(data).__name__}", field="data")
    plain: dict[str, Any] = plain_json(data, "data")
    return plain


@dataclass(frozen=True)
class SignedEvent:
    """An envelope with its hash and the recording node's signature over that hash.

    On the wire the signature is unpadded base64url (RFC 4648 section 5);
    in memory it is the raw 64 bytes. ``key`` is the signer's fingerprint.

    ``canonical`` is the byte string the hash covers: the envelope's RFC 8785
    form when the event is sealed or received (leave it out and it is
    computed), and the bytes the log holds when it is read back
    (:meth:`from_stored`). :meth:`check` hashes these bytes and
    :meth:`to_wire` serves them; neither serialises the envelope afresh.
    """

    envelope: Envelope
    hash: str
    signature: bytes
    key: str
    canonical: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.envelope, Envelope):
            raise EnvelopeInvalid("must be an Envelope", field="event")
        schema.require_hash(self.hash, "hash")
        schema.require_signature(self.signature, "sig")
        schema.require_fingerprint(self.key, "key")
        if not isinstance(self.canonical, bytes):
            raise EnvelopeInvalid("the canonical form must be bytes", field="event")
        if not self.canonical:
            # Frozen: object.__setattr__ is the one way to fill in a derived field.
            object.__setattr__(self, "canonical", self.envelope.canonical())

    @property
    def sig(self) -> str:
        """The signature as the wire and the log carry it: unpadded base64url."""
        return schema.encode_signature(self.signature)

    def to_wire(self) -> dict[str, Any]:
        """``{"event": …, "hash": hex, "sig": base64url, "key": fingerprint}``.

        ``event`` is parsed from :attr:`canonical`, keeping its key order, so
        its RFC 8785 form — and its compact JSON text — is those bytes exactly.
        """
        return {
            "event": json.loads(self.canonical),
            "hash": self.hash,
            "sig": self.sig,
            "key": self.key,
        }

    @classmethod
    def from_wire(cls, d: object) -> SignedEvent:
        """Read a wire record strictly; errors name the field (``event.seq``, ``sig``).

        This checks form only. Whether the hash matches the envelope and the
        signature the key is :meth:`check`'s question, answered with every
        problem at once rather than the first.
        """
        fields = schema.require_object(d, "$", WIRE_KEYS)
        envelope = _envelope_under_event(fields["event"])
        signature = schema.decode_signature(fields["sig"], "sig")
        return cls(envelope, fields["hash"], signature, fields["key"])

    @classmethod
    def from_stored(cls, envelope: str | bytes, hash: str, sig: str, key: str, *,
                    parsed: Envelope | None = None) -> SignedEvent:
        """A row of the log back into a signed event, its envelope bytes kept as they are.

        The bytes are parsed and the envelope validated as :meth:`from_wire`
        does, but never re-serialised: :meth:`check` hashes the stored bytes
        and :meth:`to_wire` serves them. ``parsed``, when given, is the
        envelope the caller already read from these very bytes.
        """
        raw = envelope.encode("utf-8") if isinstance(envelope, str) else envelope
        if not isinstance(raw, bytes) or not raw:
            raise EnvelopeInvalid("the stored envelope is empty or not text", field="event")
        if parsed is not None:
            return cls(parsed, hash, schema.decode_signature(sig, "sig"), key, raw)
        try:
            document = json.loads(raw.decode("utf-8"))
        except ValueError as exc:  # invalid UTF-8 or invalid JSON
            raise EnvelopeInvalid(f"the stored envelope is not JSON: {exc}",
                                  field="event") from None
        parsed = _envelope_under_event(document)
        return cls(parsed, hash, schema.decode_signature(sig, "sig"), key, raw)

    def check(self, public_key: bytes) -> list[str]:
        """Every problem with this event under ``public_key``; an empty list means sound.

        The hash is recomputed over :attr:`canonical` — the bytes that were
        stored or received — and the signature checked over that hash, not
        the recorded one, so altered bytes fail both checks. Bytes that are
        not the RFC 8785 form of their envelope are a problem too: a peer
        hashing the served event would not reach the recorded hash.
        """
        where = f"seq {self.envelope.seq}"
        problems: list[str] = []
        actual = sha256_hex(self.canonical)
        if actual != self.hash:
            problems.append(f"{where}: hash mismatch: content hashes to {actual}, not {self.hash}")
        if self.canonical != self.envelope.canonical():
            problems.append(f"{where}: not canonical: the bytes hashed are not the RFC 8785 "
                            "form of the envelope")
        if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_SIZE:
            problems.append(f"{where}: the public key to check with is not {PUBLIC_KEY_SIZE} bytes")
            return problems
        expected = fingerprint(public_key)
        if expected != self.key:
            problems.append(
                f"{where}: key mismatch: signed by {short_fingerprint(self.key)}, "
                f"expected {short_fingerprint(expected)}"
            )
        try:
            verify(public_key, PURPOSE_EVENT, bytes.fromhex(actual), self.signature)
        except BadSignature:
            problems.append(
                f"{where}: bad signature: does not verify under key {short_fingerprint(expected)}"
            )
        return problems


def _envelope_under_event(document: object) -> Envelope:
    """The envelope of a wire record or a log row, errors named under ``event``."""
    try:
        return Envelope.from_dict(document)
    except EnvelopeInvalid as exc:
        raise EnvelopeInvalid(exc.message, field=_under("event", exc.field)) from None


def seal(envelope: Envelope, key: NodeKey) -> SignedEvent:
    """Hash ``envelope``'s canonical bytes and sign the hash with ``key`` for the event purpose.

    The sealed event keeps those bytes: they are what the log stores.
    """
    canonical = envelope.canonical()
    digest = sha256_hex(canonical)
    signature = key.sign(PURPOSE_EVENT, bytes.fromhex(digest))
    return SignedEvent(envelope, digest, signature, key.fingerprint, canonical)


def check_chain(
    events: Sequence[SignedEvent],
    *,
    stream: str,
    after_seq: int = 0,
    after_hash: str | None = None,
) -> list[str]:
    """Every break in ``events`` as a run of ``stream`` following ``after_seq``/``after_hash``.

    Reports a wrong stream, a gap, a duplicate or out-of-order ``seq``, and a
    ``prev`` that is not the hash of the event before. After a ``seq``
    problem the count resumes from that event, so one gap is reported once;
    ``prev`` is only judged where ``seq`` follows on, since across a gap it
    is bound to differ. Links use each event's recorded hash: whether that
    hash matches its content is :meth:`SignedEvent.check`'s question.
    """
    if after_seq < 0 or (after_seq == 0) != (after_hash is None):
        raise ValueError("give after_hash exactly when after_seq is above 0")
    problems: list[str] = []
    expected_seq, expected_prev = after_seq + 1, after_hash
    for event in events:
        envelope = event.envelope
        where = f"seq {envelope.seq}"
        if envelope.stream != stream:
            problems.append(f"{where}: wrong stream {envelope.stream}, expected {stream}")
        if envelope.seq > expected_seq:
            missing = (
                f"seq {expected_seq}"
                if envelope.seq == expected_seq + 1
                else f"seq {expected_seq} to {envelope.seq - 1}"
            )
            problems.append(f"{where}: gap: {missing} missing")
        elif envelope.seq < expected_seq:
            problems.append(f"{where}: duplicate or out of order: expected seq {expected_seq} next")
        elif envelope.prev != expected_prev:
            problems.append(
                f"{where}: broken link: prev is {envelope.prev}, "
                f"but seq {expected_seq - 1} has hash {expected_prev}"
            )
        expected_seq, expected_prev = envelope.seq + 1, event.hash
    return problems


def _under(parent: str, path: str) -> str:
    """``path`` (relative to a nested record) as seen from the record that holds it."""
    return parent if path == "$" else child_path(parent, path)

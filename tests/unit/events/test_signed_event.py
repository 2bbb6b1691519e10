"""Sealed events: signing, the wire form, and every problem ``check`` can find."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from acsa.events import (
    PURPOSE_EVENT,
    PURPOSE_TREE_HEAD,
    BadSignature,
    Envelope,
    EnvelopeInvalid,
    NodeKey,
    SignedEvent,
    canonical_json,
    seal,
    sha256_hex,
    verify,
)

EnvelopeDict = Callable[..., dict[str, Any]]


@pytest.fixture
def sealed(make_envelope: EnvelopeDict, node_key: NodeKey) -> SignedEvent:
    return seal(Envelope.from_dict(make_envelope()), node_key)


def test_seal_hashes_the_envelope_and_signs_the_hash(
    sealed: SignedEvent, node_key: NodeKey
) -> None:
    assert sealed.hash == sealed.envelope.hash()
    assert sealed.key == node_key.fingerprint
    verify(node_key.public_key, PURPOSE_EVENT, bytes.fromhex(sealed.hash), sealed.signature)
    assert sealed.check(node_key.public_key) == []


def test_wire_round_trip_through_json_text(sealed: SignedEvent) -> None:
    wire = sealed.to_wire()
    assert set(wire) == {"event", "hash", "sig", "key"}
    # Unpadded base64url: 64 bytes are exactly 86 characters, none of + / =.
    assert len(wire["sig"]) == 86
    assert not set(wire["sig"]) & set("+/=")
    assert SignedEvent.from_wire(json.loads(json.dumps(wire))) == sealed


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda w: w.pop("sig"), "sig"),
        (lambda w: w.update(extra=1), "extra"),
        (lambda w: w.update(hash="AB" * 32), "hash"),
        (lambda w: w.update(key="ed25519:1234"), "key"),
        (lambda w: w.update(sig=w["sig"] + "=="), "sig"),
        (lambda w: w.update(sig=w["sig"][:-1]), "sig"),
        (lambda w: w.update(sig="+" + w["sig"][1:]), "sig"),
        (lambda w: w.update(sig=w["sig"][:-1] + "B"), "sig"),
        (lambda w: w.update(sig=b"raw"), "sig"),
        (lambda w: w.update(event=[]), "event"),
        (lambda w: w["event"].update(seq=0), "event.seq"),
        (lambda w: w["event"]["actor"].pop("party"), "event.actor.party"),
    ],
)
def test_from_wire_is_strict_and_names_the_field(
    sealed: SignedEvent, change: Callable[[dict[str, Any]], object], field: str
) -> None:
    wire = json.loads(json.dumps(sealed.to_wire()))
    change(wire)
    with pytest.raises(EnvelopeInvalid) as caught:
        SignedEvent.from_wire(wire)
    assert caught.value.field == field


def test_a_tampered_byte_in_the_event_is_detected(sealed: SignedEvent, node_key: NodeKey) -> None:
    text = json.dumps(sealed.to_wire(), ensure_ascii=False)
    tampered = SignedEvent.from_wire(json.loads(text.replace("00042", "00043")))
    problems = tampered.check(node_key.public_key)
    assert len(problems) == 2
    assert problems[0].startswith("seq 1: hash mismatch")
    assert problems[1].startswith("seq 1: bad signature")


def test_a_tampered_amount_is_detected(sealed: SignedEvent, node_key: NodeKey) -> None:
    d = sealed.envelope.to_dict()
    d["data"]["lines"][0]["unit_price"] = "48.76"
    tampered = SignedEvent(Envelope.from_dict(d), sealed.hash, sealed.signature, sealed.key)
    assert any("hash mismatch" in p for p in tampered.check(node_key.public_key))


def test_a_flipped_signature_bit_is_detected(sealed: SignedEvent, node_key: NodeKey) -> None:
    signature = bytes([sealed.signature[0] ^ 1]) + sealed.signature[1:]
    tampered = SignedEvent(sealed.envelope, sealed.hash, signature, sealed.key)
    problems = tampered.check(node_key.public_key)
    assert len(problems) == 1
    assert "bad signature" in problems[0]


def test_checking_with_another_key_reports_key_and_signature(
    sealed: SignedEvent, peer_key: NodeKey
) -> None:
    problems = sealed.check(peer_key.public_key)
    assert len(problems) == 2
    assert "key mismatch" in problems[0]
    assert "bad signature" in problems[1]


def test_a_signature_made_for_another_purpose_does_not_pass_as_an_event(
    sealed: SignedEvent, node_key: NodeKey
) -> None:
    digest = bytes.fromhex(sealed.hash)
    head_signature = node_key.sign(PURPOSE_TREE_HEAD, digest)
    replayed = SignedEvent(sealed.envelope, sealed.hash, head_signature, sealed.key)
    assert replayed.check(node_key.public_key) == [
        f"seq 1: bad signature: does not verify under key {_short(node_key)}"
    ]
    with pytest.raises(BadSignature):
        verify(node_key.public_key, PURPOSE_TREE_HEAD, digest, sealed.signature)


def test_a_public_key_of_the_wrong_size_is_reported_not_raised(sealed: SignedEvent) -> None:
    assert sealed.check(b"\x00" * 31) == ["seq 1: the public key to check with is not 32 bytes"]


@pytest.mark.parametrize(
    ("hash_", "signature", "key", "field"),
    [
        ("xy" * 32, b"\x00" * 64, "ed25519:" + "0" * 64, "hash"),
        ("ab" * 32, b"\x00" * 63, "ed25519:" + "0" * 64, "sig"),
        ("ab" * 32, b"\x00" * 64, "0" * 64, "key"),
    ],
)
def test_direct_construction_is_validated(
    sealed: SignedEvent, hash_: str, signature: bytes, key: str, field: str
) -> None:
    with pytest.raises(EnvelopeInvalid) as caught:
        SignedEvent(sealed.envelope, hash_, signature, key)
    assert caught.value.field == field


def _short(key: NodeKey) -> str:
    digits = key.fingerprint.removeprefix("ed25519:")
    return ":".join(digits[i : i + 4] for i in range(0, 16, 4))


# -- the canonical bytes: the only thing hashed, signed, stored and served ------------------


def _compact(document: object) -> bytes:
    """JSON text as the federation endpoint writes a response body."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def test_a_sealed_event_keeps_the_bytes_it_hashed_and_signed(
    sealed: SignedEvent, node_key: NodeKey
) -> None:
    assert sealed.canonical == sealed.envelope.canonical()
    assert sha256_hex(sealed.canonical) == sealed.hash
    verify(node_key.public_key, PURPOSE_EVENT, bytes.fromhex(sealed.hash), sealed.signature)


def test_an_event_read_back_is_served_byte_for_byte_as_stored(
    sealed: SignedEvent, node_key: NodeKey
) -> None:
    text = sealed.canonical.decode("utf-8")  # what the log's envelope column holds
    back = SignedEvent.from_stored(text, sealed.hash, sealed.sig, sealed.key)
    assert back.canonical == text.encode("utf-8")
    assert back == sealed
    assert back.check(node_key.public_key) == []
    wire = back.to_wire()
    assert _compact(wire["event"]) == back.canonical
    # A record embedding the event (a bundle's signed body, a stream response)
    # carries the stored bytes verbatim.
    assert back.canonical in canonical_json({"events": [wire]})
    assert back.canonical in _compact({"events": [wire]})
    assert SignedEvent.from_wire(json.loads(_compact(wire))) == back


def test_the_served_event_follows_the_stored_bytes_not_the_envelope_fields(
    sealed: SignedEvent,
) -> None:
    # Served from the envelope's fields, the keys would come out in field
    # order (v, stream, seq, …); served from the bytes, in their own order.
    back = SignedEvent.from_stored(sealed.canonical, sealed.hash, sealed.sig, sealed.key)
    assert list(back.to_wire()["event"]) == sorted(sealed.envelope.to_dict())
    assert list(back.to_wire()["event"]) != list(sealed.envelope.to_dict())


def test_stored_bytes_are_hashed_as_they_are_never_re_serialised(
    sealed: SignedEvent, node_key: NodeKey
) -> None:
    # The same envelope written with a space: not the bytes that were signed.
    spaced = sealed.canonical.replace(b'{"actor":', b'{ "actor":', 1)
    assert spaced != sealed.canonical
    back = SignedEvent.from_stored(spaced, sealed.hash, sealed.sig, sealed.key)
    assert back.envelope == sealed.envelope
    assert back.canonical == spaced
    problems = back.check(node_key.public_key)
    assert [p.split(":")[0] for p in problems] == ["seq 1"] * 3
    assert "hash mismatch" in problems[0]
    assert "not canonical" in problems[1]
    assert "bad signature" in problems[2]


def test_bytes_signed_in_a_non_canonical_form_are_reported(
    sealed: SignedEvent, node_key: NodeKey
) -> None:
    spaced = sealed.canonical.replace(b'{"actor":', b'{ "actor":', 1)
    digest = sha256_hex(spaced)
    signature = node_key.sign(PURPOSE_EVENT, bytes.fromhex(digest))
    odd = SignedEvent(sealed.envelope, digest, signature, sealed.key, spaced)
    assert odd.check(node_key.public_key) == [
        "seq 1: not canonical: the bytes hashed are not the RFC 8785 form of the envelope"
    ]


@pytest.mark.parametrize(
    ("envelope", "sig", "field"),
    [
        (b"", None, "event"),
        (b"\xff\xfe", None, "event"),
        (b'{"v":1', None, "event"),
        (b"[]", None, "event"),
        (None, "AA", "sig"),
    ],
)
def test_from_stored_is_strict_and_names_the_field(
    sealed: SignedEvent, envelope: bytes | None, sig: str | None, field: str
) -> None:
    with pytest.raises(EnvelopeInvalid) as caught:
        SignedEvent.from_stored(sealed.canonical if envelope is None else envelope,
                                sealed.hash, sealed.sig if sig is None else sig, sealed.key)
    assert caught.value.field == field


def test_from_stored_names_the_envelope_field_under_event(sealed: SignedEvent) -> None:
    broken = sealed.canonical.replace(b'"seq":1', b'"seq":0', 1)
    with pytest.raises(EnvelopeInvalid) as caught:
        SignedEvent.from_stored(broken, sealed.hash, sealed.sig, sealed.key)
    assert caught.value.field == "event.seq"

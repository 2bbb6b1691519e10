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
    seal,
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

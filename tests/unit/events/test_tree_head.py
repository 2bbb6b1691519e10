"""Tree heads, countersignatures and signed statements."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from acsa.events import (
    PURPOSE_EVENT,
    PURPOSE_STATEMENT,
    PURPOSE_TREE_HEAD,
    BadSignature,
    CompactRange,
    EnvelopeInvalid,
    NodeKey,
    SignedEvent,
    SignedTreeHead,
    TreeHead,
    check_countersignature,
    countersign,
    leaf_hash,
    root,
    sign_statement,
    statement_digest,
    verify,
    verify_statement,
)

STREAM = "JPN-PHL-ACSA/PHL"
AT = "2026-11-25T09:15:00.000Z"
HEAD = TreeHead(STREAM, 5, "4e" * 32, AT)


def test_the_digest_is_sha256_of_the_canonical_head() -> None:
    canonical = (
        '{"at":"2026-11-25T09:15:00.000Z","root":"' + "4e" * 32 + '","size":5,'
        '"stream":"JPN-PHL-ACSA/PHL"}'
    ).encode()
    assert HEAD.digest() == hashlib.sha256(canonical).digest()


def test_a_head_over_a_stream_of_events(
    make_chain: Callable[..., list[SignedEvent]], node_key: NodeKey
) -> None:
    # The worked example: leaves are the raw event hashes, the log keeps a
    # compact range, and the head carries its root as hex.
    events = make_chain(5, node_key)
    compact = CompactRange()
    for event in events:
        compact.append(leaf_hash(bytes.fromhex(event.hash)))
    leaves = [leaf_hash(bytes.fromhex(e.hash)) for e in events]
    assert compact.root() == root(leaves)
    head = TreeHead(STREAM, compact.size, compact.root().hex(), AT)
    assert SignedTreeHead.sign(head, node_key).check(node_key.public_key) == []


def test_sign_check_and_wire_round_trip(node_key: NodeKey) -> None:
    signed = SignedTreeHead.sign(HEAD, node_key)
    assert signed.key == node_key.fingerprint
    assert signed.check(node_key.public_key) == []
    wire = json.loads(json.dumps(signed.to_wire()))
    assert set(wire) == {"head", "sig", "key"}
    assert SignedTreeHead.from_wire(wire) == signed


def test_checking_with_another_key_reports_both_problems(
    node_key: NodeKey, peer_key: NodeKey
) -> None:
    problems = SignedTreeHead.sign(HEAD, node_key).check(peer_key.public_key)
    assert len(problems) == 2
    assert problems[0].startswith("key mismatch")
    assert problems[1].startswith("bad signature")


def test_a_changed_size_breaks_the_signature(node_key: NodeKey) -> None:
    signed = SignedTreeHead.sign(HEAD, node_key)
    altered = TreeHead(HEAD.stream, HEAD.size + 1, HEAD.root, HEAD.at)
    problems = SignedTreeHead(altered, signed.signature, signed.key).check(node_key.public_key)
    assert problems == [
        f"bad signature: does not verify under key {_short(node_key)} for {STREAM} at size 6"
    ]


def test_a_head_signature_is_not_an_event_or_statement_signature(node_key: NodeKey) -> None:
    signed = SignedTreeHead.sign(HEAD, node_key)
    for purpose in (PURPOSE_EVENT, PURPOSE_STATEMENT):
        with pytest.raises(BadSignature):
            verify(node_key.public_key, purpose, HEAD.digest(), signed.signature)
    forged = SignedTreeHead(HEAD, node_key.sign(PURPOSE_EVENT, HEAD.digest()), signed.key)
    assert len(forged.check(node_key.public_key)) == 1


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((STREAM, -1, "4e" * 32, AT), "size"),
        ((STREAM, True, "4e" * 32, AT), "size"),
        ((STREAM, 5, "4E" * 32, AT), "root"),
        ((STREAM, 5, "4e" * 32, "2026-11-25T09:15:00Z"), "at"),
        (("JPN-PHL-ACSA", 5, "4e" * 32, AT), "stream"),
    ],
)
def test_an_invalid_head_is_refused(args: tuple[Any, ...], field: str) -> None:
    with pytest.raises(EnvelopeInvalid) as caught:
        TreeHead(*args)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda w: w["head"].update(size="5"), "head.size"),
        (lambda w: w["head"].update(extra=1), "head.extra"),
        (lambda w: w["head"].pop("root"), "head.root"),
        (lambda w: w.update(head=None), "head"),
        (lambda w: w.update(sig=w["sig"] + "="), "sig"),
        (lambda w: w.update(key="ed25519:"), "key"),
        (lambda w: w.pop("key"), "key"),
    ],
)
def test_from_wire_is_strict_and_names_the_field(
    node_key: NodeKey, change: Callable[[dict[str, Any]], object], field: str
) -> None:
    wire = json.loads(json.dumps(SignedTreeHead.sign(HEAD, node_key).to_wire()))
    change(wire)
    with pytest.raises(EnvelopeInvalid) as caught:
        SignedTreeHead.from_wire(wire)
    assert caught.value.field == field


def test_the_peer_countersigns_the_same_digest(node_key: NodeKey, peer_key: NodeKey) -> None:
    signed = SignedTreeHead.sign(HEAD, node_key)
    countersignature = countersign(signed, peer_key)
    assert check_countersignature(signed, countersignature, peer_key.public_key) == []
    verify(peer_key.public_key, PURPOSE_TREE_HEAD, HEAD.digest(), countersignature)


def test_a_countersignature_for_another_head_or_key_is_refused(
    node_key: NodeKey, peer_key: NodeKey
) -> None:
    signed = SignedTreeHead.sign(HEAD, node_key)
    other = SignedTreeHead.sign(TreeHead(STREAM, 6, "4e" * 32, AT), node_key)
    countersignature = countersign(other, peer_key)
    assert len(check_countersignature(signed, countersignature, peer_key.public_key)) == 1
    stranger = NodeKey.from_seed(b"\x07" * 32)
    good = countersign(signed, peer_key)
    assert len(check_countersignature(signed, good, stranger.public_key)) == 1
    assert check_countersignature(signed, good, b"short") == [
        "the public key to check with is not 32 bytes"
    ]


def test_the_publisher_cannot_countersign_its_own_head(node_key: NodeKey) -> None:
    signed = SignedTreeHead.sign(HEAD, node_key)
    problems = check_countersignature(signed, signed.signature, node_key.public_key)
    assert problems == ["countersigned with the publisher's own key, not the peer's"]


STATEMENT = {"kind": "balance", "party": "PHL", "owed": {"JPY": "1250000"}, "as_of": AT}


def test_statements_sign_and_verify(node_key: NodeKey) -> None:
    signature = sign_statement(STATEMENT, node_key)
    verify_statement(STATEMENT, signature, node_key.public_key)
    verify(node_key.public_key, PURPOSE_STATEMENT, statement_digest(STATEMENT), signature)


def test_an_altered_statement_or_wrong_purpose_is_refused(node_key: NodeKey) -> None:
    signature = sign_statement(STATEMENT, node_key)
    with pytest.raises(BadSignature):
        verify_statement({**STATEMENT, "owed": {"JPY": "1250001"}}, signature, node_key.public_key)
    with pytest.raises(BadSignature):
        verify(node_key.public_key, PURPOSE_TREE_HEAD, statement_digest(STATEMENT), signature)


def test_a_statement_with_a_float_is_refused(node_key: NodeKey) -> None:
    with pytest.raises(EnvelopeInvalid) as caught:
        sign_statement({"owed": 12.5}, node_key)
    assert caught.value.field == "owed"


def _short(key: NodeKey) -> str:
    digits = key.fingerprint.removeprefix("ed25519:")
    return ":".join(digits[i : i + 4] for i in range(0, 16, 4))

"""Node keys: purpose-separated signatures, fingerprints and key files."""

from __future__ import annotations

import hashlib
import os
import stat
from itertools import permutations
from pathlib import Path
from typing import Any

import nacl.signing
import pytest

from acsa.events import (
    PURPOSE_DOCUMENT,
    PURPOSE_EVENT,
    PURPOSE_KEY_ROTATION,
    PURPOSE_REQUEST,
    PURPOSE_STATEMENT,
    PURPOSE_TREE_HEAD,
    BadSignature,
    KeyFileError,
    NodeKey,
    fingerprint,
    short_fingerprint,
    verify,
)

ALL_PURPOSES = [
    PURPOSE_EVENT,
    PURPOSE_TREE_HEAD,
    PURPOSE_STATEMENT,
    PURPOSE_REQUEST,
    PURPOSE_DOCUMENT,
    PURPOSE_KEY_ROTATION,
]
DIGEST = hashlib.sha256(b"an event").digest()

# RFC 8032 section 7.1, test 1: a seed and the public key it yields.
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


def test_from_seed_yields_the_rfc8032_public_key() -> None:
    assert NodeKey.from_seed(RFC8032_SEED).public_key == RFC8032_PUBLIC


def test_the_signed_bytes_are_label_zero_byte_digest() -> None:
    signature = NodeKey.from_seed(RFC8032_SEED).sign(PURPOSE_EVENT, DIGEST)
    # Checked with PyNaCl directly, so the exact layout is pinned.
    nacl.signing.VerifyKey(RFC8032_PUBLIC).verify(b"acsa/event/v1\x00" + DIGEST, signature)
    assert len(signature) == 64


def test_purpose_labels_are_the_documented_strings() -> None:
    assert ALL_PURPOSES == [
        "acsa/event/v1",
        "acsa/tree-head/v1",
        "acsa/statement/v1",
        "acsa/request/v1",
        "acsa/document/v1",
        "acsa/key-rotation/v1",
    ]


def test_fingerprint_is_sha256_of_the_raw_public_key() -> None:
    expected = "ed25519:" + hashlib.sha256(RFC8032_PUBLIC).hexdigest()
    assert fingerprint(RFC8032_PUBLIC) == expected
    assert NodeKey.from_seed(RFC8032_SEED).fingerprint == expected
    assert len(expected) == len("ed25519:") + 64


def test_short_fingerprint_groups_the_first_sixteen_hex_digits() -> None:
    fp = "ed25519:3f2a91bc0d4e7a11" + "0" * 48
    assert short_fingerprint(fp) == "3f2a:91bc:0d4e:7a11"
    with pytest.raises(ValueError):
        short_fingerprint("3f2a91bc")


def test_repr_does_not_reveal_the_seed(node_key: NodeKey) -> None:
    assert bytes(range(32)).hex() not in repr(node_key)
    assert "signing_key" not in repr(node_key)


def test_a_signature_verifies_for_its_own_purpose(node_key: NodeKey) -> None:
    for purpose in ALL_PURPOSES:
        verify(node_key.public_key, purpose, DIGEST, node_key.sign(purpose, DIGEST))


@pytest.mark.parametrize(("signed_for", "checked_for"), list(permutations(ALL_PURPOSES, 2)))
def test_a_signature_for_one_purpose_is_rejected_for_another(
    node_key: NodeKey, signed_for: str, checked_for: str
) -> None:
    signature = node_key.sign(signed_for, DIGEST)
    with pytest.raises(BadSignature):
        verify(node_key.public_key, checked_for, DIGEST, signature)


def test_wrong_key_altered_digest_and_altered_signature_are_rejected(
    node_key: NodeKey, peer_key: NodeKey
) -> None:
    signature = node_key.sign(PURPOSE_EVENT, DIGEST)
    with pytest.raises(BadSignature):
        verify(peer_key.public_key, PURPOSE_EVENT, DIGEST, signature)
    altered_digest = bytes([DIGEST[0] ^ 1]) + DIGEST[1:]
    with pytest.raises(BadSignature):
        verify(node_key.public_key, PURPOSE_EVENT, altered_digest, signature)
    altered_signature = signature[:-1] + bytes([signature[-1] ^ 0x80])
    with pytest.raises(BadSignature):
        verify(node_key.public_key, PURPOSE_EVENT, DIGEST, altered_signature)


@pytest.mark.parametrize(
    ("public_key", "purpose", "digest", "signature"),
    [
        (b"\x00" * 31, PURPOSE_EVENT, DIGEST, b"\x00" * 64),
        (b"\x00" * 32, PURPOSE_EVENT, DIGEST, b"\x00" * 63),
        (b"\x00" * 32, "acsa/unknown/v1", DIGEST, b"\x00" * 64),
        (b"\x00" * 32, PURPOSE_EVENT, DIGEST[:31], b"\x00" * 64),
        ("not bytes", PURPOSE_EVENT, DIGEST, b"\x00" * 64),
        (b"\x00" * 32, PURPOSE_EVENT, DIGEST, "not bytes"),
        (b"\x00" * 32, ["not", "a", "label"], DIGEST, b"\x00" * 64),
    ],
)
def test_malformed_inputs_raise_bad_signature_only(
    public_key: Any, purpose: Any, digest: Any, signature: Any
) -> None:
    with pytest.raises(BadSignature):
        verify(public_key, purpose, digest, signature)


def test_signing_refuses_unknown_purposes_and_wrong_digest_sizes(node_key: NodeKey) -> None:
    with pytest.raises(ValueError):
        node_key.sign("acsa/evnt/v1", DIGEST)
    with pytest.raises(ValueError):
        node_key.sign(PURPOSE_EVENT, b"short")


def test_seed_must_be_32_bytes() -> None:
    with pytest.raises(ValueError):
        NodeKey.from_seed(b"\x00" * 31)


def test_generated_keys_differ() -> None:
    assert NodeKey.generate().public_key != NodeKey.generate().public_key


def test_save_writes_the_seed_with_mode_0600_and_load_reads_it(
    tmp_path: Path, node_key: NodeKey
) -> None:
    path = tmp_path / "node.key"
    node_key.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == bytes(range(32))
    assert NodeKey.load(path).public_key == node_key.public_key


def test_save_refuses_to_overwrite_an_existing_key(tmp_path: Path, node_key: NodeKey) -> None:
    path = tmp_path / "node.key"
    path.write_bytes(b"the only copy of the old key....")
    with pytest.raises(KeyFileError, match="already exists"):
        node_key.save(path)
    assert path.read_bytes() == b"the only copy of the old key...."


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602, 0o660])
def test_load_refuses_a_key_file_others_can_access(
    tmp_path: Path, node_key: NodeKey, mode: int
) -> None:
    path = tmp_path / "node.key"
    node_key.save(path)
    os.chmod(path, mode)
    with pytest.raises(KeyFileError, match="chmod 600"):
        NodeKey.load(path)


def test_load_accepts_an_owner_read_only_file(tmp_path: Path, node_key: NodeKey) -> None:
    path = tmp_path / "node.key"
    node_key.save(path)
    os.chmod(path, 0o400)
    assert NodeKey.load(path) == node_key


@pytest.mark.parametrize("content", [b"", b"\x01" * 31, b"\x01" * 33])
def test_load_refuses_a_file_of_the_wrong_size(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "node.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    with pytest.raises(KeyFileError, match="exactly 32 bytes"):
        NodeKey.load(path)


def test_load_of_a_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="does not exist"):
        NodeKey.load(tmp_path / "absent.key")


def test_save_into_a_missing_directory_names_the_file(tmp_path: Path, node_key: NodeKey) -> None:
    with pytest.raises(KeyFileError, match="cannot be created"):
        node_key.save(tmp_path / "absent" / "node.key")


def test_load_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="not a regular file"):
        NodeKey.load(tmp_path)

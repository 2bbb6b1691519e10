"""RFC 6962 known answers, and every mutation of a known proof rejected.

The vectors (copied from ../shared/testvectors/rfc6962.json so the tests
run from a bare checkout) are the 8-leaf tree of the transparency-dev
Merkle test suite.

A wrong tree size is tested with the root *of that size*, because a size
and its root always arrive together in one signed tree head. With the
original root kept, the RFC 9162 verifiers cannot tell some sizes apart:
the path of leaf 1 has the same shape in trees of 5 to 8 leaves, so it
still leads to the 8-leaf root when the size is claimed as 5. That proves
nothing false (the leaf is in the tree with that root); the lie is the
size, which the head's signature rules out. transparency-dev probes this
case with double and half sizes, and so do we.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from acsa.events.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

VECTORS: dict[str, Any] = json.loads((Path(__file__).parent / "rfc6962.json").read_text())
LEAVES = [leaf_hash(bytes.fromhex(data)) for data in VECTORS["leaves_hex"]]
ROOTS = {0: EMPTY_ROOT} | {int(n): bytes.fromhex(r) for n, r in VECTORS["roots"].items()}
INCLUSION = [
    (v["index"], v["size"], [bytes.fromhex(p) for p in v["path"]]) for v in VECTORS["inclusion"]
]
CONSISTENCY = [
    (v["size1"], v["size2"], [bytes.fromhex(p) for p in v["proof"]]) for v in VECTORS["consistency"]
]


def flip(h: bytes, bit: int = 0) -> bytes:
    """``h`` with one bit inverted."""
    return h[: bit // 8] + bytes([h[bit // 8] ^ (1 << (bit % 8))]) + h[bit // 8 + 1 :]


def mutations(proof: list[bytes]) -> Iterator[tuple[str, list[bytes]]]:
    """Every altered proof the verifiers must refuse, each with a name for the report."""
    for i in range(len(proof)):
        for bit in (0, 7, 128, 255):
            yield (
                f"bit {bit} of element {i} flipped",
                [*proof[:i], flip(proof[i], bit), *proof[i + 1 :]],
            )
        yield f"element {i} removed", proof[:i] + proof[i + 1 :]
        yield f"element {i} duplicated", proof[: i + 1] + proof[i:]
        for j in range(i + 1, len(proof)):
            if proof[i] != proof[j]:
                swapped = list(proof)
                swapped[i], swapped[j] = swapped[j], swapped[i]
                yield f"elements {i} and {j} swapped", swapped
    yield "element added at the end", [*proof, LEAVES[0]]
    yield "element added at the start", [LEAVES[0], *proof]
    yield "zero hash added at the end", [*proof, bytes(32)]


def test_empty_tree_and_empty_leaf_known_answers() -> None:
    assert root([]).hex() == VECTORS["empty_root"]
    assert leaf_hash(b"").hex() == VECTORS["leaf_hash_of_empty"]


@pytest.mark.parametrize("size", sorted(int(n) for n in VECTORS["roots"]))
def test_roots_match(size: int) -> None:
    assert root(LEAVES[:size]) == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_paths_match_and_verify(index: int, size: int, path: list[bytes]) -> None:
    assert inclusion_proof(LEAVES[:size], index) == path
    assert verify_inclusion(LEAVES[index], index, size, path, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_match_and_verify(old: int, new: int, proof: list[bytes]) -> None:
    assert consistency_proof(LEAVES[:new], old) == proof
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_every_mutated_inclusion_proof_is_rejected(
    index: int, size: int, path: list[bytes]
) -> None:
    leaf, good_root = LEAVES[index], ROOTS[size]
    for name, bad in mutations(path):
        assert not verify_inclusion(leaf, index, size, bad, good_root), name
    for other in [*range(-1, size + 2), 2**64]:
        if other != index:
            assert not verify_inclusion(leaf, other, size, path, good_root), f"index {other}"
    for other in ROOTS:
        if other != size:
            assert not verify_inclusion(leaf, index, other, path, ROOTS[other]), f"size {other}"
    for other in (size * 2, size // 2, size + 8, 2**64):
        assert not verify_inclusion(leaf, index, other, path, good_root), f"size {other}"
    assert not verify_inclusion(leaf, index, size, path, flip(good_root)), "root flipped"
    for other_size, other_root in ROOTS.items():
        if other_size != size:
            assert not verify_inclusion(leaf, index, size, path, other_root), f"root {other_size}"
    assert not verify_inclusion(flip(leaf), index, size, path, good_root), "leaf flipped"
    assert not verify_inclusion(LEAVES[(index + 1) % 8], index, size, path, good_root), "leaf"


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_every_mutated_consistency_proof_is_rejected(
    old: int, new: int, proof: list[bytes]
) -> None:
    old_root, new_root = ROOTS[old], ROOTS[new]
    for name, bad in mutations(proof):
        assert not verify_consistency(old, new, old_root, new_root, bad), name
    for other in ROOTS:
        # The empty tree is a prefix of every tree, so (0, new) with an empty
        # proof is a true claim rather than a mutation.
        if other != old and not (other == 0 and not proof):
            assert not verify_consistency(other, new, ROOTS[other], new_root, proof), f"old {other}"
            assert not verify_consistency(other, new, old_root, new_root, proof), f"old {other}"
        if other != new:
            assert not verify_consistency(old, other, old_root, ROOTS[other], proof), f"new {other}"
    for other in (new * 2, new + 8, 2**64):
        assert not verify_consistency(old, other, old_root, new_root, proof), f"new {other}"
    assert not verify_consistency(old, new, flip(old_root), new_root, proof), "old root flipped"
    assert not verify_consistency(old, new, old_root, flip(new_root), proof), "new root flipped"
    for other_size, other_root in ROOTS.items():
        if other_size != old:
            assert not verify_consistency(old, new, other_root, new_root, proof), (
                f"old {other_size}"
            )
        if other_size != new:
            assert not verify_consistency(old, new, old_root, other_root, proof), (
                f"new {other_size}"
            )


MALFORMED: list[Any] = [None, "", 1.0, True, -1, b"", bytes(31), bytes(33), "ab" * 32, [b"x"]]


def test_malformed_inclusion_inputs_return_false_without_raising() -> None:
    index, size, path = INCLUSION[-1]
    leaf, good = LEAVES[index], ROOTS[size]
    assert verify_inclusion(leaf, index, size, path, good)
    for bad in MALFORMED:
        assert not verify_inclusion(bad, index, size, path, good)
        assert not verify_inclusion(leaf, bad, size, path, good)
        assert not verify_inclusion(leaf, index, bad, path, good)
        assert not verify_inclusion(leaf, index, size, bad, good)
        assert not verify_inclusion(leaf, index, size, [*path[:-1], bad], good)
        assert not verify_inclusion(leaf, index, size, path, bad)
    not_a_sequence: Any = iter(path)
    assert not verify_inclusion(leaf, index, size, not_a_sequence, good)
    assert not verify_inclusion(leaf, index, size, path * 30, good)


def test_malformed_consistency_inputs_return_false_without_raising() -> None:
    old, new, proof = CONSISTENCY[-2]
    old_root, new_root = ROOTS[old], ROOTS[new]
    assert verify_consistency(old, new, old_root, new_root, proof)
    for bad in MALFORMED:
        assert not verify_consistency(bad, new, old_root, new_root, proof)
        assert not verify_consistency(old, bad, old_root, new_root, proof)
        assert not verify_consistency(old, new, bad, new_root, proof)
        assert not verify_consistency(old, new, old_root, bad, proof)
        assert not verify_consistency(old, new, old_root, new_root, bad)
        assert not verify_consistency(old, new, old_root, new_root, [*proof[:-1], bad])


def test_equal_and_empty_old_trees() -> None:
    assert verify_consistency(8, 8, ROOTS[8], ROOTS[8], [])
    assert not verify_consistency(8, 8, ROOTS[8], ROOTS[7], [])
    assert verify_consistency(0, 8, EMPTY_ROOT, ROOTS[8], [])
    assert not verify_consistency(0, 8, ROOTS[1], ROOTS[8], [])
    assert not verify_consistency(0, 8, EMPTY_ROOT, ROOTS[8], [ROOTS[8]])
    assert not verify_consistency(5, 4, ROOTS[5], ROOTS[4], [])
    assert consistency_proof(LEAVES, 0) == []
    assert consistency_proof(LEAVES, 8) == []

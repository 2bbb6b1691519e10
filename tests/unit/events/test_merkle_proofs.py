"""Generated proofs for every small tree, and the compact range against the full root.

The generators are compared with a direct transcription of RFC 6962's
recursive definitions (section 2.1), slow but obviously right, for every
(index, size) and (old, new) pair up to 64 leaves.
"""

from __future__ import annotations

import hashlib
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acsa.events.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    range_pieces,
    root,
    verify_consistency,
    verify_inclusion,
)

SIZE_MAX = 64
LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(SIZE_MAX)]
ROOTS = [root(LEAVES[:n]) for n in range(SIZE_MAX + 1)]


def _k(n: int) -> int:
    """The largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 2.1, over leaf hashes."""
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    # Hashed here, not with merkle.node_hash, so the reference owes nothing
    # to the code it checks.
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def path(m: int, d: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 2.1.1."""
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 6962 2.1.2."""
    if m == len(d):
        return [] if b else [mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def test_roots_match_the_recursive_definition() -> None:
    for n in range(SIZE_MAX + 1):
        assert ROOTS[n] == mth(LEAVES[:n])
    assert ROOTS[0] == EMPTY_ROOT


def test_every_inclusion_proof_up_to_64_leaves_matches_and_verifies() -> None:
    for size in range(1, SIZE_MAX + 1):
        for index in range(size):
            proof = inclusion_proof(LEAVES[:size], index)
            assert proof == path(index, LEAVES[:size]), (index, size)
            assert verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size]), (index, size)
            if size > 1:
                neighbour = (index + 1) % size
                assert not verify_inclusion(LEAVES[index], neighbour, size, proof, ROOTS[size])


def test_every_consistency_proof_up_to_64_leaves_matches_and_verifies() -> None:
    for new in range(SIZE_MAX + 1):
        for old in range(new + 1):
            proof = consistency_proof(LEAVES[:new], old)
            expected = [] if old in (0, new) else subproof(old, LEAVES[:new], True)
            assert proof == expected, (old, new)
            assert verify_consistency(old, new, ROOTS[old], ROOTS[new], proof), (old, new)
            if 0 < old < new:
                wrong_old = root([*LEAVES[: old - 1], leaf_hash(b"rewritten")])
                assert not verify_consistency(old, new, wrong_old, ROOTS[new], proof), (old, new)


def test_generators_refuse_impossible_arguments() -> None:
    with pytest.raises(ValueError):
        inclusion_proof(LEAVES[:4], 4)
    with pytest.raises(ValueError):
        inclusion_proof(LEAVES[:4], -1)
    with pytest.raises(ValueError):
        inclusion_proof([], 0)
    with pytest.raises(ValueError):
        consistency_proof(LEAVES[:4], 5)
    with pytest.raises(ValueError):
        root([b"short"])


def test_one_hundred_thousand_leaves() -> None:
    # Not a timing assertion: this shows the generators do linear work, as a
    # quadratic one would not finish in a unit-test run.
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(100_000)]
    full = root(leaves)
    assert verify_inclusion(leaves[77_777], 77_777, 100_000, inclusion_proof(leaves, 77_777), full)
    old_root = root(leaves[:65_537])
    proof = consistency_proof(leaves, 65_537)
    assert verify_consistency(65_537, 100_000, old_root, full, proof)
    compact = CompactRange()
    for leaf in leaves:
        compact.append(leaf)
    assert compact.root() == full
    assert len(compact.to_list()) == bin(100_000).count("1")


# The example count comes from the hypothesis profile in tests/conftest.py;
# no deadline, because hashing time varies on a shared machine.
@settings(deadline=None)
@given(st.lists(st.binary(max_size=8), max_size=300))
def test_compact_range_root_equals_the_full_root_at_every_size(data: list[bytes]) -> None:
    leaves = [leaf_hash(d) for d in data]
    compact = CompactRange()
    assert compact.root() == EMPTY_ROOT
    for n, leaf in enumerate(leaves, start=1):
        compact.append(leaf)
        assert compact.size == n
        assert compact.root() == root(leaves[:n])


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=300), st.integers(min_value=0, max_value=50))
def test_compact_range_survives_storage_and_keeps_growing(before: int, after: int) -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(before + after)]
    compact = CompactRange()
    for leaf in leaves[:before]:
        compact.append(leaf)
    restored = CompactRange.from_list(compact.to_list(), size=compact.size)
    assert restored.root() == compact.root()
    for leaf in leaves[before:]:
        restored.append(leaf)
    assert restored.root() == root(leaves)


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=300).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.integers(min_value=0, max_value=n)))))
def test_a_tree_hashed_in_pieces_apart_has_the_root_of_the_whole(
        case: tuple[int, list[int]]) -> None:
    """Cut anywhere, each piece summed by ``range_pieces`` alone and the sums joined in order:
    the root at every cut and at the end is the root of the leaves up to there."""
    size, cuts = case
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    bounds = [0, *sorted(set(cuts)), size]
    compact = CompactRange()
    for lo, hi in itertools.pairwise(bounds):
        pieces = range_pieces(leaves[lo:hi], lo)
        assert len(pieces) <= 2 * max(1, hi - lo).bit_length()
        compact.extend(pieces)
        assert compact.size == hi
        assert compact.root() == root(leaves[:hi])


def test_pieces_that_do_not_fit_where_they_are_joined_are_refused() -> None:
    compact = CompactRange()
    compact.append(LEAVES[0])
    with pytest.raises(ValueError, match="cannot follow 1"):
        compact.append_subtree(LEAVES[1], 1)
    with pytest.raises(ValueError, match="32 bytes"):
        compact.append_subtree(b"short", 0)
    with pytest.raises(ValueError, match="offset"):
        range_pieces(LEAVES[:2], -1)
    grown = compact.copy()
    grown.append(LEAVES[1])
    assert (compact.size, grown.size) == (1, 2)
    assert grown.root() == ROOTS[2]


@settings(deadline=None)
@given(
    st.integers(min_value=1, max_value=300).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.integers(min_value=0, max_value=n),
            st.integers(min_value=0, max_value=n - 1),
        )
    )
)
def test_proofs_verify_for_random_sizes(case: tuple[int, int, int]) -> None:
    size, old, index = case
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    full = root(leaves)
    assert verify_inclusion(leaves[index], index, size, inclusion_proof(leaves, index), full)
    assert verify_consistency(old, size, root(leaves[:old]), full, consistency_proof(leaves, old))


def test_compact_range_keeps_one_hash_per_set_bit_of_the_size() -> None:
    compact = CompactRange()
    for n, leaf in enumerate(LEAVES, start=1):
        compact.append(leaf)
        assert len(compact.to_list()) == bin(n).count("1")
    assert compact.to_list() == [ROOTS[64].hex()]


@pytest.mark.parametrize(
    ("hashes", "size"),
    [
        ([], 1),
        (["ab" * 32], 3),
        (["AB" * 32], 1),
        (["ab" * 31], 1),
        (["zz" * 32], 1),
        ([" " + "ab" * 31 + "a"], 1),
        ([], -1),
    ],
)
def test_from_list_refuses_what_to_list_never_writes(hashes: list[str], size: int) -> None:
    with pytest.raises(ValueError):
        CompactRange.from_list(hashes, size=size)


def test_append_refuses_a_leaf_of_the_wrong_size() -> None:
    with pytest.raises(ValueError):
        CompactRange().append(b"\x00" * 31)

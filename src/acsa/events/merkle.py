"""Merkle tree hashing of RFC 6962 / RFC 9162: roots, inclusion and consistency proofs.

Each stream's events are the leaves of a Merkle tree, in ``seq`` order; the
leaf *data* is the 32 raw bytes of the event hash. A node signs the tree's
root (a tree head) and can prove in O(log n) hashes that an event is in the
tree (inclusion) and that a later tree extends an earlier one without
rewriting it (consistency). Leaf and interior hashes carry distinct prefix
bytes (0x00 and 0x01) so a leaf can never pass for an interior node.

The generators take the list of leaf hashes; the verifiers follow RFC 9162
sections 2.1.3.2 and 2.1.4.2 and answer False, never raise, for any input
that does not prove what is claimed. :class:`CompactRange` keeps a root up
to date as leaves are appended, without rereading them; :func:`range_pieces`
lets a tree be hashed in pieces, apart, and joined in one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

HASH_SIZE = 32

# A tree of 2**64 leaves is beyond any log we will keep, and no proof for a
# smaller tree is longer than this; a longer "proof" is refused unread.
PROOF_LENGTH_MAX = 64

EMPTY_ROOT = hashlib.sha256(b"").digest()

_HEX_HASH = re.compile(r"[0-9a-f]{64}")


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of the leaves; the empty tree's is SHA-256 of nothing."""
    _require_leaves(leaf_hashes)
    if not leaf_hashes:
        return EMPTY_ROOT
    return _subtree_root(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` (RFC 6962 section 2.1.1), nearest sibling first."""
    _require_leaves(leaf_hashes)
    if not 0 <= index < len(leaf_hashes):
        raise ValueError(f"leaf {index} is not in a tree of {len(leaf_hashes)} leaves")
    path: list[bytes] = []
    lo, hi = 0, len(leaf_hashes)
    # Walk down from the root, collecting the sibling subtree at each level;
    # the siblings' sizes sum to less than n, so the work is linear.
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(_subtree_root(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            path.append(_subtree_root(leaf_hashes, lo, lo + k))
            lo = lo + k
    path.reverse()
    return path


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """The proof that the first ``old_size`` leaves form a prefix of this tree (RFC 6962 2.1.2).

    Empty when ``old_size`` is 0 or the whole tree, as the verifier expects.
    """
    _require_leaves(leaf_hashes)
    size = len(leaf_hashes)
    if not 0 <= old_size <= size:
        raise ValueError(f"old size {old_size} is not between 0 and {size}")
    if old_size in (0, size):
        return []
    proof: list[bytes] = []
    lo, hi, m, whole = 0, size, old_size, True
    # SUBPROOF(m, D[lo:hi], whole), unrolled: each step keeps one side and
    # records the other side's root.
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(_subtree_root(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_subtree_root(leaf_hashes, lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        proof.append(_subtree_root(leaf_hashes, lo, hi))
    proof.reverse()
    return proof


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """Whether ``proof`` shows ``leaf`` (a leaf hash) at ``index`` in the tree ``root_hash``."""
    if not (_is_count(index) and _is_count(size) and index < size):
        return False
    if not (_is_hash(leaf) and _is_hash(root_hash) and _is_proof(proof)):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root_hash


def verify_consistency(  # noqa: C901, PLR0912
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree ``old_root`` of ``old_size`` is a prefix of ``new_root``.

    Equal sizes need an empty proof and equal roots. From the empty tree any
    tree follows, with an empty proof, provided ``old_root`` is the empty root.
    """
    if not (_is_count(old_size) and _is_count(new_size) and old_size <= new_size):
        return False
    if not (_is_hash(old_root) and _is_hash(new_root) and _is_proof(proof)):
        return False
    if old_size == new_size:
        return len(proof) == 0 and old_root == new_root
    if old_size == 0:
        return len(proof) == 0 and old_root == EMPTY_ROOT
    if len(proof) == 0:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # The old tree is a complete subtree of the new one, so the proof
        # omits its root; the verifier starts from the root it already has.
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


class CompactRange:
    """The right edge of a growing tree: enough to update its root as leaves arrive.

    It holds one hash per set bit of ``size`` (the roots of the perfect
    subtrees the leaves fall into, largest first), so O(log n) hashes. This
    object is mutable on purpose: the log appends to it in place and then
    stores :meth:`to_list` beside the stream's length.
    """

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []

    @property
    def size(self) -> int:
        """How many leaves have been appended."""
        return self._size

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash, merging equal-sized subtrees the way a binary counter carries."""
        self.append_subtree(leaf, 0)

    def append_subtree(self, subtree_root: bytes, level: int) -> None:
        """Add ``2**level`` leaves at once by the root of their perfect subtree, which must
        start where this range ends (``size`` a multiple of ``2**level``)."""
        if not _is_hash(subtree_root):
            raise ValueError(f"a subtree root is {HASH_SIZE} bytes")
        if not _is_count(level) or self._size % (1 << level):
            raise ValueError(f"a subtree of 2**{level} leaves cannot follow {self._size}")
        self._hashes.append(subtree_root)
        carry = self._size >> level
        while carry & 1:
            right = self._hashes.pop()
            left = self._hashes.pop()
            self._hashes.append(node_hash(left, right))
            carry >>= 1
        self._size += 1 << level

    def extend(self, pieces: Sequence[tuple[int, bytes]]) -> None:
        """Add the leaves that :func:`range_pieces` summed up, in their order."""
        for level, subtree_root in pieces:
            self.append_subtree(subtree_root, level)

    def copy(self) -> CompactRange:
        """Another range at the same size, to grow apart from this one."""
        other = CompactRange()
        other._hashes = list(self._hashes)
        other._size = self._size
        return other

    def root(self) -> bytes:
        """The root of the tree of all appended leaves, equal to :func:`root` of them."""
        if not self._hashes:
            return EMPTY_ROOT
        result = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            result = node_hash(left, result)
        return result

    def to_list(self) -> list[str]:
        """The subtree hashes as hex, largest subtree first; store ``size`` alongside."""
        return [h.hex() for h in self._hashes]

    @classmethod
    def from_list(cls, hashes: Sequence[str], *, size: int) -> CompactRange:
        """Rebuild from :meth:`to_list` and the leaf count it was taken at."""
        if not _is_count(size):
            raise ValueError(f"size must be a non-negative integer, got {size!r}")
        if len(hashes) != size.bit_count():
            raise ValueError(f"a range of {size} leaves has {size.bit_count()} hashes")
        if not all(isinstance(h, str) and _HEX_HASH.fullmatch(h) for h in hashes):
            raise ValueError(f"every hash must be {HASH_SIZE * 2} lowercase hex characters")
        restored = cls()
        restored._hashes = [bytes.fromhex(h) for h in hashes]
        restored._size = size
        return restored

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, root={self.root().hex()})"


def range_pieces(leaf_hashes: Sequence[bytes], offset: int) -> list[tuple[int, bytes]]:
    """The leaves of positions ``offset`` onwards as the fewest perfect subtrees a tree of
    positions 0 on is made of, each as ``(level, root)``, in order: O(log n) hashes that
    carry a :class:`CompactRange` of ``offset`` leaves over all of them
    (:meth:`CompactRange.extend`), so a tree can be hashed in pieces, apart."""
    _require_leaves(leaf_hashes)
    if not _is_count(offset):
        raise ValueError(f"offset must be a non-negative integer, got {offset!r}")
    pieces: list[tuple[int, bytes]] = []
    i, n = 0, len(leaf_hashes)
    while i < n:
        position = offset + i
        # The largest subtree aligned at ``position`` that the leaves left fill.
        level = (position & -position).bit_length() - 1 if position else (n - i).bit_length()
        while 1 << level > n - i:
            level -= 1
        pieces.append((level, _subtree_root(leaf_hashes, i, i + (1 << level))))
        i += 1 << level
    return pieces


def _split(n: int) -> int:
    """The largest power of two below ``n`` (n >= 2): where RFC 6962 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(leaf_hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """The root of leaves ``lo`` to ``hi - 1``; recursion depth is log2 of the width."""
    if hi - lo == 1:
        return leaf_hashes[lo]
    k = _split(hi - lo)
    return node_hash(_subtree_root(leaf_hashes, lo, lo + k), _subtree_root(leaf_hashes, lo + k, hi))


def _require_leaves(leaf_hashes: Sequence[bytes]) -> None:
    if not all(_is_hash(h) for h in leaf_hashes):
        raise ValueError(f"every leaf hash must be {HASH_SIZE} bytes")


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_proof(proof: object) -> bool:
    return (
        isinstance(proof, list | tuple)
        and len(proof) <= PROOF_LENGTH_MAX
        and all(_is_hash(p) for p in proof)
    )

"""Node keys: Ed25519 signing with a purpose label, key files, fingerprints.

Each node holds one Ed25519 key; its signature says which nation recorded
a record. Every signature is *domain-separated*: the bytes signed are a
purpose label, a zero byte and a 32-byte SHA-256 digest, so a signature
made for one purpose (an event) can never be replayed as another (a tree
head). Because the digest has a fixed length, label and digest can never
be confused with each other. PyNaCl (libsodium) does all the cryptography.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nacl.exceptions
import nacl.signing

from acsa.events.errors import BadSignature, KeyFileError

PURPOSE_EVENT = "acsa/event/v1"
PURPOSE_TREE_HEAD = "acsa/tree-head/v1"
PURPOSE_STATEMENT = "acsa/statement/v1"
PURPOSE_REQUEST = "acsa/request/v1"
PURPOSE_DOCUMENT = "acsa/document/v1"
PURPOSE_KEY_ROTATION = "acsa/key-rotation/v1"
PURPOSE_BUNDLE = "acsa/bundle/v1"

# Only these labels may be signed or verified, so a typo in a label fails
# loudly instead of producing signatures nobody else will accept.
PURPOSES = frozenset(
    {
        PURPOSE_EVENT,
        PURPOSE_TREE_HEAD,
        PURPOSE_STATEMENT,
        PURPOSE_REQUEST,
        PURPOSE_DOCUMENT,
        PURPOSE_KEY_ROTATION,
        PURPOSE_BUNDLE,
    }
)

SEED_SIZE = 32
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
DIGEST_SIZE = 32

FINGERPRINT_PREFIX = "ed25519:"
_FINGERPRINT = re.compile(r"ed25519:[0-9a-f]{64}")

# Any permission bit for group or others makes a key file unsafe: readable
# leaks the key, writable lets someone substitute theirs.
_UNSAFE_MODE_BITS = stat.S_IRWXG | stat.S_IRWXO


@dataclass(frozen=True)
class NodeKey:
    """A node's Ed25519 signing key. ``repr`` never shows the secret."""

    signing_key: nacl.signing.SigningKey = field(repr=False)

    @classmethod
    def generate(cls) -> NodeKey:
        """A fresh key from the operating system's random source."""
        return cls(nacl.signing.SigningKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> NodeKey:
        """The key derived from a 32-byte seed; tests use fixed seeds for repeatable output."""
        if not isinstance(seed, bytes) or len(seed) != SEED_SIZE:
            raise ValueError(f"an Ed25519 seed is exactly {SEED_SIZE} bytes")
        return cls(nacl.signing.SigningKey(seed))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> NodeKey:
        """Read a key file written by :meth:`save`, refusing one that others can access."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise KeyFileError(f"key file {path} does not exist") from None
        except OSError as exc:
            raise KeyFileError(f"key file {path} cannot be opened: {exc.strerror}") from None
        try:
            # The mode is read from the open file, not the path, so the file
            # checked is the file read even if the path is swapped meanwhile.
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise KeyFileError(f"key file {path} is not a regular file")
            if info.st_mode & _UNSAFE_MODE_BITS:
                raise KeyFileError(
                    f"key file {path} has mode {stat.S_IMODE(info.st_mode):04o}, so other users "
                    f"can read or change it; run: chmod 600 {path}"
                )
            # One byte more than a seed, so a longer file is noticed.
            seed = os.read(fd, SEED_SIZE + 1)
        finally:
            os.close(fd)
        if len(seed) != SEED_SIZE:
            raise KeyFileError(f"key file {path} must hold exactly {SEED_SIZE} bytes")
        return cls(nacl.signing.SigningKey(seed))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the 32-byte seed, raw, to a new file of mode 0600; never overwrite.

        The file is created with ``O_EXCL`` and its final mode in one step, so
        there is no moment when it exists with wider permissions, and an
        existing key (perhaps the only copy) is never replaced.
        """
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        try:
            fd = os.open(path, flags, 0o600)
        except FileExistsError:
            raise KeyFileError(
                f"key file {path} already exists; refusing to overwrite it"
            ) from None
        except OSError as exc:
            raise KeyFileError(f"key file {path} cannot be created: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(bytes(self.signing_key))
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            # A half-written key file would be refused on load anyway; removing
            # it lets the operator simply retry.
            with contextlib.suppress(OSError):
                Path(path).unlink()
            raise

    @property
    def public_key(self) -> bytes:
        """The 32 raw bytes of the Ed25519 public key."""
        return bytes(self.signing_key.verify_key)

    @property
    def fingerprint(self) -> str:
        """The fingerprint of :attr:`public_key` (see :func:`fingerprint`)."""
        return fingerprint(self.public_key)

    def sign(self, purpose: str, digest: bytes) -> bytes:
        """The 64-byte signature of ``purpose`` over a 32-byte SHA-256 ``digest``."""
        message = _signed_bytes(purpose, digest)
        if message is None:
            raise ValueError(
                f"cannot sign: purpose must be one of {sorted(PURPOSES)} and the digest 32 bytes"
            )
        return self.signing_key.sign(message).signature


def fingerprint(public_key: bytes) -> str:
    """``ed25519:`` followed by the SHA-256 hex of the raw 32-byte public key."""
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_SIZE:
        raise ValueError(f"an Ed25519 public key is exactly {PUBLIC_KEY_SIZE} bytes")
    return FINGERPRINT_PREFIX + hashlib.sha256(public_key).hexdigest()


def is_fingerprint(text: object) -> bool:
    """Whether ``text`` has the form of a fingerprint (``ed25519:`` and 64 lowercase hex)."""
    return isinstance(text, str) and _FINGERPRINT.fullmatch(text) is not None


def short_fingerprint(fp: str) -> str:
    """The first 16 hex characters of a fingerprint in groups of four, for people to compare.

    ``ed25519:3f2a91bc0d4e7a11…`` is shown as ``3f2a:91bc:0d4e:7a11``. This is
    for display only; machines always compare the full fingerprint.
    """
    if not is_fingerprint(fp):
        raise ValueError(f"{fp!r} is not a key fingerprint")
    digits = fp.removeprefix(FINGERPRINT_PREFIX)[:16]
    return ":".join(digits[i : i + 4] for i in range(0, 16, 4))


def verify(public_key: bytes, purpose: str, digest: bytes, signature: bytes) -> None:
    """Return if ``signature`` is ``public_key``'s signature of ``purpose`` over ``digest``.

    Raises :class:`BadSignature` for every failure alike: a wrong key, a
    wrong purpose, an altered digest, or inputs of the wrong type or size.
    """
    message = _signed_bytes(purpose, digest)
    if message is None:
        raise BadSignature(f"unknown purpose {purpose!r} or digest not {DIGEST_SIZE} bytes")
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        raise BadSignature(f"a signature is exactly {SIGNATURE_SIZE} bytes")
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_SIZE:
        raise BadSignature(f"a public key is exactly {PUBLIC_KEY_SIZE} bytes")
    try:
        nacl.signing.VerifyKey(public_key).verify(message, signature)
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        # libsodium also refuses malformed and small-order keys here; to the
        # caller all of these mean the same thing.
        raise BadSignature(f"signature does not verify for purpose {purpose}") from None


def _signed_bytes(purpose: str, digest: bytes) -> bytes | None:
    """The exact bytes signed, or ``None`` if the purpose or digest is not acceptable."""
    if not isinstance(purpose, str) or purpose not in PURPOSES:
        return None
    if not isinstance(digest, bytes) or len(digest) != DIGEST_SIZE:
        return None
    return purpose.encode("ascii") + b"\x00" + digest

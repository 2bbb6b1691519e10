"""A node key sealed with a passphrase, for a backup that carries the key.

libsodium's primitives through PyNaCl, nothing of our own: the passphrase is
stretched by Argon2id (``crypto_pwhash``, 256 MiB and 3 passes — libsodium's
"moderate" limits, about a second here) with a random 16-byte salt into a
32-byte key, which seals the key's 32-byte seed with XSalsa20-Poly1305
(``SecretBox``, random 24-byte nonce). Opening it with a wrong passphrase, or
a sealed key altered in any byte, fails authentication: nothing is guessed.
The fingerprint is kept beside it in clear, so a reader can tell which key
a backup holds without the passphrase.
"""

from __future__ import annotations

import base64
from typing import Any

import nacl.exceptions
import nacl.pwhash.argon2id as argon2id
import nacl.secret
import nacl.utils

from acsa.events.errors import KeyFileError
from acsa.events.keys import NodeKey

SEALED_FORMAT = "acsa-sealed-key/1"
PASSPHRASE_LENGTH_MIN = 12


def seal_key(key: NodeKey, passphrase: str) -> dict[str, Any]:
    """``key`` sealed under ``passphrase``, as a JSON-able document."""
    if len(passphrase) < PASSPHRASE_LENGTH_MIN:
        raise KeyFileError(f"the passphrase must have at least {PASSPHRASE_LENGTH_MIN} "
                           "characters")
    salt = nacl.utils.random(argon2id.SALTBYTES)
    ops, mem = argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE
    box = nacl.secret.SecretBox(_stretch(passphrase, salt, ops, mem))
    sealed = box.encrypt(bytes(key.signing_key))
    return {"format": SEALED_FORMAT, "fingerprint": key.fingerprint,
            "kdf": {"name": "argon2id", "opslimit": ops, "memlimit": mem,
                    "salt": base64.b64encode(salt).decode("ascii")},
            "cipher": "xsalsa20-poly1305",
            "sealed": base64.b64encode(bytes(sealed)).decode("ascii")}


def open_key(document: dict[str, Any], passphrase: str) -> NodeKey:
    """The key sealed in ``document``; :class:`KeyFileError` if it cannot be opened."""
    try:
        if document.get("format") != SEALED_FORMAT or document["kdf"]["name"] != "argon2id":
            raise KeyFileError(f"not an {SEALED_FORMAT} document")
        kdf = document["kdf"]
        salt = base64.b64decode(kdf["salt"], validate=True)
        box = nacl.secret.SecretBox(_stretch(passphrase, salt, int(kdf["opslimit"]),
                                             int(kdf["memlimit"])))
        seed = box.decrypt(base64.b64decode(document["sealed"], validate=True))
    except nacl.exceptions.CryptoError:
        raise KeyFileError("the passphrase does not open the sealed key (or it was "
                           "altered)") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyFileError(f"the sealed key is unreadable: {exc}") from None
    key = NodeKey.from_seed(seed)
    if key.fingerprint != document.get("fingerprint"):
        raise KeyFileError("the sealed key is not the one its fingerprint names")
    return key


def _stretch(passphrase: str, salt: bytes, ops: int, mem: int) -> bytes:
    return bytes(argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, passphrase.encode("utf-8"), salt,
                              opslimit=ops, memlimit=mem))

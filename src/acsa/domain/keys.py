"""Node keys over a stream's positions: which key may sign the event at each sequence.

A node starts with the key its peers registered out of band. It rotates by
announcing a new key (``key.rotation_announced``) in its stream, signed by a
key already in force there: the new key may sign from the next position on,
but a peer trusts it only once its own administrator has confirmed the new
fingerprint out of band, so a stolen key alone cannot rotate itself. A key is
revoked by ``key.revoked`` at a position: from the position after it, events
signed by that key are refused. Positions, never clocks, decide, so every
node reaches the same verdict on the same stream.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from acsa.domain.errors import N_, InvalidValue, UnknownReference
from acsa.domain.facts import KEY_REVOKED, KEY_ROTATION_ANNOUNCED

__all__ = ["KEY_EVENT_TYPES", "KEY_REVOKED", "KEY_ROTATION_ANNOUNCED", "KeySchedule", "KeySpan"]

KEY_EVENT_TYPES = frozenset({KEY_ROTATION_ANNOUNCED, KEY_REVOKED})

_HEX_KEY = re.compile(r"[0-9a-f]{64}")
_FINGERPRINT = re.compile(r"ed25519:[0-9a-f]{64}")


def key_fingerprint(public_key: bytes) -> str:
    """``ed25519:`` and the SHA-256 hex of the raw public key (as the event layer writes it)."""
    return "ed25519:" + hashlib.sha256(public_key).hexdigest()


def short(fp: str) -> str:
    digits = fp.removeprefix("ed25519:")[:16]
    return ":".join(digits[i : i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class KeySpan:
    """One key of a stream's signer and the positions it may sign."""

    fingerprint: str
    public_key: bytes | None  # None until learnt (the registered key before first contact)
    from_seq: int  # the first position it may sign
    confirmed: bool  # registered, or confirmed out of band by this node's administrator
    announced_at: int | None = None  # position of the announcing event; None: registered key
    revoked_at: int | None = None  # position of the revoking event; later positions refused

    def covers(self, seq: int) -> bool:
        return seq >= self.from_seq and (self.revoked_at is None or seq <= self.revoked_at)


@dataclass(frozen=True)
class KeySchedule:
    """Every key a stream's signer has used or announced, in announcement order."""

    spans: tuple[KeySpan, ...]
    confirmed: frozenset[str] = frozenset()  # fingerprints confirmed out of band

    @classmethod
    def starting_with(cls, fingerprint: str, public_key: bytes | None,
                      confirmed: frozenset[str] = frozenset()) -> KeySchedule:
        return cls((KeySpan(fingerprint, public_key, 1, True),), confirmed)

    def span(self, fingerprint: str) -> KeySpan | None:
        return next((s for s in self.spans if s.fingerprint == fingerprint), None)

    def problem(self, seq: int, fingerprint: str) -> str | None:
        """Why ``fingerprint`` may not sign position ``seq``; None when it may."""
        span = self.span(fingerprint)
        if span is None:
            return f"signed by {short(fingerprint)}, a key never registered nor announced"
        if span.revoked_at is not None and seq > span.revoked_at:
            return (f"signed by {short(fingerprint)}, a key revoked at seq {span.revoked_at}: "
                    "events after that position are refused")
        if seq < span.from_seq:
            return (f"signed by {short(fingerprint)} before its announcement took effect "
                    f"(from seq {span.from_seq})")
        if not span.confirmed:
            return (f"signed by {short(fingerprint)}, announced at seq {span.announced_at} but not "
                    "yet confirmed out of band: an administrator confirms it with "
                    f"`acsa peer confirm-key … --fingerprint {fingerprint}`")
        return None

    def public_key(self, fingerprint: str) -> bytes | None:
        span = self.span(fingerprint)
        return span.public_key if span else None

    def apply(self, type_: str, seq: int, data: Mapping[str, Any]) -> KeySchedule:
        """The schedule after the key event at ``seq`` (signed by ``signer``); others unchanged."""
        if type_ == KEY_ROTATION_ANNOUNCED:
            fp = str(data.get("fingerprint"))
            if self.span(fp) is not None:
                return self
            new = KeySpan(fp, bytes.fromhex(str(data.get("public_key"))), seq + 1,
                          fp in self.confirmed, announced_at=seq)
            return replace(self, spans=(*self.spans, new))
        if type_ == KEY_REVOKED:
            fp = str(data.get("fingerprint"))
            return replace(self, spans=tuple(
                replace(s, revoked_at=seq) if s.fingerprint == fp and s.revoked_at is None else s
                for s in self.spans
            ))
        return self

    def usable(self) -> list[KeySpan]:
        """Keys that may authenticate a request now: confirmed, learnt and never revoked."""
        return [s for s in self.spans
                if s.confirmed and s.revoked_at is None and s.public_key is not None]


def check_key_event(type_: str, data: Mapping[str, Any], signer_fingerprint: str,
                    schedule: KeySchedule | None = None) -> None:
    """Refuse a key event whose data other checks could not read, or that rotates to itself."""
    fp = data.get("fingerprint")
    if not isinstance(fp, str) or not _FINGERPRINT.fullmatch(fp):
        raise InvalidValue(N_("must be ed25519: and 64 hex digits"), field="fingerprint")
    if type_ == KEY_ROTATION_ANNOUNCED:
        key = data.get("public_key")
        if not isinstance(key, str) or not _HEX_KEY.fullmatch(key):
            raise InvalidValue(N_("must be the new public key, 64 hex digits"), field="public_key")
        if key_fingerprint(bytes.fromhex(key)) != fp:
            raise InvalidValue(
                N_("is not the fingerprint of public_key"),
                field="fingerprint", fingerprint=fp,
            )
        if fp == signer_fingerprint:
            raise InvalidValue(
                N_("a key cannot announce itself: the old key signs the rotation"),
                field="fingerprint", fingerprint=fp,
            )
    elif type_ == KEY_REVOKED and schedule is not None and schedule.span(fp) is None:
        raise UnknownReference(
            N_("revokes a key this stream never used"),
            field="fingerprint", fingerprint=fp,
        )


def schedule_of(start: KeySchedule,
                events: Sequence[tuple[str, int, Mapping[str, Any]]]) -> KeySchedule:
    """Fold (type, seq, data) key events, in stream order, into ``start``."""
    schedule = start
    for type_, seq, data in events:
        schedule = schedule.apply(type_, seq, data)
    return schedule

"""The agreement profiles shipped with ACSA Ledger, and loading a profile from a file."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from acsa.domain.agreement import PROFILE_DEPTH_MAX, AgreementProfile, load_profile_text
from acsa.domain.errors import ProfileInvalid
from acsa.reading import Unreadable, nested_deeper_than, read_bounded, text_of

PROFILE_DIR = Path(__file__).parent


PROFILE_BYTES_MAX = 1024 * 1024  # the shipped profiles are ~10 kB


def load_file(path: Path) -> AgreementProfile:
    """Load and validate one profile; errors name the file, key and problem.

    The file is read as every file from outside is (:mod:`acsa.reading`): at most
    :data:`PROFILE_BYTES_MAX` bytes of UTF-8, its arrays and inline tables nested
    at most :data:`PROFILE_DEPTH_MAX` deep, before the TOML parser sees it.
    """
    try:
        raw = read_bounded(path, PROFILE_BYTES_MAX, field="profile")
        text = text_of(raw, source=path.name, field="profile")
    except OSError as exc:
        raise ProfileInvalid(f"{path}: cannot be read: {exc.strerror}") from None
    except Unreadable as exc:
        raise ProfileInvalid(exc.message) from None
    if nested_deeper_than(raw, PROFILE_DEPTH_MAX, toml=True):
        raise ProfileInvalid(f"{path.name}: nested more than {PROFILE_DEPTH_MAX} levels deep")
    return load_profile_text(text, path.name)


@cache
def shipped() -> dict[str, AgreementProfile]:
    """Every shipped profile, by agreement id (``JPN-PHL-ACSA`` …)."""
    profiles = (load_file(p) for p in sorted(PROFILE_DIR.glob("*.toml")))
    return {p.id: p for p in profiles}


def shipped_profile(agreement: str) -> AgreementProfile:
    try:
        return shipped()[agreement]
    except KeyError:
        known = ", ".join(sorted(shipped()))
        raise ProfileInvalid(f"no shipped profile {agreement!r} (shipped: {known})") from None

"""The agreement profiles shipped with ACSA Ledger, and loading a profile from a file."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from acsa.domain.agreement import AgreementProfile, load_profile_text
from acsa.domain.errors import ProfileInvalid

PROFILE_DIR = Path(__file__).parent


def load_file(path: Path) -> AgreementProfile:
    """Load and validate one profile; errors name the file, key and problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileInvalid(f"{path}: cannot be read: {exc.strerror}") from None
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

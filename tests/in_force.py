"""The shipped Japan–Philippines profile, as the tests have it in force.

The shipped file says the agreement is only signed; the demonstration and the tests
record its entry into force on :data:`IN_FORCE_ON` (``acsa.devtools.world``). Tests that
vary the profile's TOML start from this text, whose digest is that of the derived profile.
"""

from __future__ import annotations

from acsa.devtools.world import IN_FORCE_ON, IN_FORCE_REFERENCE, in_force_profile
from acsa.profiles import PROFILE_DIR

SIGNED = 'version = "2026.3"\nstatus = "signed"\n'
VERSION = in_force_profile("JPN-PHL-ACSA").version


def in_force_text(text: str) -> str:
    """``text`` (the shipped JPN–PHL TOML) with the entry into force recorded."""
    assert SIGNED in text, "the shipped JPN-PHL profile is no longer the signed 2026.3"
    return text.replace(SIGNED, (
        f'version = "{VERSION}"\nstatus = "in_force"\nin_force_on = {IN_FORCE_ON.isoformat()}\n'
        f'in_force_reference = "{IN_FORCE_REFERENCE}"\n'
    ))


JPN_PHL_IN_FORCE = in_force_text(
    (PROFILE_DIR / "jpn-phl-acsa-2026.toml").read_text(encoding="utf-8"))

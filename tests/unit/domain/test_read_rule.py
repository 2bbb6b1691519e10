"""The access rule, exhaustively: every party × clearance × marking × releasability ×
assignment × role under the Japan–Philippines profile.

The expected answer is written here a second way, straight from the agreement's
equivalence table as an officer would read it (a scale of rows, highest first),
not from :mod:`acsa.domain.marking`'s functions:

- the record must be released to the reader's nation;
- unclassified: every user of that nation reads it;
- classified: the reader's clearance must be a level of their own scheme, at or
  above the level their nation protects the record at — the equivalent level,
  or, where their scheme has none, the nearest higher row's level (never
  lower, never unclassified) — and the reader needs a need to know: an
  assignment to the record's activity, or an agreement-wide role (auditor,
  security officer). A role never stands in for the clearance.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import acsa
from acsa.domain.agreement import load_profile_text
from acsa.domain.marking import UNCLASSIFIED, Marking, Reader, may_read
from in_force import JPN_PHL_IN_FORCE

PROFILES = Path(acsa.__file__).parent / "profiles"
PROFILE = load_profile_text(JPN_PHL_IN_FORCE,
                            "jpn-phl-acsa-2026.toml")

# The equivalence table as printed in the agreement, highest row first.
SCALE = [
    {"PHL": "TOP SECRET", "JPN": "特定秘密"},
    {"PHL": "SECRET", "JPN": "極秘"},
    {"PHL": "CONFIDENTIAL", "JPN": "秘"},
    {"PHL": "RESTRICTED"},
]
LEVELS = {"PHL": ["TOP SECRET", "SECRET", "CONFIDENTIAL", "RESTRICTED"],
          "JPN": ["特定秘密", "極秘", "秘"]}
ACTIVITY = "KAMANDAG-10"


def expected(originator: str, level: str, rel: tuple[str, ...], reader: str,
             clearance: str | None, assigned: bool, record_activity: str | None,
             agreement_wide: bool) -> bool:
    if reader != originator and reader not in rel:
        return False
    if level == UNCLASSIFIED:
        return True
    if clearance not in LEVELS[reader]:
        return False
    if not agreement_wide and not (assigned and record_activity is not None):
        return False
    row = next(i for i, r in enumerate(SCALE) if r.get(originator) == level)
    # The reader's level in that row, or in the nearest row above that has one.
    protect_row = next(i for i in range(row, -1, -1) if reader in SCALE[i])
    cleared_row = next(i for i, r in enumerate(SCALE) if r.get(reader) == clearance)
    return cleared_row <= protect_row


def test_the_rule_over_every_combination() -> None:
    checked = allowed = 0
    for originator in ("JPN", "PHL"):
        other = "PHL" if originator == "JPN" else "JPN"
        for level, rel, reader, clearance, assigned, record_activity, wide in itertools.product(
            [UNCLASSIFIED, *LEVELS[originator]],
            [(originator,), tuple(sorted((originator, other)))],
            ["JPN", "PHL", "USA"],
            [None, "BANANA", *LEVELS["JPN"], *LEVELS["PHL"]],
            [True, False],
            [ACTIVITY, None],
            [True, False],
        ):
            marking = Marking(level, originator, rel)
            who = Reader(reader, clearance, frozenset({ACTIVITY} if assigned else ()), wide)
            got = may_read(marking, PROFILE, who, record_activity)
            want = reader in LEVELS and expected(
                originator, level, rel, reader, clearance, assigned, record_activity, wide)
            assert got is want, (marking, who, record_activity)
            checked += 1
            allowed += got
    # 2 originators × (4 or 5 levels) × 2 releasabilities × 3 reader nations × 9 clearances
    # × 2 assignments × 2 record activities × 2 roles.
    assert checked == (4 + 5) * 2 * 3 * 9 * 2 * 2 * 2 == 3888
    assert 0 < allowed < checked


def test_phl_restricted_is_read_in_japan_only_with_at_least_hi() -> None:
    restricted = Marking("RESTRICTED", "PHL", ("JPN", "PHL"))
    assigned = frozenset({ACTIVITY})
    assert may_read(restricted, PROFILE, Reader("JPN", "秘", assigned), ACTIVITY)
    assert not may_read(restricted, PROFILE, Reader("JPN", None, assigned), ACTIVITY)


def test_an_agreement_wide_role_never_replaces_the_clearance() -> None:
    secret = Marking("SECRET", "PHL", ("JPN", "PHL"))
    assert not may_read(secret, PROFILE, Reader("PHL", "CONFIDENTIAL", frozenset(), True),
                        ACTIVITY)
    assert may_read(secret, PROFILE, Reader("PHL", "SECRET", frozenset(), True), ACTIVITY)

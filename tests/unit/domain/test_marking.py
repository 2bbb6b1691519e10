"""Classification markings under the Japan–Philippines profile.

The table the profile holds (a placeholder until the Security of Information
Agreement is concluded), highest first, with each level's rank in its own
party's scheme:

    PHL               JPN
    TOP SECRET   (4)  特定秘密 (3)
    SECRET       (3)  極秘     (2)
    CONFIDENTIAL (2)  秘       (1)
    RESTRICTED   (1)  —            → protected as 秘, the next higher JPN level
    UNCLASSIFIED (0)  UNCLASSIFIED (0)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import acsa
from acsa.domain.agreement import AgreementProfile, load_profile_text
from acsa.domain.errors import InvalidValue
from acsa.domain.marking import (
    UNCLASSIFIED,
    Marking,
    Reader,
    display,
    equivalent,
    marking_from_data,
    may_read,
    may_release,
    protection_level,
    rank,
)
from in_force import JPN_PHL_IN_FORCE

PROFILES = Path(acsa.__file__).parent / "profiles"
JPN_PHL_TEXT = JPN_PHL_IN_FORCE
JPN_PHL = load_profile_text(JPN_PHL_TEXT, "jpn-phl-acsa-2026.toml")
USA_PHL = load_profile_text(
    (PROFILES / "usa-phl-mlsa.toml").read_text(encoding="utf-8"), "usa-phl-mlsa.toml"
)

BOTH = ("JPN", "PHL")
EXERCISE = "KAMANDAG-2026"


def phl(level: str, rel: tuple[str, ...] = BOTH) -> Marking:
    return Marking(level, "PHL", rel)


def jpn(level: str, rel: tuple[str, ...] = BOTH) -> Marking:
    return Marking(level, "JPN", rel)


# --- Reading a marking from an envelope -------------------------------------------


@pytest.mark.parametrize(
    ("data", "marking"),
    [
        ({"level": "SECRET", "originator": "PHL", "rel": ["PHL", "JPN"]}, phl("SECRET")),
        ({"level": "極秘", "originator": "JPN", "rel": ["JPN", "PHL"]}, jpn("極秘")),
        ({"level": "RESTRICTED", "originator": "PHL", "rel": ["PHL"]}, phl("RESTRICTED", ("PHL",))),
        ({"level": "UNCLASSIFIED", "originator": "JPN", "rel": ["JPN", "PHL"]}, jpn(UNCLASSIFIED)),
        ({"level": "SECRET", "originator": "PHL", "rel": []}, phl("SECRET", ())),
    ],
)
def test_marking_from_data(data: dict[str, Any], marking: Marking) -> None:
    assert marking_from_data(data, JPN_PHL) == marking
    # rel is kept sorted, so the same release reads as the same marking.
    assert marking_from_data(marking.as_data(), JPN_PHL) == marking


def test_as_data_is_the_envelope_object() -> None:
    assert phl("SECRET").as_data() == {
        "level": "SECRET",
        "originator": "PHL",
        "rel": ["JPN", "PHL"],
    }


@pytest.mark.parametrize(
    ("data", "field", "problem"),
    [
        ("SECRET", "marking", "must be an object"),
        ({"level": "SECRET", "rel": ["PHL"]}, "marking.originator", "None is not a party"),
        ({"level": "SECRET", "originator": "USA", "rel": []}, "marking.originator", "'USA'"),
        ({"level": "SECRET", "originator": "phl", "rel": []}, "marking.originator", "'phl'"),
        # A level of the other party's scheme is not the originator's level.
        ({"level": "極秘", "originator": "PHL", "rel": []}, "marking.level", "not one of PHL's"),
        ({"level": "SECRET", "originator": "JPN", "rel": []}, "marking.level", "not one of JPN's"),
        ({"level": "secret", "originator": "PHL", "rel": []}, "marking.level", "'secret'"),
        ({"originator": "PHL", "rel": []}, "marking.level", "None is not one of PHL's"),
        ({"level": 3, "originator": "PHL", "rel": []}, "marking.level", "3 is not one of"),
        ({"level": "SECRET", "originator": "PHL"}, "marking.rel", "must be a list"),
        ({"level": "SECRET", "originator": "PHL", "rel": "JPN"}, "marking.rel", "must be a list"),
        (
            {"level": "SECRET", "originator": "PHL", "rel": ["PHL", "USA"]},
            "marking.rel[1]",
            "'USA' is not a party to JPN-PHL-ACSA",
        ),
        (
            {"level": "SECRET", "originator": "PHL", "rel": ["JPN", "JPN"]},
            "marking.rel",
            "must not repeat",
        ),
    ],
)
def test_marking_from_data_refuses_naming_the_field(data: Any, field: str, problem: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        marking_from_data(data, JPN_PHL)
    assert caught.value.field == field
    assert caught.value.code == "invalid_value"
    assert problem in caught.value.message


# --- Ranks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("party", "level", "expected"),
    [
        ("PHL", "TOP SECRET", 4),
        ("PHL", "SECRET", 3),
        ("PHL", "CONFIDENTIAL", 2),
        ("PHL", "RESTRICTED", 1),
        ("PHL", "UNCLASSIFIED", 0),
        ("JPN", "特定秘密", 3),
        ("JPN", "極秘", 2),
        ("JPN", "秘", 1),
        ("JPN", "UNCLASSIFIED", 0),
    ],
)
def test_rank(party: str, level: str, expected: int) -> None:
    assert rank(JPN_PHL, party, level) == expected


@pytest.mark.parametrize(("party", "level"), [("JPN", "SECRET"), ("PHL", "秘"), ("USA", "SECRET")])
def test_rank_of_a_level_not_in_the_partys_scheme_is_refused(party: str, level: str) -> None:
    with pytest.raises(InvalidValue):
        rank(JPN_PHL, party, level)


# --- Equivalence and display ----------------------------------------------------------


@pytest.mark.parametrize(
    ("marking", "party", "expected"),
    [
        (phl("TOP SECRET"), "JPN", "特定秘密"),
        (phl("SECRET"), "JPN", "極秘"),
        (phl("CONFIDENTIAL"), "JPN", "秘"),
        (phl("RESTRICTED"), "JPN", None),  # Japan has no RESTRICTED
        (jpn("秘"), "PHL", "CONFIDENTIAL"),
        (jpn("特定秘密"), "PHL", "TOP SECRET"),
        (phl("SECRET"), "PHL", "SECRET"),  # the originator's own marking
        (phl(UNCLASSIFIED), "JPN", "UNCLASSIFIED"),
    ],
)
def test_equivalent(marking: Marking, party: str, expected: str | None) -> None:
    assert equivalent(marking, JPN_PHL, party) == expected


@pytest.mark.parametrize(
    ("marking", "party", "expected"),
    [
        (phl("SECRET"), "JPN", "極秘"),  # an equivalent: that one
        (phl("RESTRICTED"), "JPN", "秘"),  # none: the next higher JPN level
        (phl("RESTRICTED"), "PHL", "RESTRICTED"),
        (jpn("極秘"), "PHL", "SECRET"),
    ],
)
def test_protection_level(marking: Marking, party: str, expected: str) -> None:
    assert protection_level(marking, JPN_PHL, party) == expected


def test_restricted_is_protected_as_confidential_by_the_united_states() -> None:
    assert equivalent(phl("RESTRICTED", ("PHL", "USA")), USA_PHL, "USA") is None
    assert protection_level(phl("RESTRICTED", ("PHL", "USA")), USA_PHL, "USA") == "CONFIDENTIAL"


def _without_equivalent(old: str, new: str) -> AgreementProfile:
    text = JPN_PHL_TEXT.replace(old, new)
    assert text != JPN_PHL_TEXT
    return load_profile_text(text, "test.toml")


def test_no_higher_row_protects_at_the_readers_highest_level() -> None:
    # If PHL TOP SECRET had no Japanese equivalent, nothing is higher: 特定秘密.
    profile = _without_equivalent('PHL = "TOP SECRET"\nJPN = "特定秘密"\n', 'PHL = "TOP SECRET"\n')
    assert protection_level(phl("TOP SECRET"), profile, "JPN") == "特定秘密"


def test_a_gap_in_the_middle_goes_up_to_the_next_row_with_a_level() -> None:
    # If PHL SECRET had no Japanese equivalent, the row above gives 特定秘密.
    profile = _without_equivalent('PHL = "SECRET"\nJPN = "極秘"\n', 'PHL = "SECRET"\n')
    assert protection_level(phl("SECRET"), profile, "JPN") == "特定秘密"
    # JPN 極秘 is then in no row at all: the highest PHL level, TOP SECRET.
    assert protection_level(jpn("極秘"), profile, "PHL") == "TOP SECRET"


def test_a_level_the_table_does_not_list_is_protected_at_the_readers_highest_level() -> None:
    profile = _without_equivalent('[[classification.equivalence]]\nPHL = "RESTRICTED"', "")
    assert protection_level(phl("RESTRICTED"), profile, "JPN") == "特定秘密"


@pytest.mark.parametrize(
    ("marking", "shown"),
    [
        (phl("SECRET"), "SECRET / 極秘"),
        (jpn("極秘"), "極秘 / SECRET"),  # the originator's marking first
        (phl("TOP SECRET"), "TOP SECRET / 特定秘密"),
        (jpn("秘"), "秘 / CONFIDENTIAL"),
        (phl("RESTRICTED"), "RESTRICTED / (no JPN equivalent: protect as 秘)"),
        (phl(UNCLASSIFIED), "UNCLASSIFIED"),  # the same word on both sides: once
    ],
)
def test_display_shows_both_markings(marking: Marking, shown: str) -> None:
    assert display(marking, JPN_PHL) == shown


# --- Originator control ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("marking", "to_party", "allowed"),
    [
        (phl("SECRET"), "JPN", True),
        (phl("SECRET"), "PHL", True),
        (phl("SECRET"), "USA", False),  # a third nation: the originator's consent first
        (phl("SECRET", ("PHL",)), "JPN", False),  # not released to Japan
        (phl(UNCLASSIFIED, ("PHL",)), "JPN", False),  # unclassified, but still not released
        (phl("SECRET", ()), "PHL", True),  # the originator always holds its own
        (jpn("極秘", ("JPN",)), "PHL", False),
    ],
)
def test_may_release(marking: Marking, to_party: str, allowed: bool) -> None:
    assert may_release(marking, to_party) is allowed


# --- Clearance and need to know ------------------------------------------------------------


@pytest.mark.parametrize(
    ("marking", "reader", "clearance", "activities", "allowed"),
    [
        # PHL SECRET, read in Japan: protected as 極秘.
        (phl("SECRET"), "JPN", "特定秘密", {EXERCISE}, True),  # above
        (phl("SECRET"), "JPN", "極秘", {EXERCISE}, True),  # at the level
        (phl("SECRET"), "JPN", "秘", {EXERCISE}, False),  # below
        (phl("SECRET"), "JPN", None, {EXERCISE}, False),  # no clearance
        (phl("SECRET"), "JPN", "極秘", set(), False),  # no need to know
        (phl("SECRET"), "JPN", "極秘", {"BALIKATAN-2026"}, False),  # another activity
        (phl("SECRET"), "JPN", "SECRET", {EXERCISE}, False),  # not a Japanese clearance
        # ... and in the Philippines.
        (phl("SECRET"), "PHL", "TOP SECRET", {EXERCISE}, True),
        (phl("SECRET"), "PHL", "SECRET", {EXERCISE}, True),
        (phl("SECRET"), "PHL", "CONFIDENTIAL", {EXERCISE}, False),
        # PHL RESTRICTED has no JPN equivalent: protected as 秘.
        (phl("RESTRICTED"), "JPN", "秘", {EXERCISE}, True),
        (phl("RESTRICTED"), "JPN", "UNCLASSIFIED", {EXERCISE}, False),
        (phl("RESTRICTED"), "JPN", None, {EXERCISE}, False),
        (phl("RESTRICTED"), "PHL", "RESTRICTED", {EXERCISE}, True),
        # JPN 秘 read in the Philippines: protected as CONFIDENTIAL.
        (jpn("秘"), "PHL", "CONFIDENTIAL", {EXERCISE}, True),
        (jpn("秘"), "PHL", "RESTRICTED", {EXERCISE}, False),
        # Unclassified: every user of a party that holds it.
        (phl(UNCLASSIFIED), "JPN", None, set(), True),
        (jpn(UNCLASSIFIED), "PHL", None, set(), True),
        # Not released to the reader's party: nobody there reads it.
        (phl("SECRET", ("PHL",)), "JPN", "特定秘密", {EXERCISE}, False),
        (phl(UNCLASSIFIED, ("PHL",)), "JPN", None, set(), False),
        (phl("SECRET", ("PHL",)), "PHL", "SECRET", {EXERCISE}, True),
        # A nation outside the agreement.
        (phl(UNCLASSIFIED), "USA", "TOP SECRET", {EXERCISE}, False),
    ],
)
def test_may_read(
    marking: Marking,
    reader: str,
    clearance: str | None,
    activities: set[str],
    allowed: bool,
) -> None:
    assert may_read(marking, JPN_PHL, Reader(reader, clearance, frozenset(activities)),
                    EXERCISE) is allowed


def test_classified_without_an_activity_gives_no_need_to_know() -> None:
    assert not may_read(phl("CONFIDENTIAL"), JPN_PHL,
                        Reader("PHL", "TOP SECRET", frozenset({EXERCISE})), None)
    assert may_read(phl(UNCLASSIFIED), JPN_PHL, Reader("PHL", None, frozenset()), None)

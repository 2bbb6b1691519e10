"""Canonical JSON known answers (RFC 8785) and the refusal of floats and other non-JSON."""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from acsa.events import EnvelopeInvalid, canonical_json, sha256_hex
from acsa.events.canonical import JSON_INTEGER_MAX, canonical_plain


def test_keys_are_sorted_and_spacing_removed() -> None:
    assert canonical_json({"b": 1, "a": "x", "c": [True, False, None]}) == (
        b'{"a":"x","b":1,"c":[true,false,null]}'
    )


def test_nested_objects_are_sorted_at_every_level() -> None:
    doc = {"z": {"y": 1, "x": {"b": 2, "a": 1}}, "a": []}
    assert canonical_json(doc) == b'{"a":[],"z":{"x":{"a":1,"b":2},"y":1}}'


def test_non_ascii_is_written_as_utf8_not_escaped() -> None:
    assert canonical_json({"level": "極秘"}) == '{"level":"極秘"}'.encode()
    assert canonical_json({"level": "極秘"}) == b'{"level":"\xe6\xa5\xb5\xe7\xa7\x98"}'


def test_keys_sort_by_utf16_code_units_as_in_rfc8785_section_3_2_3() -> None:
    # The example of RFC 8785 3.2.3: the emoji (a surrogate pair, D83D) sorts
    # before U+FB33, which it would not if keys were sorted by code point.
    doc = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    expected = (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
        '"ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign",'
        '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )
    assert canonical_json(doc) == expected.encode()


def test_control_characters_quotes_and_backslashes_are_escaped() -> None:
    assert canonical_json(['a"b\\c\n\u0001']) == b'["a\\"b\\\\c\\n\\u0001"]'


def test_tuples_and_read_only_mappings_serialise_like_lists_and_dicts() -> None:
    assert canonical_json(MappingProxyType({"k": (1, 2)})) == b'{"k":[1,2]}'


def test_sha256_hex_known_answers() -> None:
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256_hex(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        (1.5, "$"),
        ([1, 2.0], "$[1]"),
        ({"amount": 12.5}, "amount"),
        ({"data": {"lines": [{"qty": 3.0}]}}, "data.lines[0].qty"),
        ({"x": float("nan")}, "x"),
    ],
)
def test_floats_are_refused_naming_the_path(doc: Any, path: str) -> None:
    with pytest.raises(EnvelopeInvalid, match="float") as caught:
        canonical_json(doc)
    assert caught.value.field == path


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        ({"amount": Decimal("1.10")}, "amount"),
        ({"n": 2**53}, "n"),
        ({"n": -(2**53)}, "n"),
        ({"s": {1, 2}}, "s"),
        ({"d": {1: "one"}}, "d"),
        ({"t": "bad \ud800 surrogate"}, "t"),
    ],
)
def test_other_non_json_values_are_refused_naming_the_path(doc: Any, path: str) -> None:
    with pytest.raises(EnvelopeInvalid) as caught:
        canonical_json(doc)
    assert caught.value.field == path


def test_largest_safe_integers_are_accepted() -> None:
    assert canonical_json([2**53 - 1, -(2**53 - 1)]) == b"[9007199254740991,-9007199254740991]"


def test_deep_nesting_is_refused() -> None:
    doc: Any = "leaf"
    for _ in range(40):
        doc = [doc]
    with pytest.raises(EnvelopeInvalid, match="nested"):
        canonical_json(doc)


# -- the standard library's JSON as the fast path of RFC 8785 -----------------------------

# Text as envelopes hold it: any character UTF-8 can carry (control characters, quotes,
# backslashes, U+2028, U+007F, characters beyond the Basic Multilingual Plane), in keys too.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
SCALARS = (st.none() | st.booleans() | TEXT
           | st.integers(min_value=-JSON_INTEGER_MAX, max_value=JSON_INTEGER_MAX))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5)
                      | st.dictionaries(TEXT, inner, max_size=6), max_leaves=30)


@settings(max_examples=1500, deadline=None)
@given(VALUES)
def test_the_fast_path_writes_what_rfc8785_writes(value: Any) -> None:
    assert canonical_plain(value) == rfc8785.dumps(value)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["\ufb33", "\U0001f600", "\u20ac", "a", "\uffff",
                                        "\U00010000", "\ue000"]), SCALARS, min_size=2))
def test_keys_beyond_the_basic_plane_still_sort_by_utf16(value: dict[str, Any]) -> None:
    assert canonical_plain(value) == rfc8785.dumps(value)
    assert canonical_json(value) == rfc8785.dumps(value)

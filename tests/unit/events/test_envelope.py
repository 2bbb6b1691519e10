"""The envelope: round trips, the exact canonical form, and every schema violation named."""

from __future__ import annotations

import copy
import hashlib
import json
import pickle
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from acsa.events import Envelope, EnvelopeInvalid, format_at, parse_at

EnvelopeDict = Callable[..., dict[str, Any]]

HASH = "ab" * 32

# The canonical form of the conftest envelope, written out by hand: sorted
# keys, no spaces, UTF-8 as is, nulls kept. If this changes, every stored
# event hash changes with it.
CANONICAL = (
    '{"actor":{"appointment":"' + "cd" * 32 + '","name":"Maria Santos","party":"PHL",'
    '"role":"ordering_official","unit":"PAF-TOG1","user":"m.santos"},'
    '"at":"2026-11-25T09:12:03.123Z",'
    '"data":{"currency":"PHP","lines":[{"item":"JP-8 fuel","qty":"12000","unit_price":"48.75"}],'
    '"note":"極秘ではない"},'
    '"marking":{"level":"UNCLASSIFIED","originator":"PHL","rel":["JPN","PHL"]},'
    '"parent":null,"prev":null,"profile":"sha256:' + "ab" * 32 + '","seq":1,'
    '"stream":"JPN-PHL-ACSA/PHL","subject":"JP-PH/PHL/FY2026/00042","type":"order.submitted","v":1}'
)


def test_canonical_form_and_hash_known_answer(make_envelope: EnvelopeDict) -> None:
    envelope = Envelope.from_dict(make_envelope())
    assert envelope.canonical() == CANONICAL.encode("utf-8")
    assert envelope.hash() == hashlib.sha256(CANONICAL.encode("utf-8")).hexdigest()
    assert envelope.hash() == "dfee835d91c82279b48a5f49ec561289e74a986ee73d9d3cf5528e1cdb392851"


def test_round_trip_through_dict_and_json_text(make_envelope: EnvelopeDict) -> None:
    d = make_envelope(seq=7, prev=HASH, parent=HASH)
    envelope = Envelope.from_dict(d)
    assert envelope.to_dict() == d
    again = Envelope.from_dict(json.loads(json.dumps(envelope.to_dict(), ensure_ascii=False)))
    assert again == envelope
    assert again.hash() == envelope.hash()
    assert hash(again) == hash(envelope)


def test_null_prev_and_parent_are_kept(make_envelope: EnvelopeDict) -> None:
    d = Envelope.from_dict(make_envelope()).to_dict()
    assert d["prev"] is None
    assert d["parent"] is None


def test_fields_are_deeply_read_only(make_envelope: EnvelopeDict) -> None:
    d = make_envelope()
    envelope = Envelope.from_dict(d)
    d["data"]["lines"][0]["qty"] = "1"
    assert envelope.data["lines"][0]["qty"] == "12000"
    with pytest.raises(TypeError):
        envelope.data["lines"][0]["qty"] = "1"
    assert envelope.to_dict()["data"]["lines"] == [
        {"item": "JP-8 fuel", "qty": "12000", "unit_price": "48.75"}
    ]


@pytest.mark.parametrize(
    "changes",
    [
        {"parent": HASH},
        {"seq": 2, "prev": HASH},
        {"type": "appointment.granted", "subject": "appointment/m.santos"},
        {"data": {}},
    ],
)
def test_valid_variants_are_accepted(make_envelope: EnvelopeDict, changes: dict[str, Any]) -> None:
    Envelope.from_dict(make_envelope(**changes))


@pytest.mark.parametrize(
    "actor_changes",
    [{"paper": True}, {"unit": None}, {"appointment": None}, {"name": "山田 太郎"}],
)
def test_valid_actors_are_accepted(
    make_envelope: EnvelopeDict, actor_changes: dict[str, Any]
) -> None:
    d = make_envelope()
    d["actor"].update(actor_changes)
    assert Envelope.from_dict(d).to_dict()["actor"] == d["actor"]


ENVELOPE_KEYS = [
    "v", "stream", "seq", "prev", "at", "profile", "type",
    "subject", "parent", "actor", "marking", "data",
]  # fmt: skip


@pytest.mark.parametrize("key", ENVELOPE_KEYS)
def test_every_missing_key_is_named(make_envelope: EnvelopeDict, key: str) -> None:
    d = make_envelope()
    del d[key]
    with pytest.raises(EnvelopeInvalid, match="missing") as caught:
        Envelope.from_dict(d)
    assert caught.value.field == key


# Each case: a change to the valid envelope (top-level keys, or "actor.x" /
# "marking.x" for a nested key, None meaning delete it), and the field the
# error must name.
VIOLATIONS: list[tuple[dict[str, Any], str]] = [
    ({"extra": 1}, "extra"),
    ({"v": 3}, "v"),  # a schema version this release does not know
    ({"v": True}, "v"),
    ({"v": "1"}, "v"),
    ({"stream": "JPN-PHL-ACSA"}, "stream"),
    ({"stream": "JPN-PHL-ACSA/phl"}, "stream"),
    ({"stream": "/PHL"}, "stream"),
    ({"stream": "JPN-PHL-ACSA/PHL/x"}, "stream"),
    ({"seq": 0}, "seq"),
    ({"seq": -1}, "seq"),
    ({"seq": True}, "seq"),
    ({"seq": "2"}, "seq"),
    ({"seq": 1.0}, "seq"),
    ({"seq": 2, "prev": None}, "prev"),
    ({"prev": HASH}, "prev"),
    ({"seq": 2, "prev": HASH.upper()}, "prev"),
    ({"seq": 2, "prev": HASH[:63]}, "prev"),
    ({"at": "2026-11-25T09:12:03Z"}, "at"),
    ({"at": "2026-11-25T09:12:03.123+00:00"}, "at"),
    ({"at": "2026-11-25 09:12:03.123Z"}, "at"),
    ({"at": "2026-11-25T09:12:03.123456Z"}, "at"),
    ({"at": "2026-02-30T09:12:03.123Z"}, "at"),
    ({"at": 1764061923123}, "at"),
    ({"profile": "ab" * 32}, "profile"),
    ({"type": "Order.Submitted"}, "type"),
    ({"type": "submitted"}, "type"),
    ({"type": ""}, "type"),
    ({"subject": ""}, "subject"),
    ({"subject": "x" * 257}, "subject"),
    ({"subject": 42}, "subject"),
    ({"parent": "not a hash"}, "parent"),
    ({"actor": ["m.santos"]}, "actor"),
    ({"actor.role": None}, "actor.role"),
    ({"actor.extra": "x"}, "actor.extra"),
    ({"actor.paper": False}, "actor.paper"),
    ({"actor.party": "PH"}, "actor.party"),
    ({"actor.appointment": "nothex"}, "actor.appointment"),
    ({"actor.unit": ""}, "actor.unit"),
    ({"actor.name": 1.5}, "actor.name"),
    ({"actor.user": 7}, "actor.user"),
    ({"marking": "UNCLASSIFIED"}, "marking"),
    ({"marking.level": None}, "marking.level"),
    ({"marking.originator": "Philippines"}, "marking.originator"),
    ({"marking.rel": []}, "marking.rel"),
    ({"marking.rel": "JPN"}, "marking.rel"),
    ({"marking.rel": ["JPN", "JPN"]}, "marking.rel"),
    ({"marking.rel": ["JPN", "ph"]}, "marking.rel[1]"),
    ({"marking.caveat": "x"}, "marking.caveat"),
    ({"data": ["not", "an", "object"]}, "data"),
    ({"data": {"lines": [{"qty": 12.5}]}}, "data.lines[0].qty"),
    ({"data": {"amount": 2**60}}, "data.amount"),
    ({"data": {1: "one"}}, "data"),
]


@pytest.mark.parametrize(("changes", "field"), VIOLATIONS)
def test_every_schema_violation_is_named(
    make_envelope: EnvelopeDict, changes: dict[str, Any], field: str
) -> None:
    d = copy.deepcopy(make_envelope())
    for key, value in changes.items():
        container, name = d, key
        if "." in key:
            outer, name = key.split(".")
            container = d[outer]
        if value is None and "." in key:
            del container[name]
        else:
            container[name] = value
    with pytest.raises(EnvelopeInvalid) as caught:
        Envelope.from_dict(d)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


def test_a_non_object_is_refused_at_the_root() -> None:
    with pytest.raises(EnvelopeInvalid) as caught:
        Envelope.from_dict(["v", 1])
    assert caught.value.field == "$"


def test_direct_construction_is_validated_too(make_envelope: EnvelopeDict) -> None:
    d = make_envelope()
    d["seq"] = 0
    with pytest.raises(EnvelopeInvalid) as caught:
        Envelope(**d)
    assert caught.value.field == "seq"


def test_format_at_writes_milliseconds_in_utc() -> None:
    moment = datetime(2026, 11, 25, 18, 12, 3, 123999, tzinfo=timezone(timedelta(hours=9)))
    assert format_at(moment) == "2026-11-25T09:12:03.123Z"
    assert format_at(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000Z"


def test_format_at_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_at(datetime(2026, 11, 25, 9, 12, 3))


def test_parse_at_returns_aware_utc_and_round_trips() -> None:
    moment = parse_at("2026-11-25T09:12:03.123Z")
    assert moment == datetime(2026, 11, 25, 9, 12, 3, 123000, tzinfo=UTC)
    assert moment.tzinfo is UTC
    assert format_at(moment) == "2026-11-25T09:12:03.123Z"


@pytest.mark.parametrize(
    "text", ["2026-11-25T09:12:03Z", "2026-11-25T09:12:03.123", "2026-13-01T00:00:00.000Z", ""]
)
def test_parse_at_refuses_other_forms(text: str) -> None:
    with pytest.raises(ValueError):
        parse_at(text)


def test_copies_and_pickles_are_equal_records(make_envelope: EnvelopeDict) -> None:
    envelope = Envelope.from_dict(make_envelope())
    assert copy.deepcopy(envelope) == envelope
    assert pickle.loads(pickle.dumps(envelope)) == envelope

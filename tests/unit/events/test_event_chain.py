"""The hash chain of a stream: every break reported, not just the first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from acsa.events import Envelope, NodeKey, SignedEvent, check_chain, seal

STREAM = "JPN-PHL-ACSA/PHL"
MakeChain = Callable[..., list[SignedEvent]]
EnvelopeDict = Callable[..., dict[str, Any]]


def test_a_sound_chain_has_no_problems(make_chain: MakeChain, node_key: NodeKey) -> None:
    events = make_chain(5, node_key)
    assert check_chain(events, stream=STREAM) == []
    assert check_chain([], stream=STREAM) == []


def test_a_chain_can_be_checked_from_a_known_point(
    make_chain: MakeChain, node_key: NodeKey
) -> None:
    events = make_chain(5, node_key)
    assert check_chain(events[2:], stream=STREAM, after_seq=2, after_hash=events[1].hash) == []
    problems = check_chain(events[2:], stream=STREAM, after_seq=2, after_hash=events[0].hash)
    assert len(problems) == 1
    assert problems[0].startswith("seq 3: broken link")


def test_several_problems_are_reported_at_once(
    make_envelope: EnvelopeDict, node_key: NodeKey
) -> None:
    def next_event(previous: SignedEvent | None, **changes: Any) -> SignedEvent:
        fields: dict[str, Any] = {"stream": STREAM, "type": "delivery.recorded"}
        if previous is not None:
            fields.update(seq=previous.envelope.seq + 1, prev=previous.hash)
        fields.update(changes)
        return seal(Envelope.from_dict(make_envelope(**fields)), node_key)

    e1 = next_event(None)
    e2 = next_event(e1, stream="JPN-PHL-ACSA/JPN")  # linked, but on the wrong stream
    e3 = next_event(e2)
    e4 = next_event(e3)
    e6 = next_event(e4, seq=6)  # seq 5 is missing
    e7 = next_event(e6, prev="ee" * 32)  # prev is not e6's hash
    e8 = next_event(e7)
    problems = check_chain([e1, e2, e3, e4, e6, e7, e8], stream=STREAM)
    assert problems == [
        f"seq 2: wrong stream JPN-PHL-ACSA/JPN, expected {STREAM}",
        "seq 6: gap: seq 5 missing",
        f"seq 7: broken link: prev is {'ee' * 32}, but seq 6 has hash {e6.hash}",
    ]


def test_a_duplicate_is_reported(make_chain: MakeChain, node_key: NodeKey) -> None:
    e1, e2, e3 = make_chain(3, node_key)
    assert check_chain([e1, e2, e2, e3], stream=STREAM) == [
        "seq 2: duplicate or out of order: expected seq 3 next"
    ]


def test_a_reordering_is_reported(make_chain: MakeChain, node_key: NodeKey) -> None:
    e1, e2, e3, e4 = make_chain(4, node_key)
    problems = check_chain([e1, e3, e2, e4], stream=STREAM)
    assert problems[:2] == [
        "seq 3: gap: seq 2 missing",
        "seq 2: duplicate or out of order: expected seq 4 next",
    ]


def test_a_long_gap_names_the_missing_range(make_chain: MakeChain, node_key: NodeKey) -> None:
    events = make_chain(6, node_key)
    assert check_chain([events[0], events[5]], stream=STREAM) == ["seq 6: gap: seq 2 to 5 missing"]


def test_a_stream_must_start_at_seq_one(make_chain: MakeChain, node_key: NodeKey) -> None:
    events = make_chain(3, node_key)
    assert check_chain(events[1:], stream=STREAM) == ["seq 2: gap: seq 1 missing"]


@pytest.mark.parametrize(("after_seq", "after_hash"), [(2, None), (0, "ab" * 32), (-1, None)])
def test_inconsistent_starting_points_are_refused(after_seq: int, after_hash: str | None) -> None:
    with pytest.raises(ValueError):
        check_chain([], stream=STREAM, after_seq=after_seq, after_hash=after_hash)

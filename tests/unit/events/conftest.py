"""Shared makings for the event-layer tests: fixed keys and a valid envelope to vary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from acsa.events import Envelope, NodeKey, SignedEvent, seal

STREAM = "JPN-PHL-ACSA/PHL"
PROFILE = "sha256:" + "ab" * 32
APPOINTMENT = "cd" * 32


def envelope_dict(**changes: Any) -> dict[str, Any]:
    """A valid seq-1 envelope as wire data, with ``changes`` applied over it."""
    d: dict[str, Any] = {
        "v": 1,
        "stream": STREAM,
        "seq": 1,
        "prev": None,
        "at": "2026-11-25T09:12:03.123Z",
        "profile": PROFILE,
        "type": "order.submitted",
        "subject": "JP-PH/PHL/FY2026/00042",
        "parent": None,
        "actor": {
            "user": "m.santos",
            "name": "Maria Santos",
            "role": "ordering_official",
            "unit": "PAF-TOG1",
            "appointment": APPOINTMENT,
            "party": "PHL",
        },
        "marking": {"level": "UNCLASSIFIED", "originator": "PHL", "rel": ["JPN", "PHL"]},
        "data": {
            "currency": "PHP",
            "lines": [{"item": "JP-8 fuel", "qty": "12000", "unit_price": "48.75"}],
            "note": "極秘ではない",
        },
    }
    d.update(changes)
    return d


def chain(
    count: int, key: NodeKey, *, stream: str = STREAM, first: SignedEvent | None = None
) -> list[SignedEvent]:
    """``count`` correctly linked events of ``stream``, following ``first`` if given."""
    events: list[SignedEvent] = []
    previous = first
    for _ in range(count):
        seq = previous.envelope.seq + 1 if previous else 1
        prev = previous.hash if previous else None
        d = envelope_dict(stream=stream, seq=seq, prev=prev, type="delivery.recorded")
        previous = seal(Envelope.from_dict(d), key)
        events.append(previous)
    return events


@pytest.fixture
def node_key() -> NodeKey:
    return NodeKey.from_seed(bytes(range(32)))


@pytest.fixture
def peer_key() -> NodeKey:
    return NodeKey.from_seed(bytes(range(32, 64)))


@pytest.fixture
def make_envelope() -> Callable[..., dict[str, Any]]:
    return envelope_dict


@pytest.fixture
def make_chain() -> Callable[..., list[SignedEvent]]:
    return chain

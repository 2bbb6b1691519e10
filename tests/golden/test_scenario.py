"""The release scenario still runs, takes every kind of event, and its log round-trips.

This is what the next release records as its golden log
(``.venv/bin/python -m tests.golden.regenerate release``): the scenario must
keep working, and keep covering every event type the product knows, so that
each release's log holds all of them. A log recorded now must load, verify
and fold to the projections written beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from acsa.services.node import Node

from .fixtures import EVENTS_FILE, read_jsonl
from .regenerate import record_release
from .test_release_logs import EVENT_TYPES, check_node_log


@pytest.mark.slow
@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_the_release_scenario_takes_every_event_type_and_its_log_round_trips(
    tmp_path: Path, fresh_node: Callable[[str], Node]
) -> None:
    directory = tmp_path / "release-now"
    record_release(directory)
    for party in ("JPN", "PHL"):
        node_dir = directory / party.lower()
        types = {row["type"] for row in read_jsonl(node_dir / EVENTS_FILE)}
        assert types == EVENT_TYPES, (
            f"the release scenario (tests/golden/scenario.py) does not take "
            f"{sorted(EVENT_TYPES - types)}: add them to its chapter"
        )
        check_node_log(node_dir, fresh_node(party))

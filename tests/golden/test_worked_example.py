"""The worked example still produces the recorded events, hashes and final projections.

``tests/golden/worked-example.json`` records what the worked example
(``acsa.devtools.worked_example``, on its simulated calendar) produces: each
event's stream, seq, type, subject and hash, and the final projections of
both nodes. Envelopes hold no key material, so the hashes are the same on
every run; signatures are not (each run makes new node keys) and are not
recorded here — the release logs carry real ones.

The fixture may be regenerated only in a commit whose message explains why
the events or projections changed, with::

    .venv/bin/python -m tests.golden.regenerate worked-example
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .fixtures import REGENERATE_WORKED_EXAMPLE, WORKED_EXAMPLE, read_json, worked_example_outcome
from .test_release_logs import projection_differences


def event_differences(recorded: dict[str, list[list[Any]]],
                      produced: dict[str, list[list[Any]]]) -> list[str]:
    """For each stream, the first event that differs (or the count), as seq type subject hash."""
    out = []
    for stream in sorted(set(recorded) | set(produced)):
        want, got = recorded.get(stream, []), produced.get(stream, [])
        for a, b in zip(want, got, strict=False):
            if a != b:
                out.append(f"  {stream}: recorded {a}\n  {' ' * len(stream)}  produced {b}")
                break
        if len(want) != len(got):
            out.append(f"  {stream}: {len(want)} event(s) recorded, {len(got)} produced")
    return out


def test_the_worked_example_gives_the_recorded_events_and_projections(tmp_path: Path) -> None:
    recorded = read_json(WORKED_EXAMPLE)
    assert recorded["regenerate"] == REGENERATE_WORKED_EXAMPLE
    produced = worked_example_outcome(tmp_path / "example")
    problems = event_differences(recorded["events"], produced["events"])
    for party in sorted(set(recorded["projections"]) | set(produced["projections"])):
        found = projection_differences(recorded["projections"].get(party, {}),
                                       produced["projections"].get(party, {}))
        problems += [f"  {party} node:", *(f"  {line}" for line in found)] if found else []
    assert not problems, (
        "The worked example no longer produces what tests/golden/worked-example.json "
        "records:\n" + "\n".join(problems) + "\n"
        "If the change is intended, regenerate the fixture — only in a commit whose message "
        f"explains why the events or projections changed — with:\n    {REGENERATE_WORKED_EXAMPLE}"
    )

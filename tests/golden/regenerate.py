"""Write the golden fixtures (run from the repository root).

    .venv/bin/python -m tests.golden.regenerate release
        records this release's log in tests/golden/release-<version>/ (the version in
        pyproject.toml); refuses if that directory exists: a release's log is recorded
        once, in that release, and never replaced.

    .venv/bin/python -m tests.golden.regenerate worked-example
        rewrites tests/golden/worked-example.json; commit it only with a message that
        explains why the worked example's events or projections changed.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import verify_node

from .fixtures import (
    GOLDEN,
    REGENERATE_WORKED_EXAMPLE,
    WORKED_EXAMPLE,
    release_version,
    worked_example_outcome,
    write_json,
    write_node,
)
from .scenario import release_scenario


def _verified(node: Node) -> None:
    with UnitOfWork(node) as uow:
        report = verify_node(uow)
    if not report.ok:
        raise SystemExit(f"the {node.party} node does not verify: "
                         + "; ".join(str(f) for f in report.findings[:10]))


def record_release(directory: Path) -> None:
    if directory.exists():
        raise SystemExit(f"{directory} exists: a release's log is recorded once and never "
                         "replaced")
    with tempfile.TemporaryDirectory() as work:
        nodes = release_scenario(Path(work), print)
        try:
            for node in nodes:
                _verified(node)
                written = write_node(directory / node.party.lower(), node)
                print(f"  {directory / node.party.lower()}: {written}")
        finally:
            for node in nodes:
                node.engine.dispose()


def regenerate_worked_example() -> None:
    with tempfile.TemporaryDirectory() as work:
        outcome = worked_example_outcome(Path(work))
    write_json(WORKED_EXAMPLE, {"regenerate": REGENERATE_WORKED_EXAMPLE, **outcome})
    count = sum(len(events) for events in outcome["events"].values())
    print(f"wrote {WORKED_EXAMPLE}: {count} events; commit it with a message saying why "
          "they or the projections changed")


def main(argv: Sequence[str]) -> int:
    if list(argv) == ["release"]:
        record_release(GOLDEN / f"release-{release_version()}")
    elif list(argv) == ["worked-example"]:
        regenerate_worked_example()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""SIGKILL a writer at random moments; every acknowledged write survives.

``make test`` runs a small sample (``ACSA_CRASH_KILLS``, default 3 per writer
and engine); ``make crash`` runs at least 200 kills per engine. Each kill is
followed by the checks in :mod:`.harness`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from needs import IN_CI

from .api_writer import api_writer
from .harness import Engine, Writer, run, service_writer

KILLS = int(os.environ.get("ACSA_CRASH_KILLS", "3"))
POSTGRES_URL = os.environ.get("ACSA_TEST_POSTGRES_URL")

pytestmark = pytest.mark.xdist_group("crash")


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgresql" and not POSTGRES_URL:
        message = "ACSA_TEST_POSTGRES_URL is not set: PostgreSQL crash runs skipped"
        if IN_CI:
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    made = Engine(request.param, tmp_path, POSTGRES_URL)
    yield made
    made.drop_all()


@pytest.mark.parametrize("writer", [service_writer, api_writer], ids=["services", "api"])
def test_every_acknowledged_write_survives_a_kill(engine: Engine, writer: Writer) -> None:
    tally = run(engine, writer, KILLS, seed=KILLS)
    print(f"{engine.kind} {writer.__name__}: {tally.kills} kills, {tally.nodes} nodes, "
          f"{tally.acknowledged} acknowledged writes, none lost")
    assert tally.kills == KILLS
    assert tally.acknowledged >= KILLS  # each writer acknowledged something before its kill

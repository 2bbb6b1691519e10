"""Any number of ``acsa serve`` processes start at once on one node and upgrade it safely.

Four real processes are launched together on an empty database and on one left at the
previous revision: each migrates under the migration lock or finds the schema already
at the head, all four answer ``/readyz`` 200, exactly one runs the background sync,
and SIGTERM stops each cleanly.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from acsa.devtools import serving
from acsa.store.db import SCHEMA_HEAD, make_engine, schema_revision

from .conftest import Site

PROCESSES = 4
PREVIOUS = f"{int(SCHEMA_HEAD) - 1:04d}"


def start_four_and_check(site: Site) -> None:
    processes = site.start(PROCESSES)
    for served in processes:
        answer = serving.wait_ready(served)
        body = answer.json()
        assert body["status"] == "ready" and body["database"] == "ok", body
        assert body["schema"] == {"at": SCHEMA_HEAD, "needed": SCHEMA_HEAD}
    leaders = [line for s in processes for line in s.events("sync_leader")]
    assert len(leaders) == 1, leaders
    for served in processes:
        assert served.stop() in (0, -15), served.text()[-2000:]
        text = served.text()
        assert "Traceback" not in text and "UniqueViolation" not in text, text[-3000:]
        assert served.events("sync_stopped"), text[-2000:]
    engine = make_engine(site.url)
    assert schema_revision(engine) == SCHEMA_HEAD
    engine.dispose()


def test_four_processes_start_at_once_on_an_empty_database(site: Callable[..., Site]) -> None:
    start_four_and_check(site(empty=True))


def test_four_processes_upgrade_a_database_at_the_previous_revision(
        site: Callable[..., Site]) -> None:
    node = site()
    node.downgrade(PREVIOUS)
    engine = make_engine(node.url)
    assert schema_revision(engine) == PREVIOUS
    engine.dispose()
    start_four_and_check(node)


def test_the_previous_revision_is_one_migration_back() -> None:
    from alembic.script import ScriptDirectory

    from acsa.store.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_revision(SCHEMA_HEAD).down_revision == PREVIOUS


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_several_workers_are_refused_on_sqlite(site: Callable[..., Site]) -> None:
    node = site()
    (served,) = node.start(1, "--workers", "2")
    assert served.proc.wait(60) == 1
    lines = served.text().strip().splitlines()
    assert lines == ["error: invalid_value: workers: --workers 2 needs PostgreSQL "
                     "(ACSA_DATABASE_URL): SQLite takes one writer at a time, so serve it with "
                     "one worker"], lines

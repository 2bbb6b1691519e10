"""The migrations build exactly the schema the code declares, on both engines."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from acsa.store.tables import metadata


def test_migrations_match_the_declared_tables(make_node):
    node = make_node("JPN")
    with node.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


def test_the_declared_schema_head_is_alembics_head(make_node):
    from alembic.script import ScriptDirectory

    from acsa.store.db import SCHEMA_HEAD, alembic_config, schema_revision

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD
    node = make_node("JPN")
    assert schema_revision(node.engine) == SCHEMA_HEAD


@pytest.mark.parametrize("before", ["0006", "0007"])
def test_an_upgrade_that_adds_a_projection_fills_it_when_the_node_next_opens(pair, before):
    """A node at 0006 (before order_tasks) or 0007 (before its task "convert") with orders
    in it: opening it with this release migrates to the head and rebuilds the projections
    once, so the worklist's rows are there without a rebuild by
    hand, and the next open does nothing more."""
    from datetime import date

    from alembic import command
    from sqlalchemy import func, select

    from acsa.bootstrap import open_node
    from acsa.config import Settings
    from acsa.devtools.world import as_official
    from acsa.domain.parties import Role
    from acsa.services import orders
    from acsa.services.stale import projections_stale
    from acsa.services.unit_of_work import UnitOfWork
    from acsa.store import tables as T
    from acsa.store.db import alembic_config, schema_revision
    from reports.lifecycle import terms

    pair.set_day(date(2026, 2, 3))
    as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms())
    engine = pair.phl.engine
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), before)
    assert schema_revision(engine) == before

    url = engine.url.render_as_string(hide_password=False)
    settings = Settings(data_dir=pair.phl.data_dir, database_url=url)
    for _ in range(2):  # the second open finds nothing to do
        opened = open_node(settings)
        try:
            with UnitOfWork(opened, write=False) as uow:
                tasks = uow.conn.execute(select(func.count()).select_from(T.order_tasks))
                assert tasks.scalar_one() == 1  # the order waits for JPN's acceptance
                assert not projections_stale(uow)
        finally:
            opened.engine.dispose()

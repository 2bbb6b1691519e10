"""The migrations build exactly the schema the code declares, on both engines."""

from __future__ import annotations

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

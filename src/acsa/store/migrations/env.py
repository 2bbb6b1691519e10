"""Alembic environment: migrations run on the connection the node hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from acsa.store.tables import metadata

config = context.config
connection = config.attributes.get("connection")

if connection is None:
    # Only for developers generating a migration: `alembic revision --autogenerate`
    # against a scratch database named by ACSA_DATABASE_URL.
    import os

    engine = create_engine(os.environ.get("ACSA_DATABASE_URL", "sqlite:///scratch.db"))
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()

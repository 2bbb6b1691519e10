"""Open tasks per order and side, for worklists whose counts equal the lists they open.

The table is filled from the log by the projections' rebuild: the migration
marks the projections stale (``node_info``), and the node rebuilds them once
when it next opens, with the code of the release that brought the migration.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_tasks",
        sa.Column("order_number", sa.String(120), primary_key=True),
        sa.Column("task", sa.String(30), primary_key=True),
        sa.Column("party", sa.String(3), primary_key=True),
        sa.Column("due_on", sa.Date()),
    )
    op.create_index("ix_order_tasks_party_task", "order_tasks", ["party", "task"])
    # Only a database with events has projections to rebuild; a new one has none.
    op.execute("INSERT INTO node_info (key, value) SELECT 'projections_stale', '0007' "
               "WHERE EXISTS (SELECT 1 FROM events)")


def downgrade() -> None:
    op.execute("DELETE FROM node_info WHERE key = 'projections_stale'")
    op.drop_index("ix_order_tasks_party_task", "order_tasks")
    op.drop_table("order_tasks")

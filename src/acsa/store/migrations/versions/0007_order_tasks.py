"""Open tasks per order and side, for worklists whose counts equal the lists they open.

``acsa rebuild`` fills the table from the log after the upgrade; until then
worklists are empty.

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


def downgrade() -> None:
    op.drop_index("ix_order_tasks_party_task", "order_tasks")
    op.drop_table("order_tasks")

"""Worklists gain the task "convert": what is owed in kind past its deadline.

``order_tasks`` now holds, for the supplier, the orders whose in-kind debt may be
converted to cash once the in-kind deadline has passed. The rows come from the
log: like 0007, this marks the projections stale in a database that holds
events, and the node rebuilds them once when it next opens.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("INSERT INTO node_info (key, value) SELECT 'projections_stale', '0008' "
               "WHERE EXISTS (SELECT 1 FROM events) AND NOT EXISTS "
               "(SELECT 1 FROM node_info WHERE key = 'projections_stale')")


def downgrade() -> None:
    op.execute("DELETE FROM order_tasks WHERE task = 'convert'")

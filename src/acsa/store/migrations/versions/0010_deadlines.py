"""Deadlines: due items and worklist tasks dated by the agreement profile's ``[[deadlines]]``.

Under a profile that declares deadlines, ``due_items`` holds a row per delivery not yet
acknowledged (kind ``unacknowledged``) and dates the support not yet invoiced, and
``order_tasks`` dates the tasks "invoice" and "receive". Orders under a profile without
the section project exactly as before. The rows come from the log: like 0008, this
marks the projections stale in a database that holds events, and the node rebuilds
them once when it next opens.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("INSERT INTO node_info (key, value) SELECT 'projections_stale', '0010' "
               "WHERE EXISTS (SELECT 1 FROM events) AND NOT EXISTS "
               "(SELECT 1 FROM node_info WHERE key = 'projections_stale')")


def downgrade() -> None:
    op.execute("DELETE FROM due_items WHERE kind = 'unacknowledged'")

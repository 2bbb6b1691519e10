"""National accounting: the record that a receivable's claim notice reached the revenue
collection officer (歳入徴収官).

``claim_notices`` is local to this node (never shared with the partner, not derived
from the log): one row per invoice whose notice a finance officer marked sent, with
when, to whom and by whom. No rebuild clears it.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claim_notices",
        sa.Column("invoice_id", sa.String(64), nullable=False),
        sa.Column("order_number", sa.String(120), nullable=False),
        sa.Column("invoice_number", sa.String(120), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("sent_to", sa.String(200), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("recorded_at", sa.String(24), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_by_name", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_claim_notices")),
    )
    op.create_index("ix_claim_notices_order_number", "claim_notices", ["order_number"])


def downgrade() -> None:
    op.drop_index("ix_claim_notices_order_number", "claim_notices")
    op.drop_table("claim_notices")

"""Accountability: the record of every transmission of events to a partner.

``transmissions`` is local to this node (never shared, not derived from the log):
one row per sync response, bundle file or release package that carried events to
a party, with the streams and sequence ranges it carried, the highest marking
among them, when, by which route and who set it off. No rebuild clears it.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transmissions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.String(24), nullable=False),
        sa.Column("recipient", sa.String(3), nullable=False),
        sa.Column("route", sa.String(300), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("streams", sa.Text(), nullable=False),
        sa.Column("highest", sa.String(200), nullable=False),
        sa.Column("initiated_by", sa.String(120), nullable=False),
        sa.Column("detail", sa.String(300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transmissions")),
    )
    op.create_index("ix_transmissions_at", "transmissions", ["at"])
    op.create_index("ix_transmissions_recipient", "transmissions", ["recipient"])


def downgrade() -> None:
    op.drop_index("ix_transmissions_recipient", "transmissions")
    op.drop_index("ix_transmissions_at", "transmissions")
    op.drop_table("transmissions")

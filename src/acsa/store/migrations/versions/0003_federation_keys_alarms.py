"""Federation: out-of-band key confirmations and witnessing alarms (both local, never shared).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_confirmations",
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("fingerprint", sa.String(length=80), nullable=False),
        sa.Column("confirmed_at", sa.String(length=24), nullable=False),
        sa.Column("confirmed_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("party", "fingerprint", name=op.f("pk_key_confirmations")),
    )
    op.create_table(
        "peer_alarms",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("peer", sa.String(length=3), nullable=False),
        sa.Column("stream", sa.String(length=80), nullable=False),
        sa.Column("raised_at", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("resolved_at", sa.String(length=24), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_alarms")),
    )
    op.create_index(op.f("ix_peer_alarms_peer"), "peer_alarms", ["peer"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_peer_alarms_peer"), table_name="peer_alarms")
    op.drop_table("peer_alarms")
    op.drop_table("key_confirmations")

"""Releases to a third nation: the packages this node sent, and those it holds.

``releases`` is local to this node and not derived from the log: a package a
security officer sent to a third nation (``direction`` ``sent``), or one this
node received and verified as that third nation (``held``), kept whole and
read-only. A held package never enters a stream, a projection, a balance or a
ceiling; no rebuild touches it.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("agreement", sa.String(40), nullable=False),
        sa.Column("order_number", sa.String(120), nullable=False),
        sa.Column("recipient", sa.String(3), nullable=False),
        sa.Column("originators", sa.String(40), nullable=False),
        sa.Column("request", sa.String(64), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("package", sa.Text(), nullable=False),
        sa.Column("counterpart", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.String(24), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint("sha256", "direction", name=op.f("uq_releases_sha256_direction")),
    )
    op.create_index("ix_releases_order_number", "releases", ["order_number"])


def downgrade() -> None:
    op.drop_index("ix_releases_order_number", "releases")
    op.drop_table("releases")

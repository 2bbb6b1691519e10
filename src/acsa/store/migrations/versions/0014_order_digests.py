"""Order digests for reconciliation, kept with the projections.

``order_digests`` holds each order's digest (what two nodes compare when
they reconcile) and ``order_digest_buckets`` the sums of the digest tree's
buckets (acsa.store.digests). Both are filled here from the order
projections already held, without a rebuild: the digests are computed from
those rows exactly as the write path and ``acsa rebuild`` compute them.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_digests",
        sa.Column("number", sa.String(120), nullable=False),
        sa.Column("agreement", sa.String(40), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_order_digests")),
    )
    op.create_index("ix_order_digests_agreement_key", "order_digests", ["agreement", "key"])
    op.create_table(
        "order_digest_buckets",
        sa.Column("agreement", sa.String(40), nullable=False),
        sa.Column("prefix", sa.String(3), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        *[sa.Column(f"lane{i}", sa.BigInteger(), nullable=False) for i in range(8)],
        sa.PrimaryKeyConstraint("agreement", "prefix", name=op.f("pk_order_digest_buckets")),
    )
    from acsa.store.digests import build_digests

    build_digests(op.get_bind())


def downgrade() -> None:
    op.drop_table("order_digest_buckets")
    op.drop_index("ix_order_digests_agreement_key", "order_digests")
    op.drop_table("order_digests")

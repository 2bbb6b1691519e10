"""Rate sources: a recorded exchange rate names the official source it was taken from.

``rates.source`` holds the id of a source the agreement's profile names
(``[[exchange_rates.sources]]``), or NULL for a rate a finance officer worked out.
Every rate recorded before this release named none, so the new column is NULL for all
of them and nothing needs rebuilding.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rates") as batch:
        batch.add_column(sa.Column("source", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rates") as batch:
        batch.drop_column("source")

"""A one-time code is accepted once: the last TOTP time step accepted per user.

A TOTP code stays valid for its 30-second step (and one step either side, for
clock drift), so a code seen over a shoulder could be typed again within that
window. ``users.totp_last_step`` holds the step of the last code this node
accepted from the user; a code for that step or an earlier one is refused like
any wrong code. The step is set with ``UPDATE … WHERE totp_last_step < step``,
so two logins racing with the same code cannot both succeed. Empty until the
user's first login after this migration, and again after a new secret is
enrolled.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("totp_last_step")

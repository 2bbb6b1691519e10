"""Order markings in full: the originator, the parties released to and the caveats.

Until now ``orders.marking`` held a level only and the projection never set
it. The marking an order is protected by is the strongest of its events'
markings (``domain.interpret.order_marking``); these columns hold the rest of
it, so that need to know and the banners of every page and document read it
from the projection. ``acsa rebuild`` fills them from the log.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("marking_originator", sa.String(3)))
        batch.add_column(sa.Column("marking_rel", sa.Text()))
        batch.add_column(sa.Column("marking_caveats", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("marking_caveats")
        batch.drop_column("marking_rel")
        batch.drop_column("marking_originator")

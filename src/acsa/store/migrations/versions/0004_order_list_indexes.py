"""Indexes for the order list: newest submission first, all orders or one status,
and unconfirmed emergency orders by their due date.

The list pages through orders by ``(submitted_on, number)`` descending with
a keyset cursor; without an index each page sorted every order. With it, a
page reads its rows in index order and stops (measured by bench/api_list.py).
The "overdue" filter finds late orders from ``due_items`` and from
``emergency_due`` instead of testing every order; the need-to-know filter
(unclassified, or the user's activities) counts from ``marking`` alone.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_submitted_on_number", "orders", ["submitted_on", "number"])
    op.create_index("ix_orders_status_submitted_on_number", "orders",
                    ["status", "submitted_on", "number"])
    op.create_index("ix_orders_emergency_due", "orders", ["emergency_due"])
    op.create_index("ix_orders_marking", "orders", ["marking"])


def downgrade() -> None:
    op.drop_index("ix_orders_marking", table_name="orders")
    op.drop_index("ix_orders_emergency_due", table_name="orders")
    op.drop_index("ix_orders_status_submitted_on_number", table_name="orders")
    op.drop_index("ix_orders_submitted_on_number", table_name="orders")

"""Totals per reader class: balances and due amounts summed by what need to know decides on.

``class_balances`` holds the balances and ``class_due`` the amounts due (by
the day their age counts from) per reader class — an order's parties and,
when it is classified, its marking, profile and activity
(acsa.store.reader_totals) — so that a reader's balances and aging are sums
over the few classes they may read. Both are filled here from the postings,
due items and orders already held, without a rebuild, exactly as ``acsa
rebuild`` fills them.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _reader_class() -> list[sa.Column[str]]:
    return [sa.Column("requester", sa.String(3), nullable=False),
            sa.Column("supplier", sa.String(3), nullable=False),
            sa.Column("marking", sa.String(40), nullable=False),
            sa.Column("originator", sa.String(3), nullable=False),
            sa.Column("rel", sa.Text(), nullable=False),
            sa.Column("caveats", sa.Text(), nullable=False),
            sa.Column("profile", sa.String(71), nullable=False),
            sa.Column("activity", sa.String(80), nullable=False)]


CLASS = ["requester", "supplier", "marking", "originator", "rel", "caveats", "profile",
         "activity"]


def upgrade() -> None:
    op.create_table(
        "class_balances",
        *_reader_class(),
        sa.Column("debtor", sa.String(3), nullable=False),
        sa.Column("creditor", sa.String(3), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("account", sa.String(20), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*CLASS, "debtor", "creditor", "currency", "account",
                                name=op.f("pk_class_balances")),
    )
    op.create_table(
        "class_due",
        *_reader_class(),
        sa.Column("acts", sa.String(3), nullable=False),
        sa.Column("debtor", sa.String(3), nullable=False),
        sa.Column("creditor", sa.String(3), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("ref_on", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*CLASS, "acts", "debtor", "creditor", "currency", "ref_on",
                                name=op.f("pk_class_due")),
    )
    from acsa.store.reader_totals import build_class_totals

    build_class_totals(op.get_bind())


def downgrade() -> None:
    op.drop_table("class_due")
    op.drop_table("class_balances")

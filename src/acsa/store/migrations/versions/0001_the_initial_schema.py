"""The initial schema, with the event log made insert-only by triggers.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("agreement", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("registered_by", sa.String(length=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    op.create_table(
        "agreements",
        sa.Column("digest", sa.String(length=71), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("adopted_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_agreements")),
    )
    op.create_table(
        "appointments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("stream", sa.String(length=80), nullable=False),
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("units", sa.Text(), nullable=False),
        sa.Column("limits", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("granted_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    op.create_table(
        "balances",
        sa.Column("debtor", sa.String(length=3), nullable=False),
        sa.Column("creditor", sa.String(length=3), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("account", sa.String(length=20), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "debtor", "creditor", "currency", "account", name=op.f("pk_balances")
        ),
    )
    op.create_table(
        "catalogue",
        sa.Column("event_hash", sa.String(length=64), nullable=False),
        sa.Column("agreement", sa.String(length=40), nullable=False),
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("unit_price", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("event_hash", name=op.f("pk_catalogue")),
    )
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agreement", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=24), nullable=False),
        sa.Column("updated_at", sa.String(length=24), nullable=False),
        sa.Column("submitted_as", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
    )
    op.create_table(
        "due_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_number", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("debtor", sa.String(length=3), nullable=False),
        sa.Column("creditor", sa.String(length=3), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_due_items")),
    )
    with op.batch_alter_table("due_items", schema=None) as batch_op:
        batch_op.create_index("ix_due_items_due_on", ["due_on"], unique=False)
        batch_op.create_index("ix_due_items_order", ["order_number"], unique=False)

    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("stream", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("prev", sa.String(length=64), nullable=True),
        sa.Column("at", sa.String(length=24), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("parent", sa.String(length=64), nullable=True),
        sa.Column("signer", sa.String(length=3), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("received_at", sa.String(length=24), nullable=False),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_events_hash")),
        sa.UniqueConstraint("stream", "seq", name=op.f("uq_events_stream_seq")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_subject", ["subject"], unique=False)
        batch_op.create_index("ix_events_type", ["type"], unique=False)

    op.create_table(
        "evidence_files",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("added_at", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_evidence_files")),
    )
    op.create_table(
        "in_kind",
        sa.Column("order_number", sa.String(length=120), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("item", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("owed", sa.String(length=40), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("order_number", "line", name=op.f("pk_in_kind")),
    )
    op.create_table(
        "node_info",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_node_info")),
    )
    op.create_table(
        "orders",
        sa.Column("number", sa.String(length=120), nullable=False),
        sa.Column("agreement", sa.String(length=40), nullable=False),
        sa.Column("profile", sa.String(length=71), nullable=False),
        sa.Column("activity", sa.String(length=80), nullable=False),
        sa.Column("activity_type", sa.String(length=40), nullable=False),
        sa.Column("requester", sa.String(length=3), nullable=False),
        sa.Column("supplier", sa.String(length=3), nullable=False),
        sa.Column("requesting_unit", sa.String(length=80), nullable=False),
        sa.Column("supplying_unit", sa.String(length=80), nullable=True),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("value_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("needed_by", sa.Date(), nullable=True),
        sa.Column("emergency_due", sa.Date(), nullable=True),
        sa.Column("emergency_confirmed_on", sa.Date(), nullable=True),
        sa.Column("marking", sa.String(length=40), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.Column("ineffective", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_orders")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_agreement_status", ["agreement", "status"], unique=False)
        batch_op.create_index("ix_orders_status", ["status"], unique=False)

    op.create_table(
        "peer_acks",
        sa.Column("peer", sa.String(length=3), nullable=False),
        sa.Column("stream", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("peer", "stream", name=op.f("pk_peer_acks")),
    )
    op.create_table(
        "peers",
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("fingerprint", sa.String(length=80), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=True),
        sa.Column("base_url", sa.String(length=200), nullable=True),
        sa.Column("added_at", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("alarm", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("party", name=op.f("pk_peers")),
    )
    op.create_table(
        "postings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_number", sa.String(length=120), nullable=False),
        sa.Column("event_hash", sa.String(length=64), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("debtor", sa.String(length=3), nullable=False),
        sa.Column("creditor", sa.String(length=3), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("debit", sa.String(length=20), nullable=False),
        sa.Column("credit", sa.String(length=20), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postings")),
    )
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.create_index("ix_postings_order", ["order_number"], unique=False)

    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("received_at", sa.String(length=24), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("peer", sa.String(length=3), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
    )
    op.create_table(
        "rates",
        sa.Column("event_hash", sa.String(length=64), nullable=False),
        sa.Column("agreement", sa.String(length=40), nullable=False),
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("event_hash", name=op.f("pk_rates")),
    )
    op.create_table(
        "streams",
        sa.Column("stream", sa.String(length=80), nullable=False),
        sa.Column("agreement", sa.String(length=40), nullable=False),
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("head_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=True),
        sa.Column("compact_range", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("stream", name=op.f("pk_streams")),
    )
    op.create_table(
        "tree_heads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("stream", sa.String(length=80), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=24), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("countersignature", sa.String(length=100), nullable=True),
        sa.Column("received_at", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tree_heads")),
        sa.UniqueConstraint("stream", "size", "root", name=op.f("uq_tree_heads_stream_size_root")),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("units", sa.Text(), nullable=False),
        sa.Column("clearance", sa.String(length=40), nullable=True),
        sa.Column("activities", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("time_zone", sa.String(length=40), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_table(
        "verdicts",
        sa.Column("order_number", sa.String(length=120), nullable=False),
        sa.Column("event_hash", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("effective", sa.Boolean(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("order_number", "event_hash", name=op.f("pk_verdicts")),
    )
    op.create_table(
        "event_orders",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_number", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_orders_event_id_events")
        ),
        sa.PrimaryKeyConstraint("event_id", "order_number", name=op.f("pk_event_orders")),
    )
    with op.batch_alter_table("event_orders", schema=None) as batch_op:
        batch_op.create_index("ix_event_orders_order", ["order_number"], unique=False)

    op.create_table(
        "order_lines",
        sa.Column("order_number", sa.String(length=120), nullable=False),
        sa.Column("no", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("nsn", sa.String(length=16), nullable=True),
        sa.Column("quantity", sa.String(length=40), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("unit_price", sa.String(length=40), nullable=False),
        sa.Column("delivered", sa.String(length=40), nullable=False),
        sa.Column("received", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_number"], ["orders.number"], name=op.f("fk_order_lines_order_number_orders")
        ),
        sa.PrimaryKeyConstraint("order_number", "no", name=op.f("pk_order_lines")),
    )
    _make_events_insert_only()


def _make_events_insert_only() -> None:
    """Refuse UPDATE and DELETE on the log in the database itself, not only in code."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events "
                "BEGIN SELECT RAISE(ABORT, 'the event log is insert-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION acsa_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'the event log is insert-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER events_insert_only BEFORE UPDATE OR DELETE ON events "
        "FOR EACH ROW EXECUTE FUNCTION acsa_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
        "FOR EACH STATEMENT EXECUTE FUNCTION acsa_refuse_change()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS events_insert_only ON events")
        op.execute("DROP TRIGGER IF EXISTS events_no_truncate ON events")
        op.execute("DROP FUNCTION IF EXISTS acsa_refuse_change()")
    op.drop_table("order_lines")
    with op.batch_alter_table("event_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_event_orders_order")

    op.drop_table("event_orders")
    op.drop_table("verdicts")
    op.drop_table("users")
    op.drop_table("units")
    op.drop_table("tree_heads")
    op.drop_table("streams")
    op.drop_table("rates")
    op.drop_table("quarantine")
    with op.batch_alter_table("postings", schema=None) as batch_op:
        batch_op.drop_index("ix_postings_order")

    op.drop_table("postings")
    op.drop_table("peers")
    op.drop_table("peer_acks")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_status")
        batch_op.drop_index("ix_orders_agreement_status")

    op.drop_table("orders")
    op.drop_table("node_info")
    op.drop_table("in_kind")
    op.drop_table("evidence_files")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_type")
        batch_op.drop_index("ix_events_subject")

    op.drop_table("events")
    with op.batch_alter_table("due_items", schema=None) as batch_op:
        batch_op.drop_index("ix_due_items_order")
        batch_op.drop_index("ix_due_items_due_on")

    op.drop_table("due_items")
    op.drop_table("drafts")
    op.drop_table("catalogue")
    op.drop_table("balances")
    op.drop_table("appointments")
    op.drop_table("agreements")
    op.drop_table("activities")

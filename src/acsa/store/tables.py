"""The node's tables: the event log, local-only records, and projections.

Three kinds of table, kept apart by name and by comment:

- **the log** (``events``, ``event_orders``, ``streams``, ``tree_heads``):
  insert-only for events (enforced by database triggers, see
  :mod:`acsa.store.migrations`); the truth every other table derives from;
- **local records** (``node_info``, ``users``, ``drafts``, ``peers``,
  ``quarantine``, ``evidence_files``, ``api_tokens``, ``sessions``, ``access_log``,
  ``transmissions``):
  never enter a shared stream;
- **projections** (``orders``, ``order_lines``, ``verdicts``, ``postings``,
  ``balances``, ``in_kind``, ``due_items``, ``appointments``, ``units``,
  ``activities``, ``rates``, ``catalogue``, ``agreements``, ``order_digests``,
  ``order_digest_buckets``, ``class_balances``, ``class_due``): rebuilt from
  the log by ``acsa rebuild`` and compared with it by ``acsa verify``. They
  hold no time-dependent figures: due dates, never "overdue".

Money is stored as integers of minor units with a currency code; quantities
and prices as decimal text, exactly as events carry them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

HASH = String(64)
PARTY = String(3)
MONEY = BigInteger

# -- the log -----------------------------------------------------------------------

events = Table(
    "events",
    metadata,
    # Arrival order on this node: the parent of a new local event is the last
    # event on its order to arrive here.
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("stream", String(80), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", HASH, nullable=False, unique=True),
    Column("prev", HASH),
    Column("at", String(24), nullable=False),
    Column("type", String(64), nullable=False),
    Column("subject", String(120), nullable=False),
    Column("parent", HASH),
    Column("signer", PARTY, nullable=False),
    Column("key", String(80), nullable=False),
    Column("signature", String(100), nullable=False),
    # The canonical JSON of the envelope, byte for byte as hashed and signed.
    Column("envelope", Text, nullable=False),
    Column("received_at", String(24), nullable=False),
    Column("origin", String(10), nullable=False),  # "local", "peer", "bundle"
    UniqueConstraint("stream", "seq"),
)
Index("ix_events_subject", events.c.subject)
Index("ix_events_type", events.c.type)

event_orders = Table(
    "event_orders",
    metadata,
    Column("event_id", ForeignKey("events.id"), primary_key=True),
    Column("order_number", String(120), primary_key=True),
)
Index("ix_event_orders_order", event_orders.c.order_number)

streams = Table(
    "streams",
    metadata,
    Column("stream", String(80), primary_key=True),
    Column("agreement", String(40), nullable=False),
    Column("party", PARTY, nullable=False),
    Column("head_seq", BigInteger, nullable=False, default=0),
    Column("head_hash", HASH),
    # The Merkle tree's right edge, so appending never rereads every leaf.
    Column("compact_range", Text, nullable=False, default="[]"),
)

tree_heads = Table(
    "tree_heads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("stream", String(80), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("root", HASH, nullable=False),
    Column("at", String(24), nullable=False),
    Column("key", String(80), nullable=False),
    Column("signature", String(100), nullable=False),
    Column("countersignature", String(100)),  # ours, over a peer's head we verified
    Column("received_at", String(24), nullable=False),
    UniqueConstraint("stream", "size", "root"),
)

# -- local records --------------------------------------------------------------------

node_info = Table(
    "node_info",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("party", PARTY, nullable=False),
    Column("roles", Text, nullable=False, default="[]"),  # JSON list of roles held
    Column("units", Text, nullable=False, default="[]"),
    Column("clearance", String(40)),
    Column("activities", Text, nullable=False, default="[]"),
    Column("locale", String(10), nullable=False, default="en"),
    Column("time_zone", String(40), nullable=False, default="UTC"),
    Column("password_hash", Text),
    Column("totp_secret", String(64)),
    # The TOTP time step of the last code accepted from this user: a code is
    # accepted once, so a step at or before this one is refused (migration 0006).
    Column("totp_last_step", BigInteger),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", String(24), nullable=False),
)

drafts = Table(
    "drafts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement", String(40), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("terms", Text, nullable=False),  # JSON, possibly incomplete
    Column("note", Text, nullable=False, default=""),  # internal, never shared
    Column("created_at", String(24), nullable=False),
    Column("updated_at", String(24), nullable=False),
    Column("submitted_as", String(120)),
)

peers = Table(
    "peers",
    metadata,
    Column("party", PARTY, primary_key=True),
    Column("fingerprint", String(80), nullable=False),
    Column("public_key", String(64)),  # hex; learnt from the first bundle or request
    Column("base_url", String(200)),
    Column("added_at", String(24), nullable=False),
    Column("status", String(20), nullable=False, default="active"),  # or "alarm"
    Column("alarm", Text),
)

peer_acks = Table(
    "peer_acks",
    metadata,
    # What a peer told us it holds of one of our streams.
    Column("peer", PARTY, primary_key=True),
    Column("stream", String(80), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", HASH),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", String(24), nullable=False),
    Column("source", String(200), nullable=False),
    Column("peer", PARTY),
    Column("reasons", Text, nullable=False),  # JSON list of every problem found
    Column("payload", Text, nullable=False),
    Column("resolved", Boolean, nullable=False, default=False),
)

evidence_files = Table(
    "evidence_files",
    metadata,
    Column("sha256", HASH, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("added_at", String(24), nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    # Only a hash of the session token is stored: a copy of the database
    # does not let anyone log in.
    Column("token_hash", HASH, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("created_at", String(24), nullable=False),
    Column("last_seen_at", String(24), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("second_factor_done", Boolean, nullable=False, default=False),
    Column("ended_at", String(24)),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", HASH, nullable=False, unique=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("scopes", Text, nullable=False),  # JSON list: "read", "act", "admin"
    Column("created_at", String(24), nullable=False),
    Column("last_used_at", String(24)),
    Column("revoked_at", String(24)),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", String(24), nullable=False),
    Column("succeeded", Boolean, nullable=False),
)
Index("ix_login_attempts_user_at", login_attempts.c.user_id, login_attempts.c.at)

access_log = Table(
    "access_log",
    metadata,
    # Who read or did what: the auditor's record (Security of Information Agreement).
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(24), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", String(200), nullable=False),
    Column("address", String(64), nullable=False, default=""),
)
Index("ix_access_log_at", access_log.c.at)

transmissions = Table(
    "transmissions",
    metadata,
    # What left this node, for whom, when and how: the record of transmission the Security
    # of Information Agreement asks for. References and markings only, never content.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(24), nullable=False),
    Column("recipient", String(3), nullable=False),  # the party it went to
    Column("route", String(300), nullable=False),  # the peer's URL, or "file:<name>"
    Column("channel", String(20), nullable=False),  # sync, bundle, release, document
    Column("events", Integer, nullable=False),
    Column("streams", Text, nullable=False),  # JSON: per stream first, last, count, highest
    Column("highest", String(200), nullable=False),  # the highest marking sent, as shown
    Column("initiated_by", String(120), nullable=False),
    Column("detail", String(300), nullable=False, default=""),
)
Index("ix_transmissions_at", transmissions.c.at)
Index("ix_transmissions_recipient", transmissions.c.recipient)

# -- projections --------------------------------------------------------------------------

agreements = Table(
    "agreements",
    metadata,
    Column("digest", String(71), primary_key=True),
    Column("id", String(40), nullable=False),
    Column("version", String(20), nullable=False),
    Column("document", Text, nullable=False),  # JSON of the profile as adopted
    Column("adopted_by", Text, nullable=False, default="[]"),  # parties whose streams adopted it
)

orders = Table(
    "orders",
    metadata,
    Column("number", String(120), primary_key=True),
    Column("agreement", String(40), nullable=False),
    Column("profile", String(71), nullable=False),
    Column("activity", String(80), nullable=False),
    Column("activity_type", String(40), nullable=False),
    Column("requester", PARTY, nullable=False),
    Column("supplier", PARTY, nullable=False),
    Column("requesting_unit", String(80), nullable=False),
    Column("supplying_unit", String(80)),
    Column("method", String(10), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("value_minor", MONEY, nullable=False),
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("emergency", Boolean, nullable=False),
    Column("submitted_on", Date),
    Column("accepted_on", Date),
    Column("needed_by", Date),
    Column("emergency_due", Date),
    Column("emergency_confirmed_on", Date),
    # The marking the order is protected by (migration 0005): the level in the
    # originator's scheme, the originator, the parties released to (JSON list)
    # and the originator's caveats (JSON list).
    Column("marking", String(40), nullable=False, default="UNCLASSIFIED"),
    Column("marking_originator", String(3)),
    Column("marking_rel", Text),
    Column("marking_caveats", Text),
    Column("search_text", Text, nullable=False, default=""),
    # The last event on this order to arrive here: the parent of the next
    # local event, and the value If-Match must carry.
    Column("head", HASH, nullable=False),
    Column("ineffective", Integer, nullable=False, default=0),
)
Index("ix_orders_status", orders.c.status)
Index("ix_orders_agreement_status", orders.c.agreement, orders.c.status)
# The order list: newest submission first, of all orders or of one status (migration 0004).
Index("ix_orders_submitted_on_number", orders.c.submitted_on, orders.c.number)
Index("ix_orders_status_submitted_on_number", orders.c.status, orders.c.submitted_on,
      orders.c.number)
Index("ix_orders_emergency_due", orders.c.emergency_due)
Index("ix_orders_marking", orders.c.marking)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_number", ForeignKey("orders.number"), primary_key=True),
    Column("no", Integer, primary_key=True),
    Column("category", String(40), nullable=False),
    Column("description", Text, nullable=False),
    Column("nsn", String(16)),
    Column("quantity", String(40), nullable=False),
    Column("unit", String(10), nullable=False),
    Column("unit_price", String(40), nullable=False),
    Column("delivered", String(40), nullable=False),
    Column("received", String(40), nullable=False),
)

verdicts = Table(
    "verdicts",
    metadata,
    Column("order_number", String(120), primary_key=True),
    Column("event_hash", HASH, primary_key=True),
    Column("position", Integer, nullable=False),
    Column("effective", Boolean, nullable=False),
    Column("code", String(40), nullable=False, default=""),
    Column("reason", Text, nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
)

postings = Table(
    "postings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_number", String(120), nullable=False),
    Column("event_hash", HASH, nullable=False),
    Column("on", Date, nullable=False),  # the business date of the event that caused it
    Column("debtor", PARTY, nullable=False),
    Column("creditor", PARTY, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("debit", String(20), nullable=False),
    Column("credit", String(20), nullable=False),
    Column("amount_minor", MONEY, nullable=False),
)
Index("ix_postings_order", postings.c.order_number)

balances = Table(
    "balances",
    metadata,
    Column("debtor", PARTY, primary_key=True),
    Column("creditor", PARTY, primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("account", String(20), primary_key=True),
    Column("balance_minor", MONEY, nullable=False),
)

in_kind = Table(
    "in_kind",
    metadata,
    Column("order_number", String(120), primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("item", Text, nullable=False),
    Column("unit", String(10), nullable=False),
    Column("owed", String(40), nullable=False),
    Column("due_on", Date),
)

due_items = Table(
    "due_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_number", String(120), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("reference", String(120), nullable=False),
    Column("debtor", PARTY, nullable=False),
    Column("creditor", PARTY, nullable=False),
    Column("since", Date, nullable=False),
    Column("due_on", Date),
    Column("currency", String(3)),
    Column("amount_minor", MONEY),
)
Index("ix_due_items_order", due_items.c.order_number)
Index("ix_due_items_due_on", due_items.c.due_on)

# The open tasks of each order and whose turn each is (domain.worklist): worklists count
# these rows and the order list filters on them, so a count and its list agree
# (migration 0007; acsa rebuild fills it from the log).
order_tasks = Table(
    "order_tasks",
    metadata,
    Column("order_number", String(120), primary_key=True),
    Column("task", String(30), primary_key=True),
    Column("party", PARTY, primary_key=True),
    Column("due_on", Date),
)
Index("ix_order_tasks_party_task", order_tasks.c.party, order_tasks.c.task)

# Reconciliation (migration 0014; acsa.store.digests): each order's digest, the SHA-256 of
# the canonical summary of its state two nodes must agree on, keyed by the SHA-256 of its
# number; and per agreement and 3-hex-digit prefix of that key, the bucket's sum of its
# leaves and their count, from which every node of the digest tree above is summed.
order_digests = Table(
    "order_digests",
    metadata,
    Column("number", String(120), primary_key=True),
    Column("agreement", String(40), nullable=False),
    Column("key", HASH, nullable=False),
    Column("digest", HASH, nullable=False),
)
Index("ix_order_digests_agreement_key", order_digests.c.agreement, order_digests.c.key)

order_digest_buckets = Table(
    "order_digest_buckets",
    metadata,
    Column("agreement", String(40), primary_key=True),
    Column("prefix", String(3), primary_key=True),
    Column("count", Integer, nullable=False),
    # Eight lanes of the sum of the leaves' hashes, each modulo 2**31 - 1.
    *[Column(f"lane{i}", BigInteger, nullable=False) for i in range(8)],
)

# Totals per reader class (migration 0015; acsa.store.reader_totals): the balances and the
# amounts due summed by what need to know decides on — the order's parties and, when it is
# classified, its marking (level, originator, release, caveats), profile and activity
# ("" where a column does not apply). A reader's balances and aging are then the sums of
# the few classes they may read, whatever the number of orders.
def _reader_class() -> list[Column[str]]:
    return [Column("requester", PARTY, primary_key=True),
            Column("supplier", PARTY, primary_key=True),
            Column("marking", String(40), primary_key=True),
            Column("originator", String(3), primary_key=True),
            Column("rel", Text, primary_key=True),
            Column("caveats", Text, primary_key=True),
            Column("profile", String(71), primary_key=True),
            Column("activity", String(80), primary_key=True)]


class_balances = Table(
    "class_balances",
    metadata,
    *_reader_class(),
    Column("debtor", PARTY, primary_key=True),
    Column("creditor", PARTY, primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("account", String(20), primary_key=True),
    Column("balance_minor", MONEY, nullable=False),
)

# The due items with an amount, summed per reader class and by the day their age counts
# from (the due date, or the day an undated item arose): ``acts`` is the party whose time
# zone ages them, ``debtor`` owes ``creditor`` (as the aging report shows it).
class_due = Table(
    "class_due",
    metadata,
    *_reader_class(),
    Column("acts", PARTY, primary_key=True),
    Column("debtor", PARTY, primary_key=True),
    Column("creditor", PARTY, primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("ref_on", Date, primary_key=True),
    Column("amount_minor", MONEY, nullable=False),
    Column("items", Integer, nullable=False),
)

# National accounting (migration 0009): which receivable's claim notice (債権発生通知書) a
# finance officer sent to the revenue collection officer (歳入徴収官), when and to whom.
# A local record of this node's own accounting, never shared and not a projection: no
# rebuild touches it (services.claims; docs/national-accounting.md).
claim_notices = Table(
    "claim_notices",
    metadata,
    Column("invoice_id", HASH, primary_key=True),  # hash of the invoice.issued event
    Column("order_number", String(120), nullable=False),
    Column("invoice_number", String(120), nullable=False),
    Column("sent_on", Date, nullable=False),
    Column("sent_to", String(200), nullable=False),
    Column("note", String(500), nullable=False, default=""),
    Column("recorded_at", String(24), nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_by_name", String(200), nullable=False),
)
Index("ix_claim_notices_order_number", claim_notices.c.order_number)

# Releases to a third nation (migration 0011): packages this node sent, and those it holds
# as the third nation, verified and kept whole, read-only. Local, never shared, not a
# projection: no rebuild touches it, and a held package never reaches a stream, a
# projection, a balance or a ceiling (services.releases; docs/security.md).
releases = Table(
    "releases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", HASH, nullable=False),  # of the package's canonical JSON
    Column("direction", String(8), nullable=False),  # "sent" or "held"
    Column("agreement", String(40), nullable=False),
    Column("order_number", String(120), nullable=False),
    Column("recipient", PARTY, nullable=False),
    Column("originators", String(40), nullable=False),  # "JPN PHL"
    Column("request", HASH, nullable=False),  # the consent.requested event
    Column("events", Integer, nullable=False),  # how many events it releases
    Column("package", Text, nullable=False),
    Column("counterpart", String(200), nullable=False),  # sent to (URL, file) / from (party)
    Column("recorded_at", String(24), nullable=False),
    Column("recorded_by", String(64), nullable=False),
    UniqueConstraint("sha256", "direction"),
)
Index("ix_releases_order_number", releases.c.order_number)

appointments = Table(
    "appointments",
    metadata,
    Column("id", HASH, primary_key=True),  # hash of the granting event
    Column("stream", String(80), nullable=False),
    Column("party", PARTY, nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(30), nullable=False),
    Column("units", Text, nullable=False),
    Column("limits", Text),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Column("granted_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
)

units = Table(
    "units",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("party", PARTY, nullable=False),
    Column("name", String(200), nullable=False),
    Column("parent", String(80)),
)

activities = Table(
    "activities",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("agreement", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("type", String(40), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date),
    Column("registered_by", PARTY, nullable=False),
)

rates = Table(
    "rates",
    metadata,
    Column("event_hash", HASH, primary_key=True),
    Column("agreement", String(40), nullable=False),
    Column("party", PARTY, nullable=False),
    Column("on", Date, nullable=False),
    Column("base", String(3), nullable=False),
    Column("quote", String(3), nullable=False),
    Column("rate", String(40), nullable=False),
    # The official source's id (``[[exchange_rates.sources]]``); NULL: an officer's own rate.
    Column("source", String(40), nullable=True),
)

catalogue = Table(
    "catalogue",
    metadata,
    Column("event_hash", HASH, primary_key=True),
    Column("agreement", String(40), nullable=False),
    Column("party", PARTY, nullable=False),
    Column("category", String(40), nullable=False),
    Column("item", String(200), nullable=False),
    Column("unit", String(10), nullable=False),
    Column("unit_price", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
)

PROJECTIONS = (
    orders,
    order_lines,
    verdicts,
    postings,
    balances,
    in_kind,
    due_items,
    appointments,
    units,
    activities,
    rates,
    catalogue,
    agreements,
)

# -- federation (local records) ---------------------------------------------------------

key_confirmations = Table(
    "key_confirmations",
    metadata,
    # A peer's new key fingerprint, confirmed by this node's administrator out
    # of band; a rotation announced in the peer's stream takes effect only then.
    Column("party", PARTY, primary_key=True),
    Column("fingerprint", String(80), primary_key=True),
    Column("confirmed_at", String(24), nullable=False),
    Column("confirmed_by", String(64), nullable=False),
)

peer_alarms = Table(
    "peer_alarms",
    metadata,
    # A peer caught rewriting or forking its history: both conflicting signed
    # heads (or the head and the events that contradict it) kept as proof.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("peer", PARTY, nullable=False),
    Column("stream", String(80), nullable=False),
    Column("raised_at", String(24), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("message", Text, nullable=False),
    Column("evidence", Text, nullable=False),  # JSON: signed heads, proofs, events
    Column("resolved_at", String(24)),
    Column("resolved_by", String(64)),
    Column("resolution", Text),
)
Index("ix_peer_alarms_peer", peer_alarms.c.peer)

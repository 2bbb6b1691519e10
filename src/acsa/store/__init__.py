"""Storage: the event log, local records and projections in SQLite or PostgreSQL.

``tables`` declares every table; ``db`` opens engines with the settings a
ledger needs; ``migrations`` holds the Alembic history; ``log`` appends and
reads signed events; ``projections`` writes what the fold of an order
derives, in the same transaction as the event that caused it.
"""

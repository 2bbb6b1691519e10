"""Whether a migration left the projections to be rebuilt.

Apart from :mod:`acsa.services.verify` so that opening a node asks the question without
loading the fold: only a node that must rebuild loads it (docs/benchmarks.md, start-up).
"""

from __future__ import annotations

from sqlalchemy import select

from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

# Set in node_info by a migration that adds or changes a projection (0007: order_tasks;
# 0008: its task "convert").
PROJECTIONS_STALE = "projections_stale"


def projections_stale(uow: UnitOfWork) -> bool:
    """Whether a migration marked the projections for a rebuild."""
    return uow.conn.execute(select(T.node_info.c.key).where(
        T.node_info.c.key == PROJECTIONS_STALE)).first() is not None

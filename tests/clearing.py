"""Setting up a test's readers: a clearance and need to know, set directly."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import update

from acsa.devtools.world import user_id
from acsa.domain.parties import Role
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T


def clear(node: Node, who: str | Role, level: str | None,
          activities: Iterable[str] = ("KAMANDAG-10",)) -> None:
    """Give a user (by id, or ``node``'s official in a role) a clearance and need to know for
    ``activities``: set directly, for setting up a test; officers do it
    with ``acsa user clearance`` and ``acsa user assign``, which check and record it."""
    uid = user_id(node.party, who) if isinstance(who, Role) else who
    with UnitOfWork(node) as uow:
        uow.conn.execute(update(T.users).where(T.users.c.id == uid)
                         .values(clearance=level, activities=json.dumps(list(activities))))
        uow.commit()

"""The unit of work: one transaction per use case, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection

from acsa.domain.interpret import Context
from acsa.services.node import Node
from acsa.store.db import IMMEDIATE
from acsa.store.projections import context_stamp, load_context


class UnitOfWork:
    """``with UnitOfWork(node) as uow: … uow.commit()`` — nothing is kept without commit()."""

    def __init__(self, node: Node, *, write: bool = True) -> None:
        self.node = node
        self.write = write
        self._context: Context | None = None
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        self.conn: Connection = self.node.engine.connect().execution_options(
            **{IMMEDIATE: self.write}
        )
        self.tx = self.conn.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed and self.tx.is_active:
                self.tx.rollback()
        finally:
            self.conn.close()

    def commit(self) -> None:
        self.tx.commit()
        self._committed = True

    @property
    def context(self) -> Context:
        """Profiles and rosters as this transaction sees them (reloaded after changes).

        The node keeps the last context it loaded with a stamp of the events
        that feed it; a transaction reuses it unless the stamp moved.
        """
        if self._context is None:
            stamp = context_stamp(self.conn)
            cached = self.node.context_cache
            if cached is not None and cached[0] == stamp:
                self._context = cached[1]
            else:
                self._context = load_context(self.conn)
                self.node.context_cache = (stamp, self._context)
        return self._context

    def context_changed(self) -> None:
        self._context = None

"""The unit of work: one transaction per use case, rolled back unless committed.

An entry point opens a :class:`UnitOfWork` and hands it to one use case.
A use case that changes state is marked :func:`use_case`: its work is
committed when it returns and rolled back when it raises, so routes and
commands only parse, call and render, and never commit. A use case called
from inside another joins the outer one's transaction, which commits once
at the end: what a user asked for is kept whole or not at all.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection

from acsa.services.node import Node
from acsa.store.db import IMMEDIATE

if TYPE_CHECKING:
    # Only named here: a command that never folds an order (a report, a listing) does
    # not load the fold to start (docs/benchmarks.md, start-up).
    from acsa.domain.agreement import AgreementProfile
    from acsa.domain.facts import Fact
    from acsa.domain.interpret import Context
    from acsa.domain.state import OrderState
    from acsa.store.digests import Digested

P = ParamSpec("P")

FOLDS_KEPT = 4_096  # orders a node keeps folded between transactions
R = TypeVar("R")


@dataclass(frozen=True)
class Folded:
    """An order's state as the fold of its events, with the events it was folded from
    (its own and those of the orders linked to it), and what its reconciliation digest
    holds when the write that made it knew (``None`` otherwise)."""

    facts: tuple[Fact, ...]
    state: OrderState
    digested: Digested | None = None

    def head(self, number: str) -> str | None:
        """The order's newest event (its projection's ``head``), or ``None`` while it has no
        projection row (no event, or only ineffective ones)."""
        if self.state.terms is None:
            return None
        return next((f.hash for f in reversed(self.facts) if number in f.orders()), None)


class UnitOfWork:
    """``with UnitOfWork(node) as uow: …`` — nothing is kept unless a use case commits it."""

    def __init__(self, node: Node, *, write: bool = True) -> None:
        self.node = node
        self.write = write
        self._context: Context | None = None
        self._agreements: tuple[Any, ...] = ()
        self._profiles: dict[str, AgreementProfile] = {}  # read alone (:meth:`profile`)
        self._context_moved = False
        self.depth = 0  # use cases running in this unit of work, outermost first
        # Orders folded in this transaction, so that an act folds its orders once.
        self.folds: dict[str, Folded] = {}
        # Per user, the classified orders they may not read, and the reader classes of
        # them (services/need_to_know.py).
        self.need_to_know: dict[str, frozenset[str]] = {}
        self.refused_classes: dict[str, tuple[tuple[Any, ...], ...]] = {}

    def __enter__(self) -> UnitOfWork:
        self.conn: Connection = self.node.engine.connect().execution_options(
            **{IMMEDIATE: self.write}
        )
        self.conn.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.conn.in_transaction():
                self.conn.rollback()
        finally:
            self.conn.close()

    def commit(self) -> None:
        """Keep what the current transaction did; what follows runs in a new one."""
        self.conn.commit()
        self._keep_folds()
        self._context_moved = False
        self.folds.clear()
        self.need_to_know.clear()
        self.refused_classes.clear()

    def _keep_folds(self) -> None:
        """Hand the node the orders this transaction folded, as committed, for the next
        transaction to reuse once it has seen their heads unchanged: only an order whose
        events name no other order (its fold is its own events) and that has a projection
        row (a head to compare)."""
        if self._context is None or self._context_moved or not self.folds:
            return
        cache = self.node.fold_cache
        for number, folded in self.folds.items():
            if folded.state.terms is None or any(f.orders() != (number,)
                                                 for f in folded.facts):
                cache.pop(number, None)
                continue
            cache[number] = (self._context, folded)
            cache.move_to_end(number)
        while len(cache) > FOLDS_KEPT:
            cache.popitem(last=False)

    def rollback(self) -> None:
        self.conn.rollback()
        self._context = None
        self._context_moved = False
        self.folds.clear()
        self.need_to_know.clear()
        self.refused_classes.clear()

    @property
    def context(self) -> Context:
        """Profiles and rosters as this transaction sees them (reloaded after changes).

        The node keeps the last context it loaded with a stamp of the events
        that feed it; a transaction reuses it unless the stamp moved.
        """
        if self._context is None:
            from acsa.store.projections import context_stamp, load_agreements, load_context

            stamp = context_stamp(self.conn)
            cached = self.node.context_cache
            if cached is not None and cached[0] == stamp:
                self._context, self._agreements = cached[1], cached[2]
            else:
                self._context = load_context(self.conn)
                self._agreements = load_agreements(self.conn)
                self.node.context_cache = (stamp, self._context, self._agreements)
        return self._context

    def profile(self, digest: str) -> AgreementProfile:
        """The agreement profile of ``digest``: the context's when it is loaded, otherwise
        read alone, so that judging need to know on a report's totals loads neither the
        rosters nor the fold (a digest's document never changes)."""
        if self._context is not None:
            return self._context.profile(digest)
        held = self._profiles.get(digest)
        if held is None:
            import json

            from sqlalchemy import select

            from acsa.domain.agreement import profile_from_document
            from acsa.store import tables as T

            row = self.conn.execute(select(T.agreements.c.id, T.agreements.c.document)
                                    .where(T.agreements.c.digest == digest)).first()
            if row is None:
                return self.context.profile(digest)  # refused there, as everywhere
            held = self._profiles[digest] = profile_from_document(json.loads(row.document),
                                                                  row.id)
        return held

    @property
    def agreements(self) -> tuple[Any, ...]:
        """The rows of the agreements table (every profile version, who adopted it), as
        the context was loaded: adoptions are context events, so they move its stamp."""
        _ = self.context
        return self._agreements

    def context_changed(self) -> None:
        self._context = None
        self._context_moved = True  # folds made before may be of the old context


def use_case(
    fn: Callable[Concatenate[UnitOfWork, P], R],
) -> Callable[Concatenate[UnitOfWork, P], R]:
    """Mark ``fn`` as a use case that changes state: committed when it returns.

    When it raises, everything its transaction did is rolled back, so a
    refused request leaves nothing half-written. Called from inside another
    use case, ``fn`` neither commits nor rolls back: the outermost use case
    does, once.
    """

    @functools.wraps(fn)
    def run(uow: UnitOfWork, /, *args: P.args, **kwargs: P.kwargs) -> R:
        uow.depth += 1
        try:
            result = fn(uow, *args, **kwargs)
        except BaseException:
            uow.depth -= 1
            if uow.depth == 0:
                uow.rollback()
            raise
        uow.depth -= 1
        if uow.depth == 0:
            uow.commit()
        return result

    return run

"""Records two finance officers sign outside any one order — balance statements and
implementing arrangements: their events read from the log, and the check that each
was signed by a finance officer appointed to sign it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select

from acsa.domain import facts as F
from acsa.domain.errors import DomainError
from acsa.domain.parties import Role
from acsa.domain.streams import stream_agreement
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from acsa.store.log import fact_of, stored


def facts_of(uow: UnitOfWork, types: Iterable[str], agreement: str | None = None
             ) -> list[F.Fact]:
    """Every event of ``types`` this node holds (under ``agreement``), oldest first."""
    rows = uow.conn.execute(select(T.events).where(T.events.c.type.in_(list(types)))
                            .order_by(T.events.c.id))
    facts = [fact_of(stored(r).signed) for r in rows]
    if agreement:
        facts = [f for f in facts if stream_agreement(f.stream) == agreement]
    return facts


def finance_officer_check(uow: UnitOfWork) -> Callable[[F.Fact], str | None]:
    """Why an event was not signed by an appointed finance officer (None when it was)."""
    return officer_check(uow, Role.FINANCE_OFFICER)


def officer_check(uow: UnitOfWork, role: Role) -> Callable[[F.Fact], str | None]:
    """Why an event was not signed by an official appointed as ``role`` (None when it was)."""
    ctx = uow.context

    def authorize(f: F.Fact) -> str | None:
        if f.actor.role is not role:
            return f"signed as {f.actor.role.value}, not {role.value}"
        try:
            ctx.roster(f.stream).authorize(
                f.actor.appointment, party=f.actor.party, user=f.actor.user,
                role=role, unit=f.actor.unit, on=f.on, position=f.seq)
        except DomainError as exc:
            return str(exc)
        return None

    return authorize

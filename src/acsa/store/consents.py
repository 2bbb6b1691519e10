"""The consent events as the log holds them: read, judged and folded (domain/consent.py).

Which grants count needs the log twice: the roster (was the signer appointed?) and
the signer's own events of the order before its grant (does the grant list exactly
them?). Both the services (reading requests) and the context every order is folded
with (a downgrade every originator granted) fold them here, the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import Connection, select

from acsa.domain import facts as F
from acsa.domain.consent import (
    CONSENT_TYPES,
    CONSENTING_ROLES,
    Consent,
    MarkingChange,
    fold_consents,
    marking_changes,
)
from acsa.domain.errors import DomainError
from acsa.domain.roster import Roster
from acsa.store import tables as T
from acsa.store.log import fact_of, stored


def own_events(conn: Connection, order: str, stream: str, before_seq: int | None = None
               ) -> list[str]:
    """The hashes of ``stream``'s events on ``order`` (before ``before_seq``), oldest first,
    leaving out events that act on several orders."""
    e, eo = T.events.c, T.event_orders.c
    query = (select(e.hash, e.type).join(T.event_orders, eo.event_id == e.id)
             .where(eo.order_number == order, e.stream == stream).order_by(e.seq))
    if before_seq is not None:
        query = query.where(e.seq < before_seq)
    return [r.hash for r in conn.execute(query) if r.type not in F.MULTI_ORDER_TYPES]


def consent_check(conn: Connection, rosters: Mapping[str, Roster]
                  ) -> Callable[[F.Fact], str | None]:
    """Why a consent event is ineffective (None when it is effective)."""

    def authorize(f: F.Fact) -> str | None:
        if f.actor.role not in CONSENTING_ROLES:
            return f"signed as {f.actor.role.value}, not security_officer or approving_official"
        try:
            rosters.get(f.stream, Roster()).authorize(
                f.actor.appointment, party=f.actor.party, user=f.actor.user,
                role=f.actor.role, unit=f.actor.unit, on=f.on, position=f.seq)
        except DomainError as exc:
            return str(exc)
        if f.type == F.CONSENT_GRANTED:
            listed = list(f.data.get("events") or [])
            if listed != own_events(conn, str(f.data.get("order")), f.stream, f.seq):
                return "the grant does not list exactly its signer's events of the order"
        return None

    return authorize


def fold(conn: Connection, rosters: Mapping[str, Roster]) -> dict[str, Consent]:
    """Every request this node holds, by its hash, with its answers."""
    rows = conn.execute(select(T.events).where(T.events.c.type.in_(CONSENT_TYPES))
                        .order_by(T.events.c.id))
    facts = [fact_of(stored(r).signed) for r in rows]
    return fold_consents(facts, consent_check(conn, rosters))


def load_marking_changes(conn: Connection, rosters: Mapping[str, Roster]
                         ) -> dict[str, MarkingChange]:
    """By order, the new marking every originator consented to."""
    return marking_changes(fold(conn, rosters).values())

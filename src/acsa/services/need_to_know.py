"""Need to know: which orders a user may read, for every read path of the node.

The rule is the domain's, once (:func:`acsa.domain.marking.may_read`): the
order released to the user's nation, and — when it is classified — a
clearance at the level the nation protects it at and an assignment to its
activity (or an agreement-wide role, which never replaces the clearance).
A user also reads only the orders their nation is a party to.

The rule depends only on an order's reader class — its agreement, activity,
parties and marking (level, originator, releasability, caveats) — and a node's
classified orders fall into few classes however many they are (four among
17,144 at a million orders). So the rule is asked once per class of the
classified orders (read from the marking index), and the orders a user may
*not* read are those of the classes refused: every list, count, total, chart,
report, export, document and evidence file excludes them (:func:`readable`,
a condition on the classes, never a list of numbers), and an aggregate counts
only what its reader may read. Both are worked out once per transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, or_, select

from acsa.domain.agreement import AgreementProfile
from acsa.domain.errors import N_, UnknownReference
from acsa.domain.marking import UNCLASSIFIED, Marking, Reader, may_read
from acsa.domain.parties import Role
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.store import tables as T

# Roles whose need to know spans every activity of their nation's agreements. They
# still need the clearance: a role never stands in for it.
AGREEMENT_WIDE_ROLES = frozenset({Role.AUDITOR, Role.SECURITY_OFFICER})


def reader_of(user: LocalUser) -> Reader:
    return Reader(party=user.party, clearance=user.clearance,
                  activities=frozenset(user.activities),
                  agreement_wide=bool(user.roles & AGREEMENT_WIDE_ROLES))


def marking_of(row: Any) -> Marking:
    """The marking an ``orders`` row is protected by."""
    if row.marking == UNCLASSIFIED or row.marking_originator is None:
        return Marking(UNCLASSIFIED, row.requester, (row.requester, row.supplier))
    return Marking(row.marking, row.marking_originator,
                   tuple(json.loads(row.marking_rel or "[]")),
                   tuple(json.loads(row.marking_caveats or "[]")))


# The columns of ``orders`` that make an order's reader class: all the rule reads.
CLASS_COLUMNS = ("profile", "activity", "requester", "supplier", "marking",
                 "marking_originator", "marking_rel", "marking_caveats")


def refused_classes(uow: UnitOfWork, user: LocalUser) -> tuple[tuple[Any, ...], ...]:
    """The reader classes (values of :data:`CLASS_COLUMNS`) of this node's classified
    orders that ``user`` may not read, in a stable order."""
    cached = uow.refused_classes.get(user.id)
    if cached is None:
        o = T.orders.c
        reader = reader_of(user)
        rows = uow.conn.execute(select(*[o[c] for c in CLASS_COLUMNS])
                                .where(_classified()).distinct())
        cached = uow.refused_classes[user.id] = tuple(sorted(
            (tuple(r) for r in rows
             if not may_read(marking_of(r), uow.context.profile(r.profile), reader,
                             r.activity)), key=repr))
    return cached


def _classified() -> Any:
    o = T.orders.c
    # Two ranges rather than "!=", which no engine reads from an index.
    return or_(o.marking < UNCLASSIFIED, o.marking > UNCLASSIFIED)


def hidden_orders(uow: UnitOfWork, user: LocalUser) -> Any:
    """The query of the numbers of the classified orders ``user`` may not read (None when
    there are none): the orders of each reader class the rule refuses them."""
    o = T.orders.c
    refused = [and_(*[o[c].is_(None) if v is None else o[c] == v
                      for c, v in zip(CLASS_COLUMNS, values, strict=True)])
               for values in refused_classes(uow, user)]
    return select(o.number).where(_classified(), or_(*refused)) if refused else None


def unreadable(uow: UnitOfWork, user: LocalUser) -> frozenset[str]:
    """The classified orders of this node that ``user`` may not read."""
    cached = uow.need_to_know.get(user.id)
    if cached is not None:
        return cached
    query = hidden_orders(uow, user)
    hidden = frozenset(str(n) for n in uow.conn.scalars(query)) if query is not None \
        else frozenset()
    uow.need_to_know[user.id] = hidden
    return hidden


def readable(uow: UnitOfWork, user: LocalUser, number: Any = None) -> Any:
    """The SQL condition on ``number`` (``orders.number`` by default) that ``user`` may
    read the order: their nation is a party to it, and need to know allows it."""
    o = T.orders.c
    number = o.number if number is None else number
    hidden = hidden_orders(uow, user)
    parties = select(o.number).where(or_(o.requester == user.party, o.supplier == user.party))
    if number is o.number:
        party = or_(o.requester == user.party, o.supplier == user.party)
    else:
        party = number.in_(parties)
    return and_(party, number.not_in(hidden)) if hidden is not None else party


def may_read_order(uow: UnitOfWork, user: LocalUser, row: Any) -> bool:
    """Whether ``user`` may read the order of this ``orders`` row."""
    return user.party in (row.requester, row.supplier) and \
        str(row.number) not in unreadable(uow, user)


def may_read_class(uow: UnitOfWork, user: LocalUser, row: Any) -> bool:
    """Whether ``user`` may read the orders of a reader class (a row of ``class_balances``
    or ``class_due``, :mod:`acsa.store.reader_totals`): the same answer
    :func:`readable` gives each of its orders."""
    if user.party not in (row.requester, row.supplier):
        return False
    if row.marking == UNCLASSIFIED:
        return True
    held = Marking(row.marking, row.originator, tuple(json.loads(row.rel or "[]")),
                   tuple(json.loads(row.caveats or "[]"))) if row.originator else \
        Marking(UNCLASSIFIED, row.requester, (row.requester, row.supplier))
    return may_read(held, uow.profile(row.profile), reader_of(user), row.activity)


def may_read_draft(uow: UnitOfWork, user: LocalUser, profile: AgreementProfile | None,
                   terms: dict[str, Any]) -> bool:
    """Whether ``user`` may read a draft kept on this node for an agreement of ``profile``:
    its marking, as this node's party gives it, released to every party of the agreement,
    read by the same rule as an order's (no profile: only an unclassified draft)."""
    marking = terms.get("marking")
    level = marking.get("level") if isinstance(marking, dict) else None
    if not isinstance(level, str) or not level or level == UNCLASSIFIED:
        return True
    if profile is None:
        return False
    caveats = marking.get("caveats") if isinstance(marking, dict) else None
    held = Marking(level, uow.node.party, tuple(sorted(profile.party_codes)),
                   tuple(str(c) for c in caveats) if isinstance(caveats, list) else ())
    activity = terms.get("activity")
    return may_read(held, profile, reader_of(user), activity if isinstance(activity, str)
                    else None)


def require_readable(uow: UnitOfWork, user: LocalUser, numbers: Iterable[str], *,
                     field: str = "order") -> None:
    """Refuse an act on an order ``user`` may not read: it is not admitted to exist, so the
    refusal is the one an unknown number gets (``unknown_reference``)."""
    hidden = unreadable(uow, user)
    for number in numbers:
        if number in hidden:
            raise UnknownReference(
                N_("no order %(number)s on this node"),
                field=field, number=number,
            )


def log_target(uow: UnitOfWork, user: LocalUser, target: str) -> str:
    """An access-log line's target as ``user`` may read it.

    A line names the order first (then, when it is classified, its marking in
    brackets, then what was opened). Of an order ``user`` may not read, only the
    marking is shown: that a classified record was opened, not which, nor what of it.
    """
    number, _, rest = target.partition(" ")
    if number not in unreadable(uow, user):
        return target
    marking, bracket, _ = rest.partition("]")
    return marking + bracket if rest.startswith("[") and bracket else "[classified]"

"""Totals per reader class: the balances and the amounts due, summed by what need to know
decides on, kept with the projections.

Whether a user may read an order depends on the order's parties and, when it
is classified, on its marking (level, originator, release, caveats), its
profile and its activity (:mod:`acsa.services.need_to_know`); an unclassified
order is read by every user of its two parties. That tuple is the order's
*reader class*, and there are few of them, whatever the number of orders. The
tables ``class_balances`` and ``class_due`` hold the balances and the due
amounts summed per class, so that a reader's totals are a sum over the few
classes they may read instead of over every posting or due item.

Kept in the transaction that writes the postings and due items
(:func:`adjust_class_totals`, beside the balances' upsert), built from the
projection tables by :func:`build_class_totals` (``acsa rebuild``, migration
0015), and compared with the log by ``acsa verify``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Delete,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
)

from acsa.domain.marking import UNCLASSIFIED
from acsa.store import tables as T

CLASS_COLUMNS = ("requester", "supplier", "marking", "originator", "rel", "caveats",
                 "profile", "activity")
CLASS_TABLES = (T.class_balances, T.class_due)
BALANCE_KEY = (*CLASS_COLUMNS, "debtor", "creditor", "currency", "account")
DUE_KEY = (*CLASS_COLUMNS, "acts", "debtor", "creditor", "currency", "ref_on")

Class = tuple[str, ...]


def reader_class(order: Mapping[str, Any]) -> Class:
    """The reader class of an ``orders`` row (as :data:`CLASS_COLUMNS`)."""
    if order["marking"] == UNCLASSIFIED:
        return (order["requester"], order["supplier"], UNCLASSIFIED, "", "", "", "", "")
    return (order["requester"], order["supplier"], order["marking"],
            order["marking_originator"] or "", order["marking_rel"] or "",
            order["marking_caveats"] or "", order["profile"] or "", order["activity"] or "")


def owing(kind: str, debtor: str, creditor: str) -> tuple[str, str]:
    """Who owes a due item's amount to whom. An uninvoiced delivery is the supplier's to
    act on (its ``debtor``, whose time zone ages it) but its money is owed by the
    requester: a report that said the supplier owes it would turn a receivable into a
    payable."""
    return (creditor, debtor) if kind == "uninvoiced" else (debtor, creditor)


# -- kept with the write path ---------------------------------------------------------


Sums = dict[tuple[Any, ...], list[int]]


def adjust_class_totals(conn: Connection, done: Mapping[str, Any],
                        old: Mapping[str, Sequence[Mapping[str, Any]]],
                        new: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """Move the class totals by what one write changed: ``done`` the changes written
    (:func:`acsa.store.row_changes.write_changes`), ``old`` and ``new`` the orders' rows
    before and after. An order whose class changed (a new marking, say) moves its every
    posting and due item, as stored now, from its old class to its new one."""
    before = {r["number"]: reader_class(r) for r in old.get(T.orders.name, ())}
    after = {r["number"]: reader_class(r) for r in new.get(T.orders.name, ())}
    moved = sorted(n for n in before.keys() & after.keys() if before[n] != after[n])
    postings, due = done[T.postings.name], done[T.due_items.name]
    named = {r["order_number"] for c in (postings, due) for r in (*c.gone, *c.inserted)}
    stored = _stored_classes(conn, named - before.keys() - after.keys())
    was = {**stored, **after, **before}
    now = {**stored, **before, **after}
    skip = frozenset(moved)
    balances: Sums = defaultdict(lambda: [0])
    dues: Sums = defaultdict(lambda: [0, 0])
    for rows, classes, sign in ((postings.gone, was, -1), (postings.inserted, now, 1)):
        _add_postings(balances, rows, classes, sign, skip=skip)
    for rows, classes, sign in ((due.gone, was, -1), (due.inserted, now, 1)):
        _add_due(dues, rows, classes, sign, skip=skip)
    if moved:
        # The rows stored now are the new ones; the old ones are those less what came
        # plus what went.
        for table, add, c in ((T.postings, _add_postings, postings), (T.due_items, _add_due,
                                                                     due)):
            sums = balances if table is T.postings else dues
            held = [dict(r) for r in conn.execute(
                select(table).where(table.c.order_number.in_(moved))).mappings()]
            add(sums, held, after, 1)
            add(sums, held, before, -1)
            add(sums, c.inserted, before, 1, only=skip)
            add(sums, c.gone, before, -1, only=skip)
    _write(conn, T.class_balances, BALANCE_KEY, ("balance_minor",), balances)
    _write(conn, T.class_due, DUE_KEY, ("amount_minor", "items"), dues)


def _stored_classes(conn: Connection, numbers: Iterable[str]) -> dict[str, Class]:
    wanted = sorted(numbers)
    if not wanted:
        return {}
    o = T.orders.c
    rows = conn.execute(select(o.number, o.requester, o.supplier, o.marking,
                               o.marking_originator, o.marking_rel, o.marking_caveats,
                               o.profile, o.activity).where(o.number.in_(wanted))).mappings()
    return {r["number"]: reader_class(dict(r)) for r in rows}


def _add_postings(sums: Sums, rows: Iterable[Mapping[str, Any]], classes: Mapping[str, Class],
                  sign: int, *, skip: frozenset[str] = frozenset(),
                  only: frozenset[str] | None = None) -> None:
    for p in rows:
        n = p["order_number"]
        cls = classes.get(n)
        if cls is None or n in skip or (only is not None and n not in only):
            continue  # an order without its row is read by nobody
        key = (*cls, p["debtor"], p["creditor"], p["currency"])
        sums[(*key, p["debit"])][0] += sign * p["amount_minor"]
        sums[(*key, p["credit"])][0] -= sign * p["amount_minor"]


def _add_due(sums: Sums, rows: Iterable[Mapping[str, Any]], classes: Mapping[str, Class],
             sign: int, *, skip: frozenset[str] = frozenset(),
             only: frozenset[str] | None = None) -> None:
    for d in rows:
        n = d["order_number"]
        cls = classes.get(n)
        if cls is None or n in skip or (only is not None and n not in only) \
                or not d["currency"]:
            continue  # items without an amount are in no total
        ref_on: date = d["due_on"] if d["due_on"] is not None else d["since"]
        key = (*cls, d["debtor"], *owing(d["kind"], d["debtor"], d["creditor"]),
               d["currency"], ref_on)
        sums[key][0] += sign * (d["amount_minor"] or 0)
        sums[key][1] += sign


def _write(conn: Connection, table: Any, key: Sequence[str], values: Sequence[str],
           sums: Sums) -> None:
    """Add ``sums`` to ``table`` (one upsert), then delete the rows the change emptied."""
    moved = sorted((k for k, v in sums.items() if any(v)), key=repr)
    if not moved:
        return
    conn.execute(_upsert(conn.dialect.name, table, key, values), [
        {**dict(zip(key, k, strict=True)), **dict(zip(values, sums[k], strict=True))}
        for k in moved])
    conn.execute(_delete_empty(table, key, values[-1]),
                 [{f"k_{c}": v for c, v in zip(key, k, strict=True)} for k in moved])


@lru_cache(maxsize=8)
def _upsert(dialect: str, table: Any, key: tuple[str, ...], values: tuple[str, ...]) -> Any:
    """INSERT … ON CONFLICT DO UPDATE adding to ``values``, in the engine's dialect."""
    if dialect == "postgresql":
        # Imported here: the PostgreSQL dialect is loaded only where it is the engine's.
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(table)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table)
    return stmt.on_conflict_do_update(
        index_elements=list(key), set_={v: table.c[v] + stmt.excluded[v] for v in values})


@lru_cache(maxsize=8)
def _delete_empty(table: Any, key: tuple[str, ...], count: str) -> Delete:
    """A row back at zero is no row, as a build never writes it."""
    return delete(table).where(and_(*(table.c[k] == bindparam(f"k_{k}") for k in key)),
                               table.c[count] == 0)


# -- built from the projection tables ------------------------------------------------------


def build_class_totals(conn: Connection) -> None:
    """Both tables summed again from ``postings`` and ``due_items`` and the orders' rows
    (in the database, one statement each; grouped over a subquery's columns, so that
    PostgreSQL sees the same expressions in the select list and the grouping)."""
    for table in CLASS_TABLES:
        conn.execute(delete(table))
    o, p, d = T.orders.c, T.postings.c, T.due_items.c
    sides = union_all(
        select(p.order_number, p.debtor, p.creditor, p.currency, p.debit.label("account"),
               p.amount_minor.label("minor")),
        select(p.order_number, p.debtor, p.creditor, p.currency, p.credit.label("account"),
               (-p.amount_minor).label("minor")),
    ).subquery()
    rows = select(*_class_of(o), sides.c.debtor, sides.c.creditor, sides.c.currency,
                  sides.c.account, sides.c.minor) \
        .join_from(sides, T.orders, o.number == sides.c.order_number).subquery()
    keys = [rows.c[k] for k in BALANCE_KEY]
    total = func.sum(rows.c.minor)
    conn.execute(insert(T.class_balances).from_select(
        [*BALANCE_KEY, "balance_minor"],
        select(*keys, total).group_by(*keys).having(total != 0)))
    uninvoiced = d.kind == "uninvoiced"
    rows = select(*_class_of(o), d.debtor.label("acts"),
                  case((uninvoiced, d.creditor), else_=d.debtor).label("debtor"),
                  case((uninvoiced, d.debtor), else_=d.creditor).label("creditor"),
                  d.currency, func.coalesce(d.due_on, d.since).label("ref_on"),
                  func.coalesce(d.amount_minor, 0).label("minor")) \
        .join_from(T.due_items, T.orders, o.number == d.order_number) \
        .where(d.currency.is_not(None), d.currency != "").subquery()
    keys = [rows.c[k] for k in DUE_KEY]
    conn.execute(insert(T.class_due).from_select(
        [*DUE_KEY, "amount_minor", "items"],
        select(*keys, func.sum(rows.c.minor), func.count()).group_by(*keys)))


def _class_of(o: Any) -> tuple[Any, ...]:
    """:func:`reader_class` as SQL over ``orders`` columns ``o``, labelled as
    :data:`CLASS_COLUMNS`."""
    classified = o.marking != UNCLASSIFIED

    def part(column: Any) -> Any:
        return case((classified, func.coalesce(column, "")), else_=literal(""))

    return (o.requester.label("requester"), o.supplier.label("supplier"),
            o.marking.label("marking"), part(o.marking_originator).label("originator"),
            part(o.marking_rel).label("rel"), part(o.marking_caveats).label("caveats"),
            part(o.profile).label("profile"), part(o.activity).label("activity"))

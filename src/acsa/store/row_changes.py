"""Writing projection rows as changes: only the rows that differ are written.

A projection table of orders is given the rows a fold derived *before* and
*after* (or the rows stored and the rows a fresh fold derives): a row whose
values are the same is left alone; a row that is new is inserted, one that
is gone is deleted, one that changed is updated — each kind as one batched
statement (``executemany``) per table. So an act that changes an order's
status and adds a verdict writes one UPDATE and one INSERT, not the order's
every row again.

A table is matched by its primary key. A table keyed by a surrogate id
(``postings``, ``due_items``) has no key within an order: its rows of an
order are compared as a whole and, when they differ, replaced. Every table
names its order in ``order_number`` (``orders`` in ``number``).

Statements are built and compiled once per table and set of columns, and run
below SQLAlchemy's compiler (:mod:`acsa.store.prepared`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Table,
    and_,
    bindparam,
    delete,
    select,
    update,
)

from acsa.store.prepared import Prepared

Rows = Mapping[str, Sequence[Mapping[str, Any]]]


@cache
def natural_key(table: Table) -> tuple[str, ...] | None:
    """The columns that tell one row from another, or ``None`` for a surrogate id."""
    key = tuple(c.name for c in table.primary_key.columns)
    return None if key == ("id",) else key


def order_column(table: Table) -> Column[Any]:
    return table.c.number if table.name == "orders" else table.c.order_number


def stored_columns(table: Table) -> list[Column[Any]]:
    """The columns a fold derives: all but a surrogate id."""
    return [c for c in table.columns if not (natural_key(table) is None and c.name == "id")]


def read_rows(conn: Connection, tables: Iterable[Table], orders: Iterable[str]
              ) -> dict[str, list[dict[str, Any]]]:
    """The stored rows of ``orders`` in each table, as the fold's rows are given."""
    wanted = sorted(set(orders))
    out: dict[str, list[dict[str, Any]]] = {}
    for table in tables:
        out[table.name] = [] if not wanted else [
            dict(r) for r in conn.execute(
                select(*stored_columns(table)).where(order_column(table).in_(wanted))
            ).mappings()
        ]
    return out


@dataclass
class Changes:
    """What one table's rows need: deleted (by key), updated (changed columns), inserted."""

    deleted: list[dict[str, Any]] = field(default_factory=list)
    updated: dict[tuple[str, ...], list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list))
    inserted: list[dict[str, Any]] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # orders whose rows all go (no key)
    gone: list[Mapping[str, Any]] = field(default_factory=list)  # old rows deleted or replaced


def changes(table: Table, old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
            ) -> Changes:
    """The difference between ``old`` and ``new`` rows of ``table``."""
    key = natural_key(table)
    return _by_key(key, old, new) if key is not None else _by_order(table, old, new)


def _by_key(key: tuple[str, ...], old: Sequence[Mapping[str, Any]],
            new: Sequence[Mapping[str, Any]]) -> Changes:
    out = Changes()
    before = {tuple(r[k] for k in key): r for r in old}
    for row in new:
        was = before.pop(tuple(row[c] for c in key), None)
        if was is None:
            out.inserted.append(dict(row))
            continue
        changed = tuple(c for c in row if c not in key and row[c] != was.get(c))
        if changed:
            values = {f"v_{c}": row[c] for c in changed}
            values.update({f"k_{c}": row[c] for c in key})
            out.updated[changed].append(values)
    for k, was in before.items():
        out.deleted.append({f"k_{c}": v for c, v in zip(key, k, strict=True)})
        out.gone.append(was)
    return out


def _by_order(table: Table, old: Sequence[Mapping[str, Any]],
              new: Sequence[Mapping[str, Any]]) -> Changes:
    """Rows without a key: an order's rows are replaced whole when they differ."""
    out = Changes()
    by_order = order_column(table).name
    old_of: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    new_of: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in old:
        old_of[r[by_order]].append(r)
    for r in new:
        new_of[r[by_order]].append(r)
    for number in sorted(old_of.keys() | new_of.keys()):
        was, now = old_of.get(number, []), new_of.get(number, [])
        if _bag(was, now) != _bag(now, now):
            if was:
                out.replaced.append(number)
                out.gone.extend(was)
            out.inserted.extend(dict(r) for r in now)
    return out


def _bag(rows: Sequence[Mapping[str, Any]], like: Sequence[Mapping[str, Any]]
         ) -> Counter[tuple[Any, ...]]:
    """Rows as a multiset, on the columns the fold's rows have."""
    columns = list(like[0]) if like else sorted({c for r in rows for c in r})
    return Counter(tuple(r.get(c) for c in columns) for r in rows)


def write_changes(conn: Connection, tables: Sequence[Table], old: Rows, new: Rows
                  ) -> dict[str, Changes]:
    """Write what differs between ``old`` and ``new`` rows, table by table; returns it.

    ``tables`` are in the order of their foreign keys (a parent before its
    children): deletions run from the last table to the first, insertions
    from the first to the last.
    """
    found = {t.name: changes(t, old.get(t.name, ()), new.get(t.name, ())) for t in tables}
    for table in reversed(tables):
        c = found[table.name]
        if c.deleted:
            _delete_by_key(table).run(conn, c.deleted)
        if c.replaced:
            conn.execute(delete(table).where(order_column(table).in_(c.replaced)))
    for table in tables:
        c = found[table.name]
        for columns, values in c.updated.items():
            _update(table, columns).run(conn, values)
    for table in tables:
        c = found[table.name]
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for row in c.inserted:
            by_columns[tuple(row)].append(row)
        for columns, rows in by_columns.items():
            _insert(table, columns).run(conn, rows)
    return found


@lru_cache(maxsize=256)
def _insert(table: Table, columns: tuple[str, ...]) -> Prepared:
    return Prepared(table.insert, columns)


@lru_cache(maxsize=256)
def _update(table: Table, columns: tuple[str, ...]) -> Prepared:
    key = natural_key(table)
    assert key is not None
    return Prepared(lambda: update(table)
                    .where(and_(*(table.c[k] == bindparam(f"k_{k}") for k in key)))
                    .values({c: bindparam(f"v_{c}") for c in columns}))


@lru_cache(maxsize=64)
def _delete_by_key(table: Table) -> Prepared:
    key = natural_key(table)
    assert key is not None
    return Prepared(lambda: delete(table)
                    .where(and_(*(table.c[k] == bindparam(f"k_{k}") for k in key))))

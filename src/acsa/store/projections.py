"""Projections: what the log's fold derives, written in the event's own transaction.

An order has few events, so its projection is simply re-folded from all of
them whenever one arrives (with the orders a payment, exchange or offset
links it to). Context events — the agreement profile, appointments, units,
activities, rates, catalogue prices — update their own small tables.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from acsa.domain import facts as F
from acsa.domain.aging import due_items as order_due_items
from acsa.domain.agreement import AgreementProfile, profile_from_document
from acsa.domain.consent import CONSENT_TYPES
from acsa.domain.figures import (
    completed_statuses,
    delivered,
    in_kind_due_on,
    owed_in_kind,
    received,
    status,
)
from acsa.domain.interpret import Context, Trail, interpret_orders
from acsa.domain.ledger import event_postings, order_entries, trail_postings
from acsa.domain.marking import UNCLASSIFIED, Marking
from acsa.domain.parties import Role, Side
from acsa.domain.postings import Posting
from acsa.domain.roster import Appointment, Roster
from acsa.domain.rules import Status
from acsa.domain.state import OrderState
from acsa.domain.streams import stream_agreement
from acsa.domain.worklist import open_tasks
from acsa.store import tables as T
from acsa.store.consents import load_marking_changes
from acsa.store.digests import NO_DIGEST, Digested, write_order_digests
from acsa.store.log import linked_orders, order_facts
from acsa.store.prepared import Prepared
from acsa.store.reader_totals import adjust_class_totals
from acsa.store.row_changes import Changes, order_column, read_rows, write_changes

CONTEXT_TYPES = (
    F.AGREEMENT_ADOPTED, F.APPOINTMENT_GRANTED, F.APPOINTMENT_REVOKED, F.UNIT_REGISTERED,
    F.ACTIVITY_REGISTERED, F.RATE_RECORDED, F.CATALOGUE_PRICE_SET,
)


@lru_cache(maxsize=64)
def parse_profile(document: str, source: str) -> AgreementProfile:
    """A stored profile document, parsed once: a digest's content never changes."""
    return profile_from_document(json.loads(document), source)


def context_stamp(conn: Connection) -> tuple[int, int]:
    """Changes whenever an event that feeds the context arrives (or the projections change)."""
    row = conn.execute(
        select(func.max(T.events.c.id), func.count(T.appointments.c.id))
        .select_from(T.events)
        .join(T.appointments, T.appointments.c.id == T.events.c.hash, isouter=True)
        .where(T.events.c.type.in_((*CONTEXT_TYPES, *CONSENT_TYPES)))
    ).one()
    return (row[0] or 0, row[1] or 0)


def load_context(conn: Connection) -> Context:
    """Every known profile (by digest), every stream's roster, and the new markings of
    orders whose originators all consented to one."""
    profiles: dict[str, AgreementProfile] = {}
    for row in conn.execute(select(T.agreements)):
        profiles[row.digest] = parse_profile(row.document, row.id)
    by_stream: dict[str, list[Appointment]] = defaultdict(list)
    for row in conn.execute(select(T.appointments)):
        by_stream[row.stream].append(appointment_of(row))
    rosters = {s: Roster.of(a) for s, a in by_stream.items()}
    return Context(profiles=profiles, rosters=rosters,
                   markings=load_marking_changes(conn, rosters))


def load_agreements(conn: Connection) -> tuple[Any, ...]:
    """Every row of the agreements table, kept with the context."""
    return tuple(conn.execute(select(T.agreements)).all())


def appointment_of(row: Any) -> Appointment:
    limits = json.loads(row.limits) if row.limits else None
    return Appointment(
        id=row.id, party=row.party, user=row.user_id, name=row.name, role=Role(row.role),
        valid_from=row.valid_from, valid_to=row.valid_to,
        units=frozenset(json.loads(row.units)), limits=limits,
        granted_at=row.granted_at, revoked_at=row.revoked_at,
    )


# -- orders --------------------------------------------------------------------------


def refresh_orders(conn: Connection, orders: Iterable[str], ctx: Context) -> dict[str, OrderState]:
    """Re-fold ``orders`` (and the orders linked to them) and write what changed in their
    projections: the rows stored are compared with the fold's, table by table, and only
    the rows that differ are written (every order in one batch per table)."""
    return {n: state for n, (_, state, _) in refold_orders(conn, orders, ctx).items()}


def refold_orders(conn: Connection, orders: Iterable[str], ctx: Context
                  ) -> dict[str, tuple[list[F.Fact], OrderState, Digested | None]]:
    """:func:`refresh_orders`, giving each order with the facts it was folded from (its
    own and its linked orders') and what its digest now holds (``None`` where it was not
    written)."""
    wanted = linked_orders(conn, orders)
    facts = order_facts(conn, wanted)  # ``wanted`` is closed under links already
    heads: dict[str, str] = {}
    for fact in facts:
        for o in fact.orders():
            heads[o] = fact.hash  # arrival order: the last one wins
    states = interpret_orders(facts, ctx, wanted)
    shown = completed_statuses(states, ctx.profiles)  # every linked order is among them
    rows = OrderRows()
    grouped = _group_facts(facts, states)
    for number, group_facts in grouped.items():
        order_rows(states[number], group_facts, ctx, heads.get(number, ""), rows,
                   shown=shown.get(number))
    digests = write_rows(conn, read_rows(conn, ORDER_TABLES, states), rows.tables,
                         complete=True)
    return {n: (grouped[n], state, digests.get(n)) for n, state in states.items()}


def _group_facts(facts: Sequence[F.Fact], orders: Iterable[str]) -> dict[str, list[F.Fact]]:
    """For each of ``orders``, the facts of its group of linked orders (in arrival order):
    what its postings are derived from, without every other order's facts."""
    links = _Links()
    by_order: dict[str, list[F.Fact]] = defaultdict(list)
    for fact in facts:
        named = fact.orders()
        for o in named:
            by_order[o].append(fact)
        links.join(named)
    position = {f.hash: i for i, f in enumerate(facts)}
    groups: dict[str, list[F.Fact]] = {}
    for group in links.groups(by_order):
        merged = by_order[group[0]] if len(group) == 1 else sorted(
            {f.hash: f for o in group for f in by_order[o]}.values(),
            key=lambda f: position[f.hash])
        for o in group:
            groups[o] = merged
    return {o: groups.get(o, []) for o in orders}


def lock_orders(conn: Connection, numbers: Iterable[str]) -> None:
    """Lock the projection rows of ``numbers`` for this transaction (PostgreSQL; SQLite's
    writer holds the whole database), always in the same order so that two writers never
    wait on each other."""
    if conn.dialect.name != "postgresql":
        return
    wanted = sorted(set(numbers))
    if wanted:
        conn.execute(select(T.orders.c.number).where(T.orders.c.number.in_(wanted))
                     .order_by(T.orders.c.number).with_for_update()).all()


def _adjust_balances(conn: Connection, rows: Iterable[Mapping[str, Any]], *, sign: int) -> None:
    """Add postings (``sign`` 1) to the balances or take them away (-1): one upsert of
    every account touched, then the balances back at zero go, as a rebuild never writes
    them."""
    deltas: dict[tuple[str, str, str, str], int] = defaultdict(int)
    for p in rows:
        deltas[(p["debtor"], p["creditor"], p["currency"], p["debit"])] += sign * p["amount_minor"]
        deltas[(p["debtor"], p["creditor"], p["currency"], p["credit"])] -= sign * p["amount_minor"]
    moved = [dict(zip(BALANCE_KEY, k, strict=True)) for k in sorted(deltas) if deltas[k] != 0]
    if not moved:
        return
    _BALANCE_UPSERT[conn.dialect.name].run(conn, [
        {**k, "balance_minor": deltas[(k["debtor"], k["creditor"], k["currency"], k["account"])]}
        for k in moved])
    _BALANCE_AT_ZERO.run(conn, moved)


def _balance_upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE adding to the balance, in the engine's dialect."""
    if dialect == "postgresql":
        # Imported here: the PostgreSQL dialect is loaded only where it is the engine's.
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg = pg_insert(T.balances)
        return pg.on_conflict_do_update(
            index_elements=BALANCE_KEY,
            set_={"balance_minor": T.balances.c.balance_minor + pg.excluded.balance_minor})
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    lite = sqlite_insert(T.balances)
    return lite.on_conflict_do_update(
        index_elements=BALANCE_KEY,
        set_={"balance_minor": T.balances.c.balance_minor + lite.excluded.balance_minor})


BALANCE_KEY = ("debtor", "creditor", "currency", "account")
_BALANCE_UPSERT = {d: Prepared(lambda d=d: _balance_upsert(d),  # type: ignore[misc]
                               (*BALANCE_KEY, "balance_minor"))
                   for d in ("sqlite", "postgresql")}
_BALANCE_AT_ZERO = Prepared(lambda: delete(T.balances).where(
    T.balances.c.balance_minor == 0,
    *(T.balances.c[k] == bindparam(k) for k in BALANCE_KEY)))


# Insertion order respects the foreign key of order lines.
ORDER_TABLES = (T.orders, T.order_lines, T.verdicts, T.postings, T.in_kind, T.due_items,
                T.order_tasks)


@dataclass
class OrderRows:
    """The projection rows of one or more orders, by table."""

    tables: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {t.name: [] for t in ORDER_TABLES}
    )

    def add(self, table: Any, rows: Iterable[dict[str, Any]]) -> None:
        self.tables[table.name].extend(rows)


def order_rows(state: OrderState, facts: Sequence[F.Fact], ctx: Context, head: str,
               out: OrderRows | None = None, *,
               postings: Sequence[Posting] | None = None,
               shown: Status | None = None) -> OrderRows:
    """Every projection row the fold of one order derives.

    ``postings``, when given, are the only postings written (those of the
    newest event, the others being in place already); otherwise every posting
    of the order is derived by replaying its effective events. ``shown`` is the
    status completed across the order's exchanges (its own status otherwise).
    """
    out = out or OrderRows()
    out.add(T.verdicts, [
        {"order_number": state.number, "event_hash": v.event, "position": i,
         "effective": v.effective, "code": v.code, "reason": v.reason, "note": v.note}
        for i, v in enumerate(state.verdicts)
    ])
    if state.terms is None:
        # Only ineffective events so far (say, a forged root): their verdicts are kept.
        return out
    profile = ctx.profile(state.profile)
    terms = state.terms
    out.add(T.orders, [order_row(state, profile, head, shown)])
    out.add(T.order_lines, [
        {
            "order_number": state.number, "no": ln.no, "category": ln.category,
            "description": ln.description, "nsn": ln.nsn, "quantity": str(ln.quantity),
            "unit": ln.unit, "unit_price": str(ln.unit_price),
            "delivered": str(delivered(state, ln.no)), "received": str(received(state, ln.no)),
        }
        for ln in terms.lines
    ])
    if postings is None:
        postings, _ = order_entries(state, list(facts), ctx)
    if postings:
        dates = {f.hash: f.on for f in facts}
        out.add(T.postings, [posting_row(p, dates[p.event]) for p in postings])
    if terms.method in ("rik", "eve"):
        due = in_kind_due_on(state, profile)
        out.add(T.in_kind, [
            {"order_number": state.number, "line": ln.no, "item": ln.description,
             "unit": ln.unit, "owed": str(q), "due_on": due}
            for ln in terms.lines
            if (q := owed_in_kind(state, ln.no, profile)) != 0
        ])
    out.add(T.due_items, [
        {
            "order_number": i.order, "kind": i.kind, "reference": i.reference,
            "debtor": i.debtor, "creditor": i.creditor, "since": i.since,
            "due_on": i.due_on, "currency": i.amount.currency if i.amount else None,
            "amount_minor": i.amount.minor if i.amount else None,
        }
        for i in order_due_items(state, profile)
    ])
    sides = {Side.REQUESTER: terms.requester, Side.SUPPLIER: terms.supplier}
    out.add(T.order_tasks, [
        {"order_number": state.number, "task": t.task, "party": sides[t.side],
         "due_on": t.due_on}
        for t in open_tasks(state, profile)
    ])
    return out


def insert_rows(conn: Connection, rows: OrderRows) -> None:
    for table in ORDER_TABLES:
        batch = rows.tables[table.name]
        if batch:
            conn.execute(insert(table), batch)


def write_rows(conn: Connection, old: Mapping[str, Sequence[Mapping[str, Any]]],
               new: Mapping[str, Sequence[Mapping[str, Any]]], *, complete: bool = False,
               known: Mapping[str, Digested | None] | None = None) -> dict[str, Digested]:
    """Write what differs between the ``old`` and ``new`` rows of the order tables, move the
    balances by the postings that went and came, and keep the digests of the orders whose
    digested rows changed (``complete``: ``new`` holds every posting of its orders;
    ``known``: what their digests held before, when the caller kept it). Returns what
    those digests now hold."""
    done = write_changes(conn, ORDER_TABLES, old, new)
    postings = done[T.postings.name]
    _adjust_balances(conn, postings.gone, sign=-1)
    _adjust_balances(conn, postings.inserted, sign=1)
    adjust_class_totals(conn, done, old, new)
    changed = _digested(done)
    if not changed:
        return {}
    return write_order_digests(conn, changed, new, known=known, added=postings.inserted,
                               removed=postings.gone, complete=complete)


# The tables an order's reconciliation digest is made from (acsa.store.digests).
DIGESTED = (T.orders, T.order_lines, T.verdicts, T.postings)


def _digested(done: Mapping[str, Changes]) -> set[str]:
    """The orders whose digest may have changed: those with a row written in a table the
    digest is made from."""
    out: set[str] = set()
    for table in DIGESTED:
        c, column = done[table.name], order_column(table).name
        out.update(r[column] for r in (*c.inserted, *c.gone))
        out.update(r[f"k_{column}"] for r in c.deleted)
        out.update(v[f"k_{column}"] for values in c.updated.values() for v in values)
        out.update(c.replaced)
    return out


def write_order_after(conn: Connection, before: OrderState, before_head: str | None,
                      after: OrderState, fact: F.Fact, ctx: Context,
                      digested: Digested | None = None) -> Digested | None:
    """Write what one more effective event changed in an order's projection.

    The rows stored are those the fold derived ``before`` (the projections
    equal a fresh fold), so only the rows that differ from the fold ``after``
    are written; the postings are the event's own, added (nothing else is
    replayed). ``digested`` is what the order's digest held before, if the
    caller kept it (an order without terms has none); returns what it holds after,
    or ``None`` when unknown.
    """
    old = order_rows(before, (), ctx, before_head or "", postings=())
    new = order_rows(after, [fact], ctx, fact.hash,
                     postings=event_postings(before, after, fact, ctx))
    old.tables[T.postings.name] = []
    if digested is None and before.terms is None:
        digested = NO_DIGEST
    done = write_rows(conn, old.tables, new.tables, known={before.number: digested})
    return done.get(before.number, digested)


def rebuild_orders(conn: Connection, ctx: Context, batch_orders: int = 2_000,
                   batch_rows_max: int = 20_000, *, fold: Fold | None = None) -> int:
    """Derive every order's projection from the log, one batch of orders at a time; returns
    the count.

    Memory is bounded by a batch, not by the log: the orders are taken
    ``batch_orders`` at a time in the order of their numbers, each batch with
    the orders linked to it by multi-order events (folded together); a group
    of linked orders is written by the batch that holds its first order. The
    balances are summed from all postings at the end.

    ``fold`` turns the batches into their rows, in the same order; by default
    each is folded here (:func:`fold_batch`), and a caller may fold them in
    other processes, each reading the log through its own connection. The
    rows are written here, in the order of the batches, whatever folded them.
    """
    if fold is None:
        def fold(batches: Iterable[list[str]]) -> Iterator[BatchRows]:
            return (fold_batch(conn, ctx, b, batch_rows_max) for b in batches)
    totals: dict[tuple[str, str, str, str], int] = defaultdict(int)
    count = 0
    for chunks, n in fold(order_batches(conn, batch_orders)):
        count += n
        for rows in chunks:
            _flush(conn, rows, totals)
    balances = [
        {"debtor": d, "creditor": c, "currency": cur, "account": a, "balance_minor": v}
        for (d, c, cur, a), v in sorted(totals.items()) if v != 0
    ]
    if balances:
        conn.execute(insert(T.balances), balances)
    return count


# The rows of a batch, in chunks of bounded size, and the number of orders folded.
BatchRows = tuple[list["OrderRows"], int]
Fold = Callable[[Iterable[list[str]]], Iterator[BatchRows]]


def order_batches(conn: Connection, batch_orders: int) -> Iterator[list[str]]:
    """Every order number of the log, ``batch_orders`` at a time, in byte order."""
    # Compared byte by byte on both engines (as Python compares strings), whatever the
    # database's collation.
    number = T.event_orders.c.order_number.collate(
        "C" if conn.dialect.name == "postgresql" else "BINARY")
    after: str | None = None
    while True:
        query = select(number).distinct().order_by(number)
        if after is not None:
            query = query.where(number > after)
        batch = list(conn.scalars(query.limit(batch_orders)))
        if not batch:
            return
        yield batch
        after = batch[-1]


def fold_batch(conn: Connection, ctx: Context, batch: list[str],
               batch_rows_max: int = 20_000) -> BatchRows:
    """Fold the groups of linked orders whose first order is in ``batch``; their rows (in
    chunks of about ``batch_rows_max``) and their count. Reads the log, writes nothing."""
    first = batch[0]
    by_order: dict[str, list[F.Fact]] = defaultdict(list)
    heads: dict[str, str] = {}
    links = _Links()
    for fact in order_facts(conn, linked_orders(conn, batch)):
        named = fact.orders()
        for o in named:
            by_order[o].append(fact)
            heads[o] = fact.hash
        links.join(named)
    chunks = [OrderRows()]
    count = 0
    for group in links.groups(by_order):
        if group[0] < first:
            continue  # an earlier batch held its first order and wrote it
        count += len(group)
        facts = list({f.hash: f for o in group for f in by_order[o]}.values())
        trails: dict[str, Trail] = {}
        states = interpret_orders(facts, ctx, group, trails)
        shown = completed_statuses(states, ctx.profiles)
        rows = chunks[-1]
        for number, state in states.items():
            # The postings come from the fold's own trail: no event is applied again.
            order_rows(state, facts, ctx, heads.get(number, ""), rows, shown=shown.get(number),
                       postings=trail_postings(trails[number], ctx))
        if sum(len(v) for v in rows.tables.values()) >= batch_rows_max:
            chunks.append(OrderRows())
    return chunks, count


def _flush(conn: Connection, rows: OrderRows,
           totals: dict[tuple[str, str, str, str], int]) -> None:
    insert_rows(conn, rows)
    for p in rows.tables["postings"]:
        totals[(p["debtor"], p["creditor"], p["currency"], p["debit"])] += p["amount_minor"]
        totals[(p["debtor"], p["creditor"], p["currency"], p["credit"])] -= p["amount_minor"]


class _Links:
    """Orders joined by multi-order events, as disjoint sets."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, orders: Iterable[str]) -> None:
        orders = list(orders)
        for o in orders[1:]:
            self.parent[self.find(o)] = self.find(orders[0])
        if orders:
            self.find(orders[0])

    def groups(self, members: Iterable[str]) -> list[list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for m in members:
            out[self.find(m)].append(m)
        return [sorted(g) for _, g in sorted(out.items())]


def posting_row(p: Any, on: date) -> dict[str, Any]:
    return {
        "order_number": p.order, "event_hash": p.event, "on": on, "debtor": p.debit.debtor,
        "creditor": p.debit.creditor, "currency": p.amount.currency,
        "debit": p.debit.kind.value, "credit": p.credit.kind.value, "amount_minor": p.amount.minor,
    }


def marking_columns(marking: Marking | None) -> dict[str, Any]:
    """The ``orders`` columns of the marking an order is protected by."""
    if marking is None:
        return {"marking": UNCLASSIFIED, "marking_originator": None, "marking_rel": None,
                "marking_caveats": None}
    return {"marking": marking.level, "marking_originator": marking.originator,
            "marking_rel": json.dumps(list(marking.rel)),
            "marking_caveats": json.dumps(list(marking.caveats))}


def order_row(state: OrderState, profile: AgreementProfile, head: str,
              shown: Status | None = None) -> dict[str, Any]:
    terms = state.terms
    assert terms is not None
    text = " ".join(
        [state.number, terms.activity, terms.requesting_unit, terms.deliver_to, terms.remarks]
        + [f"{ln.description} {ln.nsn or ''} {ln.category}" for ln in terms.lines]
    ).lower()
    return {
        "number": state.number,
        "agreement": terms.agreement,
        "profile": state.profile,
        "activity": terms.activity,
        "activity_type": terms.activity_type,
        "requester": terms.requester,
        "supplier": terms.supplier,
        "requesting_unit": terms.requesting_unit,
        "supplying_unit": (state.accepted.supplying_unit if state.accepted else None)
        or terms.supplying_unit,
        "method": terms.method,
        "currency": terms.currency,
        "value_minor": terms.value().minor,
        "status": (shown or status(state, profile)).value,
        "version": state.version,
        "emergency": state.emergency,
        "submitted_on": state.submitted_on,
        "accepted_on": state.accepted.on if state.accepted else None,
        "needed_by": terms.needed_by,
        "emergency_due": state.emergency_confirmation_due,
        "emergency_confirmed_on": state.emergency_confirmed_on,
        "search_text": text,
        **marking_columns(state.marking),
        "head": head,
        "ineffective": len(state.ineffective_verdicts),
    }


# -- context events ------------------------------------------------------------------------


def apply_context(conn: Connection, fact: F.Fact) -> None:
    """Update the small tables fed by roster, registry, rate and catalogue events."""
    d = fact.data
    party = fact.signer
    if fact.type == F.AGREEMENT_ADOPTED:
        document = d["profile"]
        existing = conn.execute(
            select(T.agreements).where(T.agreements.c.digest == fact.profile)
        ).first()
        if existing is None:
            conn.execute(insert(T.agreements).values(
                digest=fact.profile, id=document["id"], version=document["version"],
                document=json.dumps(document, sort_keys=True, ensure_ascii=False),
                adopted_by=json.dumps([party]),
            ))
        else:
            adopted = sorted(set(json.loads(existing.adopted_by)) | {party})
            conn.execute(update(T.agreements).where(T.agreements.c.digest == fact.profile)
                         .values(adopted_by=json.dumps(adopted)))
    elif fact.type == F.APPOINTMENT_GRANTED:
        conn.execute(insert(T.appointments).values(
            id=fact.hash, stream=fact.stream, party=d["party"], user_id=d["user"],
            name=d["name"], role=d["role"], units=json.dumps(sorted(d.get("units", []))),
            limits=json.dumps(d["limits"]) if d.get("limits") is not None else None,
            valid_from=date.fromisoformat(d["valid_from"]),
            valid_to=date.fromisoformat(d["valid_to"]) if d.get("valid_to") else None,
            granted_at=fact.seq, revoked_at=None,
        ))
    elif fact.type == F.APPOINTMENT_REVOKED:
        conn.execute(update(T.appointments)
                     .where(T.appointments.c.id == d["appointment"],
                            T.appointments.c.stream == fact.stream)
                     .values(revoked_at=fact.seq))
    elif fact.type == F.UNIT_REGISTERED:
        conn.execute(delete(T.units).where(T.units.c.id == fact.subject))
        conn.execute(insert(T.units).values(id=fact.subject, party=party, name=d["name"],
                                            parent=d.get("parent")))
    elif fact.type == F.ACTIVITY_REGISTERED:
        conn.execute(delete(T.activities).where(T.activities.c.id == fact.subject))
        conn.execute(insert(T.activities).values(
            id=fact.subject, agreement=stream_agreement(fact.stream), name=d["name"],
            type=d["type"], starts_on=date.fromisoformat(d["starts_on"]),
            ends_on=date.fromisoformat(d["ends_on"]) if d.get("ends_on") else None,
            registered_by=party,
        ))
    elif fact.type == F.RATE_RECORDED:
        conn.execute(insert(T.rates).values(
            event_hash=fact.hash, agreement=stream_agreement(fact.stream), party=party,
            on=date.fromisoformat(d["on"]), base=d["base"], quote=d["quote"],
            rate=str(Decimal(d["rate"])), source=d.get("source"),
        ))
    elif fact.type == F.CATALOGUE_PRICE_SET:
        conn.execute(insert(T.catalogue).values(
            event_hash=fact.hash, agreement=stream_agreement(fact.stream), party=party,
            category=d["category"], item=d["item"], unit=d["unit"],
            unit_price=d["unit_price"], currency=d["currency"],
            valid_from=date.fromisoformat(d["valid_from"]),
            valid_to=date.fromisoformat(d["valid_to"]) if d.get("valid_to") else None,
        ))

"""Projections: what the log's fold derives, written in the event's own transaction.

An order has few events, so its projection is simply re-folded from all of
them whenever one arrives (with the orders a payment, exchange or offset
links it to). Context events — the agreement profile, appointments, units,
activities, rates, catalogue prices — update their own small tables.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from acsa.domain import facts as F
from acsa.domain.aging import due_items as order_due_items
from acsa.domain.agreement import AgreementProfile, profile_from_document
from acsa.domain.figures import delivered, in_kind_due_on, owed_in_kind, received, status
from acsa.domain.interpret import Context, interpret_orders
from acsa.domain.ledger import order_entries
from acsa.domain.parties import Role
from acsa.domain.roster import Appointment, Roster
from acsa.domain.state import OrderState
from acsa.store import tables as T
from acsa.store.log import facts_of, linked_orders, read_orders


def load_context(conn: Connection) -> Context:
    """Every known profile (by digest) and every stream's roster."""
    profiles: dict[str, AgreementProfile] = {}
    for row in conn.execute(select(T.agreements)):
        profiles[row.digest] = profile_from_document(json.loads(row.document), row.id)
    by_stream: dict[str, list[Appointment]] = defaultdict(list)
    for row in conn.execute(select(T.appointments)):
        by_stream[row.stream].append(appointment_of(row))
    return Context(profiles=profiles, rosters={s: Roster.of(a) for s, a in by_stream.items()})


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
    """Re-fold ``orders`` (and the orders linked to them) and rewrite their projections."""
    wanted = linked_orders(conn, orders)
    stored = read_orders(conn, wanted)
    facts = facts_of(stored)
    heads: dict[str, str] = {}
    for event, fact in zip(stored, facts, strict=True):
        for o in fact.orders():
            heads[o] = event.hash  # arrival order: the last one wins
    states = interpret_orders(facts, ctx, wanted)
    for number, state in states.items():
        write_order(conn, state, facts, ctx, heads.get(number, ""))
    return states


def _clear_order(conn: Connection, number: str) -> None:
    old = conn.execute(select(T.postings).where(T.postings.c.order_number == number)).all()
    _adjust_balances(conn, old, sign=-1)
    for table in (T.postings, T.verdicts, T.in_kind, T.due_items):
        conn.execute(delete(table).where(table.c.order_number == number))
    conn.execute(delete(T.order_lines).where(T.order_lines.c.order_number == number))
    conn.execute(delete(T.orders).where(T.orders.c.number == number))


def _adjust_balances(conn: Connection, rows: Iterable[Any], *, sign: int) -> None:
    deltas: dict[tuple[str, str, str, str], int] = defaultdict(int)
    for p in rows:
        deltas[(p.debtor, p.creditor, p.currency, p.debit)] += sign * p.amount_minor
        deltas[(p.debtor, p.creditor, p.currency, p.credit)] -= sign * p.amount_minor
    for (debtor, creditor, currency, account), delta in sorted(deltas.items()):
        if delta == 0:
            continue
        where = (
            (T.balances.c.debtor == debtor) & (T.balances.c.creditor == creditor)
            & (T.balances.c.currency == currency) & (T.balances.c.account == account)
        )
        done = conn.execute(
            update(T.balances).where(where)
            .values(balance_minor=T.balances.c.balance_minor + delta)
        )
        if done.rowcount == 0:
            conn.execute(insert(T.balances).values(
                debtor=debtor, creditor=creditor, currency=currency, account=account,
                balance_minor=delta,
            ))
        else:
            # A balance back at zero is no balance: the row goes, as a rebuild would
            # never write it.
            conn.execute(delete(T.balances).where(where, T.balances.c.balance_minor == 0))


def write_order(conn: Connection, state: OrderState, facts: list[F.Fact], ctx: Context,
                head: str) -> None:
    _clear_order(conn, state.number)
    if state.terms is None:
        # Only ineffective events so far (say, a forged root): keep their verdicts.
        _write_verdicts(conn, state)
        return
    profile = ctx.profile(state.profile)
    terms = state.terms
    conn.execute(insert(T.orders).values(**order_row(state, profile, head)))
    conn.execute(insert(T.order_lines), [
        {
            "order_number": state.number, "no": ln.no, "category": ln.category,
            "description": ln.description, "nsn": ln.nsn, "quantity": str(ln.quantity),
            "unit": ln.unit, "unit_price": str(ln.unit_price),
            "delivered": str(delivered(state, ln.no)), "received": str(received(state, ln.no)),
        }
        for ln in terms.lines
    ])
    _write_verdicts(conn, state)
    postings, entries = order_entries(state, facts, ctx)
    if postings:
        dates = {f.hash: f.on for f in facts if f.hash in {p.event for p in postings}}
        rows = [posting_row(p, dates[p.event]) for p in postings]
        conn.execute(insert(T.postings), rows)
        _adjust_balances(conn, [_Row(r) for r in rows], sign=1)
    if terms.method in ("rik", "eve"):
        due = in_kind_due_on(state, profile)
        owed = [(ln, owed_in_kind(state, ln.no, profile)) for ln in terms.lines]
        rows_ = [
            {"order_number": state.number, "line": ln.no, "item": ln.description,
             "unit": ln.unit, "owed": str(q), "due_on": due}
            for ln, q in owed if q != 0
        ]
        if rows_:
            conn.execute(insert(T.in_kind), rows_)
    items = order_due_items(state, profile)
    if items:
        conn.execute(insert(T.due_items), [
            {
                "order_number": i.order, "kind": i.kind, "reference": i.reference,
                "debtor": i.debtor, "creditor": i.creditor, "since": i.since,
                "due_on": i.due_on, "currency": i.amount.currency if i.amount else None,
                "amount_minor": i.amount.minor if i.amount else None,
            }
            for i in items
        ])
    del entries


class _Row:
    """A posting row dict read like a result row."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)


def posting_row(p: Any, on: date) -> dict[str, Any]:
    return {
        "order_number": p.order, "event_hash": p.event, "on": on, "debtor": p.debit.debtor,
        "creditor": p.debit.creditor, "currency": p.amount.currency,
        "debit": p.debit.kind.value, "credit": p.credit.kind.value, "amount_minor": p.amount.minor,
    }


def order_row(state: OrderState, profile: AgreementProfile, head: str) -> dict[str, Any]:
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
        "status": status(state, profile).value,
        "version": state.version,
        "emergency": state.emergency,
        "submitted_on": state.submitted_on,
        "accepted_on": state.accepted.on if state.accepted else None,
        "needed_by": terms.needed_by,
        "emergency_due": state.emergency_confirmation_due,
        "emergency_confirmed_on": state.emergency_confirmed_on,
        "search_text": text,
        "head": head,
        "ineffective": len(state.ineffective_verdicts),
    }


def _write_verdicts(conn: Connection, state: OrderState) -> None:
    if state.verdicts:
        conn.execute(insert(T.verdicts), [
            {"order_number": state.number, "event_hash": v.event, "position": i,
             "effective": v.effective, "code": v.code, "reason": v.reason, "note": v.note}
            for i, v in enumerate(state.verdicts)
        ])


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
            id=fact.subject, agreement=fact.stream.rsplit("/", 1)[0], name=d["name"],
            type=d["type"], starts_on=date.fromisoformat(d["starts_on"]),
            ends_on=date.fromisoformat(d["ends_on"]) if d.get("ends_on") else None,
            registered_by=party,
        ))
    elif fact.type == F.RATE_RECORDED:
        conn.execute(insert(T.rates).values(
            event_hash=fact.hash, agreement=fact.stream.rsplit("/", 1)[0], party=party,
            on=date.fromisoformat(d["on"]), base=d["base"], quote=d["quote"],
            rate=str(Decimal(d["rate"])),
        ))
    elif fact.type == F.CATALOGUE_PRICE_SET:
        conn.execute(insert(T.catalogue).values(
            event_hash=fact.hash, agreement=fact.stream.rsplit("/", 1)[0], party=party,
            category=d["category"], item=d["item"], unit=d["unit"],
            unit_price=d["unit_price"], currency=d["currency"],
            valid_from=date.fromisoformat(d["valid_from"]),
            valid_to=date.fromisoformat(d["valid_to"]) if d.get("valid_to") else None,
        ))

"""The order as its readers see it: one order's record as plain data, its timeline, its status.

The read model of the order pages, the API's order and ``acsa order show``:
built from the order's fold — or from the state an act just left it in,
which is not folded again — and the events in the log.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select

from acsa.domain.agreement import AgreementProfile
from acsa.domain.figures import accounts, delivered, in_kind_due_on, owed_in_kind, received
from acsa.domain.figures import status as figure_status
from acsa.domain.money import Money, decimal_text
from acsa.domain.state import OrderState
from acsa.services import markings, payments
from acsa.services.recording import Recorded, StoredEvent, order_state
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from acsa.store.log import fact_from_document


def statuses_after(uow: UnitOfWork, event: StoredEvent, numbers: Sequence[str]
                   ) -> dict[str, str]:
    """The status of each order an act acted on, as the act left it (as the projection
    holds it: completed across the order's exchanges)."""
    return {n: status_of(uow, n) for n in numbers}


def status_of(uow: UnitOfWork, number: str) -> str:
    """The order's status as the projection holds it now."""
    found = uow.conn.execute(
        select(T.orders.c.status).where(T.orders.c.number == number)
    ).scalar_one_or_none()
    return str(found) if found is not None else "unknown"



def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def state_after(event: StoredEvent, number: str) -> OrderState | None:
    """``number`` as the act that recorded ``event`` left it, if the act says."""
    return event.states.get(number) if isinstance(event, Recorded) else None


def show_order(uow: UnitOfWork, number: str, state: OrderState | None = None, *,
               row: Any = None) -> dict[str, Any]:
    """Everything recorded about one order, as plain data, with its timeline of events.

    ``state`` is the order as an act just left it; without it the order is folded.
    ``row`` is the order's projection row, read in this transaction, when the caller
    has it.
    """
    state = state or order_state(uow, number)
    assert state.terms is not None  # order_state refuses an order without terms
    profile = uow.context.profile(state.profile)
    if row is None:
        head = uow.conn.execute(
            select(T.orders.c.head).where(T.orders.c.number == number)
        ).scalar_one_or_none()
        shown = status_of(uow, number)
    else:
        head, shown = row.head, str(row.status)
    money = _Money(state.currency)
    names = _names(uow, state)
    return {
        **_header(state, profile, head),
        # The projection's status: completed across the order's exchanges.
        **({"status": shown} if shown != "unknown" else {}),
        "figures": _figures(state, profile, money),
        "deliveries": [_delivery(state, i, d) for i, d in enumerate(state.deliveries, 1)],
        "receipts": [_receipt(state, r) for r in state.receipts],
        "invoices": [_invoice(i, inv, money) for i, inv in enumerate(state.invoices, 1)],
        "payments": [_payment(p, money, names) for p in state.payments],
        "returns": [_return(i, r) for i, r in enumerate(state.returns, 1)],
        "conversions": [_conversion(i, c, money) for i, c in enumerate(state.conversions, 1)],
        "exchanges": [_exchange(x, money, names) for x in state.exchanges],
        "offsets": [_offset(o, money, names) for o in state.offsets],
        "changes": [_change(i, c) for i, c in enumerate(state.changes, 1)],
        "disputes": [_dispute(i, d) for i, d in enumerate(state.disputes, 1)],
        "transfers": [_transfer(i, t) for i, t in enumerate(state.transfers, 1)],
        "separation_of_duties": _separation(state, profile),
        "timeline": timeline(uow, number, state),
    }


def _separation(state: OrderState, profile: AgreementProfile) -> dict[str, Any] | None:
    """The separation of duties the order is judged by (none under a profile that declares
    none) and each side's waiver of it."""
    rule = profile.separation
    if rule is None:
        return None
    return {
        "incompatible": [list(pair) for pair in rule.pairs],
        "waivers_allowed": rule.waivers,
        "waivers": [{"side": w.side.value, "party": state.requester if w.side.value ==
                     "requester" else state.supplier, "on": _iso(w.on), "reason": w.reason,
                     "by": w.user, "name": w.name, "event": w.id} for w in state.waivers],
    }


class _Money:
    """Minor units of the order's currency as the text the record shows."""

    def __init__(self, currency: str) -> None:
        self.currency = currency

    def __call__(self, minor: int) -> str:
        return Money(self.currency, minor).text()


def _header(state: OrderState, profile: AgreementProfile, head: str | None) -> dict[str, Any]:
    """Who, what and where the order stands: its terms and the answers to it."""
    assert state.terms is not None
    return {
        "number": state.number,
        "agreement": profile.id,
        "profile": state.profile,
        "status": figure_status(state, profile).value,
        "version": state.version,
        "emergency": state.emergency,
        "head": head,
        "terms": state.terms.as_data(),
        "submitted": {"on": _iso(state.submitted_on), "by": state.submitted_by},
        "proposal": None if state.proposal is None else {
            "id": state.proposal.id, "on": _iso(state.proposal.on),
            "reason": state.proposal.reason, "terms": state.proposal.terms.as_data(),
        },
        "accepted": None if state.accepted is None else {
            "id": state.accepted.id, "on": _iso(state.accepted.on),
            "supplying_unit": state.accepted.supplying_unit,
        },
        "rejected": None if state.rejected_on is None else {
            "on": _iso(state.rejected_on), "reason": state.rejection_reason,
        },
        "withdrawn_on": _iso(state.withdrawn_on),
        "cancelled_on": _iso(state.cancelled_on),
        "closed_short_on": _iso(state.closed_short_on),
        "emergency_confirmation": None if not state.emergency else {
            "due_on": _iso(state.emergency_confirmation_due),
            "confirmed_on": _iso(state.emergency_confirmed_on),
        },
        "marking": markings.as_data(_marking(state, profile)),
    }


def _marking(state: OrderState, profile: AgreementProfile) -> markings.MarkingInfo:
    """The marking the order is protected by (the strongest of its events')."""
    assert state.terms is not None
    if state.marking is None:
        return markings.unclassified(profile, state.terms.requester, state.terms.supplier)
    return markings.describe(state.marking, profile)


def _figures(state: OrderState, profile: AgreementProfile, money: _Money) -> dict[str, Any]:
    """The order's value, its accounts and each line's quantities."""
    assert state.terms is not None
    acc = accounts(state, profile)
    return {
        "currency": state.currency,
        "value": state.terms.value().text(),
        "commitment": money(acc.commitment), "receivable": money(acc.receivable),
        "in_kind": money(acc.in_kind), "invoiced": money(acc.invoiced),
        "settled": money(acc.settled), "written_off": money(acc.written_off),
        "outstanding": money(acc.outstanding),
        "in_kind_due_on": _iso(in_kind_due_on(state, profile)),
        "lines": [
            {"line": ln.no, "ordered": decimal_text(ln.quantity),
             "delivered": decimal_text(delivered(state, ln.no)),
             "received": decimal_text(received(state, ln.no)),
             "owed_in_kind": decimal_text(owed_in_kind(state, ln.no, profile))}
            for ln in state.terms.lines
        ],
    }


def _receipt(state: OrderState, r: Any) -> dict[str, Any]:
    return {"id": r.id, "delivery": r.delivery, "on": _iso(r.on), "note": r.note,
            "lines": [{"line": x.line, "quantity": decimal_text(x.quantity),
                       "damaged": decimal_text(x.damaged)} for x in r.lines],
            "evidence": [_evidence(e) for e in state.documents(r.id)]}


def _invoice(position: int, inv: Any, money: _Money) -> dict[str, Any]:
    return {"position": position, "id": inv.id, "number": inv.number, "kind": inv.kind,
            "on": _iso(inv.on), "due_on": _iso(inv.due_on), "total": money(inv.total),
            "outstanding": money(inv.outstanding), "credited": money(inv.credited),
            "paid": money(inv.paid), "written_off": money(inv.written_off),
            "offset": money(inv.offset), "moved": money(inv.moved), "live": inv.live,
            "voided_on": _iso(inv.voided_on), "reference": inv.reference,
            "replaces": inv.replaces,
            "lines": [{"delivery": x.delivery, "line": x.line,
                       "quantity": decimal_text(x.quantity),
                       "unit_price": decimal_text(x.unit_price), "amount": money(x.amount)}
                      for x in inv.lines]}


def _names(uow: UnitOfWork, state: OrderState) -> dict[str, str]:
    """The number of each payment, exchange and offset of the order (``PAY/PHL/00001`` …),
    and of each invoice, by the hash that identifies it in the order's record."""
    hashes = [*(p.payment for p in state.payments), *(x.exchange for x in state.exchanges),
              *(o.offset for o in state.offsets)]
    return {**payments.subjects(uow, hashes), **{i.id: i.number for i in state.invoices}}


def _payment(p: Any, money: _Money, names: dict[str, str]) -> dict[str, Any]:
    return {"payment": p.payment, "number": names.get(p.payment), "invoice": p.invoice,
            "invoice_number": names.get(p.invoice), "amount": money(p.amount),
            "on": _iso(p.on), "reference": p.reference,
            "state": payments.CONFIRMED if p.confirmed else payments.AWAITING,
            "received": None if p.received is None else money(p.received),
            "confirmed_on": _iso(p.confirmed_on)}


def _return(position: int, r: Any) -> dict[str, Any]:
    return {"position": position, "id": r.id, "on": _iso(r.on), "description": r.description,
            "lines": [{"line": x.line, "quantity": decimal_text(x.quantity)} for x in r.lines],
            "answer": r.answer, "answered_on": _iso(r.answered_on),
            "evidence": [_evidence(e) for e in r.evidence]}


def _conversion(position: int, c: Any, money: _Money) -> dict[str, Any]:
    return {"position": position, "id": c.id, "on": _iso(c.on), "amount": money(c.amount),
            "in_kind_value": money(c.in_kind_value),
            "lines": [{"line": x.line, "quantity": decimal_text(x.quantity),
                       "unit_price": decimal_text(x.unit_price), "amount": money(x.amount)}
                      for x in c.lines]}


def _exchange(x: Any, money: _Money, names: dict[str, str]) -> dict[str, Any]:
    return {"exchange": x.exchange, "number": names.get(x.exchange),
            "proposed_by": x.proposed_by.value,
            "proposed_on": _iso(x.proposed_on), "value": money(x.value),
            "to_cash": money(x.to_cash), "signed_on": _iso(x.signed_on)}


def _offset(o: Any, money: _Money, names: dict[str, str]) -> dict[str, Any]:
    return {"offset": o.offset, "number": names.get(o.offset), "invoice": o.invoice,
            "invoice_number": names.get(o.invoice), "amount": money(o.amount),
            "proposed_by": o.proposed_by.value, "as_of": _iso(o.as_of),
            "signed_on": _iso(o.signed_on)}


def _change(position: int, c: Any) -> dict[str, Any]:
    return {"position": position, "id": c.id, "kind": c.kind, "side": c.side.value,
            "on": _iso(c.on), "reason": c.reason, "terms": c.terms.as_data() if c.terms else None,
            "answer": c.answer, "answered_on": _iso(c.answered_on),
            "from_withdrawal": c.from_withdrawal}


def _dispute(position: int, d: Any) -> dict[str, Any]:
    return {"position": position, "id": d.id, "side": d.side.value, "on": _iso(d.on),
            "reason": d.reason, "about": d.about, "open": d.open,
            "resolved_by": d.resolved_by, "resolved_on": _iso(d.resolved_on),
            "proposals": [
                {"position": j, "id": p.id, "side": p.side.value, "on": _iso(p.on),
                 "resolution": p.text,
                 "adjustments": [{"delivery": a.delivery, "line": a.line,
                                  "quantity": decimal_text(a.quantity)}
                                 for a in p.adjustments]}
                for j, p in enumerate(d.proposals, 1)
            ]}


def _transfer(position: int, t: Any) -> dict[str, Any]:
    return {"position": position, "id": t.id, "to": t.to, "on": _iso(t.on), "reason": t.reason,
            "lines": [{"line": x.line, "quantity": decimal_text(x.quantity)} for x in t.lines],
            "answer": t.answer, "answered_on": _iso(t.answered_on), "done_on": _iso(t.done_on)}


def _evidence(e: Any) -> dict[str, Any]:
    return {"sha256": e.sha256, "name": e.name, "media_type": e.media_type, "size": e.size,
            "kind": e.kind or None}


def _delivery(state: OrderState, position: int, d: Any) -> dict[str, Any]:
    receipt = state.receipt_for(d.id)
    return {
        "position": position, "id": d.id, "on": _iso(d.on), "note": d.note,
        "lines": [{"line": x.line, "quantity": decimal_text(x.quantity),
                   "unit_price": decimal_text(x.unit_price)} for x in d.lines],
        "evidence": [_evidence(e) for e in state.documents(d.id)],
        "receipt": receipt.id if receipt else None,
    }


def timeline(uow: UnitOfWork, number: str, state: OrderState) -> list[dict[str, Any]]:
    """Every event of the order in arrival order, with who acted, the key that signed it and
    the verdict on it."""
    verdicts = {v.event: v for v in state.verdicts}
    profile = uow.context.profile(state.profile)
    e = T.events.c
    rows = uow.conn.execute(
        select(e.hash, e.envelope, e.key, e.origin)
        .join(T.event_orders, T.event_orders.c.event_id == e.id)
        .where(T.event_orders.c.order_number == number)
        .order_by(e.id)
    ).all()
    out = []
    for row in rows:
        fact = fact_from_document(json.loads(row.envelope), row.hash)
        v = verdicts.get(row.hash)
        out.append({
            "hash": row.hash, "type": fact.type, "subject": fact.subject, "at": fact.at,
            "on": fact.data.get("on"), "seq": fact.seq, "stream": fact.stream,
            "parent": fact.parent_for(number), "origin": row.origin,
            "actor": {"user": fact.actor.user, "name": fact.actor.name,
                      "role": fact.actor.role.value, "party": fact.actor.party,
                      "unit": fact.actor.unit, "paper": fact.actor.paper},
            "signer": fact.signer, "key": row.key,
            "marking": _event_marking(fact.marking, profile),
            "verdict": {"effective": v.effective if v else False,
                        "code": v.code if v else "", "reason": v.reason if v else "",
                        "note": v.note if v else ""},
        })
    return out


def _event_marking(data: object, profile: AgreementProfile) -> dict[str, Any] | None:
    """An event's own marking, as its record shows it; None if the profile cannot read it."""
    info = markings.of_event(data, profile)
    return markings.as_data(info) if info is not None else None

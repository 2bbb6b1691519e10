"""Whose turn it is on an order: the open tasks an order's parts leave to each side.

An officer's worklist is every task of their nation's side whose action one of
their roles may take (the permission table, :mod:`acsa.domain.rules`). Tasks
come from the order's parts, not from its status word alone: an order in
delivery may have a delivery to acknowledge and more to deliver at once, an
invoice with a payment on its way is the supplier's to confirm and no longer
the requester's to pay. The projection keeps one row per open task and side,
so a dashboard count and the list it opens read the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from acsa.domain.aging import uninvoiced_due_on
from acsa.domain.agreement import AgreementProfile
from acsa.domain.deadlines import receipt_due_on
from acsa.domain.figures import accounts, delivered, in_kind_due_on, status
from acsa.domain.parties import Role, Side
from acsa.domain.rules import PERMISSIONS, Action, Status
from acsa.domain.state import OrderState

# Each task, the action that does it, in the order a worklist shows them.
TASK_ACTIONS: dict[str, Action] = {
    "accept": Action.ACCEPT,
    "confirm": Action.CONFIRM,
    "emergency": Action.CONFIRM_EMERGENCY,
    "deliver": Action.DELIVER,
    "receive": Action.RECEIVE,
    "invoice": Action.INVOICE,
    "pay": Action.PAY,
    "confirm_payment": Action.CONFIRM_PAYMENT,
    "return": Action.RETURN_IN_KIND,
    "accept_return": Action.ACCEPT_RETURN,
    "convert": Action.CONVERT_TO_CASH,
    "sign_exchange": Action.SIGN_EXCHANGE,
    "sign_offset": Action.SIGN_OFFSET,
    "resolve": Action.RESOLVE,
    "answer": Action.RESPOND,
    "transfer": Action.TRANSFER_CONSENT,
}
TASKS = tuple(TASK_ACTIONS)
# Tasks that fall due only once their date has passed: what is owed in kind may be
# converted to cash the day after the in-kind deadline, not before.
AFTER_DUE_DATE = frozenset({"convert"})
CLOSED = frozenset({Status.REJECTED, Status.CANCELLED, Status.SETTLED})


@dataclass(frozen=True)
class OpenTask:
    task: str  # one of TASKS
    side: Side  # whose turn it is
    due_on: date | None = None  # when it must be done, where an agreed date says


def roles_for(task: str, side: Side) -> frozenset[Role]:
    """The roles of ``side`` that the permission table lets do ``task``."""
    action = TASK_ACTIONS[task]
    return frozenset(r for p in PERMISSIONS if p.action is action and p.side is side
                     for r in p.roles)


def open_tasks(state: OrderState, profile: AgreementProfile) -> list[OpenTask]:
    """Every task the order leaves open, and whose it is."""
    if state.terms is None:
        return []
    now = status(state, profile)
    if now in CLOSED:
        return _emergency(state, now)
    return _unique([*_before_delivery(state, now), *_emergency(state, now),
                    *_goods(state, now, profile), *_money(state, profile),
                    *_in_kind(state, profile), *_answers(state)])


def _before_delivery(state: OrderState, now: Status) -> list[OpenTask]:
    if now is Status.SUBMITTED:
        return [OpenTask("accept", Side.SUPPLIER)]
    if now is Status.PROPOSED:
        return [OpenTask("confirm", Side.REQUESTER)]
    return []


def _emergency(state: OrderState, now: Status) -> list[OpenTask]:
    if (state.emergency and state.emergency_confirmed_on is None
            and now not in (Status.REJECTED, Status.CANCELLED)):
        return [OpenTask("emergency", Side.REQUESTER, state.emergency_confirmation_due)]
    return []


def _goods(state: OrderState, now: Status, profile: AgreementProfile) -> list[OpenTask]:
    terms = state.terms
    assert terms is not None
    out = []
    if now in (Status.ACCEPTED, Status.IN_DELIVERY) and state.closed_short_on is None and any(
            delivered(state, ln.no) < ln.quantity for ln in terms.lines):
        out.append(OpenTask("deliver", Side.SUPPLIER, terms.needed_by))
    answered = {r.delivery for r in state.receipts}
    waiting = [d for d in state.deliveries if d.id not in answered]
    if waiting:  # due by the earliest receipt-by date, where the profile sets one
        dates = [receipt_due_on(state, profile, d) for d in waiting]
        out.append(OpenTask("receive", Side.REQUESTER,
                            min((day for day in dates if day is not None), default=None)))
    return out


def _money(state: OrderState, profile: AgreementProfile) -> list[OpenTask]:
    out = []
    if accounts(state, profile).receivable > 0:
        out.append(OpenTask("invoice", Side.SUPPLIER, uninvoiced_due_on(state, profile)))
    on_the_way: dict[str, int] = {}
    for p in state.payments:
        if not p.confirmed:
            on_the_way[p.invoice] = on_the_way.get(p.invoice, 0) + p.amount
    unpaid = [i for i in state.invoices
              if i.live and i.outstanding - on_the_way.get(i.id, 0) > 0]
    if unpaid:
        out.append(OpenTask("pay", Side.REQUESTER, min(i.due_on for i in unpaid)))
    if on_the_way:
        out.append(OpenTask("confirm_payment", Side.SUPPLIER))
    return out


def _in_kind(state: OrderState, profile: AgreementProfile) -> list[OpenTask]:
    out = []
    due = in_kind_due_on(state, profile)
    if accounts(state, profile).in_kind > 0 and not any(r.answer is None for r in state.returns):
        out.append(OpenTask("return", Side.REQUESTER, due))
        if due is not None:
            out.append(OpenTask("convert", Side.SUPPLIER, due))
    if any(r.answer is None for r in state.returns):
        out.append(OpenTask("accept_return", Side.SUPPLIER))
    for x in state.exchanges:
        if x.signed_on is None:
            out.append(OpenTask("sign_exchange", x.proposed_by.other))
    for o in state.offsets:
        if o.signed_on is None:
            out.append(OpenTask("sign_offset", o.proposed_by.other))
    return out


def _answers(state: OrderState) -> list[OpenTask]:
    out = []
    for d in state.disputes:
        if d.open:
            out.append(OpenTask("resolve", Side.REQUESTER))
            out.append(OpenTask("resolve", Side.SUPPLIER))
    for c in state.changes:
        if c.pending:
            out.append(OpenTask("answer", c.side.other))
    if any(t.answer is None for t in state.transfers):
        out.append(OpenTask("transfer", Side.SUPPLIER))
    return out


def _unique(tasks: list[OpenTask]) -> list[OpenTask]:
    seen: dict[tuple[str, Side], OpenTask] = {}
    for t in tasks:
        seen.setdefault((t.task, t.side), t)
    return list(seen.values())


"""The one permission table, checked over every (status, action, side, role).

Part (a) writes the table out again by hand, from DOMAIN.md's story of an order, and
compares it with :func:`acsa.domain.rules.permitted` cell by cell. Part (b) checks that the
fold obeys the table: for an order in each status, an event of every action by an official
of every side and role is ineffective with ``transition_not_allowed`` exactly when the table
forbids it; when the table allows it, the event may still fail, but only for a reason in
its data.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from acsa.devtools.exercise import UNITS, Exercise, ticket_ref
from acsa.domain import commands
from acsa.domain import facts as F
from acsa.domain.agreement import AgreementProfile
from acsa.domain.errors import DomainError
from acsa.domain.facts import Fact
from acsa.domain.figures import status
from acsa.domain.interpret import Context, interpret_orders
from acsa.domain.parties import Role, Side
from acsa.domain.rules import PERMISSIONS, Action, Status, actions_for, permitted
from acsa.domain.state import OrderState

D = date

# -- (a) the table, written out again ---------------------------------------------------

PRE_ACCEPTANCE = "submitted proposed"
ACTIVE = "accepted in_delivery delivered received settling"
FINANCE = "in_delivery delivered received settling"
PHYSICAL = "in_delivery delivered received settling"
AFTER_RECEIPT = "delivered received settling settled"

# action -> [(side, roles, statuses)]; roles and statuses as space-separated words.
EXPECTED: dict[str, list[tuple[str, str, str]]] = {
    "submit": [("requester", "ordering_official", "draft")],
    "emergency": [("supplier", "approving_official", "draft")],
    "propose": [("supplier", "approving_official", PRE_ACCEPTANCE)],
    "confirm": [("requester", "ordering_official", "proposed")],
    "withdraw": [("requester", "ordering_official", PRE_ACCEPTANCE)],
    "accept": [("supplier", "approving_official", "submitted")],
    "reject": [("supplier", "approving_official", PRE_ACCEPTANCE)],
    "confirm-emergency": [("requester", "ordering_official", ACTIVE + " disputed settled")],
    "deliver": [("supplier", "supply_officer", "accepted in_delivery settling disputed")],
    "receive": [("requester", "receiving_official", "in_delivery delivered settling disputed")],
    "dispute": [
        ("requester", "receiving_official ordering_official finance_officer", PHYSICAL),
        ("supplier", "supply_officer approving_official finance_officer", PHYSICAL),
    ],
    "resolve": [
        ("requester", "receiving_official ordering_official finance_officer", "disputed"),
        ("supplier", "supply_officer approving_official finance_officer", "disputed"),
    ],
    "amend": [
        ("requester", "ordering_official", "accepted in_delivery"),
        ("supplier", "approving_official", "accepted in_delivery"),
    ],
    "close-short": [
        ("requester", "ordering_official", "accepted in_delivery"),
        ("supplier", "approving_official", "accepted in_delivery"),
    ],
    # After acceptance only the requester asks to cancel, and only before any delivery.
    "cancel": [("requester", "ordering_official", "accepted")],
    "respond": [
        ("requester", "ordering_official", ACTIVE + " disputed"),
        ("supplier", "approving_official", ACTIVE + " disputed"),
    ],
    "invoice": [("supplier", "finance_officer", FINANCE)],
    "void-invoice": [("supplier", "finance_officer", FINANCE + " disputed")],
    "credit-note": [("supplier", "finance_officer", FINANCE + " disputed")],
    "pay": [("requester", "finance_officer", FINANCE + " disputed")],
    "confirm-payment": [("supplier", "finance_officer", FINANCE + " disputed")],
    "write-off": [("supplier", "finance_officer", "settling")],
    "return-in-kind": [("requester", "supply_officer", FINANCE)],
    "accept-return": [("supplier", "receiving_official", "settling")],
    "convert-to-cash": [("supplier", "finance_officer", FINANCE)],
    "link-exchange": [
        ("requester", "finance_officer", "received settling"),
        ("supplier", "finance_officer", "received settling"),
    ],
    "sign-exchange": [
        ("requester", "finance_officer", "received settling"),
        ("supplier", "finance_officer", "received settling"),
    ],
    "offset": [
        ("requester", "finance_officer", "settling"),
        ("supplier", "finance_officer", "settling"),
    ],
    "sign-offset": [
        ("requester", "finance_officer", "settling"),
        ("supplier", "finance_officer", "settling"),
    ],
    "transfer-request": [("requester", "ordering_official", AFTER_RECEIPT)],
    "transfer-consent": [("supplier", "approving_official", AFTER_RECEIPT)],
    "transfer": [("requester", "supply_officer", AFTER_RECEIPT)],
    # A small detachment's approving official lifts the separation of duties for one order.
    "waive-duties": [
        ("requester", "approving_official", f"{PRE_ACCEPTANCE} {ACTIVE} disputed"),
        ("supplier", "approving_official", f"{PRE_ACCEPTANCE} {ACTIVE} disputed"),
    ],
    # A document for a step taken already, by the side that took it.
    "attach-evidence": [
        ("requester", "receiving_official finance_officer", f"{FINANCE} disputed settled"),
        ("supplier", "supply_officer finance_officer", f"{FINANCE} disputed settled"),
    ],
}

CELLS = list(itertools.product(Status, Action, Side, Role))


def expected(status_: Status, action: Action, side: Side, role: Role) -> bool:
    return any(
        s == side.value and role.value in roles.split() and status_.value in statuses.split()
        for s, roles, statuses in EXPECTED[action.value]
    )


def test_the_expected_table_names_every_action_once() -> None:
    assert sorted(EXPECTED) == sorted(a.value for a in Action)
    words = {s.value for s in Status} | {r.value for r in Role}
    for rows in EXPECTED.values():
        for _, roles, statuses in rows:
            assert set(roles.split()) | set(statuses.split()) <= words


def test_every_cell_of_the_table() -> None:
    assert len(CELLS) == 12 * 34 * 2 * 8 == 6528
    wrong = [
        f"{status_}/{action}/{side}/{role}: table says {permitted(action, side, role, status_)}"
        for status_, action, side, role in CELLS
        if permitted(action, side, role, status_) != expected(status_, action, side, role)
    ]
    assert wrong == [], f"{len(wrong)} of {len(CELLS)} cells differ:\n" + "\n".join(wrong)
    allowed = sum(expected(*cell) for cell in CELLS)
    assert allowed == sum(
        len(p.roles) * len(p.statuses) for p in PERMISSIONS
    )  # 134 allowed cells, the rest forbidden


def test_one_row_per_action_and_side() -> None:
    keys = [(p.action, p.side) for p in PERMISSIONS]
    assert len(keys) == len(set(keys))


def test_buttons_follow_the_table() -> None:
    # What the UI offers an approving official of the supplier on a submitted order.
    assert actions_for(Side.SUPPLIER, Role.APPROVING_OFFICIAL, Status.SUBMITTED) == [
        Action.PROPOSE, Action.ACCEPT, Action.REJECT, Action.WAIVE_DUTIES]
    assert actions_for(Side.REQUESTER, Role.AUDITOR, Status.SETTLING) == []


# -- (b) the fold obeys the table ---------------------------------------------------------

REQUESTER, SUPPLIER = "PHL", "JPN"
PARTY = {Side.REQUESTER: REQUESTER, Side.SUPPLIER: SUPPLIER}
ON = D(2026, 2, 20)  # every probe is dated after the base events
NONE = "0" * 64  # a reference to nothing


def diesel(x: Exercise, quantity: str = "10000") -> dict[str, Any]:
    return x.terms(REQUESTER, SUPPLIER, [("pol", "Diesel F-76", quantity, "L", "152.5")])


def _base(x: Exercise, name: Status) -> str:
    """Drive a fresh order (Philippines asks Japan for 10,000 L of diesel) into ``name``."""
    if name is Status.DRAFT:
        return x.s.number(REQUESTER, ON)  # a number no event has used yet
    n = x.submit(diesel(x), D(2026, 2, 3))
    if name is Status.SUBMITTED:
        return n
    if name is Status.PROPOSED:
        x.propose(n, diesel(x, "8000"), D(2026, 2, 4))
        return n
    if name is Status.REJECTED:
        x.reject(n, D(2026, 2, 4))
        return n
    if name is Status.CANCELLED:
        x.withdraw(n, D(2026, 2, 4))
        return n
    x.accept(n, D(2026, 2, 4))
    if name is Status.ACCEPTED:
        return n
    first = x.deliver(n, [(1, "4000")], D(2026, 2, 10))
    if name is Status.IN_DELIVERY:
        return n
    second = x.deliver(n, [(1, "6000")], D(2026, 2, 11))
    if name is Status.DELIVERED:
        return n
    x.receive(n, first, D(2026, 2, 11))
    x.receive(n, second, D(2026, 2, 11))
    if name is Status.RECEIVED:
        return n
    if name is Status.DISPUTED:
        x.do(REQUESTER, Role.RECEIVING_OFFICIAL, F.DISPUTE_OPENED, n,
             {"reason": "water in the fuel", "about": second.hash}, D(2026, 2, 12))
        return n
    invoice = x.invoice(n, D(2026, 2, 12))
    if name is Status.SETTLING:
        return n
    pay = x.pay(REQUESTER, [(n, invoice, "1525000")], D(2026, 2, 13))
    x.confirm_payment(SUPPLIER, pay, [(n, invoice, "1525000")], D(2026, 2, 14))
    assert name is Status.SETTLED
    return n


class Base:
    """An order in one status, built once; probes are added one at a time and taken back."""

    def __init__(self, profile: AgreementProfile, name: Status) -> None:
        self.x = Exercise(profile)
        self.number = _base(self.x, name)
        self.emergency_number = self.x.s.number(SUPPLIER, ON, emergency=True)
        self.facts = list(self.x.s.facts)
        self.ctx: Context = self.x.s.context()
        self.state = self.x.s.state(self.number) if self.facts else OrderState(self.number)
        self.profile = profile
        assert status(self.state, profile) is name, (name, status(self.state, profile))

    def probe(self, appointment: Any, type_: str, subject: str, data: dict[str, Any]) -> Fact:
        """Record one event on top of the base, then take it back (only its fact remains)."""
        s = self.x.s
        saved = (len(s.facts), dict(s.seqs), s.clock, {p: len(n.seen) for p, n in
                                                       s.nodes.items()})
        try:
            return s.act(appointment, type_, subject, data, on=ON)
        finally:
            del s.facts[saved[0]:]
            s.seqs = saved[1]
            s.clock = saved[2]
            for p, node in s.nodes.items():
                del node.seen[saved[3][p]:]


def _first(items: Any, default: str = NONE) -> str:
    return next(iter(items), default)


def _invoice(base: Base) -> dict[str, Any]:
    try:
        return commands.invoice_data(base.state, base.profile, on=ON, number="INV-PROBE")
    except DomainError:
        return {"number": "INV-PROBE", "kind": "goods", "currency": "JPY",
                "due_on": "2026-03-22", "lines": [], "total": "1"}


def _receipt(base: Base) -> dict[str, Any]:
    st = base.state
    waiting = [d for d in st.deliveries if st.receipt_for(d.id) is None] or list(st.deliveries)
    if not waiting:
        return {"delivery": NONE, "lines": [{"line": 1, "quantity": "1"}]}
    d = waiting[0]
    return {"delivery": d.id,
            "lines": [{"line": dl.line, "quantity": str(dl.quantity)} for dl in d.lines]}


def _pending_change(st: OrderState) -> str:
    return _first(c.id for c in st.changes if c.pending)


# action -> (event type, subject, data) given the base and the acting side.
Probe = Callable[[Base, Side], tuple[str, str, dict[str, Any]]]


def _root_subject(base: Base, emergency: bool) -> str:
    """The order itself; in draft, a fresh number in the range of the party that numbers it."""
    if base.state.terms is None and emergency:
        return base.emergency_number
    return base.number


PROBES: dict[Action, Probe] = {
    Action.SUBMIT: lambda b, side: (F.ORDER_SUBMITTED, _root_subject(b, False),
                                    {"terms": diesel(b.x)}),
    Action.EMERGENCY: lambda b, side: (F.ORDER_EMERGENCY_RECORDED, _root_subject(b, True),
                                       {"terms": diesel(b.x)}),
    Action.PROPOSE: lambda b, side: (F.ORDER_PROPOSED, b.number,
                                     {"terms": diesel(b.x, "8000"), "reason": "stock"}),
    Action.CONFIRM: lambda b, side: (
        F.ORDER_CONFIRMED, b.number,
        {"proposal": b.state.proposal.id if b.state.proposal else NONE}),
    Action.WITHDRAW: lambda b, side: (F.ORDER_WITHDRAWN, b.number, {"reason": "not needed"}),
    Action.ACCEPT: lambda b, side: (F.ORDER_ACCEPTED, b.number,
                                    {"version": b.state.version or 1,
                                     "supplying_unit": UNITS[SUPPLIER]}),
    Action.REJECT: lambda b, side: (F.ORDER_REJECTED, b.number, {"reason": "none left"}),
    Action.CONFIRM_EMERGENCY: lambda b, side: (F.ORDER_EMERGENCY_CONFIRMED, b.number, {}),
    Action.DELIVER: lambda b, side: (F.DELIVERY_RECORDED, b.number,
                                     {"lines": [{"line": 1, "quantity": "100"}]}),
    Action.RECEIVE: lambda b, side: (F.RECEIPT_RECORDED, b.number, _receipt(b)),
    Action.DISPUTE: lambda b, side: (F.DISPUTE_OPENED, b.number, {"reason": "short"}),
    Action.RESOLVE: lambda b, side: (
        F.DISPUTE_RESOLUTION_PROPOSED, b.number,
        {"dispute": _first(d.id for d in b.state.disputes if d.open), "resolution": "split"}),
    Action.AMEND: lambda b, side: (F.CHANGE_REQUESTED, b.number,
                                   {"kind": "amend", "reason": "more",
                                    "terms": diesel(b.x, "12000")}),
    Action.CLOSE_SHORT: lambda b, side: (F.CHANGE_REQUESTED, b.number,
                                         {"kind": "close_short", "reason": "ended"}),
    Action.CANCEL: lambda b, side: (F.CHANGE_REQUESTED, b.number,
                                    {"kind": "cancel", "reason": "typhoon"}),
    Action.RESPOND: lambda b, side: (F.CHANGE_ANSWERED, b.number,
                                     {"request": _pending_change(b.state),
                                      "answer": "accepted"}),
    Action.INVOICE: lambda b, side: (F.INVOICE_ISSUED, b.number, _invoice(b)),
    Action.VOID_INVOICE: lambda b, side: (
        F.INVOICE_VOIDED, b.number,
        {"invoice": _first(i.id for i in b.state.invoices), "reason": "wrong"}),
    Action.CREDIT_NOTE: lambda b, side: (
        F.CREDIT_NOTE_ISSUED, b.number,
        {"invoice": _first(i.id for i in b.state.invoices), "amount": "1", "reason": "price"}),
    Action.PAY: lambda b, side: (
        F.PAYMENT_RECORDED, "PAY/PHL/99999",
        commands.payment_data(currency="JPY", allocations=[
            (b.number, _first(i.id for i in b.state.invoices), 100)])),
    Action.CONFIRM_PAYMENT: lambda b, side: (
        F.PAYMENT_CONFIRMED, "PAY/PHL/99999",
        {"payment": _first(p.payment for p in b.state.payments),
         "orders": [{"order": b.number, "invoice": _first(i.id for i in b.state.invoices),
                     "received": "1"}]}),
    Action.WRITE_OFF: lambda b, side: (
        F.WRITE_OFF_RECORDED, b.number,
        {"invoice": _first(i.id for i in b.state.invoices), "amount": "1", "reason": "fees"}),
    Action.RETURN_IN_KIND: lambda b, side: (
        F.RETURN_RECORDED, b.number, {"lines": [{"line": 1, "quantity": "1"}]}),
    Action.ACCEPT_RETURN: lambda b, side: (
        F.RETURN_ACCEPTED, b.number,
        {"return": _first(r.id for r in b.state.returns), "answer": "accepted"}),
    Action.CONVERT_TO_CASH: lambda b, side: (
        F.RIK_CONVERTED, b.number,
        {"lines": [{"line": 1, "quantity": "1", "unit_price": "152.5", "amount": "152"}],
         "amount": "152"}),
    Action.LINK_EXCHANGE: lambda b, side: (
        F.EXCHANGE_PROPOSED, "EVE/PROBE/00001",
        {"currency": "JPY", "rates": [],
         "orders": [{"order": b.number, "supplier": SUPPLIER, "currency": "JPY",
                     "value": "0", "valued": "0", "to_cash": "0"}]}),
    Action.SIGN_EXCHANGE: lambda b, side: (
        F.EXCHANGE_SIGNED, "EVE/PROBE/00001",
        {"exchange": _first(e.exchange for e in b.state.exchanges),
         "orders": [{"order": b.number}]}),
    Action.OFFSET: lambda b, side: (
        F.OFFSET_PROPOSED, "OFS/PROBE/00001",
        {"currency": "JPY", "rates": [],
         "orders": [{"order": b.number, "invoice": _first(i.id for i in b.state.invoices),
                     "debtor": REQUESTER, "currency": "JPY", "amount": "1", "valued": "1"}]}),
    Action.SIGN_OFFSET: lambda b, side: (
        F.OFFSET_SIGNED, "OFS/PROBE/00001",
        {"offset": _first(o.offset for o in b.state.offsets), "orders": [{"order": b.number}]}),
    Action.TRANSFER_REQUEST: lambda b, side: (
        F.TRANSFER_REQUESTED, b.number,
        {"to": "USA", "lines": [{"line": 1, "quantity": "1"}], "reason": "trilateral"}),
    Action.TRANSFER_CONSENT: lambda b, side: (
        F.TRANSFER_ANSWERED, b.number,
        {"request": _first(t.id for t in b.state.transfers), "answer": "consented"}),
    Action.TRANSFER: lambda b, side: (
        F.TRANSFER_RECORDED, b.number, {"request": _first(t.id for t in b.state.transfers)}),
    Action.WAIVE_DUTIES: lambda b, side: (
        F.DUTIES_WAIVED, b.number, {"reason": "a detachment of four"}),
    Action.ATTACH_EVIDENCE: lambda b, side: (
        F.EVIDENCE_ATTACHED, b.number,
        {"to": _first(r.id for r in (b.state.deliveries if side is Side.SUPPLIER
                                     else b.state.receipts)),
         "evidence": [ticket_ref(b.number)]}),
}


@pytest.fixture(scope="module")
def bases(jp_ph: AgreementProfile) -> dict[Status, Base]:
    return {name: Base(jp_ph, name) for name in Status}


def test_every_action_has_a_probe() -> None:
    assert set(PROBES) == set(Action)


def test_the_fold_obeys_the_table_in_every_cell(bases: dict[Status, Base]) -> None:
    checked = allowed_effective = allowed_refused = 0
    mismatches: list[str] = []
    for status_, action, side, role in CELLS:
        base = bases[status_]
        type_, subject, data = PROBES[action](base, side)
        fact = base.probe(base.x.official(PARTY[side], role), type_, subject, data)
        target = fact.orders()[0]  # the base order, or the order a root event would begin
        try:
            st = interpret_orders([*base.facts, fact], base.ctx, [target])[target]
        except Exception as exc:  # a crash is a defect: report it with the cell
            mismatches.append(f"{status_}/{action}/{side}/{role}: crashed: {exc!r}")
            continue
        checked += 1
        v = next(v for v in st.verdicts if v.event == fact.hash)
        where = f"{status_}/{action}/{side}/{role}"
        if permitted(action, side, role, status_):
            if v.code == "transition_not_allowed":
                mismatches.append(f"{where}: allowed by the table, refused: {v.reason}")
            elif v.effective:
                allowed_effective += 1
            else:
                allowed_refused += 1
        elif v.effective or v.code != "transition_not_allowed":
            mismatches.append(
                f"{where}: forbidden by the table, but {v.effective=} {v.code} {v.reason}")
    assert mismatches == [], (
        f"{len(mismatches)} of {len(CELLS)} cells disagree with the table:\n"
        + "\n".join(mismatches)
    )
    assert checked == len(CELLS) == 6528, f"{checked} cells checked"
    # Every status's allowed cells were exercised; many take effect on these bases.
    assert allowed_effective + allowed_refused == 174
    assert allowed_effective >= 60, f"{allowed_effective} effective, {allowed_refused} refused"

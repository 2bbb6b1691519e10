"""The one table of who may do what: which role of which side, in which status.

Local actions and peers' events are both checked against :data:`PERMISSIONS`.
Data-level rules (amounts, tolerances, deadlines, appointments) come after
this check, in the fold.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from acsa.domain.errors import N_, TransitionNotAllowed
from acsa.domain.parties import Role, Side


class Status(StrEnum):
    """What users see; derived from an order's parts, never stored as truth."""

    DRAFT = "draft"  # not yet in the shared record (a local draft, or no order yet)
    SUBMITTED = "submitted"
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    IN_DELIVERY = "in_delivery"
    DELIVERED = "delivered"
    RECEIVED = "received"
    SETTLING = "settling"
    SETTLED = "settled"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    DISPUTED = "disputed"


class Action(StrEnum):
    SUBMIT = "submit"
    PROPOSE = "propose"
    CONFIRM = "confirm"
    WITHDRAW = "withdraw"
    ACCEPT = "accept"
    REJECT = "reject"
    EMERGENCY = "emergency"
    CONFIRM_EMERGENCY = "confirm-emergency"
    DELIVER = "deliver"
    RECEIVE = "receive"
    DISPUTE = "dispute"
    RESOLVE = "resolve"
    AMEND = "amend"
    CLOSE_SHORT = "close-short"
    CANCEL = "cancel"
    RESPOND = "respond"
    INVOICE = "invoice"
    VOID_INVOICE = "void-invoice"
    CREDIT_NOTE = "credit-note"
    PAY = "pay"
    CONFIRM_PAYMENT = "confirm-payment"
    WRITE_OFF = "write-off"
    RETURN_IN_KIND = "return-in-kind"
    ACCEPT_RETURN = "accept-return"
    CONVERT_TO_CASH = "convert-to-cash"
    LINK_EXCHANGE = "link-exchange"
    SIGN_EXCHANGE = "sign-exchange"
    OFFSET = "offset"
    SIGN_OFFSET = "sign-offset"
    TRANSFER_REQUEST = "transfer-request"
    TRANSFER_CONSENT = "transfer-consent"
    TRANSFER = "transfer"
    WAIVE_DUTIES = "waive-duties"
    ATTACH_EVIDENCE = "attach-evidence"


S = Status
PRE_ACCEPTANCE = frozenset({S.SUBMITTED, S.PROPOSED})
BEFORE_DELIVERY_DONE = frozenset({S.ACCEPTED, S.IN_DELIVERY})
PHYSICAL = frozenset({S.IN_DELIVERY, S.DELIVERED, S.RECEIVED, S.SETTLING})
ACTIVE = frozenset({S.ACCEPTED, S.IN_DELIVERY, S.DELIVERED, S.RECEIVED, S.SETTLING})
ACTIVE_OR_DISPUTED = ACTIVE | {S.DISPUTED}
AFTER_RECEIPT = frozenset({S.DELIVERED, S.RECEIVED, S.SETTLING, S.SETTLED})
FINANCE = frozenset({S.IN_DELIVERY, S.DELIVERED, S.RECEIVED, S.SETTLING})
FINANCE_OR_DISPUTED = FINANCE | {S.DISPUTED}

R = Side.REQUESTER
SUP = Side.SUPPLIER
ORD = Role.ORDERING_OFFICIAL
APP = Role.APPROVING_OFFICIAL
SUPPLY = Role.SUPPLY_OFFICER
RCV = Role.RECEIVING_OFFICIAL
FIN = Role.FINANCE_OFFICER


@dataclass(frozen=True)
class Permission:
    action: Action
    side: Side
    roles: frozenset[Role]
    statuses: frozenset[Status]


def _p(action: Action, side: Side, roles: set[Role], statuses: frozenset[Status]) -> Permission:
    return Permission(action, side, frozenset(roles), frozenset(statuses))


# The table. A row names an action, the side that may take it, the roles of
# that side that may take it, and the statuses in which it is allowed.
PERMISSIONS: tuple[Permission, ...] = (
    _p(Action.SUBMIT, R, {ORD}, frozenset({S.DRAFT})),
    _p(Action.EMERGENCY, SUP, {APP}, frozenset({S.DRAFT})),
    _p(Action.PROPOSE, SUP, {APP}, PRE_ACCEPTANCE),
    _p(Action.CONFIRM, R, {ORD}, frozenset({S.PROPOSED})),
    _p(Action.WITHDRAW, R, {ORD}, PRE_ACCEPTANCE),
    _p(Action.ACCEPT, SUP, {APP}, frozenset({S.SUBMITTED})),
    _p(Action.REJECT, SUP, {APP}, PRE_ACCEPTANCE),
    _p(Action.CONFIRM_EMERGENCY, R, {ORD}, ACTIVE_OR_DISPUTED | {S.SETTLED}),
    _p(Action.DELIVER, SUP, {SUPPLY}, BEFORE_DELIVERY_DONE | {S.SETTLING, S.DISPUTED}),
    _p(Action.RECEIVE, R, {RCV}, frozenset({S.IN_DELIVERY, S.DELIVERED, S.SETTLING, S.DISPUTED})),
    _p(Action.DISPUTE, R, {RCV, ORD, FIN}, PHYSICAL),
    _p(Action.DISPUTE, SUP, {SUPPLY, APP, FIN}, PHYSICAL),
    _p(Action.RESOLVE, R, {RCV, ORD, FIN}, frozenset({S.DISPUTED})),
    _p(Action.RESOLVE, SUP, {SUPPLY, APP, FIN}, frozenset({S.DISPUTED})),
    _p(Action.AMEND, R, {ORD}, BEFORE_DELIVERY_DONE),
    _p(Action.AMEND, SUP, {APP}, BEFORE_DELIVERY_DONE),
    _p(Action.CLOSE_SHORT, R, {ORD}, BEFORE_DELIVERY_DONE),
    _p(Action.CLOSE_SHORT, SUP, {APP}, BEFORE_DELIVERY_DONE),
    _p(Action.CANCEL, R, {ORD}, frozenset({S.ACCEPTED})),
    _p(Action.RESPOND, R, {ORD}, ACTIVE_OR_DISPUTED),
    _p(Action.RESPOND, SUP, {APP}, ACTIVE_OR_DISPUTED),
    _p(Action.INVOICE, SUP, {FIN}, FINANCE),
    _p(Action.VOID_INVOICE, SUP, {FIN}, FINANCE_OR_DISPUTED),
    _p(Action.CREDIT_NOTE, SUP, {FIN}, FINANCE_OR_DISPUTED),
    _p(Action.PAY, R, {FIN}, FINANCE_OR_DISPUTED),
    _p(Action.CONFIRM_PAYMENT, SUP, {FIN}, FINANCE_OR_DISPUTED),
    _p(Action.WRITE_OFF, SUP, {FIN}, frozenset({S.SETTLING})),
    _p(Action.RETURN_IN_KIND, R, {SUPPLY}, FINANCE),
    _p(Action.ACCEPT_RETURN, SUP, {RCV}, frozenset({S.SETTLING})),
    _p(Action.CONVERT_TO_CASH, SUP, {FIN}, FINANCE),
    _p(Action.LINK_EXCHANGE, R, {FIN}, frozenset({S.RECEIVED, S.SETTLING})),
    _p(Action.LINK_EXCHANGE, SUP, {FIN}, frozenset({S.RECEIVED, S.SETTLING})),
    _p(Action.SIGN_EXCHANGE, R, {FIN}, frozenset({S.RECEIVED, S.SETTLING})),
    _p(Action.SIGN_EXCHANGE, SUP, {FIN}, frozenset({S.RECEIVED, S.SETTLING})),
    _p(Action.OFFSET, R, {FIN}, frozenset({S.SETTLING})),
    _p(Action.OFFSET, SUP, {FIN}, frozenset({S.SETTLING})),
    _p(Action.SIGN_OFFSET, R, {FIN}, frozenset({S.SETTLING})),
    _p(Action.SIGN_OFFSET, SUP, {FIN}, frozenset({S.SETTLING})),
    _p(Action.TRANSFER_REQUEST, R, {ORD}, AFTER_RECEIPT),
    _p(Action.TRANSFER_CONSENT, SUP, {APP}, AFTER_RECEIPT),
    _p(Action.TRANSFER, R, {SUPPLY}, AFTER_RECEIPT),
    # A small detachment: an approving official lifts the separation of duties for their
    # side on one order, while the order still has steps to take.
    _p(Action.WAIVE_DUTIES, R, {APP}, PRE_ACCEPTANCE | ACTIVE_OR_DISPUTED),
    _p(Action.WAIVE_DUTIES, SUP, {APP}, PRE_ACCEPTANCE | ACTIVE_OR_DISPUTED),
    # A document for a step already taken (a delivery ticket found later): by the side that
    # took the step, as long as the order is open, and after settlement for the auditors.
    _p(Action.ATTACH_EVIDENCE, R, {RCV, FIN}, FINANCE_OR_DISPUTED | {S.SETTLED}),
    _p(Action.ATTACH_EVIDENCE, SUP, {SUPPLY, FIN}, FINANCE_OR_DISPUTED | {S.SETTLED}),
)

_BY_KEY: dict[tuple[Action, Side], Permission] = {(p.action, p.side): p for p in PERMISSIONS}


def permission(action: Action, side: Side) -> Permission | None:
    return _BY_KEY.get((action, side))


def permitted(action: Action, side: Side, role: Role, status: Status) -> bool:
    """Whether ``role`` of ``side`` may take ``action`` in ``status``."""
    row = _BY_KEY.get((action, side))
    return row is not None and role in row.roles and status in row.statuses


def check_permitted(action: Action, side: Side, role: Role, status: Status) -> None:
    row = _BY_KEY.get((action, side))
    named: dict[str, object] = {"action": action, "side": side, "role": role, "status": status}
    if row is None:
        raise TransitionNotAllowed(
            N_("the %(side)s never may %(action)s"),
            field="action", **named,
        )
    if role not in row.roles:
        allowed = sorted(r.value for r in row.roles)
        raise TransitionNotAllowed(
            N_("a %(role)s may not %(action)s; the %(side)s's %(allowed)s may"), field="role",
            allowed=allowed, **named,
        )
    if status not in row.statuses:
        raise TransitionNotAllowed(
            N_("cannot %(action)s an order that is %(status)s"),
            field="status", **named,
        )


def actions_for(side: Side, role: Role, status: Status) -> list[Action]:
    """Every action ``role`` of ``side`` may take in ``status`` (for the UI's buttons)."""
    return [
        p.action for p in PERMISSIONS if p.side is side and role in p.roles and status in p.statuses
    ]

"""What needs *me* now: the dashboard's counts, from the projections and the role table.

Each "waiting" entry is one status in which the user's nation, on one side of
an order, holds the next step — and the user holds a role the permission
table lets take it. So an approving official of the supplier sees orders
awaiting acceptance; a receiving official of the requester sees deliveries
to acknowledge; a finance officer sees what is due and overdue.

Every count, amount and chart counts only the orders the user may read
(:mod:`acsa.services.need_to_know`), through the report services it reads.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, select

from acsa.domain.money import Money
from acsa.domain.parties import Side
from acsa.domain.rules import Action, Status, actions_for
from acsa.services import reports
from acsa.services.queries import visible_to
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.store import tables as T

RETURN_WARNING_DAYS = 30  # RIK returns due within this many days are "approaching"

# The next step of an order in each status, and whose it is.
NEXT_STEPS: tuple[tuple[str, Status, Side, Action], ...] = (
    ("accept", Status.SUBMITTED, Side.SUPPLIER, Action.ACCEPT),
    ("confirm", Status.PROPOSED, Side.REQUESTER, Action.CONFIRM),
    ("deliver", Status.ACCEPTED, Side.SUPPLIER, Action.DELIVER),
    ("receive", Status.DELIVERED, Side.REQUESTER, Action.RECEIVE),
    ("invoice", Status.RECEIVED, Side.SUPPLIER, Action.INVOICE),
    ("resolve", Status.DISPUTED, Side.REQUESTER, Action.RESOLVE),
    ("resolve", Status.DISPUTED, Side.SUPPLIER, Action.RESOLVE),
)


@dataclass(frozen=True)
class Waiting:
    step: str  # accept, confirm, deliver, receive, invoice, resolve
    status: str
    count: int


@dataclass(frozen=True)
class DueTotal:
    direction: str  # "payable" (we owe) or "receivable" (we are owed)
    currency: str
    due: Money
    overdue: Money
    items: int
    overdue_items: int


@dataclass(frozen=True)
class CeilingUse:
    agreement: str
    direction: str
    fiscal_year: str
    cap: Money
    used: Money
    percent: int
    suspended: bool


@dataclass(frozen=True)
class Dashboard:
    on: date
    waiting: list[Waiting]
    due: list[DueTotal]
    returns_due: int  # in-kind returns we owe within RETURN_WARNING_DAYS (or late)
    emergencies_to_confirm: int  # our emergency requests not yet confirmed in writing
    emergencies_awaiting_partner: int
    ceilings: list[CeilingUse]
    aging: dict[tuple[str, str, str], dict[str, int]]  # per (debtor, creditor, currency)


def _side_column(side: Side) -> Any:
    return T.orders.c.supplier if side is Side.SUPPLIER else T.orders.c.requester


def waiting_for(uow: UnitOfWork, user: LocalUser) -> list[Waiting]:
    """Orders whose next step the user's roles may take, per step."""
    o = T.orders.c
    out: dict[tuple[str, str], int] = defaultdict(int)
    for step, status, side, action in NEXT_STEPS:
        if not any(action in actions_for(side, role, status) for role in user.roles):
            continue
        count = uow.conn.execute(
            select(func.count()).select_from(T.orders).where(
                o.status == status.value, _side_column(side) == user.party, visible_to(uow, user))
        ).scalar_one()
        out[(step, status.value)] += int(count)
    return [Waiting(step, status, count) for (step, status), count in out.items()]


def due_totals(party: str, clock_rows: list[reports.AgingRow]) -> list[DueTotal]:
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in clock_rows:
        if row.amount is None or party not in (row.debtor, row.creditor):
            continue
        direction = "payable" if row.debtor == party else "receivable"
        bucket = sums[(direction, row.amount.currency)]
        bucket[0] += row.amount.minor
        bucket[2] += 1
        if row.days > 0:
            bucket[1] += row.amount.minor
            bucket[3] += 1
    return [DueTotal(d, cur, Money(cur, v[0]), Money(cur, v[1]), v[2], v[3])
            for (d, cur), v in sorted(sums.items())]


def ceiling_use(uow: UnitOfWork, user: LocalUser, on: date) -> list[CeilingUse]:
    out = []
    for r in reports.ceilings(uow, user, on):
        percent = (r.used.minor * 100 // r.cap.minor) if r.cap.minor else 0
        out.append(CeilingUse(r.agreement, r.direction, str(r.fiscal_year), r.cap, r.used,
                              percent, r.suspended))
    return out


def dashboard(uow: UnitOfWork, user: LocalUser) -> Dashboard:
    """The dashboard of ``user`` as of the node's clock."""
    on = uow.node.today()
    aging_rows = reports.aging(uow, user, uow.node.clock)
    horizon = on + timedelta(days=RETURN_WARNING_DAYS)
    returns_due = sum(1 for r in reports.obligations(uow, user)
                      if r.debtor == user.party and r.due_on is not None and r.due_on <= horizon)
    o = T.orders.c
    unconfirmed = and_(o.emergency.is_(True), o.emergency_confirmed_on.is_(None),
                       o.status.not_in([Status.REJECTED.value, Status.CANCELLED.value]),
                       visible_to(uow, user))

    def count(*conditions: Any) -> int:
        return int(uow.conn.execute(
            select(func.count()).select_from(T.orders).where(unconfirmed, *conditions)
        ).scalar_one())

    return Dashboard(
        on=on,
        waiting=waiting_for(uow, user),
        due=due_totals(user.party, aging_rows),
        returns_due=returns_due,
        emergencies_to_confirm=count(o.requester == user.party),
        emergencies_awaiting_partner=count(o.supplier == user.party),
        ceilings=ceiling_use(uow, user, on),
        aging=reports.aging_summary(aging_rows),
    )

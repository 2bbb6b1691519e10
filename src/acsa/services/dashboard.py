"""What needs *me* now: the dashboard's counts, from the projections and the role table.

The worklist (:mod:`acsa.services.worklist`) holds each task on which it is the
user's nation's turn and one of the user's roles may do it: an approving
official of the supplier sees orders to accept; a receiving official of the
requester deliveries to acknowledge; a finance officer invoices to issue, to pay
and payments to confirm. Each count equals the list it opens.

Every count, amount and chart counts only the orders the user may read
(:mod:`acsa.services.need_to_know`), through the report services it reads.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from acsa.domain.aging_buckets import AGING_BUCKETS
from acsa.domain.errors import DomainError
from acsa.domain.money import Money
from acsa.services import compromise, consent, reports, worklist
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser, today_of


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
    partner: str = ""
    scope: str = "agreement"  # "country": counted across every agreement with the partner
    agreements: tuple[str, ...] = ()  # whose orders it counts
    missing_rate: DomainError | None = None  # nothing counted: no rate the profile allows


@dataclass(frozen=True)
class Dashboard:
    on: date
    tasks: list[worklist.Task]  # the user's worklist: each count equals the list it opens
    due: list[DueTotal]
    emergencies_awaiting_partner: int  # our partner's emergency requests, unconfirmed
    ceilings: list[CeilingUse]
    aging: dict[tuple[str, str, str], dict[str, int]]  # per (debtor, creditor, currency)
    # Open loss or compromise reports whose next step is this node's (security officers).
    compromise_reports: int = 0
    # Requests for consent to release or downgrade this node's information, unanswered.
    consent_requests: int = 0


def due_totals(party: str, cells: list[reports.AgingCell]) -> list[DueTotal]:
    """What ``party`` owes and is owed now, per currency: in all, and overdue (past the
    first bucket), with how many items make each."""
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for cell in cells:
        if party not in (cell.debtor, cell.creditor):
            continue
        direction = "payable" if cell.debtor == party else "receivable"
        bucket = sums[(direction, cell.currency)]
        bucket[0] += cell.minor
        bucket[2] += cell.items
        if cell.bucket != AGING_BUCKETS[0][1]:
            bucket[1] += cell.minor
            bucket[3] += cell.items
    return [DueTotal(d, cur, Money(cur, v[0]), Money(cur, v[1]), v[2], v[3])
            for (d, cur), v in sorted(sums.items())]


def ceiling_use(uow: UnitOfWork, user: LocalUser, on: date) -> list[CeilingUse]:
    out = []
    for r in reports.ceilings(uow, user, on):
        percent = (r.used.minor * 100 // r.cap.minor) if r.cap.minor else 0
        out.append(CeilingUse(r.agreement, r.direction, str(r.fiscal_year), r.cap, r.used,
                              percent, r.suspended, r.partner, r.scope, r.agreements,
                              r.missing_rate))
    return out


def dashboard(uow: UnitOfWork, user: LocalUser) -> Dashboard:
    """The dashboard of ``user`` as of the node's clock, on the user's "today"."""
    on = today_of(uow, user)
    # Kept totals per reader class: a few rows, whatever the number of orders.
    cells = reports.aging_cells(uow, user, uow.node.clock)
    aging = reports.aging_totals_of(cells)
    return Dashboard(
        on=on,
        tasks=worklist.worklist(uow, user),
        due=due_totals(user.party, cells),
        emergencies_awaiting_partner=worklist.awaiting_partner(uow, user, "emergency"),
        ceilings=ceiling_use(uow, user, on),
        aging=aging,
        compromise_reports=len(compromise.awaiting(uow, user)),
        consent_requests=len(consent.awaiting(uow, user)),
    )

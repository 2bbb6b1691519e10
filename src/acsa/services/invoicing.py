"""The invoices a supplier's finance officer may issue on an order now, with what each
would bill and when it would fall due: what the invoice form offers, before signing.

Each is computed exactly as :func:`acsa.services.settlement.issue_invoice` would compute
it on the business date given (by default today's), so the amount and due date the form
shows are the ones the signed invoice will carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from acsa.domain import commands
from acsa.domain.billing import billable
from acsa.domain.money import Money
from acsa.services import need_to_know
from acsa.services.recording import order_state
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser


@dataclass(frozen=True)
class InvoiceDue:
    kind: str  # goods, conversion, residual or difference
    reference: str | None  # what issue_invoice takes to name what it bills
    names: str | None  # what a person reads for it: the invoice paid short, a position
    total: Money
    due_on: date


def invoices_due(uow: UnitOfWork, user: LocalUser, number: str, *,
                 on: date | None = None) -> list[InvoiceDue]:
    """Every invoice that could be issued on order ``number`` on ``on``, with its total and
    due date; empty when there is nothing to invoice."""
    need_to_know.require_readable(uow, user, [number])
    state = order_state(uow, number)
    profile = uow.context.profile(state.profile)
    on = on or uow.node.today(profile)
    out = []
    for kind, ref in billable(state, profile):
        data = commands.invoice_data(state, profile, on=on, number="", kind=kind,
                                     reference=ref)
        reference, names = ref, None
        if kind == "difference":
            invoice = state.invoice(ref or "")
            reference = names = invoice.number if invoice else ref
        elif kind == "conversion":
            names = str(1 + [c.id for c in state.conversions].index(ref or ""))
        elif kind == "residual":
            names = (ref or "")[:12]
        out.append(InvoiceDue(kind, reference, names, Money.parse(data["total"], state.currency),
                              date.fromisoformat(data["due_on"])))
    return out

"""The exception report of source documents: the orders that lack a document their agreement's
evidence policy asks of a step (a delivery without its delivery ticket …).

Only orders the reader may read are listed (need to know), and only orders whose
profile — the one their first event cites — has an evidence policy: an order
begun under a profile without one lacks nothing. Rejected and cancelled orders
are left out; settled ones stay, since the document is still missing from the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from acsa.domain import evidence
from acsa.domain.parties import Side
from acsa.services import need_to_know
from acsa.services.recording import fold_orders
from acsa.services.report_tables import REPORT_ROWS_MAX, _limit
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.store import tables as T

LEFT_OUT = ("rejected", "cancelled", "draft")


@dataclass(frozen=True)
class MissingEvidenceRow:
    order: str
    status: str
    step: str  # the action that took the step: "deliver" or "receive"
    step_on: date
    event: str  # the event that recorded the step, to attach the document to
    document: str  # the kind of document missing
    before: str  # the settlement step it holds back: "invoice" or "pay"
    party: str  # who took the step, and so attaches the document
    agreement: str
    version: str


def missing_evidence(uow: UnitOfWork, user: LocalUser, *,
                     partner: str | None = None) -> list[MissingEvidenceRow]:
    """Every document an order ``user`` may read lacks, oldest order first."""
    o = T.orders.c
    query = select(o.number, o.profile, o.status, o.requester, o.supplier).where(
        o.status.not_in(LEFT_OUT), need_to_know.readable(uow, user))
    if partner:
        query = query.where((o.requester == partner) | (o.supplier == partner))
    rows = uow.conn.execute(query.order_by(o.submitted_on, o.number)
                            .limit(REPORT_ROWS_MAX + 1)).all()
    _limit(len(rows), "orders")
    profiles = {r.profile: uow.context.profile(r.profile) for r in rows}
    wanted = [r for r in rows if profiles[r.profile].evidence]
    states = fold_orders(uow, [r.number for r in wanted])
    out: list[MissingEvidenceRow] = []
    for r in wanted:
        profile = profiles[r.profile]
        for m in evidence.missing(states[r.number].state, profile):
            party = r.supplier if evidence.STEP_SIDE[m.step] is Side.SUPPLIER else r.requester
            out.append(MissingEvidenceRow(r.number, r.status, m.step, m.on, m.event, m.document,
                                          m.before, party, profile.id, profile.version))
    _limit(len(out), "documents")
    return out

"""National accounting: receivables, their claim notices, and the export for the nation's books.

A **receivable** is what the partner owes this nation: an invoice this node's party
issued (for goods and services, a conversion of an obligation in kind to cash, an
exchange residual or a short-payment difference). Each must reach the nation's own
accounting — in Japan a claim notice (債権発生通知書) to the revenue collection officer
(歳入徴収官) — and the Board of Audit found transactions overdue because such notices
never arrived. So:

- :func:`notice_model` gathers what the notice prints (:mod:`acsa.reports.claim_notice`
  lays it out as a bilingual PDF);
- :func:`mark_sent` records, locally, that a finance officer sent it: when, to whom,
  by whom (table ``claim_notices``; never shared with the partner, since the partner
  has no part in this nation's internal accounting, and never cleared by a rebuild);
- :func:`pending` is the exception report: receivables whose notice is not yet sent,
  with the days since the invoice;
- :func:`accounting_export` is the machine-readable export of receivables, payables,
  payments and confirmations (schema: ``docs/national-accounting.schema.json``).

Every list, count, total and export holds only the orders the reader may read
(:mod:`acsa.services.need_to_know`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import insert, select

from acsa.domain import facts as F
from acsa.domain.errors import N_, AlreadyRecorded, InvalidValue, MissingField, UnknownReference
from acsa.domain.marking import UNCLASSIFIED
from acsa.domain.money import MINOR_UNITS
from acsa.domain.parties import Role
from acsa.domain.state import Invoice, OrderState
from acsa.services import access_log, need_to_know
from acsa.services.documents import DocumentModel, DocumentUnavailable, document_model
from acsa.services.report_tables import fold_orders
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser, today_of
from acsa.store import tables as T

EXPORT_SCHEMA = "acsa-national-accounting/1"
READERS = (Role.FINANCE_OFFICER, Role.AUDITOR)  # who reads receivables and the export
SENT_TO_MAX = 200
NOTE_MAX = 500
ARTICLE_KEY = "settlement.legal_basis_article"  # listed under placeholders when not real


@dataclass(frozen=True)
class Notice:
    """That a receivable's claim notice was sent: when, to whom, who recorded it."""

    sent_on: date
    sent_to: str
    note: str
    recorded_at: str
    recorded_by: str
    recorded_by_name: str


@dataclass(frozen=True)
class Receivable:
    invoice: str  # number, e.g. INV/JPN/FY2025/00001
    invoice_id: str  # hash of the invoice.issued event
    order: str
    agreement: str
    kind: str  # goods, conversion, residual, difference
    issued_on: date
    due_on: date
    creditor: str
    debtor: str
    currency: str
    total: int  # minor units
    outstanding: int
    voided_on: date | None
    notice: Notice | None

    @property
    def live(self) -> bool:
        return self.voided_on is None

    def days_since_invoice(self, today: date) -> int:
        return (today - self.issued_on).days


def _notices(uow: UnitOfWork, ids: Sequence[str]) -> dict[str, Notice]:
    c = T.claim_notices.c
    if not ids:
        return {}
    return {r.invoice_id: Notice(r.sent_on, r.sent_to, r.note, r.recorded_at, r.recorded_by,
                                 r.recorded_by_name)
            for r in uow.conn.execute(select(T.claim_notices).where(c.invoice_id.in_(ids)))}


def invoiced_states(uow: UnitOfWork, user: LocalUser) -> dict[str, OrderState]:
    """The folded orders ``user`` may read that hold an invoice, by number."""
    e, eo = T.events.c, T.event_orders.c
    numbers = sorted({r.order_number for r in uow.conn.execute(
        select(eo.order_number).join(T.events, e.id == eo.event_id)
        .where(e.type == F.INVOICE_ISSUED, need_to_know.readable(uow, user, eo.order_number))
    )})
    return {n: s for n, s in fold_orders(uow, numbers).items()
            if n in numbers and s.terms is not None}


def _receivable(state: OrderState, i: Invoice, notice: Notice | None) -> Receivable:
    assert state.terms is not None
    return Receivable(i.number, i.id, state.number, state.terms.agreement, i.kind, i.on,
                      i.due_on, state.supplier, state.requester, i.currency, i.total,
                      i.outstanding, i.voided_on, notice)


def require_reader(user: LocalUser) -> None:
    user.require(*READERS)


def receivables(uow: UnitOfWork, user: LocalUser) -> list[Receivable]:
    """Every invoice this node's party issued, on the orders ``user`` may read, live and
    voided, each with its notice (if sent); oldest first."""
    require_reader(user)
    states = invoiced_states(uow, user)
    mine = [(s, i) for s in states.values() if s.supplier == uow.node.party
            for i in s.invoices]
    notices = _notices(uow, [i.id for _, i in mine])
    out = [_receivable(s, i, notices.get(i.id)) for s, i in mine]
    out.sort(key=lambda r: (r.issued_on, r.invoice))
    return out


def pending(uow: UnitOfWork, user: LocalUser) -> list[Receivable]:
    """The exception report: live receivables whose claim notice is not yet sent."""
    return [r for r in receivables(uow, user) if r.live and r.notice is None]


def find(uow: UnitOfWork, user: LocalUser, ref: str) -> Receivable:
    """The receivable named by its invoice number (or a hash prefix of 8 or more digits)."""
    ref = ref.strip()
    found = [r for r in receivables(uow, user)
             if r.invoice == ref or (len(ref) >= 8 and r.invoice_id.startswith(ref))]
    if len(found) != 1:
        raise UnknownReference(N_("no receivable invoice '%(ref)s' on this node"),
                               field="receivable", ref=ref)
    return found[0]


def _live(r: Receivable) -> None:
    if not r.live:
        raise DocumentUnavailable(
            N_("invoice %(invoice)s is void: no claim notice is issued for it"),
            field="invoice", invoice=r.invoice)


@use_case
def mark_sent(uow: UnitOfWork, user: LocalUser, ref: str, *, to: str,
              on: date | None = None, note: str = "", address: str = "") -> Receivable:
    """Record that the claim notice of receivable ``ref`` was sent to ``to`` on ``on``
    (default: the officer's today). Once per receivable; a finance officer's act."""
    user.require(Role.FINANCE_OFFICER)
    r = find(uow, user, ref)
    _live(r)
    to, note = to.strip(), note.strip()
    if not to:
        raise MissingField(N_("is required"), field="to")
    if len(to) > SENT_TO_MAX or len(note) > NOTE_MAX:
        field, limit = ("to", SENT_TO_MAX) if len(to) > SENT_TO_MAX else ("note", NOTE_MAX)
        raise InvalidValue(N_("at most %(limit)s characters"), field=field, limit=limit)
    today = today_of(uow, user)
    on = on or today
    if on < r.issued_on or on > today:
        raise InvalidValue(N_("must be between the invoice date %(issued_on)s and today"),
                           field="on", issued_on=r.issued_on)
    if r.notice is not None:
        raise AlreadyRecorded(
            N_("the claim notice of %(invoice)s was marked sent on %(sent_on)s to "
               "%(sent_to)s"),
            field="invoice", invoice=r.invoice, sent_on=r.notice.sent_on,
            sent_to=r.notice.sent_to)
    notice = Notice(on, to, note, uow.node.now_at(), user.id, user.name)
    uow.conn.execute(insert(T.claim_notices).values(
        invoice_id=r.invoice_id, order_number=r.order, invoice_number=r.invoice,
        sent_on=on, sent_to=to, note=note, recorded_at=notice.recorded_at,
        recorded_by=user.id, recorded_by_name=user.name))
    access_log.record_opening(uow, user, "claim.sent", r.order, f"{r.invoice} → {to}",
                              address)
    return replace(r, notice=notice)


@dataclass(frozen=True)
class ClaimNoticeModel:
    """What a claim notice prints: the invoice as its document shows it, plus the claim."""

    document: DocumentModel  # parties, remittance, marking, QR payload of the invoice
    receivable: Receivable
    creditor_name: str
    creditor_force: str
    debtor_name: str
    debtor_force: str
    agreement_title: str
    article: str | None  # the profile's settlement.legal_basis_article
    article_placeholder: bool
    issued_on: date  # the issuing official's today
    issued_by: str  # the issuing official's name
    issued_by_id: str
    issued_by_units: tuple[str, ...]


def notice_model(uow: UnitOfWork, user: LocalUser, ref: str, *,
                 address: str = "") -> ClaimNoticeModel:
    """The claim notice of receivable ``ref``, issued by ``user`` (a finance officer)."""
    user.require(Role.FINANCE_OFFICER)
    r = find(uow, user, ref)
    _live(r)
    doc = document_model(uow, "invoice", r.order, ref=r.invoice_id)
    profile = uow.context.profile(_profile_digest(uow, r.order))
    creditor, debtor = profile.party(r.creditor), profile.party(r.debtor)
    access_log.record_opening(uow, user, "document.read", r.order,
                              f"claim notice {r.invoice}", address)
    return ClaimNoticeModel(
        document=doc, receivable=r, creditor_name=creditor.name,
        creditor_force=creditor.force, debtor_name=debtor.name, debtor_force=debtor.force,
        agreement_title=profile.title, article=profile.settlement.legal_basis_article,
        article_placeholder=ARTICLE_KEY in profile.placeholders,
        issued_on=today_of(uow, user), issued_by=user.name, issued_by_id=user.id,
        issued_by_units=tuple(sorted(user.units)))


def _profile_digest(uow: UnitOfWork, number: str) -> str:
    row = uow.conn.execute(select(T.orders.c.profile).where(T.orders.c.number == number)).first()
    if row is None:  # find() found it readable, so the row is there
        raise UnknownReference(N_("no order %(number)s on this node"), field="order",
                               number=number)
    return str(row.profile)


# -- the export ----------------------------------------------------------------------------


def _invoice_entry(state: OrderState, i: Invoice, party: str, notice: Notice | None,
                   marking: dict[str, str]) -> dict[str, Any]:
    direction = "receivable" if state.supplier == party else "payable"
    entry: dict[str, Any] = {
        "direction": direction, "invoice": i.number, "invoice_id": i.id,
        "order": state.number, "agreement": state.terms.agreement if state.terms else "",
        "kind": i.kind, "creditor": state.supplier, "debtor": state.requester,
        "issued_on": i.on.isoformat(), "due_on": i.due_on.isoformat(),
        "currency": i.currency, "minor_unit": MINOR_UNITS[i.currency],
        "total_minor": i.total, "credited_minor": i.credited, "paid_minor": i.paid,
        "written_off_minor": i.written_off, "offset_minor": i.offset,
        "outstanding_minor": i.outstanding,
        "voided_on": i.voided_on.isoformat() if i.voided_on else None,
        "marking": marking,
    }
    if direction == "receivable":
        entry["claim_notice"] = None if notice is None else {
            "sent_on": notice.sent_on.isoformat(), "sent_to": notice.sent_to,
            "recorded_by": notice.recorded_by, "recorded_at": notice.recorded_at}
    return entry


def _payment_entries(state: OrderState, party: str) -> tuple[list[dict[str, Any]],
                                                             list[dict[str, Any]]]:
    payments, confirmations = [], []
    numbers = {i.id: i.number for i in state.invoices}
    for p in state.payments:
        common = {"payment_id": p.payment, "order": state.number,
                  "invoice": numbers.get(p.invoice, ""), "invoice_id": p.invoice,
                  "currency": state.currency, "minor_unit": MINOR_UNITS[state.currency]}
        payments.append({**common, "direction": "incoming" if state.supplier == party
                         else "outgoing", "payer": state.requester, "payee": state.supplier,
                         "paid_on": p.on.isoformat(), "amount_minor": p.amount,
                         "reference": p.reference, "confirmed": p.confirmed})
        if p.received is not None and p.confirmed_on is not None:
            confirmations.append({**common, "confirmed_by": state.supplier,
                                  "confirmed_on": p.confirmed_on.isoformat(),
                                  "received_minor": p.received})
    return payments, confirmations


def _markings(uow: UnitOfWork, numbers: Sequence[str]) -> dict[str, dict[str, str]]:
    o = T.orders.c
    rows = uow.conn.execute(select(T.orders).where(o.number.in_(list(numbers)))).all()
    out = {}
    for row in rows:
        m = need_to_know.marking_of(row)
        out[str(row.number)] = {"level": m.level, "originator": m.originator}
    return out


def _totals(invoices: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    sums: dict[tuple[str, str], list[int]] = {}
    for inv in invoices:
        if inv["voided_on"] is None:
            s = sums.setdefault((inv["direction"], inv["currency"]), [0, 0, 0])
            s[0] += 1
            s[1] += inv["total_minor"]
            s[2] += inv["outstanding_minor"]
    return [{"direction": d, "currency": c, "minor_unit": MINOR_UNITS[c], "invoices": n,
             "total_minor": t, "outstanding_minor": o}
            for (d, c), (n, t, o) in sorted(sums.items())]


def accounting_export(uow: UnitOfWork, user: LocalUser) -> dict[str, Any]:
    """Receivables and payables (invoices), payments and confirmations of the orders
    ``user`` may read, amounts in minor units with ISO 4217 codes (schema
    :data:`EXPORT_SCHEMA`, documented in docs/national-accounting.md)."""
    require_reader(user)
    party = uow.node.party
    states = invoiced_states(uow, user)
    ids = [i.id for s in states.values() if s.supplier == party for i in s.invoices]
    notices = _notices(uow, ids)
    markings = _markings(uow, sorted(states))
    invoices: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    confirmations: list[dict[str, Any]] = []
    for number in sorted(states):
        s = states[number]
        for i in s.invoices:
            invoices.append(_invoice_entry(s, i, party, notices.get(i.id), markings[number]))
        paid, confirmed = _payment_entries(s, party)
        payments += paid
        confirmations += confirmed
    invoices.sort(key=lambda e: (e["issued_on"], e["invoice"]))
    return {"schema": EXPORT_SCHEMA, "node": party, "generated_at": uow.node.now_at(),
            "as_of": today_of(uow, user).isoformat(), "reader": user.id,
            "invoices": invoices, "payments": payments, "confirmations": confirmations,
            "totals": _totals(invoices)}


def export_marking(data: dict[str, Any]) -> str | None:
    """The classified markings an export holds (for its access-log line), or None."""
    found = sorted({f"{i['marking']['originator']} {i['marking']['level']}"
                    for i in data["invoices"] if i["marking"]["level"] != UNCLASSIFIED})
    return ", ".join(found) or None

"""Balance statements: a finance officer signs the balance per currency as of a date;
the other party's finance officer countersigns it (agreed) or disputes it.

The figures come from the postings of the agreement's orders between the two
parties, in one currency, whose business date is on or before the statement
date — the same fold on both nodes, so two nodes holding the same events
produce the same statement. A node countersigns only figures its own books
show; otherwise its officer must dispute, and the differences are listed.

A statement's figures cover every order between the two parties in its
currency, so only an officer who may read every one of them signs or answers
it (need to know): anyone else is refused with ``clearance_required``, and the
refusal names none of the orders.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import and_, func, or_, select

from acsa.domain import facts as F
from acsa.domain.errors import (
    N_,
    InvalidValue,
    NeedToKnow,
    NotAppointed,
    UnknownReference,
)
from acsa.domain.money import minor_units
from acsa.domain.parties import Role
from acsa.domain.statements import (
    AGREED,
    DISPUTED,
    BalanceLine,
    Statement,
    differences,
    fold_statements,
    statement_document,
)
from acsa.domain.streams import stream_id
from acsa.services import need_to_know
from acsa.services.finance_records import facts_of, finance_officer_check
from acsa.services.recording import Act, adopted_profile, record
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser
from acsa.store import tables as T
from acsa.store.log import StoredEvent


def balance_lines(uow: UnitOfWork, agreement: str, counterparty: str, currency: str,
                  as_of: date) -> list[BalanceLine]:
    """Every account between this node's party and ``counterparty`` as of the date."""
    me = uow.node.party
    query = (select(T.postings).join(T.orders, T.orders.c.number == T.postings.c.order_number)
             .where(T.orders.c.agreement == agreement, T.postings.c.currency == currency,
                    T.postings.c.on <= as_of))
    sums: dict[tuple[str, str, str], int] = defaultdict(int)
    for p in uow.conn.execute(query):
        if {p.debtor, p.creditor} != {me, counterparty}:
            continue
        sums[(p.debtor, p.creditor, p.debit)] += p.amount_minor
        sums[(p.debtor, p.creditor, p.credit)] -= p.amount_minor
    return [BalanceLine(d, c, a, v) for (d, c, a), v in sorted(sums.items())]


def require_every_order(uow: UnitOfWork, user: LocalUser, numbers: Iterable[str],
                        what: str, field: str) -> None:
    """Refuse ``user`` an act whose figures cover ``numbers`` unless they may read each
    (their nation a party to it, and need to know); the refusal names none of them."""
    covered = set(numbers)
    if not covered:
        return
    hidden = need_to_know.unreadable(uow, user)
    o = T.orders.c
    foreign = uow.conn.execute(
        select(func.count()).select_from(T.orders)
        .where(o.number.in_(sorted(covered)), o.requester != user.party,
               o.supplier != user.party)).scalar_one()
    if covered & hidden or foreign:
        raise NeedToKnow(
            N_("%(what)s covers orders %(user)s may not read: it needs a clearance and a need "
               "to know for every order it covers"),
            field=field, user=user.id, what=what,
        )


def covered_orders(uow: UnitOfWork, agreement: str, counterparty: str, currency: str,
                   as_of: date) -> set[str]:
    """The orders whose postings a statement of these figures sums."""
    me, p, o = uow.node.party, T.postings.c, T.orders.c
    return set(uow.conn.execute(
        select(p.order_number).distinct().join(T.orders, o.number == p.order_number)
        .where(o.agreement == agreement, p.currency == currency, p.on <= as_of,
               or_(and_(p.debtor == me, p.creditor == counterparty),
                   and_(p.debtor == counterparty, p.creditor == me)))).scalars())


def _document(uow: UnitOfWork, agreement: str, counterparty: str, currency: str,
              as_of: date) -> dict[str, object]:
    return statement_document(agreement, [uow.node.party, counterparty], currency,
                              as_of.isoformat(),
                              balance_lines(uow, agreement, counterparty, currency, as_of))


def _unit(uow: UnitOfWork, user: LocalUser, agreement: str, on: date) -> str | None:
    roster = uow.context.roster(stream_id(agreement, uow.node.party))
    for a in sorted(roster.for_user(user.party, user.id), key=lambda a: a.granted_at):
        if a.role is Role.FINANCE_OFFICER and a.in_force(on, None):
            return min(a.units) if a.units else None
    raise NotAppointed(
        N_("%(user)s is not appointed as finance officer under %(agreement)s"),
        field="user", user=user.id, role="finance_officer", agreement=agreement,
    )


@use_case
def sign_balance(uow: UnitOfWork, user: LocalUser, *, agreement: str, counterparty: str,
                 currency: str, as_of: date) -> StoredEvent:
    """A finance officer signs the balance with ``counterparty`` in ``currency`` as of a date."""
    profile = adopted_profile(uow, agreement)
    minor_units(currency)
    if counterparty not in profile.party_codes or counterparty == uow.node.party:
        raise InvalidValue(
            N_("%(counterparty)s is not the other party to %(agreement)s"),
            field="counterparty", counterparty=counterparty, agreement=agreement,
        )
    on = uow.node.today(profile)
    if as_of > on:
        raise InvalidValue(N_("a balance is stated as of today or an earlier date"), field="as_of")
    unit = _unit(uow, user, agreement, on)  # authority first, then what it may read
    require_every_order(uow, user, covered_orders(uow, agreement, counterparty, currency, as_of),
                        "the statement", "as_of")
    document = _document(uow, agreement, counterparty, currency, as_of)
    return record(uow, user, Act(
        agreement=agreement, type=F.BALANCE_SIGNED,
        subject=f"BAL/{uow.node.party}/{counterparty}/{currency}/{as_of.isoformat()}",
        data={"statement": document}, role=Role.FINANCE_OFFICER, on=on, unit=unit))


def readable_statement(uow: UnitOfWork, user: LocalUser, statement: Statement) -> bool:
    """Whether ``user`` may read every order the figures of ``statement`` cover."""
    doc = statement.document
    others = [p for p in doc.get("parties", ()) if p != uow.node.party]
    try:
        as_of = date.fromisoformat(str(doc.get("as_of")))
    except ValueError:
        return False
    covered = covered_orders(uow, str(doc.get("agreement")), str(others[0]) if others else "",
                             str(doc.get("currency")), as_of)
    try:
        require_every_order(uow, user, covered, "the statement", "statement")
    except NeedToKnow:
        return False
    return True


def list_statements(uow: UnitOfWork, user: LocalUser,
                    agreement: str | None = None) -> list[Statement]:
    """Every statement this node holds whose figures ``user`` may read (every order they
    cover), with its answer, oldest first."""
    return [s for s in all_statements(uow, agreement) if readable_statement(uow, user, s)]


def all_statements(uow: UnitOfWork, agreement: str | None = None) -> list[Statement]:
    """Every statement this node holds, with its answer, oldest first."""
    return fold_statements(facts_of(uow, (F.BALANCE_SIGNED, F.BALANCE_ANSWERED), agreement),
                           finance_officer_check(uow))


@use_case
def answer_balance(uow: UnitOfWork, user: LocalUser, statement: str, *, agree: bool,
                   reason: str = "") -> StoredEvent:
    """Countersign the other party's statement, or dispute it with the differences."""
    found = [s for s in all_statements(uow) if s.id.startswith(statement)]
    if len(found) != 1:
        raise UnknownReference(
            N_("no single statement '%(statement)s'"),
            field="statement", statement=statement,
        )
    target = found[0]
    if target.signer == uow.node.party:
        raise InvalidValue(N_("a party cannot answer its own statement"), field="statement")
    if target.status in (AGREED, DISPUTED):
        raise InvalidValue(
            N_("the statement was already %(status)s"),
            field="statement", status=target.status,
        )
    doc = target.document
    agreement = str(doc["agreement"])
    profile = adopted_profile(uow, agreement)
    currency, as_of = str(doc["currency"]), date.fromisoformat(str(doc["as_of"]))
    on = uow.node.today(profile)
    unit = _unit(uow, user, agreement, on)
    require_every_order(uow, user, covered_orders(uow, agreement, target.signer, currency,
                                                  as_of), "the statement", "statement")
    ours = _document(uow, agreement, target.signer, currency, as_of)
    diff = differences(doc, ours)
    if agree and diff:
        raise InvalidValue(N_("our books do not show these figures, so they cannot be "
                              "countersigned: %(differences)s"), field="statement",
                           differences="; ".join(diff))
    if not agree and not reason.strip():
        raise InvalidValue(N_("say why the statement is disputed"), field="reason")
    return record(uow, user, Act(
        agreement=agreement, type=F.BALANCE_ANSWERED, subject=f"BAL/{target.id[:16]}",
        data={"statement": target.id, "answer": AGREED if agree else DISPUTED,
              "reason": reason, "differences": diff},
        role=Role.FINANCE_OFFICER, on=on, unit=unit))

"""Offset statements as the pages and the API show them: the partners and currencies a
statement may be drawn up with, the invoices open each way, and one statement by its
number.

The acts themselves (propose, preview, sign, list) are
:mod:`acsa.services.settlement`'s; everything here reads, and counts only the orders
the reader may read (:mod:`acsa.services.need_to_know`), as the acts do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from acsa.domain.errors import N_, InvalidValue, UnknownReference
from acsa.domain.parties import Role
from acsa.services import queries, settlement
from acsa.services.recording import order_state
from acsa.services.report_tables import InvoiceRow, invoices
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser


@dataclass(frozen=True)
class Partner:
    """A party this node's party has an adopted agreement with, and the currencies of that
    agreement's parties (what a statement may be drawn up in)."""

    code: str
    name: str
    currencies: tuple[str, ...]


def partners(uow: UnitOfWork) -> list[Partner]:
    me = uow.node.party
    found: dict[str, tuple[str, set[str]]] = {}
    for agreement in queries.list_agreements(uow):
        codes = {str(p["code"]) for p in agreement.parties}
        if me not in codes:
            continue
        currencies = {str(p["currency"]) for p in agreement.parties}
        for p in agreement.parties:
            if p["code"] != me:
                _, known = found.setdefault(str(p["code"]), (str(p["name"]), set()))
                known |= currencies
    return [Partner(code, name, tuple(sorted(cur))) for code, (name, cur) in sorted(found.items())]


def partner(uow: UnitOfWork, code: str) -> Partner:
    """A partner by its code; another is refused naming the field ``partner``."""
    known = partners(uow)
    for p in known:
        if p.code == code:
            return p
    raise InvalidValue(N_("'%(partner)s' is not a partner of %(party)s (%(allowed)s)"),
                       field="partner", partner=code, party=uow.node.party,
                       allowed=[p.code for p in known])


def open_invoices(uow: UnitOfWork, user: LocalUser, partner_code: str) -> list[InvoiceRow]:
    """The live invoices with something outstanding between this node's party and
    ``partner_code``, each way, of the orders ``user`` may read: what an offset may net."""
    partner(uow, partner_code)
    return [i for i in invoices(uow, user, partner=partner_code)
            if i.voided_on is None and i.outstanding.minor > 0]


def find_offset(uow: UnitOfWork, user: LocalUser, ref: str) -> dict[str, Any]:
    """One offset statement by its number (``OFS/PHL/00001``) or a prefix of its hash; one
    netting an order ``user`` may not read is answered as one that does not exist."""
    wanted = ref.strip()
    matches = [o for o in settlement.list_offsets(uow, user)
               if wanted and (o["subject"] == wanted or o["hash"].startswith(wanted.lower()))]
    if len(matches) != 1:
        raise UnknownReference(N_("no offset statement '%(ref)s' on this node"),
                               field="offset", ref=wanted)
    return with_invoice_numbers(uow, matches[0])


def with_invoice_numbers(uow: UnitOfWork, offset: dict[str, Any]) -> dict[str, Any]:
    """``offset`` with each part's invoice number beside the invoice's hash (a part names
    the invoice by the hash of the event that issued it)."""
    numbers: dict[str, str] = {}
    for number in dict.fromkeys(str(p.get("order")) for p in offset["orders"]):
        numbers.update({i.id: i.number for i in order_state(uow, number).invoices})
    parts = [{**p, "invoice_number": numbers.get(str(p.get("invoice")), "")}
             for p in offset["orders"]]
    return {**offset, "orders": parts}


def may_sign(uow: UnitOfWork, user: LocalUser, offset: dict[str, Any]) -> bool:
    """Whether ``user`` is offered the signature: a finance officer of the party that did
    not propose a statement still awaiting it (the appointment decides when they sign)."""
    return (offset["state"] == "proposed" and Role.FINANCE_OFFICER in user.roles
            and offset["proposed_by"] != uow.node.party)


def may_propose(user: LocalUser) -> bool:
    return Role.FINANCE_OFFICER in user.roles

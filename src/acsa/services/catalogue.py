"""Catalogue prices as finance officers and administrators maintain them: every price
each party signed under its agreements, newest first per item.

A price is set by :func:`acsa.services.admin.set_catalogue_price` (a finance officer
of this node, appointed, signs it; it travels to the partner). A catalogue holds
no order data: any user may read it, as the new-order form does to prefill prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from acsa.domain.order import UNITS_OF_ISSUE
from acsa.services import queries
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

CATALOGUE_ROWS_MAX = 2000


@dataclass(frozen=True)
class CataloguePrice:
    agreement: str
    party: str  # the supplier whose price it is
    category: str
    item: str
    unit: str
    unit_price: str  # a decimal in the currency's major unit, as on an order line
    currency: str
    valid_from: date
    valid_to: date | None
    event: str

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


def list_prices(uow: UnitOfWork, *, agreement: str | None = None,
                party: str | None = None) -> list[CataloguePrice]:
    """Prices by agreement, party, category and item, the latest first for each item."""
    c = T.catalogue.c
    query = select(T.catalogue).order_by(c.agreement, c.party, c.category, c.item, c.unit,
                                         c.valid_from.desc(), c.event_hash)
    if agreement:
        query = query.where(c.agreement == agreement)
    if party:
        query = query.where(c.party == party)
    return [CataloguePrice(r.agreement, r.party, r.category, r.item, r.unit, r.unit_price,
                           r.currency, r.valid_from, r.valid_to, r.event_hash)
            for r in uow.conn.execute(query.limit(CATALOGUE_ROWS_MAX))]


@dataclass(frozen=True)
class PriceChoices:
    """What the form to set a price offers: each adopted agreement's categories, this
    node's party's currency under it, and the units of issue."""

    agreements: list[queries.AgreementInfo]
    currencies: dict[str, str]  # agreement → this party's currency
    units: tuple[str, ...]


def price_choices(uow: UnitOfWork) -> PriceChoices:
    agreements = queries.list_agreements(uow)
    me = uow.node.party
    currencies = {a.id: str(p["currency"]) for a in agreements for p in a.parties
                  if p["code"] == me}
    return PriceChoices(agreements, currencies, UNITS_OF_ISSUE)

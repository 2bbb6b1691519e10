"""Catalogue prices: each supplier's signed price per item, with its validity.

Any user reads them (they hold no order data, and the new-order form prefills
from them); a finance officer of this node, appointed under the agreement, sets
one in the node's party's currency. A price set is an event of the agreement's
stream: the partner's node learns it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from acsa.services import admin, catalogue
from acsa.web.api import schemas as S
from acsa.web.api.common import AgreementQuery
from acsa.web.api.orders import PROBLEMS
from acsa.web.deps import Actor, Reader, ReadUow, WriteUow

router = APIRouter(tags=["catalogue"], responses=PROBLEMS)


@router.get("/catalogue", response_model=S.CataloguePricesPublic, summary="Catalogue prices")
def list_prices(principal: Reader, uow: ReadUow,
                agreement: AgreementQuery = None,
                party: Annotated[str | None, Query(pattern="^[A-Z]{3}$")] = None) -> Any:
    """Every price either party set, by agreement, party, category and item, the latest
    first for each item."""
    found = catalogue.list_prices(uow, agreement=agreement, party=party)
    return S.CataloguePricesPublic(
        data=[S.CataloguePricePublic.model_validate(p) for p in found], count=len(found))


@router.post("/catalogue", status_code=status.HTTP_201_CREATED,
             response_model=S.CataloguePricePublic, summary="Set a catalogue price")
def set_price(body: S.CataloguePriceCreate, principal: Actor, uow: WriteUow) -> Any:
    """A finance officer sets a price of this node's party, from `valid_from` (to
    `valid_to`). A category not of the agreement, a unit not a unit of issue or a price
    not above zero is refused (422) naming the field; anyone but a finance officer, 403;
    one not appointed under the agreement, 403 `not_appointed`."""
    event = admin.set_catalogue_price(
        uow, principal.user, agreement=body.agreement, category=body.category,
        item=body.item, unit=body.unit, unit_price=body.unit_price,
        valid_from=body.valid_from, valid_to=body.valid_to)
    d = event.envelope.data
    return S.CataloguePricePublic(
        agreement=body.agreement, party=event.envelope.actor["party"], category=d["category"],
        item=d["item"], unit=d["unit"], unit_price=d["unit_price"], currency=d["currency"],
        valid_from=d["valid_from"], valid_to=d["valid_to"], event=event.hash)

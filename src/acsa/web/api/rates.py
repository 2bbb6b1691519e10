"""Exchange rates: each dated rate a finance officer signed, and the official sources the
agreements' profiles name.

Any user reads them (they hold no order data); a finance officer appointed under the
agreement records one, naming its official source or none (a rate the officer worked
out). A rate is an event of the agreement's stream: the partner's node learns it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from acsa.services import admin, rates
from acsa.web.api import schemas as S
from acsa.web.api.common import AgreementQuery
from acsa.web.api.orders import PROBLEMS
from acsa.web.deps import Actor, Reader, ReadUow, WriteUow

router = APIRouter(tags=["rates"], responses=PROBLEMS)


@router.get("/rates", response_model=S.RatesPublic, summary="Exchange rates")
def list_rates(principal: Reader, uow: ReadUow,
               agreement: AgreementQuery = None) -> Any:
    """Every rate either party recorded, oldest first, each saying whether it is official
    (`official`, with its `source`, name and publisher) or an officer's own."""
    found = rates.list_rates(uow, agreement)
    return S.RatesPublic(data=[S.RatePublic.model_validate(r) for r in found],
                         count=len(found))


@router.get("/rates/sources", response_model=list[S.RateSourcePublic],
            summary="Official rate sources")
def list_sources(principal: Reader, uow: ReadUow) -> Any:
    """The official sources each adopted agreement's profile names, with the uses that take
    only official rates."""
    return [S.RateSourcePublic(agreement=p.id, id=s.id, party=s.party, name=s.name,
                               name_ja=s.name_ja, publisher=s.publisher,
                               official_for=sorted(s.official_for))
            for p in rates.held_profiles(uow) for s in p.rate_sources]


@router.post("/rates", status_code=status.HTTP_201_CREATED, response_model=S.RatePublic,
             summary="Record an exchange rate")
def record_rate(body: S.RateCreate, principal: Actor, uow: WriteUow) -> Any:
    """A finance officer records a dated rate, from an official `source` the agreement's
    profile names or from none. A source the profile does not name is refused (422) naming
    `source`; anyone but a finance officer, 403; one not appointed under the agreement, 403
    `not_appointed`."""
    event = admin.record_rate(uow, principal.user, agreement=body.agreement, on=body.on,
                              base=body.base.upper(), quote=body.quote.upper(),
                              rate=str(body.rate), source=body.source)
    [shown] = [r for r in rates.list_rates(uow, body.agreement) if r["event"] == event.hash]
    return S.RatePublic.model_validate(shown)

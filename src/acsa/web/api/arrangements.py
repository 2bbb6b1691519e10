"""Implementing arrangements: the register of an agreement, proposed by one party's
finance officer and countersigned by the other's.

Any user reads the register (it holds no order data; the new-order form offers the
arrangements in effect); a finance officer appointed under the agreement proposes one
or countersigns the other party's proposal.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from acsa.services import arrangements
from acsa.web.api import schemas as S
from acsa.web.api.common import AgreementQuery
from acsa.web.api.orders import PROBLEMS
from acsa.web.deps import Actor, Reader, ReadUow, WriteUow

router = APIRouter(tags=["arrangements"], responses=PROBLEMS)


@router.get("/arrangements", response_model=S.ArrangementsPublic,
            summary="Implementing arrangements")
def list_arrangements(principal: Reader, uow: ReadUow,
                      agreement: AgreementQuery = None) -> Any:
    """Every arrangement of the register, proposed or signed, with whether it is in effect."""
    found = arrangements.list_views(uow, agreement)
    return S.ArrangementsPublic(data=[S.ArrangementPublic.model_validate(a) for a in found],
                                count=len(found))


@router.post("/arrangements", status_code=status.HTTP_201_CREATED,
             response_model=S.ArrangementPublic, summary="Propose an implementing arrangement")
def propose(body: S.ArrangementCreate, principal: Actor, uow: WriteUow) -> Any:
    """A finance officer proposes an arrangement; the other party's finance officer signs it
    (`POST /arrangements/{identifier}/sign`). A field at fault is refused (422) naming it;
    anyone not appointed as finance officer under the agreement, 403 `not_appointed`; an
    identifier already signed by both, 422."""
    document = body.model_dump(mode="json", exclude_none=True)
    event = arrangements.propose_arrangement(uow, principal.user, document)
    identifier = event.envelope.data["arrangement"]["identifier"]
    return S.ArrangementPublic.model_validate(arrangements.show_view(uow, identifier))


@router.get("/arrangements/{identifier:path}", response_model=S.ArrangementPublic,
            summary="One implementing arrangement")
def show(identifier: str, principal: Reader, uow: ReadUow) -> Any:
    """The arrangement: both parties' branches, contacts and payment offices, its status."""
    return S.ArrangementPublic.model_validate(arrangements.show_view(uow, identifier))


@router.post("/arrangements/{identifier:path}/sign", response_model=S.ArrangementPublic,
             summary="Countersign an implementing arrangement")
def sign(identifier: str, principal: Actor, uow: WriteUow) -> Any:
    """The other party's finance officer countersigns the newest proposal: from then on
    (within its validity) orders may cite it. Its own party's proposal, or one already
    signed, is refused (422)."""
    arrangements.sign_arrangement(uow, principal.user, identifier)
    return S.ArrangementPublic.model_validate(arrangements.show_view(uow, identifier))

"""The originator's consent and release packages to a third nation.

Consent requests and answers are signed events of the agreement (security
officers or approving officials appointed under it); a package is built and
sent only once every originator of the order's events has consented. The third
nation's node imports a package with ``POST /releases`` (or receives it from
the sending node over the federation) and holds it read-only.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status
from pydantic import Field

from acsa.federation.release import send_release
from acsa.services import consent, releases
from acsa.web.api import schemas as S
from acsa.web.api.orders import PROBLEMS
from acsa.web.deps import Actor, NodeDep, Reader, ReadUow, WriteUow

router = APIRouter(tags=["releases"], responses=PROBLEMS)


class ConsentCreate(S.In):
    order: str = Field(min_length=1, max_length=120)
    action: str = Field(default="release", max_length=20,
                        description="release, downgrade or declassify")
    recipient: str = Field(default="", max_length=3,
                           description="For a release: the third nation, e.g. USA")
    level: str = Field(default="", max_length=40,
                       description="For a downgrade: the new level, of the asking party's scheme")
    reason: str = Field(min_length=1, max_length=2000)


class ConsentRefusal(S.In):
    reason: str = Field(min_length=1, max_length=2000)


class ReleaseSend(S.In):
    order: str = Field(min_length=1, max_length=120)
    recipient: str = Field(min_length=3, max_length=3)


@router.get("/consents", summary="Consent requests and their answers")
def list_consents(principal: Reader, uow: ReadUow,
                  order: Annotated[str | None, Query(max_length=120)] = None
                  ) -> dict[str, Any]:
    """Every request on the orders the caller may read, with each originator's answer."""
    found = consent.list_views(uow, principal.user, order)
    return {"data": found, "count": len(found)}


@router.post("/consents", status_code=status.HTTP_201_CREATED,
             summary="Ask the originators to consent to a release")
def request_consent(body: ConsentCreate, principal: Actor, uow: WriteUow) -> dict[str, Any]:
    """A security officer asks every originator of the order's events to consent to its
    release to a third nation, or to its downgrading (to `level`) or declassification. A
    party to the agreement as recipient is refused (422, field `recipient`), a level not
    below the order's now (422, field `level`); anyone not appointed, 403 `not_appointed`."""
    event = consent.request_consent(uow, principal.user, body.order, recipient=body.recipient,
                                    reason=body.reason, action=body.action, level=body.level)
    return consent.as_view(consent.get_consent(uow, event.hash))


@router.post("/consents/{request}/grant", summary="Consent to a release")
def grant(request: str, principal: Actor, uow: WriteUow) -> dict[str, Any]:
    """An originator's security officer consents for its own events of the order."""
    consent.grant_consent(uow, principal.user, request)
    return consent.as_view(consent.get_consent(uow, request))


@router.post("/consents/{request}/refuse", summary="Refuse a release")
def refuse(request: str, body: ConsentRefusal, principal: Actor, uow: WriteUow
           ) -> dict[str, Any]:
    """An originator's security officer refuses: nothing of the order is released."""
    consent.refuse_consent(uow, principal.user, request, reason=body.reason)
    return consent.as_view(consent.get_consent(uow, request))


@router.get("/releases", summary="Releases held and sent")
def list_releases(principal: Reader, uow: ReadUow) -> dict[str, Any]:
    """The packages this node holds as a third nation, and those it sent (security
    officers and auditors)."""
    found = releases.list_views(uow, principal.user)
    return {"data": found, "count": len(found)}


@router.post("/releases", status_code=status.HTTP_201_CREATED,
             summary="Import a release package")
def import_release(package: Annotated[dict[str, Any], Body()], principal: Actor,
                   uow: WriteUow) -> dict[str, Any]:
    """The third nation's security officer imports a package carried as a file: every
    signature, proof and consent is verified, and it is held read-only. Any fault is
    refused (422, field `package`) and nothing is stored."""
    raw = json.dumps(package, ensure_ascii=False).encode()
    return releases.hold_release(uow, principal.user, raw, source="API upload")


@router.post("/outgoing-releases", status_code=status.HTTP_201_CREATED,
             summary="Send a release package to the third nation")
def send(body: ReleaseSend, principal: Actor, node: NodeDep) -> dict[str, Any]:
    """Build the order's package — only once every originator has consented — and send it
    to the third nation's node registered as a peer (422, field `order`, before that)."""
    return send_release(node, principal.user.id, body.order, body.recipient)


@router.get("/releases/{release_id}", summary="One release package, read-only")
def show_release(release_id: int, principal: Reader, uow: ReadUow) -> dict[str, Any]:
    """Its consents and events as signed."""
    return releases.show_view(uow, release_id, principal.user)

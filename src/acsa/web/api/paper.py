"""A partner without a node: its written appointments and its steps, from signed paper.

Upload the scanned letter or form first (``POST /evidence``), then cite it:

- ``POST /paper-appointments`` publishes a paper partner's written appointment
  (an administrator); ``GET /paper-appointments`` lists the partners that sign on
  paper under an adopted agreement and their appointments;
- ``POST /orders/{number}/paper-steps`` records the partner official's step on an
  order from the signed form, attested by the caller (who needs an appointment in
  force), with the order's ETag in ``If-Match`` like every act on an order;
  ``GET /paper-steps/{number}`` says which steps the partner may take on it now.

Each is one use case of :mod:`acsa.services.paper`; the record says the partner's
signature is on paper (``actor.paper``) and who attested the copy.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import Field

from acsa.services import order_view, paper, queries
from acsa.web.api import schemas as S
from acsa.web.api.common import (
    IF_MATCH_PARAMETER,
    AgreementQuery,
    etag,
    expected_parent,
    order_detail,
)
from acsa.web.api.orders import PROBLEMS
from acsa.web.deps import Actor, Admin, Reader, ReadUow, WriteUow

router = APIRouter(tags=["paper partners"], responses=PROBLEMS)

Step = Literal["accept", "reject", "withdraw", "confirm", "confirm-emergency", "deliver",
               "receive"]
Party = Annotated[str | None, Field(pattern="^[A-Z]{3}$", description=(
    "The partner that signs on paper (default: the agreement's other party)."))]


class PaperAppointmentCreate(S.In):
    """A paper partner's written appointment, as its signed letter states it."""

    agreement: str = Field(min_length=1, max_length=40)
    party: Party = None
    user: str = Field(min_length=1, max_length=64, description="e.g. usa.hayes")
    name: str = Field(min_length=1, max_length=200, description="Name and rank, as signed.")
    role: str = Field(min_length=1, max_length=40, description="e.g. approving_official")
    units: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        default=[], max_length=S.LIST_ITEMS_MAX, description="None: every unit.")
    limits: dict[Annotated[str, Field(pattern="^[A-Z]{3}$")],
                 Annotated[str, Field(max_length=40)]] | None = Field(
        None, max_length=10, description="Signing limit per currency, e.g. {\"USD\": \"250000\"}.")
    valid_from: S.Day
    valid_to: S.Day | None = None
    letter: S.EvidenceRef = Field(description="The signed letter, uploaded by POST /evidence.")


class PaperAppointmentPublic(S.Schema):
    id: str
    agreement: str
    party: str
    user: str
    name: str
    role: str
    units: list[str]
    limits: dict[str, str] | None
    valid_from: str
    valid_to: str | None
    revoked: bool


class PaperAppointmentsPublic(S.Schema):
    partners: dict[str, list[str]] = Field(
        description="Per adopted agreement, the other parties that sign on paper.")
    data: list[PaperAppointmentPublic]
    count: int


class PaperStepCreate(S.Dated):
    """The partner official's step as the signed form states it; only the step's own
    fields are read (``supplying_unit`` for accept, ``reason`` for reject and withdraw,
    ``lines`` for deliver, ``delivery`` and ``received`` for receive)."""

    step: Step
    official: str = Field(min_length=1, max_length=64,
                          description="The partner's official who signed, e.g. usa.hayes.")
    party: Party = None
    evidence: list[S.EvidenceRef] = Field(
        min_length=1, max_length=50, description="The signed form, uploaded by POST /evidence.")
    supplying_unit: str | None = Field(None, max_length=80)
    reason: str = Field("", max_length=S.TEXT_MAX)
    lines: list[S.LineQuantity] = Field(default=[], max_length=S.LIST_ITEMS_MAX)
    delivery: str = Field("", max_length=64)
    received: list[S.ReceivedLine] | None = Field(None, max_length=S.LIST_ITEMS_MAX)
    note: str = Field("", max_length=S.TEXT_MAX)

    def fields(self) -> paper.StepFields:
        return paper.StepFields(
            supplying_unit=self.supplying_unit, reason=self.reason,
            lines=[(x.line, x.quantity) for x in self.lines], delivery=self.delivery,
            received=None if self.received is None else [
                (x.line, x.quantity, x.damaged) for x in self.received],
            note=self.note)


class PaperStepsPublic(S.Schema):
    order: str
    partner: str | None = Field(description="The other party if it signs on paper.")
    steps: list[str] = Field(description="The steps it may take on the order now.")


def _appointment(row: dict[str, Any]) -> PaperAppointmentPublic:
    limits = row["limits"]
    return PaperAppointmentPublic.model_validate(
        {**row, "limits": {k: str(v) for k, v in limits.items()} if limits else None})


@router.get("/paper-appointments", response_model=PaperAppointmentsPublic,
            summary="Paper partners and their appointments")
def list_paper_appointments(
    principal: Reader, uow: ReadUow,
    agreement: AgreementQuery = None,
) -> PaperAppointmentsPublic:
    """The partners that sign on paper under an agreement adopted here, and the written
    appointments this node published for them (limits in minor units of the currency)."""
    partners = paper.paper_partners(uow)
    if agreement:
        partners = {k: v for k, v in partners.items() if k == agreement}
    rows = [_appointment(a) for a in paper.paper_appointments(uow, agreement)]
    return PaperAppointmentsPublic(partners=partners, data=rows, count=len(rows))


@router.post("/paper-appointments", status_code=status.HTTP_201_CREATED,
             response_model=PaperAppointmentPublic, summary="Record a paper appointment")
def appoint_paper_official(body: PaperAppointmentCreate, principal: Admin,
                           uow: WriteUow) -> PaperAppointmentPublic:
    """An administrator publishes the partner's written appointment, the signed letter
    (uploaded first) attached: the partner's paper signatures are checked against it."""
    event = paper.appoint_from_letter(
        uow, principal.user, agreement=body.agreement, party=body.party, user_id=body.user,
        name=body.name, role=body.role, units=body.units, valid_from=body.valid_from,
        valid_to=body.valid_to, limits=body.limits, letter=body.letter.model_dump())
    [row] = [a for a in paper.paper_appointments(uow, body.agreement) if a["id"] == event.hash]
    return _appointment(row)


@router.get("/paper-steps/{number:path}", response_model=PaperStepsPublic,
            summary="What a paper partner may sign on an order now")
def paper_steps(number: str, principal: Reader, uow: ReadUow) -> PaperStepsPublic:
    return PaperStepsPublic(order=number,
                            partner=paper.order_partner(uow, principal.user, number),
                            steps=paper.steps_now(uow, principal.user, number))


@router.post("/orders/{number:path}/paper-steps", response_model=S.OrderPublic,
             summary="Record a paper partner's step from its signed form",
             openapi_extra={"parameters": [IF_MATCH_PARAMETER]})
def record_paper_step(number: str, body: PaperStepCreate, request: Request,
                      response: Response, principal: Actor, uow: WriteUow) -> S.OrderPublic:
    """The partner official's step, recorded from the signed form (uploaded first) and
    attested by you. Send the order's ETag in `If-Match`; the answer is the order as it
    now stands, with its new ETag."""
    parent = expected_parent(request.headers.get("if-match"))
    queries.check_head(uow, principal.user, number, parent)
    event = paper.record_from_form(
        uow, principal.user, number, step=body.step, official=body.official,
        forms=[e.model_dump() for e in body.evidence], fields=body.fields(),
        party=body.party, on=body.on, expected_parent=parent)
    detail = order_detail(uow, principal.user, number, order_view.state_after(event, number))
    response.headers["ETag"] = etag(detail.head)
    return detail

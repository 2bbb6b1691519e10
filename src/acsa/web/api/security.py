"""Security officers' records: transmission records and loss or compromise reports.

``GET /transmissions`` lists what left this node for which party (security officers and
administrators; references and markings only, never content). ``/compromise-reports``
are the loss or compromise reports of the agreements this node holds: a security officer
reports one to the originator, whose security officer acknowledges it, a security officer
of either party assesses it and the originator's closes it. Only security officers read
them (and the officer who filed one, their own); anyone else is refused (403).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import Field

from acsa.services import compromise, transmissions
from acsa.web.api.orders import PROBLEMS
from acsa.web.api.schemas import Day, In, Schema
from acsa.web.deps import Actor, Reader, ReadUow, WriteUow

router = APIRouter(tags=["security"], responses=PROBLEMS)
Text = Annotated[str, Field(min_length=1, max_length=4000)]


class StreamRangePublic(Schema):
    stream: str
    first: int
    last: int
    count: int
    highest: str = Field(description="The highest marking among them, as both parties show it.")


class TransmissionPublic(Schema):
    id: int
    at: str
    recipient: str
    route: str = Field(description="The peer's URL, or file:<name> for a bundle.")
    channel: str = Field(description="sync, bundle, release or document.")
    events: int
    streams: list[StreamRangePublic]
    highest: str
    initiated_by: str
    detail: str


class TransmissionsPublic(Schema):
    data: list[TransmissionPublic]
    count: int


class CompromiseReportCreate(In):
    agreement: str | None = Field(None, max_length=40,
                                  description="Default: the agreement of the orders named.")
    originator: str | None = Field(None, min_length=3, max_length=3,
                                   description="Default: the agreement's other party.")
    orders: list[Annotated[str, Field(max_length=120)]] = Field([], max_length=100)
    events: list[Annotated[str, Field(max_length=64)]] = Field([], max_length=100)
    what_happened: Text
    discovered_on: Day
    highest_marking: str = Field(max_length=40,
                                 description="The highest level involved, in the originator's "
                                             "scheme.")


class CompromiseAssessment(In):
    assessment: Text


class CompromiseClosing(In):
    note: str = Field("", max_length=4000)


class StepPublic(Schema):
    step: str
    event: str
    party: str
    user: str
    name: str
    on: date
    text: str


class Ineffective(Schema):
    event: str
    reason: str


class CompromiseReportPublic(Schema):
    id: str
    agreement: str
    status: str
    reporter: str
    reporter_name: str
    reported_on: date
    event: str
    originator: str
    orders: list[str]
    events: list[str]
    what_happened: str
    discovered_on: date
    highest_marking: str
    steps: list[StepPublic]
    next_step: str | None
    next_by: str | None
    ours_next: bool
    waiting: list[str]
    ineffective: list[Ineffective]


class CompromiseReportsPublic(Schema):
    data: list[CompromiseReportPublic]
    count: int


@router.get("/transmissions", response_model=TransmissionsPublic,
            summary="Transmission records")
def list_transmissions(
        principal: Reader, uow: ReadUow,
        peer: Annotated[str | None, Query(pattern="^[A-Z]{3}$")] = None,
        since: Annotated[date | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=transmissions.LIST_ROWS_MAX)] = 100) -> Any:
    """What left this node, newest first: to which party, by which channel and route, the
    streams and sequence ranges and the highest marking carried. Security officers and
    administrators only (403 otherwise)."""
    found = transmissions.list_transmissions(uow, principal.user, peer=peer, since=since,
                                             limit=limit)
    return TransmissionsPublic(data=[TransmissionPublic.model_validate(t.as_view())
                                     for t in found], count=len(found))


def _report(view: dict[str, Any]) -> CompromiseReportPublic:
    return CompromiseReportPublic.model_validate(view)


@router.get("/compromise-reports", response_model=CompromiseReportsPublic,
            summary="Loss or compromise reports")
def list_reports(principal: Reader, uow: ReadUow, open_only: bool = False) -> Any:
    """Every report this node holds, newest first, with the step it waits for."""
    found = compromise.list_views(uow, principal.user, open_only=open_only)
    return CompromiseReportsPublic(data=[_report(v) for v in found], count=len(found))


@router.post("/compromise-reports", status_code=status.HTTP_201_CREATED,
             response_model=CompromiseReportPublic, summary="Report a loss or compromise")
def report(body: CompromiseReportCreate, principal: Actor, uow: WriteUow) -> Any:
    """A security officer reports a suspected loss or compromise of the originator's
    information; it reaches the originator's node by the ordinary sync. A field at fault
    is refused (422) naming it; anyone not appointed as security officer, 403."""
    event = compromise.report_compromise(uow, principal.user, body.model_dump())
    return _report(compromise.show_view(uow, principal.user, event.envelope.subject))


@router.get("/compromise-reports/{report_id:path}", response_model=CompromiseReportPublic,
            summary="One loss or compromise report")
def show(report_id: str, principal: Reader, uow: ReadUow) -> Any:
    return _report(compromise.show_view(uow, principal.user, report_id))


@router.post("/compromise-reports/{report_id:path}/acknowledge",
             response_model=CompromiseReportPublic, summary="Acknowledge a report")
def acknowledge(report_id: str, principal: Actor, uow: WriteUow) -> Any:
    """The originator's security officer acknowledges the report; a step out of order is
    refused (409 ``step_out_of_order``, field ``report``)."""
    compromise.acknowledge_report(uow, principal.user, report_id)
    return _report(compromise.show_view(uow, principal.user, report_id))


@router.post("/compromise-reports/{report_id:path}/assess",
             response_model=CompromiseReportPublic, summary="Assess a report")
def assess(report_id: str, body: CompromiseAssessment, principal: Actor,
           uow: WriteUow) -> Any:
    """A security officer of either party records the assessment, once acknowledged."""
    compromise.assess_report(uow, principal.user, report_id, body.assessment)
    return _report(compromise.show_view(uow, principal.user, report_id))


@router.post("/compromise-reports/{report_id:path}/close",
             response_model=CompromiseReportPublic, summary="Close a report")
def close(report_id: str, body: CompromiseClosing, principal: Actor, uow: WriteUow) -> Any:
    """The originator's security officer closes the assessed report."""
    compromise.close_report(uow, principal.user, report_id, body.note)
    return _report(compromise.show_view(uow, principal.user, report_id))

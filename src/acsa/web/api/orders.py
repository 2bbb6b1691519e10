"""Orders: the filtered list, one order, creating one, drafts, evidence, and every action.

An action on one order is ``POST /orders/{number}/{action}`` with the
order's ETag in ``If-Match``: a stale one is a 409 problem, a missing one a
428. The response is the order as it now stands, with its new ETag.
"""

# No "from __future__ import annotations" here: the action routes are made in
# a loop, and FastAPI must see each one's body model as a real class.

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, File, Header, Path, Query, Request, Response, UploadFile, status

from acsa.domain import commands
from acsa.domain.rules import Status
from acsa.domain.worklist import TASKS
from acsa.services import (
    attachments,
    duties,
    evidence,
    markings,
    order_view,
    orders,
    queries,
    settlement,
)
from acsa.services.recording import StoredEvent, order_state
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.web.api import schemas as S
from acsa.web.api.common import (
    IF_MATCH_PARAMETER,
    PAGE_LIMIT_MAX,
    AgreementQuery,
    etag,
    expected_parent,
    order_detail,
    record_read,
)
from acsa.web.deps import Actor, NodeDep, Reader, ReadUow, WriteUow, client_address
from acsa.web.problems import Problem

PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "description": description, "content": {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    for code, description in (
        (400, "Unreadable request (a bad cursor)"), (401, "Not logged in"),
        (403, "Not allowed"), (404, "Not found"), (409, "Conflict with the order's state"),
        (413, "Request too large"), (422, "Invalid request"), (428, "If-Match required"))
}

router = APIRouter(tags=["orders"], responses=PROBLEMS)

StatusName = Annotated[Status | None, Query(description="Only orders in this status.")]
# Row ids are 32-bit on every engine; larger ones cannot name anything.
DraftId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/orders", response_model=S.OrdersPublic, summary="List orders")
def list_orders(
    principal: Reader,
    uow: ReadUow,
    status: StatusName = None,
    agreement: AgreementQuery = None,
    activity: Annotated[str | None, Query(max_length=80)] = None,
    counterpart: Annotated[str | None, Query(
        max_length=3, description="The other party (ISO 3166 alpha-3).")] = None,
    overdue: Annotated[bool | None, Query(
        description="Orders with something past due (or an unconfirmed emergency).")] = None,
    q: Annotated[str | None, Query(max_length=queries.SEARCH_LENGTH_MAX,
                                   description="Text search in number, lines, places.")] = None,
    todo: Annotated[str | None, Query(
        pattern=f"^({'|'.join(TASKS)})$",
        description="A task of the user's worklist (`GET /todo`): the orders on which it "
                    "is the user's turn to do it.")] = None,
    partner: Annotated[bool, Query(
        description="With `todo`: the orders on which it is the partner's turn.")] = False,
    after: Annotated[str | None, Query(max_length=400,
                                       description="The `next` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_LIMIT_MAX)] = 50,
) -> queries.OrderPage:
    """Newest submission first, in pages: pass the response's `next` as `after`."""
    wanted = queries.OrderFilter(status=status.value if status else None, agreement=agreement,
                                 activity=activity, counterpart=counterpart, overdue=overdue,
                                 q=q, todo=todo, partner=partner and todo is not None,
                                 after=after, limit=limit)
    return queries.list_orders(uow, principal.user, wanted)


@router.get("/orders/{number:path}", response_model=S.OrderPublic, summary="One order",
            responses={304: {"description": "Not modified since the ETag in If-None-Match."}})
def show_order(
    number: str,
    request: Request,
    response: Response,
    principal: Reader,
    node: NodeDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Any:
    """Lines, amounts, status, figures, the signed timeline and what you may do now.

    The `ETag` header carries the order's head: send it back in `If-Match` to act.
    Reading an order is recorded in the access log.
    """
    # Read, then record the reading: one transaction after the other, never one inside
    # the other (a request holds one connection of the pool at a time).
    with UnitOfWork(node, write=False) as uow:
        row = queries.order_row(uow, principal.user, number)  # need to know first
        if if_none_match and if_none_match.strip().removeprefix("W/") == etag(row.head):
            return Response(status_code=304, headers={"ETag": etag(row.head)})
        detail = order_detail(uow, principal.user, number, row=row)
    record_read(node, principal.user, number, client_address(request))
    response.headers["ETag"] = etag(detail.head)
    return detail


@router.post("/orders", status_code=status.HTTP_201_CREATED, summary="Submit an order",
             response_model=S.OrderPublic | S.DraftPublic)
def create_order(
    body: S.OrderCreate,
    response: Response,
    principal: Actor,
    uow: WriteUow,
    draft: Annotated[bool, Query(description="Keep it as a draft on this node only.")] = False,
) -> Any:
    """Sign and submit an order (numbered now; the supplier sees it), or keep a draft.

    ``marking`` classifies it in your party's scheme; a draft keeps it until submitted.
    A level you could not read back yourself (your clearance, your activities) is refused.
    """
    terms, marking = body.terms(), body.marking_data()
    if draft:
        draft_id = orders.save_draft(uow, principal.user, terms, note=body.note,
                                     marking=marking)
        found = queries.get_draft(uow, principal.user, draft_id)
        response.headers["Location"] = f"/api/v1/drafts/{draft_id}"
        return S.DraftPublic.model_validate(found)
    markings.check_originator(uow, principal.user, terms.get("agreement"),
                              terms.get("activity"), marking)
    event = orders.submit_order(uow, principal.user, terms, on=body.on, marking=marking)
    return _created(uow, principal.user, event, response)


def _created(uow: UnitOfWork, user: LocalUser, event: StoredEvent,
             response: Response) -> S.OrderPublic:
    number = event.envelope.subject
    detail = order_detail(uow, user, number, order_view.state_after(event, number))
    response.headers["Location"] = f"/api/v1/orders/{number}"
    response.headers["ETag"] = etag(detail.head)
    return detail


@router.post("/emergency-orders", status_code=status.HTTP_201_CREATED,
             response_model=S.OrderPublic, summary="Record an emergency (oral) order")
def record_emergency(body: S.EmergencyCreate, response: Response, principal: Actor,
                     uow: WriteUow) -> S.OrderPublic:
    """The supplier records an oral or radio request at once, numbered in its own range;
    the requester must confirm it within the agreement's window."""
    terms, marking = body.terms(), body.marking_data()
    markings.check_originator(uow, principal.user, terms.get("agreement"),
                              terms.get("activity"), marking)
    event = orders.record_emergency(uow, principal.user, terms,
                                    requested_by=body.requested_by, on=body.on,
                                    marking=marking)
    return _created(uow, principal.user, event, response)


# -- drafts ----------------------------------------------------------------------------------


@router.get("/drafts", response_model=S.DraftsPublic, tags=["drafts"], summary="My drafts")
def list_drafts(principal: Reader, uow: ReadUow) -> S.DraftsPublic:
    """Drafts stay on this node: yours (an auditor sees every one)."""
    found = queries.list_drafts(uow, principal.user)
    return S.DraftsPublic(data=[S.DraftPublic.model_validate(d) for d in found],
                          count=len(found))


@router.get("/drafts/{draft_id}", response_model=S.DraftPublic, tags=["drafts"],
            summary="One draft")
def show_draft(draft_id: DraftId, principal: Reader, uow: ReadUow) -> Any:
    return queries.get_draft(uow, principal.user, draft_id)


@router.put("/drafts/{draft_id}", response_model=S.DraftPublic, tags=["drafts"],
            summary="Change a draft")
def update_draft(draft_id: DraftId, body: S.OrderCreate, principal: Actor, uow: WriteUow) -> Any:
    queries.get_draft(uow, principal.user, draft_id)
    orders.save_draft(uow, principal.user, body.terms(), note=body.note, draft_id=draft_id,
                      marking=body.marking_data())
    return queries.get_draft(uow, principal.user, draft_id)


@router.post("/drafts/{draft_id}/submit", status_code=status.HTTP_201_CREATED,
             response_model=S.OrderPublic, tags=["drafts"], summary="Submit a draft")
def submit_draft(draft_id: DraftId, body: S.Dated, response: Response, principal: Actor,
                 uow: WriteUow) -> S.OrderPublic:
    found = queries.get_draft(uow, principal.user, draft_id)
    markings.check_originator(uow, principal.user, found.terms.get("agreement"),
                              found.terms.get("activity"), found.terms.get("marking"))
    event = orders.submit_order(uow, principal.user, found.terms, on=body.on,
                                draft_id=draft_id)
    return _created(uow, principal.user, event, response)


# -- evidence ----------------------------------------------------------------------------------


@router.post("/evidence", status_code=status.HTTP_201_CREATED, response_model=S.EvidenceStored,
             tags=["evidence"], summary="Upload an evidence file")
def upload_evidence(file: Annotated[UploadFile, File()], principal: Actor,
                    uow: WriteUow) -> Any:
    """A delivery ticket, receipt or photo; cite the answer in a delivery, receipt or return."""
    content = file.file.read(evidence.EVIDENCE_FILE_SIZE_MAX + 1)
    return evidence.store_evidence(uow, file.filename or "evidence", content, file.content_type)


# -- actions on one order --------------------------------------------------------------------

Call = Callable[[UnitOfWork, LocalUser, str, Any, object], StoredEvent]


@dataclass(frozen=True)
class ActionRoute:
    name: str
    body: type[S.In]
    call: Call
    summary: str


def _changes(uow: UnitOfWork, number: str, body: S.TermChanges) -> dict[str, Any]:
    return commands.term_changes(
        order_state(uow, number),
        quantities={q.line: q.quantity for q in body.quantities},
        prices={p.line: p.unit_price for p in body.prices},
        needed_by=body.needed_by.isoformat() if body.needed_by else None,
        deliver_to=body.deliver_to, remarks=body.remarks,
        add_lines=[line.model_dump(exclude_none=True, exclude={"no"}) for line in body.add_lines],
    )


def _evidence(refs: list[S.EvidenceRef]) -> list[dict[str, Any]]:
    return [e.model_dump(exclude_none=True) for e in refs]


def _deliver(uow: UnitOfWork, user: LocalUser, number: str, b: S.DeliverBody,
             parent: object) -> StoredEvent:
    """A delivery, classified above its order when ``marking`` says so."""
    marking = b.marking_data()
    markings.check_for_order(uow, user, number, marking)
    return orders.deliver(uow, user, number, [(x.line, x.quantity) for x in b.lines],
                          evidence=_evidence(b.evidence), note=b.note, on=b.on,
                          expected_parent=parent, marking=marking)


def _resolve(uow: UnitOfWork, user: LocalUser, number: str, b: S.ResolveBody,
             parent: object) -> StoredEvent:
    if b.resolution:
        return orders.propose_resolution(
            uow, user, number, b.dispute, b.resolution,
            [(a.delivery, a.line, a.quantity) for a in b.adjustments], on=b.on,
            expected_parent=parent)
    return orders.sign_resolution(uow, user, number, b.dispute, b.proposal, on=b.on,
                                  expected_parent=parent)


ACTIONS: tuple[ActionRoute, ...] = (
    ActionRoute("accept", S.AcceptBody, lambda u, who, n, b, p: orders.accept(
        u, who, n, supplying_unit=b.supplying_unit, on=b.on, expected_parent=p),
        "Accept (the approving official signs: the order binds)"),
    ActionRoute("reject", S.Reasoned, lambda u, who, n, b, p: orders.reject(
        u, who, n, reason=b.reason, on=b.on, expected_parent=p), "Reject, saying why"),
    ActionRoute("propose", S.ProposeBody, lambda u, who, n, b, p: orders.propose(
        u, who, n, _changes(u, n, b), reason=b.reason, on=b.on, expected_parent=p),
        "Propose changed quantities, prices or dates before accepting"),
    ActionRoute("confirm", S.Dated, lambda u, who, n, b, p: orders.confirm(
        u, who, n, on=b.on, expected_parent=p), "Confirm the supplier's proposal"),
    ActionRoute("withdraw", S.Reasoned, lambda u, who, n, b, p: orders.withdraw(
        u, who, n, reason=b.reason, on=b.on, expected_parent=p),
        "Withdraw an order not yet accepted"),
    ActionRoute("confirm-emergency", S.Dated, lambda u, who, n, b, p: orders.confirm_emergency(
        u, who, n, on=b.on, expected_parent=p), "Confirm an emergency order in writing"),
    ActionRoute("deliver", S.DeliverBody, _deliver, "Record a delivery or performance"),
    ActionRoute("receive", S.ReceiveBody, lambda u, who, n, b, p: orders.receive(
        u, who, n, b.delivery,
        lines=None if b.lines is None else [(x.line, x.quantity, x.damaged) for x in b.lines],
        evidence=_evidence(b.evidence), note=b.note, on=b.on, expected_parent=p),
        "Acknowledge a delivery, with any shortfall or damage"),
    ActionRoute("invoice", S.InvoiceBody, lambda u, who, n, b, p: settlement.issue_invoice(
        u, who, n, kind=b.kind, reference=b.reference, replaces=b.replaces, on=b.on,
        expected_parent=p), "Invoice what is due"),
    ActionRoute("void-invoice", S.InvoiceRefBody, lambda u, who, n, b, p: settlement.void_invoice(
        u, who, n, b.invoice, reason=b.reason, on=b.on, expected_parent=p),
        "Void an invoice (it is never edited)"),
    ActionRoute("credit-note", S.InvoiceAmountBody,
                lambda u, who, n, b, p: settlement.issue_credit_note(
                    u, who, n, b.invoice, b.amount, reason=b.reason, on=b.on,
                    expected_parent=p), "Issue a credit note against an invoice"),
    ActionRoute("write-off", S.InvoiceAmountBody, lambda u, who, n, b, p: settlement.write_off(
        u, who, n, b.invoice, b.amount, reason=b.reason, on=b.on, expected_parent=p),
        "Write off a small short payment"),
    ActionRoute("return-in-kind", S.ReturnBody, lambda u, who, n, b, p: settlement.return_in_kind(
        u, who, n, [(x.line, x.quantity) for x in b.lines], description=b.description,
        evidence=_evidence(b.evidence), on=b.on, expected_parent=p),
        "Return supplies in kind"),
    ActionRoute("accept-return", S.AnswerReturnBody,
                lambda u, who, n, b, p: settlement.answer_return(
                    u, who, n, b.return_, b.accept, reason=b.reason, on=b.on,
                    expected_parent=p), "Accept (or reject) a return in kind"),
    ActionRoute("convert-to-cash", S.ConvertBody,
                lambda u, who, n, b, p: settlement.convert_to_cash(
                    u, who, n, {x.line: x.unit_price for x in b.prices} or None, on=b.on,
                    expected_parent=p), "Convert what is owed in kind to cash"),
    ActionRoute("amend", S.AmendBody, lambda u, who, n, b, p: orders.request_change(
        u, who, n, "amend", reason=b.reason, changes=_changes(u, n, b), on=b.on,
        expected_parent=p), "Request an amendment (the other side answers)"),
    ActionRoute("close-short", S.Reasoned, lambda u, who, n, b, p: orders.request_change(
        u, who, n, "close_short", reason=b.reason, on=b.on, expected_parent=p),
        "Request to close short (the rest will not be delivered)"),
    ActionRoute("cancel", S.Reasoned, lambda u, who, n, b, p: orders.cancel_order(
        u, who, n, reason=b.reason, on=b.on, expected_parent=p),
        "Cancel (before acceptance), or request cancellation"),
    ActionRoute("respond", S.RespondBody, lambda u, who, n, b, p: orders.respond(
        u, who, n, b.request, b.accept, on=b.on, expected_parent=p),
        "Answer a request to amend, close short or cancel"),
    ActionRoute("dispute", S.DisputeBody, lambda u, who, n, b, p: orders.open_dispute(
        u, who, n, reason=b.reason, about=b.about, on=b.on, expected_parent=p),
        "Open a dispute"),
    ActionRoute("resolve", S.ResolveBody, _resolve,
                "Propose a dispute's resolution, or sign the other side's"),
    ActionRoute("transfer-request", S.TransferRequestBody,
                lambda u, who, n, b, p: orders.request_transfer(
                    u, who, n, to=b.to, lines=[(x.line, x.quantity) for x in b.lines],
                    reason=b.reason, on=b.on, expected_parent=p),
                "Ask consent to pass supplies to a third party"),
    ActionRoute("transfer-consent", S.TransferConsentBody,
                lambda u, who, n, b, p: orders.answer_transfer(
                    u, who, n, b.request, b.consent, on=b.on, expected_parent=p),
                "Consent to (or refuse) a third-party transfer"),
    ActionRoute("transfer", S.TransferBody, lambda u, who, n, b, p: orders.record_transfer(
        u, who, n, b.request, on=b.on, expected_parent=p),
        "Record a third-party transfer (refused without consent)"),
    ActionRoute("waive-duties", S.Reasoned, lambda u, who, n, b, p: duties.waive_duties(
        u, who, n, reason=b.reason, on=b.on, expected_parent=p),
        "Waive the separation of duties for your side on this order (a small detachment: "
        "an approving official signs, saying why)"),
    ActionRoute("attach-evidence", S.AttachBody, lambda u, who, n, b, p:
                attachments.attach_evidence(u, who, n, to=b.to, kind=b.kind,
                                            evidence=_evidence(b.evidence), on=b.on,
                                            expected_parent=p),
                "Attach documents (a delivery ticket found later …) to a delivery or receipt "
                "already recorded"),
)


def _register(action: ActionRoute) -> None:
    body_model = action.body

    def act(number: str, body: body_model,  # type: ignore[valid-type]
            request: Request, response: Response, principal: Actor,
            uow: WriteUow) -> S.OrderPublic:
        parent = expected_parent(request.headers.get("if-match"))
        queries.check_head(uow, principal.user, number, parent)
        event = action.call(uow, principal.user, number, body, parent)
        detail = order_detail(uow, principal.user, number, order_view.state_after(event, number))
        response.headers["ETag"] = etag(detail.head)
        return detail

    act.__name__ = f"order_{action.name.replace('-', '_')}"
    act.__doc__ = (f"{action.summary}. Send the order's ETag in `If-Match`; the answer is "
                   "the order as it now stands, with its new ETag.")
    router.add_api_route(
        f"/orders/{{number:path}}/{action.name}", act, methods=["POST"],
        response_model=S.OrderPublic, summary=action.summary, tags=["order actions"],
        openapi_extra={"parameters": [IF_MATCH_PARAMETER]},
    )


for _action in ACTIONS:
    _register(_action)

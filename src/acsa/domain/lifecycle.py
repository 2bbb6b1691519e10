"""The life of an order up to settlement: request, acceptance, delivery, receipt, changes.

One :class:`~acsa.domain.interpret.Step` per event type: how it is judged
against the order at its parent, and how it changes the order. Settlement
(cash, in kind, exchange, offset) is in :mod:`acsa.domain.settlement`.
Which role of which side may act in which status is not decided here but in
the one table of :mod:`acsa.domain.rules`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from acsa.domain import facts as F
from acsa.domain.agreement import AgreementProfile
from acsa.domain.duties import apply_waiver, judge_waiver
from acsa.domain.errors import (
    N_,
    AlreadyRecorded,
    AmountExceedsOutstanding,
    ConsentMissing,
    InvalidValue,
    MissingField,
    NotAuthorized,
    NotEligible,
    ToleranceExceeded,
    UnknownReference,
)
from acsa.domain.evidence import apply_attach, evidence_of, judge_attach
from acsa.domain.facts import Fact, data_decimal, data_list, data_text
from acsa.domain.figures import (
    basis_total_quantity,
    converted,
    delivered,
    ordered,
    received,
    returned,
    tolerance_band,
)
from acsa.domain.interpret import Step, step
from acsa.domain.money import Money, line_total
from acsa.domain.order import (
    OrderTerms,
    check_amendable,
    check_eligibility,
    terms_from_data,
)
from acsa.domain.parties import Side, check_party_code
from acsa.domain.rules import Action
from acsa.domain.state import (
    Acceptance,
    ChangeRequest,
    Delivery,
    DeliveryLine,
    Dispute,
    OrderState,
    Proposal,
    Receipt,
    ReceiptAdjustment,
    ReceiptLine,
    ResolutionProposal,
    ReturnLine,
    Transfer,
)


def always(action: Action) -> Any:
    return lambda fact: action


# The last terms parsed, by the very mapping they were read from and the profile they were
# read under: judging a new order, probing it and applying it read the same terms thrice.
_TERMS: dict[int, tuple[Mapping[str, Any], AgreementProfile, OrderTerms]] = {}


def terms_of(fact: Fact, profile: AgreementProfile, key: str = "terms") -> OrderTerms:
    raw = fact.data.get(key)
    if not isinstance(raw, Mapping):
        raise MissingField(N_("the order's terms are required"), field=key)
    held = _TERMS.get(id(raw))
    if held is not None and held[0] is raw and held[1] is profile:
        return held[2]
    terms = terms_from_data(raw, profile)
    if len(_TERMS) >= 64:
        _TERMS.clear()
    _TERMS[id(raw)] = (raw, profile, terms)
    return terms


def value_of(fact: Fact, state: OrderState) -> Money | None:
    return state.terms.value() if state.terms else None


def require_order(state: OrderState) -> OrderTerms:
    if state.terms is None:
        raise UnknownReference(
            N_("%(number)s is not a known order"),
            field="subject", number=state.number,
        )
    return state.terms


# -- request and acceptance ----------------------------------------------


def _check_number(fact: Fact, profile: AgreementProfile, party: str, emergency: bool) -> None:
    fy = profile.party(party).fiscal_year(fact.on)
    mark = "E" if emergency else ""
    pattern = rf"{re.escape(profile.short_id)}/{party}/FY{fy}/{mark}[0-9]{{5,}}"
    if not re.fullmatch(pattern, fact.subject):
        raise InvalidValue(
            N_("'%(subject)s' is not numbered %(short_id)s/%(party)s/FY%(fy)s/%(mark)sNNNNN"),
            field="subject", subject=fact.subject, short_id=profile.short_id, party=party, fy=fy,
            mark=mark,
        )


def _judge_root(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    if state.terms is not None:
        raise AlreadyRecorded(
            N_("%(subject)s already exists"),
            field="subject", subject=fact.subject,
        )
    terms = terms_of(fact, profile)
    party = terms.requester if side is Side.REQUESTER else terms.supplier
    if fact.actor.party != party:
        raise NotAuthorized(
            N_("%(actor)s cannot request for %(party)s") if side is Side.REQUESTER else
            N_("%(actor)s cannot supply for %(party)s"),
            field="actor.party", actor=fact.actor.party, party=party,
        )
    check_eligibility(terms, profile, fact.on)
    _check_number(fact, profile, party, emergency=side is Side.SUPPLIER)


def _apply_submit(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    return state.evolve(
        terms=terms_of(fact, profile),
        version=1,
        profile=fact.profile,
        submitted_on=fact.on,
        submitted_by=fact.actor.user,
    ), ""


def _apply_emergency(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    terms = terms_of(fact, profile)
    days = profile.settlement.emergency_confirmation_days
    return state.evolve(
        terms=terms,
        version=1,
        profile=fact.profile,
        emergency=True,
        submitted_on=fact.on,
        submitted_by=fact.actor.user,
        accepted=Acceptance(fact.hash, fact.on, terms.supplying_unit or fact.actor.unit),
        emergency_confirmation_due=fact.on + timedelta(days=days),
    ), ""


def _judge_confirm_emergency(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> None:
    if not state.emergency:
        raise NotEligible(N_("only an emergency order is confirmed in writing"), field="type")
    if state.emergency_confirmed_on is not None:
        raise AlreadyRecorded(N_("the emergency order is already confirmed"), field="type")


def _apply_confirm_emergency(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    due = state.emergency_confirmation_due
    note = ""
    if due is not None and fact.on > due:
        note = f"confirmed late: {(fact.on - due).days} day(s) after the window closed on {due}"
    return state.evolve(emergency_confirmed_on=fact.on), note


def _judge_propose(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    new = terms_of(fact, profile)
    check_amendable(require_order(state), new)
    check_eligibility(new, profile, fact.on)
    data_text(fact.data, "reason")


def _apply_propose(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    proposal = Proposal(fact.hash, fact.on, terms_of(fact, profile), data_text(fact.data, "reason"))
    return state.evolve(proposal=proposal), ""


def _proposed_value(fact: Fact, state: OrderState) -> Money | None:
    terms = fact.data.get("terms")
    if state.terms is None or not isinstance(terms, Mapping):
        return None
    lines = terms.get("lines")
    if not isinstance(lines, list):
        return None
    # The value of the proposed terms, priced as proposed; the terms were
    # already checked by the step's judge before the appointment is checked.
    total = Money.zero(state.currency)
    for line in lines:
        qty = data_decimal(line, "quantity")
        price = data_decimal(line, "unit_price")
        total = total + line_total(qty, price, state.currency)
    return total


def _judge_confirm(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    if state.proposal is None or data_text(fact.data, "proposal") != state.proposal.id:
        raise UnknownReference(N_("names no proposal awaiting confirmation"), field="proposal")


def _apply_confirm(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    if state.proposal is None or state.proposal.id != fact.data.get("proposal"):
        return state, "the proposal it confirms was superseded"
    return state.evolve(terms=state.proposal.terms, version=state.version + 1, proposal=None), ""


def _confirm_value(fact: Fact, state: OrderState) -> Money | None:
    return state.proposal.terms.value() if state.proposal else value_of(fact, state)


def _judge_withdraw(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    require_order(state)


def _apply_withdraw(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    if state.accepted is None:
        reason = str(fact.data.get("reason") or "")
        return replace(
            state, withdrawn_on=fact.on, withdrawal=fact.hash, withdrawal_reason=reason
        ), ""
    return _withdrawal_as_request(state, fact.hash, fact.on, fact.data), (
        "the supplier's acceptance crossed this withdrawal: the acceptance stands and the "
        "withdrawal became a cancellation request for the supplier to answer"
    )


def _withdrawal_as_request(
    state: OrderState, event: str, on: Any, data: Mapping[str, Any]
) -> OrderState:
    reason = str(data.get("reason") or "withdrawn before acceptance")
    request = ChangeRequest(
        id=event, kind="cancel", side=Side.REQUESTER, on=on, reason=reason, from_withdrawal=True
    )
    return state.evolve(
        changes=(*state.changes, request),
        withdrawn_on=None,
        withdrawal=None,
        withdrawal_reason="",
    )


def _judge_accept(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    require_order(state)
    version = fact.data.get("version")
    if version != state.version:
        raise InvalidValue(
            N_("accepts version '%(given)s', but the requester signed version %(version)s"),
            field="version", given=version, version=state.version,
        )
    data_text(fact.data, "supplying_unit")


def _apply_accept(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    accepted = Acceptance(fact.hash, fact.on, data_text(fact.data, "supplying_unit"))
    if state.withdrawn_on is not None and state.withdrawal is not None:
        crossed = _withdrawal_as_request(
            state, state.withdrawal, state.withdrawn_on, {"reason": state.withdrawal_reason}
        )
        return replace(crossed, accepted=accepted, proposal=None), (
            "a withdrawal crossed this acceptance: the acceptance stands and the withdrawal "
            "became a cancellation request for the supplier to answer"
        )
    return state.evolve(accepted=accepted, proposal=None), ""


def _judge_reject(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    require_order(state)
    data_text(fact.data, "reason")


def _apply_reject(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    return state.evolve(rejected_on=fact.on, rejection_reason=data_text(fact.data, "reason")), ""


def _supplying_unit(fact: Fact, state: OrderState, side: Side) -> str | None:
    return (
        fact.data.get("supplying_unit")
        if isinstance(fact.data.get("supplying_unit"), str)
        else None
    )


# -- delivery and receipt --------------------------------------------------


def _delivery_lines(
    fact: Fact, state: OrderState, profile: AgreementProfile
) -> tuple[DeliveryLine, ...]:
    terms = require_order(state)
    lines = data_list(fact.data, "lines")
    if not lines:
        raise MissingField(N_("a delivery has at least one line"), field="lines")
    out: list[DeliveryLine] = []
    for i, raw in enumerate(lines):
        where = f"lines[{i}]."
        no = F.data_int(raw, "line", where=where)
        order_line = terms.line(no)
        quantity = data_decimal(raw, "quantity", where=where)
        if quantity <= 0:
            raise InvalidValue(N_("must be more than zero"), field=where + "quantity")
        price = (
            data_decimal(raw, "unit_price", where=where)
            if "unit_price" in raw
            else order_line.unit_price
        )
        if profile.pricing.pricing_date == "order" and price != order_line.unit_price:
            raise InvalidValue(
                N_("%(agreement)s prices at the order's price (%(unit_price)s)"),
                field=where + "unit_price", agreement=profile.id, unit_price=order_line.unit_price,
            )
        if any(d.line == no for d in out):
            raise InvalidValue(N_("line %(no)s appears twice"), field=where + "line", no=no)
        out.append(DeliveryLine(no, quantity, price))
    return tuple(out)


def _judge_deliver(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    terms = require_order(state)
    if state.closed_short_on is not None:
        # Closing short set what is still to be delivered to nothing, whatever
        # status the order's later receipts and invoices give it.
        raise AmountExceedsOutstanding(
            N_("the order was closed short on %(date)s: nothing more is delivered"),
            field="lines", date=state.closed_short_on,
        )
    for i, d in enumerate(_delivery_lines(fact, state, profile)):
        category = terms.line(d.line).category
        tolerance = profile.tolerance(category)
        _, high = tolerance_band(ordered(state, d.line), tolerance)
        total = delivered(state, d.line) + d.quantity
        if total > high:
            raise ToleranceExceeded(
                N_("line %(line)s would reach %(total)s against %(ordered)s ordered (at most "
                   "%(limit)s within ±%(percent)s%%)"),
                field=f"lines[{i}].quantity", line=d.line, total=total,
                ordered=ordered(state, d.line), limit=high, tolerance=tolerance,
                percent=tolerance * 100,
            )
    evidence_of(fact.data)


def _apply_deliver(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    delivery = Delivery(
        id=fact.hash,
        on=fact.on,
        lines=_delivery_lines(fact, state, profile),
        evidence=evidence_of(fact.data),
        note=str(fact.data.get("note") or ""),
    )
    return state.evolve(deliveries=(*state.deliveries, delivery)), ""


def _receipt_lines(fact: Fact, delivery: Delivery) -> tuple[ReceiptLine, ...]:
    out: list[ReceiptLine] = []
    for i, raw in enumerate(data_list(fact.data, "lines")):
        where = f"lines[{i}]."
        no = F.data_int(raw, "line", where=where)
        if delivery.price(no) is None:
            raise InvalidValue(
                N_("line %(no)s was not on that delivery"),
                field=where + "line", no=no,
            )
        quantity = data_decimal(raw, "quantity", where=where)
        damaged = data_decimal(raw, "damaged", where=where) if "damaged" in raw else Decimal(0)
        if quantity + damaged > delivery.quantity(no):
            raise InvalidValue(
                N_("%(total)s received and damaged exceeds %(delivered)s delivered"),
                field=where + "quantity", total=quantity + damaged,
                delivered=delivery.quantity(no),
            )
        if any(r.line == no for r in out):
            raise InvalidValue(N_("line %(no)s appears twice"), field=where + "line", no=no)
        out.append(ReceiptLine(no, quantity, damaged))
    missing = {d.line for d in delivery.lines} - {r.line for r in out}
    if missing:
        raise MissingField(
            N_("say what arrived of every delivered line (missing %(lines)s)"),
            field="lines", lines=sorted(missing),
        )
    return tuple(out)


def _delivery_of(fact: Fact, state: OrderState) -> Delivery:
    ref = data_text(fact.data, "delivery")
    d = state.delivery(ref)
    if d is None:
        raise UnknownReference(
            N_("no delivery %(ref)s… on this order"),
            field="delivery", ref=ref[:12],
        )
    return d


def _judge_receive(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    d = _delivery_of(fact, state)
    if state.receipt_for(d.id) is not None:
        raise AlreadyRecorded(N_("that delivery is already acknowledged"), field="delivery")
    _receipt_lines(fact, d)
    evidence_of(fact.data)


def _apply_receive(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    d = _delivery_of(fact, state)
    lines = _receipt_lines(fact, d)
    receipt = Receipt(
        fact.hash, d.id, fact.on, lines, evidence_of(fact.data), str(fact.data.get("note") or "")
    )
    short = [
        f"line {r.line}: {d.quantity(r.line) - r.quantity} short"
        for r in lines
        if r.quantity < d.quantity(r.line)
    ]
    return state.evolve(receipts=(*state.receipts, receipt)), "; ".join(short)


# -- disputes ---------------------------------------------------------------


def _judge_dispute(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    data_text(fact.data, "reason")
    about = fact.data.get("about")
    if (
        about is not None
        and state.delivery(str(about)) is None
        and state.invoice(str(about)) is None
    ):
        raise UnknownReference(N_("names no delivery or invoice of this order"), field="about")


def _apply_dispute(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    about = fact.data.get("about")
    dispute = Dispute(
        fact.hash, side, fact.on, data_text(fact.data, "reason"), str(about) if about else None
    )
    return state.evolve(disputes=(*state.disputes, dispute)), ""


def _open_dispute(fact: Fact, state: OrderState) -> Dispute:
    ref = data_text(fact.data, "dispute")
    d = state.dispute(ref)
    if d is None or not d.open:
        raise UnknownReference(N_("names no open dispute of this order"), field="dispute")
    return d


def _adjustments(fact: Fact, state: OrderState) -> tuple[ReceiptAdjustment, ...]:
    out = []
    for i, raw in enumerate(data_list(fact.data, "adjustments", required=False)):
        where = f"adjustments[{i}]."
        ref = data_text(raw, "delivery")
        d = state.delivery(ref)
        if d is None:
            raise UnknownReference(N_("names no delivery of this order"), field=where + "delivery")
        no = F.data_int(raw, "line", where=where)
        quantity = data_decimal(raw, "quantity", where=where)
        if quantity > d.quantity(no):
            raise InvalidValue(
                N_("more than the %(delivered)s delivered"), field=where + "quantity",
                delivered=d.quantity(no),
            )
        out.append(ReceiptAdjustment(ref, no, quantity))
    return tuple(out)


def _check_adjustments(
    adjustments: tuple[ReceiptAdjustment, ...], state: OrderState, profile: AgreementProfile
) -> None:
    """Refuse a recount below what settlement already rests on.

    Where invoices bill received quantities, a resolution may not count less
    received than a live invoice already bills for that delivery's line (void
    the invoice, or credit the difference, instead), nor less of a line than
    was returned in kind or converted to cash, nor change what an exchange
    has valued: each would leave an account negative or owed twice.
    """
    if not adjustments or profile.pricing.invoice_basis != "received":
        return
    if state.exchanges:
        raise InvalidValue(
            N_("what is owed in kind on this order is in an exchange; it cannot be recounted"),
            field="adjustments",
        )
    after = state.evolve(adjustments=(*state.adjustments, *adjustments))
    for i, a in enumerate(adjustments):
        where = f"adjustments[{i}].quantity"
        billed = sum(
            (
                il.quantity
                for inv in state.invoices
                if inv.live and inv.kind == "goods"
                for il in inv.lines
                if il.delivery == a.delivery and il.line == a.line
            ),
            Decimal(0),
        )
        if a.quantity < billed:
            raise InvalidValue(
                N_("line %(line)s of that delivery is invoiced for %(billed)s: void the "
                   "invoice, or credit the difference, instead of counting less"),
                field=where, line=a.line, billed=billed,
            )
        settled = (
            returned(state, a.line)
            + returned(state, a.line, pending=True)
            + converted(state, a.line)
        )
        if basis_total_quantity(after, a.line, profile) < settled:
            raise InvalidValue(
                N_("%(settled)s of line %(line)s was already returned in kind or converted"),
                field=where, settled=settled, line=a.line,
            )


def _judge_propose_resolution(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> None:
    _open_dispute(fact, state)
    data_text(fact.data, "resolution")
    _check_adjustments(_adjustments(fact, state), state, profile)


def _apply_propose_resolution(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    ref = data_text(fact.data, "dispute")
    proposal = ResolutionProposal(
        fact.hash, side, fact.on, data_text(fact.data, "resolution"), _adjustments(fact, state)
    )
    disputes = tuple(
        replace(d, proposals=(*d.proposals, proposal)) if d.id == ref else d for d in state.disputes
    )
    return state.evolve(disputes=disputes), ""


def _judge_resolve(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    dispute = _open_dispute(fact, state)
    ref = data_text(fact.data, "proposal")
    proposal = next((p for p in dispute.proposals if p.id == ref), None)
    if proposal is None:
        raise UnknownReference(N_("names no proposed resolution of that dispute"), field="proposal")
    if proposal.side is side:
        raise NotAuthorized(
            N_("a resolution takes both parties' signatures: the other side must sign it"),
            field="proposal",
        )
    # Judged again on the order as the signer saw it, which may hold an invoice,
    # return or exchange that the proposal did not.
    _check_adjustments(proposal.adjustments, state, profile)


def _apply_resolve(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    ref = data_text(fact.data, "dispute")
    dispute = state.dispute(ref)
    if dispute is None or not dispute.open:
        return state, "the dispute was already resolved"
    proposal = next(p for p in dispute.proposals if p.id == fact.data.get("proposal"))
    disputes = tuple(
        replace(d, resolved_by=proposal.id, resolved_on=fact.on) if d.id == ref else d
        for d in state.disputes
    )
    return replace(
        state, disputes=disputes, adjustments=(*state.adjustments, *proposal.adjustments)
    ), ""


# -- changes to what both signed --------------------------------------------

_CHANGE_ACTIONS = {
    "amend": Action.AMEND,
    "close_short": Action.CLOSE_SHORT,
    "cancel": Action.CANCEL,
}


def _change_action(fact: Fact) -> Action:
    kind = fact.data.get("kind")
    if kind not in _CHANGE_ACTIONS:
        raise InvalidValue(
            N_("'%(kind)s' is not amend, close_short or cancel"),
            field="kind", kind=kind,
        )
    return _CHANGE_ACTIONS[str(kind)]


def _check_amendment(state: OrderState, new: OrderTerms, profile: AgreementProfile) -> None:
    old = require_order(state)
    check_amendable(old, new)
    for i, line in enumerate(new.lines):
        if line.quantity < delivered(state, line.no):
            raise InvalidValue(
                N_("line %(line)s: %(delivered)s already delivered"),
                field=f"terms.lines[{i}].quantity", line=line.no,
                delivered=delivered(state, line.no),
            )
    old_numbers = {ln.no for ln in old.lines}
    dropped = [n for n in old_numbers if n not in {ln.no for ln in new.lines}]
    for n in dropped:
        if delivered(state, n) > 0:
            raise InvalidValue(
                N_("line %(n)s has deliveries and cannot be removed"),
                field="terms.lines", n=n,
            )


def _judge_request_change(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> None:
    kind = _change_action(fact)
    data_text(fact.data, "reason")
    if kind is Action.AMEND:
        new = terms_of(fact, profile)
        check_eligibility(new, profile, fact.on)
        _check_amendment(state, new, profile)
    if any(c.pending and c.kind == fact.data.get("kind") and c.side is side for c in state.changes):
        raise AlreadyRecorded(
            N_("a %(kind)s request of yours is already awaiting an answer"),
            field="kind", kind=fact.data.get("kind"),
        )


def _apply_request_change(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    kind = str(fact.data.get("kind"))
    request = ChangeRequest(
        id=fact.hash,
        kind=kind,
        side=side,
        on=fact.on,
        reason=data_text(fact.data, "reason"),
        terms=terms_of(fact, profile) if kind == "amend" else None,
    )
    return state.evolve(changes=(*state.changes, request)), ""


def _pending_request(fact: Fact, state: OrderState, side: Side) -> ChangeRequest:
    ref = data_text(fact.data, "request")
    request = state.change(ref)
    if request is None or not request.pending:
        raise UnknownReference(N_("names no request awaiting an answer"), field="request")
    if request.side is side:
        raise NotAuthorized(N_("a request is answered by the other party"), field="request")
    return request


def _judge_answer_change(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> None:
    request = _pending_request(fact, state, side)
    answer = data_text(fact.data, "answer")
    if answer not in ("accepted", "declined"):
        raise InvalidValue(
            N_("'%(answer)s' is not accepted or declined"),
            field="answer", answer=answer,
        )
    if answer == "accepted" and request.kind == "amend" and request.terms is not None:
        _check_amendment(state, request.terms, profile)


def _apply_answer_change(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    ref = fact.data.get("request")
    request = state.change(str(ref))
    if request is None or not request.pending:
        return state, "the request was already answered"
    answer = str(fact.data.get("answer"))
    changes = tuple(
        replace(c, answer=answer, answered_on=fact.on) if c.id == ref else c for c in state.changes
    )
    state = state.evolve(changes=changes)
    if answer != "accepted":
        return state, ""
    if request.kind == "amend" and request.terms is not None:
        return state.evolve(terms=request.terms, version=state.version + 1), ""
    if request.kind == "cancel" and not state.deliveries:
        return state.evolve(cancelled_on=fact.on), ""
    note = "deliveries already made stand; the rest is closed" if request.kind == "cancel" else ""
    return state.evolve(closed_short_on=fact.on), note


def _request_value(fact: Fact, state: OrderState) -> Money | None:
    ref = fact.data.get("request")
    request = state.change(str(ref)) if ref else None
    if request is not None and request.terms is not None:
        return request.terms.value()
    return value_of(fact, state)


# -- third-party transfer -----------------------------------------------------


def _transfer_lines(fact: Fact, state: OrderState) -> tuple[ReturnLine, ...]:
    terms = require_order(state)
    out = []
    for i, raw in enumerate(data_list(fact.data, "lines")):
        where = f"lines[{i}]."
        no = F.data_int(raw, "line", where=where)
        terms.line(no)
        quantity = data_decimal(raw, "quantity", where=where)
        if quantity <= 0 or quantity > received(state, no):
            raise InvalidValue(
                N_("must be more than zero and at most the %(received)s received"),
                field=where + "quantity", received=received(state, no),
            )
        out.append(ReturnLine(no, quantity))
    if not out:
        raise MissingField(N_("name what is to be transferred"), field="lines")
    return tuple(out)


def _judge_transfer_request(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> None:
    to = check_party_code(fact.data.get("to"), field="to")
    if to in (state.requester, state.supplier):
        raise InvalidValue(N_("a transfer is to a third party"), field="to")
    _transfer_lines(fact, state)
    data_text(fact.data, "reason")


def _apply_transfer_request(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    t = Transfer(
        fact.hash,
        str(fact.data.get("to")),
        fact.on,
        _transfer_lines(fact, state),
        data_text(fact.data, "reason"),
    )
    return state.evolve(transfers=(*state.transfers, t)), ""


def _transfer_of(fact: Fact, state: OrderState) -> Transfer:
    ref = data_text(fact.data, "request")
    t = state.transfer(ref)
    if t is None:
        raise UnknownReference(N_("names no transfer request of this order"), field="request")
    return t


def _judge_transfer_answer(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> None:
    t = _transfer_of(fact, state)
    if t.answer is not None:
        raise AlreadyRecorded(N_("the transfer request is already answered"), field="request")
    if data_text(fact.data, "answer") not in ("consented", "refused"):
        raise InvalidValue(N_("must be consented or refused"), field="answer")


def _apply_transfer_answer(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    ref = fact.data.get("request")
    transfers = tuple(
        replace(t, answer=str(fact.data.get("answer")), answered_on=fact.on) if t.id == ref else t
        for t in state.transfers
    )
    return state.evolve(transfers=transfers), ""


def _judge_transfer(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    t = _transfer_of(fact, state)
    if t.answer != "consented":
        raise ConsentMissing(
            N_("%(supplier)s has not consented in writing to a transfer to %(to)s"),
            field="request", supplier=state.supplier, to=t.to,
        )
    if t.done_on is not None:
        raise AlreadyRecorded(N_("that transfer is already recorded"), field="request")


def _apply_transfer(
    fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
) -> tuple[OrderState, str]:
    ref = fact.data.get("request")
    transfers = tuple(replace(t, done_on=fact.on) if t.id == ref else t for t in state.transfers)
    return state.evolve(transfers=transfers), ""


step(F.ORDER_SUBMITTED, Step(always(Action.SUBMIT), _judge_root, _apply_submit, value_of))
step(
    F.ORDER_EMERGENCY_RECORDED,
    Step(always(Action.EMERGENCY), _judge_root, _apply_emergency, value_of),
)
step(
    F.ORDER_EMERGENCY_CONFIRMED,
    Step(
        always(Action.CONFIRM_EMERGENCY),
        _judge_confirm_emergency,
        _apply_confirm_emergency,
        value_of,
    ),
)
step(
    F.ORDER_PROPOSED, Step(always(Action.PROPOSE), _judge_propose, _apply_propose, _proposed_value)
)
step(
    F.ORDER_CONFIRMED, Step(always(Action.CONFIRM), _judge_confirm, _apply_confirm, _confirm_value)
)
step(F.ORDER_WITHDRAWN, Step(always(Action.WITHDRAW), _judge_withdraw, _apply_withdraw))
step(
    F.ORDER_ACCEPTED,
    Step(always(Action.ACCEPT), _judge_accept, _apply_accept, value_of, _supplying_unit),
)
step(F.ORDER_REJECTED, Step(always(Action.REJECT), _judge_reject, _apply_reject))
step(F.DELIVERY_RECORDED, Step(always(Action.DELIVER), _judge_deliver, _apply_deliver))
step(F.RECEIPT_RECORDED, Step(always(Action.RECEIVE), _judge_receive, _apply_receive))
step(F.DISPUTE_OPENED, Step(always(Action.DISPUTE), _judge_dispute, _apply_dispute))
step(
    F.DISPUTE_RESOLUTION_PROPOSED,
    Step(always(Action.RESOLVE), _judge_propose_resolution, _apply_propose_resolution),
)
step(F.DISPUTE_RESOLVED, Step(always(Action.RESOLVE), _judge_resolve, _apply_resolve))
step(
    F.CHANGE_REQUESTED,
    Step(
        _change_action,
        _judge_request_change,
        _apply_request_change,
        lambda f, s: _proposed_value(f, s) if f.data.get("kind") == "amend" else None,
    ),
)
step(
    F.CHANGE_ANSWERED,
    Step(always(Action.RESPOND), _judge_answer_change, _apply_answer_change, _request_value),
)
step(
    F.TRANSFER_REQUESTED,
    Step(always(Action.TRANSFER_REQUEST), _judge_transfer_request, _apply_transfer_request),
)
step(
    F.TRANSFER_ANSWERED,
    Step(always(Action.TRANSFER_CONSENT), _judge_transfer_answer, _apply_transfer_answer),
)
step(F.TRANSFER_RECORDED, Step(always(Action.TRANSFER), _judge_transfer, _apply_transfer))
step(F.DUTIES_WAIVED, Step(always(Action.WAIVE_DUTIES), judge_waiver, apply_waiver))
step(F.EVIDENCE_ATTACHED, Step(always(Action.ATTACH_EVIDENCE), judge_attach, apply_attach))

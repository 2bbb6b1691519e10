"""Source documents: which step of an order needs which document before a later one.

The agreement profile's evidence policy (``[[evidence]]``) says, for example,
that a delivery needs a delivery ticket before the invoice, or a receipt a
goods-received note before the payment. Evidence files are fixed by their
hash on the step that carried them (``data.evidence``, each naming its
``kind``) or attached to it later by ``evidence.attached``, so a ticket found
after the delivery can still be supplied.

The policy holds back settlement steps only (an invoice, a payment): a
delivery or a receipt — an emergency one included — is never refused for a
missing document. It is judged like every other rule, against the order at
the event's parent and under the profile the order's first event cites, so
both nodes reach the same verdict and an order begun under a profile
without the policy is never judged by it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from acsa.domain.agreement import DOCUMENT_KINDS, AgreementProfile
from acsa.domain.errors import (
    N_,
    EvidenceMissing,
    InvalidValue,
    MissingField,
    NotAuthorized,
    UnknownReference,
)
from acsa.domain.facts import Fact, data_list, data_text
from acsa.domain.parties import Side
from acsa.domain.rules import Action
from acsa.domain.state import Attachment, Evidence, OrderState

# What each step of a rule is called in a refusal, and who takes it.
STEP_NOUN = {"deliver": "delivery", "receive": "receipt"}
STEP_SIDE = {"deliver": Side.SUPPLIER, "receive": Side.REQUESTER}
LATER_NOUN = {"invoice": "invoice", "pay": "payment"}
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Missing:
    """One document an order lacks: ``step``'s event ``event`` (of ``on``) has no
    ``document``, needed before ``before``."""

    step: str
    event: str
    on: date
    document: str
    before: str


def _steps(state: OrderState, step: str) -> Iterator[tuple[str, date]]:
    records = state.deliveries if step == "deliver" else state.receipts
    for r in records:
        yield r.id, r.on


def missing(state: OrderState, profile: AgreementProfile,
            before: str | None = None) -> list[Missing]:
    """Every document the evidence policy asks of ``state``'s steps that none of their
    evidence is (only the rules that hold back ``before``, when given)."""
    out: list[Missing] = []
    for rule in profile.evidence:
        if before is not None and rule.before != before:
            continue
        for event, on in _steps(state, rule.step):
            if not any(e.kind == rule.document for e in state.documents(event)):
                out.append(Missing(rule.step, event, on, rule.document, rule.before))
    return out


def check_evidence(action: Action, state: OrderState, profile: AgreementProfile) -> None:
    """Refuse the settlement step ``action`` while a step it waits for lacks its document."""
    if not any(r.before == action.value for r in profile.evidence):
        return
    found = missing(state, profile, action.value)
    if found:
        m = found[0]
        raise EvidenceMissing(
            N_("the %(what)s of %(on)s lacks a %(document)s: under %(agreement)s %(version)s "
               "a %(what)s needs one before the %(later)s"),
            field="evidence", what=STEP_NOUN[m.step], on=m.on, document=m.document,
            later=LATER_NOUN[m.before], agreement=profile.id, version=profile.version,
            event=m.event,
        )


def evidence_of(data: Mapping[str, Any]) -> tuple[Evidence, ...]:
    out = []
    for i, e in enumerate(data_list(data, "evidence", required=False)):
        where = f"evidence[{i}]."
        digest = data_text(e, "sha256")
        if not _SHA256.fullmatch(digest):
            raise InvalidValue(N_("must be 64 lowercase hex digits"), field=where + "sha256")
        size = e.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InvalidValue(N_("must be a byte count"), field=where + "size")
        kind = data_text(e, "kind", required=False)
        if kind and kind not in DOCUMENT_KINDS:
            raise InvalidValue(N_("'%(value)s' is not a kind of document (%(kinds)s)"),
                               field=where + "kind", value=kind, kinds=list(DOCUMENT_KINDS))
        out.append(Evidence(digest, data_text(e, "name"), data_text(e, "media_type"), size,
                            kind))
    return tuple(out)


# -- evidence.attached -----------------------------------------------------------------


def _step_of(state: OrderState, event: str) -> str | None:
    if state.delivery(event) is not None:
        return "deliver"
    if any(r.id == event for r in state.receipts):
        return "receive"
    return None


def judge_attach(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    """Documents attach to a delivery or receipt of this order, by the side that took it,
    each naming its kind."""
    to = data_text(fact.data, "to")
    step = _step_of(state, to)
    if step is None:
        raise UnknownReference(
            N_("no delivery or receipt '%(ref)s' on %(number)s"),
            field="to", ref=to[:12], number=state.number,
        )
    if STEP_SIDE[step] is not side:
        raise NotAuthorized(
            N_("the %(side)s documents only its own steps, not the %(what)s"),
            field="to", side=side, what=STEP_NOUN[step],
        )
    files = evidence_of(fact.data)
    if not files:
        raise MissingField(N_("attach at least one document"), field="evidence")
    for i, e in enumerate(files):
        if not e.kind:
            raise MissingField(N_("say what document it is"), field=f"evidence[{i}].kind")


def apply_attach(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
                 ) -> tuple[OrderState, str]:
    files: tuple[Evidence, ...] = evidence_of(fact.data)
    attachment = Attachment(fact.hash, data_text(fact.data, "to"), side, fact.on, files)
    return replace(state, attachments=(*state.attachments, attachment)), ""

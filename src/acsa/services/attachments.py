"""Evidence attached to an earlier step: a delivery ticket or goods-received note supplied
after the delivery or receipt it documents (``evidence.attached``).

The agreement's evidence policy (:mod:`acsa.domain.evidence`) may hold back an
invoice or a payment until a step carries its document; this use case records
the document for that step, signed like any act, so that both nodes see the
step documented and the settlement step may go ahead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from acsa.domain import facts as F
from acsa.domain import references
from acsa.domain.agreement import DOCUMENT_KINDS
from acsa.domain.errors import N_, InvalidValue, MissingField
from acsa.domain.rules import Action
from acsa.services import need_to_know
from acsa.services.orders import act_on_order
from acsa.services.recording import ANY_PARENT, order_state
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser
from acsa.store.log import StoredEvent


def with_kind(files: Sequence[Mapping[str, Any]], kind: str) -> list[dict[str, Any]]:
    """Evidence references (as :func:`~acsa.services.evidence.store_evidence` returns them)
    named as documents of ``kind``."""
    if kind not in DOCUMENT_KINDS:
        raise InvalidValue(N_("'%(value)s' is not a kind of document (%(kinds)s)"),
                           field="kind", value=kind, kinds=list(DOCUMENT_KINDS))
    return [{**f, "kind": kind} for f in files]


@use_case
def attach_evidence(uow: UnitOfWork, user: LocalUser, number: str, *, to: str, kind: str,
                    evidence: Sequence[Mapping[str, Any]], on: date | None = None,
                    expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Attach documents of ``kind`` to the delivery or receipt ``to`` (a position, a hash
    prefix, ``delivery:N`` or ``receipt:N``) of order ``number``."""
    need_to_know.require_readable(uow, user, [number])
    if not evidence:
        raise MissingField(N_("attach at least one document"), field="evidence")
    step = references.find_step(order_state(uow, number), to)
    return act_on_order(uow, user, number, Action.ATTACH_EVIDENCE, F.EVIDENCE_ATTACHED,
                        {"to": step, "evidence": with_kind(evidence, kind)}, on=on,
                        expected_parent=expected_parent)

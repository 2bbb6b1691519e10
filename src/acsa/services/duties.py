"""Separation of duties: a small detachment's waiver for one order.

The rule itself is the domain's (:mod:`acsa.domain.duties`), judged on every
act; this use case records the waiver an approving official of the acting
side signs, with the reason, lifting the rule for that side on that order.
"""

from __future__ import annotations

from datetime import date

from acsa.domain import facts as F
from acsa.domain.rules import Action
from acsa.services.orders import act_on_order
from acsa.services.recording import ANY_PARENT
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser
from acsa.store.log import StoredEvent


@use_case
def waive_duties(uow: UnitOfWork, user: LocalUser, number: str, *, reason: str,
                 on: date | None = None, expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Lift the separation of duties for the user's side on order ``number``, saying why."""
    return act_on_order(uow, user, number, Action.WAIVE_DUTIES, F.DUTIES_WAIVED,
                        {"reason": reason.strip()}, on=on, expected_parent=expected_parent)

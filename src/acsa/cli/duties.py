"""``acsa order waive-duties``: a small detachment lifts the separation of duties on one order.

The agreement profile says which actions one person may not both take on one
order (the person who orders does not also receive …); every act is judged by
it. Where a side has too few officials, its approving official records a
waiver for one order, with the reason: the waiver is an event on the order,
shown by ``acsa order show``, and lifts the rule for that side on that order only.
"""

from __future__ import annotations

from acsa.cli.common import AsOpt, JsonOpt, OnOpt, parse_day
from acsa.cli.orders import IfMatchOpt, NumberArg, ReasonOpt, order_app, parent, run
from acsa.services import duties


@order_app.command("waive-duties")
def order_waive_duties(number: NumberArg, reason: ReasonOpt, on: OnOpt = None,
                       if_match: IfMatchOpt = None, as_user: AsOpt = None,
                       as_json: JsonOpt = False) -> None:
    """Waive the separation of duties for your side on this order (an approving official)."""
    run(as_user, as_json, lambda uow, user: duties.waive_duties(
        uow, user, number, reason=reason, on=parse_day(on), expected_parent=parent(if_match)))

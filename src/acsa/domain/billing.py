"""What the supplier may invoice on an order now, so that a form offers nothing else.

Each item is the kind of invoice and what it bills, as :func:`commands.invoice_data`
takes them: the goods and services due (a cash order with received or delivered
quantities not yet on a live invoice), each conversion of an obligation in kind
and each signed exchange's residual not yet invoiced, and each live invoice that
a confirmed payment left short (the difference).
"""

from __future__ import annotations

from acsa.domain.agreement import AgreementProfile
from acsa.domain.settlement import uninvoiced_lines
from acsa.domain.state import OrderState


def billable(state: OrderState, profile: AgreementProfile) -> list[tuple[str, str | None]]:
    """Every invoice the supplier could issue on ``state`` now, as (kind, reference)."""
    live = [i for i in state.invoices if i.live]
    billed = {(i.kind, i.reference) for i in live}
    out: list[tuple[str, str | None]] = []
    if state.method == "cash" and uninvoiced_lines(state, profile):
        out.append(("goods", None))
    out += [("conversion", c.id) for c in state.conversions
            if ("conversion", c.id) not in billed]
    out += [("residual", x.exchange) for x in state.exchanges
            if x.signed and x.to_cash > 0 and ("residual", x.exchange) not in billed]
    short = {p.invoice for p in state.payments if p.confirmed}
    out += [("difference", i.id) for i in live
            if i.id in short and i.outstanding > 0 and ("difference", i.id) not in billed]
    return out

"""What several API route modules share: ETags, If-Match, and the order detail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from acsa.domain.errors import N_
from acsa.domain.state import OrderState
from acsa.services import access_log, order_view, queries
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.web.api.schemas import OrderPublic
from acsa.web.problems import PreconditionRequired

PAGE_LIMIT_MAX = queries.PAGE_LIMIT_MAX

# An agreement named in a query: its id, letters, digits, '.', '_' and '-' (JPN-PHL-ACSA).
AgreementQuery = Annotated[str | None, Query(
    max_length=40, pattern=r"^[A-Za-z0-9._-]+$", description="An agreement's id, e.g. "
    "JPN-PHL-ACSA.")]


def etag(head: str | None) -> str:
    return f'"{head or ""}"'


# An act on one order documents If-Match as the required header it is: the route reads it
# itself, so that a request without it is answered 428 (If-Match required), not 422.
IF_MATCH_PARAMETER: dict[str, Any] = {
    "name": "If-Match", "in": "header", "required": True,
    "description": "The order's ETag, from GET /orders/{number}. Without it the act is "
                   "refused (428); a stale one is a conflict (409).",
    "schema": {"type": "string", "pattern": '^(W/)?"[0-9a-f]{64}"$'},
}


def expected_parent(if_match: str | None) -> str | None:
    """The order head the client saw, from ``If-Match`` (required; ``*`` is refused,
    because an act on an order must say which version of it the actor read)."""
    value = (if_match or "").strip()
    if not value or value == "*":
        raise PreconditionRequired(
            N_("send If-Match with the order's ETag from GET /orders/{number}"),
            field="If-Match",
        )
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"') or None


def order_detail(uow: UnitOfWork, user: LocalUser, number: str,
                 state: OrderState | None = None, row: Any = None) -> OrderPublic:
    """The order as ``user`` may see it, with the actions they may take now.

    ``state`` is the order as an act just left it, when there is one: it is
    not folded again. ``row`` is its projection row as :func:`queries.order_row` read it
    for ``user`` in this transaction, when the caller has it.
    """
    if row is None:
        row = queries.order_row(uow, user, number)  # need to know first: refuse before more
    data = order_view.show_order(uow, number, state, row=row)
    data["currency"] = data["terms"]["currency"]
    data["actions"] = queries.actions_now(uow, user, number, row=row)
    return OrderPublic.model_validate(data)


def record_read(node: Node, user: LocalUser, number: str, address: str) -> None:
    """The access log's line for opening an order (its marking named when classified),
    in a short transaction of its own once the order is read: reading never holds the
    database's write lock."""
    with UnitOfWork(node) as uow:
        access_log.record_opening(uow, user, "order.read", number, "", address)

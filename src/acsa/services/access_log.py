"""The access log of what users open: who opened which record, document, file or export,
when, and from where — for the security officers and auditors who answer for it.

Every opening of an order (its page, its API resource), a printed document, an
evidence file or a report download is one line; list rows are not. A line of a
classified record names the marking it was protected by, so a security officer
can find every opening of classified information from the log alone. Only
auditors and security officers read the log, on its page, through the API and
as a CSV export (:func:`export_csv`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import select

from acsa.domain.errors import N_
from acsa.domain.marking import is_unclassified
from acsa.domain.parties import Role
from acsa.services import auth
from acsa.services.need_to_know import log_target, marking_of
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser, NotPermitted
from acsa.store import tables as T

LOG_READERS = frozenset({Role.AUDITOR, Role.SECURITY_OFFICER})
EXPORT_ROWS_MAX = 100_000  # one export; narrow it by user for more
TARGET_LENGTH_MAX = 200


def _marked(uow: UnitOfWork, number: str) -> str:
    """``number``, with the marking it is protected by when it is classified."""
    row = uow.conn.execute(select(T.orders).where(T.orders.c.number == number)).first()
    if row is None:
        return number
    marking = marking_of(row)
    if is_unclassified(marking):
        return number
    return f"{number} [{marking.originator} {marking.level}]"


@use_case
def record_opening(uow: UnitOfWork, user: LocalUser, action: str, number: str | None,
                   detail: str, address: str) -> None:
    """One line: ``user`` opened ``detail`` (of order ``number``) from ``address``.

    ``action`` is ``order.read``, ``document.read``, ``evidence.read`` or
    ``report.export``.
    """
    target = " ".join(p for p in (_marked(uow, number) if number else "", detail) if p)
    auth.record_access(uow, user.id, action, target[:TARGET_LENGTH_MAX], address)


def record_export(node: Node, user: LocalUser, what: str, marking: str | None,
                  address: str) -> None:
    """One line for a report download ``what`` (``open-orders.csv``) carrying ``marking``.
    Written in a short transaction of its own after the report is built, so that building
    a large report never holds the database's write lock."""
    with UnitOfWork(node) as uow:
        record_opening(uow, user, "report.export", None,
                       what + (f" [{marking}]" if marking else ""), address)


def require_log_reader(actor: LocalUser) -> None:
    if not actor.roles & LOG_READERS:
        raise NotPermitted(
            N_("only an auditor or a security officer reads the access log"),
            field="user", role="auditor or security_officer",
        )


def export_csv(uow: UnitOfWork, actor: LocalUser, *, user_id: str | None = None
               ) -> Iterator[str]:
    """The access log, oldest first, as CSV lines (a header first)."""
    require_log_reader(actor)
    a = T.access_log.c
    query = select(T.access_log).order_by(a.id).limit(EXPORT_ROWS_MAX)
    if user_id:
        query = query.where(a.user_id == user_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["id", "at", "user", "action", "target", "address"])
    yield _take(buffer)
    for r in uow.conn.execute(query):
        target = log_target(uow, actor, r.target)
        writer.writerow([r.id, r.at, *(_cell(v) for v in (r.user_id, r.action, target,
                                                          r.address))])
        yield _take(buffer)


def _cell(text: str) -> str:
    """Text a spreadsheet will not run: a leading ``= + - @`` is quoted with ``'``."""
    return "'" + text if text.startswith(("=", "+", "-", "@")) else text


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text

"""An officer's worklist: the orders on which it is their turn, per task.

A task is theirs when it is their nation's turn on the order (the projection's
``order_tasks``, from :mod:`acsa.domain.worklist`) and one of their roles may do
it on that side. Each count is the number of orders the list
``/orders?todo=TASK`` shows the same user — both read :func:`task_condition` —
and counts only orders the user may read. A task of
:data:`~acsa.domain.worklist.AFTER_DUE_DATE` (converting to cash what is owed in
kind) is the user's only from the day after its date, in the user's own "today".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, func, or_, select

from acsa.domain.errors import N_, InvalidValue
from acsa.domain.parties import Side
from acsa.domain.worklist import AFTER_DUE_DATE, TASKS, roles_for
from acsa.services import need_to_know
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser, today_of
from acsa.store import tables as T


@dataclass(frozen=True)
class Task:
    key: str  # one of domain.worklist.TASKS
    count: int  # orders on which it is the user's turn
    overdue: int  # of them, past the agreed date (an invoice's due date, a return's …)


def sides_for(user: LocalUser, key: str) -> list[Side]:
    """The sides of an order on which one of ``user``'s roles may do task ``key``."""
    return [side for side in Side if user.roles & roles_for(key, side)]


def task_condition(user: LocalUser, key: str, *, today: date, overdue_on: Any = None,
                   partner: bool = False) -> Any:
    """The orders on which it is ``user``'s turn to do ``key`` on ``today``, as a condition
    on ``orders`` (past ``overdue_on``, when given) — or, with ``partner``, the orders of
    ``user``'s nation on which it is the partner's turn."""
    if key not in TASKS:
        raise InvalidValue(N_("'%(task)s' is not a task (%(allowed)s)"), field="todo",
                           task=key[:40], allowed=TASKS)
    o, t = T.orders.c, T.order_tasks.c
    if partner:
        return and_(or_(o.requester == user.party, o.supplier == user.party), exists().where(
            t.order_number == o.number, t.task == key, t.party != user.party))
    ours = [o.requester == user.party if side is Side.REQUESTER else o.supplier == user.party
            for side in sides_for(user, key)]
    if not ours:
        return o.number.is_(None)  # no role of theirs does it: nothing
    turn = [t.order_number == o.number, t.task == key, t.party == user.party]
    if key in AFTER_DUE_DATE:
        turn.append(t.due_on < today)
    if overdue_on is not None:
        turn.append(t.due_on < overdue_on)
    return and_(or_(*ours), exists().where(*turn))


def count(uow: UnitOfWork, user: LocalUser, condition: Any) -> int:
    """How many orders ``user`` may read meet ``condition``."""
    return int(uow.conn.execute(select(func.count()).select_from(T.orders).where(
        condition, need_to_know.readable(uow, user))).scalar_one())


def worklist(uow: UnitOfWork, user: LocalUser) -> list[Task]:
    """Every task one of ``user``'s roles may do, with how many orders wait for it."""
    today = today_of(uow, user)  # overdue as the list it opens counts it
    return [Task(key, count(uow, user, task_condition(user, key, today=today)),
                 count(uow, user, task_condition(user, key, today=today, overdue_on=today)))
            for key in TASKS if sides_for(user, key)]


def awaiting_partner(uow: UnitOfWork, user: LocalUser, key: str) -> int:
    """How many orders of ``user``'s nation they may read wait for the partner to do ``key``."""
    return count(uow, user, task_condition(user, key, today=today_of(uow, user), partner=True))

"""Balances and aging from the totals kept per reader class equal the same reports summed
over every posting and due item, for every reader (need to know included), on both
engines; and the kept totals equal what a rebuild derives (``acsa verify``).

The set is varied: a settled cash order, an open order in PHP with an uninvoiced delivery
(owed by the requester, aged in the supplier's zone), an order PHL classifies SECRET, and
an unclassified order that a delivery marked 秘 moves into another class after its
postings were written.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from acsa.devtools.world import as_official, user_id
from acsa.domain.parties import Role
from acsa.services import need_to_know, orders, reports, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.services.verify import verify_node
from acsa.store import tables as T
from clearing import clear

from .conftest import open_php_order
from .lifecycle import classified_order, run_cash_lifecycle, terms

D = date


def posted_balances(uow: UnitOfWork, user: LocalUser) -> dict[tuple[str, str, str], dict[str,
                                                                                         int]]:
    """The balances as summed over every posting of the orders ``user`` may read."""
    p = T.postings.c
    out: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for side, sign in ((p.debit, 1), (p.credit, -1)):
        for r in uow.conn.execute(
            select(p.debtor, p.creditor, p.currency, side.label("account"),
                   func.sum(p.amount_minor).label("minor"))
            .where(need_to_know.readable(uow, user, p.order_number))
            .group_by(p.debtor, p.creditor, p.currency, side)
        ):
            out[(r.debtor, r.creditor, r.currency)][r.account] += sign * int(r.minor or 0)
    return {k: {a: v for a, v in accounts.items() if v} for k, accounts in out.items()
            if any(accounts.values())}


def kept_balances(uow: UnitOfWork, user: LocalUser) -> dict[tuple[str, str, str], dict[str,
                                                                                       int]]:
    return {(r.debtor, r.creditor, r.currency): {a: v for a, v in r.accounts.items() if v}
            for r in reports.balances(uow, user)}


def build_the_set(pair: Any) -> dict[str, str]:
    settled = run_cash_lifecycle(pair).number
    php = open_php_order(pair)
    secret = classified_order(pair, "SECRET")
    pair.set_day(D(2026, 3, 10))
    moved = as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                        terms()).envelope.subject
    pair.carry(pair.phl, pair.jpn)
    as_official(pair.jpn, Role.APPROVING_OFFICIAL, orders.accept, moved,
                supplying_unit="JMSDF-ESF1")
    as_official(pair.jpn, Role.SUPPLY_OFFICER, orders.deliver, moved, [(1, "100")])
    clear(pair.jpn, Role.SUPPLY_OFFICER, "極秘")
    pair.set_day(D(2026, 3, 20))
    as_official(pair.jpn, Role.SUPPLY_OFFICER, orders.deliver, moved, [(2, "50")],
                marking={"level": "秘"})
    pair.carry(pair.jpn, pair.phl)
    return {"settled": settled, "php": php, "secret": secret, "moved": moved}


def readers(node: Node) -> list[LocalUser]:
    """A finance officer cleared for everything, one not cleared, and an auditor (agreement
    wide) cleared at the lowest level."""
    high, low = ("極秘", "秘") if node.party == "JPN" else ("SECRET", "CONFIDENTIAL")
    clear(node, Role.FINANCE_OFFICER, high)
    clear(node, Role.AUDITOR, low, activities=())
    cleared = [user_id(node.party, r) for r in (Role.FINANCE_OFFICER, Role.AUDITOR)]
    clear(node, Role.SUPPLY_OFFICER if node.party == "JPN" else Role.RECEIVING_OFFICIAL, None)
    plain = user_id(node.party, Role.SUPPLY_OFFICER if node.party == "JPN"
                    else Role.RECEIVING_OFFICIAL)
    with UnitOfWork(node, write=False) as uow:
        return [users.get_user(uow, who) for who in (*cleared, plain)]


INSTANTS = [datetime(2026, 2, 20, 3, tzinfo=UTC), datetime(2026, 3, 31, 15, 30, tzinfo=UTC),
            datetime(2026, 4, 30, 23, tzinfo=UTC), datetime(2026, 6, 1, 16, tzinfo=UTC),
            datetime(2027, 1, 15, 12, tzinfo=UTC)]


def test_kept_totals_equal_the_sums_over_every_row_for_every_reader(pair):
    numbers = build_the_set(pair)
    for node in (pair.jpn, pair.phl):
        seen = set()
        for user in readers(node):
            with UnitOfWork(node, write=False) as uow:
                assert kept_balances(uow, user) == posted_balances(uow, user), user.id
                for instant in INSTANTS:
                    def clock(at: datetime = instant) -> datetime:
                        return at
                    rows = reports.aging(uow, user, clock)
                    expected = reports.aging_summary(rows)
                    assert reports.aging_totals(uow, user, clock) == expected, (user.id,
                                                                                instant)
                    # The dashboard's counts of items due and overdue too.
                    items = Counter((r.debtor, r.creditor, r.amount.currency, r.bucket)
                                    for r in rows if r.amount is not None)
                    cells = reports.aging_cells(uow, user, clock)
                    assert {(c.debtor, c.creditor, c.currency, c.bucket): c.items
                            for c in cells} == dict(items), (user.id, instant)
                read = {n for n in numbers.values()
                        if n not in need_to_know.unreadable(uow, user)}
                seen.add(frozenset(read))
        # The readers differ: need to know is what the totals obey.
        assert len(seen) > 1, node.party
        with UnitOfWork(node) as uow:
            report = verify_node(uow)
        assert report.ok, report.findings


def test_the_totals_judge_need_to_know_without_loading_the_context(pair):
    """A reader's totals judge each classified class by its profile, read alone: neither
    the rosters nor the fold are loaded for a report of balances or aging."""
    build_the_set(pair)
    for user in readers(pair.jpn):
        with UnitOfWork(pair.jpn, write=False) as uow:
            pair.jpn.context_cache = None
            reports.balances(uow, user)
            reports.aging_totals(uow, user, uow.node.clock)
            assert uow._context is None, user.id


def test_a_moved_class_moves_its_totals(pair):
    numbers = build_the_set(pair)
    with UnitOfWork(pair.jpn, write=False) as uow:
        held = uow.conn.execute(select(T.orders.c.marking).where(
            T.orders.c.number == numbers["moved"])).scalar()
        classes = {r.marking for r in uow.conn.execute(select(T.class_balances))}
    assert held != "UNCLASSIFIED" and held in classes

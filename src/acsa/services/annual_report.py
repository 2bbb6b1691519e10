"""The annual report of one fiscal year, as one reader may read it.

Reads the accepted orders the reader may read (:mod:`acsa.services.need_to_know`) from the
projections — terms as ceilings count them, and the quantities acknowledged received — and
hands them to :mod:`acsa.domain.annual`, which places each in the reader's nation's fiscal
year by its acceptance date (:func:`acsa.domain.ceilings.fiscal_year_of`) and sums them. An
order the reader may not read is never read here, so no total includes or moves with it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from acsa.domain.annual import AnnualOrder, AnnualRow, annual_rows, counts_in
from acsa.domain.ceilings import CountedOrder, fiscal_year_of
from acsa.domain.errors import N_, ReportTooLarge
from acsa.domain.order import OrderLine, OrderTerms
from acsa.services import markings, need_to_know
from acsa.services.markings import MarkingInfo
from acsa.services.report_tables import REPORT_ROWS_MAX, fiscal_year_end
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser, today_of
from acsa.store import tables as T


@dataclass(frozen=True)
class AnnualReport:
    """Fiscal ``year`` of ``party`` (the reader's nation), from ``first`` to ``last``."""

    party: str
    year: int
    first: date
    last: date
    as_of: date  # the reader's today: quantities received are as recorded on it
    rows: list[AnnualRow]
    orders: tuple[str, ...]  # the orders counted
    marking: MarkingInfo | None  # the strongest of theirs; None when all are unclassified

    @property
    def label(self) -> str:
        return f"FY{self.year}"


def fiscal_year_bounds(uow: UnitOfWork, party: str, year: int) -> tuple[date, date]:
    """First and last day of ``party``'s fiscal ``year``, from an adopted profile."""
    first = fiscal_year_end(uow, party, year - 1) + timedelta(days=1)
    return first, fiscal_year_end(uow, party, year)


def _lines(uow: UnitOfWork, where: tuple[Any, ...]
           ) -> tuple[dict[str, list[OrderLine]], dict[str, dict[int, Decimal]]]:
    o, ln = T.orders.c, T.order_lines.c
    lines: dict[str, list[OrderLine]] = defaultdict(list)
    received: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for r in uow.conn.execute(select(T.order_lines).join(T.orders, o.number == ln.order_number)
                              .where(*where).order_by(ln.order_number, ln.no)):
        lines[r.order_number].append(OrderLine(r.no, r.category, r.description,
                                               Decimal(r.quantity), r.unit,
                                               Decimal(r.unit_price), r.nsn))
        received[r.order_number][r.no] = Decimal(r.received)
    return lines, received


def accepted_orders(uow: UnitOfWork, user: LocalUser, first: date, last: date
                    ) -> list[AnnualOrder]:
    """The orders ``user`` may read accepted from ``first`` to ``last``, each placed in the
    fiscal year of ``user``'s nation by the rule of ceilings, under its own profile."""
    o = T.orders.c
    where = (o.accepted_on.is_not(None), o.accepted_on >= first, o.accepted_on <= last,
             need_to_know.readable(uow, user))
    rows = uow.conn.execute(select(T.orders).where(*where).order_by(o.number)
                            .limit(REPORT_ROWS_MAX + 1)).all()
    if len(rows) > REPORT_ROWS_MAX:
        raise ReportTooLarge(
            N_("%(total)s %(what)s: more than %(limit)s in one report; narrow it (partner, "
               "currency, date)"),
            field="report", limit=REPORT_ROWS_MAX, total=len(rows), what="orders")
    lines, received = _lines(uow, where)
    out = []
    for r in rows:
        terms = OrderTerms(r.agreement, r.activity, r.activity_type, r.requester, r.supplier,
                           r.requesting_unit, r.method, r.currency, r.needed_by or date.min,
                           "", "", tuple(lines[r.number]))
        counted = CountedOrder(r.number, terms, r.accepted_on)
        party = uow.context.profile(r.profile).party(user.party)
        out.append(AnnualOrder(counted, fiscal_year_of(party, counted),
                               r.status == "cancelled", received[r.number]))
    return out


def annual_report(uow: UnitOfWork, user: LocalUser, year: int) -> AnnualReport:
    """Fiscal ``year`` of ``user``'s nation: what it acquired from and transferred to each
    partner, per category and method, over the orders ``user`` may read."""
    party = user.party
    first, last = fiscal_year_bounds(uow, party, year)
    orders = accepted_orders(uow, user, first, last)
    rows = annual_rows(orders, party, year)
    counted = tuple(sorted(o.counted.number for o in orders if counts_in(o, party, year)))
    return AnnualReport(party, year, first, last, today_of(uow, user), rows, counted,
                        markings.report_marking(uow, counted))

"""The year-end cut-off's Settled column is cumulative: everything settled to the cut-off.

Figures by hand, from tests/reports/lifecycle.py: PHL owes JPN 10,000 L of diesel at
JPY 152.5 and 2,000 L of water at JPY 0.75, i.e. 1,525,000 + 1,500 = JPY 1,526,500,
invoiced on 16 February 2026 and paid in full, confirmed on 12 March 2026 (Japan's fiscal
year 2025, which ends on 31 March 2026). Nothing more is settled in fiscal year 2026.
"""

from __future__ import annotations

from datetime import date

from acsa.reports.tables import build_table, to_csv
from acsa.services.unit_of_work import UnitOfWork

from .test_tables import read_csv, reader


def settled(world, **params):  # type: ignore[no-untyped-def]
    with UnitOfWork(world.pair.jpn, write=False) as uow:
        table = build_table(uow, reader(uow), "year-end", **params)
    header = to_csv(table).decode("utf-8-sig").splitlines()[0]
    rows = {(r["debtor"], r["currency"]): r for r in read_csv(to_csv(table, keys=True))}
    return header, rows[("PHL", "JPY")]


def test_settled_is_cumulative_through_the_year_end(world):
    header, before = settled(world, as_of=date(2026, 3, 11))  # paid, not yet confirmed
    assert "Settled to date" in header.split(",")
    assert (before["invoiced"], before["settled"]) == ("1526500", "0")
    _, fy2025 = settled(world, year=2025, party="JPN")  # to 31 March 2026
    assert (fy2025["invoiced"], fy2025["settled"], fy2025["outstanding"]) == (
        "0", "1526500", "0")
    # Fiscal year 2026 settles nothing more: its own movement is 0, and Settled to date
    # still carries the 1,526,500 settled the year before.
    _, fy2026 = settled(world, year=2026, party="JPN")  # to 31 March 2027
    assert (fy2026["as_of"], fy2026["settled"], fy2026["outstanding"]) == (
        "2027-03-31", "1526500", "0")

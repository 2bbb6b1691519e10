"""Markings on downloads: a CSV or XLSX report that includes a classified order has the
strongest marking of the orders it includes as its first and last row, in both parties'
schemes."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from acsa.devtools.world import as_official, user_id
from acsa.domain.parties import Role
from acsa.reports.tables import build_table, to_csv, to_xlsx
from acsa.services import orders, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from clearing import clear

from .lifecycle import classified_order, terms


def reader(node: Node, role: Role, clearance: str | None) -> Any:
    who = user_id(node.party, role)
    clear(node, who, clearance)
    with UnitOfWork(node, write=False) as uow:
        return users.get_user(uow, who)


def test_downloads_carry_the_strongest_marking_first_and_last(pair):
    number = classified_order(pair, "SECRET")
    as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms(),
                marking={"level": "CONFIDENTIAL"})
    cleared = reader(pair.phl, Role.FINANCE_OFFICER, "SECRET")
    with UnitOfWork(pair.phl, write=False) as uow:
        listed = build_table(uow, cleared, "open-orders")
        sums = build_table(uow, cleared, "balances")
    assert number in {r[0] for r in listed.rows}
    for table in (listed, sums):
        rows = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))
        assert rows[0] == rows[-1] == ["SECRET / 極秘"], table.kind
        assert rows[1][0] == "Order number" if table.kind == "open-orders" else rows[1]
        sheet = load_workbook(io.BytesIO(to_xlsx(table, "ja"))).worksheets[0]
        cells = [r for r in sheet.iter_rows(values_only=True)]
        assert cells[0][0] == cells[-1][0] == "SECRET / 極秘", table.kind
        assert len(cells) == len(table.rows) + 3  # marking, header, rows, marking
    # A reader who may read neither classified order gets no marking line.
    plain = reader(pair.phl, Role.FINANCE_OFFICER, None)
    with UnitOfWork(pair.phl, write=False) as uow:
        table = build_table(uow, plain, "open-orders")
    assert number not in {r[0] for r in table.rows}
    rows = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))
    assert rows[0][0] == "Order number" and len(rows) == len(table.rows) + 1


@pytest.mark.parametrize("locale", ["en", "ja"])
def test_the_phrase_of_a_missing_equivalent_follows_the_download_s_language(pair, locale):
    classified_order(pair, "RESTRICTED", accepted=False)
    cleared = reader(pair.jpn, Role.FINANCE_OFFICER, "秘")
    with UnitOfWork(pair.jpn, write=False) as uow:
        table = build_table(uow, cleared, "open-orders")
    first = to_csv(table, locale).decode("utf-8-sig").splitlines()[0]
    if locale == "en":
        assert first == "RESTRICTED / (no JPN equivalent: protect as 秘)"
    else:
        assert first.startswith("RESTRICTED / （JPN") and "equivalent" not in first

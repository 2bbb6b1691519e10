"""Ceiling use counted per country where it is shown: the dashboard, the ceilings report
(page and CSV) and the API each say that the USA's ceilings toward PHL count across both
agreements the node holds with PHL, and name them — in English and in Japanese. A ceiling
that cannot be counted for want of a Treasury rate says so rather than failing the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from acsa.cli import common
from acsa.devtools.world import as_official, carry
from acsa.domain.parties import Role
from acsa.services import admin, orders
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from api.conftest import bearer, client_for, enrol, official, token_for
from integration.test_ceilings_per_country import (
    MLSA,
    SECOND,
    as_2017_1,
    order,
    two_agreements,
)
from integration.test_cli_users import Shell
from ui.test_order_pages import browser_login

pytestmark = pytest.mark.postgres


def test_ceiling_use_names_the_agreements_it_counts(
        make_node: Callable[[str], Node], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    usa, phl, bundles = two_agreements(make_node, tmp_path)
    big = as_official(phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                      order(SECOND, "PHL", "USA", "USD", [("pol", "1", "1250000.00")])
                      ).envelope.subject
    carry(phl, usa, bundles)
    as_official(usa, Role.APPROVING_OFFICIAL, orders.accept, big,
                supplying_unit="USN-7FLT-LOG")
    api = client_for(usa)
    headers = bearer(token_for(usa, official(usa, Role.APPROVING_OFFICIAL)))
    [row] = [r for r in api.get("/api/v1/reports/ceilings?on=2026-02-03",
                                headers=headers).json()["data"]
             if r["agreement"] == MLSA and r["direction"] == "credits"]
    assert (row["scope"], row["agreements"], row["used"]) == (
        "country", [MLSA, SECOND], "1250000.00")

    monkeypatch.setattr(common, "open_node", lambda settings, **kw: usa)
    shell = Shell(usa)
    table = shell("report", "ceilings", "--on", "2026-02-03", "--as", "usa.approving")
    assert "USA credits toward PHL      FY2026  1,250,000.00 USD  60,000,000.00 USD" in table
    assert "PHL, across USA-PHL-MLSA-2, USA-PHL-MLSA" in table
    rows = shell.json("report", "ceilings", "--on", "2026-02-03", "--as", "usa.approving")
    assert {(r["agreement"], r["direction"], tuple(r["agreements"])) for r in rows} >= {
        (MLSA, "credits", (MLSA, SECOND)), (SECOND, "credits", (SECOND, MLSA))}

    browser = client_for(usa)
    browser_login(browser, usa, enrol(usa, official(usa, Role.APPROVING_OFFICIAL)))
    board = browser.get("/").text
    assert "Every agreement with PHL: USA-PHL-MLSA, USA-PHL-MLSA-2" in board
    assert "Every agreement with PHL: USA-PHL-MLSA-2, USA-PHL-MLSA" in board
    assert "$1,250,000.00" in board
    report = browser.get("/reports/ceilings?on=2026-02-03").text
    assert "Every agreement with the partner" in report and "USA-PHL-MLSA USA-PHL-MLSA-2" in report
    csv = browser.get("/reports/ceilings.csv?on=2026-02-03").content.decode("utf-8-sig")
    assert "Agreements counted" in csv.splitlines()[0]

    with UnitOfWork(usa) as uow:
        uow.conn.execute(T.users.update().where(T.users.c.id == "usa.approving")
                         .values(locale="ja"))
        uow.commit()
    board = browser.get("/").text
    assert "PHL とのすべての協定：USA-PHL-MLSA、USA-PHL-MLSA-2" in board
    assert "債権（提供した支援）" in board
    start, end = board.index('<h2 id="ceil-h"'), board.index('<section aria-labelledby="charts')
    section = board[start:end]
    shown = re.sub(r"<[^>]+>", " ", section).replace(SECOND, "").replace(MLSA, "")
    english = set(re.findall(r"[A-Za-z]{4,}", shown))  # agreement ids are codes, not words
    assert english == set(), english


def test_a_ceiling_without_its_official_rate_says_not_counted(
        make_node: Callable[[str], Node], tmp_path: Path) -> None:
    """An order in pesos accepted under MLSA 2017.1 at the officer's own rate; once 2017.2
    wants Treasury rates for ceilings, the USA's liabilities use reads "not counted" with the
    reason — on the report, the dashboard and the API — until a Treasury rate is recorded."""
    usa, phl, bundles = two_agreements(make_node, tmp_path, mlsa=as_2017_1(tmp_path))
    as_official(usa, Role.FINANCE_OFFICER, admin.record_rate, agreement=MLSA,
                on=date(2026, 2, 1), base="USD", quote="PHP", rate="56.00")
    food = as_official(usa, Role.ORDERING_OFFICIAL, orders.submit_order,
                       order(MLSA, "USA", "PHL", "PHP", [("food", "1000", "560.00")])
                       ).envelope.subject
    carry(usa, phl, bundles)
    as_official(phl, Role.APPROVING_OFFICIAL, orders.accept, food, supplying_unit="AFP-NFL")
    carry(phl, usa, bundles)
    for node in (usa, phl):
        as_official(node, Role.ADMINISTRATOR, admin.adopt_agreement, MLSA)
    carry(usa, phl, bundles)
    carry(phl, usa, bundles)

    api = client_for(usa)
    headers = bearer(token_for(usa, official(usa, Role.APPROVING_OFFICIAL)))

    def liabilities() -> dict[str, Any]:
        [row] = [r for r in api.get("/api/v1/reports/ceilings?on=2026-02-03",
                                    headers=headers).json()["data"]
                 if r["agreement"] == MLSA and r["direction"] == "liabilities"]
        return row  # type: ignore[no-any-return]

    reason = ("no official PHP/USD rate from treasury-reporting on or before 2026-02-03: "
              "annual ceilings are counted at official rates only, never at a rate an "
              "officer worked out")
    assert liabilities()["missing_rate"] == reason
    browser = client_for(usa)
    browser_login(browser, usa, enrol(usa, official(usa, Role.APPROVING_OFFICIAL)))
    assert "Not counted: No official PHP/USD rate from treasury-reporting" in browser.get(
        "/").text
    report = browser.get("/reports/ceilings?on=2026-02-03").text
    assert "No official PHP/USD rate from treasury-reporting on or before Feb 3, 2026" in report

    as_official(usa, Role.FINANCE_OFFICER, admin.record_rate, agreement=MLSA,
                on=date(2026, 2, 1), base="USD", quote="PHP", rate="56.25",
                source="treasury-reporting")
    counted = liabilities()
    assert (counted["missing_rate"], counted["used"]) == (None, "9955.56")

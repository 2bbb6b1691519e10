"""Ceiling use counted per country where it is shown: the dashboard, the ceilings report
(page and CSV) and the API each say that the USA's ceilings toward PHL count across both
agreements the node holds with PHL, and name them — in English and in Japanese. A ceiling
that cannot be counted for want of a Treasury rate says so rather than failing the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from acsa.devtools.world import as_official, carry
from acsa.domain.parties import Role
from acsa.services import orders
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from api.conftest import bearer, client_for, enrol, official, token_for
from integration.test_ceilings_per_country import MLSA, SECOND, order, two_agreements
from ui.test_order_pages import browser_login

pytestmark = pytest.mark.postgres


def test_ceiling_use_names_the_agreements_it_counts(
        make_node: Callable[[str], Node], tmp_path: Path) -> None:
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

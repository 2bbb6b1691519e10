"""The journal for `ledger` gives the same balances as the node's own report."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest

from acsa.devtools.exercise import Exercise
from acsa.devtools.world import as_official, in_force_profile, user_id
from acsa.domain.money import Money
from acsa.domain.parties import Role
from acsa.services import exports, orders, reports, settlement, users
from acsa.services.unit_of_work import UnitOfWork

D = date


def ledger_binary() -> str:
    found = shutil.which("ledger")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but Debian's `ledger` is not installed (make installs it)")
        pytest.skip("Debian's `ledger` is not installed")
    return found


def test_ledger_balance_agrees_with_report_balances(pair, tmp_path):
    ledger = ledger_binary()
    x = Exercise(in_force_profile("JPN-PHL-ACSA"))
    pair.set_day(D(2026, 2, 3))
    number = as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                         x.terms("PHL", "JPN", [("pol", "Diesel", "9800", "L", "152.5"),
                                                ("food", "Rations", "3", "EA", "100.5")])
                         ).envelope.subject
    pair.carry(pair.phl, pair.jpn)
    as_official(pair.jpn, Role.APPROVING_OFFICIAL, orders.accept, number,
                supplying_unit="JMSDF-ESF1")
    as_official(pair.jpn, Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "9800"), (2, "3")])
    pair.carry(pair.jpn, pair.phl)
    as_official(pair.phl, Role.RECEIVING_OFFICIAL, orders.receive, number, "1")
    pair.carry(pair.phl, pair.jpn)
    as_official(pair.jpn, Role.FINANCE_OFFICER, settlement.issue_invoice, number)
    with UnitOfWork(pair.jpn, write=False) as uow:
        finance = users.get_user(uow, user_id("JPN", Role.FINANCE_OFFICER))
        journal = "".join(exports.ledger_journal(uow, finance))
        rows = reports.balances(uow, finance)
    path = tmp_path / "journal.ledger"
    path.write_text(journal)
    out = subprocess.run([ledger, "-f", str(path), "balance", "--flat", "--no-total",
                          "--balance-format", "%(account)\t%(quantity(display_amount))\n"],
                         capture_output=True, text=True, check=True).stdout
    from_ledger = {}
    for line in out.splitlines():
        account, amount = line.split("\t")
        from_ledger[account] = Decimal(amount.replace(",", ""))
    expected = {}
    for r in rows:
        for kind, minor in r.accounts.items():
            if minor:
                expected[f"{r.debtor}-{r.creditor}:{kind}"] = Money(r.currency, minor).as_decimal()
    assert from_ledger == expected
    assert expected["PHL-JPN:invoiced"] == Decimal("1494802")  # 1,494,500 + 302 (3 × 100.5)

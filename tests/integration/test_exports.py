"""The journals for `ledger` and for Beancount give the same balances as the node's own
report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
from beancount import loader
from beancount.core import realization
from click.testing import CliRunner

import acsa.cli
from acsa.cli import common
from acsa.devtools import worked_example
from acsa.devtools.exercise import Exercise
from acsa.devtools.world import as_official, in_force_profile, user_id
from acsa.domain.money import Money
from acsa.domain.parties import Role
from acsa.domain.postings import AccountKind
from acsa.services import exports, orders, reports, settlement, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from needs import tool_or_skip

D = date
acsa.cli._register()
COMMAND = typer.main.get_command(acsa.cli.app)


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


# -- both journals against `acsa report balances`, on the worked example's ledger ------------

@pytest.fixture
def worked(pair: Any, monkeypatch: pytest.MonkeyPatch) -> worked_example.Example:
    """The worked example's orders on the pair's nodes — cash and an emergency (JPY),
    replacement in kind converted to cash (JPY), an equal-value exchange valued in PHP of a
    JPY order against a PHP one — and rations Japan still owes in kind (PHP)."""
    calendar = worked_example.Calendar()
    for node in (pair.jpn, pair.phl):
        node.clock = calendar
    x = worked_example.Example(pair.jpn, pair.phl, calendar, pair.bundles, lambda _: None)
    worked_example.cash_path(x)
    worked_example.rik_path(x)
    worked_example.eve_path(x)
    worked_example.emergency_path(x)
    d = date
    rations = x.do(d(2026, 11, 2), "JPN", Role.ORDERING_OFFICIAL, "asks for 40 rations",
                   orders.submit_order, worked_example.terms(
                       "JPN", "PHL", "JGSDF-1HB", [("food", "Ration, 1 day", "40", "EA",
                                                    "350.50")], "rik")).envelope.subject
    x.sync()
    x.do(d(2026, 11, 3), "PHL", Role.APPROVING_OFFICIAL, "accepts", orders.accept, rations,
         supplying_unit="AFP-1ID")
    x.do(d(2026, 11, 5), "PHL", Role.SUPPLY_OFFICER, "delivers 40", orders.deliver, rations,
         [(1, "40")])
    x.sync()
    x.do(d(2026, 11, 5), "JPN", Role.RECEIVING_OFFICIAL, "receives 40", orders.receive,
         rations, "1")
    x.sync()
    return x


def run_acsa(node: Node, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """``acsa ARGS`` typed by the node's finance officer, in-process on the test's node."""
    monkeypatch.setattr(common, "open_node", lambda settings, **kw: node)
    result = CliRunner().invoke(COMMAND, list(args), env={
        "ACSA_USER": user_id(node.party, Role.FINANCE_OFFICER), "ACSA_DATABASE_URL": None})
    assert result.exit_code == 0, result.output
    return result.stdout


def reported(node: Node, monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, ...], Decimal]:
    """``acsa report balances --json``: each (debtor, creditor, kind, currency) not at zero."""
    out = {}
    for row in json.loads(run_acsa(node, monkeypatch, "report", "balances", "--json")):
        for kind in (k.value for k in AccountKind if k is not AccountKind.CONTROL):
            if Decimal(row[kind]):
                out[(row["debtor"], row["creditor"], kind, row["currency"])] = Decimal(row[kind])
    return out


def ledger_balances(journal: Path, currencies: set[str]) -> dict[tuple[str, ...], Decimal]:
    """``ledger balance`` of each account, one currency at a time (a balance of several
    commodities has no one quantity)."""
    out = {}
    for currency in sorted(currencies):
        text = subprocess.run(
            [tool_or_skip("ledger", "ledger"), "-f", str(journal), "balance", "--flat",
             "--no-total", "--limit", f'commodity == "{currency}"',
             "--balance-format", "%(account)\t%(quantity(display_amount))\n"],
            capture_output=True, text=True, check=True).stdout
        for line in text.splitlines():
            account, amount = line.split("\t")
            pair, kind = account.split(":")
            debtor, creditor = pair.split("-")
            out[(debtor, creditor, kind, currency)] = Decimal(amount.replace(",", ""))
    return out


def beancount_balances(journal: str) -> dict[tuple[str, ...], Decimal]:
    """Each account's balance as Beancount realizes the journal, which it loads cleanly."""
    entries, problems, _ = loader.load_string(journal)
    assert problems == []
    out = {}
    for account in realization.iter_children(realization.realize(entries)):
        for position in account.balance:
            _, pair, kind = account.account.split(":")
            debtor, creditor = pair.split("-")
            snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in kind).lstrip("_")
            assert exports.beancount_account(debtor, creditor, snake) == account.account
            out[(debtor, creditor, snake, position.units.currency)] = position.units.number
    return out


def without_control(balances: dict[tuple[str, ...], Decimal]) -> dict[tuple[str, ...], Decimal]:
    # The control account is the other side of every commitment and release: the report
    # leaves it out, and in a balanced journal it is what the others leave.
    return {k: v for k, v in balances.items() if k[2] != AccountKind.CONTROL and v}


@pytest.mark.parametrize("party", ["JPN", "PHL"])
def test_ledger_and_beancount_balances_agree_with_acsa_report_balances(
        worked: worked_example.Example, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        party: str) -> None:
    node = worked.node(party)
    expected = reported(node, monkeypatch)
    assert {k[3] for k in expected} == {"JPY", "PHP"}
    journal = tmp_path / "journal.ledger"
    journal.write_text(run_acsa(node, monkeypatch, "export", "--format", "ledger"))
    assert without_control(ledger_balances(journal, {k[3] for k in expected})) == expected
    beancount = run_acsa(node, monkeypatch, "export", "--format", "beancount")
    assert without_control(beancount_balances(beancount)) == expected
    # Settled in JPY: 1,494,000 paid for the diesel, 300 rations returned (× 1,200) and 200
    # converted and paid (270,000), 12 truck trips exchanged (× 50,000); in PHP: 10 trips
    # (× 25,000.00), exchanged and the residual paid. The emergency water (8,000 L × JPY
    # 30) is delivered and not yet received; the 40 rations (× PHP 350.50) are owed in kind.
    assert expected == {
        ("PHL", "JPN", "settled", "JPY"): Decimal("2724000"),
        ("PHL", "JPN", "written_off", "JPY"): Decimal("500"),
        ("PHL", "JPN", "commitment", "JPY"): Decimal("240000"),
        ("JPN", "PHL", "settled", "PHP"): Decimal("250000.00"),
        ("JPN", "PHL", "in_kind", "PHP"): Decimal("14020.00"),
    }

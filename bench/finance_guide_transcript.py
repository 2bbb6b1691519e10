"""The finance officer's guide, by the command line: every settlement path, with real output.

Two real nodes, JPN and PHL, are created, staffed and introduced as the
worked example does, on a simulated calendar from February 2026 to March
2027. The other officials' steps (ordering, acceptance, delivery, receipt)
are taken through the services and named in one line each; every finance
step is the real ``acsa`` command, typed as a finance officer would type it,
and printed with what it answered:

- cash: invoice, pay, confirm what arrived, write off the bank charges;
- replacement in kind: a return, the supplier's acceptance, conversion of the
  rest to cash after the deadline, its invoice and payment;
- equal value exchange: link, sign, the residual invoice and its payment;
- an offset statement netting an invoice each way;
- the worklist (``acsa todo``, with the payments awaiting confirmation), the
  payments list, the statement of account, balances, aging (now and as of a
  past date), obligations in kind, the year-end cut-off report and the export
  for ``ledger``.

Events travel between the nodes as signed bundle files (what ``acsa sync``
does over the network).

    .venv/bin/python -m bench.finance_guide_transcript > docs/finance-guide-transcript.txt
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import typer
from click.testing import CliRunner

import acsa.cli
from acsa.bootstrap import init_node
from acsa.config import Settings
from acsa.devtools.worked_example import AGREEMENT, Calendar, terms
from acsa.devtools.world import as_official, carry, introduce, staff_node, user_id
from acsa.domain.parties import Role
from acsa.services import admin, orders, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork

ZONES = {"JPN": "Asia/Tokyo", "PHL": "Asia/Manila"}


def out(line: str = "") -> None:
    print(line, flush=True)


class Story:
    """Two nodes on one calendar, and the real CLI pointed at either."""

    def __init__(self, base: Path, *, in_force: bool = True) -> None:
        self.base = base
        self.calendar = Calendar()
        self.nodes: dict[str, Node] = {}
        for party in ("JPN", "PHL"):
            node = init_node(Settings(data_dir=base / party.lower()), party)
            node.clock = self.calendar
            staff_node(node, [AGREEMENT], time_zone=ZONES[party], in_force=in_force)
            self.nodes[party] = node
        introduce(self.nodes["JPN"], self.nodes["PHL"])
        self.sync(quiet=True)
        self.current = self.nodes["JPN"]
        acsa.cli._register()
        self.command = typer.main.get_command(acsa.cli.app)
        from acsa.cli import common
        original = common.node
        for name, module in list(sys.modules.items()):
            if name.startswith("acsa.cli.") and getattr(module, "node", None) is original:
                module.node = lambda: self.current  # type: ignore[attr-defined]

    def today(self, day: date) -> None:
        self.calendar.to(day)
        out()
        out(f"=== {day:%A %d %B %Y}")

    def sync(self, quiet: bool = False) -> None:
        a = carry(self.nodes["PHL"], self.nodes["JPN"], self.base / "bundles")
        b = carry(self.nodes["JPN"], self.nodes["PHL"], self.base / "bundles")
        if not quiet:
            out(f"   (sync: PHL→JPN {a.applied} event(s), JPN→PHL {b.applied} event(s))")

    def step(self, party: str, role: Role, what: str, use_case: Callable[..., Any],
             *args: Any, **kw: Any) -> Any:
        """Another official's step, taken through the services and named in one line."""
        event = as_official(self.nodes[party], role, use_case, *args,
                            on=self.calendar.now.date(), **kw)
        out(f"   [{user_id(party, role)}] {what}")
        return event

    def acsa(self, party: str, *args: str, show: Callable[[str], str] | None = None) -> str:
        """Run ``acsa ARGS`` on ``party``'s node and print it as typed, with its answer."""
        self.current = self.nodes[party]
        out()
        out(f"{party}$ acsa " + " ".join(shlex.quote(a) for a in args))
        result = CliRunner().invoke(self.command, list(args),
                                    env={"COLUMNS": "100", "ACSA_USER": ""})
        text = (result.stdout or "")
        shown = show(text) if show else text
        for line in shown.rstrip("\n").splitlines():
            out("  " + line if line else "")
        err = result.stderr if result.stderr_bytes else ""
        for line in err.rstrip("\n").splitlines():
            out("  ! " + line)
        if result.exit_code != 0:
            out(f"  (exit {result.exit_code})")
            if result.exception and not isinstance(result.exception, SystemExit):
                out(f"  ! {type(result.exception).__name__}: {result.exception}")
        return text

    def order(self, requester: str, supplier: str, unit: str, supply_unit: str,
              line: tuple[str, ...], method: str) -> str:
        event = self.step(requester, Role.ORDERING_OFFICIAL,
                          f"submits an order ({method}): {line[2]} {line[3]} {line[1]} at "
                          f"{line[4]}", orders.submit_order,
                          terms(requester, supplier, unit, [line], method))
        number = str(event.envelope.subject)
        out(f"      numbered {number}")
        self.sync(quiet=True)
        self.step(supplier, Role.APPROVING_OFFICIAL, f"accepts {number}", orders.accept, number,
                  supplying_unit=supply_unit)
        return number

    def deliver_and_receive(self, number: str, requester: str, supplier: str,
                            quantity: str) -> None:
        self.step(supplier, Role.SUPPLY_OFFICER, f"delivers {quantity} on {number}",
                  orders.deliver, number, [(1, quantity)])
        self.sync(quiet=True)
        self.step(requester, Role.RECEIVING_OFFICIAL, f"acknowledges the delivery on {number}",
                  orders.receive, number, "1")
        self.sync()


def heading(text: str) -> None:
    out()
    out()
    out("#" * 100)
    out(f"# {text}")
    out("#" * 100)


def head_lines(n: int) -> Callable[[str], str]:
    return lambda text: "\n".join(text.splitlines()[:n]) + (
        f"\n… ({len(text.splitlines()) - n} more lines)" if len(text.splitlines()) > n else "")


def only_lines(start: str) -> Callable[[str], str]:
    """Of an order's human output, its first line and the lines starting ``start``."""
    def pick(text: str) -> str:
        lines = text.splitlines()
        return "\n".join([lines[0], "…", *(x for x in lines if x.strip().startswith(start))])
    return pick


def only(*keys: str) -> Callable[[str], str]:
    """Of ``--json`` output, only these keys (what ``| jq '{payments}'`` would keep)."""
    def pick(text: str) -> str:
        data = json.loads(text)
        return json.dumps({k: data.get(k) for k in keys}, indent=2, ensure_ascii=False)
    return pick


def setup(s: Story) -> None:
    day = date(2026, 2, 2)
    s.today(day)
    for party in ("JPN", "PHL"):
        with UnitOfWork(s.nodes[party]) as uow:
            boss = users.get_user(uow, user_id(party, Role.ADMINISTRATOR))
            admin.register_activity(uow, boss, agreement=AGREEMENT, activity_id="KAMANDAG-10",
                                    name="Exercise KAMANDAG 10", type="bilateral_training",
                                    starts_on=day, ends_on=date(2026, 3, 27))
    out("   [administrators] register Exercise KAMANDAG 10 on both nodes")
    s.step("JPN", Role.FINANCE_OFFICER, "records today's catalogue price for rations: "
           "JPY 1,200 (later JPY 1,350)", admin.set_catalogue_price, agreement=AGREEMENT,
           category="food", item="Combat ration, 1 day", unit="EA", unit_price="1200",
           valid_from=day)
    s.sync()


def operations(s: Story) -> dict[str, str]:
    """The other officials' work: six orders requested, accepted, delivered and received."""
    heading("THE ORDERS: requested, accepted, delivered and received by the other officials")
    n: dict[str, str] = {}
    s.today(date(2026, 2, 3))
    n["diesel"] = s.order("PHL", "JPN", "AFP-NFL", "JMSDF-ESF1",
                          ("pol", "Diesel fuel F-76", "10000", "L", "152.5"), "cash")
    n["rations"] = s.order("PHL", "JPN", "AFP-1ID", "JGSDF-1HB",
                           ("food", "Combat ration, 1 day", "500", "EA", "1200"), "rik")
    n["trucks"] = s.order("JPN", "PHL", "JGSDF-1HB", "AFP-1ID",
                          ("transportation", "Truck, 5 t, Subic–Clark", "10", "TRIP",
                           "25000.00"), "eve")
    n["jpn_trucks"] = s.order("PHL", "JPN", "AFP-TOG1", "JGSDF-1HB",
                              ("transportation", "Truck, 3½ t, Clark–Fort Magsaysay", "12",
                               "TRIP", "50000"), "eve")
    n["clinic"] = s.order("JPN", "PHL", "JGSDF-1HB", "AFP-1ID",
                          ("medical_services", "Field clinic consultations", "40", "EA",
                           "1500.00"), "cash")
    n["repair"] = s.order("PHL", "JPN", "AFP-TOG1", "JASDF-2AW",
                          ("repair_maintenance", "Torque wrench repair and check", "12", "EA",
                           "9000"), "cash")
    s.sync(quiet=True)
    s.today(date(2026, 2, 10))
    s.deliver_and_receive(n["diesel"], "PHL", "JPN", "9800")
    s.deliver_and_receive(n["rations"], "PHL", "JPN", "500")
    s.deliver_and_receive(n["trucks"], "JPN", "PHL", "10")
    s.deliver_and_receive(n["jpn_trucks"], "PHL", "JPN", "12")
    s.deliver_and_receive(n["clinic"], "JPN", "PHL", "40")
    s.deliver_and_receive(n["repair"], "PHL", "JPN", "12")
    return n


def cash(s: Story, number: str) -> None:
    heading("CASH: 9,800 L of diesel delivered to a Philippine patrol craft, JPY 152.5 a litre")
    s.today(date(2026, 2, 16))
    s.acsa("JPN", "todo", "--as", "jpn.finance")
    s.acsa("JPN", "order", "list", "--todo", "invoice", "--as", "jpn.finance")
    s.acsa("JPN", "order", "invoice", number, "--as", "jpn.finance")
    s.sync()
    s.today(date(2026, 3, 5))
    s.acsa("PHL", "todo", "--as", "phl.finance")
    s.acsa("PHL", "order", "list", "--todo", "pay", "--as", "phl.finance")
    s.acsa("PHL", "order", "pay", number, "--invoice", "INV/JPN/FY2025/00001",
           "--amount", "1,494,500", "--currency", "JPY", "--reference", "SWIFT PH-0305-01",
           "--as", "phl.finance")
    s.acsa("PHL", "order", "pay", number, "--amount", "1,494,500", "--currency", "PHP",
           "--reference", "SWIFT PH-0305-01", "--as", "phl.finance")
    s.sync()
    s.today(date(2026, 3, 6))
    s.acsa("JPN", "todo", "--as", "jpn.finance")
    s.acsa("JPN", "order", "payments", "--to-confirm", "--as", "jpn.finance")
    s.acsa("JPN", "order", "show", number, show=only_lines("payment "))
    s.acsa("JPN", "order", "confirm-payment", "PAY/PHL/00001", "--amount", "1,494,000",
           "--as", "jpn.finance")
    s.acsa("JPN", "order", "write-off", number, "--invoice", "1", "--amount", "500",
           "--reason", "bank charges", "--as", "jpn.finance")
    s.sync()
    s.acsa("JPN", "order", "show", number)


def eve(s: Story, trucks: str, jpn_trucks: str) -> None:
    heading("EQUAL VALUE EXCHANGE of services of one kind: 10 Philippine truck trips for Japan "
            "(PHP 250,000.00) against 12 Japanese truck trips for the Philippines (JPY 600,000)")
    s.today(date(2026, 3, 9))
    s.acsa("JPN", "rate", "add", "--agreement", "JPN-PHL-ACSA", "--base", "JPY", "--quote",
           "PHP", "--rate", "0.38", "--source", "mof-reporting", "--as", "jpn.finance")
    s.acsa("JPN", "rate", "list", "--agreement", "JPN-PHL-ACSA")
    s.acsa("JPN", "order", "link-exchange", trucks, jpn_trucks, "--currency", "PHP",
           "--rate", "JPY/PHP=0.38", "--as", "jpn.finance")
    s.sync()
    s.today(date(2026, 3, 10))
    s.acsa("PHL", "todo", "--as", "phl.finance")
    s.acsa("PHL", "order", "list", "--todo", "sign_exchange", "--as", "phl.finance")
    s.acsa("PHL", "order", "sign-exchange", "EVE/JPN/00001", "--as", "phl.finance")
    s.acsa("PHL", "order", "invoice", trucks, "--kind", "residual", "--as", "phl.finance")
    s.sync()
    s.today(date(2026, 3, 20))
    s.acsa("JPN", "order", "pay", trucks, "--invoice", "INV/PHL/FY2026/00001", "--amount",
           "22,000.00", "--reference", "JPN-MOF-2026-0320", "--as", "jpn.finance")
    s.sync()
    s.today(date(2026, 3, 23))
    s.acsa("PHL", "order", "confirm-payment", "PAY/JPN/00001", "--as", "phl.finance")
    s.sync()
    s.acsa("PHL", "order", "list", "--counterpart", "JPN", "--as", "phl.finance")


def offset(s: Story, clinic: str, repair: str) -> None:
    heading("OFFSET: PHL's invoice for clinic consultations (PHP 60,000.00) against JPN's for "
            "torque wrench repair (JPY 108,000), netted in PHP")
    s.today(date(2026, 3, 24))
    s.acsa("PHL", "order", "invoice", clinic, "--as", "phl.finance")
    s.acsa("JPN", "order", "invoice", repair, "--as", "jpn.finance")
    s.sync()
    s.today(date(2026, 3, 31))
    s.acsa("PHL", "statement", "offset", "--invoice", f"{clinic}:1", "--invoice",
           f"{repair}:1", "--currency", "PHP", "--rate", "JPY/PHP=0.38",
           "--as", "phl.finance")
    s.sync()
    s.today(date(2026, 4, 2))
    s.acsa("JPN", "todo", "--as", "jpn.finance")
    s.acsa("JPN", "order", "list", "--todo", "sign_offset", "--as", "jpn.finance")
    s.acsa("JPN", "statement", "list", "--as", "jpn.finance")
    s.acsa("JPN", "statement", "sign", "OFS/PHL/00001", "--as", "jpn.finance")
    s.sync()
    s.acsa("JPN", "statement", "list", "--as", "jpn.finance")


def rik_return(s: Story, number: str) -> None:
    heading("REPLACEMENT IN KIND: 500 rations delivered to a Philippine battalion (JPY 1,200 "
            "each); 300 returned")
    s.today(date(2026, 6, 1))
    s.acsa("PHL", "todo", "--as", "phl.supply")
    s.acsa("PHL", "report", "obligations", "--as", "phl.finance")
    s.acsa("PHL", "order", "return-in-kind", number, "--line", "1=300",
           "--description", "Combat ration, 1 day; same type, lot of 2026-05", "--as",
           "phl.supply")
    s.sync()
    s.today(date(2026, 6, 2))
    s.acsa("JPN", "todo", "--as", "jpn.receiving")
    s.acsa("JPN", "order", "list", "--todo", "accept_return", "--as", "jpn.receiving")
    s.acsa("JPN", "order", "accept-return", number, "--as", "jpn.receiving")
    s.sync()


def reports_midyear(s: Story) -> None:
    heading("READING THE ACCOUNTS in mid-year: balances, aging, the statement of account")
    s.today(date(2026, 6, 30))
    for party in ("JPN", "PHL"):
        s.acsa(party, "report", "balances", "--as", f"{party.lower()}.finance")
    s.acsa("JPN", "report", "aging", "--as", "jpn.finance")
    s.acsa("JPN", "report", "aging", "--detail", "--as", "jpn.finance")
    s.acsa("JPN", "report", "aging", "--as-of", "2026-04-15", "--as", "jpn.finance")
    for kind, extra in (("statement", ["--partner", "PHL", "--currency", "JPY"]),
                        ("statement", ["--partner", "PHL", "--currency", "PHP"]),
                        ("aging", ["--as-of", "2026-04-15"])):
        name = s.base / f"{kind}-{len(extra)}.csv"
        s.acsa("JPN", "report", "export", kind, "--format", "csv", "--out", str(name.name),
               *extra, "--as", "jpn.finance", show=lambda t: t.replace(str(s.base) + "/", ""))
        if (Path.cwd() / name.name).exists():
            (Path.cwd() / name.name).replace(name)
        if name.exists():
            out(f"  --- {name.name} ---")
            for line in name.read_text(encoding="utf-8-sig").splitlines():
                out("  " + line)


def rik_convert(s: Story, number: str) -> None:
    heading("REPLACEMENT IN KIND, continued: the deadline passes with 200 rations still owed")
    s.today(date(2027, 2, 1))
    s.step("JPN", Role.FINANCE_OFFICER, "records the catalogue price for rations from "
           "2027-02-01: JPY 1,350", admin.set_catalogue_price, agreement=AGREEMENT,
           category="food", item="Combat ration, 1 day", unit="EA", unit_price="1350",
           valid_from=date(2027, 2, 1))
    s.sync()
    s.acsa("JPN", "report", "obligations", "--as", "jpn.finance")
    s.acsa("JPN", "order", "convert-to-cash", number, "--as", "jpn.finance")
    s.today(date(2027, 2, 11))
    s.acsa("JPN", "report", "obligations", "--as", "jpn.finance")
    s.acsa("JPN", "order", "convert-to-cash", number, "--as", "jpn.finance")
    s.acsa("JPN", "todo", "--as", "jpn.finance")
    s.acsa("JPN", "order", "invoice", number, "--kind", "conversion", "--as", "jpn.finance")
    s.sync()
    s.today(date(2027, 3, 1))
    s.acsa("PHL", "todo", "--as", "phl.finance")
    s.acsa("PHL", "order", "pay", number, "--amount", "270,000", "--reference",
           "SWIFT PH-0301-07", "--as", "phl.finance")
    s.sync()
    s.today(date(2027, 3, 2))
    s.acsa("JPN", "order", "confirm-payment", "PAY/PHL/00002", "--as", "jpn.finance")
    s.sync()
    s.acsa("JPN", "order", "show", number)
    s.acsa("JPN", "order", "show", number, "--json", show=only("returns", "conversions"))


def year_end(s: Story) -> None:
    heading("YEAR END: Japan's fiscal year 2026 closes on 31 March 2027")
    s.today(date(2027, 3, 31))
    for party in ("JPN", "PHL"):
        s.acsa(party, "report", "balances", "--as", f"{party.lower()}.finance")
    s.acsa("JPN", "report", "aging", "--as", "jpn.finance")
    name = s.base / "year-end.csv"
    s.acsa("JPN", "report", "export", "year-end", "--format", "csv", "--out", name.name,
           "--year", "2026", "--party", "JPN", "--as-of", "2027-03-31", "--as", "jpn.finance")
    if (Path.cwd() / name.name).exists():
        (Path.cwd() / name.name).replace(name)
    if name.exists():
        out(f"  --- {name.name} ---")
        for line in name.read_text(encoding="utf-8-sig").splitlines():
            out("  " + line)
    s.acsa("JPN", "export", "--format", "ledger", "--as", "jpn.finance", show=head_lines(40))
    s.acsa("JPN", "todo", "--as", "jpn.finance")
    s.acsa("PHL", "todo", "--as", "phl.finance")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        here = Path.cwd()
        os.chdir(base)
        try:
            out("Finance officer's transcript: two nodes (JPN, PHL), a simulated calendar from "
                "February 2026 to March 2027.")
            out("Lines beginning 'JPN$' or 'PHL$' are real acsa commands on that node, with "
                "their real output;")
            out("[user] lines are other officials' steps, named only. Dates are business dates.")
            s = Story(base)
            setup(s)
            n = operations(s)
            cash(s, n["diesel"])
            eve(s, n["trucks"], n["jpn_trucks"])
            offset(s, n["clinic"], n["repair"])
            rik_return(s, n["rations"])
            reports_midyear(s)
            rik_convert(s, n["rations"])
            year_end(s)
        finally:
            os.chdir(here)


if __name__ == "__main__":
    main()

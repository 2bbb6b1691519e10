"""The rules of practice of the JPN–PHL profile, on two real nodes, through the real CLI.

    .venv/bin/python -m bench.practice_transcript > docs/practice-transcript.txt

Each section shows one rule as an officer meets it: the agreement's entry into force by a
profile update both administrators sign; a supply refused an equal-value exchange; one
person refused a second duty on one order; an invoice held back for its delivery ticket;
a settlement deadline twelve months from delivery going overdue; a claim notice for the
revenue collection officer; the annual report for Japan's fiscal year 2026. The exchange
that closes as a whole is in docs/finance-guide-transcript.txt ("EQUAL VALUE EXCHANGE").
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from datetime import date
from pathlib import Path

from acsa.devtools.worked_example import AGREEMENT, terms
from acsa.devtools.world import IN_FORCE_REFERENCE, UNITS, user_id
from acsa.domain.parties import Role
from acsa.services import admin, orders, users
from acsa.services.unit_of_work import UnitOfWork
from bench.finance_guide_transcript import Story, heading, out

MULTI = "phl.multi"


def write_terms(name: str, lines: list[tuple[str, ...]], method: str) -> str:
    data = terms("PHL", "JPN", "AFP-TOG1", lines, method)
    Path(name).write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return name


DIESEL: list[tuple[str, ...]] = [("pol", "Diesel fuel F-76", "9800", "L", "152.5")]
WATER: list[tuple[str, ...]] = [("water", "Potable water, bulk", "40000", "L", "0.8")]
RATIONS: list[tuple[str, ...]] = [("food", "Combat ration, 1 day", "500", "EA", "1200")]


def entry_into_force(s: Story) -> str:
    heading("ENTRY INTO FORCE: signed on 15 January 2026, no order until both parties record "
            "the entry into force")
    s.today(date(2026, 2, 2))
    s.acsa("PHL", "agreement", "list")
    diesel = write_terms("diesel.json", DIESEL, "cash")
    s.acsa("PHL", "order", "submit", "--file", diesel, "--as", "phl.ordering")
    s.acsa("JPN", "agreement", "enter-into-force", AGREEMENT, "--on", "2026-02-01",
           "--reference", IN_FORCE_REFERENCE, "--as", "jpn.administrator")
    s.sync()
    s.acsa("PHL", "order", "submit", "--file", diesel, "--as", "phl.ordering")
    s.acsa("PHL", "agreement", "enter-into-force", AGREEMENT, "--on", "2026-02-02",
           "--reference", "Exchange of notes", "--as", "phl.administrator")
    s.acsa("PHL", "agreement", "enter-into-force", AGREEMENT, "--on", "2026-02-01",
           "--reference", IN_FORCE_REFERENCE, "--as", "phl.administrator")
    s.sync()
    s.acsa("JPN", "agreement", "list")
    text = s.acsa("PHL", "order", "submit", "--file", diesel, "--as", "phl.ordering", "--json")
    number = str(json.loads(text)["subject"])
    s.sync(quiet=True)
    s.step("JPN", Role.APPROVING_OFFICIAL, f"accepts {number}", orders.accept, number,
           supplying_unit="JMSDF-ESF1")
    return number


def methods_per_category(s: Story) -> None:
    heading("METHODS PER CATEGORY: a supply (water) may not be settled by equal-value exchange")
    water = write_terms("water-eve.json", WATER, "eve")
    s.acsa("PHL", "order", "submit", "--file", water, "--as", "phl.ordering")
    s.acsa("PHL", "order", "submit", "--file", write_terms("water-cash.json", WATER, "cash"),
           "--as", "phl.ordering")


def separation_of_duties(s: Story) -> None:
    heading("SEPARATION OF DUTIES: who ordered does not also receive")
    units = [u for u, _ in UNITS["PHL"]]
    with UnitOfWork(s.nodes["PHL"]) as uow:
        boss = users.get_user(uow, user_id("PHL", Role.ADMINISTRATOR))
        users.add_user(uow, boss, user_id=MULTI, name="Lt. Dela Cruz",
                       roles=[Role.ORDERING_OFFICIAL.value, Role.RECEIVING_OFFICIAL.value],
                       units=units)
        for role in (Role.ORDERING_OFFICIAL, Role.RECEIVING_OFFICIAL):
            admin.appoint(uow, boss, agreement=AGREEMENT, user_id=MULTI, name="Lt. Dela Cruz",
                          role=role.value, units=units, valid_from=date(2026, 1, 15))
        uow.commit()
    out("   [phl.administrator] appoints Lt. Dela Cruz (phl.multi) ordering and receiving "
        "official")
    text = s.acsa("PHL", "order", "submit", "--file", write_terms("rations.json", RATIONS,
                                                                   "cash"),
                  "--as", MULTI, "--json")
    number = str(json.loads(text)["subject"])
    s.sync(quiet=True)
    s.step("JPN", Role.APPROVING_OFFICIAL, f"accepts {number}", orders.accept, number,
           supplying_unit="JGSDF-1HB")
    s.step("JPN", Role.SUPPLY_OFFICER, f"delivers 500 on {number}", orders.deliver, number,
           [(1, "500")])
    s.sync(quiet=True)
    s.acsa("PHL", "order", "receive", number, "--delivery", "1", "--as", MULTI)
    s.acsa("PHL", "order", "receive", number, "--delivery", "1", "--as", "phl.receiving")
    s.sync(quiet=True)


def evidence(s: Story, diesel: str) -> str:
    heading("SOURCE DOCUMENTS: the invoice waits for the delivery ticket")
    s.today(date(2026, 2, 10))
    s.acsa("JPN", "order", "deliver", diesel, "--line", "1=9800", "--as", "jpn.supply")
    s.sync(quiet=True)
    s.step("PHL", Role.RECEIVING_OFFICIAL, f"acknowledges the delivery on {diesel}",
           orders.receive, diesel, "1")
    s.sync()
    rations = rik_order(s)
    s.today(date(2026, 2, 16))
    s.acsa("JPN", "order", "invoice", diesel, "--as", "jpn.finance")
    s.acsa("JPN", "report", "missing-evidence", "--as", "jpn.finance")
    Path("ticket-ESF1-0210.txt").write_text("DELIVERY TICKET\nDiesel fuel F-76: 9,800 L\n"
                                            "Subic Bay, Pier 3, 2026-02-10\n", encoding="utf-8")
    s.acsa("JPN", "order", "attach", diesel, "--to", "1", "--kind", "delivery-ticket",
           "--file", "ticket-ESF1-0210.txt", "--as", "jpn.supply")
    s.acsa("JPN", "order", "invoice", diesel, "--as", "jpn.finance")
    s.sync()
    return rations


def rik_order(s: Story) -> str:
    """Rations to be returned in kind, delivered on 10 February 2026."""
    text = s.acsa("PHL", "order", "submit", "--file", write_terms("rations-rik.json",
                                                                   RATIONS, "rik"),
                  "--as", "phl.ordering", "--json")
    number = str(json.loads(text)["subject"])
    s.sync(quiet=True)
    s.step("JPN", Role.APPROVING_OFFICIAL, f"accepts {number}", orders.accept, number,
           supplying_unit="JGSDF-1HB")
    s.step("JPN", Role.SUPPLY_OFFICER, f"delivers 500 on {number}", orders.deliver, number,
           [(1, "500")])
    s.sync(quiet=True)
    s.step("PHL", Role.RECEIVING_OFFICIAL, f"acknowledges the delivery on {number}",
           orders.receive, number, "1")
    s.sync()
    return number


def deadline(s: Story, rations: str) -> None:
    heading(f"DEADLINES: settlement within twelve months of delivery ({rations}, rations to "
            "be returned in kind, delivered 10 February 2026)")
    out("   The rations (PHL→JPN, JPY 600,000) are current on the last day and 1 day late the "
        "day after.")
    for day in (date(2027, 2, 10), date(2027, 2, 11)):
        s.today(day)
        s.acsa("JPN", "report", "aging", "--as", "jpn.finance")



def claim_notice(s: Story) -> None:
    heading("NATIONAL ACCOUNTING: the claim notice (債権発生通知書) for the revenue collection "
            "officer (歳入徴収官)")
    s.acsa("JPN", "claim", "pending", "--as", "jpn.finance")
    text = s.acsa("JPN", "claim", "list", "--as", "jpn.finance", "--json")
    invoice = json.loads(text)["receivables"][0]["invoice"]
    s.acsa("JPN", "claim", "notice", invoice, "--out", "claim-notice.pdf", "--as", "jpn.finance")
    shown = subprocess.run(["pdftotext", "-layout", "claim-notice.pdf", "-"], check=False,
                           capture_output=True, text=True).stdout
    out("  --- claim-notice.pdf, as pdftotext reads it ---")
    for line in shown.rstrip().splitlines():
        out("  " + line.rstrip())
    s.acsa("JPN", "claim", "mark-sent", invoice, "--to",
           "歳入徴収官, Maritime Staff Office accounting section", "--note", "letter 27-014",
           "--as", "jpn.finance")
    s.acsa("JPN", "claim", "pending", "--as", "jpn.finance")


def annual(s: Story) -> None:
    heading("ANNUAL REPORT: fiscal year 2026 of the Philippines (the calendar year), and of "
            "Japan (April 2026 – March 2027; the orders above fall in Japan's FY2025)")
    s.today(date(2027, 4, 5))
    s.acsa("PHL", "report", "annual", "--fiscal-year", "FY2026", "--as", "phl.finance")
    s.acsa("PHL", "report", "annual", "--fiscal-year", "FY2026", "--format", "pdf", "--out",
           "annual-PHL-FY2026.pdf", "--as", "phl.finance")
    shown = subprocess.run(["pdftotext", "-layout", "annual-PHL-FY2026.pdf", "-"], check=False,
                           capture_output=True, text=True).stdout
    out("  --- annual-PHL-FY2026.pdf, as pdftotext reads it ---")
    for line in shown.rstrip().splitlines():
        out("  " + line.rstrip())
    s.acsa("PHL", "report", "annual", "--fiscal-year", "FY2026", "--format", "xlsx", "--out",
           "annual-PHL-FY2026.xlsx", "--as", "phl.finance")
    s.acsa("JPN", "report", "annual", "--fiscal-year", "FY2026", "--as", "jpn.finance")
    s.acsa("JPN", "report", "annual", "--fiscal-year", "FY2025", "--as", "jpn.finance")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        here = Path.cwd()
        os.chdir(base)
        try:
            out("The rules of practice of JPN-PHL-ACSA on two nodes (JPN, PHL), a simulated "
                "calendar from February 2026 to April 2027.")
            out("Lines beginning 'JPN$' or 'PHL$' are real acsa commands on that node, with "
                "their real output; [user] lines are other officials' steps, named only.")
            s = Story(base, in_force=False)
            diesel = entry_into_force(s)
            methods_per_category(s)
            separation_of_duties(s)
            rations = evidence(s, diesel)
            deadline(s, rations)
            claim_notice(s)
            annual(s)
        finally:
            os.chdir(here)


if __name__ == "__main__":
    main()

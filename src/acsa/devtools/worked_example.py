"""The worked example: one order down each settlement path, between two real nodes.

Two nodes (JPN and PHL) are created in their own data directories, staffed,
introduced, and every step is taken through the services by the official
whose job it is, on a simulated calendar from February 2026 to March 2027
(long enough for an in-kind deadline to pass). Events travel between the
nodes only as signed bundle files. Each step is printed; at the end each
path's postings and the balances of both nodes are printed, both nodes are
verified, and the data is left for exploring with the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from acsa.bootstrap import init_node
from acsa.config import Settings
from acsa.devtools.world import as_official, carry, exchange, introduce, staff_node, user_id
from acsa.domain.errors import DomainError
from acsa.domain.money import Money
from acsa.domain.parties import Role
from acsa.i18n.refusals import refusal
from acsa.services import attachments, evidence, order_view, orders, queries, settlement, users
from acsa.services.node import Node
from acsa.services.reports import balances
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import verify_node

AGREEMENT = "JPN-PHL-ACSA"
Out = Callable[[str], None]


class Calendar:
    """The nodes' clock: the morning of the day the story has reached."""

    def __init__(self) -> None:
        self.now = datetime(2026, 2, 2, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def to(self, day: date) -> None:
        self.now = max(self.now, datetime(day.year, day.month, day.day, 1, tzinfo=UTC))


@dataclass
class Example:
    jpn: Node
    phl: Node
    calendar: Calendar
    bundles: Path
    out: Out

    def node(self, party: str) -> Node:
        return self.jpn if party == "JPN" else self.phl

    def do(self, day: date, party: str, role: Role, what: str,
           use_case: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        # The clock only moves forward (a node's clock does); the business date
        # of each act is given explicitly, as a clerk entering it later would.
        self.calendar.to(day)
        event = as_official(self.node(party), role, use_case, *args, on=day, **kw)
        envelope = event.envelope
        self.out(f"  {day}  {party} {role.value:<19} {what:<38} "
                 f"{envelope.type} #{envelope.seq} {event.hash[:10]}…")
        with UnitOfWork(self.node(party), write=False) as uow:
            notes = queries.notes_on(uow, event.hash)
        for note in notes:
            self.out(f"             note: {note}")
        return event

    def refused(self, day: date, party: str, role: Role, what: str,
                use_case: Callable[..., Any], *args: Any, **kw: Any) -> None:
        """An act the rules refuse: nothing is recorded; the reason, as each nation reads it."""
        self.calendar.to(day)
        try:
            as_official(self.node(party), role, use_case, *args, on=day, **kw)
        except DomainError as exc:
            self.out(f"  {day}  {party} {role.value:<19} {what:<38} REFUSED ({exc.code})")
            for locale in ("en", "ja"):
                self.out(f"             {locale}: {refusal(exc, locale)}")
        else:
            raise AssertionError(f"{what}: expected a refusal")

    def sync(self) -> None:
        """Carry bundles both ways, as couriers would across an air gap."""
        a = carry(self.phl, self.jpn, self.bundles)
        b = carry(self.jpn, self.phl, self.bundles)
        self.out(f"             bundles: PHL→JPN {a.applied} event(s), "
                 f"JPN→PHL {b.applied} event(s)")

    def status(self, number: str, node: Node | None = None) -> str:
        with UnitOfWork(node or self.jpn, write=False) as uow:
            return order_view.status_of(uow, number)

    def statuses(self, *numbers: str) -> str:
        """Each order's status on both nodes: ``number jpn/phl``."""
        return ", ".join(f"{n} {self.status(n)}/{self.status(n, self.phl)}" for n in numbers)


def make_nodes(base: Path, out: Out) -> Example:
    calendar = Calendar()
    nodes = []
    for party in ("JPN", "PHL"):
        node = init_node(Settings(data_dir=base / party.lower()), party)
        node.clock = calendar
        staff_node(node, [AGREEMENT])
        nodes.append(node)
        out(f"  initialised the {party} node in {base / party.lower()} "
            f"(key {node.key.fingerprint[:23]}…)")
    jpn, phl = nodes
    introduce(jpn, phl)
    example = Example(jpn, phl, calendar, base / "bundles", out)
    exchange(jpn, phl, example.bundles)
    out("  peers registered by fingerprint; agreement, units and appointments exchanged")
    return example


def terms(requester: str, supplier: str, unit: str, lines: list[tuple[str, ...]],
          method: str, activity: str = "KAMANDAG-10",
          activity_type: str = "bilateral_training") -> dict[str, Any]:
    from acsa.devtools.exercise import Exercise
    from acsa.profiles import shipped_profile

    t = Exercise(shipped_profile(AGREEMENT)).terms(
        requester, supplier, lines, method=method, activity=activity,  # type: ignore[arg-type]
        activity_type=activity_type)
    t["requesting_unit"] = unit
    return t


def _attach_ticket(uow: UnitOfWork, user: Any, number: str, **kw: Any) -> Any:
    """The delivery ticket the tanker's master signed, attached to delivery 1."""
    ticket = evidence.store_evidence(uow, "delivery-ticket-ESF1-0210.txt",
                                     b"DELIVERY TICKET\nDiesel fuel F-76: 9,800 L\n"
                                     b"Subic Bay, Pier 3, 2026-02-10\n", "text/plain")
    return attachments.attach_evidence(uow, user, number, to="1", kind="delivery-ticket",
                                       evidence=[ticket], **kw)


def cash_path(x: Example) -> str:
    x.out("\nCash: 10,000 L of diesel for a Philippine patrol craft, JPY 152.5 a litre")
    d = date
    ev = x.do(d(2026, 2, 3), "PHL", Role.ORDERING_OFFICIAL, "submits the request",
              orders.submit_order, terms("PHL", "JPN", "AFP-NFL",
                                         [("pol", "Diesel fuel F-76", "10000", "L", "152.5")],
                                         "cash"))
    number: str = ev.envelope.subject
    x.sync()
    x.do(d(2026, 2, 4), "JPN", Role.APPROVING_OFFICIAL, "accepts", orders.accept, number,
         supplying_unit="JMSDF-ESF1")
    x.do(d(2026, 2, 10), "JPN", Role.SUPPLY_OFFICER, "delivers 9,800 L, ticket left aboard",
         orders.deliver, number, [(1, "9800")], evidence=[])
    x.sync()
    x.do(d(2026, 2, 10), "PHL", Role.RECEIVING_OFFICIAL, "receives 9,800 L", orders.receive,
         number, "1")
    x.sync()
    # Profile 2026.2: a delivery needs its delivery ticket before the invoice.
    x.refused(d(2026, 2, 11), "JPN", Role.FINANCE_OFFICER, "invoices: no delivery ticket",
              settlement.issue_invoice, number)
    x.do(d(2026, 2, 12), "JPN", Role.SUPPLY_OFFICER, "attaches the signed delivery ticket",
         _attach_ticket, number)
    x.do(d(2026, 2, 12), "JPN", Role.FINANCE_OFFICER, "invoices 9,800 × 152.5",
         settlement.issue_invoice, number)
    x.sync()
    x.do(d(2026, 3, 5), "PHL", Role.FINANCE_OFFICER, "pays JPY 1,494,500",
         settlement.record_payment, [(number, "1", "1494500")], reference="SWIFT PH-0305-01")
    x.sync()
    x.do(d(2026, 3, 6), "JPN", Role.FINANCE_OFFICER, "confirms JPY 1,494,000 arrived",
         settlement.confirm_payment, "PAY/PHL/00001", [(number, "1", "1494000")])
    x.do(d(2026, 3, 6), "JPN", Role.FINANCE_OFFICER, "writes off JPY 500 bank charges",
         settlement.write_off, number, "1", "500", reason="bank charges")
    x.sync()
    return number


def rik_path(x: Example) -> str:
    x.out("\nReplacement in kind: 500 rations to the Philippine battalion, JPY 1,200 each; "
          "300 returned, the rest converted after the deadline")
    d = date
    ev = x.do(d(2026, 2, 5), "PHL", Role.ORDERING_OFFICIAL, "submits the request",
              orders.submit_order, terms("PHL", "JPN", "AFP-1ID",
                                         [("food", "Combat ration, 1 day", "500", "EA", "1200")],
                                         "rik"))
    number: str = ev.envelope.subject
    x.sync()
    x.do(d(2026, 2, 6), "JPN", Role.APPROVING_OFFICIAL, "accepts", orders.accept, number,
         supplying_unit="JGSDF-1HB")
    x.do(d(2026, 2, 10), "JPN", Role.SUPPLY_OFFICER, "delivers 500", orders.deliver, number,
         [(1, "500")])
    x.sync()
    x.do(d(2026, 2, 10), "PHL", Role.RECEIVING_OFFICIAL, "receives 500", orders.receive,
         number, "1")
    x.do(d(2026, 6, 1), "PHL", Role.SUPPLY_OFFICER, "returns 300 rations",
         settlement.return_in_kind, number, [(1, "300")], description="same type, same lot age")
    x.sync()
    x.do(d(2026, 6, 2), "JPN", Role.RECEIVING_OFFICIAL, "accepts the return",
         settlement.answer_return, number, "1", True)
    x.do(d(2027, 2, 11), "JPN", Role.FINANCE_OFFICER, "converts 200 owed, at JPY 1,350 "
         "(deadline 2027-02-10)", settlement.convert_to_cash, number, {1: "1350"})
    x.do(d(2027, 2, 11), "JPN", Role.FINANCE_OFFICER, "invoices the conversion",
         settlement.issue_invoice, number, kind="conversion")
    x.sync()
    x.do(d(2027, 3, 1), "PHL", Role.FINANCE_OFFICER, "pays JPY 270,000",
         settlement.record_payment, [(number, "1", "270000")], reference="SWIFT PH-0301-07")
    x.sync()
    x.do(d(2027, 3, 2), "JPN", Role.FINANCE_OFFICER, "confirms it arrived",
         settlement.confirm_payment, "PAY/PHL/00002", [(number, "1", "270000")])
    x.sync()
    return number


def eve_path(x: Example) -> tuple[str, str]:
    x.out("\nEqual-value exchange of services of one kind (transportation): Philippine "
          "trucks for Japan (PHP) against Japanese trucks for the Philippines (JPY), valued in "
          "PHP at 1 JPY = 0.38 PHP; it closes as a whole once the residual is paid")
    d = date
    a = x.do(d(2026, 2, 6), "JPN", Role.ORDERING_OFFICIAL, "asks for 10 truck trips",
             orders.submit_order, terms("JPN", "PHL", "JGSDF-1HB",
                                        [("transportation", "Truck, 5 t, Subic–Clark", "10",
                                          "TRIP", "25000.00")], "eve")).envelope.subject
    b = x.do(d(2026, 2, 6), "PHL", Role.ORDERING_OFFICIAL, "asks for 12 truck trips",
             orders.submit_order, terms("PHL", "JPN", "AFP-TOG1",
                                        [("transportation", "Truck, 3½ t, Clark–Fort "
                                          "Magsaysay", "12", "TRIP", "50000")],
                                        "eve")).envelope.subject
    x.sync()
    x.do(d(2026, 2, 7), "PHL", Role.APPROVING_OFFICIAL, "accepts the trucks", orders.accept, a,
         supplying_unit="AFP-1ID")
    x.do(d(2026, 2, 7), "JPN", Role.APPROVING_OFFICIAL, "accepts the trips", orders.accept, b,
         supplying_unit="JMSDF-ESF1")
    x.do(d(2026, 2, 12), "PHL", Role.SUPPLY_OFFICER, "performs 10 trips", orders.deliver, a,
         [(1, "10")])
    x.do(d(2026, 2, 12), "JPN", Role.SUPPLY_OFFICER, "performs 12 trips", orders.deliver, b,
         [(1, "12")])
    x.sync()
    x.do(d(2026, 2, 13), "JPN", Role.RECEIVING_OFFICIAL, "acknowledges the trips",
         orders.receive, a, "1")
    x.do(d(2026, 2, 13), "PHL", Role.RECEIVING_OFFICIAL, "acknowledges the trips",
         orders.receive, b, "1")
    x.sync()
    x.do(d(2026, 3, 2), "JPN", Role.FINANCE_OFFICER, "links both, valued in PHP",
         settlement.link_exchange, [a, b], currency="PHP", rates=[("JPY", "PHP", "0.38")])
    x.sync()
    x.do(d(2026, 3, 3), "PHL", Role.FINANCE_OFFICER, "signs the exchange",
         settlement.sign_exchange, "EVE/JPN/00001")
    x.do(d(2026, 3, 3), "PHL", Role.FINANCE_OFFICER, "invoices the PHP 22,000.00 residual",
         settlement.issue_invoice, a, kind="residual")
    x.sync()
    x.out(f"             signed, residual unpaid (JPN/PHL node): {x.statuses(a, b)}")
    x.do(d(2026, 3, 20), "JPN", Role.FINANCE_OFFICER, "pays PHP 22,000.00",
         settlement.record_payment, [(a, "1", "22000.00")], reference="JPN-MOF-2026-0320")
    x.sync()
    x.do(d(2026, 3, 21), "PHL", Role.FINANCE_OFFICER, "confirms it arrived",
         settlement.confirm_payment, "PAY/JPN/00001", [(a, "1", "22000.00")])
    x.sync()
    x.out(f"             residual paid and confirmed (JPN/PHL node): {x.statuses(a, b)}")
    return a, b


def emergency_path(x: Example) -> str:
    x.out("\nEmergency: a radio request for water after a typhoon, confirmed in writing late")
    d = date
    ev = x.do(d(2026, 10, 20), "JPN", Role.APPROVING_OFFICIAL, "records the radio request",
              orders.record_emergency,
              {**terms("PHL", "JPN", "AFP-TOG1", [("water", "Potable water", "8000", "L", "30")],
                       "cash", activity="TYPHOON-RAI2-HADR", activity_type="hadr"),
               "supplying_unit": "JMSDF-ESF1"},
              requested_by="radio, Maj. Santos (AFP-TOG1)")
    number: str = ev.envelope.subject
    x.do(d(2026, 10, 20), "JPN", Role.SUPPLY_OFFICER, "delivers 8,000 L", orders.deliver, number,
         [(1, "8000")])
    x.sync()
    x.do(d(2026, 10, 29), "PHL", Role.ORDERING_OFFICIAL, "confirms in writing (window: 7 days)",
         orders.confirm_emergency, number)
    x.sync()
    return number


def print_postings(x: Example, numbers: list[str]) -> None:
    with UnitOfWork(x.jpn, write=False) as uow:
        for number in numbers:
            x.out(f"\n  postings of {number} ({x.status(number)}):")
            for p in queries.order_postings(uow, number):
                x.out(f"    {p.on}  Dr {p.debit:<11} Cr {p.credit:<11} {p.amount.text():>16} "
                      f"{p.amount.currency}  ({p.debtor} owes {p.creditor})")


def print_balances(x: Example) -> None:
    for node in (x.jpn, x.phl):
        with UnitOfWork(node, write=False) as uow:
            x.out(f"\n  balances on the {node.party} node:")
            finance = users.get_user(uow, user_id(node.party, Role.FINANCE_OFFICER))
            for row in balances(uow, finance):
                parts = ", ".join(f"{k} {row.text(k)}" for k in
                                  ("commitment", "receivable", "in_kind", "invoiced", "settled",
                                   "written_off") if row.accounts.get(k))
                x.out(f"    {row.debtor} owes {row.creditor} in {row.currency}: "
                      f"outstanding {Money(row.currency, row.outstanding).text()}"
                      f"{'; ' + parts if parts else ''}")


def run(base: Path, out: Out = print) -> Example:
    out(f"Worked example in {base} (simulated calendar, February 2026 to March 2027)")
    x = make_nodes(base, out)
    cash = cash_path(x)
    rik = rik_path(x)
    a, b = eve_path(x)
    emergency = emergency_path(x)
    print_postings(x, [cash, rik, a, b, emergency])
    print_balances(x)
    for node in (x.jpn, x.phl):
        with UnitOfWork(node) as uow:
            report = verify_node(uow)
        out(f"\n  acsa verify on {node.party}: {report.events} events, {report.orders} orders, "
            f"{'no problems' if report.ok else f'{len(report.findings)} problem(s)'}")
    return x

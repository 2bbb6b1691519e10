"""``acsa demo``: the worked example, then two realistic nodes served side by side.

1. The worked example (``worked_example.py``) in ``<base>/example``: one
   order down each settlement path, printed step by step with its postings.
2. Two nodes, JPN and PHL, in ``<base>/jpn`` and ``<base>/phl``, seeded
   through the services with a Japan–Philippines exercise (February–March
   2026) and a typhoon relief operation (October–November 2026): a few
   dozen orders in every status and settlement method, officials of both
   forces for every role. Each node holds only what it would hold in life:
   its own users and drafts, and the shared events received by bundle.
3. Both nodes served — JPN on :8000, PHL on :8001 — peered by URL, with the
   demo logins printed.

Seeding happens once; a second ``make demo`` serves what is there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from acsa.bootstrap import init_node
from acsa.config import Settings
from acsa.devtools import worked_example
from acsa.devtools.world import (
    NAMES,
    appoint_security_officer,
    as_official,
    carry,
    deliver_with_ticket,
    introduce,
    staff_node,
    user_id,
)
from acsa.domain.parties import Role
from acsa.services import admin, orders, settlement, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork

AGREEMENT = "JPN-PHL-ACSA"
PORTS = {"JPN": 8000, "PHL": 8001}
DEMO_PASSWORD = "demo-password-2026"
Out = Callable[[str], None]


@dataclass
class Seeder:
    jpn: Node
    phl: Node
    calendar: worked_example.Calendar
    bundles: Path
    counts: dict[str, int] = field(default_factory=dict)

    def node(self, party: str) -> Node:
        return self.jpn if party == "JPN" else self.phl

    def do(self, day: date, party: str, role: Role, use_case: Callable[..., Any],
           *args: Any, **kw: Any) -> Any:
        self.calendar.to(day)
        return as_official(self.node(party), role, use_case, *args, on=day, **kw)

    def sync(self) -> None:
        carry(self.phl, self.jpn, self.bundles)
        carry(self.jpn, self.phl, self.bundles)

    def order(self, day: date, requester: str, supplier: str, unit: str,
              lines: list[tuple[str, ...]], method: str = "cash",
              activity: str = "KAMANDAG-10", activity_type: str = "bilateral_training",
              **extra: Any) -> str:
        terms = worked_example.terms(requester, supplier, unit, lines, method, activity,
                                     activity_type)
        terms.update(extra)
        event = self.do(day, requester, Role.ORDERING_OFFICIAL, orders.submit_order, terms)
        self.sync()
        return str(event.envelope.subject)

    def accept(self, day: date, number: str, supplier: str, unit: str) -> None:
        self.do(day, supplier, Role.APPROVING_OFFICIAL, orders.accept, number,
                supplying_unit=unit)

    def deliver(self, day: date, number: str, supplier: str, quantity: str,
                line: int = 1) -> None:
        self.do(day, supplier, Role.SUPPLY_OFFICER, deliver_with_ticket, number,
                [(line, quantity)])
        self.sync()

    def receive(self, day: date, number: str, requester: str, delivery: str = "1",
                lines: list[tuple[int, str, str]] | None = None) -> None:
        self.do(day, requester, Role.RECEIVING_OFFICIAL, orders.receive, number, delivery,
                lines=lines)
        self.sync()

    def invoice(self, day: date, number: str, supplier: str, **kw: Any) -> None:
        self.do(day, supplier, Role.FINANCE_OFFICER, settlement.issue_invoice, number, **kw)
        self.sync()

    def pay(self, day: date, payer: str, allocations: list[tuple[str, str, str]],
            reference: str) -> str:
        event = self.do(day, payer, Role.FINANCE_OFFICER, settlement.record_payment,
                        allocations, reference=reference)
        self.sync()
        return str(event.envelope.subject)

    def confirm(self, day: date, payee: str, payment: str,
                received: list[tuple[str, str, str]] | None = None) -> None:
        self.do(day, payee, Role.FINANCE_OFFICER, settlement.confirm_payment, payment,
                received or [])
        self.sync()

    def through_receipt(self, start: date, requester: str, supplier: str, unit: str,
                        supply_unit: str, lines: list[tuple[str, ...]], **kw: Any) -> str:
        number = self.order(start, requester, supplier, unit, lines, **kw)
        self.accept(start + timedelta(days=1), number, supplier, supply_unit)
        self.deliver(start + timedelta(days=4), number, supplier, lines[0][2])
        self.receive(start + timedelta(days=4), number, requester)
        return number


def seed(base: Path, out: Out) -> tuple[Node, Node]:
    """Create and seed both demo nodes; returns (jpn, phl)."""
    calendar = worked_example.Calendar()
    nodes = []
    for party in ("JPN", "PHL"):
        node = init_node(Settings(data_dir=base / party.lower()), party)
        node.clock = calendar
        staff_node(node, [AGREEMENT], time_zone="Asia/Tokyo" if party == "JPN"
                   else "Asia/Manila")
        # The security officer signs consents and loss or compromise reports.
        appoint_security_officer(node, AGREEMENT)
        nodes.append(node)
    jpn, phl = nodes
    introduce(jpn, phl, a_url=f"http://127.0.0.1:{PORTS['JPN']}",
              b_url=f"http://127.0.0.1:{PORTS['PHL']}")
    s = Seeder(jpn, phl, calendar, base / "bundles")
    s.sync()
    _registry(s)
    _exercise(s)
    _typhoon(s)
    _drafts(s)
    _passwords(s)
    for node in nodes:
        node.clock = lambda: datetime.now(UTC)
    out(f"  seeded {base / 'jpn'} and {base / 'phl'}")
    return jpn, phl


def _registry(s: Seeder) -> None:
    day = date(2026, 2, 2)
    for party in ("JPN", "PHL"):
        node = s.node(party)
        with UnitOfWork(node) as uow:
            boss = users.get_user(uow, user_id(party, Role.ADMINISTRATOR))
            admin.register_activity(uow, boss, agreement=AGREEMENT, activity_id="KAMANDAG-10",
                                    name="Exercise KAMANDAG 10", type="bilateral_training",
                                    starts_on=date(2026, 2, 2), ends_on=date(2026, 3, 27))
            admin.register_activity(uow, boss, agreement=AGREEMENT,
                                    activity_id="TYPHOON-RAI2-HADR",
                                    name="Typhoon Rai II relief, Eastern Visayas", type="hadr",
                                    starts_on=date(2026, 10, 18))
    s.do(day, "JPN", Role.FINANCE_OFFICER, admin.record_rate, agreement=AGREEMENT, base="JPY",
         quote="PHP", rate="0.3800")
    s.do(day, "PHL", Role.FINANCE_OFFICER, admin.record_rate, agreement=AGREEMENT, base="PHP",
         quote="JPY", rate="2.6316")
    # Each supplier's catalogue prices: the new-order form offers them as a prefill.
    for party, category, item, unit, price in (
        ("JPN", "pol", "Diesel fuel F-76", "L", "152.5"),
        ("JPN", "food", "Combat ration (Japanese type)", "EA", "1200"),
        ("JPN", "transportation", "Airlift, C-2, per flight hour", "HR", "2850000"),
        ("PHL", "water", "Bottled drinking water", "L", "18.50"),
        ("PHL", "food", "Rice, milled, 50 kg sack", "EA", "2450.00"),
        ("PHL", "billeting", "Billeting, per person per night", "EA", "950.00"),
    ):
        s.do(day, party, Role.FINANCE_OFFICER, admin.set_catalogue_price, agreement=AGREEMENT,
             category=category, item=item, unit=unit, unit_price=price, valid_from=day)
    s.sync()


def _exercise(s: Seeder) -> None:
    """Exercise KAMANDAG 10: orders settled every way, and orders in every other state."""
    _cash_orders(s)
    _in_kind_orders(s)
    _equal_value_exchange(s)
    _offset(s)
    _orders_in_other_states(s)


def _cash_orders(s: Seeder) -> None:
    """Orders settled in cash, paid in part, or invoiced and overdue."""
    d = date
    # Settled in cash, with a short payment written off.
    diesel = s.through_receipt(d(2026, 2, 3), "PHL", "JPN", "AFP-NFL", "JMSDF-ESF1",
                               [("pol", "Diesel fuel F-76", "12000", "L", "152.5")])
    s.invoice(d(2026, 2, 9), diesel, "JPN")
    pay = s.pay(d(2026, 3, 5), "PHL", [(diesel, "1", "1830000")], "LBP SWIFT 0305-11")
    s.confirm(d(2026, 3, 6), "JPN", pay, [(diesel, "1", "1829350")])
    s.do(d(2026, 3, 6), "JPN", Role.FINANCE_OFFICER, settlement.write_off, diesel, "1", "650",
         reason="bank charges")
    s.sync()
    # Billeting the Philippines provided, settled in cash.
    billet = s.through_receipt(d(2026, 2, 4), "JPN", "PHL", "JGSDF-1HB", "AFP-1ID",
                               [("billeting", "Barracks bed, Fort Magsaysay", "240", "NIGHT",
                                 "850.00")])
    s.invoice(d(2026, 3, 2), billet, "PHL")
    pay = s.pay(d(2026, 3, 20), "JPN", [(billet, "1", "204000.00")], "MOF-JP 0320-02")
    s.confirm(d(2026, 3, 23), "PHL", pay)
    # Rations, invoiced and overdue (due 30 days after invoicing, in March).
    rations = s.through_receipt(d(2026, 2, 6), "PHL", "JPN", "AFP-1ID", "JGSDF-1HB",
                                [("food", "Combat ration, 1 day", "1500", "EA", "1200")])
    s.invoice(d(2026, 2, 20), rations, "JPN")
    # Transport, partly paid.
    trucks = s.through_receipt(d(2026, 2, 8), "JPN", "PHL", "JGSDF-1HB", "AFP-1ID",
                               [("transportation", "Truck, 5 t, Clark–Subic", "18", "TRIP",
                                 "24500.00")])
    s.invoice(d(2026, 3, 1), trucks, "PHL")
    pay = s.pay(d(2026, 3, 25), "JPN", [(trucks, "1", "200000.00")], "MOF-JP 0325-01")
    s.confirm(d(2026, 3, 26), "PHL", pay)


def _in_kind_orders(s: Seeder) -> None:
    """Orders to be replaced in kind: one partly returned, one not yet."""
    d = date
    # Replacement in kind: rations partly returned; the rest still owed.
    rik = s.through_receipt(d(2026, 2, 10), "PHL", "JPN", "AFP-TOG1", "JGSDF-1HB",
                            [("food", "Combat ration, 1 day", "600", "EA", "1200")],
                            method="rik")
    s.do(d(2026, 6, 15), "PHL", Role.SUPPLY_OFFICER, settlement.return_in_kind, rik,
         [(1, "250")], description="same type, manufactured 2026-04")
    s.sync()
    s.do(d(2026, 6, 16), "JPN", Role.RECEIVING_OFFICIAL, settlement.answer_return, rik, "1", True)
    s.sync()
    # Water owed in kind, nothing returned yet.
    s.through_receipt(d(2026, 2, 12), "JPN", "PHL", "JMSDF-ESF1", "AFP-NFL",
                      [("water", "Potable water, bulk", "30000", "L", "2.50")], method="rik")


def _equal_value_exchange(s: Seeder) -> None:
    """Equal-value exchange of services of one kind: Philippine airport services at Clark
    against Japanese airport services at Naha (JPN-PHL 2026.2 exchanges services of the
    same category only)."""
    d = date
    a = s.through_receipt(d(2026, 2, 14), "JPN", "PHL", "JASDF-2AW", "AFP-TOG1",
                          [("airport_seaport_services", "Ground handling, C-2, Clark", "6",
                            "EA", "38000.00")], method="eve")
    b = s.through_receipt(d(2026, 2, 14), "PHL", "JPN", "AFP-TOG1", "JASDF-2AW",
                          [("airport_seaport_services", "Ground handling, C-130, Naha",
                            "4", "EA", "145000")],
                          method="eve")
    s.do(d(2026, 3, 10), "JPN", Role.FINANCE_OFFICER, settlement.link_exchange, [a, b],
         currency="JPY", rates=[("JPY", "PHP", "0.38")])
    s.sync()
    s.do(d(2026, 3, 12), "PHL", Role.FINANCE_OFFICER, settlement.sign_exchange, "EVE/JPN/00001")
    s.sync()


def _offset(s: Seeder) -> None:
    """An offset of open invoices each way."""
    d = date
    medical = s.through_receipt(d(2026, 2, 16), "JPN", "PHL", "JGSDF-1HB", "AFP-1ID",
                                [("medical_services", "Field clinic consultations", "40", "EA",
                                  "1500.00")])
    s.invoice(d(2026, 3, 3), medical, "PHL")
    repair = s.through_receipt(d(2026, 2, 16), "PHL", "JPN", "AFP-TOG1", "JASDF-2AW",
                               [("repair_maintenance", "Torque wrench repair and check", "12",
                                 "EA", "9000")])
    s.invoice(d(2026, 3, 3), repair, "JPN")
    s.do(d(2026, 3, 31), "PHL", Role.FINANCE_OFFICER, settlement.propose_offset,
         [(medical, "1"), (repair, "1")], currency="PHP", rates=[("JPY", "PHP", "0.38")])
    s.sync()
    s.do(d(2026, 4, 2), "JPN", Role.FINANCE_OFFICER, settlement.sign_offset, "OFS/PHL/00001")
    s.sync()


def _orders_in_other_states(s: Seeder) -> None:
    """Rejected, withdrawn, proposed, disputed, delivered-not-received."""
    d = date
    gone = s.order(d(2026, 2, 18), "JPN", "PHL", "JGSDF-1HB",
                   [("use_of_facilities", "Range time, Crow Valley", "5", "DAY", "60000.00")])
    s.do(d(2026, 2, 19), "PHL", Role.APPROVING_OFFICIAL, orders.reject, gone,
         reason="range closed for maintenance")
    s.sync()
    cancel = s.order(d(2026, 2, 18), "PHL", "JPN", "AFP-NFL",
                     [("pol", "Lubricating oil OX-46", "400", "L", "880")])
    s.do(d(2026, 2, 19), "PHL", Role.ORDERING_OFFICIAL, orders.withdraw, cancel,
         reason="supplied from national stock")
    s.sync()
    prop = s.order(d(2026, 3, 2), "PHL", "JPN", "AFP-TOG1",
                   [("spare_parts", "Rotor blade, UH-1", "4", "EA", "880000")])
    s.do(d(2026, 3, 3), "JPN", Role.APPROVING_OFFICIAL, orders.propose, prop,
         {"lines": [{"no": 1, "category": "spare_parts", "description": "Rotor blade, UH-1",
                     "quantity": "2", "unit": "EA", "unit_price": "880000"}]},
         reason="two blades in stock")
    s.sync()
    short = s.order(d(2026, 3, 4), "PHL", "JPN", "AFP-NFL",
                    [("pol", "JP-5 aviation fuel", "20000", "L", "160")])
    s.accept(d(2026, 3, 4), short, "JPN", "JMSDF-ESF1")
    s.deliver(d(2026, 3, 6), short, "JPN", "20000")
    s.receive(d(2026, 3, 6), short, "PHL", lines=[(1, "18500", "0")])
    s.do(d(2026, 3, 7), "JPN", Role.SUPPLY_OFFICER, orders.open_dispute, short,
         reason="meter reading at the pier shows 20,000 L delivered")
    s.sync()
    parts = s.order(d(2026, 3, 9), "JPN", "PHL", "JASDF-2AW",
                    [("spare_parts", "Hydraulic hose assembly", "10", "EA", "4200.00")])
    s.accept(d(2026, 3, 10), parts, "PHL", "AFP-TOG1")
    s.deliver(d(2026, 3, 20), parts, "PHL", "10")


def _typhoon(s: Seeder) -> None:
    d = date
    hadr = {"activity": "TYPHOON-RAI2-HADR", "activity_type": "hadr"}
    # Emergency water by radio, confirmed two days after the window closed.
    water = s.do(d(2026, 10, 19), "JPN", Role.APPROVING_OFFICIAL, orders.record_emergency,
                 {**worked_example.terms("PHL", "JPN", "AFP-TOG1",
                                         [("water", "Potable water, bottled", "20000", "L",
                                           "30")], "cash", **hadr),
                  "supplying_unit": "JMSDF-ESF1"},
                 requested_by="radio, Maj. Santos, Tacloban").envelope.subject
    s.deliver(d(2026, 10, 20), water, "JPN", "20000")
    s.receive(d(2026, 10, 21), water, "PHL")
    s.do(d(2026, 10, 28), "PHL", Role.ORDERING_OFFICIAL, orders.confirm_emergency, water)
    s.sync()
    s.invoice(d(2026, 11, 2), water, "JPN")
    # Emergency airlift, not yet confirmed: a red flag on the dashboard.
    lift = s.do(d(2026, 11, 20), "JPN", Role.APPROVING_OFFICIAL, orders.record_emergency,
                {**worked_example.terms("PHL", "JPN", "AFP-TOG1",
                                        [("transportation", "C-2 sortie, Naha–Tacloban", "3",
                                          "TRIP", "4100000")], "cash", **hadr),
                 "supplying_unit": "JASDF-2AW"},
                requested_by="telephone, Col. Reyes, NDRRMC").envelope.subject
    s.deliver(d(2026, 11, 21), lift, "JPN", "2")
    # Helicopter fuel in two of four deliveries.
    fuel = s.order(d(2026, 11, 3), "PHL", "JPN", "AFP-TOG1",
                   [("pol", "JP-5 aviation fuel", "40000", "L", "160")], **hadr)
    s.accept(d(2026, 11, 3), fuel, "JPN", "JMSDF-ESF1")
    s.deliver(d(2026, 11, 5), fuel, "JPN", "10000")
    s.deliver(d(2026, 11, 9), fuel, "JPN", "10000")
    s.receive(d(2026, 11, 9), fuel, "PHL", "1")
    # Medical support accepted, not yet given; shelters received, awaiting an invoice.
    clinic = s.order(d(2026, 11, 10), "PHL", "JPN", "AFP-1ID",
                     [("medical_services", "Field surgical team, days", "10", "DAY",
                       "320000")], **hadr)
    s.accept(d(2026, 11, 11), clinic, "JPN", "JGSDF-1HB")
    s.through_receipt(d(2026, 11, 12), "JPN", "PHL", "JGSDF-1HB", "AFP-1ID",
                      [("base_support", "Tent camp, 200 pax, Palo", "14", "DAY", "52000.00")],
                      **hadr)
    # Invoiced, not yet due.
    rice = s.through_receipt(d(2026, 11, 6), "JPN", "PHL", "JGSDF-1HB", "AFP-1ID",
                             [("food", "Rice, 25 kg sacks", "400", "EA", "1350.00")], **hadr)
    s.invoice(d(2026, 11, 16), rice, "PHL")
    # Awaiting acceptance, both ways.
    s.order(d(2026, 11, 22), "PHL", "JPN", "AFP-NFL",
            [("repair_maintenance", "Generator overhaul, 60 kVA", "3", "EA", "410000")], **hadr)
    s.order(d(2026, 11, 23), "JPN", "PHL", "JMSDF-ESF1",
            [("airport_seaport_services", "Pilotage and berthing, Tacloban", "4", "EA",
              "18000.00")], **hadr)
    s.order(d(2026, 11, 24), "PHL", "JPN", "AFP-TOG1",
            [("water", "Water purification units", "6", "EA", "950000")], **hadr)


def _drafts(s: Seeder) -> None:
    """An order being prepared on each node: drafts never leave their node."""
    for party, unit, line in (
        ("PHL", "AFP-1ID", ("clothing", "Rain ponchos", "500", "EA", "2400")),
        ("JPN", "JGSDF-1HB", ("storage", "Cold storage, m³-days", "300", "DAY", "900.00")),
    ):
        other = "JPN" if party == "PHL" else "PHL"
        terms = worked_example.terms(party, other, unit, [line], "cash",
                                     "TYPHOON-RAI2-HADR", "hadr")
        with UnitOfWork(s.node(party)) as uow:
            orders.save_draft(uow, users.get_user(uow, user_id(party, Role.ORDERING_OFFICIAL)),
                              terms, note="check the quantity with the J4 before signing")


def _passwords(s: Seeder) -> None:
    """Every demo user logs in with the demo password (the web login reads it)."""
    try:
        from acsa.services import auth
    except ImportError:
        return
    for party in ("JPN", "PHL"):
        with UnitOfWork(s.node(party)) as uow:
            boss = users.get_user(uow, user_id(party, Role.ADMINISTRATOR))
            for role in Role:
                auth.set_password(uow, boss, user_id(party, role), DEMO_PASSWORD)


def logins() -> list[str]:
    lines = []
    for party in ("JPN", "PHL"):
        lines.append(f"  {party} node http://127.0.0.1:{PORTS[party]}  (password for every "
                     f"user: {DEMO_PASSWORD})")
        for role in Role:
            lines.append(f"    {user_id(party, role):<18} {NAMES[party][role]:<24} {role.value}")
    return lines


def run_demo(base: str, *, serve: bool = True, out: Out = print) -> None:
    root = Path(base).resolve()
    marker = root / ".seeded"
    if not marker.exists():
        if root.exists() and any(root.iterdir()):
            raise SystemExit(f"{root} holds an unfinished demo; remove it and run again")
        worked_example.run(root / "example", out)
        out("\nSeeding the demo nodes (an exercise and a typhoon relief operation) …")
        seed(root, out)
        marker.write_text(datetime.now(UTC).isoformat())
    out("\nThe two nodes and their demo users:")
    for line in logins():
        out(line)
    out("\nTry, for instance:")
    out(f"  ACSA_DATA_DIR={root / 'jpn'} .venv/bin/acsa report balances")
    out(f"  ACSA_DATA_DIR={root / 'phl'} .venv/bin/acsa order list --as phl.ordering")
    out(f"  ACSA_DATA_DIR={root / 'jpn'} .venv/bin/acsa verify")
    if serve:
        _serve(root, out)


def _serve(root: Path, out: Out) -> None:
    processes = []
    for party, port in PORTS.items():
        # Plain HTTP on loopback: a Secure cookie would never come back, and the
        # demo users have no authenticator app. Production keeps both on.
        env = {**os.environ, "ACSA_DATA_DIR": str(root / party.lower()),
               "ACSA_PORT": str(port), "ACSA_HOST": "127.0.0.1",
               "ACSA_COOKIE_SECURE": "false", "ACSA_TOTP_REQUIRED": "false"}
        processes.append(subprocess.Popen([sys.executable, "-m", "acsa", "serve"], env=env))
    out(f"\nServing JPN on http://127.0.0.1:{PORTS['JPN']} and PHL on "
        f"http://127.0.0.1:{PORTS['PHL']}, syncing with each other — Ctrl-C stops both.")
    out("(For the demo only: plain HTTP on loopback and no one-time code at login; a "
        "production node requires HTTPS and TOTP — docs/security.md.)")
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in processes:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()

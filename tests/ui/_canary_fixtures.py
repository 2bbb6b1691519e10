"""The seeded demo with a canary: one SECRET order whose figures must show nowhere an
uncleared reader can look.

``canary`` is the ``make demo`` data set (JPN and PHL nodes; SQLite; a fixed clock),
with an activity of its own (``OPLAN-KESTREL``), the clearances and assignments a
security officer gives, and eight readers logged in — on the originator's node (PHL)
and the partner's (JPN): an officer cleared and assigned, an officer who is not (on
the JPN node cleared 秘, below the 極秘 at which Japan protects a Philippine SECRET,
though assigned), an auditor without clearance and an administrator. The figures an
uncleared reader sees are recorded before the canary exists; then PHL's ordering
official submits the canary order classified SECRET, it is carried to JPN by bundle,
accepted, delivered with an evidence file, received and invoiced, so that it is in
every register, statement, balance, aging bucket and chart.
"""

from __future__ import annotations

import io
import subprocess
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from acsa.devtools import worked_example
from acsa.devtools.demo import AGREEMENT, seed
from acsa.devtools.world import as_official, carry, user_id
from acsa.domain.parties import Role
from acsa.services import admin, admin_views, evidence, orders, settlement, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.store import tables as T
from api.conftest import client_for, enrol, login

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 3, tzinfo=UTC)
ACTIVITY = "OPLAN-KESTREL"
ACTIVITY_NAME = "Operation Kestrel"
DESCRIPTION = "KESTREL-9Q-XV cipher module"
UNIT_PRICE = "7777777"  # yen: 1 × ¥7,777,777, a figure no other order makes
AMOUNTS = ("7777777", "7,777,777")
EVIDENCE_NAME = "kestrel-manifest.txt"
EVIDENCE = b"KESTREL-9Q-XV manifest: pier 4, berth 2\n"


@dataclass(frozen=True)
class Reader:
    name: str  # what the tests call them
    node: str  # JPN or PHL
    user: str
    cleared: bool  # may read the canary


READERS = (
    Reader("originator, cleared officer", "PHL", "phl.ordering", True),
    Reader("originator, uncleared officer", "PHL", "phl.finance", False),
    Reader("originator, auditor without clearance", "PHL", "phl.auditor", False),
    Reader("originator, administrator", "PHL", "phl.administrator", False),
    Reader("partner, cleared officer", "JPN", "jpn.finance", True),
    Reader("partner, officer cleared below the canary", "JPN", "jpn.ordering", False),
    Reader("partner, auditor without clearance", "JPN", "jpn.auditor", False),
    Reader("partner, administrator", "JPN", "jpn.administrator", False),
)
# Who acts on the canary must read it: cleared and assigned, as a security officer sets.
CLEARED = {"PHL": ("SECRET", ("ordering", "receiving")),
           "JPN": ("極秘", ("approving", "supply", "finance"))}

# What an uncleared reader's aggregates are read from, before and after the canary.
AGGREGATES = (
    "/", "/orders", "/api/v1/orders", "/api/v1/reports/balances", "/api/v1/reports/aging",
    "/api/v1/reports/obligations", "/api/v1/reports/activities",
    "/api/v1/reports/missing-evidence",
    "/api/v1/reports/ceilings", "/api/v1/todo", "/orders?todo=pay",
    "/orders?todo=confirm_payment", "/reports/balances", "/reports/aging",
    "/reports/activities", "/reports/open-orders", "/reports/invoices",
    "/reports/statement?partner={partner}", "/reports/year-end?year=2026",
    "/reports/balances.csv", "/reports/aging.csv", "/reports/activities.csv",
    "/reports/statement.csv?partner={partner}", "/reports/year-end.csv?year=2026",
    "/api/v1/reports/annual?fiscal_year=FY2026", "/reports/annual?year=2026",
    "/reports/annual.csv?year=2026",
)


@dataclass
class Canary:
    nodes: dict[str, Node]
    clients: dict[str, TestClient]  # by reader name
    number: str
    invoice: str
    evidence: str  # the sha256 of its evidence file
    hashes: tuple[str, ...]  # of its events
    visible: dict[str, str]  # per node: an order every reader of that node may read
    before: dict[str, dict[str, bytes]] = field(default_factory=dict)  # reader -> url -> body

    def secrets(self) -> tuple[str, ...]:
        """What may show only to a reader cleared for the canary."""
        return (*AMOUNTS, DESCRIPTION, DESCRIPTION.lower(), "KESTREL-9Q", self.number,
                self.invoice, self.evidence, *self.hashes)


def partner_of(party: str) -> str:
    return "JPN" if party == "PHL" else "PHL"


def aggregate_urls(party: str) -> list[str]:
    return [u.format(partner=partner_of(party)) for u in AGGREGATES]


def readable_text(body: bytes, content_type: str) -> str:
    """What a reader can read in a response: an XLSX's sheets, a PDF's text, else the
    body itself."""
    if content_type.startswith("application/vnd.openxmlformats"):
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "\n".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    if content_type.startswith("application/pdf"):
        try:
            text = subprocess.run(["pdftotext", "-q", "-", "-"], input=body,
                                  capture_output=True, check=True, timeout=60).stdout
        except (OSError, subprocess.CalledProcessError):
            text = b""
        return text.decode("utf-8", "replace") + body.decode("latin-1")
    return body.decode("utf-8", "replace")


def _as_security_officer(node: Node) -> None:
    level, roles = CLEARED[node.party]
    who = [f"{node.party.lower()}.{r}" for r in roles]
    if node.party == "JPN":  # cleared, and assigned, but below the canary's protection
        as_official(node, Role.SECURITY_OFFICER, admin_views.set_clearance, "jpn.ordering", "秘")
        as_official(node, Role.SECURITY_OFFICER, admin_views.assign, "jpn.ordering", [ACTIVITY])
    for user in who:
        as_official(node, Role.SECURITY_OFFICER, admin_views.set_clearance, user, level)
        as_official(node, Role.SECURITY_OFFICER, admin_views.assign, user, [ACTIVITY])


def _register_activity(node: Node) -> None:
    with UnitOfWork(node) as uow:
        boss = users.get_user(uow, user_id(node.party, Role.ADMINISTRATOR))
        admin.register_activity(uow, boss, agreement=AGREEMENT, activity_id=ACTIVITY,
                                name=ACTIVITY_NAME, type="hadr", starts_on=date(2026, 11, 1))
        uow.commit()


def _deliver_with_manifest(uow: UnitOfWork, user: LocalUser, number: str) -> Any:
    cited = evidence.store_evidence(uow, EVIDENCE_NAME, EVIDENCE, "text/plain")
    return orders.deliver(uow, user, number, [(1, "1")],
                          evidence=[{**cited, "kind": "delivery-ticket"}],
                          note="delivered with its manifest")


def make_canary(jpn: Node, phl: Node, bundles: Path) -> tuple[str, str, str]:
    """The canary order, classified SECRET by PHL at submission, through to its invoice;
    returns its number, invoice number and evidence file's hash."""
    terms = worked_example.terms("PHL", "JPN", "AFP-TOG1",
                                 [("spare_parts", DESCRIPTION, "1", "EA", UNIT_PRICE)], "cash",
                                 activity=ACTIVITY, activity_type="hadr")
    terms["needed_by"] = "2026-12-20"
    submitted = as_official(phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms,
                            marking={"level": "SECRET"})
    number = str(submitted.envelope.subject)
    carry(phl, jpn, bundles)
    as_official(jpn, Role.APPROVING_OFFICIAL, orders.accept, number,
                supplying_unit="JASDF-2AW")
    delivered = as_official(jpn, Role.SUPPLY_OFFICER, _deliver_with_manifest, number)
    carry(jpn, phl, bundles)
    as_official(phl, Role.RECEIVING_OFFICIAL, orders.receive, number, "1")
    carry(phl, jpn, bundles)
    invoiced = as_official(jpn, Role.FINANCE_OFFICER, settlement.issue_invoice, number)
    carry(jpn, phl, bundles)
    return (number, str(invoiced.envelope.data["number"]),
            str(delivered.envelope.data["evidence"][0]["sha256"]))


def _event_hashes(node: Node, number: str) -> tuple[str, ...]:
    with UnitOfWork(node, write=False) as uow:
        e, eo = T.events.c, T.event_orders.c
        return tuple(uow.conn.execute(select(e.hash).join(T.event_orders, eo.event_id == e.id)
                                      .where(eo.order_number == number)).scalars())


def _visible_order(node: Node) -> str:
    """An unclassified order invoiced and not yet settled: every reader of ``node`` may
    read it, and each of its documents can be printed."""
    with UnitOfWork(node, write=False) as uow:
        o, e, eo = T.orders.c, T.events.c, T.event_orders.c
        invoiced = select(eo.order_number).join(T.events, e.id == eo.event_id).where(
            e.type == "invoice.issued")
        return str(uow.conn.execute(
            select(o.number).where(o.status == "settling", o.marking == "UNCLASSIFIED",
                                   o.number.in_(invoiced))
            .order_by(o.number)).scalars().first())


@pytest.fixture(scope="module", name="canary")
def canary_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Canary]:
    base = tmp_path_factory.mktemp("canary")
    jpn, phl = seed(base, out=lambda *a: None)
    nodes = {"JPN": jpn, "PHL": phl}
    for node in nodes.values():
        node.clock = lambda: NOW
        _register_activity(node)
        _as_security_officer(node)
    with ExitStack() as stack:
        clients: dict[str, TestClient] = {}
        for reader in READERS:
            node = nodes[reader.node]
            client = stack.enter_context(client_for(node))
            login(client, node, enrol(node, reader.user))
            clients[reader.name] = client
        before = {r.name: {url: clients[r.name].get(url).content
                           for url in aggregate_urls(r.node)}
                  for r in READERS if not r.cleared}
        number, invoice, sha = make_canary(jpn, phl, base / "bundles")
        hashes = _event_hashes(jpn, number)
        assert len(hashes) >= 5, hashes
        for reader in READERS:  # those cleared open it: the access log names it
            if reader.cleared:
                client = clients[reader.name]
                for url in (f"/orders/{number}", f"/api/v1/orders/{number}",
                            f"/documents/invoice/{number}", f"/evidence/{sha}"):
                    assert client.get(url).status_code == 200, (reader.name, url)
        visible = {p: _visible_order(n) for p, n in nodes.items()}
        assert "None" not in visible.values(), visible
        yield Canary(nodes, clients, number, invoice, sha, hashes, visible, before)
    for node in nodes.values():
        node.engine.dispose()

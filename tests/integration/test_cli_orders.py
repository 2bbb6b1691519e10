"""The ``acsa`` command line on real nodes (SQLite, and PostgreSQL when available).

Commands run in-process through Typer's runner with ``ACSA_DATA_DIR`` and
``ACSA_DATABASE_URL`` set as an operator would. Except in the first test,
the node each command opens is the test's own (same database, a clock the
test sets), so that business dates are the test's, not today's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import typer
from click.testing import CliRunner, Result
from sqlalchemy import func, select

import acsa.cli
from acsa.cli import common
from acsa.devtools.exercise import Exercise
from acsa.profiles import shipped_profile
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

from .twonodes import AGREEMENT, copy_events, set_day, setup_pair

D = date
runner = CliRunner()
acsa.cli._register()
# Typer builds the Click command from the app's signatures on every call; build it once.
COMMAND = typer.main.get_command(acsa.cli.app)
X = Exercise(shipped_profile(AGREEMENT))


def events(node: Node) -> int:
    with UnitOfWork(node, write=False) as uow:
        return int(uow.conn.execute(select(func.count()).select_from(T.events)).scalar_one())


class Cli:
    """``acsa …`` against one node, as an operator types it."""

    def __init__(self, node: Node, opened: list[Node] | None = None) -> None:
        self.node = node
        self.opened = opened  # nodes the command opened itself, closed after each command
        self.env: dict[str, str | None] = {
            "ACSA_DATA_DIR": str(node.data_dir),
            "ACSA_DATABASE_URL": node.engine.url.render_as_string(hide_password=False),
            "ACSA_USER": None,
            "ACSA_NODE": None,
        }

    def __call__(self, *args: str) -> str:
        """Run a command that must succeed; its standard output."""
        result = self.invoke(args)
        assert result.exit_code == 0, f"{args}: {result.output}"
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))

    def fails(self, *args: str) -> str:
        """Run a command that must be refused: one line on stderr, nothing kept."""
        before = events(self.node)
        result = self.invoke(args)
        assert result.exit_code != 0, f"{args} succeeded: {result.stdout}"
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert events(self.node) == before
        return lines[0]

    def invoke(self, args: tuple[str, ...]) -> Result:
        try:
            return runner.invoke(COMMAND, list(args), env=self.env)
        finally:
            # A command's process ends with it; in-process, its engine's pooled
            # connections must be closed here.
            while self.opened:
                self.opened.pop().engine.dispose()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Node]:
    """Commands open their node the real way (settings, engine, migrations), tracked."""
    found: list[Node] = []
    real = common.open_node

    def tracked(settings: Any, **kw: Any) -> Node:
        node = real(settings, **kw)
        found.append(node)
        return node

    monkeypatch.setattr(common, "open_node", tracked)
    return found


@pytest.fixture
def own_nodes(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[Path, Node]]:
    """Commands open the test's node objects (and so their clocks) by data directory."""
    nodes: dict[Path, Node] = {}
    monkeypatch.setattr(common, "open_node",
                        lambda settings, **kw: nodes[Path(settings.data_dir).resolve()])
    yield nodes


@pytest.fixture
def pair(make_node, own_nodes):  # type: ignore[no-untyped-def]
    jpn, phl = make_node("JPN"), make_node("PHL")
    setup_pair(jpn, phl)
    for n in (jpn, phl):
        own_nodes[n.data_dir.resolve()] = n
    return Cli(jpn), Cli(phl)


def copy(source: Cli, target: Cli) -> None:
    copy_events(source.node, target.node)


def day(d: date, *clis: Cli) -> None:
    set_day(d, *(c.node for c in clis))


OPTIONS = [
    "--agreement", AGREEMENT, "--activity", "KAMANDAG-10",
    "--activity-type", "bilateral_training", "--method", "cash", "--needed-by", "2026-03-01",
    "--deliver-to", "Subic Bay, Pier 3", "--poc", "Capt. Reyes, +63 2 8911 0000",
    "--fund-citation", "PHL-FY26-OPS-0042",
]


def submit(phl: Cli, tmp_path: Path, lines: list[tuple[str, str, str, str, str]] | None = None,
           method: str = "cash", requester: str = "PHL", supplier: str = "JPN") -> str:
    """Submit terms from a JSON file; the new order's number."""
    terms = X.terms(requester, supplier,
                    lines or [("pol", "Diesel fuel F-76", "10000", "L", "152.5")], method=method)
    path = tmp_path / "terms.json"
    path.write_text(json.dumps(terms))
    who = "phl.ordering" if requester == "PHL" else "jpn.ordering"
    return str(phl.json("order", "submit", "--file", str(path), "--as", who)["order"])


def accepted(jpn: Cli, phl: Cli, tmp_path: Path, **kw: Any) -> str:
    number = submit(phl, tmp_path, **kw)
    copy(phl, jpn)
    jpn("order", "accept", number, "--unit", "JGSDF-1HB", "--as", "jpn.approving")
    copy(jpn, phl)
    return number


def ticket(tmp_path: Path, name: str = "delivery-ticket.pdf") -> str:
    """A delivery ticket file to hand over with a delivery (``--ticket``): the agreement's
    evidence policy asks it before the invoice."""
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4 delivery ticket " + name.encode())
    return str(path)


def received(jpn: Cli, phl: Cli, tmp_path: Path, quantity: str = "10000", **kw: Any) -> str:
    """An order PHL asks of JPN, accepted, delivered and received today."""
    number = accepted(jpn, phl, tmp_path, **kw)
    jpn("order", "deliver", number, "--line", f"1={quantity}", "--ticket", ticket(tmp_path),
        "--as", "jpn.supply")
    copy(jpn, phl)
    phl("order", "receive", number, "--delivery", "1", "--as", "phl.receiving")
    copy(phl, jpn)
    return number


# -- administration (through the real start-up path: settings, open_node, migrations) ---------


def test_administering_a_node(make_node, opened):
    phl = Cli(make_node("PHL"), opened)
    assert "added user phl.admin" in phl("user", "add", "phl.admin", "--name", "Mark Dela Cruz",
                                         "--role", "administrator", "--tz", "Asia/Manila")
    assert "--as" in phl.fails("user", "add", "phl.aud", "--name", "A", "--role", "auditor")
    assert "invalid_value" in phl.fails("user", "add", "phl.aud", "--name", "A", "--role",
                                        "wizard", "--as", "phl.admin")
    assert "adopted JPN-PHL-ACSA" in phl("agreement", "adopt", AGREEMENT, "--as", "phl.admin")
    [listed] = phl.json("agreement", "list")
    assert (listed["id"], listed["adopted_here"]) == (AGREEMENT, True)
    shown = phl("agreement", "show", AGREEMENT)
    assert "short_id = JP-PH" in shown and "settlement.cash_payment_days = 30" in shown
    assert "status = signed" in shown
    # The entry into force, as the Philippine administrator records it.
    assert "on: cannot be before the signature, 2026-01-15" in phl.fails(
        "agreement", "enter-into-force", AGREEMENT, "--on", "2026-01-01", "--reference",
        "Exchange of notes", "--as", "phl.admin")
    recorded = phl.json("agreement", "enter-into-force", AGREEMENT, "--on", "2026-02-01",
                        "--reference", "Exchange of notes of 1 February 2026",
                        "--as", "phl.admin")
    assert (recorded["version"], recorded["in_force_on"]) == ("2026.3+2026-02-01", "2026-02-01")
    assert [(a["version"], a["status"], a["adopted_by"]) for a in phl.json("agreement", "list")
            ] == [("2026.3", "signed", ["PHL"]), ("2026.3+2026-02-01", "in_force", ["PHL"])]
    assert "in_force_on = 2026-02-01" in phl("agreement", "show", AGREEMENT)
    phl("unit", "add", "AFP-TOG1", "--agreement", AGREEMENT, "--name",
        "Tactical Operations Group 1, PAF", "--as", "phl.admin")
    assert "AFP-TOG1" in phl("unit", "list")
    phl("activity", "add", "KAMANDAG-10", "--agreement", AGREEMENT, "--name", "Kamandag 10",
        "--type", "bilateral_training", "--from", "2026-05-01", "--to", "2026-06-01",
        "--as", "phl.admin")
    assert phl.json("activity", "list")[0]["type"] == "bilateral_training"
    phl("user", "add", "phl.finance", "--name", "Liza Garcia", "--role", "finance_officer",
        "--unit", "AFP-TOG1", "--as", "phl.admin")
    appointed = phl.json("user", "appoint", "phl.finance", "--agreement", AGREEMENT,
                         "--role", "finance_officer", "--from", "2026-01-15",
                         "--limit", "PHP=5000000", "--as", "phl.admin")
    assert "phl.finance" in phl("user", "list")
    [roster] = phl.json("user", "list", "--appointments")
    assert (roster["id"], roster["limits"]) == (appointed["appointment"], {"PHP": 500000000})
    phl("rate", "add", "--agreement", AGREEMENT, "--on", "2026-03-01", "--base", "JPY",
        "--quote", "PHP", "--rate", "0.38", "--as", "phl.finance")
    assert phl.json("rate", "list")[0]["rate"] == "0.38"
    phl("user", "revoke", appointed["appointment"][:10], "--agreement", AGREEMENT,
        "--as", "phl.admin")
    assert "not_appointed" in phl.fails("rate", "add", "--agreement", AGREEMENT, "--on",
                                        "2026-03-02", "--base", "JPY", "--quote", "PHP",
                                        "--rate", "0.39", "--as", "phl.finance")


# -- orders -------------------------------------------------------------------------------------


def test_a_cash_order_from_draft_to_settled(pair, tmp_path):
    jpn, phl = pair
    day(D(2026, 2, 3), jpn, phl)
    saved = phl("order", "create", *OPTIONS, "--supplier", "JPN", "--unit", "AFP-TOG1",
                "--line", "pol|Diesel fuel F-76|10000|L|152.5", "--note", "for the convoy",
                "--as", "phl.ordering")
    assert saved.startswith("saved draft 1")
    line = phl("order", "submit", "1", "--as", "phl.ordering")
    number = "JP-PH/PHL/FY2026/00001"
    assert line.startswith(f"submitted {number} (event ") and line.rstrip().endswith(
        "now submitted")
    copy(phl, jpn)

    assert "not_appointed" in jpn.fails("order", "accept", number, "--unit", "JGSDF-1HB",
                                        "--as", "jpn.supply")
    assert jpn.fails("order", "accept", number, "--unit", "JGSDF-1HB", "--if-match", "0" * 64,
                     "--as", "jpn.approving").startswith("error: conflict: ")
    head = jpn.json("order", "show", number)["head"]
    done = jpn.json("order", "accept", number, "--unit", "JGSDF-1HB", "--if-match", head,
                    "--as", "jpn.approving")
    assert (done["order"], done["status"], done["type"]) == (number, "accepted",
                                                             "order.accepted")
    assert done["seq"] > 0 and len(done["event"]) == 64
    copy(jpn, phl)

    ticket = tmp_path / "meter-ticket-0042.pdf"
    ticket.write_bytes(b"%PDF-1.4 meter ticket 0042")
    assert "tolerance_exceeded" in jpn.fails("order", "deliver", number, "--line", "1=12000",
                                             "--evidence", str(ticket), "--as", "jpn.supply")
    day(D(2026, 2, 11), jpn, phl)
    jpn("order", "deliver", number, "--line", "1=9800", "--ticket", str(ticket),
        "--as", "jpn.supply", "--on", "2026-02-10")
    copy(jpn, phl)
    phl("order", "receive", number, "--delivery", "1", "--line", "1=9700:100",
        "--as", "phl.receiving", "--on", "2026-02-10")
    copy(phl, jpn)
    day(D(2026, 2, 12), jpn, phl)
    invoiced = jpn("order", "invoice", number, "--as", "jpn.finance", "--on", "2026-02-12")
    assert "invoice INV/JPN/FY2025/00001 for 1,479,250 JPY, due 2026-03-14" in invoiced
    copy(jpn, phl)
    assert "invalid_value" in phl.fails("order", "pay", "--allocate", f"{number}:1",
                                        "--reference", "LBP-1", "--as", "phl.finance")
    day(D(2026, 3, 2), jpn, phl)
    paid = phl("order", "pay", "--allocate", f"{number}:INV/JPN/FY2025/00001:1479250",
               "--reference", "LBP-1", "--as", "phl.finance", "--on", "2026-03-01")
    assert paid.startswith("recorded payment PAY/PHL/00001")
    copy(phl, jpn)
    confirmed = jpn.json("order", "confirm-payment", "PAY/PHL/00001", "--as", "jpn.finance",
                         "--on", "2026-03-02")
    assert confirmed["orders"] == {number: "settled"}
    copy(jpn, phl)

    shown = phl("order", "show", number)
    assert f"{number}  SETTLED" in shown and "payment.confirmed" in shown
    # Amounts a person reads carry thousands separators; JSON keeps the exact text.
    assert "value 1,525,000" in shown and "settled 1,479,250" in shown
    assert "INV/JPN/FY2025/00001 (" in shown and ") 1,479,250 JPY, due" in shown
    assert ("payment PAY/PHL/00001 on 2026-03-01: 1,479,250 JPY for invoice "
            "INV/JPN/FY2025/00001, reference LBP-1; confirmed 2026-03-02, received "
            "1,479,250 JPY") in shown
    assert "1,525,000 JPY" in phl("order", "list", "--status", "settled", "--as", "phl.ordering")
    balances = phl("report", "balances", "--as", "phl.finance")
    assert "1,479,250" in balances and "1479250" not in balances
    assert phl.json("order", "show", number)["figures"]["value"] == "1525000"
    assert {r["settled"] for r in phl.json("report", "balances", "--as", "phl.finance")
            if r["currency"] == "JPY"} == {"1479250"}
    assert [o["number"] for o in phl.json("order", "list", "--status", "settled",
                                          "--as", "phl.ordering")] == [number]
    details = phl.json("order", "show", number)
    assert details["deliveries"][0]["evidence"][0]["name"] == "meter-ticket-0042.pdf"
    assert details["timeline"][1]["actor"]["user"] == "jpn.approving"


def test_proposals_changes_disputes_and_transfers(pair, tmp_path):
    jpn, phl = pair
    day(D(2026, 2, 3), jpn, phl)
    a = submit(phl, tmp_path)
    copy(phl, jpn)
    jpn("order", "propose", a, "--price", "1=155", "--reason", "February price list",
        "--as", "jpn.approving")
    copy(jpn, phl)
    assert phl("order", "confirm", a, "--as", "phl.ordering").rstrip().endswith("now submitted")
    copy(phl, jpn)
    jpn("order", "accept", a, "--unit", "JGSDF-1HB", "--as", "jpn.approving")
    copy(jpn, phl)
    phl("order", "amend", a, "--quantity", "1=12000", "--reason", "the exercise grew",
        "--as", "phl.ordering")
    copy(phl, jpn)
    jpn("order", "respond", a, "--request", "1", "--accept", "--as", "jpn.approving")
    day(D(2026, 2, 10), jpn, phl)
    jpn("order", "deliver", a, "--line", "1=12000", "--ticket", ticket(tmp_path),
        "--as", "jpn.supply")
    copy(jpn, phl)
    phl("order", "receive", a, "--delivery", "1", "--as", "phl.receiving")
    phl("order", "dispute", a, "--about", "1", "--reason", "the gauge shows 11,900 L",
        "--as", "phl.receiving")
    phl("order", "resolve", a, "--resolution", "joint gauge reading", "--adjust", "1:1=11900",
        "--as", "phl.receiving")
    copy(phl, jpn)
    assert jpn("order", "resolve", a, "--sign", "1", "--as", "jpn.supply").rstrip().endswith(
        "now received")
    day(D(2026, 2, 12), jpn, phl)
    jpn("order", "invoice", a, "--as", "jpn.finance")
    jpn("order", "void-invoice", a, "--invoice", "1", "--reason", "wrong price",
        "--as", "jpn.finance")
    assert "INV/JPN/FY2025/00002" in jpn("order", "invoice", a, "--replaces", "1",
                                         "--as", "jpn.finance")
    jpn("order", "credit-note", a, "--invoice", "INV/JPN/FY2025/00002", "--amount", "1000",
        "--reason", "goodwill", "--as", "jpn.finance")
    copy(jpn, phl)
    phl("order", "pay", "--allocate", f"{a}:2:1843500", "--reference", "LBP-7",
        "--as", "phl.finance")  # 11,900 L × 155 − 1,000
    copy(phl, jpn)
    jpn("order", "confirm-payment", "PAY/PHL/00001", "--received", f"{a}:2:1840000",
        "--as", "jpn.finance")
    assert jpn.json("order", "write-off", a, "--invoice", "2", "--amount", "3500", "--reason",
                    "bank charges", "--as", "jpn.finance")["status"] == "settled"
    copy(jpn, phl)

    phl("order", "transfer-request", a, "--to", "USA", "--line", "1=1000", "--reason",
        "trilateral exercise", "--as", "phl.ordering")
    assert "consent_missing" in phl.fails("order", "transfer", a, "--as", "phl.supply")
    copy(phl, jpn)
    jpn("order", "transfer-consent", a, "--as", "jpn.approving")
    copy(jpn, phl)
    phl("order", "transfer", a, "--request", "1", "--as", "phl.supply")
    assert phl.json("order", "show", a)["transfers"][0]["done_on"] == "2026-02-12"

    b, c, d = (submit(phl, tmp_path) for _ in range(3))
    copy(phl, jpn)
    jpn("order", "reject", b, "--reason", "no stock", "--as", "jpn.approving")
    phl("order", "withdraw", c, "--reason", "raised twice", "--as", "phl.ordering")
    jpn("order", "accept", d, "--unit", "JGSDF-1HB", "--as", "jpn.approving")
    copy(jpn, phl)
    phl("order", "close-short", d, "--reason", "enough fuel", "--as", "phl.ordering")
    copy(phl, jpn)
    jpn("order", "respond", d, "--decline", "--as", "jpn.approving")
    copy(jpn, phl)
    phl("order", "cancel", d, "--reason", "exercise called off", "--as", "phl.ordering")
    copy(phl, jpn)
    jpn("order", "respond", d, "--accept", "--as", "jpn.approving")
    copy(jpn, phl)
    listed = {o["number"]: o["status"] for o in phl.json("order", "list", "--as", "phl.ordering")}
    assert listed == {a: "settled", b: "rejected", c: "cancelled", d: "cancelled"}
    first = phl("order", "list", "--limit", "2", "--as", "phl.ordering")
    assert "2 of 4 (more: --after " in first
    cursor = first.rsplit("--after ", 1)[1].rstrip(")\n")
    page_one = phl.json("order", "list", "--limit", "2", "--as", "phl.ordering")
    page_two = phl.json("order", "list", "--after", cursor, "--as", "phl.ordering")
    assert {o["number"] for o in page_one + page_two} == set(listed)
    assert len(page_one + page_two) == 4


def test_settlement_in_kind_and_an_emergency_order(pair, tmp_path):
    jpn, phl = pair
    day(D(2026, 2, 10), jpn, phl)
    r = received(jpn, phl, tmp_path, quantity="500", method="rik",
                 lines=[("food", "Ration, MRE", "500", "EA", "1200")])
    day(D(2026, 6, 1), jpn, phl)
    phl("order", "return-in-kind", r, "--line", "1=200", "--description", "wrong grade",
        "--as", "phl.supply")
    copy(phl, jpn)
    jpn("order", "accept-return", r, "--reject", "--reason", "off-specification",
        "--as", "jpn.receiving")
    phl("order", "return-in-kind", r, "--line", "1=200", "--description", "same grade",
        "--as", "phl.supply")
    copy(phl, jpn)
    assert "missing_field" in jpn.fails("order", "accept-return", r, "--reject",
                                        "--as", "jpn.receiving")
    jpn("order", "accept-return", r, "--as", "jpn.receiving")
    assert "deadline_not_reached" in jpn.fails("order", "convert-to-cash", r,
                                               "--as", "jpn.finance")
    day(D(2027, 2, 11), jpn, phl)
    converted = jpn("order", "convert-to-cash", r, "--price", "1=1350", "--as", "jpn.finance")
    assert "405,000 now owed in cash" in converted  # 300 still owed × 1,350
    assert "INV/JPN/FY2026/00001" in jpn("order", "invoice", r, "--kind", "conversion",
                                         "--as", "jpn.finance")

    day(D(2027, 8, 1), jpn, phl)
    recorded = jpn.json("order", "emergency", "--requested-by", "radio, Lt. Cruz",
                        "--agreement", AGREEMENT, "--activity", "TYPHOON-ODETTE",
                        "--activity-type", "hadr", "--requester", "PHL", "--unit", "AFP-TOG1",
                        "--supplying-unit", "JMSDF-ESF1", "--method", "cash",
                        "--needed-by", "2027-08-02", "--deliver-to", "Tacloban",
                        "--poc", "Col. Reyes", "--fund-citation", "PHL-FY27-HADR-7",
                        "--line", "water|Potable water|5000|L|30", "--as", "jpn.approving")
    assert (recorded["order"], recorded["status"]) == ("JP-PH/JPN/FY2027/E00001", "accepted")
    copy(jpn, phl)
    day(D(2027, 8, 12), jpn, phl)
    phl("order", "confirm-emergency", recorded["order"], "--as", "phl.ordering")
    note = phl.json("order", "show", recorded["order"])["timeline"][-1]["verdict"]["note"]
    assert note.startswith("confirmed late: 4 day(s)")


def truck_trips_each_way(jpn, phl, tmp_path) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Truck trips delivered and received each way, to be settled by exchange: PHL's
    order a (12 trips by JPN, JPY 600,000) and JPN's order b (10 trips by PHL)."""
    a = received(jpn, phl, tmp_path, quantity="12", method="eve",
                 lines=[("transportation", "Truck, 3½ t", "12", "TRIP", "50000")])
    b = submit(jpn, tmp_path, method="eve", requester="JPN", supplier="PHL",
               lines=[("transportation", "Truck, 5 t", "10", "TRIP", "25000.00")])
    copy(jpn, phl)
    phl("order", "accept", b, "--unit", "AFP-TOG1", "--as", "phl.approving")
    phl("order", "deliver", b, "--line", "1=10", "--ticket", ticket(tmp_path), "--as", "phl.supply")
    copy(phl, jpn)
    jpn("order", "receive", b, "--delivery", "1", "--as", "jpn.receiving")
    return a, b


def test_exchange_and_offset_statements(pair, tmp_path):
    jpn, phl = pair
    day(D(2026, 2, 10), jpn, phl)
    a, b = truck_trips_each_way(jpn, phl, tmp_path)
    day(D(2026, 3, 1), jpn, phl)
    linked = jpn("order", "link-exchange", a, b, "--currency", "PHP", "--rate", "JPY/PHP=0.38",
                 "--as", "jpn.finance")
    assert linked.startswith("proposed exchange EVE/JPN/00001")
    assert "residual 22,000.00 PHP owed to PHL" in linked
    copy(jpn, phl)
    signed = phl.json("order", "sign-exchange", "EVE/JPN/00001", "--as", "phl.finance")
    # Nothing is owed on a itself, but the exchange closes as a whole: both are settling
    # until the residual billed on b is paid.
    assert signed["orders"] == {a: "settling", b: "settling"}

    x = received(jpn, phl, tmp_path, lines=[("food", "Rations", "100", "EA", "1000")],
                 quantity="100")
    y = submit(jpn, tmp_path, requester="JPN", supplier="PHL",
               lines=[("food", "Rice", "300", "KG", "100.00")])
    copy(jpn, phl)
    phl("order", "accept", y, "--unit", "AFP-TOG1", "--as", "phl.approving")
    phl("order", "deliver", y, "--line", "1=300", "--ticket", ticket(tmp_path),
        "--as", "phl.supply")
    copy(phl, jpn)
    jpn("order", "receive", y, "--delivery", "1", "--as", "jpn.receiving")
    copy(jpn, phl)
    jpn("order", "invoice", x, "--as", "jpn.finance")
    phl("order", "invoice", y, "--as", "phl.finance")
    copy(jpn, phl)
    proposed = phl("statement", "offset", "--invoice", f"{x}:1", "--invoice", f"{y}:1",
                   "--currency", "PHP", "--rate", "JPY/PHP=0.38", "--as", "phl.finance")
    assert proposed.startswith("proposed offset OFS/PHL/00001") and "nets 30,000.00 PHP" in proposed
    copy(phl, jpn)
    assert "not_authorized" in phl.fails("statement", "sign", "OFS/PHL/00001",
                                         "--as", "phl.finance")
    jpn("statement", "sign", "OFS/PHL/00001", "--as", "jpn.finance")
    group = jpn("statement", "--help")
    assert "offset" in group and "balance" in group  # one group, both kinds of statement
    [statement] = jpn.json("statement", "list", "--as", "jpn.finance")
    assert (statement["state"], statement["signed_by"]) == ("signed", "JPN")
    assert "OFS/PHL/00001" in jpn("statement", "list", "--as", "jpn.finance")
    assert "--as USER" in jpn.fails("statement", "list")  # the books are read by someone


def test_refusals_print_one_line_and_keep_nothing(pair, tmp_path):
    jpn, phl = pair
    day(D(2026, 2, 3), jpn, phl)
    number = submit(phl, tmp_path)
    assert "unknown_reference" in phl.fails("order", "show", "JP-PH/PHL/FY2026/99999")
    assert "unknown_reference" in phl.fails("order", "submit", "42", "--as", "phl.ordering")
    assert "missing_field" in phl.fails("order", "submit", "--as", "phl.ordering")
    assert "unknown_reference" in phl.fails("order", "accept", number, "--as", "nobody")
    assert "invalid_value" in phl.fails("order", "deliver", number, "--line", "one=10",
                                        "--as", "phl.supply")
    assert "not_authorized" in phl.fails("order", "invoice", number, "--as", "phl.finance")
    assert "invalid_value" in phl.fails("order", "list", "--status", "lost")
    assert "invalid_value" in phl.fails("statement", "offset", "--invoice", "nonsense",
                                        "--currency", "PHP", "--as", "phl.finance")
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    assert "must hold a JSON object" in phl.fails("order", "submit", "--file", str(empty),
                                                  "--as", "phl.ordering")


def test_with_json_a_refusal_is_one_json_line_with_its_code_and_values(pair, tmp_path):
    jpn, phl = pair
    day(D(2026, 2, 3), jpn, phl)
    number = submit(phl, tmp_path)
    copy_events(phl.node, jpn.node)
    before = events(jpn.node)
    result = jpn.invoke(("order", "accept", number, "--as", "jpn.supply", "--json"))
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    refusal = json.loads(line)
    assert (refusal["code"], refusal["field"]) == ("not_appointed", "user")
    assert refusal["params"]["user"] == "jpn.supply"
    assert refusal["params"]["date"] == "2026-02-03"
    assert "approving_official" in refusal["params"]["role"]
    assert events(jpn.node) == before


def test_amounts_for_a_person_carry_thousands_separators():
    """Only the grouping of the digits changes: exact text in, exact digits out."""
    grouped = common.grouped
    assert grouped("1526500") == "1,526,500" and grouped("-49390.00") == "-49,390.00"
    assert grouped("1526500 JPY") == "1,526,500 JPY" and grouped("0.05") == "0.05"
    assert grouped("1234.567") == "1,234.567" and grouped("999") == "999"
    assert grouped("-") == "-" and grouped("n/a") == "n/a" and grouped("1e5") == "1e5"

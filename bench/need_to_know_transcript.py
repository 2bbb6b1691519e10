"""A transcript of need to know: an officer classifies an order SECRET when creating it.

On the seeded demonstration nodes (JPN and PHL), PHL's ordering official —
cleared SECRET and assigned to the operation by PHL's security officer —
creates and submits an order classified SECRET with ``acsa order create
--marking SECRET``. It is carried to JPN, accepted, delivered, received and
invoiced by officials Japan cleared 極秘. Before and after, an uncleared reader
on each node (the finance officers) reads the dashboard, the balances and the
aging: the figures do not move. A cleared reader opens the order; the
security officer's access log names the opening with its marking.

    .venv/bin/python -m bench.need_to_know_transcript > docs/need-to-know-transcript.txt
"""

from __future__ import annotations

import json
import re
import tempfile
import warnings
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyotp
import typer
from click.testing import CliRunner

import acsa.cli
from acsa.devtools.demo import AGREEMENT, seed
from acsa.devtools.world import as_official, carry, user_id
from acsa.domain.parties import Role
from acsa.services import admin, admin_views, auth, orders, settlement, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

NOW = datetime(2026, 12, 1, 3, tzinfo=UTC)
ACTIVITY = "OPLAN-KESTREL"
CLEARED = {"PHL": ("SECRET", ("ordering", "receiving", "auditor")),
           "JPN": ("極秘", ("approving", "supply", "finance"))}
UNCLEARED = {"PHL": "phl.finance", "JPN": "jpn.ordering"}


def out(line: str = "") -> None:
    print(line, flush=True)


PASSWORD = "quartermaster-harbour-2026"


def session(node: Node, who: str) -> TestClient:
    """A browser-like client logged in as ``who`` (password and one-time code)."""
    with UnitOfWork(node) as uow:
        actor = users.get_user(uow, user_id(node.party, Role.ADMINISTRATOR))
        auth.set_password(uow, actor, who, PASSWORD)
        secret = auth.enrol_totp(uow, actor, who).secret
    client = TestClient(create_app(node), base_url="https://testserver")
    answer = client.post("/auth/login", json={
        "user": who, "password": PASSWORD, "code": pyotp.TOTP(secret).at(node.clock())},
        headers={"Accept": "application/json"})
    if answer.status_code != 200:
        raise SystemExit(f"login of {who} refused: {answer.text}")
    return client


def token(node: Node, who: str) -> dict[str, str]:
    with UnitOfWork(node) as uow:
        made = auth.create_token(uow, users.get_user(uow, who), user_id=who,
                                 name="transcript", scopes=["read", "act", "admin"])
    return {"Authorization": f"Bearer {made.secret}"}


def prepare(node: Node) -> None:
    """What each node's administrator and security officer do first."""
    with UnitOfWork(node) as uow:
        boss = users.get_user(uow, user_id(node.party, Role.ADMINISTRATOR))
        admin.register_activity(uow, boss, agreement=AGREEMENT, activity_id=ACTIVITY,
                                name="Operation Kestrel", type="hadr",
                                starts_on=date(2026, 11, 1))
    level, roles = CLEARED[node.party]
    for role in roles:
        who = f"{node.party.lower()}.{role}"
        as_official(node, Role.SECURITY_OFFICER, admin_views.set_clearance, who, level)
        as_official(node, Role.SECURITY_OFFICER, admin_views.assign, who, [ACTIVITY])
        out(f"  {node.party} security officer: {who} cleared {level}, assigned to {ACTIVITY}")


def figures(client: TestClient) -> dict[str, Any]:
    """What an uncleared reader sees: balances, aging and the dashboard's amounts due."""
    balances = client.get("/api/v1/reports/balances").json()["data"]
    aging = client.get("/api/v1/reports/aging").json()["summary"]
    page = client.get("/").text
    due = page[page.index('id="due-h"'):page.index("</section>", page.index('id="due-h"'))]
    rows = [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r)]
            for r in re.findall(r"<tr[^>]*>(.*?)</tr>", due, flags=re.S)]
    return {
        "balances": [f"{b['debtor']}→{b['creditor']} {b['currency']} outstanding "
                     f"{b['outstanding']}" for b in balances],
        "aging": [f"{a['debtor']}→{a['creditor']} {a['currency']} "
                  + ", ".join(f"{k} {v}" for k, v in sorted(a["buckets"].items()))
                  for a in aging],
        "dashboard, amounts due": [" ".join(r[:4]) for r in rows if r],
    }


def show(label: str, seen: dict[str, Any]) -> None:
    out(f"  {label}:")
    for name, lines in seen.items():
        for line in lines:
            out(f"    {name:<22} {line}")


def create_secret_order(phl: Node) -> str:
    """``acsa order create … --marking SECRET`` and ``acsa order submit``, as PHL's
    ordering official types them."""
    acsa.cli._register()
    command = typer.main.get_command(acsa.cli.app)
    acsa.cli.orders.node = lambda: phl  # the command opens this node, with its clock
    args = ["order", "create", "--as", "phl.ordering", "--supplier", "JPN",
            "--agreement", AGREEMENT, "--activity", ACTIVITY, "--unit", "AFP-NFL",
            "--method", "cash", "--currency", "JPY", "--fund-citation", "PN-FY2026-OPS-17",
            "--needed-by", "2026-12-20", "--deliver-to", "Pier 4, Subic Bay",
            "--poc", "Lt. Reyes, +63 917 000 0000",
            "--line", "spare_parts|Radar module, pier 4 berth 2|1|EA|7777777",
            "--marking", "SECRET", "--json"]
    out("$ acsa order create " + " ".join(a if " " not in a else repr(a) for a in args[2:]))
    created = CliRunner().invoke(command, args)
    if created.exit_code != 0:
        raise SystemExit(created.output)
    draft = json.loads(created.stdout)["draft"]
    terms = json.loads(created.stdout)["terms"]
    out(f"  saved draft {draft}, marked {terms.get('marking')}")
    args = ["order", "submit", str(draft), "--as", "phl.ordering"]
    out("$ acsa " + " ".join(args))
    submitted = CliRunner().invoke(command, args)
    if submitted.exit_code != 0:
        raise SystemExit(submitted.output)
    out("  " + submitted.stdout.strip())
    return submitted.stdout.split()[1]


def settle_to_invoice(jpn: Node, phl: Node, number: str, bundles: Path) -> None:
    carry(phl, jpn, bundles)
    as_official(jpn, Role.APPROVING_OFFICIAL, orders.accept, number, supplying_unit="JMSDF-ESF1")
    as_official(jpn, Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "1")])
    carry(jpn, phl, bundles)
    as_official(phl, Role.RECEIVING_OFFICIAL, orders.receive, number, "1")
    carry(phl, jpn, bundles)
    event = as_official(jpn, Role.FINANCE_OFFICER, settlement.issue_invoice, number)
    carry(jpn, phl, bundles)
    out(f"  carried to JPN; accepted, delivered, received; invoiced "
        f"{event.envelope.data['number']} for JPY {event.envelope.data['total']}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        jpn, phl = seed(Path(tmp), out=lambda *a: None)
        nodes = {"JPN": jpn, "PHL": phl}
        for node in nodes.values():
            node.clock = lambda: NOW
        out("Need to know, on the seeded demonstration nodes (2026-12-01)")
        out()
        for node in nodes.values():
            prepare(node)
        clients = {p: TestClient(create_app(n), base_url="https://testserver")
                   for p, n in nodes.items()}
        readers = {p: session(nodes[p], UNCLEARED[p]) for p in nodes}
        before = {p: figures(readers[p]) for p in nodes}
        out()
        number = create_secret_order(phl)
        settle_to_invoice(jpn, phl, number, Path(tmp) / "bundles")
        after = {p: figures(readers[p]) for p in nodes}
        for party in ("PHL", "JPN"):
            out()
            out(f"{UNCLEARED[party]} (not cleared for it) on the {party} node:")
            show("before the SECRET order", before[party])
            show("after it was invoiced", after[party])
            out(f"  unchanged: {before[party] == after[party]}")
            listed = readers[party].get("/api/v1/orders", params={"q": "radar module"}).json()
            opened = readers[party].get(f"/api/v1/orders/{number}")
            out(f"  the order in their list: {listed['count']}; opening it: "
                f"{opened.status_code} {opened.json()['code']}")
        out()
        cleared = token(phl, "phl.auditor")
        shown = clients["PHL"].get(f"/api/v1/orders/{number}", headers=cleared).json()
        out(f"phl.auditor (cleared SECRET) opens {number}: status {shown['status']}, "
            f"marking {shown['marking']['display']}")
        for b in clients["PHL"].get("/api/v1/reports/balances", headers=cleared).json()["data"]:
            out(f"  their balances: {b['debtor']}→{b['creditor']} {b['currency']} "
                f"outstanding {b['outstanding']}")
        log = clients["PHL"].get("/api/v1/access-log", params={"user": "phl.auditor"},
                                 headers=cleared).json()["data"]
        line = next(e for e in reversed(log) if e["action"] == "order.read")
        out(f"  access log: #{line['id']} {line['at']} {line['user_id']} {line['action']} "
            f"{line['target']} from {line['address']}")
        for client in (*clients.values(), *readers.values()):
            client.close()


if __name__ == "__main__":
    main()

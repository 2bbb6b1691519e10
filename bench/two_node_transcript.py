"""A two-node transcript: JPN and PHL as separate `acsa serve` processes on loopback.

An order submitted on PHL appears on JPN within a second of the push; JPN
accepts and delivers, PHL receives, JPN invoices, PHL pays, JPN confirms;
`acsa reconcile` reports zero differences; then PHL rewrites its history
(restores an old backup and records something else in the same positions)
and we show what JPN reports. Run::

    PYTHONPATH=src:. .venv/bin/python bench/two_node_transcript.py > docs/federation-transcript.txt
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from acsa.bootstrap import init_node, open_node
from acsa.config import Settings
from acsa.devtools.exercise import Exercise
from acsa.devtools.world import as_official, staff_node, user_id
from acsa.domain.parties import Role
from acsa.profiles import shipped_profile
from acsa.services import orders, settlement, users
from acsa.services.node import Node
from acsa.services.peers import add_peer
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T


def port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def say(text: str) -> None:
    print(text, flush=True)


class Live:
    def __init__(self, party: str, base: Path) -> None:
        self.party, self.dir, self.port = party, base / party.lower(), port()
        self.proc: subprocess.Popen[bytes] | None = None
        init_node(Settings(data_dir=self.dir), party).engine.dispose()
        self.node: Node = open_node(Settings(data_dir=self.dir))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {**os.environ, "ACSA_DATA_DIR": str(self.dir), "ACSA_SYNC_INTERVAL_S": "2"}

    def start(self) -> None:
        log = (self.dir.parent / f"{self.party.lower()}.log").open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "acsa", "serve", "--port",
                                      str(self.port)], env=self.env(), stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        while True:
            try:
                httpx.get(self.url + "/federation/v1/heads/x/y", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)

    def cli(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "acsa", *args], env=self.env(),
                              capture_output=True, text=True, timeout=60)
        return (done.stdout + done.stderr).rstrip()


def status(node: Node, number: str) -> str | None:
    with UnitOfWork(node, write=False) as uow:
        return uow.conn.execute(select(T.orders.c.status)
                                .where(T.orders.c.number == number)).scalar_one_or_none()


def wait_for(node: Node, number: str, wanted: str, timeout: float = 10) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if status(node, number) == wanted:
            return time.monotonic() - start
        time.sleep(0.02)
    raise SystemExit(f"{node.party} did not reach {wanted} for {number}")


def act(live: Live, role: Role, use_case: Any, *args: Any, **kw: Any) -> Any:
    return as_official(live.node, role, use_case, *args, **kw)


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="acsa-transcript-"))
    jpn, phl = Live("JPN", base), Live("PHL", base)
    for live in (jpn, phl):
        staff_node(live.node, ["JPN-PHL-ACSA"])
    for me, other in ((jpn, phl), (phl, jpn)):
        with UnitOfWork(me.node) as uow:
            admin = users.get_user(uow, user_id(me.party, Role.ADMINISTRATOR))
            add_peer(uow, admin, party=other.party, key_fingerprint=other.node.key.fingerprint,
                     base_url=other.url)
            uow.commit()
    try:
        jpn.start()
        phl.start()
        say(f"$ acsa serve  # JPN on {jpn.url}, PHL on {phl.url}, each its own process and DB")
        say("$ acsa sync now   # (on PHL) first contact: rosters and profiles travel")
        say(phl.cli("sync", "now"))
        time.sleep(1)
        backup = base / "phl-backup.db"
        x = Exercise(shipped_profile("JPN-PHL-ACSA"))
        terms = x.terms("PHL", "JPN", [("pol", "Diesel fuel F-76", "10000", "L", "152.5")],
                        needed_by="2026-12-20")
        submitted = act(phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms)
        number = submitted.envelope.subject
        took = wait_for(jpn.node, number, "submitted")
        say(f"PHL: order {number} submitted by {user_id('PHL', Role.ORDERING_OFFICIAL)}")
        say(f"JPN: {number} arrived {took * 1000:.0f} ms after the commit on PHL "
            "(PHL's worker saw the commit, pushed a notify, JPN pulled at once)")
        src = sqlite3.connect(phl.dir / "acsa.db")
        dst = sqlite3.connect(backup)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        act(jpn, Role.APPROVING_OFFICIAL, orders.accept, number, supplying_unit="JMSDF-ESF1")
        say(f"JPN: accepted            → PHL sees 'accepted' after "
            f"{wait_for(phl.node, number, 'accepted') * 1000:.0f} ms")
        delivery = act(jpn, Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "10000")])
        say(f"JPN: delivered 10000 L   → PHL sees 'delivered' after "
            f"{wait_for(phl.node, number, 'delivered') * 1000:.0f} ms")
        act(phl, Role.RECEIVING_OFFICIAL, orders.receive, number, delivery.hash[:12])
        say(f"PHL: received            → JPN sees 'received' after "
            f"{wait_for(jpn.node, number, 'received') * 1000:.0f} ms")
        invoice = act(jpn, Role.FINANCE_OFFICER, settlement.issue_invoice, number)
        total = invoice.envelope.data.get("total") or invoice.envelope.data.get("amount")
        time.sleep(1)
        say(f"JPN: invoice {invoice.envelope.data.get('number')} for {total} JPY "
            f"→ PHL sees '{status(phl.node, number)}' (invoiced, awaiting payment)")
        payment = act(phl, Role.FINANCE_OFFICER, settlement.record_payment,
                      [(number, invoice.hash[:12], str(total))], reference="SWIFT-0001")
        time.sleep(1.5)
        act(jpn, Role.FINANCE_OFFICER, settlement.confirm_payment, payment.hash[:12])
        say(f"PHL: paid; JPN: payment confirmed → PHL sees 'settled' after "
            f"{wait_for(phl.node, number, 'settled') * 1000:.0f} ms")
        time.sleep(2)
        say("\n$ acsa reconcile --peer PHL   # on JPN")
        say(jpn.cli("reconcile", "--peer", "PHL"))
        say("\n--- PHL restores an old backup by hand, without its high-water mark, and "
            "records different history ---")
        phl.stop()
        phl.node.engine.dispose()
        # `acsa restore` keeps the mark, and the node would then refuse to sign until it
        # fetched its lost events back (docs/restore-transcript.txt); here it is thrown away.
        (phl.dir / "high-water.json").unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm"):
            (phl.dir / f"acsa.db{suffix}").unlink(missing_ok=True)
        backup.rename(phl.dir / "acsa.db")
        phl.node = open_node(Settings(data_dir=phl.dir))
        other = act(phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms)
        say(f"PHL (restored from the backup taken after seq {other.envelope.seq - 1}): "
            f"records order "
            f"{other.envelope.subject} as seq {other.envelope.seq} (hash {other.hash[:12]}…), "
            "a position where JPN already holds PHL's signed receipt of the delivery")
        phl.start()
        time.sleep(4)
        say("\n$ acsa peer list   # on JPN")
        say(jpn.cli("peer", "list"))
        say("\n$ acsa peer alarms   # on JPN")
        say(jpn.cli("peer", "alarms"))
        say("\n$ acsa sync now --peer PHL   # on JPN: still refused")
        say(jpn.cli("sync", "now", "--peer", "PHL"))
        say("\n$ acsa verify   # on JPN: its own record is intact")
        say(jpn.cli("verify"))
    finally:
        jpn.stop()
        phl.stop()


if __name__ == "__main__":
    main()

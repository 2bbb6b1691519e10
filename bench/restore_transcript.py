"""A transcript of restoring a node and moving it to PostgreSQL, on two live nodes.

JPN (party to JPN–PHL and JPN–USA) and PHL run as separate `acsa serve`
processes on loopback. JPN is backed up while it serves; both nodes act and
PHL receives JPN's acts; JPN is stopped and restored (`acsa restore`):
before it has fetched its own events back it refuses to sign on its JPN–PHL
stream; started again, its first sync round takes them back from PHL's
copy, PHL's heads are untouched, no alarm is raised, and its next act
reaches PHL. Then the same with PHL offline (JPN's JPN–USA stream works
meanwhile), then reachable. Last, JPN moves from SQLite to PostgreSQL with
`acsa move-database`, and a node with history refuses an empty database.

    .venv/bin/python -m bench.restore_transcript > docs/restore-transcript.txt

PostgreSQL: $ACSA_TEST_POSTGRES_URL, else postgresql+psycopg://postgres@127.0.0.1:5432/test
(a database of its own is created and dropped).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url

from acsa.bootstrap import open_node
from acsa.config import Settings
from acsa.devtools.exercise import Exercise
from acsa.devtools.world import as_official, staff_node, user_id
from acsa.domain.parties import Role
from acsa.profiles import shipped_profile
from acsa.services import orders, users, witness
from acsa.services.peers import add_peer
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from bench.two_node_transcript import Live

OWN, THEIRS = "JPN-PHL-ACSA/JPN", "JPN-PHL-ACSA/PHL"
POSTGRES = os.environ.get("ACSA_TEST_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def out(line: str = "") -> None:
    print(line, flush=True)


def shown(text: str, base: Path) -> str:
    """Command output as a reader needs it: paths short, hashes and ports steady."""
    text = text.replace(str(base), "/srv/acsa")
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)


class Node(Live):
    """A live node whose database may be PostgreSQL, reopened after each restore."""

    database_url: str | None = None

    def env(self) -> dict[str, str]:
        env = {**super().env(), "ACSA_SYNC_INTERVAL_S": "1"}
        if self.database_url:
            env["ACSA_DATABASE_URL"] = self.database_url
        return env

    def reopen(self) -> None:
        self.node.engine.dispose()
        self.node = open_node(Settings(data_dir=self.dir, database_url=self.database_url))

    def run(self, base: Path, *args: str, note: str = "") -> str:
        out(shown(f"$ acsa {shlex.join(args)}", base) + (f"   # {note}" if note else ""))
        answer = shown(self.cli(*args), base)
        out("\n".join("  " + line for line in answer.splitlines()))
        return answer


def held(node: Node, stream: str) -> list[tuple[int, str]]:
    with UnitOfWork(node.node, write=False) as uow:
        return [(r.seq, r.hash) for r in uow.conn.execute(
            select(T.events.c.seq, T.events.c.hash).where(T.events.c.stream == stream)
            .order_by(T.events.c.seq))]


def wait(condition, what: str, timeout: float = 60) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


def terms_file(base: Path, supplier: str, agreement: str) -> Path:
    x = Exercise(shipped_profile(agreement))
    terms = x.terms("JPN", supplier, [("pol", "Diesel fuel F-76", "10000", "L", "152.5")],
                    needed_by="2026-12-20")
    path = base / f"order-{supplier.lower()}.json"
    path.write_text(json.dumps(terms))
    return path


def alarms(node: Node) -> int:
    with UnitOfWork(node.node, write=False) as uow:
        return len(witness.list_alarms(uow))


def setup(base: Path) -> tuple[Node, Node]:
    jpn, phl = Node("JPN", base), Node("PHL", base)
    staff_node(jpn.node, ["JPN-PHL-ACSA", "JPN-USA-ACSA"])
    staff_node(phl.node, ["JPN-PHL-ACSA"])
    for me, other in ((jpn, phl), (phl, jpn)):
        with UnitOfWork(me.node) as uow:
            admin = users.get_user(uow, user_id(me.party, Role.ADMINISTRATOR))
            add_peer(uow, admin, party=other.party, key_fingerprint=other.node.key.fingerprint,
                     base_url=other.url)
    jpn.start()
    phl.start()
    wait(lambda: held(jpn, OWN) == held(phl, OWN) and held(jpn, THEIRS) == held(phl, THEIRS),
         "the staffed nodes to share their streams")
    return jpn, phl


def more_acts(jpn: Node, phl: Node, count: int) -> None:
    """Acts on both nodes after the backup, each received by the other."""
    x = Exercise(shipped_profile("JPN-PHL-ACSA"))
    line = [("pol", "Diesel fuel F-76", "10000", "L", "152.5")]
    first = len(held(jpn, OWN)) + 1
    for _ in range(count):
        as_official(jpn.node, Role.ORDERING_OFFICIAL, orders.submit_order,
                    x.terms("JPN", "PHL", line, needed_by="2026-12-20"))
    theirs = as_official(phl.node, Role.ORDERING_OFFICIAL, orders.submit_order,
                         x.terms("PHL", "JPN", line, needed_by="2026-12-20"))
    took = wait(lambda: held(jpn, OWN) == held(phl, OWN) and
                held(jpn, THEIRS) == held(phl, THEIRS), "both nodes to receive")
    out(f"  JPN: {count} orders submitted ({OWN} seq {first}–{first + count - 1}); PHL: "
        f"{theirs.envelope.subject} ({THEIRS} seq {theirs.envelope.seq}); each on the "
        f"other node within {took * 1000:.0f} ms")


def restored(base: Path, jpn: Node, phl: Node, backup: Path) -> dict[str, list]:
    """JPN stopped and restored; PHL's streams as they stood before."""
    before = {s: held(phl, s) for s in (OWN, THEIRS)}
    out("$ kill -TERM <acsa serve on JPN>")
    jpn.stop()
    jpn.node.engine.dispose()
    jpn.run(base, "restore", str(backup), "--replace", note="on JPN, stopped")
    jpn.reopen()
    return before


def caught_up(base: Path, jpn: Node, phl: Node, before: dict[str, list],
              since: str = "JPN started") -> None:
    took = wait(lambda: held(jpn, OWN) == held(phl, OWN), "JPN to catch up")
    out(f"  JPN holds {OWN} seq 1–{len(held(jpn, OWN))} again, {took * 1000:.0f} ms after "
        f"{since} (a sync round fetched its own events back from PHL's copy)")
    same = all(held(phl, s) == before[s] for s in before)
    out(f"  PHL's heads identical to before the restore: {'yes' if same else 'NO'}; "
        f"JPN's {OWN} identical to PHL's copy: "
        f"{'yes' if held(jpn, OWN) == held(phl, OWN) else 'NO'}; "
        f"alarms on PHL: {alarms(phl)}, on JPN: {alarms(jpn)}")
    next_act(base, jpn, phl)


def next_act(base: Path, jpn: Node, phl: Node) -> None:
    answer = jpn.run(base, "order", "submit", "--file",
                     str(terms_file(base, "PHL", "JPN-PHL-ACSA")), "--as", "jpn.ordering",
                     note="on JPN: the next act")
    number = answer.split()[1]
    took = wait(lambda: _has(phl, number), "PHL to receive the next act")
    out(f"  {number} is on PHL {took * 1000:.0f} ms after the command returned, as {OWN} "
        f"seq {len(held(phl, OWN))}; alarms on PHL: {alarms(phl)}")


def _has(node: Node, number: str) -> bool:
    with UnitOfWork(node.node, write=False) as uow:
        return uow.conn.execute(select(T.orders.c.number)
                                .where(T.orders.c.number == number)).first() is not None


def partner_reachable(base: Path, jpn: Node, phl: Node) -> None:
    out("--- 1. Backup, more acts on both nodes, restore, catch-up from PHL ---\n")
    backup = base / "backups" / "jpn-1"
    jpn.run(base, "backup", "--out", str(backup), note="on JPN, while it serves")
    jpn.run(base, "backup", "verify", str(backup))
    out("after the backup:")
    more_acts(jpn, phl, 3)
    jpn.run(base, "user", "add", "jpn.kimura", "--name", "Lt. Kimura Sora", "--role",
            "auditor", "--as", "jpn.administrator", note="on JPN")
    before = restored(base, jpn, phl, backup)
    jpn.run(base, "order", "submit", "--file", str(terms_file(base, "PHL", "JPN-PHL-ACSA")),
            "--as", "jpn.ordering", note="on JPN, before it has its events back")
    out("$ acsa serve   # JPN started again")
    jpn.start()
    caught_up(base, jpn, phl, before)


def partner_offline(base: Path, jpn: Node, phl: Node) -> None:
    out("\n--- 2. The same with PHL offline, then reachable ---\n")
    backup = base / "backups" / "jpn-2"
    jpn.run(base, "backup", "--out", str(backup), note="on JPN, while it serves")
    out("after the backup:")
    more_acts(jpn, phl, 2)
    out("$ kill -TERM <acsa serve on PHL>   # PHL goes offline")
    phl.stop()
    before = restored(base, jpn, phl, backup)
    out("$ acsa serve   # JPN started again, PHL still offline")
    jpn.start()
    jpn.run(base, "sync", "now", note="on JPN")
    jpn.run(base, "order", "submit", "--file", str(terms_file(base, "PHL", "JPN-PHL-ACSA")),
            "--as", "jpn.ordering", note="on JPN: the JPN–PHL stream waits")
    jpn.run(base, "order", "submit", "--file", str(terms_file(base, "USA", "JPN-USA-ACSA")),
            "--as", "jpn.ordering", note="on JPN: emergency work on JPN–USA goes on")
    out("$ acsa serve   # PHL back online")
    phl.start()
    caught_up(base, jpn, phl, before, since="PHL came back")


def to_postgresql(base: Path, jpn: Node, phl: Node) -> None:
    out("\n--- 3. JPN moves from SQLite to PostgreSQL ---\n")
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    names = [f"acsa_jpn_{uuid.uuid4().hex[:8]}", f"acsa_empty_{uuid.uuid4().hex[:8]}"]
    with admin.connect() as c:
        for name in names:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url, empty = (make_url(POSTGRES).set(database=n).render_as_string(hide_password=False)
                  for n in names)
    try:
        out("$ kill -TERM <acsa serve on JPN>")
        jpn.stop()
        jpn.node.engine.dispose()
        jpn.run(base, "move-database", "--to", url, note="on JPN, stopped")
        jpn.database_url = url
        jpn.reopen()
        out(shown(f"$ export ACSA_DATABASE_URL={url}; acsa serve", base)
            + "   # JPN on PostgreSQL")
        jpn.start()
        next_act(base, jpn, phl)
        jpn.run(base, "verify", note="on JPN, on PostgreSQL")
        jpn.database_url = empty
        jpn.run(base, "verify", note="on JPN, pointed at an empty database by mistake")
        jpn.database_url = url
    finally:
        jpn.stop()
        jpn.node.engine.dispose()
        with admin.connect() as c:
            for name in names:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="acsa-restore-"))
    out(f"Restoring a node and moving engines, on two live nodes ({time.strftime('%Y-%m-%d')})")
    out("JPN (JPN–PHL and JPN–USA) and PHL, each an `acsa serve` process with its own "
        "SQLite database\n")
    jpn, phl = setup(base)
    try:
        partner_reachable(base, jpn, phl)
        partner_offline(base, jpn, phl)
        to_postgresql(base, jpn, phl)
    finally:
        jpn.stop()
        phl.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

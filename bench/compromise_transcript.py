"""A transcript of a loss or compromise report, from opening to closure, on two live nodes.

JPN and PHL run as separate ``acsa serve`` processes on loopback with their own
databases, syncing over HTTP. Each administrator appoints its security officer;
JPN's security officer reports that a printed copy of a Philippine order was lost;
the report reaches PHL by the ordinary sync; PHL's security officer acknowledges it,
JPN's records the assessment, PHL's closes it. Steps out of turn are refused; a
logistics officer is refused the report; the transmission records show which of
each node's events left for the other, when and how. Every step is the real command
line on the node's own database. Run::

    .venv/bin/python -m bench.compromise_transcript > docs/compromise-transcript.txt
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from acsa.devtools.exercise import Exercise
from acsa.devtools.world import staff_node, user_id
from acsa.domain.parties import Role
from acsa.profiles import shipped_profile
from acsa.services import compromise, orders, users
from acsa.services.peers import add_peer
from acsa.services.unit_of_work import UnitOfWork
from bench.two_node_transcript import Live, act, say

AGREEMENT = "JPN-PHL-ACSA"
SO = Role.SECURITY_OFFICER


def status_on(live: Live, report_id: str) -> str | None:
    with UnitOfWork(live.node, write=False) as uow:
        found = compromise.reports(uow).get(report_id)
    return found.status if found else None


def wait_status(live: Live, report_id: str, wanted: str, timeout: float = 15) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if status_on(live, report_id) == wanted:
            return time.monotonic() - start
        time.sleep(0.05)
    raise SystemExit(f"{live.party} did not see {report_id} {wanted}")


def run(live: Live, *args: str) -> str:
    """Show the command and what it printed, indented."""
    shown = " ".join(a if " " not in a else repr(a) for a in args)
    say(f"$ acsa {shown}   # on {live.party}")
    out = live.cli(*args)
    for line in out.splitlines():
        say(f"  {line}")
    return out


def nodes(base: Path) -> tuple[Live, Live]:
    """Two staffed nodes that know each other, not yet started."""
    jpn, phl = Live("JPN", base), Live("PHL", base)
    for live in (jpn, phl):
        staff_node(live.node, [AGREEMENT])
    for me, other in ((jpn, phl), (phl, jpn)):
        with UnitOfWork(me.node) as uow:
            admin = users.get_user(uow, user_id(me.party, Role.ADMINISTRATOR))
            add_peer(uow, admin, party=other.party, key_fingerprint=other.node.key.fingerprint,
                     base_url=other.url)
            uow.commit()
    return jpn, phl


def opening(jpn: Live, phl: Live) -> str:
    """Appointments, an order, and JPN's report reaching PHL; the report's id."""
    for live in (jpn, phl):
        run(live, "user", "appoint", user_id(live.party, SO), "--agreement", AGREEMENT,
            "--role", "security_officer", "--from", "2026-01-15",
            "--as", user_id(live.party, Role.ADMINISTRATOR))
    x = Exercise(shipped_profile(AGREEMENT))
    terms = x.terms("PHL", "JPN", [("pol", "Diesel fuel F-76", "10000", "L", "152.5")],
                    needed_by="2026-12-20")
    number = act(phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms).envelope.subject
    time.sleep(2)
    say(f"\nPHL's ordering official submits {number}; it reaches JPN by sync.\n")
    say("JPN's security officer learns a printed copy of that order was lost:")
    out = run(jpn, "security", "compromise", "report", "--order", number,
              "--what", "A printed copy of the order was left in a hired car in Manila.",
              "--discovered-on", "2026-12-01", "--highest-marking", "UNCLASSIFIED",
              "--as", user_id("JPN", SO), "--json")
    report_id: str = json.loads(out)["id"]
    took = wait_status(phl, report_id, "reported")
    say(f"\nPHL holds {report_id} {took * 1000:.0f} ms after the command returned "
        "(JPN's node pushed a notify, PHL pulled).\n")
    return report_id


def steps(jpn: Live, phl: Live, report_id: str) -> None:
    """Out-of-turn refusals, then acknowledged, assessed, closed."""
    say("A step out of turn is refused, naming the field:")
    run(jpn, "security", "compromise", "acknowledge", report_id, "--as", user_id("JPN", SO))
    run(phl, "security", "compromise", "assess", report_id, "--assessment", "too early",
        "--as", user_id("PHL", SO))
    say("\nThe originator acknowledges:")
    run(phl, "security", "compromise", "acknowledge", report_id, "--as", user_id("PHL", SO))
    say(f"  (JPN sees it acknowledged after "
        f"{wait_status(jpn, report_id, 'acknowledged') * 1000:.0f} ms)")
    say("\nJPN's security officer records the assessment:")
    run(jpn, "security", "compromise", "assess", report_id, "--assessment",
        "Unclassified order text only: no movement dates, no unit locations. Low harm.",
        "--as", user_id("JPN", SO))
    say(f"  (PHL sees it assessed after "
        f"{wait_status(phl, report_id, 'assessed') * 1000:.0f} ms)")
    run(jpn, "security", "compromise", "close", report_id, "--as", user_id("JPN", SO))
    say("\nThe originator closes it:")
    run(phl, "security", "compromise", "close", report_id, "--note",
        "Accepted. Copy recovered by the rental company and destroyed.",
        "--as", user_id("PHL", SO))
    say(f"  (JPN sees it closed after "
        f"{wait_status(jpn, report_id, 'closed') * 1000:.0f} ms)\n")


def reading(jpn: Live, phl: Live, report_id: str) -> None:
    """Who reads the report and the transmission records, and who is refused."""
    say("The same report on both nodes:")
    run(jpn, "security", "compromise", "show", report_id, "--as", user_id("JPN", SO))
    run(phl, "security", "compromise", "show", report_id, "--as", user_id("PHL", SO))
    say("\nNo one else reads it:")
    run(phl, "security", "compromise", "show", report_id,
        "--as", user_id("PHL", Role.SUPPLY_OFFICER))
    run(jpn, "security", "compromise", "list", "--as", user_id("JPN", Role.AUDITOR))
    time.sleep(2)
    say("\nWhat left each node for the other (references and markings, never content):")
    run(jpn, "security", "transmissions", "--peer", "PHL", "--as", user_id("JPN", SO))
    run(phl, "security", "transmissions", "--peer", "JPN", "--as", user_id("PHL", SO))
    run(phl, "security", "transmissions", "--as", user_id("PHL", Role.FINANCE_OFFICER))
    say("")
    run(jpn, "verify")
    run(phl, "verify")


def main() -> None:
    jpn, phl = nodes(Path(tempfile.mkdtemp(prefix="acsa-compromise-")))
    try:
        jpn.start()
        phl.start()
        say("Loss or compromise report, from opening to closure, on two live nodes")
        say(f"(JPN on {jpn.url}, PHL on {phl.url}: separate `acsa serve` processes and "
            "databases, syncing over HTTP)\n")
        report_id = opening(jpn, phl)
        steps(jpn, phl, report_id)
        reading(jpn, phl, report_id)
    finally:
        jpn.stop()
        phl.stop()


if __name__ == "__main__":
    main()

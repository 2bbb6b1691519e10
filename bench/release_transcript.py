"""A consent-to-release transcript on three live nodes: JPN, PHL and the USA on loopback.

A PHL order to JPN under the JPN–PHL ACSA is needed by US forces. JPN's
security officer asks both originators to consent to releasing it to the USA;
the package cannot be sent until both have consented; then the USA node holds
exactly the released events, verified against the signed tree heads, outside
its own streams; a copy altered by one byte, or missing a consent, is refused.
Run: `PYTHONPATH=src:. .venv/bin/python bench/release_transcript.py > docs/release-transcript.txt`.
"""

from __future__ import annotations

import json
import shlex
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from acsa.devtools.exercise import Exercise
from acsa.devtools.world import NAMES, UNITS, staff_node, user_id
from acsa.domain.parties import Role
from acsa.profiles import shipped_profile
from acsa.services import admin, orders, users
from acsa.services.peers import add_peer
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from bench.two_node_transcript import Live, act, say, wait_for

AGREEMENTS = {"JPN-PHL-ACSA": ("JPN", "PHL"), "JPN-USA-ACSA": ("JPN", "USA"),
              "USA-PHL-MLSA": ("PHL", "USA")}


def setup(base: Path) -> dict[str, Live]:
    nodes = {p: Live(p, base) for p in ("JPN", "PHL", "USA")}
    for party, live in nodes.items():
        staff_node(live.node, [a for a, ps in AGREEMENTS.items() if party in ps])
    for a, me in nodes.items():
        with UnitOfWork(me.node) as uow:
            boss = users.get_user(uow, user_id(a, Role.ADMINISTRATOR))
            for b, other in nodes.items():
                if b != a:
                    add_peer(uow, boss, party=b, key_fingerprint=other.node.key.fingerprint,
                             base_url=other.url)
            if a != "USA":
                admin.appoint(uow, boss, agreement="JPN-PHL-ACSA",
                              user_id=user_id(a, Role.SECURITY_OFFICER),
                              name=NAMES[a][Role.SECURITY_OFFICER],
                              role=Role.SECURITY_OFFICER.value,
                              units=[u for u, _ in UNITS[a]], valid_from=date(2026, 1, 15))
            uow.commit()
    return nodes


def usa_holds(usa: Live) -> str:
    with UnitOfWork(usa.node, write=False) as uow:
        events = uow.conn.execute(select(func.count()).select_from(T.events).where(
            T.events.c.stream.like("JPN-PHL-ACSA/%"))).scalar_one()
        held = uow.conn.execute(select(func.count()).select_from(T.releases)).scalar_one()
    return f"USA: {events} event(s) of the JPN-PHL-ACSA streams, {held} release(s) held"


def step(live: Live, *args: str) -> str:
    say(f"\n$ acsa {shlex.join(args)}   # on {live.party}")
    out = live.cli(*args)
    say(out)
    return out


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="acsa-release-"))
    nodes = setup(base)
    jpn, phl, usa = nodes["JPN"], nodes["PHL"], nodes["USA"]
    try:
        for live in nodes.values():
            live.start()
        say(f"$ acsa serve  # JPN on {jpn.url}, PHL on {phl.url}, USA on {usa.url}")
        say("# JPN-PHL-ACSA is shared by JPN and PHL only; the USA is a peer of each under "
            "its own agreement with it (JPN-USA-ACSA, USA-PHL-MLSA)")
        time.sleep(3)
        x = Exercise(shipped_profile("JPN-PHL-ACSA"))
        terms = x.terms("PHL", "JPN", [("pol", "Diesel fuel F-76", "10000", "L", "152.5")],
                        needed_by="2026-12-20")
        number = act(phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms).envelope.subject
        wait_for(jpn.node, number, "submitted")
        act(jpn, Role.APPROVING_OFFICIAL, orders.accept, number, supplying_unit="JMSDF-ESF1")
        wait_for(phl.node, number, "accepted")
        say(f"PHL: order {number} submitted; JPN: accepted (both originators have signed "
            "events of it)")
        say(usa_holds(usa))

        out = step(jpn, "consent", "request", number, "--to", "USA", "--reason",
                   "trilateral exercise: US forces plan the refuelling", "--as", "jpn.security",
                   "--json")
        request = json.loads(out)["request"]
        step(jpn, "release", "send", number, "--to", "USA", "--as", "jpn.security")
        step(jpn, "consent", "grant", request, "--as", "jpn.security")
        time.sleep(3)
        step(phl, "consent", "list", "--order", number, "--as", "phl.security")
        step(jpn, "release", "send", number, "--to", "USA", "--as", "jpn.security")
        say(usa_holds(usa))
        step(phl, "consent", "grant", request, "--as", "phl.security")
        time.sleep(4)
        step(jpn, "consent", "list", "--order", number, "--as", "jpn.security")
        step(jpn, "release", "send", number, "--to", "USA", "--as", "jpn.security")
        say(usa_holds(usa))
        step(usa, "release", "list", "--as", "usa.security")
        step(usa, "release", "show", "1", "--as", "usa.security")
        carried_by_hand(base, jpn, usa, number)
    finally:
        for live in nodes.values():
            live.stop()


def carried_by_hand(base: Path, jpn: Live, usa: Live, number: str) -> None:
    """The same package carried as a file, then altered: each refused, nothing stored."""
    say("\n# The same package carried as a file, then altered")
    path = base / "release.json"
    step(jpn, "release", "send", number, "--to", "USA", "--out", str(path), "--as",
         "jpn.security")
    good = path.read_bytes()
    at = good.index(b'"quantity":"10000"') + len(b'"quantity":"1')
    altered = base / "altered.json"
    altered.write_bytes(good[:at] + b"1" + good[at + 1:])
    say("# one byte changed: 10000 L becomes 11000 L in PHL's signed order")
    step(usa, "release", "import", str(altered), "--as", "usa.security")
    package = json.loads(good)
    package["consents"] = package["consents"][:-1]
    missing = base / "missing-consent.json"
    missing.write_text(json.dumps(package))
    say("# PHL's grant left out")
    step(usa, "release", "import", str(missing), "--as", "usa.security")
    say(usa_holds(usa))
    step(usa, "release", "import", str(path), "--as", "usa.security")
    say(usa_holds(usa))
    step(usa, "verify")


if __name__ == "__main__":
    main()

"""Faults between live nodes: after each, every shared stream and order state is identical
on every party's node, no event is lost or duplicated, every rejection is recorded with
its reason, and `verify` passes everywhere."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from acsa.domain.parties import Role
from acsa.events import Envelope, NodeKey, seal
from acsa.federation.bundles import export_bundle, import_bundle
from acsa.federation.sync import sync_peer
from acsa.services import orders, peers, witness
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from acsa.store.log import append

from .test_online_sync import diesel, has_order, status

# The scenarios share one world (module fixture): keep them on one xdist worker.
pytestmark = [pytest.mark.federation, pytest.mark.xdist_group("federation-net")]


def submit(w, party: str = "PHL", supplier: str = "JPN") -> str:  # type: ignore[no-untyped-def]
    agreement = {"JPN": "JPN-PHL-ACSA", "USA": "USA-PHL-MLSA"}[supplier] if party == "PHL" \
        else "JPN-PHL-ACSA"
    event = w.act(party, Role.ORDERING_OFFICIAL, orders.submit_order,
                  diesel(party, supplier, agreement))
    return str(event.envelope.subject)


def reasons(w, party: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [r for q in w.quarantine(party) for r in json.loads(q.reasons)]


@pytest.mark.parametrize("mode", ["drop", "drop_reply", "duplicate", "delay", "reorder"])
def test_lossy_network_converges(net, mode):
    w = net
    w.all_proxies(mode, rate=0.35, delay_s=0.6)
    numbers = [submit(w) for _ in range(4)]
    w.wait(lambda: all(has_order(w["JPN"], n) for n in numbers), 60, "orders on JPN")
    for n in numbers[:2]:
        w.act("JPN", Role.APPROVING_OFFICIAL, orders.accept, n, supplying_unit="JMSDF-ESF1")
    w.all_proxies("pass")
    w.settle()
    assert status(w["PHL"], numbers[0]) == "accepted"
    assert sum(p.seen.get(mode, 0) for p in w.proxies.values()) > 0
    w.check()


def test_stale_and_tampered_responses_are_refused_and_recorded(net):
    w = net
    w.proxy("JPN", "PHL").mode = "stale"  # JPN's pulls get PHL's first answers replayed
    number = submit(w)
    report = sync_peer(w["JPN"], "PHL")  # `acsa sync now`, besides the worker's rounds
    # A replayed answer is refused as answering another request or, once older than a
    # signature may be, for its age: either way it is refused and recorded.
    stale = ("stale or replayed", "Signature age exceeds")
    assert not report.ok and any(s in (report.error or "") for s in stale)
    assert not has_order(w["JPN"], number)
    assert any(s in r for r in reasons(w, "JPN") for s in stale)
    w.proxy("JPN", "PHL").mode = "tamper"
    report = sync_peer(w["JPN"], "PHL")
    assert not report.ok and "Content-Digest" in (report.error or ""), report.error
    assert not has_order(w["JPN"], number)
    assert any("Content-Digest" in r for r in reasons(w, "JPN"))
    w.proxy("JPN", "PHL").mode = "pass"
    w.wait(lambda: has_order(w["JPN"], number), 20, "the order once the network is honest")
    w.settle()
    w.check()


def test_partition_heals_and_the_crossing_race_follows_its_rule(net):
    w = net
    number = submit(w)
    w.wait(lambda: has_order(w["JPN"], number), 10, "the order on JPN")
    w.all_proxies("partition")
    # The supplier accepts while the requester withdraws: the acceptance wins.
    w.act("JPN", Role.APPROVING_OFFICIAL, orders.accept, number, supplying_unit="JMSDF-ESF1")
    w.act("PHL", Role.ORDERING_OFFICIAL, orders.withdraw, number, reason="no longer needed")
    second = submit(w)
    time.sleep(2)
    assert not has_order(w["JPN"], second)
    w.all_proxies("pass")
    w.settle()
    assert status(w["JPN"], number) == status(w["PHL"], number) == "accepted"
    with UnitOfWork(w["JPN"], write=False) as uow:
        notes = [v.note for v in uow.conn.execute(
            select(T.verdicts).where(T.verdicts.c.order_number == number))]
    assert any("acceptance stands" in n for n in notes), notes
    w.check()


def test_deliveries_and_receipts_that_cross_both_count(net):
    w = net
    number = submit(w)
    w.wait(lambda: has_order(w["JPN"], number), 10, "the order on JPN")
    w.act("JPN", Role.APPROVING_OFFICIAL, orders.accept, number, supplying_unit="JMSDF-ESF1")
    w.act("JPN", Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "4000")])
    w.settle()
    w.all_proxies("partition")
    w.act("JPN", Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "6000")])
    w.act("PHL", Role.RECEIVING_OFFICIAL, orders.receive, number, "1")
    w.all_proxies("pass")
    w.settle()
    with UnitOfWork(w["PHL"], write=False) as uow:
        line = uow.conn.execute(select(T.order_lines).where(
            T.order_lines.c.order_number == number)).one()
    assert (line.delivered, line.received) == ("10000", "4000")
    w.check()


def test_a_node_killed_mid_sync_restarts_and_catches_up(net):
    w = net
    numbers = [submit(w) for _ in range(30)]
    w.proxy("JPN", "PHL").mode = "delay"
    w.proxy("JPN", "PHL").delay_s = 0.3
    time.sleep(0.8)
    w.nodes["JPN"].kill(signal.SIGKILL)
    more = [submit(w) for _ in range(5)]
    w.proxy("JPN", "PHL").mode = "pass"
    w.nodes["JPN"].start()
    w.settle(40)
    assert all(has_order(w["JPN"], n) for n in numbers + more)
    w.check()


def test_events_from_the_wrong_party_or_an_unappointed_official_take_no_effect(net):
    w = net
    number = submit(w)
    w.settle()
    phl = w["PHL"]
    with UnitOfWork(phl) as uow:
        head = uow.conn.execute(select(T.streams).where(
            T.streams.c.stream == "JPN-PHL-ACSA/PHL")).one()
        order = uow.conn.execute(select(T.orders).where(T.orders.c.number == number)).one()
        roster = uow.context.roster("JPN-PHL-ACSA/JPN")
        jp = next(a for a in roster.appointments.values() if a.role is Role.APPROVING_OFFICIAL)
        # PHL's node signs Japan's acceptance: a valid signature from the wrong party.
        forged = seal(Envelope(
            v=1, stream="JPN-PHL-ACSA/PHL", seq=head.head_seq + 1, prev=head.head_hash,
            at=uow.node.now_at(), profile=order.profile, type="order.accepted", subject=number,
            parent=order.head,
            actor={"user": jp.user, "name": jp.name, "role": "approving_official",
                   "party": "JPN", "unit": "JMSDF-ESF1", "appointment": jp.id},
            marking={"level": "UNCLASSIFIED", "originator": "PHL", "rel": ["JPN", "PHL"]},
            data={"version": 1, "supplying_unit": "JMSDF-ESF1", "on": str(order.submitted_on)},
        ), uow.node.key)
        append(uow.conn, forged, origin="local", received_at=uow.node.now_at())
        # A PHL official nobody appointed withdraws the order.
        unappointed = seal(Envelope(
            v=1, stream="JPN-PHL-ACSA/PHL", seq=head.head_seq + 2, prev=forged.hash,
            at=uow.node.now_at(), profile=order.profile, type="order.withdrawn",
            subject=number, parent=forged.hash,
            actor={"user": "phl.nobody", "name": "Sgt. Nobody", "role": "ordering_official",
                   "party": "PHL", "unit": "AFP-TOG1", "appointment": None},
            marking={"level": "UNCLASSIFIED", "originator": "PHL", "rel": ["JPN", "PHL"]},
            data={"reason": "x", "on": str(order.submitted_on)},
        ), uow.node.key)
        append(uow.conn, unappointed, origin="local", received_at=uow.node.now_at())
        from acsa.store.projections import refresh_orders

        refresh_orders(uow.conn, [number], uow.context)
        uow.commit()
    w.settle()
    for party in ("JPN", "PHL"):
        with UnitOfWork(w[party], write=False) as uow:
            verdicts = {v.event_hash: v for v in uow.conn.execute(
                select(T.verdicts).where(T.verdicts.c.order_number == number))}
        assert not verdicts[forged.hash].effective
        assert verdicts[forged.hash].code == "not_authorized"
        assert not verdicts[unappointed.hash].effective
        assert verdicts[unappointed.hash].code == "not_appointed", \
            verdicts[unappointed.hash].reason
        assert status(w[party], number) == "submitted"
    w.check()


def test_rotation_waits_for_confirmation_and_a_revoked_key_is_refused(net, tmp_path):
    w = net
    phl = w["PHL"]
    with UnitOfWork(phl) as uow:
        admin = __import__("acsa.services.users", fromlist=["x"]).get_user(uow, "phl.administrator")
        old, new = peers.rotate_key(uow, admin)
        uow.commit()
    old_key = NodeKey.load(phl.data_dir / "node.key")
    peers.install_rotated_key(phl)
    assert phl.key.fingerprint == new
    number = submit(w)  # signed with the new key
    sync_peer(w["JPN"], "PHL")
    assert not has_order(w["JPN"], number)  # not confirmed out of band yet
    assert any("not yet confirmed out of band" in r for r in reasons(w, "JPN"))
    with UnitOfWork(w["JPN"], write=False) as uow:
        pending = peers.pending_keys(uow, "PHL")
    assert [k.fingerprint for k in pending] == [new]
    w.act("JPN", Role.ADMINISTRATOR, peers.confirm_key, "PHL", new)
    w.wait(lambda: has_order(w["JPN"], number), 15, "the order once the key is confirmed")
    w.act("PHL", Role.ADMINISTRATOR, peers.revoke_key, old)
    w.settle()
    # A thief holding the revoked key signs the next event of PHL's stream and
    # carries it to JPN in a bundle signed by the same key.
    with UnitOfWork(phl, write=False) as uow:
        head = uow.conn.execute(select(T.streams).where(
            T.streams.c.stream == "JPN-PHL-ACSA/PHL")).one()
        profile = uow.conn.execute(select(T.orders.c.profile)).scalars().first()
    forged = seal(Envelope(
        v=1, stream="JPN-PHL-ACSA/PHL", seq=head.head_seq + 1, prev=head.head_hash,
        at="2026-11-25T10:00:00.000Z", profile=profile, type="unit.registered",
        subject="AFP-FAKE", parent=None,
        actor={"user": "phl.administrator", "name": "x", "role": "administrator",
               "party": "PHL", "unit": None, "appointment": None},
        marking={"level": "UNCLASSIFIED", "originator": "PHL", "rel": ["JPN", "PHL"]},
        data={"name": "Fake unit", "parent": None, "on": "2026-11-25"}), old_key)
    import base64
    import hashlib

    from acsa.events import PURPOSE_BUNDLE, canonical_json

    body = {"format": "acsa-bundle/1", "from": "PHL", "to": "JPN",
            "created_at": "2026-11-25T10:00:00.000Z", "public_key": old_key.public_key.hex(),
            "streams": {"JPN-PHL-ACSA/PHL": [forged.to_wire()]}, "heads": [], "acks": {},
            "evidence": []}
    sig = old_key.sign(PURPOSE_BUNDLE, hashlib.sha256(canonical_json(body)).digest())
    path = tmp_path / "thief.json"
    path.write_text(json.dumps({**body, "signature": base64.b64encode(sig).decode()}))
    with UnitOfWork(w["JPN"]) as uow:
        summary = import_bundle(uow, path)
        uow.commit()
    assert summary.quarantined is not None
    assert any("revoked" in p for p in summary.problems), summary.problems
    w.settle()
    w.check()


def test_bundles_alternate_with_online_sync_and_a_tampered_bundle_is_refused(net, tmp_path):
    w = net
    w.all_proxies("partition")  # the network is down: carry files instead
    numbers = [submit(w) for _ in range(3)]
    path = tmp_path / "phl-to-jpn.json"
    with UnitOfWork(w["PHL"], write=False) as uow:
        export_bundle(uow, "JPN", path)
    document = json.loads(path.read_text())
    document["streams"]["JPN-PHL-ACSA/PHL"][-1]["event"]["data"]["terms"]["lines"][0][
        "quantity"] = "99999"
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(document))
    with UnitOfWork(w["JPN"]) as uow:
        refused = import_bundle(uow, bad)
        uow.commit()
    assert refused.quarantined is not None and any("hash mismatch" in p
                                                   for p in refused.problems)
    with UnitOfWork(w["JPN"]) as uow:
        summary = import_bundle(uow, path)
        uow.commit()
    assert summary.applied == 3 and summary.quarantined is None
    more = submit(w)  # travels online once the network is back
    w.all_proxies("pass")
    w.settle()
    assert all(has_order(w["JPN"], n) for n in [*numbers, more])
    with UnitOfWork(w["JPN"]) as uow:  # the same bundle again: nothing new, nothing twice
        again = import_bundle(uow, path)
        uow.commit()
    carried = sum(len(v) for v in json.loads(path.read_text())["streams"].values())
    assert (again.applied, again.duplicates) == (0, carried)
    # JPN's online pulls acknowledged PHL's stream: a new bundle repeats nothing.
    later = tmp_path / "later.json"

    def nothing_to_carry() -> bool:
        with UnitOfWork(w["PHL"], write=False) as uow:
            return export_bundle(uow, "JPN", later).events == 0

    w.wait(nothing_to_carry, 10, "JPN's acknowledgement of what it pulled")
    w.check()


def _snapshot(node_dir: Path, out: Path) -> None:
    src = sqlite3.connect(node_dir / "acsa.db")
    dst = sqlite3.connect(out)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()


def test_a_peer_that_rewrites_its_history_is_caught_and_refused(world, tmp_path):
    w = world(("JPN", "PHL"))
    w.settle()
    first = submit(w)
    w.settle()
    _snapshot(w.nodes["PHL"].data_dir, tmp_path / "backup.db")
    lost = submit(w)
    w.settle()
    # PHL restores an old backup (losing `lost`) by hand, throws away its high-water
    # mark — which would otherwise refuse to sign until `lost` is fetched back — and
    # records different history at the same positions: a rewrite of what JPN holds.
    w.nodes["PHL"].kill()
    w.nodes["PHL"].close()
    w.nodes["PHL"]._node = None
    (w.nodes["PHL"].data_dir / "high-water.json").unlink()
    for suffix in ("", "-wal", "-shm"):
        (w.nodes["PHL"].data_dir / f"acsa.db{suffix}").unlink(missing_ok=True)
    (tmp_path / "backup.db").rename(w.nodes["PHL"].data_dir / "acsa.db")
    rewritten = w.act("PHL", Role.ORDERING_OFFICIAL, orders.submit_order, diesel()).hash
    w.nodes["PHL"].start()
    def phl_status() -> str:
        with UnitOfWork(w["JPN"], write=False) as uow:
            return peers.get_peer(uow, "PHL").status

    sync_peer(w["JPN"], "PHL")  # as `acsa sync now` would; the worker does the same
    w.wait(lambda: phl_status() == "alarm", 30, "JPN to raise the alarm")
    with UnitOfWork(w["JPN"], write=False) as uow:
        alarms = witness.list_alarms(uow, "PHL")
        evidence = json.loads(uow.conn.execute(select(T.peer_alarms.c.evidence)).scalars().first())
    assert alarms and alarms[0].kind in ("fork", "rewrite")
    # Both conflicting signed heads are kept as proof.
    other = evidence.get("conflicting_head") or evidence["previous_head"]
    assert evidence["new_head"]["head"]["root"] != other["head"]["root"]
    assert evidence["new_head"]["key"] == other["key"]
    assert has_order(w["JPN"], lost)
    assert rewritten not in {h for _, h in w.streams_of("JPN")["JPN-PHL-ACSA/PHL"]}
    # Its new events stay refused, even when sync is asked for by hand.
    report = sync_peer(w["JPN"], "PHL")
    assert not report.ok and "alarm" in (report.error or "")
    assert has_order(w["JPN"], first)
    # An administrator may lift the alarm; the history still conflicts, so the
    # next round raises it again and still takes nothing.
    w.act("JPN", Role.ADMINISTRATOR, witness.resolve_alarms, "PHL", "called PHL's admin")
    report = sync_peer(w["JPN"], "PHL")
    assert not report.ok and report.alarm and phl_status() == "alarm"
    assert rewritten not in {h for _, h in w.streams_of("JPN")["JPN-PHL-ACSA/PHL"]}
    with UnitOfWork(w["JPN"]) as uow:
        assert __import__("acsa.services.verify", fromlist=["x"]).verify_node(uow).ok


def test_evidence_files_follow_the_events_that_cite_them(net):
    from acsa.services.paper import attach_evidence

    w = net
    number = submit(w)
    w.wait(lambda: has_order(w["JPN"], number), 10, "the order on JPN")
    w.act("JPN", Role.APPROVING_OFFICIAL, orders.accept, number, supplying_unit="JMSDF-ESF1")
    with UnitOfWork(w["JPN"]) as uow:
        ticket = attach_evidence(uow, "fuel-ticket-0042.jpg", "image/jpeg", b"\xff\xd8ticket")
        uow.commit()
    w.act("JPN", Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "10000")],
          evidence=[ticket])

    def phl_holds_ticket() -> bool:
        with UnitOfWork(w["PHL"], write=False) as uow:
            return uow.conn.execute(select(T.evidence_files.c.content).where(
                T.evidence_files.c.sha256 == ticket["sha256"])).scalar_one_or_none() \
                == b"\xff\xd8ticket"

    w.wait(phl_holds_ticket, 15, "the delivery ticket on PHL")
    w.settle()
    w.check()

"""Two nodes exchanging signed bundles: the happy path and the attacks a bundle must survive."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from acsa.devtools.exercise import Exercise
from acsa.devtools.world import as_official, carry, in_force_profile
from acsa.domain.parties import Role
from acsa.events import Envelope, NodeKey, seal
from acsa.federation.bundles import export_bundle, import_bundle
from acsa.services import orders
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import verify_node
from acsa.store import tables as T

D = date


def terms(requester: str = "PHL", supplier: str = "JPN") -> dict:
    x = Exercise(in_force_profile("JPN-PHL-ACSA"))
    return x.terms(requester, supplier, [("pol", "Diesel fuel F-76", "10000", "L", "152.5")])


def count(node, table=T.events) -> int:  # type: ignore[no-untyped-def]
    with UnitOfWork(node, write=False) as uow:
        return int(uow.conn.execute(select(func.count()).select_from(table)).scalar_one())


def submitted(pair) -> str:  # type: ignore[no-untyped-def]
    pair.set_day(D(2026, 2, 3))
    event = as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms())
    return event.envelope.subject


def export(pair, source, target, name="b.json") -> Path:  # type: ignore[no-untyped-def]
    path = pair.bundles / name
    pair.bundles.mkdir(exist_ok=True)
    with UnitOfWork(source, write=False) as uow:
        export_bundle(uow, target.party, path)
    return path


def import_(node, path):  # type: ignore[no-untyped-def]
    with UnitOfWork(node) as uow:
        summary = import_bundle(uow, path)
        uow.commit()
    return summary


def status(node, number) -> str:  # type: ignore[no-untyped-def]
    with UnitOfWork(node, write=False) as uow:
        return str(uow.conn.execute(select(T.orders.c.status)
                                    .where(T.orders.c.number == number)).scalar_one())


def test_an_order_travels_and_both_nodes_verify(pair):
    number = submitted(pair)
    summary = pair.carry(pair.phl, pair.jpn)
    assert (summary.applied, summary.orders) == (1, [number])
    as_official(pair.jpn, Role.APPROVING_OFFICIAL, orders.accept, number,
                supplying_unit="JMSDF-ESF1")
    pair.carry(pair.jpn, pair.phl)
    assert status(pair.phl, number) == status(pair.jpn, number) == "accepted"
    for node in (pair.jpn, pair.phl):
        with UnitOfWork(node) as uow:
            report = verify_node(uow)
        assert report.ok, report.findings


def test_importing_twice_changes_nothing(pair):
    submitted(pair)
    path = export(pair, pair.phl, pair.jpn)
    first = import_(pair.jpn, path)
    before = count(pair.jpn)
    again = import_(pair.jpn, path)
    assert (first.applied, again.applied, again.duplicates) == (1, 0, 1)
    assert again.quarantined is None and count(pair.jpn) == before


def test_acknowledged_events_are_not_sent_again(pair):
    submitted(pair)
    pair.carry(pair.phl, pair.jpn)
    pair.carry(pair.jpn, pair.phl)  # carries JPN's acknowledgement of PHL's stream
    path = export(pair, pair.phl, pair.jpn, "second.json")
    assert json.loads(path.read_text())["streams"] == {}


def _tampered(path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    document = json.loads(path.read_text())
    change(document)
    out = path.with_name("tampered.json")
    out.write_text(json.dumps(document))
    return out


def test_a_changed_amount_is_quarantined_and_nothing_applied(pair):
    submitted(pair)
    path = export(pair, pair.phl, pair.jpn)

    def change(doc):  # type: ignore[no-untyped-def]
        event = doc["streams"]["JPN-PHL-ACSA/PHL"][-1]["event"]
        event["data"]["terms"]["lines"][0]["unit_price"] = "15.25"

    before = count(pair.jpn)
    summary = import_(pair.jpn, _tampered(path, change))
    assert summary.quarantined is not None
    assert any("hash mismatch" in p for p in summary.problems)
    assert any("signature" in p for p in summary.problems)
    assert count(pair.jpn) == before
    assert count(pair.jpn, T.quarantine) == 1


def test_a_bundle_signed_with_another_key_is_quarantined(pair):
    submitted(pair)
    path = export(pair, pair.phl, pair.jpn)
    thief = NodeKey.generate()

    def change(doc):  # type: ignore[no-untyped-def]
        doc["public_key"] = thief.public_key.hex()

    summary = import_(pair.jpn, _tampered(path, change))
    assert summary.quarantined is not None
    assert any("not the registered" in p for p in summary.problems)


def test_a_truncated_file_is_quarantined(pair):
    submitted(pair)
    path = export(pair, pair.phl, pair.jpn)
    cut = path.with_name("cut.json")
    cut.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    summary = import_(pair.jpn, cut)
    assert summary.quarantined is not None
    assert summary.problems[0].startswith("not a complete bundle")


def test_an_acceptance_signed_by_the_requesters_node_takes_no_effect(pair):
    number = submitted(pair)
    pair.carry(pair.phl, pair.jpn)
    # The Philippine node forges Japan's acceptance in its own stream.
    with UnitOfWork(pair.phl) as uow:
        head = uow.conn.execute(select(T.streams).where(
            T.streams.c.stream == "JPN-PHL-ACSA/PHL")).one()
        order = uow.conn.execute(select(T.orders).where(T.orders.c.number == number)).one()
        roster = uow.context.roster("JPN-PHL-ACSA/JPN")
        jp_approver = next(a for a in roster.appointments.values()
                           if a.role is Role.APPROVING_OFFICIAL)
        envelope = Envelope(
            v=1, stream="JPN-PHL-ACSA/PHL", seq=head.head_seq + 1, prev=head.head_hash,
            at=uow.node.now_at(), profile=order.profile, type="order.accepted", subject=number,
            parent=order.head,
            actor={"user": jp_approver.user, "name": jp_approver.name,
                   "role": "approving_official", "party": "JPN", "unit": "JMSDF-ESF1",
                   "appointment": jp_approver.id},
            marking={"level": "UNCLASSIFIED", "originator": "PHL", "rel": ["JPN", "PHL"]},
            data={"version": 1, "supplying_unit": "JMSDF-ESF1", "on": "2026-02-03"},
        )
        from acsa.store.log import append

        append(uow.conn, seal(envelope, uow.node.key), origin="local",
               received_at=uow.node.now_at())
        uow.commit()
    summary = pair.carry(pair.phl, pair.jpn)
    assert summary.applied == 1  # admitted: well-formed and signed by PHL's key …
    with UnitOfWork(pair.jpn, write=False) as uow:
        verdict = uow.conn.execute(select(T.verdicts).where(
            T.verdicts.c.order_number == number).order_by(T.verdicts.c.position)).all()[-1]
    assert not verdict.effective  # … but it takes no effect, with the reason kept
    assert verdict.code == "not_authorized" and "signed by PHL" in verdict.reason
    assert status(pair.jpn, number) == "submitted"


def test_a_bundle_for_another_node_is_refused(pair, make_node):
    submitted(pair)
    path = export(pair, pair.phl, pair.jpn)

    def change(doc):  # type: ignore[no-untyped-def]
        doc["to"] = "USA"

    summary = import_(pair.jpn, _tampered(path, change))
    assert summary.quarantined is not None
    assert any("addressed to USA" in p for p in summary.problems)


def test_carry_helper_round_trip(pair):
    number = submitted(pair)
    assert carry(pair.phl, pair.jpn, pair.bundles).orders == [number]

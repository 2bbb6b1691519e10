"""A large, valid ledger for benchmarks: two staffed nodes and N orders' signed events.

The nodes are set up through the services (adoption, units, appointments,
peers, bundles); the orders' events are then built and signed exactly as
nodes would sign them — each in its party's stream, with its chain link,
parent and appointment — and written to the Japanese node's log in bulk,
after which its projections are rebuilt from the log. Every event is
genuine: `acsa verify` passes on the result.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update

from acsa.bootstrap import init_node, open_node
from acsa.config import Settings
from acsa.devtools.exercise import Exercise, ticket_ref
from acsa.devtools.world import exchange, in_force_profile, introduce, staff_node, user_id
from acsa.domain import facts as F
from acsa.domain.commands import payment_data
from acsa.domain.money import line_total
from acsa.domain.parties import Role
from acsa.events import CompactRange, Envelope, NodeKey, format_at, leaf_hash, seal
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import rebuild_projections
from acsa.store import tables as T
from acsa.store.log import orders_named

AGREEMENT = "JPN-PHL-ACSA"


@dataclass
class Stream:
    name: str
    key: NodeKey
    seq: int
    prev: str | None
    tree: CompactRange


def _streams(node: Node) -> dict[str, dict[str, Any]]:
    with UnitOfWork(node, write=False) as uow:
        rows = uow.conn.execute(T.streams.select()).mappings().all()
    return {r["stream"]: dict(r) for r in rows}


def _appointments(node: Node) -> dict[tuple[str, str], str]:
    with UnitOfWork(node, write=False) as uow:
        roster = {}
        for stream in (f"{AGREEMENT}/JPN", f"{AGREEMENT}/PHL"):
            for a in uow.context.roster(stream).appointments.values():
                roster[(a.party, a.role.value)] = a.id
    return roster


def build(directory: Path, orders: int, *, log: Any = print) -> Node:
    """Create (or reuse) the dataset in ``directory``; returns the JPN node."""
    marker = directory / f"complete-{orders}"
    settings_jpn = Settings(data_dir=directory / "jpn")
    if marker.exists():
        return open_node(settings_jpn)
    started = time.perf_counter()
    jpn = init_node(settings_jpn, "JPN")
    phl = init_node(Settings(data_dir=directory / "phl"), "PHL")
    for n in (jpn, phl):
        staff_node(n, [AGREEMENT])
    introduce(jpn, phl)
    exchange(jpn, phl, directory / "bundles")
    profile = in_force_profile(AGREEMENT)  # as staff_node adopted it: in force
    heads = _streams(jpn)
    keys = {"JPN": jpn.key, "PHL": phl.key}
    streams = {
        party: Stream(
            f"{AGREEMENT}/{party}", keys[party], heads[f"{AGREEMENT}/{party}"]["head_seq"],
            heads[f"{AGREEMENT}/{party}"]["head_hash"],
            CompactRange.from_list(json.loads(heads[f"{AGREEMENT}/{party}"]["compact_range"]),
                                   size=heads[f"{AGREEMENT}/{party}"]["head_seq"]),
        )
        for party in ("JPN", "PHL")
    }
    appointments = _appointments(jpn)
    x = Exercise(profile)
    clock = datetime(2026, 2, 2, 1, tzinfo=UTC)
    event_rows: list[dict[str, Any]] = []
    links: list[tuple[int, str]] = []
    next_id = _max_event_id(jpn) + 1

    def emit(party: str, role: Role, type_: str, subject: str, parent: str | None,
             data: dict[str, Any], on: date, unit: str) -> str:
        nonlocal clock, next_id
        clock = max(clock + timedelta(milliseconds=3),
                    datetime(on.year, on.month, on.day, 1, tzinfo=UTC))
        s = streams[party]
        s.seq += 1
        envelope = Envelope(
            v=1, stream=s.name, seq=s.seq, prev=s.prev, at=format_at(clock),
            profile=profile.digest, type=type_, subject=subject, parent=parent,
            actor={"user": user_id(party, role), "name": user_id(party, role),
                   "role": role.value, "party": party, "unit": unit,
                   "appointment": appointments[(party, role.value)]},
            marking={"level": "UNCLASSIFIED", "originator": party, "rel": ["JPN", "PHL"]},
            data={**data, "on": on.isoformat()},
        )
        signed = seal(envelope, s.key)
        wire = signed.to_wire()
        event_rows.append({
            "id": next_id, "stream": s.name, "seq": s.seq, "hash": signed.hash,
            "prev": s.prev, "at": envelope.at, "type": type_, "subject": subject,
            "parent": parent, "signer": party, "key": signed.key, "signature": wire["sig"],
            "envelope": envelope.canonical().decode(), "received_at": envelope.at,
            "origin": "local" if party == "JPN" else "bundle",
        })
        links.extend((next_id, o) for o in orders_named(envelope))
        next_id += 1
        s.prev = signed.hash
        s.tree.append(leaf_hash(bytes.fromhex(signed.hash)))
        return signed.hash

    items = [("pol", "Diesel fuel F-76", "L", "152.5"), ("food", "Combat ration", "EA", "1200"),
             ("water", "Potable water", "L", "30"), ("spare_parts", "Rotor blade", "EA", "880000")]
    day0 = date(2026, 2, 3)
    for i in range(orders):
        category, description, unit_of_issue, price = items[i % len(items)]
        quantity = str(10 + (i * 7) % 990)
        on = day0 + timedelta(days=(i * 300) // max(orders, 1))
        number = f"JP-PH/PHL/FY{on.year}/{i + 1:06d}"
        terms = x.terms("PHL", "JPN", [(category, description, quantity, unit_of_issue,
                                         price)])
        head = emit("PHL", Role.ORDERING_OFFICIAL, F.ORDER_SUBMITTED, number, None,
                    {"terms": terms}, on, "AFP-TOG1")
        stage = i % 10
        if stage == 0:
            continue  # left awaiting acceptance
        head = emit("JPN", Role.APPROVING_OFFICIAL, F.ORDER_ACCEPTED, number, head,
                    {"version": 1, "supplying_unit": "JMSDF-ESF1"}, on, "JMSDF-ESF1")
        if stage == 1:
            continue
        delivered = emit("JPN", Role.SUPPLY_OFFICER, F.DELIVERY_RECORDED, number, head,
                         {"lines": [{"line": 1, "quantity": quantity, "unit_price": price}],
                          "evidence": [ticket_ref(number)]},
                         on + timedelta(days=2), "JMSDF-ESF1")
        head = delivered
        if stage == 2:
            continue
        head = emit("PHL", Role.RECEIVING_OFFICIAL, F.RECEIPT_RECORDED, number, head,
                    {"delivery": delivered, "lines": [{"line": 1, "quantity": quantity}]},
                    on + timedelta(days=2), "AFP-TOG1")
        if stage <= 4:
            continue
        invoice_day = on + timedelta(days=5)
        total = line_total(Decimal(quantity), Decimal(price), "JPY")
        data = {
            "number": f"INV/JPN/{i + 1:06d}", "kind": "goods", "currency": "JPY",
            "due_on": (invoice_day + timedelta(days=30)).isoformat(),
            "lines": [{"delivery": delivered, "line": 1, "quantity": quantity,
                       "unit_price": price, "amount": total.text()}],
            "total": total.text(),
        }
        invoice = emit("JPN", Role.FINANCE_OFFICER, F.INVOICE_ISSUED, number, head, data,
                       invoice_day, "JMSDF-ESF1")
        head = invoice
        if stage <= 6:
            continue
        pay_day = invoice_day + timedelta(days=20)
        payment = payment_data(currency="JPY", allocations=[(number, invoice, total.minor)],
                               reference=f"SWIFT-{i}")
        payment["orders"][0]["parent"] = head
        head = emit("PHL", Role.FINANCE_OFFICER, F.PAYMENT_RECORDED, f"PAY/PHL/{i + 1:06d}",
                    None, payment, pay_day, "AFP-TOG1")
        confirm = {"payment": head, "orders": [{"order": number, "parent": head,
                                                 "invoice": invoice, "received": total.text()}]}
        emit("JPN", Role.FINANCE_OFFICER, F.PAYMENT_CONFIRMED, f"PAY/PHL/{i + 1:06d}", None,
             confirm, pay_day + timedelta(days=1), "JMSDF-ESF1")
    log(f"  signed {len(event_rows)} events for {orders} orders "
        f"in {time.perf_counter() - started:.1f} s")
    t0 = time.perf_counter()
    with jpn.engine.begin() as conn:
        for start in range(0, len(event_rows), 5000):
            conn.execute(insert(T.events), event_rows[start:start + 5000])
        for start in range(0, len(links), 10000):
            conn.execute(insert(T.event_orders), [
                {"event_id": e, "order_number": o} for e, o in links[start:start + 10000]])
        for s in streams.values():
            conn.execute(update(T.streams).where(T.streams.c.stream == s.name).values(
                head_seq=s.seq, head_hash=s.prev, compact_range=json.dumps(s.tree.to_list())))
    log(f"  stored them in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    with UnitOfWork(jpn) as uow:
        rebuild_projections(uow)
        uow.commit()
    log(f"  rebuilt the projections in {time.perf_counter() - t0:.1f} s")
    marker.write_text(str(len(event_rows)))
    return jpn


def _max_event_id(node: Node) -> int:
    with UnitOfWork(node, write=False) as uow:
        return int(uow.conn.execute(select(func.max(T.events.c.id))).scalar_one() or 0)

"""Getting a node's own events back from its partners after a restore.

Every event a node signs is held by each partner of its agreement. When a
restored node's stream is behind its high-water mark
(:mod:`acsa.services.high_water`), the missing tail is fetched back from a
partner — online from ``GET /federation/v1/copies/{agreement}/{party}``,
which returns a stream only to the node that signed it, or from a file the
partner writes for it (``acsa sync export --for``) — and admitted like any
partner's page, except that every event must carry *this node's own*
signature (by the key its stream's schedule puts in force at that position)
and continue its own hash chain from the head it holds. An event that does
not is refused with the reason; nothing else about the node changes.

The serving side is here too: a partner answers with its copy of the
asking node's stream, never with anyone else's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update

from acsa.domain import facts as F
from acsa.domain.errors import N_, DomainError
from acsa.domain.streams import stream_agreement, stream_id
from acsa.events import SignedEvent
from acsa.services import high_water, intake
from acsa.services.admission import Admission, Holdings, admit
from acsa.services.node import Node
from acsa.services.outgoing import check_party, stream_page
from acsa.services.peers import agreement_parties, paper_parties, stream_schedule
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.store import tables as T
from acsa.store.log import StoredEvent, lock_stream


class NotYours(DomainError):
    """A copy of a stream is returned only to the node that signed it."""

    code = "not_yours"


# -- the partner's side: our copy of the asking node's stream ----------------------------------


def copied_stream(uow: UnitOfWork, agreement: str, party: str, peer: str) -> str:
    """The stream ``peer`` asks us to return: its own, of an agreement we are both party to."""
    if party != peer or party == uow.node.party:
        raise NotYours(
            N_("only %(party)s's own node may ask for this node's copy of its stream"),
            field="stream", party=party,
        )
    check_party(uow, agreement, peer)
    return stream_id(agreement, party)


def copy_page(uow: UnitOfWork, stream: str, after: int, limit: int
              ) -> tuple[list[StoredEvent], int, str | None]:
    """Our copy of ``stream`` after ``after`` (at most ``limit``), its size and last hash."""
    events, size = stream_page(uow, stream, after, limit)
    last = uow.conn.execute(select(T.streams.c.head_hash)
                            .where(T.streams.c.stream == stream)).scalar_one_or_none()
    return events, size, last


# -- our side: taking our own events back --------------------------------------------------------


@dataclass(frozen=True)
class Returned:
    """What one page of our own stream, returned by a partner, brought back."""

    stream: str
    held_before: int
    held_after: int
    applied: int
    duplicates: int
    orders: list[str] = field(default_factory=list)
    cited: frozenset[str] = frozenset()  # evidence files the returned events cite
    problems: list[str] = field(default_factory=list)
    quarantined: int | None = None


def own_head(uow: UnitOfWork, stream: str) -> tuple[int, str | None]:
    row = uow.conn.execute(select(T.streams.c.head_seq, T.streams.c.head_hash)
                           .where(T.streams.c.stream == stream)).first()
    return (int(row.head_seq), row.head_hash) if row is not None else (0, None)


def waiting_streams(uow: UnitOfWork, agreements: Iterable[str]) -> dict[str, str]:
    """Of our streams of ``agreements``, those whose signing waits, and why."""
    out = {}
    for agreement in agreements:
        stream = stream_id(agreement, uow.node.party)
        found = high_water.behind(uow, stream, own_head(uow, stream)[0])
        if found is not None:
            out[stream] = found[0]
    return out


def admit_own(uow: UnitOfWork, stream: str, events: Iterable[Any]) -> Admission:
    """Admission of our own events: our signature, our key schedule, our chain from our head."""
    me = uow.node.party
    agreement = stream_agreement(stream)
    schedule = stream_schedule(uow, stream)

    def held(s: str, seq: int) -> str | None:
        return uow.conn.execute(select(T.events.c.hash).where(
            T.events.c.stream == s, T.events.c.seq == seq)).scalar_one_or_none()

    return admit(events, peer=me, public_key=uow.node.key.public_key, holdings=Holdings(
        me=me, agreements={agreement: sorted(agreement_parties(uow, agreement))},
        heads={stream: own_head(uow, stream)}, held=held,
        schedules={stream: schedule} if schedule is not None else {},
        paper=paper_parties(uow)))


def _mark_problems(uow: UnitOfWork, stream: str, new: list[SignedEvent]) -> list[str]:
    """An event at the marked position must be the very one that left this node."""
    mark = high_water.read_marks(uow.node.data_dir).streams.get(stream)
    if mark is None or mark.hash is None:
        return []
    return [f"{stream} seq {e.envelope.seq}: not the event that left this node there "
            f"({e.hash[:12]}… vs {mark.hash[:12]}…)"
            for e in new if e.envelope.seq == mark.seq and e.hash != mark.hash]


@use_case
def receive_own(uow: UnitOfWork, source: str, peer: str, stream: str,
                events: list[Any]) -> Returned:
    """Admit and apply a page of our own ``stream`` returned by ``peer``; or quarantine it."""
    lock_stream(uow.conn, stream)
    before = own_head(uow, stream)[0]
    admission = admit_own(uow, stream, events)
    problems = admission.problems or _mark_problems(uow, stream, admission.new)
    if problems:
        quarantined = intake.quarantine(uow, source, peer,
                                        json.dumps(events, ensure_ascii=False).encode(),
                                        problems)
        return Returned(stream, before, before, 0, admission.duplicates, problems=problems,
                        quarantined=quarantined)
    orders = intake.apply_admitted(uow, admission, origin="recovered")
    advance_numbering(uow, admission.new)
    cited = frozenset(str(x.get("sha256")) for e in admission.new
                      for x in e.envelope.data.get("evidence", ()) if hasattr(x, "get"))
    return Returned(stream, before, before + len(admission.new), len(admission.new),
                    admission.duplicates, sorted(orders), cited)


def counter_of(number: str) -> tuple[str, int] | None:
    """The node-local counter a number of ours was drawn from, and its value there.

    ``JP-PH/JPN/FY2026/E00007`` → (``number:JP-PH/JPN/FY2026/E``, 7);
    ``INV/JPN/FY2026/00002`` → (``invoice:JPN/FY2026``, 2);
    ``PAY/JPN/00005`` → (``pay:JPN``, 5).
    """
    head, _, last = number.rpartition("/")
    digits = last.removeprefix("E")
    if not head or not digits.isdigit():
        return None
    parts = head.split("/")
    if len(parts) == 2:
        return f"{parts[0].lower()}:{parts[1]}", int(digits)
    if len(parts) != 3 or not parts[2].startswith("FY"):
        return None
    if parts[0] == "INV":
        return f"invoice:{parts[1]}/{parts[2]}", int(digits)
    return f"number:{head}/{'E' if last.startswith('E') else ''}", int(digits)


def advance_numbering(uow: UnitOfWork, events: Iterable[SignedEvent]) -> None:
    """Our own events fetched back carry numbers drawn after the backup: the counters they
    were drawn from move past them, so no number is ever given twice."""
    found: dict[str, int] = {}
    for e in events:
        env = e.envelope
        numbers = [env.subject] if env.type in F.ORDER_ROOT_TYPES | F.MULTI_ORDER_TYPES else []
        if env.type == F.INVOICE_ISSUED:
            numbers.append(str(env.data.get("number", "")))
        for number in numbers:
            counter = counter_of(number)
            if counter is not None:
                found[counter[0]] = max(found.get(counter[0], 0), counter[1])
    for key, value in sorted(found.items()):
        current = uow.conn.execute(select(T.node_info.c.value)
                                   .where(T.node_info.c.key == key)).scalar_one_or_none()
        if current is None:
            uow.conn.execute(insert(T.node_info).values(key=key, value=str(value)))
        elif int(current) < value:
            uow.conn.execute(update(T.node_info).where(T.node_info.c.key == key)
                             .values(value=str(value)))


@use_case
def partner_holds(uow: UnitOfWork, peer: str, stream: str, size: int) -> None:
    """``peer`` answered with its whole copy of our ``stream``: ``size`` events.

    It no longer needs to confirm (a restore without a mark), and a claim of
    more that it made earlier gives way to what it has now shown.
    """
    uow.conn.execute(update(T.peer_acks).where(
        T.peer_acks.c.peer == peer, T.peer_acks.c.stream == stream,
        T.peer_acks.c.seq > size).values(seq=size))
    confirm(uow.node, stream, peer)


def confirm(node: Node, stream: str, peer: str) -> None:
    """``peer`` said how much of our ``stream`` it holds: strike it from the pending list."""
    marks = high_water.read_marks(node.data_dir)
    if peer not in marks.pending.get(stream, ()):
        return

    def strike(current: high_water.Marks) -> high_water.Marks:
        pending = dict(current.pending)
        left = tuple(p for p in pending.get(stream, ()) if p != peer)
        if left:
            pending[stream] = left
        else:
            pending.pop(stream, None)
        return high_water.Marks(current.streams, pending)

    high_water.rewrite_marks(node.data_dir, strike)

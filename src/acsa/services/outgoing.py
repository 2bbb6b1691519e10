"""What this node gives its peers: its own streams, their tips, evidence files, receipts.

A node serves only its own streams, and only to the parties of each
stream's agreement; an evidence file only to a party an event citing it was
sent to. The transport (:mod:`acsa.federation`) signs what goes on the wire
and carries it, online or in a bundle file; it reads nothing itself.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

from acsa.domain.errors import N_, DomainError
from acsa.domain.streams import stream_id
from acsa.events import CompactRange
from acsa.services.high_water import Mark, note_leaving
from acsa.services.peers import agreement_parties, get_peer, shared_agreements
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from acsa.store.log import StoredEvent, read_stream


class NotServed(DomainError):
    """A node serves only its own streams."""

    code = "not_served"


class NotAParty(DomainError):
    """The requesting party is not a party to the agreement."""

    code = "not_a_party"


class NotReleased(DomainError):
    """No event sent to the requesting party cites that evidence file."""

    code = "not_released"


class NotHeld(DomainError):
    """This node does not hold that evidence file."""

    code = "not_held"


@dataclass(frozen=True)
class StreamTip:
    """How long one of our streams is, its Merkle root and its last event."""

    stream: str
    size: int
    root: str  # hex
    head_hash: str


@dataclass(frozen=True)
class Outbox:
    """Everything a bundle for one peer carries, before the transport signs it."""

    peer: str
    streams: dict[str, list[StoredEvent]]  # our streams: events the peer has not acknowledged
    tips: list[StreamTip]  # of each of those streams, for signed heads
    acks: dict[str, dict[str, Any]]  # what this node holds of the peer's streams
    receipts: list[dict[str, Any]]  # our countersignatures of the peer's heads
    evidence: list[dict[str, Any]]  # the files the events cite, and no other
    left: int = 0  # events the peer lacks that wait for the next bundle (it would be too large)


# A bundle file is at most this large: a receiving node refuses a larger one unread.
BUNDLE_BYTES_MAX = 256 * 1024 * 1024
# What the events and files of one bundle may take: the rest of the limit is for its signed
# heads, acknowledgements, receipts and the JSON around them.
BUNDLE_CONTENT_BYTES_MAX = BUNDLE_BYTES_MAX - 16 * 1024 * 1024
EVENT_FRAME_BYTES = 400  # an event's hash, signature and key beside its canonical text


class _Filling:
    """Events taken into one bundle in stream order until its content would be too large."""

    def __init__(self, uow: UnitOfWork, room: int) -> None:
        self.uow, self.room, self.used, self.full = uow, room, 0, False
        self.cited: set[str] = set()

    def take(self, events: list[StoredEvent]) -> tuple[list[StoredEvent], int]:
        """The first of ``events`` that fit, and how many are left for the next bundle;
        the first event of a bundle always goes, whatever its size."""
        for i, e in enumerate(events):
            files = {str(x["sha256"]) for x in e.envelope.data.get("evidence", ())} - self.cited
            cost = len(e.signed.canonical) + EVENT_FRAME_BYTES + self._cost(files)
            if self.full or (self.used and self.used + cost > self.room):
                self.full = True
                return events[:i], len(events) - i
            self.used += cost
            self.cited |= files
        return events, 0

    def _cost(self, files: set[str]) -> int:
        """What ``files`` add to a bundle: their content in base64, and their names."""
        if not files:
            return 0
        size = self.uow.conn.execute(select(func.sum(T.evidence_files.c.size)).where(
            T.evidence_files.c.sha256.in_(sorted(files)))).scalar()
        return int(size or 0) * 4 // 3 + EVENT_FRAME_BYTES * len(files)


def stream_tip(uow: UnitOfWork, stream: str) -> StreamTip | None:
    row = uow.conn.execute(select(T.streams).where(T.streams.c.stream == stream)).first()
    if row is None or row.head_seq == 0:
        return None
    tree = CompactRange.from_list(json.loads(row.compact_range), size=row.head_seq)
    return StreamTip(stream, int(row.head_seq), tree.root().hex(), str(row.head_hash))


def served_stream(uow: UnitOfWork, agreement: str, party: str, peer: str) -> str:
    """The stream ``peer`` asks for, if this node may serve it to ``peer``."""
    if party != uow.node.party:
        raise NotServed(N_("this node serves only its own streams (%(own)s), not %(party)s's"),
                        field="stream", own=uow.node.party, party=party)
    parties = agreement_parties(uow, agreement)
    if uow.node.party not in parties or peer not in parties:
        raise NotAParty(
            N_("%(peer)s is not a party to %(agreement)s: its events are not served"),
            field="agreement", peer=peer, agreement=agreement,
        )
    return stream_id(agreement, party)


def check_party(uow: UnitOfWork, agreement: str, peer: str) -> None:
    """Refuse unless both this node's party and ``peer`` are parties to ``agreement``."""
    parties = agreement_parties(uow, agreement)
    if peer not in parties or uow.node.party not in parties:
        raise NotAParty(
            N_("%(peer)s is not a party to %(agreement)s"),
            field="agreement", peer=peer, agreement=agreement,
        )


def stream_page(uow: UnitOfWork, stream: str, after: int, limit: int
                ) -> tuple[list[StoredEvent], int]:
    """Our events of ``stream`` after ``after`` (at most ``limit``), and the stream's size."""
    events = read_stream(uow.conn, stream, after=max(0, after), limit=limit)
    size = uow.conn.execute(select(T.streams.c.head_seq)
                            .where(T.streams.c.stream == stream)).scalar_one_or_none()
    return events, int(size or 0)


def leaf_hashes(uow: UnitOfWork, stream: str, after: int, upto: int) -> list[str]:
    """The hashes of ``stream``'s events after ``after`` up to ``upto``, in order."""
    return list(uow.conn.execute(
        select(T.events.c.hash).where(T.events.c.stream == stream, T.events.c.seq > after,
                                      T.events.c.seq <= upto)
        .order_by(T.events.c.seq)).scalars())


def evidence_for(uow: UnitOfWork, peer: str, sha256: str) -> dict[str, Any]:
    """An evidence file, if an event of an agreement ``peer`` is party to cites it."""
    agreements = sorted(shared_agreements(uow, peer))
    streams = [stream_id(a, p) for a in agreements for p in (uow.node.party, peer)]
    cited = uow.conn.execute(select(T.events.c.id).where(
        T.events.c.stream.in_(streams),
        or_(T.events.c.envelope.contains(f'"sha256":"{sha256}"'))).limit(1)).first()
    if cited is None:
        raise NotReleased(
            N_("no event sent to %(peer)s cites this file"),
            field="sha256", peer=peer,
        )
    row = uow.conn.execute(select(T.evidence_files).where(
        T.evidence_files.c.sha256 == sha256)).first()
    if row is None:
        raise NotHeld(N_("this node does not hold that file"), field="sha256")
    return _file(row)


def _file(row: Any) -> dict[str, Any]:
    return {"sha256": row.sha256, "name": row.name, "media_type": row.media_type,
            "size": row.size, "content": base64.b64encode(row.content).decode("ascii")}


def _acks(uow: UnitOfWork, peer: str) -> dict[str, dict[str, Any]]:
    """What this node holds of the peer's streams."""
    rows = uow.conn.execute(select(T.streams).where(T.streams.c.party == peer)).all()
    return {r.stream: {"seq": r.head_seq, "hash": r.head_hash} for r in rows}


def our_receipts(uow: UnitOfWork, peer: str) -> list[dict[str, Any]]:
    """Our countersignature of the newest head we verified of each of the peer's streams."""
    out = []
    for stream in uow.conn.execute(select(T.streams.c.stream)
                                   .where(T.streams.c.party == peer)).scalars():
        row = uow.conn.execute(
            select(T.tree_heads).where(T.tree_heads.c.stream == stream,
                                       T.tree_heads.c.countersignature.is_not(None))
            .order_by(T.tree_heads.c.size.desc()).limit(1)).first()
        if row is not None:
            out.append({"head": {"head": {"stream": row.stream, "size": row.size,
                                          "root": row.root, "at": row.at},
                                 "sig": row.signature, "key": row.key},
                        "countersignature": row.countersignature})
    return out


def outbox(uow: UnitOfWork, peer: str, room: int = BUNDLE_CONTENT_BYTES_MAX) -> Outbox:
    """Everything ``peer`` has not acknowledged of our streams, for a bundle file; the
    high-water marks of those streams are raised to cover it before it is returned.

    Events are taken in stream order while they and the files they cite fit in
    ``room``; the rest waits for the next bundle (``left``), so a bundle is never
    larger than a receiving node reads, and a stream cut short carries no head. The
    files are those the events cite, and only those.
    """
    get_peer(uow, peer)
    streams: dict[str, list[StoredEvent]] = {}
    tips = []
    filling, left = _Filling(uow, room), 0
    for agreement in sorted(shared_agreements(uow, peer)):
        stream = stream_id(agreement, uow.node.party)
        acked = uow.conn.execute(
            select(T.peer_acks.c.seq).where(T.peer_acks.c.peer == peer,
                                             T.peer_acks.c.stream == stream)
        ).scalar_one_or_none() or 0
        events, more = filling.take(read_stream(uow.conn, stream, after=acked))
        left += more
        if events:
            streams[stream] = events
        tip = stream_tip(uow, stream)
        if tip is not None and not more:  # a head past what a cut bundle carries cannot be
            tips.append(tip)              # proved to its reader: it goes with the last part
    evidence = []
    if filling.cited:
        evidence = [_file(row) for row in uow.conn.execute(select(T.evidence_files).where(
            T.evidence_files.c.sha256.in_(sorted(filling.cited))))]
    # The file is written after this returns: its events count as gone from here on.
    note_leaving(uow.node, {s: Mark(evs[-1].envelope.seq, evs[-1].hash)
                            for s, evs in streams.items()})
    return Outbox(peer, streams, tips, _acks(uow, peer), our_receipts(uow, peer), evidence,
                  left)

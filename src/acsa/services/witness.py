"""Witnessing: each node checks that its peer never rewrites or forks its history.

For every stream of a peer this node holds events of, it compares each
signed tree head the peer publishes with the log it already holds:

- a head no larger than what we hold must have exactly the Merkle root of
  our first ``size`` events (each of which the peer signed);
- a larger head must come with a consistency proof from our held log to it
  (RFC 6962), checked here before any of its new events is admitted.

A head that passes is kept, with this node's countersignature, and the
countersignature goes back to the peer as a receipt. A head that fails is
proof of a rewrite or a fork: both conflicting records are kept (the new
head and the signed head or signed events it contradicts), the peer is put
in alarm, and its new events are refused until an administrator resolves it.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from acsa.domain.errors import N_, DomainError, MissingField, UnknownReference
from acsa.domain.parties import Role
from acsa.domain.streams import stream_party
from acsa.events import CompactRange, SignedTreeHead, countersign, verify_consistency
from acsa.events.merkle import leaf_hash
from acsa.events.merkle import root as merkle_root
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser
from acsa.store import tables as T

log = logging.getLogger("acsa.federation")


def b64(data: bytes) -> str:
    """A countersignature as it is stored and sent (standard base64)."""
    return base64.b64encode(data).decode("ascii")

ALARM = "alarm"
ACTIVE = "active"
EVIDENCE_LEAVES_MAX = 4096  # leaf hashes copied into an alarm's evidence, at most


class PeerInAlarm(DomainError):
    code = "peer_in_alarm"


@dataclass(frozen=True)
class HeadCheck:
    ok: bool
    verified: bool  # the head matches events we hold: countersigned and kept
    message: str = ""


def held(uow: UnitOfWork, stream: str) -> tuple[int, bytes]:
    """How many events of ``stream`` we hold and their Merkle root."""
    row = uow.conn.execute(select(T.streams).where(T.streams.c.stream == stream)).first()
    if row is None or row.head_seq == 0:
        return 0, merkle_root([])
    tree = CompactRange.from_list(json.loads(row.compact_range), size=row.head_seq)
    return int(row.head_seq), tree.root()


def held_leaves(uow: UnitOfWork, stream: str, size: int) -> list[bytes]:
    hashes = uow.conn.execute(
        select(T.events.c.hash).where(T.events.c.stream == stream, T.events.c.seq <= size)
        .order_by(T.events.c.seq)).scalars()
    return [leaf_hash(bytes.fromhex(h)) for h in hashes]


def held_root_at(uow: UnitOfWork, stream: str, size: int) -> bytes:
    count, root = held(uow, stream)
    if size == count:
        return root
    return merkle_root(held_leaves(uow, stream, size))


def in_alarm(uow: UnitOfWork, peer: str) -> bool:
    status = uow.conn.execute(select(T.peers.c.status)
                              .where(T.peers.c.party == peer)).scalar_one_or_none()
    return status == ALARM


def check_head(uow: UnitOfWork, peer: str, sth: SignedTreeHead,
               proof: list[bytes] | None, proof_from: int | None = None) -> HeadCheck:
    """Compare the peer's verified-signature head with what we hold; alarm on conflict.

    ``proof_from`` is how many events we held when we asked for the proof. Another sync of
    the same stream (the node's own loop beside an operator's ``acsa sync now``) may have
    admitted more of them since; the proof is then checked from the size it was made for,
    against our root at that size, rather than taken for a rewrite.
    """
    stream = sth.head.stream
    size, new_root = sth.head.size, bytes.fromhex(sth.head.root)
    count, our_root = held(uow, stream)
    conflict = uow.conn.execute(select(T.tree_heads).where(
        T.tree_heads.c.stream == stream, T.tree_heads.c.size == size,
        T.tree_heads.c.root != sth.head.root)).first()
    if conflict is not None:
        return _alarm(uow, peer, sth, "fork", f"{stream}: {peer} signed two different heads "
                      f"of size {size}", proof, conflicting=conflict)
    if size <= count:
        ours = held_root_at(uow, stream, size)
        if ours != new_root:
            return _alarm(uow, peer, sth, "rewrite",
                          f"{stream}: {peer}'s signed head of size {size} does not match the "
                          f"{size} events it signed earlier: its history was rewritten",
                          proof, ours_at=(size, ours))
        keep_head(uow, sth)
        return HeadCheck(True, True)
    if proof_from is not None and proof_from < count:
        # We hold more than when we asked: the proof runs from what we held then.
        if proof_from == 0:
            return HeadCheck(True, False)
        count, our_root = proof_from, held_root_at(uow, stream, proof_from)
    if count == 0:
        return HeadCheck(True, False)
    if proof is None or not verify_consistency(count, size, our_root, new_root, proof):
        return _alarm(uow, peer, sth, "rewrite",
                      f"{stream}: no valid consistency proof from the {count} events we hold to "
                      f"{peer}'s head of size {size}: its history was rewritten or forked",
                      proof, ours_at=(count, our_root))
    return HeadCheck(True, False)


def keep_head(uow: UnitOfWork, sth: SignedTreeHead) -> bytes:
    """Store a peer's head we verified against our log, with our countersignature."""
    ours = countersign(sth, uow.node.key)
    existing = uow.conn.execute(select(T.tree_heads.c.id).where(
        T.tree_heads.c.stream == sth.head.stream, T.tree_heads.c.size == sth.head.size,
        T.tree_heads.c.root == sth.head.root)).first()
    if existing is None:
        wire = sth.to_wire()
        uow.conn.execute(insert(T.tree_heads).values(
            stream=sth.head.stream, size=sth.head.size, root=sth.head.root, at=sth.head.at,
            key=sth.key, signature=wire["sig"], countersignature=b64(ours),
            received_at=uow.node.now_at()))
    return ours


def _alarm(uow: UnitOfWork, peer: str, sth: SignedTreeHead, kind: str, message: str,
           proof: list[bytes] | None, *, conflicting: Any = None,
           ours_at: tuple[int, bytes] | None = None) -> HeadCheck:
    """Raise an alarm with its proof: the conflicting head, or our size and root (``ours_at``)."""
    stream = sth.head.stream
    evidence: dict[str, Any] = {"new_head": sth.to_wire(),
                                "proof": [p.hex() for p in proof or []]}
    if conflicting is not None:
        evidence["conflicting_head"] = {
            "head": {"stream": conflicting.stream, "size": conflicting.size,
                     "root": conflicting.root, "at": conflicting.at},
            "sig": conflicting.signature, "key": conflicting.key}
    else:
        previous = uow.conn.execute(
            select(T.tree_heads).where(T.tree_heads.c.stream == stream)
            .order_by(T.tree_heads.c.size.desc()).limit(1)).first()
        if previous is not None:
            evidence["previous_head"] = {
                "head": {"stream": previous.stream, "size": previous.size,
                         "root": previous.root, "at": previous.at},
                "sig": previous.signature, "key": previous.key,
                "countersignature": previous.countersignature}
    if ours_at is not None:
        our_size, our_root = ours_at
        evidence["held"] = {"size": our_size, "root": our_root.hex()}
        if our_size <= EVIDENCE_LEAVES_MAX:
            # Each of these events carries the peer's own signature: with them,
            # anyone can recompute the root the peer's new head contradicts.
            evidence["held_event_hashes"] = list(uow.conn.execute(
                select(T.events.c.hash).where(T.events.c.stream == stream,
                                              T.events.c.seq <= our_size)
                .order_by(T.events.c.seq)).scalars())
    raise_alarm(uow, peer, stream, kind, message, evidence)
    return HeadCheck(False, False, message)


def raise_alarm(uow: UnitOfWork, peer: str, stream: str, kind: str, message: str,
                evidence: dict[str, Any]) -> None:
    """Record the alarm with its proof and stop accepting the peer's events."""
    log.error("ALARM %s: %s", peer, message)
    uow.conn.execute(insert(T.peer_alarms).values(
        peer=peer, stream=stream, raised_at=uow.node.now_at(), kind=kind, message=message,
        evidence=json.dumps(evidence, sort_keys=True)))
    uow.conn.execute(update(T.peers).where(T.peers.c.party == peer)
                     .values(status=ALARM, alarm=message))


@dataclass(frozen=True)
class Alarm:
    id: int
    peer: str
    stream: str
    raised_at: str
    kind: str
    message: str
    resolved_at: str | None
    resolved_by: str | None
    resolution: str | None


def list_alarms(uow: UnitOfWork, peer: str | None = None) -> list[Alarm]:
    query = select(T.peer_alarms).order_by(T.peer_alarms.c.id)
    if peer:
        query = query.where(T.peer_alarms.c.peer == peer)
    return [Alarm(r.id, r.peer, r.stream, r.raised_at, r.kind, r.message, r.resolved_at,
                  r.resolved_by, r.resolution) for r in uow.conn.execute(query)]


def alarm_evidence(uow: UnitOfWork, alarm_id: int) -> dict[str, Any]:
    row = uow.conn.execute(select(T.peer_alarms.c.evidence)
                           .where(T.peer_alarms.c.id == alarm_id)).scalar_one_or_none()
    if row is None:
        raise UnknownReference(N_("no alarm #%(alarm_id)s"), field="alarm", alarm_id=alarm_id)
    evidence: dict[str, Any] = json.loads(row)
    return evidence


@use_case
def resolve_alarms(uow: UnitOfWork, admin: LocalUser, peer: str, note: str) -> int:
    """An administrator lifts the alarm: the peer's events are accepted again, still witnessed.

    The evidence stays. If the peer's history still contradicts what this node
    holds, the next sync raises a new alarm.
    """
    admin.require(Role.ADMINISTRATOR)
    if not note.strip():
        raise MissingField(N_("say how it was resolved (out of band, with whom)"), field="note")
    done = uow.conn.execute(
        update(T.peer_alarms).where(T.peer_alarms.c.peer == peer,
                                    T.peer_alarms.c.resolved_at.is_(None))
        .values(resolved_at=uow.node.now_at(), resolved_by=admin.id, resolution=note))
    uow.conn.execute(update(T.peers).where(T.peers.c.party == peer)
                     .values(status=ACTIVE, alarm=None))
    log.warning("alarm on %s resolved by %s: %s", peer, admin.id, note)
    return int(done.rowcount or 0)


def keep_receipt(uow: UnitOfWork, peer: str, sth: SignedTreeHead, countersignature: bytes
                 ) -> str | None:
    """Keep the peer's countersignature of one of our own heads; a reason if refused."""
    from acsa.events import check_countersignature
    from acsa.services.peers import party_keys

    stream = sth.head.stream
    if stream_party(stream) != uow.node.party:
        return f"{stream} is not one of our streams"
    own = party_keys(uow, uow.node.party)
    key = own.known.get(sth.key) if own else None
    if key is None or sth.check(key):
        return "the head is not one we signed"
    if held_root_at(uow, stream, sth.head.size).hex() != sth.head.root or \
            held(uow, stream)[0] < sth.head.size:
        return "the head does not match our log"
    keys = party_keys(uow, peer)
    if keys is None or not any(not check_countersignature(sth, countersignature, k)
                               for k in keys.usable.values()):
        return f"the countersignature is not {peer}'s"
    existing = uow.conn.execute(select(T.tree_heads).where(
        T.tree_heads.c.stream == stream, T.tree_heads.c.size == sth.head.size,
        T.tree_heads.c.root == sth.head.root)).first()
    wire = sth.to_wire()
    if existing is None:
        uow.conn.execute(insert(T.tree_heads).values(
            stream=stream, size=sth.head.size, root=sth.head.root, at=sth.head.at, key=sth.key,
            signature=wire["sig"], countersignature=b64(countersignature),
            received_at=uow.node.now_at()))
    elif existing.countersignature is None and existing.at == sth.head.at:
        uow.conn.execute(update(T.tree_heads).where(T.tree_heads.c.id == existing.id)
                         .values(countersignature=b64(countersignature)))
    return None

"""What the health endpoints report, and the record of each peer's last sync round.

``/readyz`` (:mod:`acsa.web.health`) asks :func:`readiness`: the database answers,
its schema is the one this release was built for, and how long ago each online peer
was last synced. A node whose partner is offline is still ready — it records its
own acts and serves its users — so a peer's age is reported, never a reason to be
taken out of service.

The process that runs the background sync (one per node: :func:`sync_lease`) writes
after every round with a peer when it ended and whether it succeeded
(:func:`record_sync`), in ``node_info``, so every process serving the node reads
the same ages.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from acsa.events.timestamps import parse_at
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from acsa.store.db import SCHEMA_HEAD, schema_revision
from acsa.store.leases import Lease, signal

log = logging.getLogger("acsa.health")

SYNC_RECORD = "sync:"  # node_info key prefix, then the peer's party code
SYNC_LEASE = 0x4143_5341_5359_4E43  # "ACSASYNC": the advisory lock key on PostgreSQL


@dataclass(frozen=True)
class PeerSync:
    party: str
    last_ok_at: str | None  # the end of the last round that succeeded
    last_round_at: str | None  # the end of the last round, whatever its outcome
    last_round_ok: bool | None
    alarm: bool  # the peer rewrote or forked its history: nothing is taken from it


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str | None  # why not, in one line that names nothing secret
    database: bool  # the database answered
    schema: str | None
    peers: tuple[PeerSync, ...] = ()
    head: str = SCHEMA_HEAD


def sync_lease(node: Node) -> Lease:
    """The right to run the background sync, held by one process of the node at a time."""
    return Lease(node.engine, SYNC_LEASE, "sync")


def wake_sync(node: Node, peer: str) -> None:
    """Ask the process running the background sync to pull from ``peer`` now."""
    signal(node.engine, sync_lease(node), peer)


def record_sync(node: Node, peer: str, ok: bool) -> None:
    """After a round with ``peer``: when it ended, and when one last succeeded."""
    now = node.now_at()
    key = SYNC_RECORD + peer
    with UnitOfWork(node) as uow:
        found = uow.conn.execute(select(T.node_info.c.value)
                                 .where(T.node_info.c.key == key)).scalar_one_or_none()
        before = _decoded(found)
        value = json.dumps({"round_at": now, "ok": ok,
                            "ok_at": now if ok else before.get("ok_at")})
        if found is None:
            uow.conn.execute(insert(T.node_info).values(key=key, value=value))
        else:
            uow.conn.execute(update(T.node_info).where(T.node_info.c.key == key)
                             .values(value=value))
        uow.commit()


def readiness(node: Node) -> Readiness:
    """Whether this process can serve: the database answers and its schema is ours."""
    try:
        revision = schema_revision(node.engine)
        peers = peer_syncs(node) if revision == SCHEMA_HEAD else ()
    except Exception as exc:
        # The driver's message (host, port, user) goes to the log only.
        log.warning("the database does not answer: %s", exc)
        return Readiness(False, f"the database does not answer ({type(exc).__name__})",
                         False, None)
    if revision != SCHEMA_HEAD:
        return Readiness(False, f"the database schema is at {revision or 'nothing'}, this "
                                f"release needs {SCHEMA_HEAD}: restart acsa serve to migrate",
                         True, revision)
    return Readiness(True, None, True, revision, peers)


def peer_syncs(node: Node) -> tuple[PeerSync, ...]:
    """Each peer this node syncs with online, and its last round."""
    with UnitOfWork(node, write=False) as uow:
        peers = list(uow.conn.execute(select(T.peers.c.party, T.peers.c.status)
                                      .where(T.peers.c.base_url.is_not(None))
                                      .order_by(T.peers.c.party)))
        records = dict(uow.conn.execute(select(T.node_info.c.key, T.node_info.c.value)
                                        .where(T.node_info.c.key.like(SYNC_RECORD + "%"))).all())
    out = []
    for peer in peers:
        record = _decoded(records.get(SYNC_RECORD + peer.party))
        ok = record.get("ok")
        out.append(PeerSync(peer.party, _text(record.get("ok_at")),
                            _text(record.get("round_at")), ok if isinstance(ok, bool) else None,
                            peer.status == "alarm"))
    return tuple(out)


def age_s(at: str | None, now: datetime) -> float | None:
    """Seconds from ``at`` to ``now`` (``None`` when never)."""
    if at is None:
        return None
    try:
        return round(max(0.0, (now - parse_at(at)).total_seconds()), 1)
    except ValueError:
        return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _decoded(value: str | None) -> dict[str, object]:
    try:
        found = json.loads(value) if value else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}

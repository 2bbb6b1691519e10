"""Peers: the partner nations' nodes this node exchanges events with.

A peer is registered by its party code and its key fingerprint, exchanged
out of band (read aloud, printed, carried). Its public key is learnt from
the first bundle or request that presents a key with that fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from acsa.domain.errors import InvalidValue, UnknownReference
from acsa.domain.parties import Role, check_party_code
from acsa.events import fingerprint
from acsa.events.keys import is_fingerprint
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.store import tables as T


@dataclass(frozen=True)
class Peer:
    party: str
    fingerprint: str
    public_key: bytes | None
    base_url: str | None
    status: str
    alarm: str | None


def peer_of(row: Any) -> Peer:
    return Peer(row.party, row.fingerprint, bytes.fromhex(row.public_key) if row.public_key
                else None, row.base_url, row.status, row.alarm)


def add_peer(uow: UnitOfWork, admin: LocalUser, *, party: str, key_fingerprint: str,
             base_url: str | None = None) -> Peer:
    admin.require(Role.ADMINISTRATOR)
    check_party_code(party, field="party")
    if party == uow.node.party:
        raise InvalidValue("a node is not its own peer", field="party")
    if not is_fingerprint(key_fingerprint):
        raise InvalidValue("must be ed25519: and 64 hex digits, as `acsa init` printed it",
                           field="fingerprint")
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise InvalidValue("must be an http(s) URL", field="url")
    existing = uow.conn.execute(select(T.peers).where(T.peers.c.party == party)).first()
    if existing is not None:
        if existing.fingerprint != key_fingerprint:
            raise InvalidValue(
                f"{party} is registered with another key; a new key is a rotation",
                field="fingerprint",
            )
        uow.conn.execute(update(T.peers).where(T.peers.c.party == party)
                         .values(base_url=base_url or existing.base_url))
    else:
        uow.conn.execute(insert(T.peers).values(
            party=party, fingerprint=key_fingerprint, base_url=base_url,
            added_at=uow.node.now_at(), status="active",
        ))
    return get_peer(uow, party)


def get_peer(uow: UnitOfWork, party: str) -> Peer:
    row = uow.conn.execute(select(T.peers).where(T.peers.c.party == party)).first()
    if row is None:
        raise UnknownReference(
            f"{party} is not a registered peer: `acsa peer add {party} --fingerprint …`",
            field="peer",
        )
    return peer_of(row)


def list_peers(uow: UnitOfWork) -> list[Peer]:
    return [peer_of(r) for r in uow.conn.execute(select(T.peers).order_by(T.peers.c.party))]


def learn_public_key(uow: UnitOfWork, party: str, public_key: bytes) -> Peer:
    """Remember ``party``'s public key if it has the registered fingerprint; refuse otherwise."""
    peer = get_peer(uow, party)
    if fingerprint(public_key) != peer.fingerprint:
        raise InvalidValue(
            f"{party} presented key {fingerprint(public_key)[:23]}…, not the registered "
            f"{peer.fingerprint[:23]}…",
            field="public_key",
        )
    if peer.public_key is None:
        uow.conn.execute(update(T.peers).where(T.peers.c.party == party)
                         .values(public_key=public_key.hex()))
    return get_peer(uow, party)

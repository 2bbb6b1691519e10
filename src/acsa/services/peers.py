"""Peers: the partner nations' nodes this node exchanges events with, and their keys.

A peer is registered by its party code and its key fingerprint, exchanged
out of band (read aloud, printed, carried). Its public key is learnt from
the first bundle or request that presents a key with that fingerprint.

Keys rotate. The schedule of a peer's stream starts from the registered key
and follows the rotations and revocations in that stream; a rotated key
counts only once this node's administrator has confirmed its fingerprint
out of band (``key_confirmations``). Our own streams start from this node's
first key (kept in ``node_info``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from acsa.domain.errors import N_, InvalidValue, UnknownReference
from acsa.domain.keys import KEY_EVENT_TYPES, KeySchedule, KeySpan, schedule_of
from acsa.domain.parties import Role, check_party_code
from acsa.domain.streams import stream_agreement, stream_party
from acsa.events import NodeKey, fingerprint
from acsa.events.keys import is_fingerprint
from acsa.services.unit_of_work import UnitOfWork, use_case
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


@use_case
def add_peer(uow: UnitOfWork, admin: LocalUser, *, party: str, key_fingerprint: str,
             base_url: str | None = None) -> Peer:
    admin.require(Role.ADMINISTRATOR)
    check_party_code(party, field="party")
    if party == uow.node.party:
        raise InvalidValue(N_("a node is not its own peer"), field="party")
    if not is_fingerprint(key_fingerprint):
        raise InvalidValue(
            N_("must be ed25519: and 64 hex digits, as `acsa init` printed it"),
            field="fingerprint",
        )
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise InvalidValue(N_("must be an http(s) URL"), field="url")
    existing = uow.conn.execute(select(T.peers).where(T.peers.c.party == party)).first()
    if existing is not None:
        if existing.fingerprint != key_fingerprint:
            raise InvalidValue(
                N_("%(party)s is registered with another key; a new key is a rotation"),
                field="fingerprint", party=party,
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
            N_("%(party)s is not a registered node: an administrator registers it with its key "
               "fingerprint (Administration, Peers; or acsa peer add)"),
            field="peer", party=party,
        )
    return peer_of(row)


def list_peers(uow: UnitOfWork) -> list[Peer]:
    return [peer_of(r) for r in uow.conn.execute(select(T.peers).order_by(T.peers.c.party))]


def peers_with_urls(uow: UnitOfWork) -> list[str]:
    """The peers this node syncs with online, by party code."""
    return sorted(r.party for r in uow.conn.execute(select(T.peers)) if r.base_url)


def agreement_parties(uow: UnitOfWork, agreement: str) -> set[str]:
    """The parties of ``agreement`` by any version of its profile this node holds."""
    parties: set[str] = set()
    for document in uow.conn.execute(select(T.agreements.c.document)
                                     .where(T.agreements.c.id == agreement)).scalars():
        parties |= {p["code"] for p in json.loads(document)["parties"]}
    return parties


def shared_agreements(uow: UnitOfWork, peer: str) -> dict[str, list[str]]:
    """Agreements this node adopted whose parties include ``peer``, with their parties."""
    out: dict[str, list[str]] = {}
    for row in uow.conn.execute(select(T.agreements)):
        parties = [p["code"] for p in json.loads(row.document)["parties"]]
        if uow.node.party in parties and peer in parties:
            out[row.id] = parties
    return out


def paper_parties(uow: UnitOfWork) -> dict[str, set[str]]:
    """For each agreement, the parties some adopted version of its profile says sign on paper."""
    out: dict[str, set[str]] = {}
    for row in uow.conn.execute(select(T.agreements)):
        document = json.loads(row.document)
        out.setdefault(row.id, set()).update(
            p["code"] for p in document["parties"] if p.get("signs") == "paper")
    return out


def own_heads(uow: UnitOfWork) -> dict[str, int]:
    """How long each of this node's own streams is."""
    return {r.stream: int(r.head_seq) for r in uow.conn.execute(
        select(T.streams).where(T.streams.c.party == uow.node.party))}


def other_parties_of_streams(uow: UnitOfWork, streams: list[str]) -> dict[str, set[str]]:
    """For each of our streams, the other parties of its agreement."""
    return {s: agreement_parties(uow, stream_agreement(s)) - {uow.node.party} for s in streams}


def learn_public_key(uow: UnitOfWork, party: str, public_key: bytes) -> Peer:
    """Remember ``party``'s public key if it has the registered fingerprint; refuse otherwise."""
    peer = get_peer(uow, party)
    if fingerprint(public_key) != peer.fingerprint:
        raise InvalidValue(
            N_("%(party)s presented key %(presented)s…, not the registered %(registered)s…"),
            field="public_key", party=party, presented=fingerprint(public_key)[:23],
            registered=peer.fingerprint[:23],
        )
    if peer.public_key is None:
        uow.conn.execute(update(T.peers).where(T.peers.c.party == party)
                         .values(public_key=public_key.hex()))
    return get_peer(uow, party)


# -- keys ---------------------------------------------------------------------------

KEY_HISTORY = "key_history"  # node_info key: JSON list of this node's keys, oldest first


def confirmed_fingerprints(uow: UnitOfWork, party: str) -> frozenset[str]:
    if party == uow.node.party:
        return frozenset(k["fingerprint"] for k in own_key_history(uow))
    rows = uow.conn.execute(select(T.key_confirmations.c.fingerprint)
                            .where(T.key_confirmations.c.party == party)).scalars()
    return frozenset(rows)


def own_key_history(uow: UnitOfWork) -> list[dict[str, str]]:
    """This node's keys, oldest first; just the current one if it never rotated."""
    row = uow.conn.execute(select(T.node_info.c.value)
                           .where(T.node_info.c.key == KEY_HISTORY)).scalar_one_or_none()
    if row is None:
        key = uow.node.key
        return [{"fingerprint": key.fingerprint, "public_key": key.public_key.hex()}]
    history: list[dict[str, str]] = json.loads(row)
    return history


def remember_own_key(uow: UnitOfWork, key: NodeKey) -> None:
    history = own_key_history(uow)
    if any(k["fingerprint"] == key.fingerprint for k in history):
        return
    history.append({"fingerprint": key.fingerprint, "public_key": key.public_key.hex()})
    value = json.dumps(history)
    exists = uow.conn.execute(select(T.node_info.c.key)
                              .where(T.node_info.c.key == KEY_HISTORY)).first()
    if exists:
        uow.conn.execute(update(T.node_info).where(T.node_info.c.key == KEY_HISTORY)
                         .values(value=value))
    else:
        uow.conn.execute(insert(T.node_info).values(key=KEY_HISTORY, value=value))


def _start(uow: UnitOfWork, party: str) -> KeySchedule | None:
    confirmed = confirmed_fingerprints(uow, party)
    if party == uow.node.party:
        first = own_key_history(uow)[0]
        return KeySchedule.starting_with(first["fingerprint"], bytes.fromhex(first["public_key"]),
                                         confirmed)
    row = uow.conn.execute(select(T.peers).where(T.peers.c.party == party)).first()
    if row is None:
        return None
    return KeySchedule.starting_with(
        row.fingerprint, bytes.fromhex(row.public_key) if row.public_key else None, confirmed)


def stream_schedule(uow: UnitOfWork, stream: str, *, upto: int | None = None
                    ) -> KeySchedule | None:
    """The key schedule of ``stream`` as its held events (up to ``upto``) make it."""
    party = stream_party(stream)
    start = _start(uow, party)
    if start is None:
        return None
    query = (select(T.events.c.type, T.events.c.seq, T.events.c.envelope, T.events.c.key)
             .where(T.events.c.stream == stream, T.events.c.type.in_(sorted(KEY_EVENT_TYPES)))
             .order_by(T.events.c.seq))
    if upto is not None:
        query = query.where(T.events.c.seq <= upto)
    held = [(r.type, r.seq, json.loads(r.envelope)["data"]) for r in uow.conn.execute(query)]
    return schedule_of(start, held)


@dataclass(frozen=True)
class PartyKeys:
    """The keys that may authenticate ``party`` now (requests, bundles, heads)."""

    party: str
    registered: str
    usable: dict[str, bytes]  # fingerprint -> public key
    known: dict[str, bytes]  # every key ever in force, for old signed heads
    revoked: frozenset[str]


def party_keys(uow: UnitOfWork, party: str) -> PartyKeys | None:
    start = _start(uow, party)
    if start is None:
        return None
    streams = uow.conn.execute(select(T.streams.c.stream)
                               .where(T.streams.c.party == party)).scalars().all()
    spans: list[KeySpan] = list(start.spans)
    for stream in streams:
        schedule = stream_schedule(uow, stream)
        if schedule is not None:
            spans.extend(schedule.spans)
    revoked = frozenset(s.fingerprint for s in spans if s.revoked_at is not None)
    usable = {s.fingerprint: s.public_key for s in spans
              if s.confirmed and s.public_key is not None and s.fingerprint not in revoked}
    known = {s.fingerprint: s.public_key for s in spans if s.public_key is not None}
    return PartyKeys(party, start.spans[0].fingerprint, usable, known, revoked)


# -- rotation, confirmation, revocation ------------------------------------------------

RETIRED_KEYS_DIR = "keys"


def _own_streams(uow: UnitOfWork) -> list[str]:
    """Agreements this node adopted: each of its streams must hear of a key change."""
    agreements = set()
    for row in uow.conn.execute(select(T.agreements)):
        if uow.node.party in json.loads(row.adopted_by):
            agreements.add(row.id)
    return sorted(agreements)


def _record_key_event(uow: UnitOfWork, admin: LocalUser, type_: str, data: dict[str, str]
                      ) -> int:
    from acsa.services.recording import Act, adopted_profile, record

    count = 0
    for agreement in _own_streams(uow):
        profile = adopted_profile(uow, agreement)
        record(uow, admin, Act(agreement=agreement, type=type_, subject=data["fingerprint"],
                               data=data, role=Role.ADMINISTRATOR, on=uow.node.today(profile),
                               needs_appointment=False))
        count += 1
    return count


@use_case
def rotate_key(uow: UnitOfWork, admin: LocalUser) -> tuple[str, str]:
    """Announce a new node key in every stream, signed by the current key; then switch to it.

    The caller commits and then calls :func:`install_rotated_key`; until the
    peers' administrators confirm the new fingerprint, they keep trusting the
    old key (which stays valid until revoked).
    """
    from acsa.domain.keys import KEY_ROTATION_ANNOUNCED

    admin.require(Role.ADMINISTRATOR)
    old, new = uow.node.key, NodeKey.generate()
    directory = uow.node.data_dir / RETIRED_KEYS_DIR
    directory.mkdir(mode=0o700, exist_ok=True)
    # The new key is on disk before anything announces it, so it is never lost.
    new.save(directory / "next.key")
    remember_own_key(uow, old)
    remember_own_key(uow, new)
    _record_key_event(uow, admin, KEY_ROTATION_ANNOUNCED,
                      {"fingerprint": new.fingerprint, "public_key": new.public_key.hex()})
    return old.fingerprint, new.fingerprint


def install_rotated_key(node: Any) -> None:
    """After the announcements are committed: node.key becomes the new key, the old one retired."""
    import os


    directory = node.data_dir / RETIRED_KEYS_DIR
    current = node.key_path
    old = NodeKey.load(current)
    os.replace(current, directory / f"{old.fingerprint.removeprefix('ed25519:')[:16]}.key")
    os.replace(directory / "next.key", current)
    node.key = NodeKey.load(current)


@use_case
def revoke_key(uow: UnitOfWork, admin: LocalUser, key_fingerprint: str) -> int:
    """Revoke one of this node's former keys from the next position of every stream on."""
    from acsa.domain.keys import KEY_REVOKED

    admin.require(Role.ADMINISTRATOR)
    if key_fingerprint == uow.node.key.fingerprint:
        raise InvalidValue(
            N_("this is the key in use: rotate first (`acsa peer rotate-key`)"),
            field="fingerprint",
        )
    if not any(k["fingerprint"] == key_fingerprint for k in own_key_history(uow)):
        raise InvalidValue(N_("not one of this node's keys"), field="fingerprint")
    count = _record_key_event(uow, admin, KEY_REVOKED, {"fingerprint": key_fingerprint})
    retired = uow.node.data_dir / RETIRED_KEYS_DIR / \
        f"{key_fingerprint.removeprefix('ed25519:')[:16]}.key"
    if retired.exists():
        retired.rename(retired.with_suffix(".revoked"))
    return count


@use_case
def confirm_key(uow: UnitOfWork, admin: LocalUser, party: str, key_fingerprint: str) -> Peer:
    """The administrator confirms, out of band, a peer's new key fingerprint."""
    admin.require(Role.ADMINISTRATOR)
    peer = get_peer(uow, party)
    if not is_fingerprint(key_fingerprint):
        raise InvalidValue(N_("must be ed25519: and 64 hex digits"), field="fingerprint")
    exists = uow.conn.execute(select(T.key_confirmations).where(
        T.key_confirmations.c.party == party,
        T.key_confirmations.c.fingerprint == key_fingerprint)).first()
    if exists is None:
        uow.conn.execute(insert(T.key_confirmations).values(
            party=party, fingerprint=key_fingerprint, confirmed_at=uow.node.now_at(),
            confirmed_by=admin.id))
    return peer


def pending_keys(uow: UnitOfWork, party: str) -> list[KeySpan]:
    """Keys ``party`` announced that this node's administrator has not confirmed yet."""
    keys: list[KeySpan] = []
    for stream in uow.conn.execute(select(T.streams.c.stream)
                                   .where(T.streams.c.party == party)).scalars():
        schedule = stream_schedule(uow, stream)
        if schedule is not None:
            keys += [s for s in schedule.spans if not s.confirmed]
    return keys

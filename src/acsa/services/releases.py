"""Release packages: an order's consented events for a third nation, and holding one.

The third nation is no party to the bilateral stream, and one event of a hash
chain cannot be taken alone, so a release is a self-contained package
(``acsa-release/1``, docs/security.md "Releases to a third nation"):

- ``keys``: each originator's node public key (hex), which the recipient
  checks against the fingerprint its administrator registered for that party;
- ``heads``: per stream, a tree head signed by the stream's own node;
- ``consents``: the ``consent.requested`` event and one ``consent.granted``
  per originator, and ``events``: exactly the events the grants list — each
  entry the signed event as signed, with its RFC 6962 inclusion proof against
  its stream's head.

A node builds a package only once every originator has consented. The
recipient verifies every signature, proof and consent, that the package names
it, and that it holds nothing the grants do not list; it then keeps the
package whole and read-only in ``releases``, never in its streams,
projections, balances or ceilings. Any fault refuses the whole package in one
line, and nothing is stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from acsa.domain import facts as F
from acsa.domain.consent import GRANTED, RELEASE, Consent
from acsa.domain.errors import N_, InvalidValue, UnknownReference
from acsa.domain.parties import Role
from acsa.domain.streams import stream_agreement, stream_party
from acsa.events import (
    EnvelopeInvalid,
    SignedEvent,
    SignedTreeHead,
    TreeHead,
    canonical_json,
    fingerprint,
    inclusion_proof,
    leaf_hash,
)
from acsa.events.merkle import verify_inclusion
from acsa.reading import loads_json
from acsa.services.consent import consents
from acsa.services.peers import confirmed_fingerprints
from acsa.services.queries import order_row
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser, NotPermitted
from acsa.services.witness import held, held_leaves
from acsa.store import tables as T
from acsa.store.log import StoredEvent, fact_of, stored

FORMAT = "acsa-release/1"
PACKAGE_KEYS = frozenset({"format", "agreement", "order", "recipient", "request", "keys",
                          "heads", "consents", "events"})
PACKAGE_BYTES_MAX = 16 * 1024 * 1024
PACKAGE_DEPTH_MAX = 24
RELEASERS = frozenset({Role.SECURITY_OFFICER})
HELD, SENT = "held", "sent"


def _refuse(message: str, **params: Any) -> InvalidValue:
    return InvalidValue(message, field="package", **params)


# -- building ---------------------------------------------------------------------------


def granted_consent(uow: UnitOfWork, order: str, recipient: str) -> Consent:
    """The newest request to release ``order`` to ``recipient`` that every originator granted."""
    found = [c for c in consents(uow, order) if c.action == RELEASE
             and c.recipient == recipient and c.status == GRANTED]
    if not found:
        raise InvalidValue(N_("%(order)s may not go to %(recipient)s: not every originator "
                              "of its events has consented"), field="order", order=order,
                           recipient=recipient)
    return found[-1]


def _event_row(uow: UnitOfWork, hash_: str) -> Any:
    row = uow.conn.execute(select(T.events).where(T.events.c.hash == hash_)).first()
    if row is None:
        raise UnknownReference(N_("event %(event)s is not on this node"), field="order",
                               event=hash_[:12])
    return row


def _head(uow: UnitOfWork, stream: str, needed: int) -> SignedTreeHead:
    """A head of ``stream`` covering its first ``needed`` events, signed by its own node:
    this node signs one for its own streams; for a partner's, the newest the partner
    signed and this node verified and kept."""
    if stream_party(stream) == uow.node.party:
        size, root_hash = held(uow, stream)
        return SignedTreeHead.sign(TreeHead(stream, size, root_hash.hex(), uow.node.now_at()),
                                   uow.node.key)
    h = T.tree_heads.c
    row = uow.conn.execute(select(T.tree_heads).where(
        h.stream == stream, h.size >= needed, h.key != uow.node.key.fingerprint)
        .order_by(h.size.desc())).first()
    if row is None:
        raise InvalidValue(N_("no tree head signed by %(party)s covers its consent yet: "
                              "sync with %(party)s first"), field="order",
                           party=stream_party(stream))
    return SignedTreeHead.from_wire({"head": {"stream": row.stream, "size": row.size,
                                              "root": row.root, "at": row.at},
                                     "sig": row.signature, "key": row.key})


def _public_key(uow: UnitOfWork, party: str, key_fp: str) -> str:
    if party == uow.node.party:
        return uow.node.key.public_key.hex()
    row = uow.conn.execute(select(T.peers).where(T.peers.c.party == party)).first()
    if row is None or not row.public_key or fingerprint(bytes.fromhex(row.public_key)) != key_fp:
        raise InvalidValue(N_("the public key of %(party)s is not known here"), field="order",
                           party=party)
    return str(row.public_key)


def build_package(uow: UnitOfWork, user: LocalUser, order: str, recipient: str
                  ) -> dict[str, Any]:
    """The release package of ``order`` for ``recipient`` (a security officer's act)."""
    if not user.roles & RELEASERS:
        raise NotPermitted(N_("only a security officer releases an order"), field="user")
    row = order_row(uow, user, order)
    consent = granted_consent(uow, order, recipient)
    grants = [a for a in consent.answers if a.answer == GRANTED]
    consent_rows = [_event_row(uow, h) for h in (consent.request, *(a.event for a in grants))]
    event_rows = [_event_row(uow, h) for h in consent.released]
    needed: dict[str, int] = {}
    for r in (*consent_rows, *event_rows):
        needed[r.stream] = max(needed.get(r.stream, 0), int(r.seq))
    heads = {s: _head(uow, s, n) for s, n in sorted(needed.items())}
    leaves = {s: held_leaves(uow, s, h.head.size) for s, h in heads.items()}

    def entry(r: Any) -> dict[str, Any]:
        signed = SignedEvent.from_stored(r.envelope, r.hash, r.signature, r.key)
        proof = inclusion_proof(leaves[r.stream], int(r.seq) - 1)
        return {**signed.to_wire(), "proof": [p.hex() for p in proof]}

    keys = {stream_party(s): _public_key(uow, stream_party(s), h.key) for s, h in heads.items()}
    return {"format": FORMAT, "agreement": str(row.agreement), "order": order,
            "recipient": recipient, "request": consent.request, "keys": keys,
            "heads": {s: h.to_wire() for s, h in heads.items()},
            "consents": [entry(r) for r in consent_rows],
            "events": [entry(r) for r in event_rows]}


def package_bytes(package: Mapping[str, Any]) -> bytes:
    """The package as it is written and sent: its canonical JSON."""
    return canonical_json(dict(package))


@use_case
def sent_events(uow: UnitOfWork, package: Mapping[str, Any]) -> list[StoredEvent]:
    """The events of this node's log that ``package`` carries (released and consents)."""
    hashes = [str(e["hash"]) for e in (*package["events"], *package["consents"])]
    return [stored(row) for row in uow.conn.execute(
        select(T.events).where(T.events.c.hash.in_(hashes)).order_by(T.events.c.id))]


def record_sent(uow: UnitOfWork, user: LocalUser, package: Mapping[str, Any], sent_to: str
                ) -> int:
    """Keep the trail of a package this node sent (or wrote for carrying)."""
    return _store(uow, package, SENT, sent_to, user.id)


# -- verifying and holding --------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """A package that passed every check."""

    package: dict[str, Any]
    originators: tuple[str, ...]
    events: int


def _entry(raw: object, keys: Mapping[str, bytes], heads: Mapping[str, SignedTreeHead],
           where: str) -> SignedEvent:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("proof"), list):
        raise _refuse(N_("%(where)s: an entry must be a signed event with its proof"),
                      where=where)
    try:
        signed = SignedEvent.from_wire({k: v for k, v in raw.items() if k != "proof"})
        proof = [bytes.fromhex(p) for p in raw["proof"]]
    except (EnvelopeInvalid, ValueError, TypeError) as exc:
        raise _refuse(N_("%(where)s: unreadable: %(problem)s"), where=where,
                      problem=str(exc)) from None
    env = signed.envelope
    party = stream_party(env.stream)
    if party not in keys or env.stream not in heads:
        raise _refuse(N_("%(where)s: no key or tree head for stream %(stream)s"),
                      where=where, stream=env.stream)
    problems = signed.check(keys[party])
    if problems:
        raise _refuse(N_("%(where)s: %(problem)s"), where=where, problem=problems[0])
    head = heads[env.stream].head
    if not verify_inclusion(leaf_hash(bytes.fromhex(signed.hash)), env.seq - 1, head.size,
                            proof, bytes.fromhex(head.root)):
        raise _refuse(N_("%(where)s: its inclusion proof does not reach the signed tree head "
                         "of %(stream)s"), where=where, stream=env.stream)
    return signed


def _keys(uow: UnitOfWork, document: Mapping[str, Any]) -> dict[str, bytes]:
    raw = document.get("keys")
    if not isinstance(raw, Mapping):
        raise _refuse(N_("keys: must map each originator to its public key"))
    keys: dict[str, bytes] = {}
    for party, text in raw.items():
        try:
            key = bytes.fromhex(str(text))
        except ValueError:
            raise _refuse(N_("keys.%(party)s: not a public key"), party=party) from None
        registered = _registered(uow, str(party))
        if fingerprint(key) not in registered:
            raise _refuse(N_("keys.%(party)s: not the key registered here for %(party)s"),
                          party=party)
        keys[str(party)] = key
    return keys


def _registered(uow: UnitOfWork, party: str) -> frozenset[str]:
    row = uow.conn.execute(select(T.peers.c.fingerprint).where(T.peers.c.party == party)
                           ).scalar_one_or_none()
    return confirmed_fingerprints(uow, party) | ({row} if row else set())


def _heads(document: Mapping[str, Any], keys: Mapping[str, bytes], agreement: str
           ) -> dict[str, SignedTreeHead]:
    raw = document.get("heads")
    if not isinstance(raw, Mapping):
        raise _refuse(N_("heads: must map each stream to its signed tree head"))
    heads: dict[str, SignedTreeHead] = {}
    for stream, wire in raw.items():
        try:
            sth = SignedTreeHead.from_wire(wire)
        except EnvelopeInvalid as exc:
            raise _refuse(N_("heads.%(stream)s: unreadable: %(problem)s"), stream=stream,
                          problem=str(exc)) from None
        party = stream_party(sth.head.stream)
        if sth.head.stream != stream or stream_agreement(stream) != agreement \
                or party not in keys:
            raise _refuse(N_("heads.%(stream)s: not a stream of %(agreement)s's originators"),
                          stream=stream, agreement=agreement)
        problems = sth.check(keys[party])
        if problems:
            raise _refuse(N_("heads.%(stream)s: %(problem)s"), stream=stream,
                          problem=problems[0])
        heads[stream] = sth
    return heads


def verify_package(uow: UnitOfWork, raw: bytes, source: str) -> Checked:
    """Every check of a package received as the third nation (module docstring)."""
    if len(raw) > PACKAGE_BYTES_MAX:
        raise _refuse(N_("larger than %(limit)s bytes"), limit=PACKAGE_BYTES_MAX)
    document = loads_json(raw, source=source, field="package", depth_max=PACKAGE_DEPTH_MAX)
    if not isinstance(document, dict) or set(document) != PACKAGE_KEYS \
            or document.get("format") != FORMAT:
        raise _refuse(N_("not a release package (%(format)s)"), format=FORMAT)
    me = uow.node.party
    if document["recipient"] != me:
        raise _refuse(N_("released to %(recipient)s, not to %(party)s"),
                      recipient=document["recipient"], party=me)
    agreement, order = str(document["agreement"]), str(document["order"])
    keys = _keys(uow, document)
    heads = _heads(document, keys, agreement)
    if not isinstance(document["consents"], list) or not isinstance(document["events"], list):
        raise _refuse(N_("consents and events must be lists"))
    consent = [_entry(e, keys, heads, f"consents[{i}]")
               for i, e in enumerate(document["consents"])]
    released = [_entry(e, keys, heads, f"events[{i}]")
                for i, e in enumerate(document["events"])]
    originators = _check_consents(consent, document, order, me)
    _check_released(released, consent[1:], agreement, order)
    used = {e.envelope.stream for e in (*consent, *released)}
    if used != set(heads) or {stream_party(s) for s in used} != set(keys):
        raise _refuse(N_("carries a tree head or key that no entry needs"))
    return Checked(document, originators, len(released))


def _check_consents(consent: list[SignedEvent], document: Mapping[str, Any], order: str,
                    me: str) -> tuple[str, ...]:
    if not consent or consent[0].hash != document["request"] \
            or consent[0].envelope.type != F.CONSENT_REQUESTED:
        raise _refuse(N_("consents[0]: must be the request the package names"))
    request = fact_of(consent[0])
    if request.data.get("order") != order or request.data.get("recipient") != me \
            or request.data.get("action") != RELEASE:
        raise _refuse(N_("consents[0]: does not ask to release %(order)s to %(party)s"),
                      order=order, party=me)
    originators = tuple(sorted(request.data.get("originators") or ()))
    granted: list[str] = []
    for i, signed in enumerate(consent[1:], start=1):
        f = fact_of(signed)
        if f.type != F.CONSENT_GRANTED or f.data.get("request") != request.hash \
                or f.data.get("order") != order or f.data.get("recipient") != me \
                or f.actor.party != f.signer:
            raise _refuse(N_("consents[%(i)s]: not a grant of this request"), i=i)
        granted.append(f.signer)
    missing = sorted(set(originators) - set(granted))
    if missing or len(granted) != len(set(granted)) or set(granted) - set(originators):
        raise _refuse(N_("the consent of %(parties)s is missing"),
                      parties=", ".join(missing) or "an originator")
    return originators


def _check_released(released: list[SignedEvent], grants: list[SignedEvent], agreement: str,
                    order: str) -> None:
    listed = {h: signed.envelope.stream for signed in grants
              for h in fact_of(signed).data.get("events") or ()}
    for i, signed in enumerate(released):
        env = signed.envelope
        if listed.get(signed.hash) != env.stream:
            raise _refuse(N_("events[%(i)s]: no originator's grant lists it"), i=i)
        if stream_agreement(env.stream) != agreement or env.subject != order \
                or env.type in F.MULTI_ORDER_TYPES:
            raise _refuse(N_("events[%(i)s]: not an event of %(order)s"), i=i, order=order)
    if len({s.hash for s in released}) != len(released) or len(released) != len(listed):
        raise _refuse(N_("the events are not exactly those the grants list"))


@use_case
def hold_release(uow: UnitOfWork, user: LocalUser, raw: bytes, *, source: str
                 ) -> dict[str, Any]:
    """A security officer of the third nation imports a package carried as a file."""
    user.require(*RELEASERS)
    return import_package(uow, raw, source=source, by=user.id)


@use_case
def import_package(uow: UnitOfWork, raw: bytes, *, source: str, by: str) -> dict[str, Any]:
    """Verify a package received as the third nation and hold it, read-only; one refusal
    naming the first fault, and nothing stored, otherwise."""
    checked = verify_package(uow, raw, source)
    found = _existing(uow, checked.package, HELD)
    if found is None:
        found = _store(uow, checked.package, HELD, source, by)
    return show_view(uow, found)


def _existing(uow: UnitOfWork, package: Mapping[str, Any], direction: str) -> int | None:
    digest = hashlib.sha256(package_bytes(package)).hexdigest()
    r = T.releases.c
    found = uow.conn.execute(select(r.id).where(r.sha256 == digest, r.direction == direction)
                             ).scalar_one_or_none()
    return int(found) if found is not None else None


def _store(uow: UnitOfWork, package: Mapping[str, Any], direction: str, counterpart: str,
           by: str) -> int:
    existing = _existing(uow, package, direction)
    if existing is not None:
        return existing
    text = package_bytes(package)
    result = uow.conn.execute(insert(T.releases).values(
        sha256=hashlib.sha256(text).hexdigest(), direction=direction,
        agreement=package["agreement"], order_number=package["order"],
        recipient=package["recipient"], originators=" ".join(sorted(package["keys"])),
        request=package["request"], events=len(package["events"]), package=text.decode(),
        counterpart=counterpart[:200], recorded_at=uow.node.now_at(), recorded_by=by))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


# -- reading ----------------------------------------------------------------------------


READERS = frozenset({Role.SECURITY_OFFICER, Role.AUDITOR})


def _may_read(user: LocalUser) -> None:
    if not user.roles & READERS:
        raise NotPermitted(N_("only security officers and auditors read releases"),
                           field="user")


def _view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "direction": row.direction, "agreement": row.agreement,
            "order": row.order_number, "recipient": row.recipient,
            "originators": row.originators.split(), "request": row.request,
            "events": row.events, "counterpart": row.counterpart,
            "recorded_at": row.recorded_at, "recorded_by": row.recorded_by,
            "sha256": row.sha256}


def list_views(uow: UnitOfWork, user: LocalUser, direction: str | None = None
               ) -> list[dict[str, Any]]:
    """The packages this node holds as a third nation, and those it sent."""
    _may_read(user)
    query = select(T.releases).order_by(T.releases.c.id)
    if direction:
        query = query.where(T.releases.c.direction == direction)
    return [_view(r) for r in uow.conn.execute(query)]


def sent_for_order(uow: UnitOfWork, order: str) -> list[dict[str, Any]]:
    """The releases of ``order`` this node sent (its order page's release trail)."""
    r = T.releases.c
    return [_view(row) for row in uow.conn.execute(
        select(T.releases).where(r.order_number == order, r.direction == SENT).order_by(r.id))]


def show_view(uow: UnitOfWork, release_id: int, user: LocalUser | None = None
              ) -> dict[str, Any]:
    """One package: its summary and its events, read-only, as signed."""
    if user is not None:
        _may_read(user)
    row = uow.conn.execute(select(T.releases).where(T.releases.c.id == release_id)).first()
    if row is None:
        raise UnknownReference(N_("no release %(id)s on this node"), field="release",
                               id=release_id)
    package = json.loads(row.package)
    entries = []
    for part in ("consents", "events"):
        for e in package[part]:
            env = e["event"]
            entries.append({"part": part, "hash": e["hash"], "stream": env["stream"],
                            "seq": env["seq"], "type": env["type"], "at": env["at"],
                            "actor": env["actor"].get("name"), "marking": env["marking"],
                            "data": env["data"]})
    return {**_view(row), "entries": entries}

"""Bundles: a peer's share of the log carried across an air gap as one signed file.

A bundle holds, for each of this node's streams the peer is entitled to,
the events the peer has not acknowledged; the signed tree head of each of
those streams; the evidence files those events cite; and this node's
acknowledgements of the peer's streams (the heads it holds), which is how
the peer learns what it no longer needs to send. The whole file is signed.

Import admits the whole file before applying anything — signature, key,
stream, sequence, chain, schema — and quarantines it with every reason
otherwise. Importing the same bundle twice changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from acsa.domain.errors import DomainError
from acsa.events import (
    PURPOSE_BUNDLE,
    BadSignature,
    CompactRange,
    SignedTreeHead,
    TreeHead,
    canonical_json,
    verify,
)
from acsa.federation.admission import Admission, admit
from acsa.federation.witness import in_alarm
from acsa.services.peers import get_peer, learn_public_key
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from acsa.store.log import append, fact_of, read_stream
from acsa.store.projections import apply_context, refresh_orders

BUNDLE_FORMAT = "acsa-bundle/1"
EVIDENCE_FILE_SIZE_MAX = 25 * 1024 * 1024


class BundleRefused(DomainError):
    code = "bundle_refused"


@dataclass(frozen=True)
class ExportSummary:
    path: str
    peer: str
    events: int
    streams: dict[str, tuple[int, int]]  # stream -> (first seq, last seq)
    evidence: int


@dataclass(frozen=True)
class ImportSummary:
    peer: str
    applied: int
    duplicates: int
    orders: list[str] = field(default_factory=list)
    quarantined: int | None = None  # quarantine id, when refused
    problems: list[str] = field(default_factory=list)


def shared_agreements(uow: UnitOfWork, peer: str) -> dict[str, list[str]]:
    """Agreements this node adopted whose parties include ``peer``, with their parties."""
    out: dict[str, list[str]] = {}
    for row in uow.conn.execute(select(T.agreements)):
        parties = [p["code"] for p in json.loads(row.document)["parties"]]
        if uow.node.party in parties and peer in parties:
            out[row.id] = parties
    return out


def signed_head(uow: UnitOfWork, stream: str) -> SignedTreeHead | None:
    row = uow.conn.execute(select(T.streams).where(T.streams.c.stream == stream)).first()
    if row is None or row.head_seq == 0:
        return None
    tree = CompactRange.from_list(json.loads(row.compact_range), size=row.head_seq)
    head = TreeHead(stream=stream, size=row.head_seq, root=tree.root().hex(),
                    at=uow.node.now_at())
    return SignedTreeHead.sign(head, uow.node.key)


def _acks(uow: UnitOfWork, peer: str) -> dict[str, dict[str, Any]]:
    """What this node holds of the peer's streams."""
    rows = uow.conn.execute(select(T.streams).where(T.streams.c.party == peer)).all()
    return {r.stream: {"seq": r.head_seq, "hash": r.head_hash} for r in rows}


def export_bundle(uow: UnitOfWork, peer: str, out: Path) -> ExportSummary:
    """Write everything ``peer`` has not acknowledged to ``out``."""
    get_peer(uow, peer)
    agreements = shared_agreements(uow, peer)
    streams_out: dict[str, list[dict[str, Any]]] = {}
    heads = []
    cited: set[str] = set()
    ranges: dict[str, tuple[int, int]] = {}
    for agreement in sorted(agreements):
        stream = f"{agreement}/{uow.node.party}"
        acked = uow.conn.execute(
            select(T.peer_acks.c.seq).where(T.peer_acks.c.peer == peer,
                                             T.peer_acks.c.stream == stream)
        ).scalar_one_or_none() or 0
        events = read_stream(uow.conn, stream, after=acked)
        if events:
            streams_out[stream] = [e.signed.to_wire() for e in events]
            ranges[stream] = (events[0].envelope.seq, events[-1].envelope.seq)
            for e in events:
                cited |= {str(x["sha256"]) for x in e.envelope.data.get("evidence", ())}
        head = signed_head(uow, stream)
        if head is not None:
            heads.append(head.to_wire())
    evidence = []
    if cited:
        for row in uow.conn.execute(
            select(T.evidence_files).where(T.evidence_files.c.sha256.in_(sorted(cited)))
        ):
            evidence.append({
                "sha256": row.sha256, "name": row.name, "media_type": row.media_type,
                "size": row.size, "content": base64.b64encode(row.content).decode("ascii"),
            })
    body = {
        "format": BUNDLE_FORMAT,
        "from": uow.node.party,
        "to": peer,
        "created_at": uow.node.now_at(),
        "public_key": uow.node.key.public_key.hex(),
        "streams": streams_out,
        "heads": heads,
        "acks": _acks(uow, peer),
        "receipts": our_receipts(uow, peer),
        "evidence": evidence,
    }
    digest = hashlib.sha256(canonical_json(body)).digest()
    document = {**body, "signature": base64.b64encode(
        uow.node.key.sign(PURPOSE_BUNDLE, digest)).decode("ascii")}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".part")
    tmp.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    tmp.replace(out)
    return ExportSummary(str(out), peer, sum(len(v) for v in streams_out.values()), ranges,
                         len(evidence))


def import_bundle(uow: UnitOfWork, path: Path) -> ImportSummary:
    """Admit the whole file, then apply it; or quarantine it with every reason."""
    raw = path.read_bytes()
    problems: list[str] = []
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _quarantine(uow, str(path), None, raw, [f"not a complete bundle: {exc}"])
    if not isinstance(document, dict) or document.get("format") != BUNDLE_FORMAT:
        return _quarantine(uow, str(path), None, raw, [f"not an {BUNDLE_FORMAT} file"])
    peer = str(document.get("from", ""))
    if document.get("to") != uow.node.party:
        problems.append(f"addressed to {document.get('to')}, not to {uow.node.party}")
    try:
        public_key = bytes.fromhex(str(document.get("public_key", "")))
        trust_bundle_key(uow, peer, public_key)
    except (ValueError, DomainError) as exc:
        return _quarantine(uow, str(path), peer or None, raw, [*problems, f"sender: {exc}"])
    if in_alarm(uow, peer):
        return _quarantine(uow, str(path), peer, raw, [
            *problems, f"{peer} is in alarm (its history contradicts what this node holds): "
            "its events are refused until an administrator resolves it (`acsa peer resolve`)"])
    body = {k: v for k, v in document.items() if k != "signature"}
    try:
        verify(public_key, PURPOSE_BUNDLE, hashlib.sha256(canonical_json(body)).digest(),
               base64.b64decode(str(document.get("signature", "")), validate=True))
    except (BadSignature, ValueError):
        problems.append("the bundle's signature does not verify under the peer's key")
    except Exception as exc:
        problems.append(f"the bundle cannot be canonicalised: {exc}")
    events = [e for evs in dict(document.get("streams") or {}).values() for e in evs]
    admission = admit_from_peer(uow, peer, public_key, events)
    problems += admission.problems
    problems += _check_evidence(document.get("evidence") or [])
    if problems:
        return _quarantine(uow, str(path), peer, raw, problems)
    orders = apply_admitted(uow, admission, origin="bundle")
    _store_evidence(uow, document.get("evidence") or [])
    record_acks(uow, peer, document.get("acks") or {})
    alarms = _keep_heads(uow, peer, document.get("heads") or [])
    _keep_receipts(uow, peer, document.get("receipts") or [])
    return ImportSummary(peer, len(admission.new), admission.duplicates, sorted(orders),
                         problems=alarms)


def trust_bundle_key(uow: UnitOfWork, peer: str, public_key: bytes) -> None:
    """Accept the key a bundle is signed with if it is one the peer may sign with now."""
    from acsa.events import fingerprint
    from acsa.services.peers import party_keys

    keys = party_keys(uow, peer)
    if keys is not None and fingerprint(public_key) in keys.usable:
        return
    if keys is not None and fingerprint(public_key) in keys.revoked:
        raise DomainError(f"{peer} signed with a revoked key", field="public_key")
    learn_public_key(uow, peer, public_key)


def admit_from_peer(uow: UnitOfWork, peer: str, public_key: bytes,
                    events: Iterable[Any]) -> Admission:
    """Admission of a peer's events against what this node holds: bundles and online alike."""
    from acsa.services.peers import stream_schedule

    agreements = shared_agreements(uow, peer)
    heads = {
        r.stream: (r.head_seq, r.head_hash)
        for r in uow.conn.execute(select(T.streams).where(T.streams.c.party == peer))
    }
    schedules = {}
    for agreement in agreements:
        stream = f"{agreement}/{peer}"
        schedule = stream_schedule(uow, stream)
        if schedule is not None:
            schedules[stream] = schedule

    def held(stream: str, seq: int) -> str | None:
        return uow.conn.execute(
            select(T.events.c.hash).where(T.events.c.stream == stream, T.events.c.seq == seq)
        ).scalar_one_or_none()

    return admit(events, peer=peer, public_key=public_key, agreements=agreements,
                 me=uow.node.party, heads=heads, held=held, schedules=schedules,
                 paper=paper_parties(uow))


def paper_parties(uow: UnitOfWork) -> dict[str, set[str]]:
    """For each agreement, the parties some adopted version of its profile says sign on paper."""
    out: dict[str, set[str]] = {}
    for row in uow.conn.execute(select(T.agreements)):
        document = json.loads(row.document)
        out.setdefault(row.id, set()).update(
            p["code"] for p in document["parties"] if p.get("signs") == "paper")
    return out


def apply_admitted(uow: UnitOfWork, admission: Admission, *, origin: str) -> set[str]:
    """Append admitted events, update context tables, then re-fold the orders they touch."""
    touched: set[str] = set()
    received_at = uow.node.now_at()
    for e in admission.new:
        append(uow.conn, e, origin=origin, received_at=received_at)
        fact = fact_of(e)
        if fact.orders():
            touched |= set(fact.orders())
        else:
            apply_context(uow.conn, fact)
            uow.context_changed()
    if touched:
        refresh_orders(uow.conn, touched, uow.context)
    return touched


def _check_evidence(files: list[Any]) -> list[str]:
    problems = []
    for i, f in enumerate(files):
        try:
            content = base64.b64decode(str(f["content"]), validate=True)
        except (KeyError, ValueError, TypeError):
            problems.append(f"evidence {i}: unreadable content")
            continue
        if len(content) > EVIDENCE_FILE_SIZE_MAX:
            problems.append(f"evidence {i}: larger than {EVIDENCE_FILE_SIZE_MAX} bytes")
        if hashlib.sha256(content).hexdigest() != f.get("sha256"):
            problems.append(f"evidence {i}: content does not match its hash")
    return problems


def _store_evidence(uow: UnitOfWork, files: list[Any]) -> None:
    for f in files:
        exists = uow.conn.execute(
            select(T.evidence_files.c.sha256).where(T.evidence_files.c.sha256 == f["sha256"])
        ).first()
        if exists is None:
            content = base64.b64decode(str(f["content"]))
            uow.conn.execute(insert(T.evidence_files).values(
                sha256=f["sha256"], name=str(f.get("name", ""))[:200],
                media_type=str(f.get("media_type", "application/octet-stream"))[:100],
                size=len(content), content=content, added_at=uow.node.now_at(),
            ))


def record_acks(uow: UnitOfWork, peer: str, acks: dict[str, Any]) -> None:
    """Remember how much of our streams the peer holds (never going backwards)."""
    for stream, ack in acks.items():
        if not stream.endswith(f"/{uow.node.party}") or not isinstance(ack, dict):
            continue
        seq = ack.get("seq")
        if not isinstance(seq, int):
            continue
        current = uow.conn.execute(
            select(T.peer_acks.c.seq).where(T.peer_acks.c.peer == peer,
                                             T.peer_acks.c.stream == stream)
        ).scalar_one_or_none()
        if current is None:
            uow.conn.execute(insert(T.peer_acks).values(peer=peer, stream=stream, seq=seq,
                                                        hash=ack.get("hash")))
        elif seq > current:
            uow.conn.execute(update(T.peer_acks)
                             .where(T.peer_acks.c.peer == peer, T.peer_acks.c.stream == stream)
                             .values(seq=seq, hash=ack.get("hash")))


def _keep_heads(uow: UnitOfWork, peer: str, heads: list[Any]) -> list[str]:
    """Witness the peer's signed tree heads against the log we now hold; alarms as text."""
    from acsa.federation.witness import check_head
    from acsa.services.peers import party_keys

    keys = party_keys(uow, peer)
    alarms = []
    for raw in heads:
        try:
            sth = SignedTreeHead.from_wire(raw)
        except Exception:
            continue
        key = keys.known.get(sth.key) if keys else None
        if key is None or sth.check(key) or not sth.head.stream.endswith(f"/{peer}"):
            continue
        check = check_head(uow, peer, sth, None)
        if not check.ok:
            alarms.append(check.message)
    return alarms


def _keep_receipts(uow: UnitOfWork, peer: str, receipts: list[Any]) -> None:
    """Keep the peer's countersignatures of our heads that the bundle carries."""
    from acsa.federation.auth import unb64
    from acsa.federation.witness import keep_receipt

    for r in receipts[:100]:
        try:
            keep_receipt(uow, peer, SignedTreeHead.from_wire(r["head"]),
                         unb64(str(r["countersignature"])))
        except Exception:
            continue


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


def _quarantine(uow: UnitOfWork, source: str, peer: str | None, raw: bytes,
                problems: list[str]) -> ImportSummary:
    return ImportSummary(peer or "?", 0, 0, [], quarantine(uow, source, peer, raw, problems),
                         problems)


def quarantine(uow: UnitOfWork, source: str, peer: str | None, raw: bytes,
               problems: list[str]) -> int:
    """Keep a refused batch with every reason; the same refusal again is not kept twice."""
    reasons = json.dumps(problems, ensure_ascii=False)
    payload = raw.decode("utf-8", errors="replace")
    last = uow.conn.execute(
        select(T.quarantine).where(T.quarantine.c.resolved.is_(False),
                                   T.quarantine.c.source == source)
        .order_by(T.quarantine.c.id.desc()).limit(1)).first()
    if last is not None and last.reasons == reasons and last.peer == peer and \
            last.payload == payload:
        return int(last.id)
    result = uow.conn.execute(insert(T.quarantine).values(
        received_at=uow.node.now_at(), source=source, peer=peer, reasons=reasons,
        payload=payload, resolved=False,
    ))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


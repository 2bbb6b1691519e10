"""One round of online sync with one peer: witness, pull, admit, apply, receipt.

For each agreement both nodes are party to, this node

1. asks the peer for its signed tree head of its stream, with a consistency
   proof from the size we hold, and witnesses it (:mod:`.witness`): a peer
   that rewrote or forked its history is put in alarm and nothing more is
   taken from it;
2. pulls the events it lacks in pages of at most :data:`SYNC_BATCH_SIZE_MAX`
   and admits and applies each page through exactly the code path bundles
   use (``admit_from_peer`` then ``apply_admitted``), one transaction per
   page; a page that fails admission is quarantined with every reason, and
   its longest admissible prefix is still applied, so one bad event stops
   the stream only from where it stands;
3. once it holds the whole head, keeps the head with its countersignature
   and sends the countersignature back as a receipt;
4. fetches evidence files the new events cite that it does not hold.

Applying is idempotent: a page that was already applied (a duplicate
message, a retry after a crash) only counts duplicates.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from acsa.events import EnvelopeInvalid, SignedTreeHead
from acsa.federation import protocol as P
from acsa.federation.admission import Admission
from acsa.federation.auth import b64
from acsa.federation.bundles import (
    EVIDENCE_FILE_SIZE_MAX,
    admit_from_peer,
    apply_admitted,
    quarantine,
    shared_agreements,
)
from acsa.federation.client import PeerClient, PeerRefused, PeerUnreachable, ResponseRejected
from acsa.federation.witness import check_head, held, in_alarm, keep_head
from acsa.services.node import Node
from acsa.services.peers import get_peer, learn_public_key, party_keys
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from acsa.store.log import lock_stream

log = logging.getLogger("acsa.federation")

TransportFactory = Callable[[str], httpx.BaseTransport | None]


@dataclass
class StreamReport:
    stream: str
    held_before: int
    held_after: int
    peer_size: int
    applied: int = 0
    duplicates: int = 0
    orders: list[str] = field(default_factory=list)
    quarantined: int | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class SyncReport:
    peer: str
    ok: bool = True
    streams: list[StreamReport] = field(default_factory=list)
    error: str | None = None
    transient: bool = False  # the network or the peer failed: back off before retrying
    alarm: str | None = None
    receipts_sent: int = 0
    evidence_fetched: int = 0
    messages: int = 0
    bytes_received: int = 0

    @property
    def applied(self) -> int:
        return sum(s.applied for s in self.streams)

    def lines(self) -> list[str]:
        out = []
        for s in self.streams:
            text = (f"  {s.stream}: held {s.held_before} → {s.held_after} of {s.peer_size}; "
                    f"applied {s.applied}, duplicates {s.duplicates}")
            if s.orders:
                text += f"; orders {', '.join(s.orders[:5])}" + ("…" if len(s.orders) > 5 else "")
            if s.quarantined is not None:
                text += f"; quarantined #{s.quarantined}"
            out.append(text)
            out += [f"    - {p}" for p in s.problems[:10]]
        if self.alarm:
            out.append(f"  ALARM: {self.alarm}")
        if self.error:
            out.append(f"  failed: {self.error}")
        out.append(f"  {self.messages} message(s), {self.bytes_received} bytes received, "
                   f"{self.receipts_sent} receipt(s), {self.evidence_fetched} evidence file(s)")
        return out


def _client(node: Node, peer: str, transport: httpx.BaseTransport | None = None
            ) -> PeerClient | None:
    with UnitOfWork(node, write=False) as uow:
        p = get_peer(uow, peer)
        keys = party_keys(uow, peer)
    if not p.base_url or keys is None:
        return None
    return PeerClient(node, peer, p.base_url, trusted=keys.usable, registered=keys.registered,
                      transport=transport)


def sync_peer(node: Node, peer: str, *, transport: httpx.BaseTransport | None = None
              ) -> SyncReport:
    """Pull everything new from ``peer``; never raises for the peer's faults."""
    report = SyncReport(peer)
    with UnitOfWork(node, write=False) as uow:
        if in_alarm(uow, peer):
            alarm = get_peer(uow, peer).alarm
            report.ok, report.alarm = False, alarm
            report.error = "peer in alarm: its events are refused until resolved"
            return report
        agreements = sorted(shared_agreements(uow, peer))
    client = _client(node, peer, transport)
    if client is None:
        report.ok, report.error = False, f"{peer} has no URL: `acsa peer add {peer} --url …`"
        return report
    try:
        with client:
            receipts: list[dict[str, Any]] = []
            cited: set[str] = set()
            for agreement in agreements:
                stream_report = _sync_stream(node, client, peer, agreement, receipts, cited)
                if stream_report is not None:
                    report.streams.append(stream_report)
                with UnitOfWork(node, write=False) as uow:
                    if in_alarm(uow, peer):
                        report.ok, report.alarm = False, get_peer(uow, peer).alarm
                        return report
            if receipts:
                client.post(f"{P.PREFIX}/receipts", {"receipts": receipts})
                report.receipts_sent = len(receipts)
            report.evidence_fetched = _fetch_evidence(node, client, cited)
            if client.learnt is not None:
                with UnitOfWork(node) as uow:
                    learn_public_key(uow, peer, client.learnt)
                    uow.commit()
    except (PeerUnreachable, PeerRefused) as exc:
        report.ok, report.error, report.transient = False, str(exc), True
    except ResponseRejected as exc:
        report.ok, report.error, report.transient = False, exc.reason, True
        with UnitOfWork(node) as uow:
            quarantine(uow, f"online {peer}: rejected response", peer, exc.body[:65536],
                       [exc.reason])
            uow.commit()
    finally:
        report.messages = client.traffic.messages
        report.bytes_received = client.traffic.bytes_received
    if any(s.quarantined is not None for s in report.streams):
        report.ok = False
    return report


def _sync_stream(node: Node, client: PeerClient, peer: str, agreement: str,
                 receipts: list[dict[str, Any]], cited: set[str]) -> StreamReport | None:
    stream = f"{agreement}/{peer}"
    with UnitOfWork(node, write=False) as uow:
        count, _ = held(uow, stream)
    answer = client.get(P.heads_path(agreement, peer), {"held": count})
    if answer.get("head") is None:
        if count:
            log.warning("%s serves no head of %s though we hold %d of its events", peer,
                        stream, count)
        return None
    sth = _signed_head(node, client, peer, stream, answer)
    if client.learnt is not None:
        # First contact: the key is needed to admit the events that follow.
        with UnitOfWork(node) as uow:
            learn_public_key(uow, peer, client.learnt)
            uow.commit()
    proof = [bytes.fromhex(p) for p in answer.get("proof") or []]
    with UnitOfWork(node) as uow:
        check = check_head(uow, peer, sth, proof)
        uow.commit()
    report = StreamReport(stream, count, count, sth.head.size)
    if not check.ok:
        report.problems.append(check.message)
        return report
    pages = 0
    while report.held_after < sth.head.size and pages < P.PAGES_PER_ROUND_MAX:
        pages += 1
        page = client.get(P.stream_path(agreement, peer),
                          {"after": report.held_after, "limit": P.SYNC_BATCH_SIZE_MAX})
        events = page.get("events")
        if not isinstance(events, list) or not events:
            break
        if not _apply_page(node, client, peer, stream, events, report, cited):
            break
    if report.held_after >= sth.head.size:
        with UnitOfWork(node) as uow:
            check = check_head(uow, peer, sth, None)
            if check.verified:
                receipts.append({"head": sth.to_wire(),
                                 "countersignature": b64(keep_head(uow, sth))})
            else:
                report.problems.append(check.message)
            uow.commit()
    return report


def _signed_head(node: Node, client: PeerClient, peer: str, stream: str,
                 answer: dict[str, Any]) -> SignedTreeHead:
    try:
        sth = SignedTreeHead.from_wire(answer["head"])
    except (EnvelopeInvalid, KeyError, TypeError) as exc:
        raise ResponseRejected(f"{stream}: unreadable head: {exc}",
                               json.dumps(answer).encode()) from None
    trusted = dict(client.trusted)
    if client.learnt is not None:
        trusted[client.registered] = client.learnt
    key = trusted.get(sth.key)
    problems = sth.check(key) if key else [f"signed by a key not trusted for {peer}"]
    if sth.head.stream != stream:
        problems.append(f"a head of {sth.head.stream}, not {stream}")
    if problems:
        raise ResponseRejected(f"{stream}: head refused: {'; '.join(problems)}",
                               json.dumps(answer).encode())
    return sth


def _apply_page(node: Node, client: PeerClient, peer: str, stream: str, events: list[Any],
                report: StreamReport, cited: set[str]) -> bool:
    """Admit and apply one page in one transaction; False when the stream must stop here."""
    with UnitOfWork(node) as uow:
        lock_stream(uow.conn, stream)
        if in_alarm(uow, peer):
            return False
        admission = admit_from_peer(uow, peer, b"", events)
        if admission.problems:
            good = _admissible_prefix(uow, peer, events)
            report.quarantined = quarantine(
                uow, f"online {client.http.base_url} {stream} after={report.held_after}", peer,
                json.dumps(events, ensure_ascii=False).encode(), admission.problems)
            report.problems += admission.problems
            log.warning("quarantined a page of %s from %s: %s", stream, peer,
                        "; ".join(admission.problems[:3]))
            admission = good
        orders = apply_admitted(uow, admission, origin="peer")
        uow.commit()
    report.applied += len(admission.new)
    report.duplicates += admission.duplicates
    report.orders = sorted(set(report.orders) | orders)
    report.held_after += len(admission.new)
    for e in admission.new:
        cited |= {str(x.get("sha256")) for x in e.envelope.data.get("evidence", ())
                  if hasattr(x, "get")}
    return not report.problems


def _admissible_prefix(uow: UnitOfWork, peer: str, events: list[Any]) -> Admission:
    """The longest run of the page, from its start, that admission accepts (may be empty)."""
    ordered = sorted(events, key=lambda e: e.get("event", {}).get("seq", 0)
                     if isinstance(e, dict) and isinstance(e.get("event"), dict) else 0)
    lo, hi = 0, len(ordered) - 1  # the prefix of length lo is admissible; longer than hi not
    best = Admission([], 0, [])
    while lo < hi:
        mid = (lo + hi + 1) // 2
        trial = admit_from_peer(uow, peer, b"", ordered[:mid])
        if trial.problems:
            hi = mid - 1
        else:
            best, lo = trial, mid
    return best


def _fetch_evidence(node: Node, client: PeerClient, cited: Iterable[str]) -> int:
    wanted = sorted(h for h in cited if len(h) == 64)
    if not wanted:
        return 0
    with UnitOfWork(node, write=False) as uow:
        have = set(uow.conn.execute(select(T.evidence_files.c.sha256)
                                    .where(T.evidence_files.c.sha256.in_(wanted))).scalars())
    fetched = 0
    for sha in [h for h in wanted if h not in have][:P.EVIDENCE_FETCHES_PER_ROUND_MAX]:
        try:
            f = client.get(f"{P.PREFIX}/evidence/{sha}", max_bytes=P.EVIDENCE_RESPONSE_BYTES_MAX)
        except PeerRefused as exc:
            log.warning("evidence %s… not fetched from %s: %s", sha[:12], client.peer, exc)
            continue
        content = base64.b64decode(str(f.get("content", "")))
        if len(content) > EVIDENCE_FILE_SIZE_MAX or hashlib.sha256(content).hexdigest() != sha:
            log.warning("evidence %s… from %s does not match its hash", sha[:12], client.peer)
            continue
        from acsa.federation.bundles import _store_evidence

        with UnitOfWork(node) as uow:
            _store_evidence(uow, [{**f, "sha256": sha}])
            uow.commit()
        fetched += 1
    return fetched


def notify_peer(node: Node, peer: str, streams: dict[str, int], *,
                transport: httpx.BaseTransport | None = None) -> bool:
    """Tell ``peer`` we have news so it pulls at once; False if it could not be told."""
    client = _client(node, peer, transport)
    if client is None:
        return False
    try:
        with client:
            client.post(f"{P.PREFIX}/notify", {"streams": streams})
        return True
    except (PeerUnreachable, PeerRefused, ResponseRejected) as exc:
        log.info("notify %s failed: %s", peer, exc)
        return False


def peers_with_urls(node: Node) -> list[str]:
    with UnitOfWork(node, write=False) as uow:
        return sorted(r.party for r in uow.conn.execute(select(T.peers))
                      if r.base_url)


def own_heads(node: Node) -> dict[str, int]:
    with UnitOfWork(node, write=False) as uow:
        return {r.stream: int(r.head_seq) for r in uow.conn.execute(
            select(T.streams).where(T.streams.c.party == node.party))}


def parties_of_streams(node: Node, streams: Iterable[str]) -> dict[str, set[str]]:
    """For each of our streams, the other parties of its agreement."""
    out: dict[str, set[str]] = {}
    with UnitOfWork(node, write=False) as uow:
        for stream in streams:
            agreement = stream.rsplit("/", 1)[0]
            parties: set[str] = set()
            for document in uow.conn.execute(select(T.agreements.c.document)
                                             .where(T.agreements.c.id == agreement)).scalars():
                parties |= {p["code"] for p in json.loads(document)["parties"]}
            out[stream] = parties - {node.party}
    return out


def sync_round(node: Node, *, transport: TransportFactory | None = None) -> list[SyncReport]:
    """``acsa sync now``: tell every peer what we have, then pull from each."""
    heads = own_heads(node)
    reports = []
    for peer in peers_with_urls(node):
        notify_peer(node, peer, {s: n for s, n in heads.items()},
                    transport=transport(peer) if transport else None)
        reports.append(sync_peer(node, peer, transport=transport(peer) if transport else None))
    return reports


def reconcile_peer(node: Node, peer: str, agreement: str | None = None, *,
                   transport: httpx.BaseTransport | None = None) -> list[Any]:
    """``acsa reconcile --peer``: a Merkle comparison of order digests, per shared agreement."""
    from acsa.services.reconcile import reconcile_agreement

    with UnitOfWork(node, write=False) as uow:
        agreements = sorted(shared_agreements(uow, peer))
    if agreement is not None:
        agreements = [a for a in agreements if a == agreement]
    client = _client(node, peer, transport)
    if client is None:
        raise PeerUnreachable(f"{peer} has no URL: `acsa peer add {peer} --url …`")
    results = []
    with client:
        for a in agreements:
            path = f"{P.PREFIX}/reconcile/{a}"

            def remote(body: dict[str, Any], path: str = path) -> dict[str, Any]:
                return client.post(path, body)

            with UnitOfWork(node, write=False) as uow:
                results.append(reconcile_agreement(uow, a, peer, remote))
    return results

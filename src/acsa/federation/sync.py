"""One round of online sync with one peer: witness, pull, admit, apply, receipt.

For each agreement both nodes are party to, this node

1. asks the peer for its signed tree head of its stream, with a consistency
   proof from the size we hold, and witnesses it (:mod:`acsa.services.witness`): a peer
   that rewrote or forked its history is put in alarm and nothing more is
   taken from it;
2. pulls the events it lacks in pages of at most :data:`SYNC_BATCH_SIZE_MAX`
   and hands each page to the intake
   (:func:`acsa.services.intake.receive_page`, the path bundles take too),
   one transaction per page; a page that fails admission is quarantined
   with every reason, and its longest admissible prefix is still applied,
   so one bad event stops the stream only from where it stands;
3. once it holds the whole head, keeps the head with its countersignature
   and sends the countersignature back as a receipt;
4. fetches evidence files the new events cite that it does not hold.

Before all that, a stream of our own that is behind its high-water mark (a
restored backup) is fetched back from the peer's copy
(:mod:`acsa.federation.recover`).

Applying is idempotent: a page that was already applied (a duplicate
message, a retry after a crash) only counts duplicates.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from acsa.domain.streams import stream_id
from acsa.events import EnvelopeInvalid, SignedTreeHead
from acsa.federation import protocol as P
from acsa.federation import recover
from acsa.federation.client import PeerClient, PeerRefused, PeerUnreachable, ResponseRejected
from acsa.services import intake, peers, reconcile
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.witness import b64, held, in_alarm

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
        p = peers.get_peer(uow, peer)
        keys = peers.party_keys(uow, peer)
    if not p.base_url or keys is None:
        return None
    return PeerClient(node, peer, p.base_url, trusted=keys.usable, registered=keys.registered,
                      transport=transport)


def _alarm_of(node: Node, peer: str) -> str | None:
    """The peer's alarm, if it is in one."""
    with UnitOfWork(node, write=False) as uow:
        return peers.get_peer(uow, peer).alarm if in_alarm(uow, peer) else None


def sync_peer(node: Node, peer: str, *, transport: httpx.BaseTransport | None = None
              ) -> SyncReport:
    """Pull everything new from ``peer``; never raises for the peer's faults."""
    report = SyncReport(peer)
    alarm = _alarm_of(node, peer)
    if alarm is not None:
        report.ok, report.alarm = False, alarm
        report.error = "peer in alarm: its events are refused until resolved"
        return report
    with UnitOfWork(node, write=False) as uow:
        agreements = sorted(peers.shared_agreements(uow, peer))
    client = _client(node, peer, transport)
    if client is None:
        report.ok, report.error = False, f"{peer} has no URL: `acsa peer add {peer} --url …`"
        return report
    try:
        with client:
            _pull(node, client, peer, agreements, report)
    except (PeerUnreachable, PeerRefused) as exc:
        report.ok, report.error, report.transient = False, str(exc), True
    except ResponseRejected as exc:
        report.ok, report.error, report.transient = False, exc.reason, True
        with UnitOfWork(node) as uow:
            intake.record_refusal(uow, f"online {peer}: rejected response", peer,
                                  exc.body[:65536], [exc.reason])
    finally:
        report.messages = client.traffic.messages
        report.bytes_received = client.traffic.bytes_received
    if any(s.quarantined is not None for s in report.streams):
        report.ok = False
    return report


def _pull(node: Node, client: PeerClient, peer: str, agreements: list[str],
          report: SyncReport) -> None:
    """Each shared stream of ``peer`` in turn, then receipts and evidence files."""
    receipts: list[dict[str, Any]] = []
    cited: set[str] = set()
    for agreement in agreements:
        _catch_up(node, client, peer, agreement, report, cited)
        stream_report = _sync_stream(node, client, peer, agreement, receipts, cited)
        if stream_report is not None:
            report.streams.append(stream_report)
        alarm = _alarm_of(node, peer)
        if alarm is not None:
            report.ok, report.alarm = False, alarm
            return
    if receipts:
        client.post(f"{P.PREFIX}/receipts", {"receipts": receipts})
        report.receipts_sent = len(receipts)
    report.evidence_fetched = _fetch_evidence(node, client, cited)
    _learn(node, client, peer)


def _catch_up(node: Node, client: PeerClient, peer: str, agreement: str, report: SyncReport,
              cited: set[str]) -> None:
    """After a restore: our own events the peer holds and we do not, fetched back first."""
    got = recover.catch_up(node, client, peer, agreement)
    if got is not None:
        cited |= got.cited
        report.streams.append(StreamReport(got.stream, got.held_before, got.held_after,
                                           got.peer_size, got.applied, orders=got.orders,
                                           quarantined=got.quarantined, problems=got.problems))


def _learn(node: Node, client: PeerClient, peer: str) -> None:
    if client.learnt is not None:
        with UnitOfWork(node) as uow:
            intake.learn_key(uow, peer, client.learnt)


def _sync_stream(node: Node, client: PeerClient, peer: str, agreement: str,
                 receipts: list[dict[str, Any]], cited: set[str]) -> StreamReport | None:
    stream = stream_id(agreement, peer)
    with UnitOfWork(node, write=False) as uow:
        count, _ = held(uow, stream)
    answer = client.get(P.heads_path(agreement, peer), {"held": count})
    if answer.get("head") is None:
        if count:
            log.warning("%s serves no head of %s though we hold %d of its events", peer,
                        stream, count)
        return None
    sth = _signed_head(client, peer, stream, answer)
    # First contact: the key is needed to admit the events that follow.
    _learn(node, client, peer)
    proof = [bytes.fromhex(p) for p in answer.get("proof") or []]
    with UnitOfWork(node) as uow:
        check = intake.witness_head(uow, peer, sth, proof, count)
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
            check, countersignature = intake.countersign_head(uow, peer, sth)
        if countersignature is not None:
            receipts.append({"head": sth.to_wire(), "countersignature": b64(countersignature)})
        else:
            report.problems.append(check.message)
    return report


def _signed_head(client: PeerClient, peer: str, stream: str,
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
    source = f"online {client.http.base_url} {stream} after={report.held_after}"
    with UnitOfWork(node) as uow:
        page = intake.receive_page(uow, peer, stream, events, source)
    if page.alarmed:
        return False
    if page.quarantined is not None:
        report.quarantined = page.quarantined
        log.warning("quarantined a page of %s from %s: %s", stream, peer,
                    "; ".join(page.problems[:3]))
    report.problems += page.problems
    report.applied += page.applied
    report.duplicates += page.duplicates
    report.orders = sorted(set(report.orders) | set(page.orders))
    report.held_after += page.applied
    cited |= page.cited
    return not report.problems


def _fetch_evidence(node: Node, client: PeerClient, cited: Iterable[str]) -> int:
    with UnitOfWork(node, write=False) as uow:
        wanted = intake.missing_evidence(uow, cited)
    fetched = 0
    for sha in wanted[:P.EVIDENCE_FETCHES_PER_ROUND_MAX]:
        try:
            f = client.get(f"{P.PREFIX}/evidence/{sha}", max_bytes=P.EVIDENCE_RESPONSE_BYTES_MAX)
        except PeerRefused as exc:
            log.warning("evidence %s… not fetched from %s: %s", sha[:12], client.peer, exc)
            continue
        with UnitOfWork(node) as uow:
            kept = intake.keep_evidence_file(uow, sha, f)
        if not kept:
            log.warning("evidence %s… from %s does not match its hash", sha[:12], client.peer)
            continue
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
        return peers.peers_with_urls(uow)


def own_heads(node: Node) -> dict[str, int]:
    with UnitOfWork(node, write=False) as uow:
        return peers.own_heads(uow)


def parties_of_streams(node: Node, streams: Iterable[str]) -> dict[str, set[str]]:
    """For each of our streams, the other parties of its agreement."""
    with UnitOfWork(node, write=False) as uow:
        return peers.other_parties_of_streams(uow, list(streams))


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
    with UnitOfWork(node, write=False) as uow:
        agreements = sorted(peers.shared_agreements(uow, peer))
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
                results.append(reconcile.reconcile_agreement(uow, a, peer, remote))
    return results

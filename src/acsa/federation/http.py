"""The federation endpoints under ``/federation/v1``, served to peers only.

- ``GET  heads/{agreement}/{party}?held=N`` — our signed tree head of that
  stream, and the consistency proof from size ``held`` to it;
- ``GET  streams/{agreement}/{party}?after=SEQ&limit=N`` — our events of
  that stream after ``SEQ``, at most ``N`` (and :data:`SYNC_BATCH_SIZE_MAX`);
- ``GET  copies/{agreement}/{party}?after=SEQ&limit=N`` — our copy of the
  caller's own stream, returned to it alone (a node restored from a backup
  fetches back what it signed after the backup);
- ``GET  evidence/{sha256}`` — an evidence file cited by an event the
  requesting party was sent;
- ``POST notify`` — a peer has news: the worker pulls from it at once;
- ``POST receipts`` — a peer's countersignatures of our heads;
- ``POST releases`` — a release package for this node as a third nation;
- ``POST reconcile/{agreement}`` — digests of order states for reconciliation.

Each request must carry a valid RFC 9421 signature by a key trusted for the
party it names (:mod:`acsa.federation.auth`); a stream is served only to the
parties of its agreement, and only a node's own streams are served. Every
response is signed and bound to the request's nonce.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from acsa.domain.errors import DomainError
from acsa.events import SignedTreeHead, TreeHead, consistency_proof, fingerprint
from acsa.events.merkle import leaf_hash
from acsa.federation import protocol as P
from acsa.federation.auth import (
    AuthFailed,
    NonceCache,
    Verified,
    sign_response,
    verify_request,
)
from acsa.federation.client import transport_keys
from acsa.services import high_water, intake, outgoing, reconcile, recovery, releases, transmissions
from acsa.services.high_water import Mark
from acsa.services.node import Node
from acsa.services.peers import party_keys
from acsa.services.recording import StoredEvent
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.witness import in_alarm

log = logging.getLogger("acsa.federation")

REFUSALS_RECORDED_PER_MINUTE_MAX = 30


class Refused(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


@dataclass
class LeafCache:
    """Leaf hashes of our own streams, extended as they grow, for consistency proofs."""

    leaves: dict[str, list[bytes]] = field(default_factory=dict)
    last: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, uow: UnitOfWork, tip: outgoing.StreamTip) -> list[bytes]:
        stream, size = tip.stream, tip.size
        with self.lock:
            cached = self.leaves.get(stream, [])
            if len(cached) > size or (len(cached) == size and size and
                                      self.last.get(stream) != tip.head_hash):
                cached = []
            if len(cached) < size:
                hashes = outgoing.leaf_hashes(uow, stream, len(cached), size)
                cached = cached + [leaf_hash(bytes.fromhex(h)) for h in hashes]
                if hashes:
                    self.last[stream] = hashes[-1]
            self.leaves[stream] = cached
            return cached[:size]


# How the federation answers each refusal of the services it calls.
STATUS = {
    outgoing.NotServed: 404, outgoing.NotAParty: 403, outgoing.NotReleased: 403,
    outgoing.NotHeld: 404, recovery.NotYours: 403,
}


def refused(exc: DomainError) -> Refused:
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    return Refused(status, exc.code if status != 400 else "bad_body", exc.message)


@dataclass
class Server:
    node: Node
    nonces: NonceCache = field(default_factory=NonceCache)
    leaves: LeafCache = field(default_factory=LeafCache)
    heads: dict[str, SignedTreeHead] = field(default_factory=dict)
    refusals: list[float] = field(default_factory=list)

    # -- authentication ------------------------------------------------------------

    def authenticate(self, method: str, target: str, headers: dict[str, str],
                     body: bytes) -> Verified:
        learnt: dict[str, bytes] = {}

        def keys_of(party: str, keyid: str, presented: str | None) -> dict[str, bytes]:
            with UnitOfWork(self.node, write=False) as uow:
                keys = party_keys(uow, party)
            if keys is None or party == self.node.party:
                return {}
            trusted = dict(keys.usable)
            if keyid == keys.registered and keyid not in trusted and presented:
                # First contact: the key is learnt from the request that
                # presents it, if it has the fingerprint registered out of band.
                try:
                    raw = bytes.fromhex(presented)
                    if fingerprint(raw) == keyid:
                        trusted[keyid] = raw
                        learnt[party] = raw
                except ValueError:
                    pass
            return trusted

        verified = verify_request(method, target, headers, body, keys_of)
        self.nonces.check(verified.party, verified.nonce, verified.created)
        if verified.party in learnt:
            with UnitOfWork(self.node) as uow:
                intake.learn_key(uow, verified.party, learnt[verified.party])
        return verified

    def record_refusal(self, peer: str | None, source: str, reasons: list[str]) -> None:
        """Keep a refused request's reasons in the quarantine, at a bounded rate."""
        log.warning("refused %s from %s: %s", source, peer or "?", "; ".join(reasons))
        now = time.time()
        self.refusals = [t for t in self.refusals if t > now - 60]
        if len(self.refusals) >= REFUSALS_RECORDED_PER_MINUTE_MAX:
            return
        self.refusals.append(now)
        with UnitOfWork(self.node) as uow:
            intake.record_refusal(uow, source, peer, b"", reasons)

    # -- handlers ------------------------------------------------------------------------

    def signed_head(self, tip: outgoing.StreamTip) -> SignedTreeHead:
        key = transport_keys(self.node)[0]
        cached = self.heads.get(tip.stream)
        if cached is not None and cached.head.size == tip.size and \
                cached.head.root == tip.root and cached.key == key.fingerprint:
            return cached
        signed = SignedTreeHead.sign(TreeHead(tip.stream, tip.size, tip.root,
                                              self.node.now_at()), key)
        self.heads[tip.stream] = signed
        return signed

    def get_head(self, peer: str, agreement: str, party: str, held: int) -> dict[str, Any]:
        """Our signed head of the stream and the proof from ``held`` to it, in one
        transaction, which also records that the peer holds ``held`` events."""
        with UnitOfWork(self.node, write=held > 0) as uow:
            stream = outgoing.served_stream(uow, agreement, party, peer)
            tip = outgoing.stream_tip(uow, stream)
            if tip is None:
                if held > 0:
                    intake.acknowledge(uow, peer, stream, held)
                return {"stream": stream, "head": None, "proof": []}
            proof: list[str] = []
            if 0 < held < tip.size:
                leaves = self.leaves.get(uow, tip)
                proof = [p.hex() for p in consistency_proof(leaves, held)]
            if held > 0:
                # Also when it holds more than we do: then signing on the stream waits.
                intake.acknowledge(uow, peer, stream, held)
        return {"stream": stream, "head": self.signed_head(tip).to_wire(), "proof": proof}

    def get_stream(self, peer: str, agreement: str, party: str, after: int,
                   limit: int) -> dict[str, Any]:
        limit = max(1, min(limit, P.SYNC_BATCH_SIZE_MAX))
        with UnitOfWork(self.node, write=after > 0) as uow:
            stream = outgoing.served_stream(uow, agreement, party, peer)
            events, size = outgoing.stream_page(uow, stream, after, limit)
            if after > 0:
                intake.acknowledge(uow, peer, stream, after)
        return {"stream": stream, "after": after, "events": self.leaving(stream, events, peer),
                "size": size}

    def leaving(self, stream: str, events: list[StoredEvent], peer: str) -> list[dict[str, Any]]:
        """The events that go out in one response; the stream's mark covers them first."""
        out: list[dict[str, Any]] = []
        sent: StoredEvent | None = None
        total = 0
        for e in events:
            if peer not in e.envelope.marking.get("rel", ()):
                # A stream carries only what every party may receive; an event
                # that is not released to this peer is a defect, never sent.
                log.error("%s seq %s is not released to %s; not served", stream,
                          e.envelope.seq, peer)
                break
            wire = e.signed.to_wire()
            total += len(json.dumps(wire))
            if out and total > P.RESPONSE_BYTES_MAX // 2:
                break
            out.append(wire)
            sent = e
        if sent is not None:
            high_water.note_leaving(self.node, {stream: Mark(sent.envelope.seq, sent.hash)})
            with UnitOfWork(self.node) as uow:
                transmissions.note_transmission(
                    uow, recipient=peer, channel="sync", events=events[:len(out)],
                    route=transmissions.peer_route(uow, peer),
                    initiated_by=f"{peer} node (sync pull)")
        return out

    def get_copy(self, peer: str, agreement: str, party: str, after: int,
                 limit: int) -> dict[str, Any]:
        """Our copy of the caller's own stream, returned to it (after a restore)."""
        limit = max(1, min(limit, P.SYNC_BATCH_SIZE_MAX))
        with UnitOfWork(self.node, write=False) as uow:
            stream = recovery.copied_stream(uow, agreement, party, peer)
            events, size, last = recovery.copy_page(uow, stream, after, limit)
        out: list[dict[str, Any]] = []
        total = 0
        for e in events:
            wire = e.signed.to_wire()
            total += len(json.dumps(wire))
            if out and total > P.RESPONSE_BYTES_MAX // 2:
                break
            out.append(wire)
        return {"stream": stream, "after": after, "events": out, "size": size, "head": last}

    def get_evidence(self, peer: str, sha256: str) -> dict[str, Any]:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise Refused(400, "bad_hash", "an evidence file is named by its SHA-256 hex")
        with UnitOfWork(self.node, write=False) as uow:
            return outgoing.evidence_for(uow, peer, sha256)

    def post_receipts(self, peer: str, body: dict[str, Any]) -> dict[str, Any]:
        receipts = body.get("receipts")
        if not isinstance(receipts, list) or len(receipts) > P.RECEIPTS_PER_REQUEST_MAX:
            raise Refused(400, "bad_body", "receipts must be a list of at most "
                          f"{P.RECEIPTS_PER_REQUEST_MAX}")
        with UnitOfWork(self.node) as uow:
            kept, refused_ = intake.keep_receipts(uow, peer, receipts)
        return {"kept": kept, "refused": refused_}

    def post_release(self, peer: str, body: bytes) -> dict[str, Any]:
        """A release package for this node as a third nation: verified, then held."""
        with UnitOfWork(self.node) as uow:
            held = releases.import_package(uow, body, source=f"{peer} over HTTP", by=peer)
            uow.commit()
        return {"id": held["id"], "events": held["events"], "order": held["order"]}

    def post_notify(self, peer: str, body: dict[str, Any]) -> dict[str, Any]:
        with UnitOfWork(self.node, write=False) as uow:
            alarmed = in_alarm(uow, peer)
        if not alarmed:
            P.notified(id(self.node), peer)
        return {"accepted": not alarmed}

    def post_reconcile(self, peer: str, agreement: str, body: dict[str, Any]) -> dict[str, Any]:
        with UnitOfWork(self.node, write=False) as uow:
            outgoing.check_party(uow, agreement, peer)
            try:
                result: dict[str, Any] = reconcile.answer(uow, agreement, peer, body)
                return result
            except ValueError as exc:
                raise Refused(400, "bad_body", str(exc)) from None


Work = Callable[[Verified, bytes], dict[str, Any]]


async def _body(request: Request, body_max: int) -> bytes:
    """The request body, refused before it is read when it says it is too large."""
    length = int(request.headers.get("content-length") or 0)
    if length > body_max:
        raise Refused(413, "too_large", f"request body above {body_max} bytes")
    body = await request.body() if body_max else b""
    if len(body) > body_max:
        raise Refused(413, "too_large", f"request body above {body_max} bytes")
    return body


def _target(request: Request) -> str:
    """The path and query exactly as signed."""
    target: str = request.scope["raw_path"].decode("latin-1")
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"{target}?{query}" if query else target


async def handle(server: Server, request: Request, work: Work, *,
                 body_max: int = 0) -> Response:
    """Authenticate the peer, do ``work``, answer signed; a refusal as a signed problem."""
    node, nonce = server.node, ""
    try:
        body = await _body(request, body_max)
        target = _target(request)
        try:
            verified = await run_in_threadpool(server.authenticate, request.method, target,
                                               dict(request.headers.items()), body)
        except AuthFailed as exc:
            log.warning("unauthenticated %s %s: %s", request.method, target, exc)
            return _problem(401, exc.code, str(exc), node, "")
        nonce = verified.nonce or ""
        try:
            try:
                result = await run_in_threadpool(work, verified, body)
            except DomainError as exc:
                raise refused(exc) from None
        except Refused as exc:
            if exc.status == 403:
                await run_in_threadpool(server.record_refusal, verified.party,
                                        f"request {request.method} {target}", [exc.detail])
            raise
        payload = json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode()
        headers = sign_response(transport_keys(node)[0], node.party, 200, payload, nonce)
        headers["content-type"] = "application/json"
        return Response(payload, status_code=200, headers=headers)
    except Refused as exc:
        return _problem(exc.status, exc.code, exc.detail, node, nonce)


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        raise Refused(400, "bad_body", "the body is not JSON") from None
    if not isinstance(value, dict):
        raise Refused(400, "bad_body", "the body must be a JSON object")
    return value


def _int(text: str | None, name: str, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        raise Refused(400, "bad_query", f"{name} must be an integer") from None


def mount(app: FastAPI, node: Node) -> None:
    """Add the federation endpoints to ``app`` for ``node``."""
    server = Server(node)
    app.state.federation = server
    body_max = P.REQUEST_BODY_BYTES_MAX

    @app.get(P.PREFIX + "/heads/{agreement}/{party}", include_in_schema=False)
    async def heads(request: Request, agreement: str, party: str) -> Response:
        held = request.query_params.get("held")
        return await handle(server, request, lambda v, b: server.get_head(
            v.party, agreement, party, _int(held, "held", 0)))

    @app.get(P.PREFIX + "/streams/{agreement}/{party}", include_in_schema=False)
    async def streams(request: Request, agreement: str, party: str) -> Response:
        q = request.query_params
        return await handle(server, request, lambda v, b: server.get_stream(
            v.party, agreement, party, _int(q.get("after"), "after", 0),
            _int(q.get("limit"), "limit", P.SYNC_BATCH_SIZE_MAX)))

    @app.get(P.PREFIX + "/copies/{agreement}/{party}", include_in_schema=False)
    async def copies(request: Request, agreement: str, party: str) -> Response:
        q = request.query_params
        return await handle(server, request, lambda v, b: server.get_copy(
            v.party, agreement, party, _int(q.get("after"), "after", 0),
            _int(q.get("limit"), "limit", P.SYNC_BATCH_SIZE_MAX)))

    @app.get(P.PREFIX + "/evidence/{sha256}", include_in_schema=False)
    async def evidence(request: Request, sha256: str) -> Response:
        return await handle(server, request, lambda v, b: server.get_evidence(v.party, sha256))

    @app.post(P.PREFIX + "/notify", include_in_schema=False)
    async def notify(request: Request) -> Response:
        return await handle(server, request, lambda v, b: server.post_notify(
            v.party, _json(b)), body_max=body_max)

    @app.post(P.PREFIX + "/releases", include_in_schema=False)
    async def release(request: Request) -> Response:
        return await handle(server, request, lambda v, b: server.post_release(v.party, b),
                            body_max=body_max)

    @app.post(P.PREFIX + "/receipts", include_in_schema=False)
    async def receipts(request: Request) -> Response:
        return await handle(server, request, lambda v, b: server.post_receipts(
            v.party, _json(b)), body_max=body_max)

    @app.post(P.PREFIX + "/reconcile/{agreement}", include_in_schema=False)
    async def reconcile(request: Request, agreement: str) -> Response:
        return await handle(server, request, lambda v, b: server.post_reconcile(
            v.party, agreement, _json(b)), body_max=body_max)


def _problem(status: int, code: str, detail: str, node: Node, nonce: str) -> Response:
    """An RFC 9457 problem document; signed when it answers an authenticated request."""
    payload = json.dumps({"type": "about:blank", "title": code.replace("_", " "),
                          "status": status, "detail": detail, "code": code}).encode()
    headers = {"content-type": "application/problem+json"}
    if nonce:
        headers.update(sign_response(transport_keys(node)[0], node.party, status, payload,
                                     nonce))
    return Response(payload, status_code=status, headers=headers)

"""Fetching this node's own events back from a partner, online or from a file it wrote.

After a restore, a stream of this node may be behind its high-water mark:
events that left the node are held by its partners but no longer here. In
each sync round, for each such stream, the node asks the partner for its
copy (``GET /federation/v1/copies/{agreement}/{party}?after=SEQ``) page by
page and hands each page to :func:`acsa.services.recovery.receive_own`,
which takes only events signed by this node that continue its own chain.
A partner without the endpoint (an older release) answers 404: the stream
keeps waiting, and the report says so.

A partner can also write its copy to a file for a node across an air gap
(``acsa sync export --for JPN``); :func:`export_copy` and
:func:`import_copy` are that file's format: the events of the addressee's
own streams, signed by the partner as a bundle is.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acsa.domain.streams import stream_id
from acsa.events import PURPOSE_BUNDLE, BadSignature, canonical_json, verify
from acsa.federation import protocol as P
from acsa.federation.bundles import PARTY
from acsa.federation.client import PeerClient, PeerRefused
from acsa.reading import read_json
from acsa.services import recovery
from acsa.services.node import Node
from acsa.services.outgoing import BUNDLE_BYTES_MAX
from acsa.services.peers import get_peer, party_keys, shared_agreements
from acsa.services.unit_of_work import UnitOfWork

COPY_FORMAT = "acsa-copy/1"


def copies_path(agreement: str, party: str) -> str:
    return f"{P.PREFIX}/copies/{agreement}/{party}"


@dataclass
class CatchUp:
    """What fetching one of our streams back from one partner did."""

    stream: str
    held_before: int
    held_after: int
    peer_size: int = 0
    applied: int = 0
    orders: list[str] = field(default_factory=list)
    cited: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    quarantined: int | None = None


def catch_up(node: Node, client: PeerClient, peer: str, agreement: str) -> CatchUp | None:
    """Fetch our ``agreement`` stream back from ``peer`` if signing on it waits; else None."""
    stream = stream_id(agreement, node.party)
    with UnitOfWork(node, write=False) as uow:
        if stream not in recovery.waiting_streams(uow, [agreement]):
            return None
        held = recovery.own_head(uow, stream)[0]
    report = CatchUp(stream, held, held)
    for _ in range(P.PAGES_PER_ROUND_MAX):
        try:
            page = client.get(copies_path(agreement, node.party),
                              {"after": report.held_after, "limit": P.SYNC_BATCH_SIZE_MAX})
        except PeerRefused as exc:
            report.problems.append(f"{peer} does not return our stream: {exc}")
            return report
        report.peer_size = int(page.get("size") or 0)
        events = page.get("events")
        if not isinstance(events, list) or not events:
            break
        if not _take(node, client, peer, stream, events, report):
            return report
        if report.held_after >= report.peer_size:
            break
    if report.held_after >= report.peer_size:
        with UnitOfWork(node) as uow:
            recovery.partner_holds(uow, peer, stream, report.peer_size)
    return report


def _take(node: Node, client: PeerClient, peer: str, stream: str, events: list[Any],
          report: CatchUp) -> bool:
    source = f"online {client.http.base_url} copy of {stream} after={report.held_after}"
    with UnitOfWork(node) as uow:
        returned = recovery.receive_own(uow, source, peer, stream, events)
    report.applied += returned.applied
    report.held_after = returned.held_after
    report.orders = sorted(set(report.orders) | set(returned.orders))
    report.cited |= returned.cited
    report.problems += returned.problems
    report.quarantined = returned.quarantined
    return not returned.problems and returned.applied + returned.duplicates > 0


# -- the file a partner writes for a node across an air gap ---------------------------------------


@dataclass(frozen=True)
class CopyExported:
    path: str
    to: str
    events: int
    streams: dict[str, tuple[int, int]]  # stream -> (first seq, last seq)


def export_copy(uow: UnitOfWork, originator: str, out: Path, after: int = 0) -> CopyExported:
    """Write our copy of ``originator``'s own streams (after ``after``) for it, signed."""
    get_peer(uow, originator)
    streams: dict[str, list[dict[str, Any]]] = {}
    ranges: dict[str, tuple[int, int]] = {}
    for agreement in sorted(shared_agreements(uow, originator)):
        stream = recovery.copied_stream(uow, agreement, originator, originator)
        events, _size, _last = recovery.copy_page(uow, stream, after, 10**9)
        if events:
            streams[stream] = [e.signed.to_wire() for e in events]
            ranges[stream] = (events[0].envelope.seq, events[-1].envelope.seq)
    key = uow.node.key
    body = {"format": COPY_FORMAT, "from": uow.node.party, "to": originator,
            "created_at": uow.node.now_at(), "public_key": key.public_key.hex(),
            "streams": streams}
    digest = hashlib.sha256(canonical_json(body)).digest()
    document = {**body, "signature": base64.b64encode(
        key.sign(PURPOSE_BUNDLE, digest)).decode("ascii")}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".part")
    tmp.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    tmp.replace(out)
    return CopyExported(str(out), originator, sum(len(v) for v in streams.values()), ranges)


def is_copy_file(path: Path) -> bool:
    """Whether ``path`` is a copy file (its format is written first)."""
    with path.open("rb") as handle:
        start = handle.read(64).replace(b" ", b"")
    return start.startswith(b'{"format":"' + COPY_FORMAT.encode())


@dataclass(frozen=True)
class CopyImported:
    peer: str
    returned: list[recovery.Returned]

    @property
    def applied(self) -> int:
        return sum(r.applied for r in self.returned)

    @property
    def problems(self) -> list[str]:
        return [p for r in self.returned for p in r.problems]


def import_copy(uow: UnitOfWork, path: Path) -> CopyImported:
    """Take our own events back from a copy file a partner wrote for this node."""
    # Read as a bundle is: at most BUNDLE_BYTES_MAX, UTF-8, nested at most 64 deep.
    document = read_json(path, BUNDLE_BYTES_MAX, field="copy")
    if not isinstance(document, dict):
        document = {}
    peer = str(document.get("from", ""))
    problems = _copy_problems(uow, document, peer) if PARTY.fullmatch(peer) else [
        "sender: 'from' is not a party code such as JPN"]
    streams = document.get("streams")
    out = []
    for stream, events in sorted(streams.items() if isinstance(streams, dict) else []):
        if problems or not isinstance(events, list) or not events:
            out.append(recovery.Returned(str(stream), 0, 0, 0, 0, problems=problems or [
                f"{stream}: not a list of events"]))
            continue
        returned = recovery.receive_own(uow, str(path), peer, str(stream), events)
        out.append(returned)
        if not returned.problems:
            last = events[-1].get("event", {}).get("seq") if isinstance(events[-1], dict) \
                else None
            recovery.partner_holds(uow, peer, str(stream), int(last or 0))
    return CopyImported(peer, out)


def _copy_problems(uow: UnitOfWork, document: dict[str, Any], peer: str) -> list[str]:
    """The file must be for this node and signed by a key this node trusts for ``peer``."""
    if document.get("to") != uow.node.party:
        return [f"addressed to {document.get('to')}, not to {uow.node.party}"]
    keys = party_keys(uow, peer)
    try:
        public_key = bytes.fromhex(str(document.get("public_key", "")))
        if keys is None or public_key not in keys.usable.values():
            return [f"not signed by a key this node trusts for {peer or '?'}"]
        body = {k: v for k, v in document.items() if k != "signature"}
        verify(public_key, PURPOSE_BUNDLE, hashlib.sha256(canonical_json(body)).digest(),
               base64.b64decode(str(document.get("signature", "")), validate=True))
    except (BadSignature, ValueError):
        return ["the file's signature does not verify under the partner's key"]
    return []

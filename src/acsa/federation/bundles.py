"""Bundles: a peer's share of the log carried across an air gap as one signed file.

A bundle holds, for each of this node's streams the peer is entitled to,
the events the peer has not acknowledged; the signed tree head of each of
those streams; the evidence files those events cite; and this node's
acknowledgements of the peer's streams (the heads it holds), which is how
the peer learns what it no longer needs to send. The whole file is signed.

This module is the file format only: what goes in comes from
:func:`acsa.services.outgoing.outbox`, and what comes out enters through
:func:`acsa.services.intake.receive_bundle`, which admits the whole file
before applying anything and quarantines it with every reason otherwise.
Importing the same bundle twice changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acsa.events import (
    PURPOSE_BUNDLE,
    BadSignature,
    SignedTreeHead,
    TreeHead,
    canonical_json,
    verify,
)
from acsa.reading import Unreadable, file_digest, loads_json, read_bounded
from acsa.services import intake, outgoing, transmissions
from acsa.services.intake import ImportSummary
from acsa.services.outgoing import BUNDLE_BYTES_MAX
from acsa.services.unit_of_work import UnitOfWork

BUNDLE_FORMAT = "acsa-bundle/1"
PARTY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class ExportSummary:
    path: str
    peer: str
    events: int
    streams: dict[str, tuple[int, int]]  # stream -> (first seq, last seq)
    evidence: int
    left: int = 0  # events that wait for the next bundle: this one would be too large


def export_bundle(uow: UnitOfWork, peer: str, out: Path,
                  room: int = outgoing.BUNDLE_CONTENT_BYTES_MAX, *,
                  initiated_by: str = "operator") -> ExportSummary:
    """Write everything ``peer`` has not acknowledged to ``out``, signed by this node
    (as much as fits in ``room``: the rest goes in the next bundle), and record the
    transmission (:mod:`acsa.services.transmissions`) once the file is written."""
    box = outgoing.outbox(uow, peer, room)
    key = uow.node.key
    heads = [SignedTreeHead.sign(TreeHead(stream=t.stream, size=t.size, root=t.root,
                                          at=uow.node.now_at()), key).to_wire()
             for t in box.tips]
    body = {
        "format": BUNDLE_FORMAT,
        "from": uow.node.party,
        "to": peer,
        "created_at": uow.node.now_at(),
        "public_key": key.public_key.hex(),
        "streams": {s: [e.signed.to_wire() for e in evs] for s, evs in box.streams.items()},
        "heads": heads,
        "acks": box.acks,
        "receipts": box.receipts,
        "evidence": box.evidence,
    }
    digest = hashlib.sha256(canonical_json(body)).digest()
    document = {**body, "signature": base64.b64encode(
        key.sign(PURPOSE_BUNDLE, digest)).decode("ascii")}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".part")
    tmp.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    tmp.replace(out)
    # The record is written in a transaction of its own: the export reads in one that may
    # not write (``write=False``), and the file has left once it is in place.
    with UnitOfWork(uow.node) as recording:
        transmissions.note_transmission(
            recording, recipient=peer, channel="bundle",
            events=[e for evs in box.streams.values() for e in evs],
            route=f"file:{out.name}", initiated_by=initiated_by)
    ranges = {s: (evs[0].envelope.seq, evs[-1].envelope.seq) for s, evs in box.streams.items()}
    return ExportSummary(str(out), peer, sum(len(v) for v in box.streams.values()), ranges,
                         len(box.evidence), box.left)


def import_bundle(uow: UnitOfWork, path: Path) -> ImportSummary:
    """Read a bundle file and hand it to the intake; an unreadable file is quarantined.

    The file is read as every file from outside is (:mod:`acsa.reading`): refused
    unread above :data:`BUNDLE_BYTES_MAX`, and parsed only if it is UTF-8 nested
    no deeper than :data:`~acsa.reading.JSON_DEPTH_MAX`. A refused file is kept in
    the quarantine by its SHA-256 and size.
    """
    source = str(path)
    try:
        raw = read_bounded(path, BUNDLE_BYTES_MAX, field="bundle")
    except Unreadable as exc:
        return intake.refuse_bundle(uow, source, None, file_digest(path), [exc.message])
    try:
        document = loads_json(raw, source=path.name, field="bundle")
    except Unreadable as exc:
        return intake.refuse_bundle(uow, source, None, raw, [f"not a complete bundle: {exc}"])
    if not isinstance(document, dict) or document.get("format") != BUNDLE_FORMAT:
        return intake.refuse_bundle(uow, source, None, raw, [f"not an {BUNDLE_FORMAT} file"])
    peer = document.get("from")
    if not isinstance(peer, str) or not PARTY.fullmatch(peer):
        return intake.refuse_bundle(uow, source, None, raw,
                                    ["sender: 'from' is not a party code such as JPN"])
    problems = []
    if document.get("to") != uow.node.party:
        problems.append(f"addressed to {str(document.get('to'))[:20]}, not to "
                        f"{uow.node.party}")
    try:
        public_key = bytes.fromhex(str(document.get("public_key", "")))
    except ValueError as exc:
        return intake.refuse_bundle(uow, source, peer, raw, [*problems, f"sender: {exc}"])
    streams = _mapping(document.get("streams"))
    problems += [f"streams: {s} is not a list of events" for s, evs in streams.items()
                 if not isinstance(evs, list)]
    return intake.receive_bundle(uow, intake.BundleIn(
        source=source, raw=raw, peer=peer, public_key=public_key,
        streams={s: evs for s, evs in streams.items() if isinstance(evs, list)},
        heads=_list(document.get("heads")),
        acks=_mapping(document.get("acks")), receipts=_list(document.get("receipts")),
        evidence=_list(document.get("evidence")), problems=problems,
        check_signature=lambda: _signature_problems(document, public_key),
    ))


def _signature_problems(document: dict[str, Any], public_key: bytes) -> list[str]:
    body = {k: v for k, v in document.items() if k != "signature"}
    try:
        verify(public_key, PURPOSE_BUNDLE, hashlib.sha256(canonical_json(body)).digest(),
               base64.b64decode(str(document.get("signature", "")), validate=True))
    except (BadSignature, ValueError):
        return ["the bundle's signature does not verify under the peer's key"]
    except Exception as exc:
        return [f"the bundle cannot be canonicalised: {exc}"]
    return []


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []

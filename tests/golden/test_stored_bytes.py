"""The stored canonical bytes are the only thing hashed, signed, served or exported.

A golden log is loaded into a new node; each event read back from the log
keeps the exact bytes its row holds, hashes to its recorded hash, and goes
out byte for byte as stored: in the federation stream response (as the
HTTP layer writes it) and in an air-gap bundle (whose signature covers the
RFC 8785 form of its body).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from acsa.events import canonical_json, sha256_hex
from acsa.federation.bundles import export_bundle
from acsa.federation.http import Server
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import rebuild_projections
from acsa.store import tables as T
from acsa.store.log import read_stream

from .fixtures import load_node, release_directories

AGREEMENT = "JPN-PHL-ACSA"
STREAM = f"{AGREEMENT}/JPN"


def _loaded(fresh_node: Callable[[str], Node]) -> tuple[Node, dict[int, bytes]]:
    node = fresh_node("JPN")
    load_node(node, release_directories()[-1] / "jpn")
    with UnitOfWork(node) as uow:
        rebuild_projections(uow)  # the agreements a stream is served under
        uow.commit()
    with UnitOfWork(node, write=False) as uow:
        rows = uow.conn.execute(select(T.events.c.seq, T.events.c.envelope)
                                .where(T.events.c.stream == STREAM)).all()
    return node, {r.seq: r.envelope.encode("utf-8") for r in rows}


def test_an_event_read_back_keeps_its_stored_bytes(fresh_node: Callable[[str], Node]) -> None:
    node, stored = _loaded(fresh_node)
    with UnitOfWork(node, write=False) as uow:
        events = read_stream(uow.conn, STREAM)
    assert [e.envelope.seq for e in events] == sorted(stored)
    for e in events:
        assert e.signed.canonical == stored[e.envelope.seq]
        assert sha256_hex(e.signed.canonical) == e.hash


def test_the_stream_endpoint_serves_the_stored_bytes(fresh_node: Callable[[str], Node]) -> None:
    node, stored = _loaded(fresh_node)
    server = Server(node)
    served: list[bytes] = []
    after = 0
    while after < max(stored):
        result = server.get_stream("PHL", AGREEMENT, "JPN", after, 1000)
        # As the HTTP layer writes the response body.
        payload = json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode()
        assert result["events"], f"nothing served after seq {after}"
        for wire in result["events"]:
            seq = wire["event"]["seq"]
            assert stored[seq] in payload, f"seq {seq} is not served as stored"
            served.append(canonical_json(wire["event"]))
            after = seq
    assert served == [stored[s] for s in sorted(stored)]


def test_a_bundle_exports_the_stored_bytes(fresh_node: Callable[[str], Node],
                                           tmp_path: Path) -> None:
    node, stored = _loaded(fresh_node)
    path = tmp_path / "JPN-to-PHL.json"
    with UnitOfWork(node, write=False) as uow:
        export_bundle(uow, "PHL", path)
    document = json.loads(path.read_text(encoding="utf-8"))
    wires = document["streams"][STREAM]
    assert [canonical_json(w["event"]) for w in wires] == [stored[s] for s in sorted(stored)]
    signed_body = canonical_json({k: v for k, v in document.items() if k != "signature"})
    assert all(stored[s] in signed_body for s in stored)

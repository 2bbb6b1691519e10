"""Hostile bundles: too large, too deep, garbage, NUL bytes, planted evidence files.

A refused bundle is quarantined with its reason and kept by its SHA-256 and size —
never whole — and nothing else of it is stored (every table's rows counted). On
PostgreSQL, whose text cannot hold U+0000, a bundle with NUL bytes is quarantined
like any other. A bundle carries only the evidence files its events cite, on
export and on import.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from acsa.devtools.exercise import Exercise
from acsa.devtools.world import as_official, in_force_profile, user_id
from acsa.domain.parties import Role
from acsa.events import PURPOSE_BUNDLE, canonical_json
from acsa.federation import bundles
from acsa.federation.bundles import ExportSummary, export_bundle, import_bundle
from acsa.services import evidence, intake, orders, users
from acsa.services.intake import ImportSummary
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.verify import verify_node
from acsa.store import tables as T

from .conftest import Acsa, changed, rows, write

X = Exercise(in_force_profile("JPN-PHL-ACSA"))
QUARANTINED = {"quarantine": 1}


def terms(requester: str = "PHL", supplier: str = "JPN", quantity: str = "10000") -> dict:  # type: ignore[type-arg]
    return X.terms(requester, supplier, [("pol", "Diesel fuel F-76", quantity, "L", "152.5")])


def submitted(pair: Any, count: int = 1) -> list[str]:
    pair.set_day(date(2026, 2, 3))
    return [as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                        terms(quantity=str(1000 + i))).envelope.subject for i in range(count)]


def exported(source: Node, target: Node, path: Path, room: int | None = None) -> dict[str, Any]:
    """The bundle ``source`` writes for ``target`` (with at most ``room`` of content)."""
    with UnitOfWork(source, write=False) as uow:
        summary = export_bundle(uow, target.party, path) if room is None else \
            export_bundle(uow, target.party, path, room)
    document: dict[str, Any] = json.loads(path.read_text())
    EXPORTED[path] = summary
    return document


EXPORTED: dict[Path, ExportSummary] = {}


def signed(document: dict[str, Any], node: Node) -> dict[str, Any]:
    """``document`` signed again by ``node``: what a partner's own (faulty or hostile) node
    would send, past the check of the file's signature."""
    body = {k: v for k, v in document.items() if k != "signature"}
    digest = hashlib.sha256(canonical_json(body)).digest()
    return {**body, "signature": base64.b64encode(node.key.sign(PURPOSE_BUNDLE, digest)).decode()}


def imported(node: Node, path: Path) -> ImportSummary:
    with UnitOfWork(node) as uow:
        return import_bundle(uow, path)


def refused(node: Node, path: Path) -> tuple[ImportSummary, intake.Quarantined]:
    """Import a bundle that must be refused: quarantined, and nothing else stored."""
    before = rows(node)
    summary = imported(node, path)
    assert summary.quarantined is not None, summary
    assert changed(before, rows(node)) == QUARANTINED
    with UnitOfWork(node, write=False) as uow:
        [entry] = [q for q in intake.quarantined(uow) if q.id == summary.quarantined]
        payload = uow.conn.execute(select(T.quarantine.c.payload).where(
            T.quarantine.c.id == entry.id)).scalar_one()
    raw = path.read_bytes()
    assert (entry.sha256, entry.size) == (hashlib.sha256(raw).hexdigest(), len(raw))
    assert len(payload) < 200, "the refused bytes are kept by their digest, never whole"
    print(f"{path.name}: {len(raw)} bytes, quarantined: {entry.reasons}")
    return summary, entry


# -- too large, too deep, garbage -----------------------------------------------------------------


def test_a_bundle_nested_100000_deep_is_quarantined(pair: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "deep.json", b'{"format": "acsa-bundle/1", "streams": ' +
                 b"[" * 100_000 + b"]" * 100_000 + b"}")
    _, entry = refused(pair.jpn, path)
    assert entry.reasons == ["not a complete bundle: bundle: deep.json: nested more than 64 "
                             "levels deep"]


def test_garbage_is_quarantined_by_its_digest_not_kept(pair: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "garbage.json", os.urandom(16 * 1024 * 1024))
    _, entry = refused(pair.jpn, path)
    assert entry.reasons[0].startswith("not a complete bundle: bundle: garbage.json: not UTF-8")


def test_a_bundle_over_the_limit_is_quarantined_unread(pair: Any, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundles, "BUNDLE_BYTES_MAX", 1024 * 1024)
    path = tmp_path / "large.json"
    with path.open("wb") as handle:
        handle.truncate(2 * 1024 * 1024)
    _, entry = refused(pair.jpn, path)
    assert entry.reasons == [f"{path}: larger than 1048576 bytes (2097152 bytes)"]


def test_a_refused_bundle_twice_is_one_quarantine_entry(pair: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "garbage.json", b"not json")
    first = refused(pair.jpn, path)[0]
    before = rows(pair.jpn)
    assert imported(pair.jpn, path).quarantined == first.quarantined
    assert changed(before, rows(pair.jpn)) == {}


# -- NUL bytes (PostgreSQL text cannot hold them) ---------------------------------------------


def _nul_cases(document: dict[str, Any], phl: Node) -> dict[str, bytes]:
    event = document["streams"]["JPN-PHL-ACSA/PHL"][-1]
    tampered = json.loads(json.dumps(document))
    tampered["streams"]["JPN-PHL-ACSA/PHL"][-1]["event"]["data"]["terms"]["remarks"] = "a\x00b"
    assert event["event"]["subject"]
    return {
        "raw NUL bytes": b"\x00" * 64 + json.dumps(signed(document, phl)).encode(),
        "NUL in the sender": json.dumps(signed({**document, "from": "PH\x00L"}, phl)).encode(),
        "NUL in the addressee": json.dumps(signed({**document, "to": "JPN\x00"}, phl)).encode(),
        "NUL in an event": json.dumps(tampered).encode(),
        "NUL in a source": json.dumps(signed({**document, "heads": ["\x00"], "to": "\x00"},
                                             phl)).encode(),
    }


def test_nul_bytes_in_a_bundle_are_quarantined_on_every_engine(pair: Any,
                                                               tmp_path: Path) -> None:
    submitted(pair)
    document = exported(pair.phl, pair.jpn, tmp_path / "b.json")
    for name, data in _nul_cases(document, pair.phl).items():
        _, entry = refused(pair.jpn, write(tmp_path / f"{name}.json", data))
        assert all("\x00" not in r for r in entry.reasons), name


def test_a_bundle_name_with_nul_is_quarantined_under_a_storable_source(pair: Any,
                                                                       tmp_path: Path) -> None:
    with UnitOfWork(pair.jpn) as uow:
        summary = intake.refuse_bundle(uow, "bundle\x00" + "x" * 500, "P\x00L", b"\x00",
                                       ["reason\x00" + "y" * 5000, "\udcff"])
        [entry] = [q for q in intake.quarantined(uow) if q.id == summary.quarantined]
    assert entry.source.startswith("bundle\\u0000xxx") and len(entry.source) == 200
    assert entry.peer is None
    assert entry.reasons[0].startswith("reason\\u0000y") and len(entry.reasons[0]) == 1000
    assert entry.reasons[1] == "?"


# -- evidence files: only those the events cite -----------------------------------------------


def delivered_with_a_file(pair: Any, content: bytes = b"%PDF-1.4 meter ticket 0042") -> str:
    [number] = submitted(pair)
    pair.carry(pair.phl, pair.jpn)
    as_official(pair.jpn, Role.APPROVING_OFFICIAL, orders.accept, number,
                supplying_unit="JMSDF-ESF1")

    @use_case
    def attach_and_deliver(uow: UnitOfWork) -> None:
        user = users.get_user(uow, user_id("JPN", Role.SUPPLY_OFFICER))
        ticket = evidence.store_evidence(uow, "ticket.pdf", content)
        orders.deliver(uow, user, number, [(1, "1000")], evidence=[ticket])

    with UnitOfWork(pair.jpn) as uow:
        attach_and_deliver(uow)
    return number


def test_a_planted_evidence_file_refuses_the_bundle(pair: Any, tmp_path: Path) -> None:
    submitted(pair)
    document = exported(pair.phl, pair.jpn, tmp_path / "b.json")
    planted = b"#!/bin/sh\necho planted\n"
    document["evidence"] = [{"sha256": hashlib.sha256(planted).hexdigest(), "name": "run.sh",
                             "media_type": "text/x-sh", "size": len(planted),
                             "content": base64.b64encode(planted).decode()}]
    _, entry = refused(pair.jpn, write(tmp_path / "planted.json", signed(document, pair.phl)))
    sha = hashlib.sha256(planted).hexdigest()
    assert entry.reasons == [f"evidence 0: no event cites it ({sha[:16]}…)"]


def test_a_file_an_event_already_held_cites_is_taken(pair: Any, tmp_path: Path) -> None:
    delivered_with_a_file(pair)
    document = exported(pair.jpn, pair.phl, tmp_path / "b.json")
    assert len(document["evidence"]) == 1
    without = signed({**document, "evidence": []}, pair.jpn)
    before = rows(pair.phl)
    assert imported(pair.phl, write(tmp_path / "without.json", without)).applied == 2
    assert "evidence_files" not in changed(before, rows(pair.phl))
    summary = imported(pair.phl, tmp_path / "b.json")  # the events again, and their file
    assert (summary.applied, summary.quarantined) == (0, None)
    assert changed(before, rows(pair.phl))["evidence_files"] == 1


def test_an_export_carries_only_the_files_its_events_cite(pair: Any, tmp_path: Path) -> None:
    delivered_with_a_file(pair)

    @use_case
    def keep_a_loose_file(uow: UnitOfWork) -> None:
        evidence.store_evidence(uow, "loose.pdf", b"%PDF-1.4 not cited by anything")

    with UnitOfWork(pair.jpn) as uow:
        keep_a_loose_file(uow)
    document = exported(pair.jpn, pair.phl, tmp_path / "b.json")
    assert [f["name"] for f in document["evidence"]] == ["ticket.pdf"]
    assert imported(pair.phl, tmp_path / "b.json").quarantined is None


# -- a bundle never larger than its reader takes --------------------------------------------------


def test_an_export_too_large_for_one_bundle_goes_in_several(pair: Any, tmp_path: Path) -> None:
    numbers = submitted(pair, 3)
    carried = 0
    for i in range(4):
        # Room for one event: the first of a bundle always goes.
        exported(pair.phl, pair.jpn, tmp_path / f"b{i}.json", room=1)
        summary = EXPORTED[tmp_path / f"b{i}.json"]
        carried += summary.events
        print(f"bundle {i}: {summary.events} event(s), {summary.left} left")
        assert imported(pair.jpn, tmp_path / f"b{i}.json").quarantined is None
        pair.carry(pair.jpn, pair.phl)  # acknowledgements travel back
        if not summary.left:
            break
    assert summary.left == 0 and i >= 2
    with UnitOfWork(pair.jpn, write=False) as uow:
        held = set(uow.conn.execute(select(T.orders.c.number)).scalars())
    assert set(numbers) <= held
    for node in (pair.jpn, pair.phl):
        with UnitOfWork(node) as uow:
            assert verify_node(uow).ok


# -- a partner's copy of our own streams (after a restore) is read as a bundle is -----------------


@pytest.mark.parametrize(("data", "expected"), [
    (b'{"format":"acsa-copy/1","streams":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
     "nested more than 64 levels deep"),
    (b'{"format":"acsa-copy/1","from":"JP\xffN"}', "not UTF-8 text (byte 34: 0xff)"),
    (b'{"format":"acsa-copy/1","from":"JPN\\u0000","to":"PHL","streams":{}}', None),
])
def test_a_broken_copy_file_is_one_line(cli: Acsa, tmp_path: Path, data: bytes,
                                        expected: str | None) -> None:
    path = write(tmp_path / "copy.json", data)
    ran = cli("sync", "import", str(path))
    assert "Traceback" not in ran.err
    if expected is not None:
        assert expected in cli.refused("sync", "import", str(path))


def test_the_quarantine_lists_a_refused_file_by_its_digest(cli: Acsa, tmp_path: Path) -> None:
    path = write(tmp_path / "garbage.json", b"\x00\xff" * 1000)
    ran = cli("sync", "import", str(path))
    assert ran.code == 1 and ran.err.startswith("bundle quarantined (#")
    listed = cli("quarantine", "list").out
    print(listed)
    assert f"({path}, 2000 bytes, sha256 {hashlib.sha256(path.read_bytes()).hexdigest()})" in \
        listed

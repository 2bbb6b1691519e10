"""Backing a node up while it runs, restoring it, and taking back what left it since.

The scenario of an operator restoring last night's backup: JPN is backed up,
both nodes act and PHL receives JPN's acts, JPN is restored — and does not
sign a second, different event where PHL already holds one: it waits until
PHL gives its events back, then its next act reaches PHL without an alarm.
On SQLite and PostgreSQL, carried by files here (tests/operations/test_live.py
does it over HTTP between live nodes).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from acsa.devtools.world import carry
from acsa.domain.errors import StreamBehind
from acsa.domain.parties import Role
from acsa.events import NodeKey
from acsa.federation.recover import export_copy, import_copy
from acsa.services import high_water, users, witness
from acsa.services.backup import BackupRefused, make_backup, verify_backup
from acsa.services.restore import restore
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import verify_node
from acsa.store.db import SCHEMA_HEAD

from .conftest import OWN, THEIRS, held, reopen, submit, url_of


def add_user(node, who: str) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(node) as uow:
        boss = users.get_user(uow, f"{node.party.lower()}.administrator")
        users.add_user(uow, boss, user_id=who, name="Lt. Kimura Sora",
                       roles=[Role.AUDITOR.value], units=[])


def no_alarm(node, peer: str) -> bool:  # type: ignore[no-untyped-def]
    with UnitOfWork(node, write=False) as uow:
        return not witness.in_alarm(uow, peer) and not witness.list_alarms(uow, peer)


def test_a_backup_has_a_manifest_and_verifies_and_an_altered_one_does_not(pair, tmp_path):
    jpn = pair.jpn
    manifest = make_backup(jpn, tmp_path / "b")
    files = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert files == ["acsa.db", "manifest.json", "node.toml"]  # no key unless asked
    assert manifest.party == "JPN" and manifest.schema_revision == SCHEMA_HEAD
    assert manifest.streams[OWN]["seq"] == len(held(jpn)[OWN])
    assert manifest.streams[OWN]["hash"] == held(jpn)[OWN][-1][1]
    assert manifest.counts["events"] == sum(len(v) for v in held(jpn).values())
    assert manifest.counts["users"] > 0 and not manifest.key_included
    assert set(manifest.files) == {"acsa.db", "node.toml"}
    check = verify_backup(tmp_path / "b")
    assert check.ok, check.problems
    assert check.events == manifest.counts["events"]

    altered = tmp_path / "altered"
    shutil.copytree(tmp_path / "b", altered)
    data = bytearray((altered / "acsa.db").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (altered / "acsa.db").write_bytes(bytes(data))
    assert verify_backup(altered).problems == [
        "acsa.db: its SHA-256 is not the manifest's: altered"]
    with pytest.raises(BackupRefused, match="exists and is not an empty directory"):
        make_backup(jpn, tmp_path / "b")


def test_restore_waits_for_the_events_that_left_and_takes_them_back(pair, tmp_path):
    jpn, phl = pair.jpn, pair.phl
    make_backup(jpn, tmp_path / "b")
    at_backup = len(held(jpn)[OWN])
    numbers = [submit(jpn) for _ in range(3)]
    submit(phl)
    add_user(jpn, "jpn.kimura")
    carry(jpn, phl, pair.bundles)
    carry(phl, jpn, pair.bundles)
    assert high_water.read_marks(jpn.data_dir).seq(OWN) == at_backup + 3
    jpn.engine.dispose()

    report = restore(tmp_path / "b", jpn.data_dir, url_of(jpn), replace=True)
    assert report.verified, report.findings
    own = next(s for s in report.streams if s.stream == OWN)
    assert (own.restored, own.replaced, own.mark) == (at_backup, at_backup + 3, at_backup + 3)
    theirs = next(s for s in report.streams if s.stream == THEIRS)
    assert theirs.replaced == theirs.restored + 1
    lost = {x.table: (x.added, x.changed) for x in report.lost}
    assert lost["users"] == (1, 0)

    node = reopen(jpn)
    try:
        with pytest.raises(StreamBehind) as refused:
            submit(node)
        assert refused.value.field == "stream"
        assert refused.value.params == {"stream": OWN, "head": at_backup,
                                        "mark": at_backup + 3, "party": "JPN"}
        assert "acsa sync export --for JPN" in refused.value.message

        take_back(node, phl, tmp_path / "copy.json", at_backup)
        after = submit(node)
        assert after.endswith("/00004") and after not in numbers  # numbering moved on too
        summary = carry(node, phl, pair.bundles)
        assert (summary.applied, summary.quarantined) == (1, None)
        carry(phl, node, pair.bundles)
        assert held(node)[OWN] == held(phl)[OWN] and held(node)[THEIRS] == held(phl)[THEIRS]
        assert no_alarm(phl, "JPN") and no_alarm(node, "PHL")
        for n in (node, phl):
            with UnitOfWork(n) as uow:
                assert verify_node(uow).ok
    finally:
        node.engine.dispose()


def take_back(node, phl, copy: Path, after: int) -> None:  # type: ignore[no-untyped-def]
    """PHL writes its copy of JPN's stream for JPN; JPN takes its three events back."""
    with UnitOfWork(phl, write=False) as uow:
        export_copy(uow, "JPN", copy, after=after)
    with UnitOfWork(node) as uow:
        got = import_copy(uow, copy)
    assert (got.applied, got.problems) == (3, [])
    assert held(node)[OWN] == held(phl)[OWN]


def test_a_restore_on_a_new_machine_opens_the_sealed_key_and_waits_for_its_partners(
        pair, tmp_path, empty_database):
    jpn, phl = pair.jpn, pair.phl
    make_backup(jpn, tmp_path / "b", passphrase="correct horse battery staple")
    sealed = json.loads((tmp_path / "b" / "node.key.sealed").read_text())
    assert sealed["fingerprint"] == jpn.key.fingerprint and "sealed" in sealed
    assert jpn.key.public_key.hex() not in (tmp_path / "b" / "node.key.sealed").read_text()
    new_home = tmp_path / "new-machine"
    with pytest.raises(BackupRefused, match="passphrase does not open"):
        restore(tmp_path / "b", new_home, empty_database, passphrase="wrong passphrase!")
    report = restore(tmp_path / "b", new_home, empty_database,
                     passphrase="correct horse battery staple")
    assert report.verified, report.findings
    assert NodeKey.load(new_home / "node.key").fingerprint == jpn.key.fingerprint
    assert {x.added for x in report.lost} == {None}  # nothing to compare with: unknown
    assert high_water.read_marks(new_home).pending == {OWN: ("PHL",)}

    from acsa.bootstrap import open_node
    from acsa.config import Settings

    database = None if empty_database.startswith("sqlite") else empty_database
    if database is None:
        shutil.move(empty_database.removeprefix("sqlite:///"), new_home / "acsa.db")
    node = open_node(Settings(data_dir=new_home, database_url=database))
    try:
        with pytest.raises(StreamBehind, match="restored without its high-water mark; "
                                               "waiting for PHL"):
            submit(node)
        with UnitOfWork(phl, write=False) as uow:
            export_copy(uow, "JPN", tmp_path / "copy.json")
        with UnitOfWork(node) as uow:
            got = import_copy(uow, tmp_path / "copy.json")
        assert got.applied == 0 and not got.problems  # PHL held nothing more
        assert high_water.read_marks(new_home).pending == {}
        submit(node)
    finally:
        node.engine.dispose()


def test_a_restore_refuses_to_overwrite_a_database_unless_told(pair, tmp_path):
    jpn = pair.jpn
    make_backup(jpn, tmp_path / "b")
    jpn.engine.dispose()
    with pytest.raises(BackupRefused, match="--replace"):
        restore(tmp_path / "b", jpn.data_dir, url_of(jpn))
    with pytest.raises(BackupRefused, match="another party's node"):
        restore(tmp_path / "b", pair.phl.data_dir, url_of(pair.phl), replace=True)
    (tmp_path / "b" / "node.toml").write_text('party = "JPN"\n# altered\n')
    with pytest.raises(BackupRefused, match=r"does not verify: node\.toml"):
        restore(tmp_path / "b", jpn.data_dir, url_of(jpn), replace=True)

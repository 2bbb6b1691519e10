"""``acsa backup``: a consistent copy of a running node, with a manifest, and its check.

A backup is a directory (mode 0700) holding

- ``acsa.db`` — the whole database as one SQLite file, whatever the node's
  engine: on SQLite, SQLite's online backup API; on PostgreSQL, every table
  copied inside one ``REPEATABLE READ`` read-only transaction
  (:mod:`acsa.store.copy`). Either way one committed state, taken while
  the node keeps serving;
- ``node.toml`` — the node's identity;
- ``node.key.sealed`` — only with ``--with-key``: the node key sealed with a
  passphrase (:mod:`acsa.events.sealed_key`); the key is left out otherwise;
- ``manifest.json`` — the party, the schema revision, each stream's head
  (seq and hash), the rows of each table, the high-water marks, the node's
  public keys, and the SHA-256 of every other file.

:func:`verify_backup` checks all of it on a copy: the hashes, the manifest
against the database, then every event's hash, signature and chain link and
every projection, as ``acsa verify`` does. The database holds users'
password hashes and TOTP secrets: keep backups as securely as the node.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from acsa.domain.errors import N_, DomainError
from acsa.events import NodeKey, format_at
from acsa.events.sealed_key import seal_key
from acsa.services import high_water
from acsa.services.node import Node
from acsa.services.peers import KEY_HISTORY, own_key_history
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import verify_node
from acsa.store import tables as T
from acsa.store.copy import (
    UnknownTables,
    copy_rows,
    counts,
    read_only_sqlite,
    single_file,
    snapshot,
    sqlite_backup,
)
from acsa.store.db import make_engine, migrate, schema_revision

FORMAT = "acsa-backup/1"
MANIFEST = "manifest.json"
DATABASE = "acsa.db"
IDENTITY = "node.toml"
SEALED_KEY = "node.key.sealed"


class BackupRefused(DomainError):
    """A backup cannot be made or used as asked (a path, a passphrase, a damaged file)."""

    code = "backup_refused"


@dataclass(frozen=True)
class Manifest:
    party: str
    created_at: str
    engine: str  # the node's engine when it was taken
    schema_revision: str
    streams: dict[str, dict[str, Any]]  # stream -> {"seq", "hash"}
    counts: dict[str, int]
    marks: dict[str, dict[str, Any]]  # the high-water marks when it was taken
    keys: list[dict[str, str]]  # the node's public keys (fingerprint, public_key), oldest first
    key_included: bool
    files: dict[str, str]  # name -> sha256

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, **self.__dict__}

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        if not (directory / MANIFEST).is_file():
            raise BackupRefused(
                N_("%(directory)s is not a backup: it holds no %(manifest)s"),
                field="path", directory=directory, manifest=MANIFEST,
            )
        try:
            document = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
            if document.pop("format", None) != FORMAT:
                raise ValueError(f"not an {FORMAT} manifest")
            return cls(**document)
        except (OSError, ValueError, TypeError) as exc:
            raise BackupRefused(N_("%(path)s: %(problem)s"), field="path",
                                path=directory / MANIFEST, problem=exc) from None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _durable(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- taking a backup ------------------------------------------------------------------------------


def make_backup(node: Node, out: Path, passphrase: str | None = None) -> Manifest:
    """Back ``node`` up into the new directory ``out`` while it runs (see the module)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupRefused(
            N_("%(out)s exists and is not an empty directory"),
            field="out", out=out,
        )
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    with UnitOfWork(node, write=False) as uow:
        keys = own_key_history(uow)
    _copy_database(node, out / DATABASE)
    shutil.copyfile(node.data_dir / IDENTITY, out / IDENTITY)
    files = [DATABASE, IDENTITY]
    if passphrase is not None:
        sealed = seal_key(node.key, passphrase)
        (out / SEALED_KEY).write_text(json.dumps(sealed, indent=1), encoding="utf-8")
        files.append(SEALED_KEY)
    for name in files:
        os.chmod(out / name, 0o600)
        _durable(out / name)
    manifest = _manifest(node, out, keys, files, passphrase is not None)
    (out / MANIFEST).write_text(json.dumps(manifest.to_json(), indent=1), encoding="utf-8")
    os.chmod(out / MANIFEST, 0o600)
    _durable(out / MANIFEST)
    _durable(out)
    return manifest


def _copy_database(node: Node, target: Path) -> None:
    """One consistent state of the node's database, as one SQLite file at ``target``."""
    url = node.engine.url
    if url.get_backend_name() == "sqlite":
        sqlite_backup(Path(str(url.database)), target)
        return
    engine = make_engine(f"sqlite:///{target}")
    try:
        migrate(engine)
        with snapshot(node.engine) as source, engine.begin() as conn:
            copy_rows(source, conn)
    except UnknownTables as exc:
        raise BackupRefused(str(exc), field="database") from None
    finally:
        engine.dispose()
    single_file(target)


def _manifest(node: Node, out: Path, keys: list[dict[str, str]], files: list[str],
              key_included: bool) -> Manifest:
    engine = read_only_sqlite(out / DATABASE)
    try:
        with engine.connect() as conn:
            streams = _heads(conn)
            table_counts = counts(conn)
        revision = schema_revision(engine) or ""
    finally:
        engine.dispose()
    marks = high_water.read_marks(node.data_dir)
    return Manifest(
        party=node.party, created_at=format_at(node.clock()),
        engine=node.engine.url.get_backend_name(), schema_revision=revision, streams=streams,
        counts=table_counts,
        marks={s: {"seq": m.seq, "hash": m.hash} for s, m in marks.streams.items()},
        keys=keys, key_included=key_included,
        files={name: sha256_file(out / name) for name in files})


def _heads(conn: Connection) -> dict[str, dict[str, Any]]:
    return {r.stream: {"seq": int(r.head_seq), "hash": r.head_hash}
            for r in conn.execute(select(T.streams).order_by(T.streams.c.stream))}


# -- checking a backup ----------------------------------------------------------------------------


@dataclass
class BackupCheck:
    path: str
    manifest: Manifest | None = None
    events: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.manifest is not None and not self.problems


def verify_backup(path: Path) -> BackupCheck:
    """Every file against the manifest, the manifest against the database, then the log."""
    check = BackupCheck(str(path))
    check.manifest = manifest = Manifest.read(path)
    for name, digest in sorted(manifest.files.items()):
        if not (path / name).is_file():
            check.problems.append(f"{name}: missing")
        elif sha256_file(path / name) != digest:
            check.problems.append(f"{name}: its SHA-256 is not the manifest's: altered")
    if check.problems or DATABASE not in manifest.files:
        check.problems += [] if check.problems else [f"the manifest lists no {DATABASE}"]
        return check
    with tempfile.TemporaryDirectory(prefix="acsa-verify-") as scratch:
        copy = Path(scratch) / DATABASE
        shutil.copyfile(path / DATABASE, copy)
        check.problems += _database_problems(manifest, copy)
        if not check.problems:
            check.events, findings = _verify_log(manifest, copy, Path(scratch))
            check.problems += findings
    return check


def _database_problems(manifest: Manifest, copy: Path) -> list[str]:
    engine = make_engine(f"sqlite:///{copy}")
    try:
        revision = schema_revision(engine)
        with engine.connect() as conn:
            found_heads, found_counts = _heads(conn), counts(conn)
    finally:
        engine.dispose()
    problems = []
    if revision != manifest.schema_revision:
        problems.append(f"schema at {revision}, the manifest says {manifest.schema_revision}")
    if found_heads != manifest.streams:
        problems.append("the stream heads differ from the manifest's")
    for table, n in sorted(manifest.counts.items()):
        if found_counts.get(table) != n:
            problems.append(f"{table}: {found_counts.get(table)} rows, the manifest says {n}")
    return problems


def _verify_log(manifest: Manifest, copy: Path, scratch: Path) -> tuple[int, list[str]]:
    """``acsa verify`` over the copy, knowing the node by its public keys alone."""
    engine = make_engine(f"sqlite:///{copy}")
    try:
        migrate(engine)
        with engine.begin() as conn:
            known = conn.execute(select(T.node_info.c.key)
                                 .where(T.node_info.c.key == KEY_HISTORY)).first()
            if known is None and manifest.keys:
                conn.execute(insert(T.node_info).values(key=KEY_HISTORY,
                                                        value=json.dumps(manifest.keys)))
        # The secret key is not needed to check signatures: a stand-in is never used to sign.
        node = Node(manifest.party, NodeKey.generate(), engine, scratch)
        with UnitOfWork(node) as uow:
            report = verify_node(uow)
        return report.events, [str(f) for f in report.findings]
    finally:
        engine.dispose()

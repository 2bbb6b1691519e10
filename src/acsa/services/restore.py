"""``acsa restore``: putting a backup back, and saying what it cannot bring back.

Restoring checks the backup first (:func:`acsa.services.backup.verify_backup`),
then puts its identity and, if needed, its sealed key into the data
directory, installs its database — a SQLite file replaced by renaming the old
one aside, a PostgreSQL database emptied of the node's tables — and checks
the result as ``acsa verify`` does.

The high-water marks stay as the data directory has them (only raised to the
backup's): a stream whose events left the node after the backup is behind
its mark, and the node signs nothing on it until the events are fetched back
from a partner. Where the mark itself was lost (a new machine), every own
stream waits until its partners have said how much of it they hold.

What a backup cannot bring back is local: users, tokens, sessions, drafts,
access-log lines, quarantined batches, peers added … after it was taken.
When the replaced database can still be read, the report counts them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url

from acsa.domain.errors import N_
from acsa.domain.streams import stream_agreement, stream_party
from acsa.events import KeyFileError, NodeKey
from acsa.events.sealed_key import open_key
from acsa.services import high_water
from acsa.services.backup import (
    DATABASE,
    IDENTITY,
    SEALED_KEY,
    BackupRefused,
    Manifest,
    verify_backup,
)
from acsa.services.history import note_history
from acsa.services.node import KEY_FILE, Node, utc_now
from acsa.services.peers import agreement_parties
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import verify_node
from acsa.store import tables as T
from acsa.store.copy import copy_rows, drop_tables, is_empty, snapshot
from acsa.store.db import make_engine, migrate

# Local records, never in a stream: what was written to them after the backup is lost.
# (Evidence files and number series come back with the node's own events.)
LOCAL = (T.users, T.api_tokens, T.sessions, T.drafts, T.access_log, T.login_attempts,
         T.quarantine, T.peers, T.key_confirmations, T.peer_alarms, T.transmissions)
LOCAL_NAMES = {"users": "users", "api_tokens": "API tokens", "sessions": "sessions",
               "drafts": "drafts", "access_log": "access-log lines",
               "login_attempts": "login attempts", "quarantine": "quarantined batches",
               "peers": "peers", "key_confirmations": "key confirmations",
               "peer_alarms": "peer alarms", "transmissions": "transmission records"}


@dataclass(frozen=True)
class Lost:
    """Rows of a local table the replaced database held and the backup does not."""

    table: str
    added: int | None  # None: unknown (the replaced database could not be read)
    changed: int | None


@dataclass(frozen=True)
class StreamState:
    stream: str
    own: bool
    restored: int  # events restored
    replaced: int | None  # events the replaced database held, if it could be read
    mark: int  # own streams: events that have left the node


@dataclass
class RestoreReport:
    party: str
    backup_taken: str
    database: str
    events: int = 0
    verified: bool = False
    findings: list[str] = field(default_factory=list)
    streams: list[StreamState] = field(default_factory=list)
    lost: list[Lost] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def display_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


# -- the replaced database ------------------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    """What a database holds: its local rows (by table, key -> row digest) and heads."""

    rows: dict[str, dict[tuple[Any, ...], str]]
    heads: dict[str, int]


def read_held(engine: Engine) -> Held:
    rows: dict[str, dict[tuple[Any, ...], str]] = {}
    with snapshot(engine) as conn:
        for table in LOCAL:
            key = list(table.primary_key.columns)
            rows[table.name] = {
                tuple(r._mapping[c.name] for c in key):
                    hashlib.sha256(repr(tuple(r)).encode()).hexdigest()
                for r in conn.execute(select(table))}
        heads = {r.stream: int(r.head_seq) for r in conn.execute(select(T.streams))}
    return Held(rows, heads)


def _replaced(url: str) -> Held | None:
    """What the database being replaced holds, if there is one and it can be read."""
    if url.startswith("sqlite") and not Path(str(make_url(url).database)).exists():
        return None
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if is_empty(conn):
                return None
        return read_held(engine)
    except Exception:
        return None
    finally:
        engine.dispose()


def losses(replaced: Held | None, restored: Held) -> list[Lost]:
    if replaced is None:
        return [Lost(t.name, None, None) for t in LOCAL]
    out = []
    for table in LOCAL:
        before, after = replaced.rows.get(table.name, {}), restored.rows.get(table.name, {})
        added = sum(1 for k in before if k not in after)
        changed = sum(1 for k, v in before.items() if k in after and after[k] != v)
        out.append(Lost(table.name, added, changed))
    return out


# -- restoring ---------------------------------------------------------------------------------


def restore(backup: Path, data_dir: Path, url: str, *, passphrase: str | None = None,
            replace: bool = False, clock: Callable[[], datetime] = utc_now) -> RestoreReport:
    """Restore the backup in ``backup`` as the node of ``data_dir`` on the database ``url``."""
    check = verify_backup(backup)
    if not check.ok or check.manifest is None:
        raise BackupRefused(N_("%(backup)s does not verify: %(problems)s"), field="path",
                            backup=backup, problems="; ".join(check.problems[:3]))
    manifest = check.manifest
    report = RestoreReport(manifest.party, manifest.created_at, display_url(url))
    new_directory = _identity(backup, data_dir, manifest.party)
    key = _key(backup, data_dir, manifest, passphrase, report)
    replaced = _replaced(url)
    _install(backup, data_dir, url, replace=replace, report=report)
    node = Node(manifest.party, key, make_engine(url), data_dir, clock)
    try:
        # The mark is lost with a new data directory, or when the backup had marks and the
        # directory has none.
        _marks(node, manifest, lost_marks=new_directory or (
            bool(manifest.marks) and not high_water.mark_path(data_dir).exists()))
        note_history(data_dir, node.engine)
        restored = read_held(node.engine)
        report.lost = losses(replaced, restored)
        report.streams = _streams(node, manifest, replaced, restored)
        with UnitOfWork(node) as uow:
            result = verify_node(uow)
        report.events, report.verified = result.events, result.ok
        report.findings = [str(f) for f in result.findings[:20]]
    finally:
        node.engine.dispose()
    return report


def _identity(backup: Path, data_dir: Path, party: str) -> bool:
    """Put the backup's identity in place; True when the data directory was new."""
    identity = data_dir / IDENTITY
    if identity.exists():
        found = identity.read_text()
        if f'party = "{party}"' not in found:
            raise BackupRefused(
                N_("%(data_dir)s holds another party's node, not %(party)s's"),
                field="data_dir", data_dir=data_dir, party=party,
            )
        return False
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copyfile(backup / IDENTITY, identity)
    return True


def _key(backup: Path, data_dir: Path, manifest: Manifest, passphrase: str | None,
         report: RestoreReport) -> NodeKey:
    """The node key: the data directory's own, else the one sealed in the backup."""
    path = data_dir / KEY_FILE
    known = {k["fingerprint"] for k in manifest.keys}
    if path.exists():
        key = NodeKey.load(path)
        if key.fingerprint not in known:
            report.notes.append(f"{KEY_FILE} ({key.fingerprint}) is not among the keys the "
                                "backup knows: a key rotated after the backup")
        return key
    if not manifest.key_included:
        raise BackupRefused(
            N_("no %(key_file)s in %(data_dir)s and the backup holds none: put the node's key "
               "file back, or restore a backup made with --with-key"),
            field="key", key_file=KEY_FILE, data_dir=data_dir,
        )
    if passphrase is None:
        raise BackupRefused(
            N_("the backup's key is sealed: give its passphrase"),
            field="passphrase",
        )
    try:
        key = open_key(json.loads((backup / SEALED_KEY).read_text()), passphrase)
    except KeyFileError as exc:
        raise BackupRefused(str(exc), field="passphrase") from None
    key.save(path)
    report.notes.append(f"{KEY_FILE} restored from the backup ({key.fingerprint})")
    return key


def _install(backup: Path, data_dir: Path, url: str, *, replace: bool,
             report: RestoreReport) -> None:
    """The backup's database, at the schema of this release, as the node's database."""
    staged = data_dir / (DATABASE + ".restoring")
    staged.unlink(missing_ok=True)
    shutil.copyfile(backup / DATABASE, staged)
    os.chmod(staged, 0o600)
    engine = make_engine(f"sqlite:///{staged}")
    try:
        migrate(engine)
        if url.startswith("sqlite"):
            engine.dispose()
            _install_sqlite(staged, Path(str(make_url(url).database)), replace, report)
        else:
            _install_postgresql(engine, url, replace, report)
    finally:
        engine.dispose()
        staged.unlink(missing_ok=True)


def _install_sqlite(staged: Path, target: Path, replace: bool, report: RestoreReport) -> None:
    if target.exists():
        if not replace:
            raise BackupRefused(
                N_("%(target)s already holds a database: add --replace to set it aside"),
                field="database", target=target,
            )
        aside = target.with_name(f"{target.name}.replaced-{os.getpid()}")
        for suffix in ("", "-wal", "-shm"):
            old = Path(f"{target}{suffix}")
            if old.exists():
                os.replace(old, Path(f"{aside}{suffix}"))
        report.notes.append(f"the replaced database was kept as {aside}")
    os.replace(staged, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _install_postgresql(staged: Engine, url: str, replace: bool,
                        report: RestoreReport) -> None:
    target = make_engine(url)
    try:
        with target.connect() as conn:
            empty = is_empty(conn)
        if not empty:
            if not replace:
                raise BackupRefused(N_("%(database)s holds a node's tables: add --replace to "
                                       "drop them"), field="database", database=display_url(url))
            with target.begin() as conn:
                drop_tables(conn)
            report.notes.append(f"the node's tables in {display_url(url)} were dropped")
        migrate(target)
        with snapshot(staged) as source, target.begin() as conn:
            copy_rows(source, conn)
    finally:
        target.dispose()


def _marks(node: Node, manifest: Manifest, *, lost_marks: bool) -> None:
    """Raise the marks to the backup's; where the mark was lost, each own stream waits for
    its partners to say what they hold."""
    waiting: dict[str, tuple[str, ...]] = {}
    if lost_marks:
        with UnitOfWork(node, write=False) as uow:
            registered = set(uow.conn.execute(select(T.peers.c.party)).scalars())
            for stream, head in manifest.streams.items():
                if stream_party(stream) == node.party and head["seq"] > 0:
                    parties = agreement_parties(uow, stream_agreement(stream))
                    peers = tuple(sorted((parties & registered) - {node.party}))
                    if peers:
                        waiting[stream] = peers

    def change(current: high_water.Marks) -> high_water.Marks:
        streams = dict(current.streams)
        for stream, m in manifest.marks.items():
            if int(m["seq"]) > streams.get(stream, high_water.Mark(0)).seq:
                streams[stream] = high_water.Mark(int(m["seq"]), m.get("hash"))
        return high_water.Marks(streams, {**current.pending, **waiting})

    high_water.rewrite_marks(node.data_dir, change)


def _streams(node: Node, manifest: Manifest, replaced: Held | None,
             restored: Held) -> list[StreamState]:
    marks = high_water.read_marks(node.data_dir)
    out = []
    for stream, seq in sorted(restored.heads.items()):
        own = stream_party(stream) == node.party
        out.append(StreamState(stream, own, seq,
                               replaced.heads.get(stream) if replaced else None,
                               marks.seq(stream) if own else 0))
    return out

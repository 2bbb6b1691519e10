"""The high-water mark: how much of each of its own streams has ever left this node.

Beside the key, a node keeps ``high-water.json`` in its data directory: per
stream of its own, the highest sequence number that has left it — served to
a peer or written to a bundle file —
with that event's hash. It is raised *before* anything leaves and written
durably (a temporary file, fsync, atomic rename, fsync of the directory),
so it survives a crash and, unlike the database, is not replaced by a
restore.

A node never signs on a stream whose head is below its mark: its partners
already hold events at those positions, and a new event there would be a
second, different one — a fork they rightly refuse. Signing on that stream
waits until the missing events are fetched back (:mod:`acsa.services.recovery`);
the node's other streams are never blocked.

A node restored where the mark was lost too (a new machine) does not know
how far its streams went: the restore marks each of them *pending* until
each partner of its agreement has said how much of it it holds.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from acsa.domain.errors import N_, StreamBehind, fill
from acsa.domain.streams import stream_party
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

MARK_FILE = "high-water.json"
LOCK_FILE = ".high-water.lock"
FORMAT = "acsa-high-water/1"


@dataclass(frozen=True)
class Mark:
    """The highest sequence number of a stream that left the node, and its event's hash."""

    seq: int
    hash: str | None = None


@dataclass(frozen=True)
class Marks:
    streams: Mapping[str, Mark] = field(default_factory=dict)
    # Streams restored without their mark: the partners still to say what they hold.
    pending: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def seq(self, stream: str) -> int:
        mark = self.streams.get(stream)
        return mark.seq if mark else 0

    def to_json(self) -> dict[str, object]:
        return {"format": FORMAT,
                "streams": {s: {"seq": m.seq, "hash": m.hash}
                            for s, m in sorted(self.streams.items())},
                "pending": {s: list(p) for s, p in sorted(self.pending.items()) if p}}


def mark_path(data_dir: Path) -> Path:
    return data_dir / MARK_FILE


def read_marks(data_dir: Path) -> Marks:
    """The marks kept in ``data_dir`` (none when the file does not exist)."""
    try:
        document = json.loads(mark_path(data_dir).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Marks()
    streams = {str(s): Mark(int(m["seq"]), m.get("hash"))
               for s, m in document.get("streams", {}).items()}
    pending = {str(s): tuple(str(p) for p in ps)
               for s, ps in document.get("pending", {}).items() if ps}
    return Marks(streams, pending)


def has_marks(data_dir: Path) -> bool:
    """Whether anything of this node's streams has ever left it, by its data directory."""
    marks = read_marks(data_dir)
    return any(m.seq > 0 for m in marks.streams.values()) or bool(marks.pending)


# What this process last wrote or read, per data directory: a mark at or below it needs
# no write (marks only rise).
_seen: dict[Path, dict[str, int]] = {}
_seen_lock = threading.Lock()


def raise_marks(data_dir: Path, updates: Mapping[str, Mark]) -> None:
    """Raise the marks of ``updates`` (never lowering one); durable before it returns."""
    key = data_dir.resolve()
    with _seen_lock:
        seen = _seen.setdefault(key, {})
        if all(seen.get(s, -1) >= m.seq for s, m in updates.items()):
            return
    with _locked(data_dir):
        marks = read_marks(data_dir)
        streams = dict(marks.streams)
        changed = False
        for stream, mark in updates.items():
            if mark.seq > streams.get(stream, Mark(0)).seq:
                streams[stream] = mark
                changed = True
        if changed:
            _write(data_dir, Marks(streams, marks.pending))
    with _seen_lock:
        _seen[key] = {s: m.seq for s, m in streams.items()}


def rewrite_marks(data_dir: Path, change: Callable[[Marks], Marks]) -> Marks:
    """Replace the marks by ``change(marks)`` under the lock (restore and confirmation)."""
    with _locked(data_dir):
        marks = change(read_marks(data_dir))
        _write(data_dir, marks)
    with _seen_lock:
        _seen.pop(data_dir.resolve(), None)
    return marks


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    """One writer of the mark file at a time, across processes."""
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write(data_dir: Path, marks: Marks) -> None:
    """Write the file whole or not at all, on disk before returning."""
    target = mark_path(data_dir)
    tmp = target.with_name(target.name + ".tmp")
    payload = json.dumps(marks.to_json(), indent=1).encode("utf-8")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    directory = os.open(data_dir, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


# -- what the services ask ---------------------------------------------------------------------


def note_leaving(node: Node, marks: Mapping[str, Mark]) -> None:
    """Before our events leave the node (to a peer, into a file): raise their streams' marks.

    Only events count: a peer keeps a signed head only once it holds every event the head
    covers, so a head alone never commits this node to anything a restore could lose.
    """
    own = {s: m for s, m in marks.items() if m.seq > 0 and stream_party(s) == node.party}
    if own:
        raise_marks(node.data_dir, own)


def claimed_by_peers(uow: UnitOfWork, stream: str) -> tuple[str, int] | None:
    """The peer that says it holds the most of our ``stream``, and how much."""
    row = uow.conn.execute(
        select(T.peer_acks.c.peer, T.peer_acks.c.seq).where(T.peer_acks.c.stream == stream)
        .order_by(T.peer_acks.c.seq.desc()).limit(1)).first()
    return (str(row.peer), int(row.seq)) if row is not None else None


# Why signing waits, by case: the reason an operator reads, and the refusal of an act,
# each naming the stream, what this node holds (head), what it must hold first (mark)
# and who says so.
BEHIND: dict[str, tuple[str, str]] = {
    "mark": (N_("%(stream)s: this node holds %(head)s of its events but %(mark)s have left "
                "it (high-water mark)"),
             N_("%(stream)s: this node holds %(head)s of its events but %(mark)s have left "
                "it (high-water mark): signing now would fork the record; fetch the missing "
                "events back first (`acsa sync now`, or import a file made by a partner "
                "with `acsa sync export --for %(party)s`)")),
    "peer": (N_("%(stream)s: this node holds %(head)s of its events but %(peer)s holds "
                "%(mark)s"),
             N_("%(stream)s: this node holds %(head)s of its events but %(peer)s holds "
                "%(mark)s: signing now would fork the record; fetch the missing events back "
                "first (`acsa sync now`, or import a file made by a partner with `acsa sync "
                "export --for %(party)s`)")),
    "pending": (N_("%(stream)s: restored without its high-water mark; waiting for %(peers)s "
                   "to say how much of it they hold"),
                N_("%(stream)s: restored without its high-water mark; waiting for %(peers)s "
                   "to say how much of it they hold: signing now would fork the record; "
                   "fetch the missing events back first (`acsa sync now`, or import a file "
                   "made by a partner with `acsa sync export --for %(party)s`)")),
}


def _behind(uow: UnitOfWork, stream: str, head: int) -> tuple[str, dict[str, Any]] | None:
    """Why signing on our ``stream`` (holding ``head`` events) must wait, if it must: the
    case, and the values its sentences name (``mark``: how many events it must hold)."""
    marks = read_marks(uow.node.data_dir)
    named: dict[str, Any] = {"stream": stream, "head": head, "mark": marks.seq(stream)}
    if head < named["mark"]:
        return "mark", named
    claim = claimed_by_peers(uow, stream)
    if claim is not None and claim[1] > head:
        return "peer", {**named, "mark": claim[1], "peer": claim[0]}
    waiting = marks.pending.get(stream)
    if waiting:
        return "pending", {**named, "mark": head, "peers": list(waiting)}
    return None


def behind(uow: UnitOfWork, stream: str, head: int) -> tuple[str, int] | None:
    """Why signing on our ``stream`` (holding ``head`` events) must wait, if it must, and
    how many events it must hold first."""
    found = _behind(uow, stream, head)
    return (fill(BEHIND[found[0]][0], found[1]), int(found[1]["mark"])) if found else None


def check_may_sign(uow: UnitOfWork, stream: str, head: int) -> None:
    """Refuse to sign the next event of our ``stream`` while it is behind what left it."""
    found = _behind(uow, stream, head)
    if found is None:
        return
    case, named = found
    raise StreamBehind(BEHIND[case][1], field="stream", **named, party=uow.node.party)

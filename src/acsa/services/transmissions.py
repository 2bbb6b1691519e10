"""Transmission records: which events left this node, for which party, when, and how.

The Security of Information Agreement asks that transmission of the other
party's information be recorded, as receipt and access are. Every channel by
which signed events leave the node writes one record through
:func:`note_transmission`:

- ``sync`` — a page of a stream served to a peer that pulls it over HTTP
  (:mod:`acsa.federation.http`); the route is the peer's registered URL;
- ``bundle`` — a bundle file written for a peer (:mod:`acsa.federation.bundles`);
  the route is ``file:<name>``;
- ``release`` — a release package to a third nation (its sender calls the same
  function at the moment it sends).

A record is compact: per stream the first and last sequence number carried,
how many events, and the highest marking among them; the whole record also
names its highest marking as both parties show it. It never holds an event's
data, so classified content is not copied into it. Records are local (never
in a stream) and only security officers and administrators read them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert, select

from acsa.domain.errors import N_, InvalidValue
from acsa.domain.marking import (
    UNCLASSIFIED,
    Marking,
    display,
    marking_from_data,
    required_rank,
)
from acsa.domain.parties import Role, check_party_code
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser, NotPermitted
from acsa.store import tables as T
from acsa.store.log import StoredEvent

CHANNELS = ("sync", "bundle", "release", "document")
READERS = frozenset({Role.SECURITY_OFFICER, Role.ADMINISTRATOR})
LIST_ROWS_MAX = 500
ROUTE_MAX = 300
INITIATOR_MAX = 120
DETAIL_MAX = 300


@dataclass(frozen=True)
class StreamRange:
    """The part of one stream a transmission carried."""

    stream: str
    first: int
    last: int
    count: int
    highest: str  # the highest marking among them, as both parties show it

    def as_data(self) -> dict[str, Any]:
        return {"stream": self.stream, "first": self.first, "last": self.last,
                "count": self.count, "highest": self.highest}


@dataclass(frozen=True)
class Transmission:
    """One record: what went to ``recipient``, by ``channel`` and ``route``, at ``at``."""

    id: int
    at: str
    recipient: str
    route: str
    channel: str
    events: int
    streams: tuple[StreamRange, ...]
    highest: str
    initiated_by: str
    detail: str

    def as_view(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at, "recipient": self.recipient, "route": self.route,
                "channel": self.channel, "events": self.events,
                "streams": [s.as_data() for s in self.streams], "highest": self.highest,
                "initiated_by": self.initiated_by, "detail": self.detail}


def _ranked(uow: UnitOfWork, e: StoredEvent) -> tuple[int, str]:
    """How strongly this node must protect ``e`` (0 unclassified), and its marking shown."""
    envelope = e.envelope
    profile = uow.context.profiles.get(envelope.profile)
    if profile is None:
        level = str(envelope.marking.get("level", UNCLASSIFIED))
        return (0 if level == UNCLASSIFIED else 1), level
    try:
        marking: Marking = marking_from_data(envelope.marking, profile)
    except InvalidValue:
        return 1, str(envelope.marking.get("level", "?"))
    return required_rank(marking, profile, uow.node.party), display(marking, profile)


def summarize(uow: UnitOfWork, events: Iterable[StoredEvent]) -> tuple[StreamRange, ...]:
    """Per stream, in stream order: first and last seq, count, highest marking."""
    by_stream: dict[str, list[StoredEvent]] = {}
    for e in events:
        by_stream.setdefault(e.envelope.stream, []).append(e)
    out = []
    for stream in sorted(by_stream):
        evs = by_stream[stream]
        seqs = [e.envelope.seq for e in evs]
        rank, shown = max((_ranked(uow, e) for e in evs), key=lambda r: r[0])
        out.append(StreamRange(stream, min(seqs), max(seqs), len(evs),
                               shown if rank > 0 else UNCLASSIFIED))
    return tuple(out)


def _highest(uow: UnitOfWork, events: list[StoredEvent]) -> str:
    if not events:
        return UNCLASSIFIED
    rank, shown = max((_ranked(uow, e) for e in events), key=lambda r: r[0])
    return shown if rank > 0 else UNCLASSIFIED


def peer_route(uow: UnitOfWork, party: str) -> str:
    """The route to a peer: its registered base URL, or ``http`` when it has none."""
    url = uow.conn.execute(select(T.peers.c.base_url).where(T.peers.c.party == party)
                           ).scalar_one_or_none()
    return str(url) if url else "http"


@use_case
def note_transmission(uow: UnitOfWork, *, recipient: str, channel: str,
                      events: Iterable[StoredEvent], route: str, initiated_by: str,
                      detail: str = "") -> int | None:
    """Record that ``events`` left for ``recipient`` by ``channel`` over ``route``;
    nothing when no event left. Called by every sender, in its own transaction or
    joining the caller's (a release package records it as it is sent)."""
    check_party_code(recipient, field="recipient")
    if channel not in CHANNELS:
        raise InvalidValue(N_("must be one of %(choices)s"), field="channel",
                           choices=", ".join(CHANNELS))
    sent = list(events)
    if not sent:
        return None
    ranges = summarize(uow, sent)
    result = uow.conn.execute(insert(T.transmissions).values(
        at=uow.node.now_at(), recipient=recipient, route=route[:ROUTE_MAX], channel=channel,
        events=len(sent), streams=json.dumps([r.as_data() for r in ranges], ensure_ascii=False),
        highest=_highest(uow, sent)[:200], initiated_by=initiated_by[:INITIATOR_MAX],
        detail=detail[:DETAIL_MAX]))
    key = result.inserted_primary_key
    return int(key[0]) if key else None


def require_reader(actor: LocalUser) -> None:
    if not actor.roles & READERS:
        raise NotPermitted(
            N_("only a security officer or an administrator reads the transmission records"),
            field="user", role="security_officer or administrator")


def list_transmissions(uow: UnitOfWork, actor: LocalUser, *, peer: str | None = None,
                       since: date | None = None, limit: int = 100) -> list[Transmission]:
    """The newest records first (at most :data:`LIST_ROWS_MAX`), of ``peer`` since ``since``."""
    require_reader(actor)
    t = T.transmissions.c
    query = select(T.transmissions).order_by(t.id.desc()).limit(
        max(1, min(limit, LIST_ROWS_MAX)))
    if peer:
        query = query.where(t.recipient == check_party_code(peer.upper(), field="peer"))
    if since is not None:
        query = query.where(t.at >= since.isoformat())
    return [_of(r) for r in uow.conn.execute(query)]


def _of(r: Any) -> Transmission:
    ranges = tuple(StreamRange(str(s["stream"]), int(s["first"]), int(s["last"]),
                               int(s["count"]), str(s["highest"]))
                   for s in json.loads(r.streams))
    return Transmission(int(r.id), r.at, r.recipient, r.route, r.channel, int(r.events), ranges,
                        r.highest, r.initiated_by, r.detail)

"""Admission: is a batch of a peer's events well-formed, signed, and a continuation?

Admission checks each event's form (schema), signature and key, its stream
(the peer's own, of an agreement both nodes are party to), sequence and
chain link, and the form of the data of roster and registry events that
other checks will read. It never looks at the state of orders: whether an
event *takes effect* is interpretation's question, answered identically on
every node. A batch is admitted whole or not at all; every problem found is
reported, not only the first.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from acsa.domain import facts as F
from acsa.domain.context_data import check_context_data, is_date
from acsa.domain.errors import DomainError
from acsa.domain.event_schema import check_data, limited
from acsa.domain.keys import KEY_EVENT_TYPES, KeySchedule, check_key_event
from acsa.domain.parties import Role
from acsa.domain.streams import stream_agreement, stream_party
from acsa.events import EnvelopeInvalid, SignedEvent

HeldHash = Callable[[str, int], str | None]  # (stream, seq) -> hash we hold, if any


@dataclass(frozen=True)
class Admission:
    new: list[SignedEvent]  # in stream order, ready to append
    duplicates: int  # already held, identical
    problems: list[str]  # every reason; non-empty means nothing is admitted


@dataclass(frozen=True)
class Holdings:
    """What the receiving node holds that admission compares a batch with."""

    me: str  # the receiving node's party
    agreements: Mapping[str, Sequence[str]]  # agreement id -> its parties
    heads: Mapping[str, tuple[int, str | None]]  # stream -> (seq, hash) we hold
    held: HeldHash
    schedules: Mapping[str, KeySchedule] = field(default_factory=dict)  # keys at our head
    paper: Mapping[str, Collection[str]] = field(default_factory=dict)  # parties on paper


@dataclass
class _Batch:
    """Admission's running result."""

    new: list[SignedEvent] = field(default_factory=list)
    duplicates: int = 0
    problems: list[str] = field(default_factory=list)


def admit(raw_events: Iterable[Any], *, peer: str, public_key: bytes,
          holdings: Holdings) -> Admission:
    """Admit ``raw_events`` from ``peer`` whole, or report every problem found.

    With a key schedule for a stream, each event must be signed by the key
    the schedule puts in force at its position (rotations and revocations in
    the batch itself count from where they stand); otherwise by ``public_key``.
    """
    batch = _Batch()
    by_stream: dict[str, list[SignedEvent]] = {}
    for i, raw in enumerate(raw_events):
        try:
            e = SignedEvent.from_wire(raw)
        except EnvelopeInvalid as exc:
            batch.problems.append(f"event {i}: malformed: {exc.field}: {exc}")
            continue
        by_stream.setdefault(e.envelope.stream, []).append(e)
    for stream, evs in sorted(by_stream.items()):
        problem = _stream_problem(stream, peer, holdings)
        if problem:
            batch.problems.append(f"{stream}: {problem}")
            continue
        _admit_stream(stream, sorted(evs, key=lambda e: e.envelope.seq), peer, public_key,
                      holdings, batch)
    if batch.problems:
        return Admission([], batch.duplicates, batch.problems)
    return Admission(batch.new, batch.duplicates, [])


def _stream_problem(stream: str, peer: str, holdings: Holdings) -> str | None:
    if stream_party(stream) != peer:
        return f"{peer} may send only its own streams"
    agreement = stream_agreement(stream)
    parties = holdings.agreements.get(agreement)
    if parties is None or holdings.me not in parties or peer not in parties:
        return f"{agreement} is not an agreement between {holdings.me} and {peer}"
    return None


def _admit_stream(stream: str, evs: list[SignedEvent], peer: str, public_key: bytes,
                  holdings: Holdings, batch: _Batch) -> None:
    """Check one stream's events in order: keys, form, then continuity with what we hold."""
    agreement = stream_agreement(stream)
    parties = holdings.agreements[agreement]
    on_paper = holdings.paper.get(agreement, ())
    head_seq, head_hash = holdings.heads.get(stream, (0, None))
    expected_seq, expected_prev = head_seq + 1, head_hash
    schedule = holdings.schedules.get(stream)
    for e in evs:
        env = e.envelope
        at = f"{stream} seq {env.seq}"
        key = _signing_key(e, public_key, schedule)
        if schedule is not None and env.seq > head_seq:
            problem = schedule.problem(env.seq, e.key)
            batch.problems += [f"{at}: {problem}"] if problem else []
        batch.problems += [f"{stream} {p}" for p in e.check(key)]
        batch.problems += [f"{at}: {p}" for p in _form(e, peer, holdings.me, parties, on_paper)]
        if env.type in KEY_EVENT_TYPES and env.seq > head_seq:
            problem, schedule = _key_event(e, schedule)
            batch.problems += [f"{at}: {problem}"] if problem else []
        if env.seq <= head_seq:  # held already: compared by hash, never judged again
            mine = holdings.held(stream, env.seq)
            if mine == e.hash:
                batch.duplicates += 1
            else:
                batch.problems.append(
                    f"{at}: conflicts with the event this node holds at that position "
                    f"({str(mine)[:12]}… vs {e.hash[:12]}…): the peer's history was rewritten")
            continue
        limits = _limits_problem(e)
        batch.problems += [f"{at}: {limits}"] if limits else []
        if env.seq != expected_seq:
            batch.problems.append(f"{at}: expected seq {expected_seq} (a gap or a reordering)")
        if env.prev != expected_prev:
            batch.problems.append(f"{at}: prev does not link to seq {env.seq - 1}")
        expected_seq, expected_prev = env.seq + 1, e.hash
        batch.new.append(e)


def _signing_key(e: SignedEvent, public_key: bytes, schedule: KeySchedule | None) -> bytes:
    if schedule is None:
        return public_key
    return schedule.public_key(e.key) or public_key


def _key_event(e: SignedEvent, schedule: KeySchedule | None
               ) -> tuple[str | None, KeySchedule | None]:
    """A rotation or revocation checked against the schedule; the schedule after it."""
    env = e.envelope
    try:
        check_key_event(env.type, _plain(env.data), e.key, schedule)
    except DomainError as exc:
        return f"data.{exc.field}: {exc.message}", schedule
    if schedule is not None:
        schedule = schedule.apply(env.type, env.seq, _plain(env.data))
    return None, schedule


def _form(e: SignedEvent, peer: str, me: str, parties: Sequence[str],
          on_paper: Collection[str] = ()) -> list[str]:
    """Problems with the form of one event beyond the envelope schema."""
    env = e.envelope
    out: list[str] = []
    actor = env.actor
    try:
        Role(str(actor.get("role")))
    except ValueError:
        out.append(f"actor.role {actor.get('role')!r} is not a role")
    if actor.get("party") not in parties:
        out.append(f"actor.party {actor.get('party')} is not a party to the agreement")
    marking = env.marking
    if marking.get("originator") != peer:
        out.append(f"marking.originator must be {peer}")
    if me not in marking.get("rel", ()):
        out.append(f"marking.rel does not release it to {me}: it should never have been sent")
    if env.type in F.ORDER_EVENT_TYPES:
        on = env.data.get("on")
        if not isinstance(on, str) or not is_date(on):
            out.append("data.on must be the business date (YYYY-MM-DD)")
    try:
        check_context_data(env.type, _plain(env.data), env.profile, peer, on_paper)
    except DomainError as exc:
        out.append(f"data.{exc.field}: {exc.message}" if exc.field else exc.message)
    return out


def _limits_problem(e: SignedEvent) -> str | None:
    """The event schema's limits (figures' digits, no U+0000) on a new event, where
    interpretation will not judge them.

    An order event of version 2 or later is admitted and judged in the fold, where a
    figure or text over a limit makes it ineffective with the reason and the stream after
    it flows on. Every other new event is held to the limits here: roster, registry, rate
    and key events feed tables every later judgement reads, and an order event signed under
    version 1 cannot be judged by them in the fold without judging again the version 1
    events already held. The envelope's own texts are checked for every event (the log
    stores them in columns of their own).
    """
    env = e.envelope
    try:
        check_data({"subject": env.subject, "actor": _plain(env.actor),
                    "marking": _plain(env.marking)})
    except DomainError as exc:
        return f"{exc.field}: {exc.message}"
    if env.type in F.ORDER_EVENT_TYPES and limited(env.v):
        return None
    try:
        check_data(_plain(env.data))
    except DomainError as exc:
        return f"data: {exc.field}: {exc.message}"
    return None


def _plain(value: Any) -> Any:
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value

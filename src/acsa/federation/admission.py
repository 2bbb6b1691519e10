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
from dataclasses import dataclass
from datetime import date
from typing import Any

from acsa.domain import facts as F
from acsa.domain.agreement import canonical_digest, profile_from_document
from acsa.domain.errors import DomainError
from acsa.domain.keys import KEY_EVENT_TYPES, KeySchedule, check_key_event
from acsa.domain.parties import Role
from acsa.domain.statements import check_statement_data
from acsa.events import EnvelopeInvalid, SignedEvent

HeldHash = Callable[[str, int], str | None]  # (stream, seq) -> hash we hold, if any


@dataclass(frozen=True)
class Admission:
    new: list[SignedEvent]  # in stream order, ready to append
    duplicates: int  # already held, identical
    problems: list[str]  # every reason; non-empty means nothing is admitted


def admit(
    raw_events: Iterable[Any],
    *,
    peer: str,
    public_key: bytes,
    agreements: Mapping[str, Sequence[str]],  # agreement id -> its parties
    me: str,
    heads: Mapping[str, tuple[int, str | None]],  # stream -> (seq, hash) we hold
    held: HeldHash,
    schedules: Mapping[str, KeySchedule] | None = None,  # stream -> keys at our head
    paper: Mapping[str, Collection[str]] | None = None,  # agreement -> parties on paper
) -> Admission:
    """Admit ``raw_events`` from ``peer`` whole, or report every problem found.

    With ``schedules``, each event must be signed by the key its stream's
    schedule puts in force at its position (rotations and revocations in the
    batch itself count from where they stand); otherwise by ``public_key``.
    """
    problems: list[str] = []
    parsed: list[SignedEvent] = []
    for i, raw in enumerate(raw_events):
        try:
            parsed.append(SignedEvent.from_wire(raw))
        except EnvelopeInvalid as exc:
            problems.append(f"event {i}: malformed: {exc.field}: {exc}")
    by_stream: dict[str, list[SignedEvent]] = {}
    for e in parsed:
        by_stream.setdefault(e.envelope.stream, []).append(e)
    new: list[SignedEvent] = []
    duplicates = 0
    for stream, evs in sorted(by_stream.items()):
        agreement, _, party = stream.rpartition("/")
        where = f"{stream}"
        if party != peer:
            problems.append(f"{where}: {peer} may send only its own streams")
            continue
        parties = agreements.get(agreement)
        if parties is None or me not in parties or peer not in parties:
            problems.append(f"{where}: {agreement} is not an agreement between {me} and {peer}")
            continue
        evs.sort(key=lambda e: e.envelope.seq)
        head_seq, head_hash = heads.get(stream, (0, None))
        expected_seq, expected_prev = head_seq + 1, head_hash
        schedule = (schedules or {}).get(stream)
        on_paper = (paper or {}).get(agreement, ())
        for e in evs:
            env = e.envelope
            at = f"{stream} seq {env.seq}"
            key = public_key
            if schedule is not None:
                if env.seq > head_seq:
                    problem = schedule.problem(env.seq, e.key)
                    if problem:
                        problems.append(f"{at}: {problem}")
                key = schedule.public_key(e.key) or public_key
            problems += [f"{stream} {p}" for p in e.check(key)]
            problems += [f"{at}: {p}" for p in _form(e, peer, me, parties, on_paper)]
            if env.type in KEY_EVENT_TYPES and env.seq > head_seq:
                try:
                    check_key_event(env.type, _plain(env.data), e.key, schedule)
                except DomainError as exc:
                    problems.append(f"{at}: data.{exc.field}: {exc.message}")
                else:
                    if schedule is not None:
                        schedule = schedule.apply(env.type, env.seq, _plain(env.data))
            if env.seq <= head_seq:
                mine = held(stream, env.seq)
                if mine == e.hash:
                    duplicates += 1
                else:
                    problems.append(
                        f"{at}: conflicts with the event this node holds at that position "
                        f"({str(mine)[:12]}… vs {e.hash[:12]}…): the peer's history was rewritten"
                    )
                continue
            if env.seq != expected_seq:
                problems.append(f"{at}: expected seq {expected_seq} (a gap or a reordering)")
            if env.prev != expected_prev:
                problems.append(f"{at}: prev does not link to seq {env.seq - 1}")
            expected_seq, expected_prev = env.seq + 1, e.hash
            new.append(e)
    if problems:
        return Admission([], duplicates, problems)
    return Admission(new, duplicates, [])


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
        if not isinstance(on, str) or not _is_date(on):
            out.append("data.on must be the business date (YYYY-MM-DD)")
    try:
        check_context_data(env.type, _plain(env.data), env.profile, peer, on_paper)
    except DomainError as exc:
        out.append(f"data.{exc.field}: {exc.message}" if exc.field else exc.message)
    return out


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _plain(value: Any) -> Any:
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def check_context_data(type_: str, data: Mapping[str, Any], digest: str, party: str,
                       on_paper: Collection[str] = ()) -> None:
    """Refuse roster, registry and rate events whose data other checks could not read.

    A party appoints its own officials, except that the node recording a
    paper partner's steps also publishes the appointments it holds on paper
    for that partner (``on_paper``: the parties the profile says sign on paper).
    """
    def text(key: str, required: bool = True) -> None:
        value = data.get(key)
        if (value is None and required) or (value is not None and not isinstance(value, str)):
            raise DomainError("must be text", field=key)

    def day(key: str, required: bool = True) -> None:
        text(key, required)
        if data.get(key) is not None and not _is_date(str(data[key])):
            raise DomainError("must be a date", field=key)

    if type_ == F.AGREEMENT_ADOPTED:
        document = data.get("profile")
        if not isinstance(document, Mapping):
            raise DomainError("must be the adopted profile", field="profile")
        profile_from_document(document, "adopted profile")
        if canonical_digest(document) != digest:
            raise DomainError("the envelope's profile digest is not this profile's",
                              field="profile")
    elif type_ == F.APPOINTMENT_GRANTED:
        for key in ("user", "name", "role"):
            text(key)
        if data.get("role") not in {r.value for r in Role}:
            raise DomainError(f"{data.get('role')!r} is not a role", field="role")
        if data.get("party") != party and data.get("party") not in on_paper:
            raise DomainError(f"{party} appoints its own officials only", field="party")
        day("valid_from")
        day("valid_to", required=False)
        units = data.get("units", [])
        if not isinstance(units, list) or not all(isinstance(u, str) for u in units):
            raise DomainError("must be a list of unit ids", field="units")
        limits = data.get("limits")
        if limits is not None and (
            not isinstance(limits, Mapping)
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                       for v in limits.values())
        ):
            raise DomainError("must map currencies to positive minor units", field="limits")
    elif type_ == F.APPOINTMENT_REVOKED:
        text("appointment")
    elif type_ == F.UNIT_REGISTERED:
        text("name")
    elif type_ == F.ACTIVITY_REGISTERED:
        text("name")
        text("type")
        day("starts_on")
        day("ends_on", required=False)
    elif type_ == F.RATE_RECORDED:
        for key in ("base", "quote", "rate"):
            text(key)
        day("on")
    elif type_ in (F.BALANCE_SIGNED, F.BALANCE_ANSWERED):
        check_statement_data(type_, data)
    elif type_ == F.CATALOGUE_PRICE_SET:
        for key in ("category", "item", "unit", "unit_price", "currency"):
            text(key)
        day("valid_from")

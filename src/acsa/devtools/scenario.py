"""Scenarios: two or more nations' nodes acting on shared orders, in memory.

A :class:`Scenario` writes facts as nodes would — one stream per party, a
gapless sequence, each event's parent the last event on that order its
node had seen — without storage or signatures, so that the domain's rules
can be exercised (by tests, by the worked example) exactly as nodes will
exercise them. Nodes see each other's events only when :meth:`sync` is
called, unless ``auto_sync`` is on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from acsa.domain.agreement import AgreementProfile
from acsa.domain.facts import Actor, Fact
from acsa.domain.interpret import Context, interpret_orders
from acsa.domain.parties import Role
from acsa.domain.roster import Appointment, Roster
from acsa.domain.state import OrderState
from acsa.events.envelope import ENVELOPE_VERSION


@dataclass
class Node:
    party: str
    seen: list[Fact] = field(default_factory=list)  # in arrival order

    def last_on(self, order: str) -> str | None:
        for f in reversed(self.seen):
            if order in f.orders():
                return f.hash
        return None


class Scenario:
    """Nodes of the parties to one agreement, writing facts in memory."""

    def __init__(
        self,
        profile: AgreementProfile,
        *,
        start: datetime = datetime(2026, 2, 2, 0, 0, tzinfo=UTC),
        auto_sync: bool = True,
        version: int = ENVELOPE_VERSION,
    ) -> None:
        self.profile = profile
        self.version = version  # the event schema the facts are written under, as nodes sign
        self.clock = start
        self.auto_sync = auto_sync
        self.nodes = {p: Node(p) for p in profile.party_codes}
        self.facts: list[Fact] = []
        self.seqs: dict[str, int] = {}
        self.appointments: dict[str, list[Appointment]] = {}
        self.numbers: dict[str, int] = {}

    # -- context -----------------------------------------------------------

    def stream(self, party: str) -> str:
        return f"{self.profile.id}/{party}"

    def _next_seq(self, stream: str) -> int:
        self.seqs[stream] = self.seqs.get(stream, 0) + 1
        return self.seqs[stream]

    def appoint(
        self,
        party: str,
        user: str,
        role: Role,
        *,
        units: frozenset[str] = frozenset(),
        limits: Mapping[str, int] | None = None,
        valid_from: date = date(2026, 1, 15),
        valid_to: date | None = None,
        recorded_by: str | None = None,
    ) -> Appointment:
        """Record an appointment in ``recorded_by``'s stream (the party's own, by default)."""
        stream = self.stream(recorded_by or party)
        seq = self._next_seq(stream)
        ident = _digest({"appoint": [party, user, role.value, stream, seq]})
        a = Appointment(
            id=ident, party=party, user=user, name=user.replace(".", " ").title(), role=role,
            valid_from=valid_from, valid_to=valid_to, units=units, limits=limits,
            granted_at=seq,
        )
        self.appointments.setdefault(stream, []).append(a)
        return a

    def revoke(self, appointment: Appointment, recorded_by: str | None = None) -> None:
        stream = self.stream(recorded_by or appointment.party)
        seq = self._next_seq(stream)
        self.appointments[stream] = [
            replace(a, revoked_at=seq) if a.id == appointment.id else a
            for a in self.appointments[stream]
        ]

    def context(self) -> Context:
        return Context(
            profiles={self.profile.digest: self.profile},
            rosters={s: Roster.of(a) for s, a in self.appointments.items()},
        )

    def number(self, party: str, on: date, *, emergency: bool = False) -> str:
        key = f"{party}{'E' if emergency else ''}"
        self.numbers[key] = self.numbers.get(key, 0) + 1
        fy = self.profile.party(party).fiscal_year(on)
        mark = "E" if emergency else ""
        return f"{self.profile.short_id}/{party}/FY{fy}/{mark}{self.numbers[key]:05d}"

    # -- acting --------------------------------------------------------------

    def act(
        self,
        appointment: Appointment,
        type: str,
        subject: str,
        data: Mapping[str, Any],
        *,
        on: date,
        unit: str | None = None,
        parents: Mapping[str, str | None] | None = None,
        signer: str | None = None,
        paper: bool = False,
        seq: int | None = None,
    ) -> Fact:
        """``appointment``'s holder does ``type`` on ``subject``; returns the recorded fact."""
        signer = signer or appointment.party
        node = self.nodes[signer]
        stream = self.stream(signer)
        # Recording follows the business date: an event is recorded on its day.
        day_start = datetime(on.year, on.month, on.day, 1, tzinfo=UTC)
        self.clock = max(self.clock + timedelta(milliseconds=1500), day_start)
        body = dict(data)
        body.setdefault("on", on.isoformat())
        if "orders" in body:
            body["orders"] = [
                {**p, "parent": (parents or {}).get(p["order"], node.last_on(p["order"]))}
                for p in body["orders"]
            ]
        parent = (parents or {}).get(subject, node.last_on(subject)) if parents is not None \
            else node.last_on(subject)
        fact = Fact(
            hash="",
            stream=stream,
            seq=seq if seq is not None else self._next_seq(stream),
            at=self.clock.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.clock.microsecond // 1000:03d}Z",
            type=type,
            subject=subject,
            parent=parent,
            signer=signer,
            actor=Actor(
                user=appointment.user, name=appointment.name, role=appointment.role,
                party=appointment.party, unit=unit, appointment=appointment.id, paper=paper,
            ),
            profile=self.profile.digest,
            data=body,
            version=self.version,
        )
        fact = replace(fact, hash=_digest(_as_dict(fact)))
        self.facts.append(fact)
        node.seen.append(fact)
        if self.auto_sync:
            self.sync()
        return fact

    def sync(self, to: str | None = None) -> None:
        """Deliver every node's unseen events (to ``to`` only, if given), in stream order."""
        for node in self.nodes.values():
            if to is not None and node.party != to:
                continue
            have = {f.hash for f in node.seen}
            for f in self.facts:
                if f.hash not in have:
                    node.seen.append(f)

    def states(self, facts: list[Fact] | None = None) -> dict[str, OrderState]:
        return interpret_orders(facts if facts is not None else self.facts, self.context())

    def state(self, order: str, facts: list[Fact] | None = None) -> OrderState:
        return interpret_orders(
            facts if facts is not None else self.facts, self.context(), [order]
        )[order]


def _as_dict(f: Fact) -> dict[str, Any]:
    return {
        "stream": f.stream, "seq": f.seq, "at": f.at, "type": f.type, "subject": f.subject,
        "parent": f.parent, "signer": f.signer,
        "actor": {"user": f.actor.user, "role": f.actor.role.value, "party": f.actor.party,
                  "unit": f.actor.unit, "appointment": f.actor.appointment,
                  "paper": f.actor.paper},
        "profile": f.profile, "data": f.data,
    }


def _digest(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()

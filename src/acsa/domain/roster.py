"""The roster of appointments: who may sign what, for which units, up to what amount, when.

Each nation publishes its own roster in its stream, so the other nation can
check every signature's authority. An appointment is identified by the hash
of the event that granted it; a revocation takes effect by *position* in the
granting party's stream (events after the revocation that cite the
appointment are refused), never by a clock.

Limits are per currency: an official appointed "up to 50,000,000 JPY" has no
authority over a PHP amount unless a PHP limit is stated too. This keeps the
check free of exchange rates, so both nodes always agree on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from acsa.domain.errors import N_, LimitExceeded, NotAppointed
from acsa.domain.money import Money
from acsa.domain.parties import Role


@dataclass(frozen=True)
class Appointment:
    """One written appointment of one user to one role."""

    id: str
    party: str
    user: str
    name: str
    role: Role
    valid_from: date
    valid_to: date | None = None
    units: frozenset[str] = frozenset()  # empty: every unit of the party
    limits: Mapping[str, int] | None = None  # currency -> minor units; None: no limit
    granted_at: int = 0  # sequence of the granting event in the party's stream
    revoked_at: int | None = None  # sequence of the revoking event, if any

    def in_force(self, on: date, position: int | None) -> bool:
        if on < self.valid_from or (self.valid_to is not None and on > self.valid_to):
            return False
        return not (
            self.revoked_at is not None and (position is None or position > self.revoked_at)
        )

    def covers_unit(self, unit: str | None) -> bool:
        """Whether the appointment covers ``unit``; ``None`` is an act for no unit in
        particular (a dated exchange rate, a catalogue price), which any unit's
        official of the right role may sign."""
        return not self.units or unit is None or unit in self.units

    def limit_for(self, currency: str) -> Money | None:
        """The limit in ``currency``; raises if the appointment has limits but none in it."""
        if self.limits is None:
            return None
        if currency not in self.limits:
            raise LimitExceeded(
                N_("%(name)s's appointment as %(role)s states no limit in %(currency)s"),
                field="amount", user=self.user, party=self.party, role=self.role,
                currency=currency, appointment=self.id, name=self.name,
            )
        return Money(currency, self.limits[currency])


@dataclass(frozen=True)
class Roster:
    """All appointments known, granted and revoked, of every party."""

    appointments: Mapping[str, Appointment] = field(default_factory=dict)

    @classmethod
    def of(cls, appointments: Iterable[Appointment]) -> Roster:
        return cls(MappingProxyType({a.id: a for a in appointments}))

    def __reduce__(self) -> tuple[Any, ...]:
        # A mapping proxy cannot be pickled; the roster is rebuilt from its appointments
        # (so that a rebuild's workers receive the context).
        return (Roster.of, (tuple(self.appointments.values()),))

    def for_user(self, party: str, user: str) -> list[Appointment]:
        return [a for a in self.appointments.values() if a.party == party and a.user == user]

    def find(
        self,
        *,
        party: str,
        user: str,
        role: Role,
        unit: str | None,
        on: date,
        position: int | None = None,
    ) -> Appointment | None:
        """The appointment a local action would cite: in force, same role and unit."""
        candidates = [
            a
            for a in self.for_user(party, user)
            if a.role is role and a.covers_unit(unit) and a.in_force(on, position)
        ]
        return min(candidates, key=lambda a: (a.granted_at, a.id), default=None)

    def authorize(
        self,
        appointment_id: str | None,
        *,
        party: str,
        user: str,
        role: Role,
        unit: str | None,
        on: date,
        amount: Money | None = None,
        position: int | None = None,
    ) -> Appointment:
        """Check that ``appointment_id`` lets ``user`` act as ``role`` for ``unit`` on ``on``.

        ``position`` is the sequence of the acting event in its party's stream
        (``None`` for an action not yet recorded: it comes after everything known).
        """
        appointment = self.appointments.get(appointment_id or "")
        named: dict[str, object] = {"user": user, "party": party, "role": role,
                                    "appointment": appointment_id}
        if appointment is None:
            raise NotAppointed(
                N_("%(user)s (%(party)s) cites no known appointment as %(role)s"),
                field="actor", **named,
            )
        if appointment.party != party or appointment.user != user:
            raise NotAppointed(
                N_("the cited appointment is not %(user)s (%(party)s)'s"),
                field="actor", **named,
            )
        if appointment.role is not role:
            raise NotAppointed(
                N_("%(user)s (%(party)s) is appointed as %(held_role)s, not %(role)s"),
                field="actor", held_role=appointment.role, **named,
            )
        if appointment.revoked_at is not None and (
            position is None or position > appointment.revoked_at
        ):
            raise NotAppointed(
                N_("%(user)s (%(party)s)'s appointment as %(role)s has been revoked"),
                field="actor", **named,
            )
        if not appointment.in_force(on, position):
            raise NotAppointed(
                N_("%(user)s (%(party)s)'s appointment as %(role)s is not in force on %(date)s"),
                field="actor", date=on, valid_from=appointment.valid_from,
                valid_to=appointment.valid_to, **named,
            )
        if not appointment.covers_unit(unit):
            raise NotAppointed(
                N_("%(user)s (%(party)s) is not appointed for unit %(unit)s"),
                field="unit", unit=unit, **named,
            )
        if amount is not None:
            limit = appointment.limit_for(amount.currency)
            if limit is not None and amount.minor > limit.minor:
                raise LimitExceeded(
                    N_("%(amount)s is above %(user)s (%(party)s)'s limit of %(limit)s as %(role)s"),
                    field="amount", amount=amount, limit=limit, **named,
                )
        return appointment

"""Facts: recorded events as the domain sees them.

A :class:`Fact` is the part of a signed event envelope the rules read: who
acted (``actor``), which node signed (``signer``), where it sits (``stream``,
``seq``), what it follows (``parent``) and its type-specific ``data``. The
envelope, its hashing and its signature belong to :mod:`acsa.events`; by the
time a fact reaches the domain its signature has been checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from acsa.domain.errors import N_, InvalidValue, MissingField
from acsa.domain.money import Money, parse_decimal
from acsa.domain.parties import Role

# Event types, past tense. Those that concern an order are interpreted by
# the fold; the others (roster, registry, rates, keys) feed its context.
ORDER_SUBMITTED = "order.submitted"
ORDER_EMERGENCY_RECORDED = "order.emergency_recorded"
ORDER_EMERGENCY_CONFIRMED = "order.emergency_confirmed"
ORDER_PROPOSED = "order.proposed"
ORDER_CONFIRMED = "order.confirmed"
ORDER_WITHDRAWN = "order.withdrawn"
ORDER_ACCEPTED = "order.accepted"
ORDER_REJECTED = "order.rejected"
DELIVERY_RECORDED = "delivery.recorded"
RECEIPT_RECORDED = "receipt.recorded"
DISPUTE_OPENED = "dispute.opened"
DISPUTE_RESOLUTION_PROPOSED = "dispute.resolution_proposed"
DISPUTE_RESOLVED = "dispute.resolved"
CHANGE_REQUESTED = "change.requested"
CHANGE_ANSWERED = "change.answered"
INVOICE_ISSUED = "invoice.issued"
INVOICE_VOIDED = "invoice.voided"
CREDIT_NOTE_ISSUED = "credit_note.issued"
PAYMENT_RECORDED = "payment.recorded"
PAYMENT_CONFIRMED = "payment.confirmed"
WRITE_OFF_RECORDED = "write_off.recorded"
RETURN_RECORDED = "return.recorded"
RETURN_ACCEPTED = "return.accepted"
RIK_CONVERTED = "rik.converted"
EXCHANGE_PROPOSED = "exchange.proposed"
EXCHANGE_SIGNED = "exchange.signed"
OFFSET_PROPOSED = "offset.proposed"
OFFSET_SIGNED = "offset.signed"
TRANSFER_REQUESTED = "transfer.requested"
TRANSFER_ANSWERED = "transfer.answered"
TRANSFER_RECORDED = "transfer.recorded"
DUTIES_WAIVED = "duties.waived"
EVIDENCE_ATTACHED = "evidence.attached"

# Events whose subject is not an order but which act on several orders; each
# order they touch is named in ``data.orders`` with the parent seen on it.
MULTI_ORDER_TYPES = frozenset(
    {
        PAYMENT_RECORDED,
        PAYMENT_CONFIRMED,
        EXCHANGE_PROPOSED,
        EXCHANGE_SIGNED,
        OFFSET_PROPOSED,
        OFFSET_SIGNED,
    }
)

ORDER_ROOT_TYPES = frozenset({ORDER_SUBMITTED, ORDER_EMERGENCY_RECORDED})

# Context events (not folded into an order).
AGREEMENT_ADOPTED = "agreement.adopted"
APPOINTMENT_GRANTED = "appointment.granted"
APPOINTMENT_REVOKED = "appointment.revoked"
UNIT_REGISTERED = "unit.registered"
ACTIVITY_REGISTERED = "activity.registered"
RATE_RECORDED = "rate.recorded"
CATALOGUE_PRICE_SET = "catalogue.price_set"
KEY_ROTATION_ANNOUNCED = "key.rotation_announced"
KEY_REVOKED = "key.revoked"
BALANCE_SIGNED = "balance.signed"
BALANCE_ANSWERED = "balance.answered"
# The register of implementing arrangements: one party proposes, the other countersigns.
ARRANGEMENT_PROPOSED = "arrangement.proposed"
ARRANGEMENT_SIGNED = "arrangement.signed"
# Loss or compromise of a partner's information: reported to its originator, then
# acknowledged (by the originator), assessed (by either party), closed (by the originator).
COMPROMISE_REPORTED = "compromise.reported"
COMPROMISE_ACKNOWLEDGED = "compromise.acknowledged"
COMPROMISE_ASSESSED = "compromise.assessed"
COMPROMISE_CLOSED = "compromise.closed"
# The originator's consent to release an order to a third nation (domain/consent.py).
CONSENT_REQUESTED = "consent.requested"
CONSENT_GRANTED = "consent.granted"
CONSENT_REFUSED = "consent.refused"


@dataclass(frozen=True)
class Actor:
    """The person an event names as acting, and the appointment they cite."""

    user: str
    name: str
    role: Role
    party: str
    unit: str | None = None
    appointment: str | None = None
    paper: bool = False  # the act was signed on paper and recorded by the other party


@dataclass(frozen=True)
class Fact:
    """One recorded event, its signature already verified."""

    hash: str
    stream: str
    seq: int
    at: str  # UTC recording time, ISO 8601 with milliseconds
    type: str
    subject: str
    parent: str | None
    signer: str  # the party whose node signed it
    actor: Actor
    profile: str
    data: Mapping[str, Any] = field(default_factory=dict)
    marking: Mapping[str, Any] = field(default_factory=dict)  # the envelope's, unchecked
    version: int = 1  # the event schema version it was signed under (the envelope's ``v``)

    @property
    def on(self) -> date:
        """The business date of the act, carried in ``data.on``."""
        return data_date(self.data, "on")

    def parent_for(self, order: str) -> str | None:
        """The event on ``order`` this fact follows."""
        if self.type in MULTI_ORDER_TYPES:
            for part in self.data.get("orders", ()):
                if isinstance(part, Mapping) and part.get("order") == order:
                    parent = part.get("parent")
                    return parent if isinstance(parent, str) else None
            return None
        return self.parent

    def orders(self) -> tuple[str, ...]:
        """Every order this fact acts on."""
        if self.type in MULTI_ORDER_TYPES:
            parts = self.data.get("orders", ())
            return tuple(
                p["order"]
                for p in parts
                if isinstance(p, Mapping) and isinstance(p.get("order"), str)
            )
        return (self.subject,) if self.is_order_event else ()

    @property
    def is_order_event(self) -> bool:
        return self.type in ORDER_EVENT_TYPES


ORDER_EVENT_TYPES = (
    frozenset(
        {
            ORDER_SUBMITTED,
            ORDER_EMERGENCY_RECORDED,
            ORDER_EMERGENCY_CONFIRMED,
            ORDER_PROPOSED,
            ORDER_CONFIRMED,
            ORDER_WITHDRAWN,
            ORDER_ACCEPTED,
            ORDER_REJECTED,
            DELIVERY_RECORDED,
            RECEIPT_RECORDED,
            DISPUTE_OPENED,
            DISPUTE_RESOLUTION_PROPOSED,
            DISPUTE_RESOLVED,
            CHANGE_REQUESTED,
            CHANGE_ANSWERED,
            INVOICE_ISSUED,
            INVOICE_VOIDED,
            CREDIT_NOTE_ISSUED,
            WRITE_OFF_RECORDED,
            RETURN_RECORDED,
            RETURN_ACCEPTED,
            RIK_CONVERTED,
            TRANSFER_REQUESTED,
            TRANSFER_ANSWERED,
            TRANSFER_RECORDED,
            DUTIES_WAIVED,
            EVIDENCE_ATTACHED,
        }
    )
    | MULTI_ORDER_TYPES
)


def data_date(data: Mapping[str, Any], key: str, *, required: bool = True) -> date:
    value = data.get(key)
    if value is None and not required:
        return date.min
    if not isinstance(value, str):
        raise MissingField(N_("a date (YYYY-MM-DD) is required"), field=key)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidValue(
            N_("'%(value)s' is not a date (YYYY-MM-DD)"),
            field=key, value=value,
        ) from None


def data_text(data: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise MissingField(N_("is required"), field=key)
        return ""
    if not isinstance(value, str):
        raise InvalidValue(N_("must be text, got '%(value)s'"), field=key, value=value)
    return value


def data_list(
    data: Mapping[str, Any], key: str, *, required: bool = True
) -> list[Mapping[str, Any]]:
    value = data.get(key)
    if value is None:
        if required:
            raise MissingField(N_("is required"), field=key)
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise InvalidValue(N_("must be a list of objects"), field=key)
    return value


def data_decimal(data: Mapping[str, Any], key: str, *, where: str = "") -> Decimal:
    """A non-negative decimal carried as a string."""
    return parse_decimal(data.get(key), field=where + key)


def data_money(data: Mapping[str, Any], key: str, currency: str, *, where: str = "") -> Money:
    """A non-negative amount in ``currency`` carried as a string in major units."""
    text = data.get(key)
    if text is None:
        raise MissingField(N_("is required"), field=where + key)
    amount = Money.parse(text, currency, field=where + key)
    if amount.minor < 0:
        raise InvalidValue(N_("must not be negative"), field=where + key)
    return amount


def data_int(data: Mapping[str, Any], key: str, *, where: str = "") -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidValue(
            N_("must be an integer, got '%(value)s'"),
            field=where + key, value=value,
        )
    return value
